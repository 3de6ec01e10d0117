"""What is said in a Set stays in the Set: not in the logs or the store, nor elsewhere in Slack.

Fran forms the Asha-Ben-Cara Set from the lobby, where Ollie also sits. Between meetings
Asha commits to an action and reports back on it; at the meeting the round's thread hears
distinctive secrets, Asha commits to a new action, and afterwards she reflects and writes
in her learning log. The bot runs with production logging at DEBUG, every logger opened
up. Afterwards no log line holds a word of it, nor a token or the signing secret; the
store holds no word said in the thread; and everything setbot posted went to the Set's
private channel or privately to one of its own people.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.logs import QUIETEST, REDACTED, configure_logging
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Meeting
from bot.ui import commitments as actions_ui
from bot.ui import learning_log as log_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import reflection as reflection_ui
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from tests.conftest import SIGNING_SECRET
from tests.store_text import stored_texts

FRAN, ASHA, BEN, CARA, OLLIE = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0OLLIE"
MEMBERS = (ASHA, BEN, CARA)
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)

# Said in the round's thread: never stored, never logged.
SAID_IN_THE_THREAD = (
    "HERON my manager shouts at the night shift",
    "PLOVER what have you tried so far",
    "WREN you should just report him",
)
# Typed into setbot: stored for the Set, never logged.
TYPED_INTO_SETBOT = (
    "OSPREY hold a one-to-one with each of my team",
    "KESTREL four of five happened and two raised workload",
    "MERLIN co-design the rota with two volunteers",
    "CURLEW the questions slowed me down",
    "LAPWING I learn by saying it out loud",
)
APP_TOKEN = "xapp-sim-token"


@pytest.fixture
def production_logs(settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Logging as `setbot run` sets it up with LOG_LEVEL=DEBUG, every logger opened first."""
    for name in (None, "setbot", "slack_bolt", "slack_sdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    before = {name: logging.getLogger(name).level for name in QUIETEST}
    written = io.StringIO()
    handler = configure_logging(
        replace(settings, log_level="DEBUG", app_token=APP_TOKEN), stream=written
    )
    yield written
    logging.getLogger().removeHandler(handler)
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def test_a_meeting_leaves_no_words_or_secrets_in_the_logs_or_the_store(
    production_logs: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
) -> None:
    channel = _fran_forms_the_set(driver, slack)

    # Between meetings Asha commits to an action and reports back on it.
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: TYPED_INTO_SETBOT[0], actions_ui.DUE_BLOCK: "2027-01-20"},
    )
    driver.slash_command("/action", "", user_id=ASHA, channel_id=channel)
    driver.block_action(
        actions_ui.REPORT_BACK, user=ASHA, channel=channel, message_ts=_newest_private(slack, ASHA)
    )
    driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=ASHA,
        answers={actions_ui.HAPPENED_BLOCK: TYPED_INTO_SETBOT[1]},
    )

    # The meeting: everyone checks in, and Asha's round hears three secrets.
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    meeting_id = _meeting_id(store)
    for member in MEMBERS:
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, value=meeting_id, channel=channel
        )
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _root_of_round(slack, channel)
    _next(driver, slack, channel, root, ASHA)  # report back → describe
    driver.message(channel, SAID_IN_THE_THREAD[0], user=ASHA, thread_ts=root)
    _next(driver, slack, channel, root, ASHA)  # describe → questions
    driver.message(channel, SAID_IN_THE_THREAD[1], user=BEN, thread_ts=root)
    driver.message(channel, SAID_IN_THE_THREAD[2], user=CARA, thread_ts=root)
    slack.wait_for("chat.postEphemeral", where=lambda c: c.args["user"] == CARA)
    # Slack sends Ben's question twice more, as it does when it hears back late: heard once.
    ben_said = slack.messages(channel, thread_ts=root)[-2]
    again = {
        "type": "message",
        "channel": channel,
        "user": BEN,
        "text": ben_said.text,
        "ts": ben_said.ts,
        "thread_ts": root,
        "channel_type": "group",
    }
    driver.event(again, event_id="Ev0BENAGAIN")
    driver.event(again, event_id="Ev0BENAGAIN", retry_num=1)
    _next(driver, slack, channel, root, FRAN)  # questions → ideas
    _next(driver, slack, channel, root, FRAN)  # ideas → reflect
    prompt = _in_thread(slack, channel, root, rounds_ui.COMMIT_ACTION)
    driver.block_action(rounds_ui.COMMIT_ACTION, user=ASHA, channel=channel, message_ts=prompt)
    driver.submit_form(
        actions_ui.COMMIT_VIEW, user=ASHA, answers={actions_ui.TEXT_BLOCK: TYPED_INTO_SETBOT[2]}
    )
    _next(driver, slack, channel, root, FRAN)  # reflect → closed

    # The meeting ends; Asha reflects on it and writes in her learning log.
    clock.set(MEETING_DAY.replace(hour=12))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    driver.block_action(reflection_ui.REFLECT, user=ASHA, value=meeting_id, channel=channel)
    driver.submit_form(
        reflection_ui.REFLECT_VIEW,
        user=ASHA,
        answers={reflection_ui.SCORE_BLOCK: "4", reflection_ui.HELPED_BLOCK: TYPED_INTO_SETBOT[3]},
    )
    asha_dm = _dm(slack, ASHA)
    driver.block_action(log_ui.LOG_WRITE, user=ASHA, value=meeting_id, channel=asha_dm)
    driver.submit_form(
        log_ui.LOG_VIEW, user=ASHA, answers={log_ui.LEARNING_BLOCK: TYPED_INTO_SETBOT[4]}
    )
    slack.wait_for("views.publish", where=lambda c: TYPED_INTO_SETBOT[4][:7] in str(c.args))

    # Everything was kept where it belongs...
    stored = "\n".join(stored_texts(store))
    assert [typed for typed in TYPED_INTO_SETBOT if typed not in stored] == []
    # ...but nothing said in the thread was stored, and nothing at all was logged.
    assert not [said for said in SAID_IN_THE_THREAD if said in stored]
    logged = _everything_logged(caplog, production_logs)
    assert any(r.levelno == logging.DEBUG and r.name.startswith("setbot") for r in caplog.records)
    secrets = (*SAID_IN_THE_THREAD, *TYPED_INTO_SETBOT, slack.bot_token, APP_TOKEN, SIGNING_SECRET)
    assert [secret for secret in secrets if secret in logged] == []
    assert _posted_outside_the_set(slack, channel) == []


def test_a_token_or_the_signing_secret_in_a_log_line_is_redacted(
    production_logs: io.StringIO, slack: SlackEmulator
) -> None:
    """Should a token ever reach a message or a traceback, the line written shows none of it."""
    log = logging.getLogger("setbot.test")
    log.warning("calling Slack with %s and %s", slack.bot_token, "xoxp-1234-abcd")
    try:
        raise RuntimeError(f"signature check with {SIGNING_SECRET} and {APP_TOKEN} failed")
    except RuntimeError:
        log.exception("start-up failed")

    written = production_logs.getvalue()
    assert written.count(REDACTED) == 4
    for secret in (slack.bot_token, "xoxp-1234-abcd", SIGNING_SECRET, APP_TOKEN):
        assert secret not in written


def test_a_failed_statement_does_not_carry_what_was_typed(store: Store) -> None:
    """A database error is logged with its traceback; its text must not quote the values."""
    with store.engine.connect() as connection, pytest.raises(SQLAlchemyError) as failed:
        connection.execute(
            text("INSERT INTO no_such_table (words) VALUES (:words)"),
            {"words": TYPED_INTO_SETBOT[0]},
        )
    assert TYPED_INTO_SETBOT[0] not in str(failed.value)


# -- helpers -------------------------------------------------------------------------------------


def _fran_forms_the_set(driver: SlackDriver, slack: SlackEmulator) -> str:
    """Fran forms the Set from the lobby; everyone agrees the ground rules. Its channel."""
    for user in (FRAN, *MEMBERS, OLLIE):
        slack.add_user(user, name=user[3:].lower())
    lobby = slack.add_channel(
        "lobby", is_private=False, members=[slack.bot_user_id, FRAN, *MEMBERS, OLLIE]
    )
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=lobby)
    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: list(MEMBERS),
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    channel = str(welcome.args["channel"])
    driver.slash_command("/set", "rules", user_id=FRAN, channel_id=channel)
    for person in (FRAN, *MEMBERS):
        driver.slash_command("/set", "rules", user_id=person, channel_id=channel)
        driver.block_action(
            cards.AGREE_TO_RULES,
            user=person,
            channel=channel,
            message_ts=_newest_private(slack, person),
        )
    return channel


def _everything_logged(caplog: pytest.LogCaptureFixture, written: io.StringIO) -> str:
    """Each record as captured (message, arguments, traceback) and each line as written."""
    parts = [caplog.text, written.getvalue()]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    return "\n".join(parts)


def _posted_outside_the_set(slack: SlackEmulator, channel: str) -> list[str]:
    """Every post that went somewhere other than the Set's channel or one of its people."""
    people = {FRAN, *MEMBERS}
    with slack.workspace() as ws:
        private = {c.id: set(c.members) - {ws.bot_user_id} for c in ws.channels.values() if c.is_im}
    outside = []
    for call in slack.calls:
        if not call.method.startswith("chat.") or call.method == "chat.delete":
            continue
        where = call.args.get("channel")
        if call.method == "chat.postEphemeral":
            only_ours = call.args.get("user") in people
        else:
            in_a_dm = where in people or (where in private and private[where] <= people)
            only_ours = where == channel or in_a_dm
        if not only_ours:
            outside.append(f"{call.method} to {where}: {str(call.args.get('text'))[:60]}")
    for call in slack.calls_to("views.publish"):
        if call.args["user_id"] not in people:
            outside.append(f"a Home tab for {call.args['user_id']}")
    return outside


def _meeting_id(store: Store) -> str:
    with store.session() as session:
        return str(session.exec(select(Meeting.id).where(Meeting.status == "open")).one())


def _root_of_round(slack: SlackEmulator, channel: str) -> str:
    slack.wait_for("chat.postMessage", where=lambda c: "'s round" in c.args.get("text", ""))
    return [m.ts for m in slack.messages(channel) if "'s round" in m.text and not m.thread_ts][-1]


def _in_thread(slack: SlackEmulator, channel: str, root: str, words: str) -> str:
    slack.wait_for("chat.postMessage", where=lambda c: words in str(c.args.get("blocks")))
    return [m.ts for m in slack.messages(channel, thread_ts=root) if words in str(m.blocks)][-1]


def _next(driver: SlackDriver, slack: SlackEmulator, channel: str, root: str, who: str) -> None:
    """`who` presses "Next" on the newest prompt in the round's thread."""
    prompts = [
        m for m in slack.messages(channel, thread_ts=root) if rounds_ui.ROUND_NEXT in str(m.blocks)
    ]
    reply = driver.block_action(
        rounds_ui.ROUND_NEXT, user=who, channel=channel, message_ts=prompts[-1].ts
    )
    assert reply.status == 200


def _newest_private(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as ws:
        return [m for m in ws.messages if m.ephemeral_to == user][-1].ts


def _dm(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as ws:
        return ws.dm([user])[0].id
