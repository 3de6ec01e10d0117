"""After the meeting: each member's private learning log, and sharing a learning with eyes open.

The Leaders Set meets on the first Tuesday of February; Asha and Ben are there, Cara sends
apologies. When Fran ends the meeting, Asha and Ben are each asked privately what they
learned. Asha keeps hers to herself; Ben shares his, sees exactly what would go out, and
Fran, reading it, keeps it out of the organisation report. The story checks what every
person is sent and shown.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.schedule import Cadence
from bot.sim import Call, Message, Response, SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Commitment, LearningEntry, Meeting
from bot.ui import commitments as actions_ui
from bot.ui import learning_log as log_ui
from bot.ui import meeting as meeting_ui
from bot.ui import sharing as sharing_ui

FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
PEOPLE = {FRAN: "Fran Hughes", ASHA: "Asha Patel", BEN: "Ben Okafor", CARA: "Cara Nwosu"}
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
SECRET = "PRIVATE-HERON my manager never listens"
BENS_LEARNING = "Asha Patel and <@U0ASHA> showed me the rota is a symptom"


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """The Set, formed in January; everyone has agreed the ground rules."""
    for user, real_name in PEOPLE.items():
        slack.add_user(user, name=real_name.split()[0].lower(), real_name=real_name)
    channel_id = slack.add_channel("set-leaders", members=[slack.bot_user_id, *PEOPLE])
    formed = sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="Leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN, CARA),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=MEETING_DAY,
            timezone="Europe/London",
        ),
    )
    for user in PEOPLE:
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel_id)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    return channel_id


@pytest.fixture
def meeting_ended(
    channel: str, driver: SlackDriver, slack: SlackEmulator, clock: ManualClock
) -> None:
    """Asha and Ben check in, Cara sends apologies; two hours later Fran ends the meeting."""
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: "under way" in c.args.get("text", ""))
    card = [m.ts for m in slack.messages(channel) if "under way" in m.text][-1]
    for member in (ASHA, BEN):
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card
        )
    driver.block_action(meeting_ui.CHECK_IN_APOLOGIES, user=CARA, channel=channel, message_ts=card)
    clock.set(datetime(2027, 2, 2, 12, 0, tzinfo=UTC))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: "Reflect on today" in c.args["text"])


def test_only_those_who_were_there_are_asked_what_they_learned(
    meeting_ended: None, slack: SlackEmulator
) -> None:
    asked = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == dm(slack, BEN))

    assert log_ui.QUESTION in asked.args["text"] and log_ui.LOG_WRITE in str(asked.args)
    assert asked_in(slack) == {dm(slack, ASHA), dm(slack, BEN)}, "not Cara, not Fran"


def test_the_log_is_seen_by_its_writer_and_no_one_else(
    meeting_ended: None, channel: str, driver: SlackDriver, slack: SlackEmulator
) -> None:
    write_in_log(driver, slack, ASHA, {log_ui.ISSUE_BLOCK: SECRET})
    saved = slack.wait_for("chat.postMessage", where=lambda c: "learning log" in c.args["text"])
    assert saved.args["channel"] == dm(slack, ASHA)

    # Everyone opens their Home tab; Fran asks for the Set's learning summary.
    for person in PEOPLE:
        driver.app_home_opened(person)
        slack.wait_for("views.publish", where=lambda c, p=person: c.args["user_id"] == p)
    driver.slash_command("/set", "learning", user_id=FRAN, channel_id=channel)
    slack.wait_for("files.completeUploadExternal")

    homes = [c for c in slack.calls_to("views.publish") if c.args["user_id"] == ASHA]
    assert "My learning log" in str(homes[-1].args) and "PRIVATE-HERON" in str(homes[-1].args)
    assert who_was_shown(slack, "PRIVATE-HERON") == {("views.publish", ASHA)}
    uploads = slack.calls_to("files.completeUploadExternal")[-1].args["files"]
    assert all(b"PRIVATE-HERON" not in slack.file_content(f["id"]) for f in uploads)


def test_writing_again_opens_her_own_words_to_change(
    meeting_ended: None, driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    write_in_log(driver, slack, ASHA, {log_ui.ISSUE_BLOCK: SECRET})

    opened = press_write(driver, slack, ASHA)
    driver.submit_form(log_ui.LOG_VIEW, user=ASHA, answers={log_ui.LEARNING_BLOCK: "By writing"})

    assert SECRET in json.dumps(opened.args["view"])
    with store.session() as session:
        [entry] = session.exec(select(LearningEntry)).all()
    assert (entry.about_issue, entry.about_learning) == (SECRET, "By writing")


def test_an_empty_entry_gets_an_inline_error_and_nothing_is_kept(
    meeting_ended: None, driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    press_write(driver, slack, ASHA)

    reply = driver.submit_form(log_ui.LOG_VIEW, user=ASHA, answers={})

    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert "either box" in reply.json["errors"][log_ui.ISSUE_BLOCK]
    with store.session() as session:
        assert session.exec(select(LearningEntry)).all() == []


def test_a_forged_button_opens_no_one_elses_log(
    meeting_ended: None, driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    write_in_log(driver, slack, ASHA, {log_ui.ISSUE_BLOCK: SECRET})
    with store.session() as session:
        meeting_id = str(session.exec(select(Meeting.id).where(Meeting.status == "ended")).one())
    opened_before = len(slack.calls_to("views.open"))

    # Cara, who sent apologies, sends the button's value by hand from her DM.
    driver.block_action(log_ui.LOG_WRITE, user=CARA, value=meeting_id, channel=dm(slack, CARA))
    refusal = slack.wait_for("response_url", where=lambda c: "isn't one of them" in str(c.args))

    # Ben was there: the same value opens his own, empty page, never Asha's.
    driver.block_action(log_ui.LOG_WRITE, user=BEN, value=meeting_id, channel=dm(slack, BEN))
    ben = slack.wait_for("views.open", where=lambda c: log_ui.LOG_VIEW in str(c.args))

    assert refusal.args.get("response_type") == "ephemeral"
    assert len(slack.calls_to("views.open")) == opened_before + 1
    assert "PRIVATE-HERON" not in json.dumps(ben.args)


def test_a_shared_learning_is_previewed_anonymised_then_reviewed_and_withheld(
    meeting_ended: None, channel: str, driver: SlackDriver, slack: SlackEmulator
) -> None:
    # Ben ticks "share": the modal turns into exactly what would go out.
    reply = write_in_log(
        driver,
        slack,
        BEN,
        {
            log_ui.ISSUE_BLOCK: BENS_LEARNING,
            log_ui.SHARE_BLOCK: [actions_ui.SHARE_VALUE],
            log_ui.TAG_BLOCK: "training",
        },
    )
    assert reply.json is not None and reply.json["response_action"] == "update"
    preview = json.dumps(reply.json["view"])
    assert "A member and a member showed me the rota is a symptom" in preview
    assert "A training need" in preview
    assert not any(said in preview for said in ("Asha", "Patel", "U0ASHA"))

    # He says yes; Fran reads the same words, and never learns whose they are.
    driver.submit_form(sharing_ui.SHARE_VIEW, user=BEN, answers={})
    review = slack.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == dm(slack, FRAN)
    )
    slack.wait_for("chat.postMessage", where=lambda c: "shared anonymously" in c.args["text"])
    shown = json.dumps(review.args)
    assert "A member and a member showed me the rota is a symptom" in shown
    assert not any(said in shown for said in ("Ben", "Okafor", "U0BEN", "Asha", "U0ASHA"))

    # Asha tries the withhold button by hand: refused, nothing opens.
    opened = len(slack.calls_to("views.open"))
    value = button_value(review, sharing_ui.WITHHOLD)
    driver.block_action(sharing_ui.WITHHOLD, user=ASHA, value=value)
    slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.args["channel"] == dm(slack, ASHA) and "facilitators" in c.args["text"],
    )
    assert len(slack.calls_to("views.open")) == opened

    # Fran keeps it out of the report; a reason is required and Ben is told it.
    fran_sees = newest_with(slack, dm(slack, FRAN), sharing_ui.WITHHOLD)
    driver.block_action(
        sharing_ui.WITHHOLD, user=FRAN, channel=dm(slack, FRAN), message_ts=fran_sees
    )
    slack.wait_for("views.open", where=lambda c: sharing_ui.WITHHOLD_VIEW in str(c.args))
    empty = driver.submit_form(sharing_ui.WITHHOLD_VIEW, user=FRAN, answers={})
    assert empty.json is not None and sharing_ui.REASON_BLOCK in empty.json["errors"]
    driver.submit_form(
        sharing_ui.WITHHOLD_VIEW,
        user=FRAN,
        answers={sharing_ui.REASON_BLOCK: "The rota team is small enough to identify"},
    )
    told = slack.wait_for("chat.postMessage", where=lambda c: "kept this learning" in str(c.args))
    assert told.args["channel"] == dm(slack, BEN)
    assert "The rota team is small enough to identify" in str(told.args["blocks"])

    summary = driver.slash_command("/set", "learning", user_id=FRAN, channel_id=channel)
    assert summary.json is not None and "rota is a symptom" not in str(summary.json)


def test_a_report_back_shared_is_previewed_first(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    slack.wait_for("views.open")
    driver.submit_form(
        actions_ui.COMMIT_VIEW, user=ASHA, answers={actions_ui.TEXT_BLOCK: "Ask the rota team"}
    )
    driver.slash_command("/action", "", user_id=ASHA, channel_id=channel)
    mine = [m for m in slack_messages_to(slack, ASHA) if actions_ui.REPORT_BACK in str(m.blocks)]
    driver.block_action(actions_ui.REPORT_BACK, user=ASHA, channel=channel, message_ts=mine[-1].ts)

    reply = driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=ASHA,
        answers={
            actions_ui.HAPPENED_BLOCK: "Ben Okafor drafted it with me",
            actions_ui.REPORT_SHARE_BLOCK: [actions_ui.SHARE_VALUE],
            actions_ui.REPORT_TAG_BLOCK: "policy",
        },
    )

    assert reply.json is not None and reply.json["response_action"] == "update"
    assert "A member drafted it with me" in json.dumps(reply.json["view"])
    with store.session() as session:
        report = session.exec(select(Commitment)).one()
    assert (report.status, report.share_consent, report.share_tag) == ("reported", False, "policy")

    driver.submit_form(sharing_ui.SHARE_VIEW, user=ASHA, answers={})
    slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == dm(slack, FRAN))
    with store.session() as session:
        assert session.exec(select(Commitment)).one().share_consent


# -- helpers -----------------------------------------------------------------------------------


def dm(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as state:
        return state.dm([user])[0].id


def asked_in(slack: SlackEmulator) -> set[str]:
    """The direct messages the learning-log question went to."""
    return {
        c.args["channel"]
        for c in slack.calls_to("chat.postMessage")
        if log_ui.LOG_WRITE in str(c.args.get("blocks"))
    }


def newest_with(slack: SlackEmulator, channel: str, words: str) -> str:
    return [m.ts for m in slack.messages(channel) if words in str(m.blocks)][-1]


def press_write(driver: SlackDriver, slack: SlackEmulator, who: str) -> Call:
    """`who` presses "Write in my log" in the direct message that asked them."""
    slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == dm(slack, who))
    asked = newest_with(slack, dm(slack, who), log_ui.LOG_WRITE)
    opened = len(slack.calls_to("views.open"))
    driver.block_action(log_ui.LOG_WRITE, user=who, channel=dm(slack, who), message_ts=asked)
    slack.wait_for("views.open", where=lambda c: slack.calls_to("views.open").index(c) >= opened)
    return slack.calls_to("views.open")[-1]


def write_in_log(
    driver: SlackDriver, slack: SlackEmulator, who: str, answers: dict[str, object]
) -> Response:
    """`who` opens their log from the question and submits `answers`."""
    press_write(driver, slack, who)
    return driver.submit_form(log_ui.LOG_VIEW, user=who, answers=answers)


def button_value(call: Call, action_id: str) -> str:
    return next(
        element["value"]
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )


def who_was_shown(slack: SlackEmulator, words: str) -> set[tuple[str, str]]:
    """Every call that carried `words`, by method and the person it reached."""
    shown = set()
    for call in slack.calls:
        if words not in json.dumps(call.args):
            continue
        reader = call.args.get("user_id") or call.args.get("user") or call.args.get("channel")
        shown.add((call.method, str(reader)))
    return shown


def slack_messages_to(slack: SlackEmulator, user: str) -> list[Message]:
    with slack.workspace() as state:
        return [m for m in state.messages if m.ephemeral_to == user]
