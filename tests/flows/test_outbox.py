"""The dispatcher sends what is owed once, on time, and never loops on a fault.

A small recording messenger stands in for Slack: it keeps every notice it is given and
raises the faults a test tells it to, so these stories need no HTTP at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.clock import ManualClock
from bot.flows.notices import Notice, composer
from bot.flows.outbox import (
    DELIVERY_FAILED,
    MAX_ATTEMPTS,
    DeliveryError,
    DeliveryFailed,
    dispatch_due,
    dispatch_now,
)
from bot.store.db import Store
from bot.store.models import Membership, OutboxMessage, OutboxStatus, Role
from bot.store.outbox import owe, set_key
from tests.factories import TEAM, a_set

PING = "test_ping"
CHANNEL = "C0LEADERS"
FACILITATOR, CO_FACILITATOR = "U0FACIL", "U0COFAC"
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Ping:
    """The message a test row carries: just words."""

    text: str


@composer(PING)
def compose_ping(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """A test kind: `stale` rows are no longer useful, `explode` rows break the composer."""
    if row.payload.get("explode"):
        raise RuntimeError("the composer tripped over its own feet")
    if row.payload.get("stale"):
        return None
    return Notice(channel=row.target, message=Ping(str(row.payload.get("text", ""))))


class Crash(BaseException):
    """What a killed process looks like from inside: nothing after it runs."""


@dataclass
class RecordingMessenger:
    """Remembers every notice delivered; raises queued faults first, one per delivery."""

    delivered: list[Notice] = field(default_factory=list)
    faults: list[BaseException] = field(default_factory=list)
    # Called before each delivery: lets a test act "while Slack is being called".
    during: Callable[[Notice], None] | None = None

    def fail_next(self, error: BaseException, *, times: int = 1) -> None:
        self.faults += [error] * times

    def deliver(self, notice: Notice) -> None:
        if self.during is not None:
            self.during(notice)
        if self.faults:
            raise self.faults.pop(0)
        self.delivered.append(notice)

    @property
    def texts(self) -> list[str]:
        return [getattr(n.message, "text", repr(n.message)) for n in self.delivered]


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
def set_id(store: Store) -> int:
    """A Set with two facilitators, whose rows the dispatcher can report failures about."""
    found = a_set(store, channel_id=CHANNEL)
    with store.session() as session:
        for user in (FACILITATOR, CO_FACILITATOR):
            role = Role.FACILITATOR
            session.add(Membership(team_id=TEAM, set_id=found, user_id=user, role=role))
    return found


def owe_ping(store: Store, set_id: int, name: str, *, due_at: datetime, **payload: object) -> int:
    with store.session() as session:
        row = owe(
            session,
            team_id=TEAM,
            kind=PING,
            target=CHANNEL,
            due_at=due_at,
            key=set_key(set_id, "ping", name),
            payload={"text": name, **payload},
        )
        session.flush()
        assert row.id is not None
        return row.id


def row(store: Store, row_id: int) -> OutboxMessage:
    with store.session() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def rows_of_kind(store: Store, kind: str) -> list[OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def test_due_rows_are_sent_once_and_marked_sent(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    first = owe_ping(store, set_id, "first", due_at=clock.now() - timedelta(minutes=5))
    owe_ping(store, set_id, "second", due_at=clock.now())

    report = dispatch_due(store, messenger, clock)

    assert messenger.texts == ["first", "second"]
    assert (report.sent, report.dropped, report.retried, report.failed) == (2, 0, 0, 0)
    sent = row(store, first)
    assert sent.status == OutboxStatus.SENT and sent.sent_at == clock.now()
    assert sent.attempts == 1


def test_rows_not_yet_due_are_left_alone(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    later = owe_ping(store, set_id, "later", due_at=clock.now() + timedelta(seconds=1))

    report = dispatch_due(store, messenger, clock)

    assert messenger.delivered == [] and report.sent == 0
    untouched = row(store, later)
    assert untouched.status == OutboxStatus.PENDING and untouched.attempts == 0


def test_dispatching_twice_sends_nothing_twice(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    owe_ping(store, set_id, "once", due_at=clock.now())

    dispatch_due(store, messenger, clock)
    clock.advance(timedelta(hours=1))
    again = dispatch_due(store, messenger, clock)

    assert messenger.texts == ["once"] and again.sent == 0


def test_many_due_rows_go_out_in_due_order_across_batches(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    for minutes in (3, 1, 4, 2, 5):
        owe_ping(store, set_id, f"{minutes}", due_at=clock.now() - timedelta(minutes=minutes))

    report = dispatch_due(store, messenger, clock, batch=2)

    assert messenger.texts == ["5", "4", "3", "2", "1"] and report.sent == 5


def test_a_claim_left_by_a_crashed_process_is_sent_after_its_lease_expires(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    """The process dies inside Slack's call: its claim holds until the lease runs out."""
    row_id = owe_ping(store, set_id, "survivor", due_at=clock.now())
    messenger.fail_next(Crash())
    with pytest.raises(Crash):
        dispatch_due(store, messenger, clock, lease=LEASE)
    assert row(store, row_id).status == OutboxStatus.CLAIMED

    clock.advance(LEASE - timedelta(seconds=1))
    assert dispatch_due(store, messenger, clock, lease=LEASE).sent == 0
    clock.advance(timedelta(seconds=1))
    assert dispatch_due(store, messenger, clock, lease=LEASE).sent == 1

    assert messenger.texts == ["survivor"]
    assert row(store, row_id).attempts == 2


def test_a_delivery_that_outlives_its_lease_does_not_overwrite_the_newer_claim(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    """While the first process is stuck in Slack, a second one takes over and sends it.

    That is the at-least-once boundary: the row goes out twice, but the first process
    finds it no longer holds the row and leaves the second one's record alone.
    """
    row_id = owe_ping(store, set_id, "slow", due_at=clock.now())
    second = RecordingMessenger()
    stuck = RecordingMessenger()

    def another_process_takes_over(_notice: Notice) -> None:
        stuck.during = None
        clock.advance(LEASE)
        dispatch_due(store, second, clock, lease=LEASE)
        clock.advance(timedelta(minutes=1))

    stuck.during = another_process_takes_over
    dispatch_due(store, stuck, clock, lease=LEASE)

    assert second.texts == ["slow"] and stuck.texts == ["slow"]
    settled = row(store, row_id)
    assert settled.status == OutboxStatus.SENT
    assert settled.sent_at == clock.now() - timedelta(minutes=1)


def test_a_row_whose_lease_ran_out_before_its_turn_is_handed_back_untried(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    """Slack is so slow that the batch's lease runs out: the rest go in a fresh claim."""
    owe_ping(store, set_id, "slow", due_at=clock.now() - timedelta(minutes=1))
    waiting = owe_ping(store, set_id, "waiting", due_at=clock.now())

    def slack_takes_the_whole_lease(_notice: Notice) -> None:
        messenger.during = None
        clock.advance(LEASE)

    messenger.during = slack_takes_the_whole_lease
    report = dispatch_due(store, messenger, clock, batch=2, lease=LEASE)

    assert messenger.texts == ["slow", "waiting"] and report.sent == 2
    assert row(store, waiting).attempts == 1


def test_a_rate_limited_row_waits_out_retry_after_without_using_an_attempt(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "patient", due_at=clock.now())
    messenger.fail_next(DeliveryError("ratelimited", retry_after=30))

    report = dispatch_due(store, messenger, clock)

    waiting = row(store, row_id)
    assert report.retried == 1 and waiting.status == OutboxStatus.PENDING
    assert waiting.due_at == clock.now() + timedelta(seconds=30)
    assert waiting.attempts == 0 and waiting.last_error == "ratelimited"
    clock.advance(timedelta(seconds=29))
    assert dispatch_due(store, messenger, clock).sent == 0
    clock.advance(timedelta(seconds=1))
    assert dispatch_due(store, messenger, clock).sent == 1


def test_retry_after_zero_still_waits_a_second_so_nothing_spins(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "eager", due_at=clock.now())
    messenger.fail_next(DeliveryError("ratelimited", retry_after=0), times=100)

    report = dispatch_due(store, messenger, clock)

    assert report.retried == 1 and len(messenger.faults) == 99
    assert row(store, row_id).due_at == clock.now() + timedelta(seconds=1)


def test_temporary_errors_back_off_then_fail_after_max_attempts(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "unlucky", due_at=clock.now())
    messenger.fail_next(DeliveryError("internal_error"), times=MAX_ATTEMPTS)
    waits = []

    while row(store, row_id).status == OutboxStatus.PENDING:
        dispatch_due(store, messenger, clock)
        after = row(store, row_id)
        if after.status == OutboxStatus.PENDING:
            assert after.due_at is not None
            waits.append(after.due_at - clock.now())
            clock.set(after.due_at)

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    failed = row(store, row_id)
    assert failed.status == OutboxStatus.FAILED and failed.attempts == MAX_ATTEMPTS
    assert failed.last_error == f"internal_error (gave up after {MAX_ATTEMPTS} attempts)"
    assert messenger.delivered == [] and rows_of_kind(store, DELIVERY_FAILED) == []


def test_a_permanent_error_fails_the_row_and_tells_each_facilitator_once(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "lost", due_at=clock.now())
    messenger.fail_next(DeliveryError("channel_not_found", permanent=True))

    report = dispatch_due(store, messenger, clock)

    failed = row(store, row_id)
    assert report.failed == 1 and failed.status == OutboxStatus.FAILED
    assert failed.last_error == "channel_not_found" and failed.attempts == 1
    notes = rows_of_kind(store, DELIVERY_FAILED)
    assert sorted(n.target for n in notes) == [CO_FACILITATOR, FACILITATOR]
    assert {n.dedupe_key for n in notes} == {
        set_key(set_id, "failed", row_id, FACILITATOR),
        set_key(set_id, "failed", row_id, CO_FACILITATOR),
    }
    # The notes are due now (09:00 in London is a waking hour), so they go next tick.
    dispatch_due(store, messenger, clock)
    assert sorted(n.user or "" for n in messenger.delivered) == [CO_FACILITATOR, FACILITATOR]
    told = messenger.delivered[0].message
    assert isinstance(told, DeliveryFailed) and told.reason == "channel_not_found"
    assert told.target == CHANNEL and told.set_name == "New team leaders"


def test_a_note_that_cannot_be_delivered_starts_no_chain_of_notes(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    owe_ping(store, set_id, "lost", due_at=clock.now())
    messenger.fail_next(DeliveryError("channel_not_found", permanent=True))
    dispatch_due(store, messenger, clock)

    messenger.fail_next(DeliveryError("user_not_found", permanent=True), times=2)
    dispatch_due(store, messenger, clock)

    notes = rows_of_kind(store, DELIVERY_FAILED)
    assert [n.status for n in notes] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    assert dispatch_due(store, messenger, clock).sent == 0


def test_a_row_whose_composer_says_none_is_dropped(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "stale", due_at=clock.now(), stale=True)

    report = dispatch_due(store, messenger, clock)

    dropped = row(store, row_id)
    assert report.dropped == 1 and messenger.delivered == []
    assert dropped.status == OutboxStatus.CANCELLED and dropped.last_error == "no longer useful"


def test_a_composer_that_raises_is_retried_later_not_fatal(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    broken = owe_ping(store, set_id, "broken", due_at=clock.now(), explode=True)
    owe_ping(store, set_id, "fine", due_at=clock.now())

    report = dispatch_due(store, messenger, clock)

    assert messenger.texts == ["fine"] and report.retried == 1
    retried = row(store, broken)
    assert retried.status == OutboxStatus.PENDING
    assert retried.last_error == "RuntimeError: the composer tripped over its own feet"


def test_owing_the_same_key_twice_moves_the_row_instead_of_doubling_it(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    first = owe_ping(store, set_id, "moved", due_at=clock.now() + timedelta(hours=1))
    second = owe_ping(store, set_id, "moved", due_at=clock.now())

    dispatch_due(store, messenger, clock)
    clock.advance(timedelta(hours=2))
    dispatch_due(store, messenger, clock)

    assert first == second and messenger.texts == ["moved"]


def test_cancelled_rows_are_never_sent(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    row_id = owe_ping(store, set_id, "called off", due_at=clock.now())
    with store.session() as session:
        cancelled = session.get(OutboxMessage, row_id)
        assert cancelled is not None
        cancelled.status = OutboxStatus.CANCELLED
        session.add(cancelled)

    report = dispatch_due(store, messenger, clock)

    assert messenger.delivered == [] and report.sent == 0
    assert row(store, row_id).status == OutboxStatus.CANCELLED


def test_a_row_of_an_unknown_kind_fails_with_a_clear_reason(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    with store.session() as session:
        unknown = owe(
            session,
            team_id=TEAM,
            kind="carrier_pigeon",
            target=CHANNEL,
            due_at=clock.now(),
            key=set_key(set_id, "pigeon"),
        )
        session.flush()
        row_id = unknown.id
    assert row_id is not None

    report = dispatch_due(store, messenger, clock)

    failed = row(store, row_id)
    assert report.failed == 1 and failed.status == OutboxStatus.FAILED
    assert failed.last_error == "no composer for outbox kind 'carrier_pigeon'"
    assert rows_of_kind(store, DELIVERY_FAILED) == []


def test_a_request_sends_at_once_only_what_it_owed_under_its_prefix(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    owe_ping(store, set_id, "mine", due_at=clock.now())
    owe_ping(store, set_id + 1000, "another set's", due_at=clock.now())
    owe_ping(store, set_id, "mine later", due_at=clock.now() + timedelta(minutes=5))

    report = dispatch_now(
        store, messenger, clock, team_id=TEAM, prefix=set_key(set_id, "ping", "mine")
    )

    assert messenger.texts == ["mine"]
    assert report.sent == 1


def test_what_a_killed_request_owed_is_sent_by_the_next_one_after_its_short_lease(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, set_id: int
) -> None:
    owe_ping(store, set_id, "card", due_at=clock.now())
    dying = RecordingMessenger()
    dying.during = lambda _notice: (_ for _ in ()).throw(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):  # the process is stopped mid-delivery
        dispatch_now(store, dying, clock, team_id=TEAM, prefix=set_key(set_id, "ping"))

    clock.advance(timedelta(seconds=5))
    assert dispatch_due(store, messenger, clock).sent == 0  # still its claim
    clock.advance(timedelta(seconds=6))
    assert dispatch_due(store, messenger, clock).sent == 1
    assert messenger.texts == ["card"]
