"""When Slack or the database fails for a moment, nobody is left guessing and nothing is half-done.

The New team leaders Set meets on the first Tuesday of February. While its members use
setbot, Slack drops a connection, answers 500, takes longer than the bot will wait, or
rate-limits it beyond what the client will wait out; or the database refuses work for a
moment. Each time the person is told plainly to try again, every record is whole or
absent (each change is one transaction), and once the fault clears, trying again — or the
outbox's next tick, for reminders — finishes the job exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture
from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.scheduler import tick
from bot.sim import SlackDriver, SlackEmulator
from bot.sim.driver import Response
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    Commitment,
    Contribution,
    OutboxMessage,
    OutboxStatus,
    SeenEvent,
)
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui.help import slack_trouble_reply, sorry_reply
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.factories import a_set_in_its_channel

FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
MEMBERS = (ASHA, BEN, CARA)
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
# The bot gives up on Slack after this long here (Slack's own limit for an ack is 3 s)...
CLIENT_TIMEOUT = 0.5
# ...and a stalled answer comes after this long: too late.
STALL = 1.5

# Each fault as Slack would show it, strong enough that the client's own retries give up:
# it tries a dropped connection once more, and waits out two Retry-Afters.
FAULTS: dict[str, dict[str, Any]] = {
    "connection-dropped": {"drop": True, "times": 2},
    "http-500": {"status": 500, "error": "internal_error"},
    "timeout": {"stall": STALL},
    "rate-limited": {"status": 429, "error": "ratelimited", "retry_after": 1, "times": 3},
}


class RetryingSlack(SlackDriver):
    """Slack's side, able to send the last request again as Slack retries an event."""

    last: tuple[str, str] = ("", "")

    def send(self, body: str, content_type: str, **kwargs: Any) -> Response:
        self.last = (body, content_type)
        return super().send(body, content_type, **kwargs)

    def retry_last(self, retry_num: int = 1) -> Response:
        body, content_type = self.last
        headers: Mapping[str, str] = {
            "X-Slack-Retry-Num": str(retry_num),
            "X-Slack-Retry-Reason": "http_error",
        }
        return super().send(body, content_type, headers=headers)


class DatabaseOutage:
    """The database refuses new connections for a while, as when it restarts.

    The one seam: the engine hands out every connection through `raw_connection`; during
    an outage that raises OperationalError, as the driver does when the server is away.
    """

    def __init__(self, store: Store, mocker: MockerFixture) -> None:
        self._connect = store.engine.raw_connection
        self._away = False
        self.refused = 0
        mocker.patch.object(store.engine, "raw_connection", side_effect=self._maybe_connect)

    @contextmanager
    def during(self) -> Iterator[None]:
        self._away = True
        try:
            yield
        finally:
            self._away = False

    def _maybe_connect(self, *args: Any, **kwargs: Any) -> Any:
        if self._away:
            self.refused += 1
            raise OperationalError("connect", None, ConnectionRefusedError("restarting"))
        return self._connect(*args, **kwargs)


@pytest.fixture
def driver(bot: RunningBot, slack: SlackEmulator) -> RetryingSlack:
    """The bot waits for Slack no longer than CLIENT_TIMEOUT, so a stalled call times out."""
    bot.app.client.timeout = CLIENT_TIMEOUT
    return RetryingSlack(url=bot.events_url, signing_secret=SIGNING_SECRET, emulator=slack)


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """The Set, formed in January; everyone has agreed the ground rules."""
    for user in (FRAN, *MEMBERS):
        slack.add_user(user, name=user[3:].lower())
    return a_set_in_its_channel(
        store, clock, slack, facilitator=FRAN, members=MEMBERS, first_at=MEETING_DAY
    )


@pytest.fixture
def outage(store: Store, mocker: MockerFixture) -> DatabaseOutage:
    return DatabaseOutage(store, mocker)


# -- Slack fails while someone acts ---------------------------------------------------------


@pytest.mark.parametrize("fault", list(FAULTS))
def test_asha_is_told_to_try_again_when_slack_fails_to_open_her_form_and_nothing_is_saved(
    channel: str, driver: RetryingSlack, slack: SlackEmulator, store: Store, fault: str
) -> None:
    slack.fail("views.open", **FAULTS[fault])

    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)

    told = slack.wait_for("response_url", within=STALL + 3)
    assert told.args["text"] == slack_trouble_reply().text
    assert _count(store, Commitment) == 0

    # A minute later Slack is back: she tries again, and commits once.
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
    )
    assert _count(store, Commitment) == 1


@pytest.mark.parametrize(
    "fault",
    [{"drop": True, "times": 1}, {"status": 429, "error": "ratelimited", "retry_after": 1}],
    ids=["one-dropped-connection", "one-short-rate-limit"],
)
def test_a_brief_fault_is_ridden_out_and_asha_never_notices(
    channel: str, driver: RetryingSlack, slack: SlackEmulator, fault: dict[str, Any]
) -> None:
    slack.fail("views.open", **fault)

    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)

    opened = slack.calls_to("views.open")
    assert [call.ok for call in opened] == [False, True]
    assert slack.calls_to("response_url") == []


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_check_in_slack_did_not_show_is_kept_and_pressing_again_shows_it(
    channel: str,
    driver: RetryingSlack,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    fault: str,
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _card(slack, channel)
    before = _shown(slack, channel, card)
    slack.fail("chat.update", **FAULTS[fault])

    driver.block_action(meeting_ui.CHECK_IN_PRESENT, user=ASHA, channel=channel, message_ts=card)

    told = slack.wait_for("response_url", within=STALL + 3)
    assert told.args["text"] == slack_trouble_reply().text
    assert _shown(slack, channel, card) == before, "the card could not be updated"

    # Her check-in was saved whole; pressing again changes nothing but the card.
    driver.block_action(meeting_ui.CHECK_IN_PRESENT, user=ASHA, channel=channel, message_ts=card)
    with store.session() as session:
        [here] = session.exec(select(Attendance)).all()
    assert (here.user_id, here.status) == (ASHA, "present")
    assert _shown(slack, channel, card) != before, "now the card shows her here"


# -- The database is away for a moment -------------------------------------------------------


def test_a_commitment_submitted_while_the_database_restarts_is_not_lost_or_doubled(
    channel: str,
    driver: RetryingSlack,
    slack: SlackEmulator,
    store: Store,
    outage: DatabaseOutage,
) -> None:
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    slack.wait_for("views.open")
    owed_before = _count(store, OutboxMessage)

    with outage.during():
        refused = driver.submit_form(
            actions_ui.COMMIT_VIEW,
            user=ASHA,
            answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
        )

    assert (
        outage.refused > 0 and refused.status == 500
    )  # Slack keeps the form open and says it went wrong
    sorry = slack.wait_for("chat.postMessage", where=lambda c: c.args["text"] == sorry_reply().text)
    assert sorry.args["channel"].startswith("D")
    assert (_count(store, Commitment), _count(store, OutboxMessage)) == (0, owed_before)

    # The database is back: she submits the same form again, and it is saved once.
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
    )
    assert _count(store, Commitment) == 1
    assert _count(store, OutboxMessage) > owed_before, "its reminders are owed with it"


def test_a_commitment_whose_transaction_breaks_half_way_leaves_no_trace(
    channel: str, driver: RetryingSlack, slack: SlackEmulator, store: Store
) -> None:
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    slack.wait_for("views.open")
    owed_before = _count(store, OutboxMessage)

    with _database_lost_at(store, "INSERT INTO outbox"):
        driver.submit_form(
            actions_ui.COMMIT_VIEW,
            user=ASHA,
            answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
        )

    slack.wait_for("chat.postMessage", where=lambda c: c.args["text"] == sorry_reply().text)
    assert (_count(store, Commitment), _count(store, OutboxMessage)) == (0, owed_before)


def test_a_thread_message_heard_while_the_database_is_away_counts_once_slacks_retry_arrives(
    channel: str,
    driver: RetryingSlack,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    outage: DatabaseOutage,
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _round_root(slack, channel)

    with outage.during():
        first = driver.message(channel, "What have you tried so far?", user=BEN, thread_ts=root)

    assert first.status == 500, "Slack hears it failed, and will send it again"
    assert _count(store, Contribution) == 0
    assert driver.retry_last(1).status == 200
    assert driver.retry_last(2).status == 200  # a late retry of what is now done: nothing
    assert _count(store, Contribution) == 1


def test_slacks_retry_of_a_message_already_heard_is_acknowledged_and_noted_without_its_words(
    channel: str,
    driver: RetryingSlack,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _round_root(slack, channel)
    driver.message(channel, "Have you tried just telling them?", user=CARA, thread_ts=root)
    hints = len(slack.calls_to("chat.postEphemeral"))

    with caplog.at_level(logging.DEBUG, logger="setbot.retries"):
        retried = driver.retry_last(1)

    assert retried.status == 200 and retried.body == ""
    assert _count(store, Contribution) == 1
    assert len(slack.calls_to("chat.postEphemeral")) == hints, "no second hint"
    [noted] = caplog.records
    event_id = json.loads(driver.last[0])["event_id"]
    assert event_id in noted.getMessage() and "retry 1" in noted.getMessage()
    assert "telling them" not in caplog.text


def test_a_thread_message_whose_work_fails_is_done_by_slacks_retry(
    channel: str, driver: RetryingSlack, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    """An event is recorded with its work, so when the work is lost the record is too."""
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _round_root(slack, channel)

    with _database_lost_at(store, "INSERT INTO contribution"):
        first = driver.message(channel, "What have you tried so far?", user=BEN, thread_ts=root)

    assert first.status == 500
    assert _count(store, Contribution) == 0
    assert driver.retry_last(1).status == 200
    assert _count(store, Contribution) == 1
    assert _count(store, SeenEvent) > 0


# -- The outbox catches up -------------------------------------------------------------------


@pytest.mark.parametrize("fault", list(FAULTS))
def test_reminders_due_while_slack_fails_go_out_once_when_it_is_back(
    channel: str,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
    fault: str,
) -> None:
    messenger = SlackMessenger(_impatient_client(settings))
    clock.set(_first_due(store))
    due = _pending_due_by(store, clock.now())
    slack.fail("chat.postMessage", **{**FAULTS[fault], "times": 3 * due})

    during = tick(store=store, messenger=messenger, clock=clock)

    assert during is not None and during.sent == 0 and during.retried == due
    slack.fail("chat.postMessage", times=0)  # Slack is back
    for minutes in (10, 20, 40):
        clock.set(clock.now() + timedelta(minutes=minutes))
        tick(store=store, messenger=messenger, clock=clock)
    posted = [call for call in slack.calls_to("chat.postMessage") if call.ok]
    assert len(posted) == due == _count(store, OutboxMessage, status=OutboxStatus.SENT)


def test_reminders_due_while_the_database_restarts_go_out_once_it_is_back(
    channel: str,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
    outage: DatabaseOutage,
) -> None:
    messenger = SlackMessenger(_impatient_client(settings))
    clock.set(_first_due(store))
    due = _pending_due_by(store, clock.now())

    with outage.during():
        during = tick(store=store, messenger=messenger, clock=clock)

    assert during is None, "the tick gave up quietly, to try again next time"
    assert slack.calls_to("chat.postMessage") == []
    clock.set(clock.now() + timedelta(seconds=30))
    after = tick(store=store, messenger=messenger, clock=clock)
    again = tick(store=store, messenger=messenger, clock=clock)
    assert after is not None and after.sent == due
    assert again is not None and again.sent == 0
    assert len(slack.calls_to("chat.postMessage")) == due


def test_deliveries_are_forgotten_a_day_later(
    channel: str,
    driver: RetryingSlack,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
) -> None:
    driver.slash_command("/set", "", user_id=ASHA, channel_id=channel)
    assert _count(store, SeenEvent) == 1
    messenger = SlackMessenger(_impatient_client(settings))

    clock.set(clock.now() + timedelta(hours=23))
    tick(store=store, messenger=messenger, clock=clock)
    assert _count(store, SeenEvent) == 1
    clock.set(clock.now() + timedelta(hours=2))
    tick(store=store, messenger=messenger, clock=clock)
    assert _count(store, SeenEvent) == 0


# -- helpers ---------------------------------------------------------------------------------


class _database_lost_at:
    """The database goes away just as a statement starting with `words` is sent."""

    def __init__(self, store: Store, words: str) -> None:
        self._engine = store.engine
        self._words = words

    def __enter__(self) -> None:
        event.listen(self._engine, "before_cursor_execute", self._lose)

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._lose)

    def _lose(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(self._words.upper()):
            raise OperationalError(statement, None, ConnectionResetError("server closed"))


def _impatient_client(settings: Settings) -> WebClient:
    client = web_client(settings)
    client.timeout = CLIENT_TIMEOUT
    return client


def _count(store: Store, table: type[Any], **where: object) -> int:
    with store.session() as session:
        query = select(table)
        for name, value in where.items():
            query = query.where(col(getattr(table, name)) == value)
        return len(session.exec(query).all())


def _first_due(store: Store) -> datetime:
    with store.session() as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        ).all()
    return min(row.due_at for row in rows if row.due_at is not None)


def _pending_due_by(store: Store, now: datetime) -> int:
    with store.session() as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        ).all()
    return sum(1 for row in rows if row.due_at is not None and row.due_at <= now)


def _card(slack: SlackEmulator, channel: str) -> str:
    slack.wait_for("chat.postMessage", where=lambda c: "under way" in c.args["text"])
    return next(m.ts for m in slack.messages(channel) if "under way" in m.text)


def _shown(slack: SlackEmulator, channel: str, ts: str) -> str:
    return str(next(m.blocks for m in slack.messages(channel) if m.ts == ts))


def _round_root(slack: SlackEmulator, channel: str) -> str:
    slack.wait_for("chat.postMessage", where=lambda c: "<@U0ASHA>'s round" in c.args["text"])
    return next(m.ts for m in slack.messages(channel) if "<@U0ASHA>'s round" in m.text)
