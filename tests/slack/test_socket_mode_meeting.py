"""A Set forms and meets with setbot in Socket Mode: no request URL, only a WebSocket.

The bot connects as `setbot run` does when SLACK_APP_TOKEN is set (Bolt's SocketModeHandler,
slack_sdk's built-in client), and every command, click and thread message reaches it as an
envelope over the emulator's socket. Midway, Slack drops the socket or asks for a fresh one;
whatever people did meanwhile waits for the new connection and is handled exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.sim import Call, SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Attendance, Contribution, Meeting, MeetingStatus, Round
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from tests.conftest import SIGNING_SECRET
from tests.factories import a_set_in_its_channel
from tests.polling import eventually
from tests.socket_mode import in_socket_mode

FRAN, ASHA, BEN, CARA, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV"
MEMBERS = (ASHA, BEN, CARA, DEV)
LOBBY = "C0LOBBY"
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def people(slack: SlackEmulator) -> None:
    for user in (FRAN, *MEMBERS):
        slack.add_user(user, name=user[3:].lower())


@pytest.fixture
def driver(
    settings: Settings, store: Store, clock: ManualClock, slack: SlackEmulator
) -> Iterator[SlackDriver]:
    """setbot in Socket Mode, and Slack's side of it speaking over the socket."""
    app = create_app(replace(settings, app_token=slack.app_token), store=store, clock=clock)
    with in_socket_mode(app, slack):
        yield SlackDriver(signing_secret=SIGNING_SECRET, emulator=slack, transport="socket")


@pytest.fixture
def channel(people: None, store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """The New team leaders Set, formed in January; everyone has agreed the ground rules."""
    return a_set_in_its_channel(
        store, clock, slack, facilitator=FRAN, members=MEMBERS, first_at=MEETING_DAY
    )


def test_a_set_is_formed_and_meets_over_socket_mode(
    people: None, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    # Fran forms the Set from the lobby: the command, the modal and its submission all
    # travel over the socket, and the modal's ack carries no errors.
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    slack.wait_for("views.open")
    submitted = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: list(MEMBERS),
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )
    assert submitted.status == 200 and not (submitted.json or {}).get("errors")
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    channel = str(welcome.args["channel"])

    # Everyone agrees the ground rules on the welcome card.
    card = _posted(slack, channel, "Welcome")
    for person in (FRAN, *MEMBERS):
        driver.block_action(cards.AGREE_TO_RULES, user=person, channel=channel, message_ts=card)
    status = driver.slash_command("/set", "", user_id=FRAN, channel_id=channel)
    assert status.json is not None
    agreed = str(status.json["blocks"])
    assert "✅ <@U0DEV>" in agreed and "⏳ <@" not in agreed

    # On the day Fran starts the meeting; three check in and Dev sends apologies.
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    meeting_card = _posted(slack, channel, "under way")
    for member in (ASHA, BEN, CARA):
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=meeting_card
        )
    driver.block_action(
        meeting_ui.CHECK_IN_APOLOGIES, user=DEV, channel=channel, message_ts=meeting_card
    )

    # Asha's round: she describes her problem, then Ben and Cara ask their questions.
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _posted(slack, channel, "<@U0ASHA>'s round")
    driver.message(channel, "My team resists the new rota.", user=ASHA, thread_ts=root)
    _next(driver, slack, channel, root, ASHA)  # describe → questions
    driver.message(channel, "What have you tried so far?", user=BEN, thread_ts=root)
    driver.message(channel, "Who feels the change most?", user=CARA, thread_ts=root)

    with store.session() as session:
        statuses = [m.status for m in session.exec(select(Meeting).order_by(Meeting.id))]
        [round_] = session.exec(select(Round)).all()
        attendance = {a.user_id: a.status for a in session.exec(select(Attendance))}
        heard = [(c.user_id, c.phase) for c in session.exec(select(Contribution))]
    assert statuses[0] == MeetingStatus.OPEN, "the first of the three is under way"
    assert (round_.presenter_id, round_.phase) == (ASHA, "questions")
    assert sorted(attendance) == sorted(MEMBERS)
    assert heard == [(ASHA, "describe"), (BEN, "questions"), (CARA, "questions")]
    _assert_each_envelope_handled_once(slack)


def test_questions_asked_while_the_socket_is_down_arrive_once_it_reconnects(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _posted(slack, channel, "<@U0ASHA>'s round")
    _next(driver, slack, channel, root, ASHA)  # describe → questions

    # Slack's end goes away. Ben, Cara and Dev ask their questions all the same: Slack
    # holds each one until setbot is connected again.
    socket_mode = slack.socket_mode
    questions = {
        BEN: "What have you tried so far?",
        CARA: "Who feels the change most?",
        DEV: "What would a good week look like?",
    }
    with ThreadPoolExecutor(max_workers=len(questions)) as members:
        with socket_mode.outage():
            asking = []
            for asked, (member, question) in enumerate(questions.items(), start=1):
                asking.append(
                    members.submit(driver.message, channel, question, user=member, thread_ts=root)
                )
                eventually(lambda asked=asked: _assert_waiting(slack, asked))
            with store.session() as session:
                assert session.exec(select(Contribution)).all() == [], "nothing got through"
        answers = [answer.result(timeout=15) for answer in asking]

    assert [answer.status for answer in answers] == [200, 200, 200]
    socket_mode.wait_for_connection(opened=2)
    with store.session() as session:
        heard = sorted(
            (c.user_id, c.phase, c.is_question) for c in session.exec(select(Contribution))
        )
    assert heard == [(BEN, "questions", True), (CARA, "questions", True), (DEV, "questions", True)]
    _assert_each_envelope_handled_once(slack)


def test_a_refresh_requested_mid_meeting_loses_no_check_in(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _posted(slack, channel, "under way")

    # Slack asks setbot for a fresh connection just as the members check in.
    slack.socket_mode.refresh()
    for member in MEMBERS:
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card
        )
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    _posted(slack, channel, "<@U0ASHA>'s round")

    slack.socket_mode.wait_for_connection(opened=2)
    assert len(slack.calls_to("apps.connections.open")) == 2
    with store.session() as session:
        present = sorted(a.user_id for a in session.exec(select(Attendance)))
        rounds = session.exec(select(Round)).all()
    assert present == sorted(MEMBERS)
    assert [r.presenter_id for r in rounds] == [ASHA]
    _assert_each_envelope_handled_once(slack)


def test_setbot_run_serves_a_command_over_the_socket_and_after_a_refresh(
    people: None, slack: SlackEmulator, tmp_path: Path
) -> None:
    """The whole of `setbot run` in Socket Mode: bot/serve.py's own handler, in its own process."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'setbot.db'}",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "setbot.log"
    with log.open("w") as output:
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,  # no .env but this test's
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        slack.socket_mode.wait_for_connection(within=30)
        driver = SlackDriver(signing_secret=SIGNING_SECRET, emulator=slack, transport="socket")

        first = driver.slash_command("/set", "", user_id=FRAN, channel_id=LOBBY)
        slack.socket_mode.refresh()
        second = driver.slash_command("/set", "", user_id=FRAN, channel_id=LOBBY)

        assert first.json is not None and first.json == second.json, log.read_text()
        slack.socket_mode.wait_for_connection(opened=2)
        _assert_each_envelope_handled_once(slack)
    finally:
        bot.terminate()
        bot.wait(timeout=10)


def _assert_each_envelope_handled_once(slack: SlackEmulator) -> None:
    """Slack sent each envelope once and heard exactly one ack for it."""
    envelopes = slack.socket_mode.envelopes
    assert envelopes, "nothing went over the socket"
    assert [(e.deliveries, len(e.acks)) for e in envelopes] == [(1, 1)] * len(envelopes)
    assert slack.socket_mode.queued == []


def _assert_waiting(slack: SlackEmulator, count: int) -> None:
    assert len(slack.socket_mode.queued) == count


def _posted(slack: SlackEmulator, channel: str, words: str) -> str:
    """The ts of the newest top-level message in the channel that says `words`."""

    def matches(call: Call) -> bool:
        return call.args.get("channel") == channel and words in call.args.get("text", "")

    slack.wait_for("chat.postMessage", where=matches)
    found = [
        m.ts
        for m in slack.messages(channel)
        if words in m.text and m.ephemeral_to is None and not m.thread_ts
    ]
    return found[-1]


def _next(driver: SlackDriver, slack: SlackEmulator, channel: str, root: str, who: str) -> None:
    """`who` presses "Next" on the newest prompt in the round's thread."""
    slack.wait_for("chat.postMessage", where=lambda c: rounds_ui.ROUND_NEXT in str(c.args))
    prompts = [
        m for m in slack.messages(channel, thread_ts=root) if rounds_ui.ROUND_NEXT in str(m.blocks)
    ]
    reply = driver.block_action(
        rounds_ui.ROUND_NEXT, user=who, channel=channel, message_ts=prompts[-1].ts
    )
    assert reply.status == 200
