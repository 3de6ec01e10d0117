"""Reminders reach Slack: the bot's real WebClient posting to the emulator over HTTP.

Every layout sent here is checked by the emulator, which refuses what Slack would refuse;
faults are chosen with its `fail` switch, never by patching the client.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.flows import sets
from bot.flows.meeting_reminders import (
    MeetingAutoclosed,
    MeetingReminder,
    SetExtendOrClose,
    plan_set_reminders,
)
from bot.flows.notices import Notice
from bot.flows.outbox import TELL_FACILITATORS, DeliveryError, DeliveryFailed, dispatch_due
from bot.flows.schedule import Cadence
from bot.scheduler import start_ticker
from bot.sim import SlackEmulator
from bot.store.db import Store
from bot.store.models import LearningSet, OutboxMessage, OutboxStatus
from tests.polling import eventually

DANA, ASHA, BEN = "U0DANA", "U0ASHA", "U0BEN"
FIRST_MEETING = datetime(2027, 2, 7, 10, tzinfo=UTC)  # a Sunday, 10:00 GMT
REMINDER = MeetingReminder(
    set_name="New team leaders <!channel>",
    starts_at=FIRST_MEETING,
    timezone="Europe/London",
    session_minutes=120,
    when="tomorrow",
    reporting_back=(ASHA, BEN),
)


@pytest.fixture
def channel(slack: SlackEmulator) -> str:
    for user, name in [(DANA, "dana"), (ASHA, "asha"), (BEN, "ben")]:
        slack.add_user(user, name=name)
    return slack.add_channel("set-new-team-leaders", members=[slack.bot_user_id, DANA, ASHA, BEN])


@pytest.fixture
def messenger(settings: Settings) -> SlackMessenger:
    """The bot's own client: rate limits ridden out by slack_sdk's retry handler."""
    return SlackMessenger(web_client(settings))


def test_a_channel_reminder_is_posted_for_everyone_to_see(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    messenger.deliver(Notice(channel=channel, message=REMINDER))

    [posted] = slack.messages(channel)
    assert posted.ephemeral_to is None and posted.user == slack.bot_user_id
    assert posted.text.startswith("New team leaders &lt;!channel&gt; meets tomorrow")
    assert "<@U0ASHA>, <@U0BEN>" in str(posted.blocks)


def test_a_notice_for_a_thread_lands_in_that_thread(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    root = slack.add_message(channel, "Asha's round", user=ASHA)

    messenger.deliver(Notice(channel=channel, thread_ts=root, message=REMINDER))

    replies = slack.messages(channel, thread_ts=root)
    assert [m.ts for m in replies[:1]] == [root] and len(replies) == 2
    assert replies[1].thread_ts == root


def test_a_notice_for_one_person_in_a_channel_is_ephemeral(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    messenger.deliver(Notice(channel=channel, user=ASHA, message=REMINDER))

    [call] = slack.calls_to("chat.postEphemeral")
    assert call.ok and call.args["user"] == ASHA
    assert slack.calls_to("chat.postMessage") == []


def test_a_private_notice_opens_a_direct_message_first(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    note = SetExtendOrClose(
        set_id=7,
        set_name="New team leaders",
        timezone="Europe/London",
        last_meeting_at=FIRST_MEETING,
        meetings_held=3,
    )

    messenger.deliver(Notice(user=DANA, message=note))

    assert [c.method for c in slack.calls] == ["conversations.open", "chat.postMessage"]
    dm = slack.calls_to("conversations.open")[0]
    posted = slack.calls_to("chat.postMessage")[0]
    assert dm.args["users"] == DANA and posted.ok
    assert str(posted.args["channel"]).startswith("D")


def test_a_rate_limit_is_waited_out_by_the_client_and_the_notice_arrives(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=0)

    messenger.deliver(Notice(channel=channel, message=REMINDER))

    assert [c.ok for c in slack.calls_to("chat.postMessage")] == [False, True]
    assert len(slack.messages(channel)) == 1


def test_a_rate_limit_outlasting_the_client_asks_the_dispatcher_to_wait(
    slack: SlackEmulator, channel: str
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=0, times=2)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)  # no retry handler

    with pytest.raises(DeliveryError) as raised:
        SlackMessenger(client).deliver(Notice(channel=channel, message=REMINDER))

    assert raised.value.reason == "ratelimited" and raised.value.retry_after == 0
    assert not raised.value.permanent


def test_a_channel_slack_cannot_find_is_a_permanent_failure(
    slack: SlackEmulator, messenger: SlackMessenger
) -> None:
    with pytest.raises(DeliveryError) as raised:
        messenger.deliver(Notice(channel="C0GONE", message=REMINDER))

    assert raised.value.reason == "channel_not_found" and raised.value.permanent
    assert raised.value.retry_after is None


def test_a_server_error_is_worth_retrying(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    slack.fail("chat.postMessage", error="internal_error", status=500)

    with pytest.raises(DeliveryError) as raised:
        messenger.deliver(Notice(channel=channel, message=REMINDER))

    assert raised.value.reason == "internal_error" and not raised.value.permanent


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers: how a hung Slack looks."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/"


def test_a_timeout_is_worth_retrying(silent_server: str) -> None:
    client = WebClient(token="xoxb-sim-token", base_url=silent_server, timeout=1)

    with pytest.raises(DeliveryError) as raised:
        SlackMessenger(client).deliver(Notice(channel="C0LEADERS", message=REMINDER))

    assert raised.value.reason.startswith("cannot reach Slack")
    assert not raised.value.permanent and raised.value.retry_after is None


@pytest.mark.parametrize(
    "message",
    [
        REMINDER,
        MeetingReminder(
            set_name="A quiet Set",
            starts_at=FIRST_MEETING,
            timezone="Asia/Kolkata",
            session_minutes=90,
            when="in about an hour",
            reporting_back=(),
        ),
        MeetingAutoclosed(
            set_name="New team leaders",
            channel_id="C0LEADERS",
            timezone="Europe/London",
            planned_end=FIRST_MEETING + timedelta(hours=2),
            ended_at=FIRST_MEETING + timedelta(hours=2, minutes=30),
        ),
        SetExtendOrClose(
            set_id=7,
            set_name="x" * 80,
            timezone="America/Los_Angeles",
            last_meeting_at=FIRST_MEETING,
            meetings_held=1,
        ),
        *[
            DeliveryFailed(set_name="Set {a}", what="the meeting reminder", target=t, reason=r)
            for r in [*sorted(TELL_FACILITATORS), "restricted_action"]
            for t in ("C0LEADERS", ASHA)
        ],
    ],
    ids=lambda message: type(message).__name__,
)
def test_every_reminder_layout_is_one_slack_accepts(
    slack: SlackEmulator, channel: str, messenger: SlackMessenger, message: object
) -> None:
    messenger.deliver(Notice(user=DANA, message=message))

    assert [c.ok for c in slack.calls] == [True, True]


def form_a_set(store: Store, clock: ManualClock, channel: str) -> int:
    draft = sets.SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(DANA,),
        members=(ASHA, BEN),
        cadence=Cadence.weekly(count=2),
        first_at=FIRST_MEETING,
        timezone="Europe/London",
    )
    formed = sets.form_set(
        store, clock, team_id="T0SETBOT", created_by=DANA, draft=draft, channel_id=channel
    )
    with store.session() as session:
        learning_set = session.get(LearningSet, formed.learning_set.id)
        assert learning_set is not None and learning_set.id is not None
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())
        return learning_set.id


def test_the_day_before_reminder_reaches_the_sets_channel(
    store: Store, clock: ManualClock, slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    form_a_set(store, clock, channel)
    clock.set(FIRST_MEETING - timedelta(days=1))

    report = dispatch_due(store, messenger, clock)

    [posted] = slack.messages(channel)
    assert report.sent == 1 + 2 + 1  # and, privately, two prepare messages and Dana's digest
    assert "meets tomorrow: Sun 7 Feb 2027, 10:00 (GMT)" in posted.text


def test_a_channel_the_bot_was_removed_from_fails_once_and_dana_hears_why(
    store: Store, clock: ManualClock, slack: SlackEmulator, messenger: SlackMessenger
) -> None:
    for user, name in [(DANA, "dana"), (ASHA, "asha"), (BEN, "ben")]:
        slack.add_user(user, name=name)
    private = slack.add_channel("set-without-setbot", members=[DANA])
    form_a_set(store, clock, private)
    clock.set(FIRST_MEETING - timedelta(days=1))

    first = dispatch_due(store, messenger, clock)
    second = dispatch_due(store, messenger, clock)

    assert (first.failed, second.sent) == (1, 1)
    [note] = slack.calls_to("chat.postMessage")[-1:]
    assert note.ok and str(note.args["channel"]).startswith("D")
    assert "I can't see that channel any more" in str(note.args["blocks"])
    assert [(r.kind, r.last_error) for r in _rows(store) if r.status == OutboxStatus.FAILED] == [
        ("meeting_reminder", "channel_not_found")
    ]


def test_the_ticker_sends_what_is_due_without_being_asked(
    store: Store, clock: ManualClock, slack: SlackEmulator, channel: str, messenger: SlackMessenger
) -> None:
    form_a_set(store, clock, channel)
    clock.set(FIRST_MEETING - timedelta(hours=1))

    scheduler = start_ticker(store=store, messenger=messenger, clock=clock, every_seconds=0.2)
    try:
        slack.wait_for("chat.postMessage", within=5)
        eventually(lambda: _all_settled(store), within=5)
    finally:
        scheduler.shutdown(wait=True)

    # The day-before reminder was missed while the bot was "down": it still goes, late.
    assert len(slack.messages(channel)) == 2


def _rows(store: Store) -> list[OutboxMessage]:
    with store.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _all_settled(store: Store) -> None:
    due = [r for r in _rows(store) if r.due_at is not None and r.due_at <= FIRST_MEETING]
    assert due and all(r.status == OutboxStatus.SENT for r in due)
