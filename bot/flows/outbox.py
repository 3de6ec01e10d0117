"""The dispatcher: send what the outbox owes now, once, whichever process gets there first.

Rows are claimed in a short transaction (on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`,
so processes claiming at once take different rows; SQLite ignores the locking clause and
serves one process). A claim sets status `claimed`, a lease (`claimed_until`) and one more
attempt. Delivery happens outside any transaction; its outcome is written only if the row
is still held by this claim, its `claimed_until` acting as the claim's token, so a row
re-claimed by another process after the lease ran out is never settled twice.

Delivery is at least once: a process that dies after Slack accepted a message but before
the row was marked sent leaves that one row to be sent again when its lease expires, and
so does a delivery stuck for longer than the lease. Otherwise each row is sent once.
Faults never make a busy loop: a rate limit waits out Retry-After, other temporary errors
back off exponentially and give up after MAX_ATTEMPTS, and permanent ones fail at once
and tell the Set's facilitators, once.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, true, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.meeting_reminders import MEETING_REMINDER, facilitators_of, next_allowed
from bot.flows.notices import AFTER_SENT, COMPOSERS, Notice, composer
from bot.flows.reminder_preferences import Held, held, with_controls
from bot.store.db import Store
from bot.store.models import LearningSet, OutboxMessage, OutboxStatus, SetStatus
from bot.store.outbox import owe, set_key

log = logging.getLogger("setbot.outbox")

# Modules whose import registers composers: loaded before every dispatch, so a kind is
# never failed as "unknown" just because nothing had imported its flow yet.
COMPOSER_MODULES: tuple[str, ...] = (
    "bot.flows.meeting_reminders",
    "bot.flows.commitments",
    "bot.flows.rounds",
    "bot.flows.learning_log",
    "bot.flows.async_meetings",
    "bot.flows.announcements",
    "bot.flows.reminder_preferences",
)

DELIVERY_FAILED = "delivery_failed"
# Attempts a row gets before it is given up on (rate limits don't use one up).
MAX_ATTEMPTS = 6
# Temporary errors wait 1, 2, 4, 8 … minutes before the next attempt.
BACKOFF_BASE = timedelta(minutes=1)
# Never retry sooner than this, even when Slack says Retry-After: 0.
MIN_RETRY_AFTER = timedelta(seconds=1)
# Slack errors that no retry will mend and that a facilitator can put right.
TELL_FACILITATORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "user_disabled",
        "account_inactive",
    }
)
# `last_error` holds 500 characters.
ERROR_LIMIT = 500
# How the facilitators' note names what could not be delivered.
KIND_WORDS = {
    MEETING_REMINDER: "the meeting reminder",
    DELIVERY_FAILED: "a note to a facilitator",
    "commitment_nudge": "a nudge about an action",
    "commitment_due": "a reminder that an action is due",
    "round_time_note": "a note about a round's time",
    "round_time_up": "a note that a round's time was up",
    "meeting_prepare": "the message asking what they'll bring",
    "facilitator_digest": "the facilitator's digest",
}


class DeliveryError(Exception):
    """Why a notice was not delivered, and what the dispatcher should do about it."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        # A short reason, such as Slack's error code: kept in `last_error`.
        self.reason = reason
        # Seconds Slack asked us to wait (a rate limit); None for other errors.
        self.retry_after = retry_after
        # True when trying again cannot help (the channel is gone).
        self.permanent = permanent


class Messenger(Protocol):
    """The outbound side: delivers a notice now, or raises DeliveryError.

    Returns the delivered message's Slack ts where there is one.
    """

    def deliver(self, notice: Notice) -> str | None: ...


class Outcome(StrEnum):
    SENT = "sent"
    DROPPED = "dropped"
    RETRIED = "retried"
    FAILED = "failed"
    # The lease ran out before delivery began: the row was handed back, untried.
    SKIPPED = "skipped"
    # The reader can't be reached now (their hours, or away): it waits for them.
    HELD = "held"


@dataclass
class DispatchReport:
    """What one dispatch did, by outcome."""

    sent: int = 0
    dropped: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome is not Outcome.SKIPPED:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def __str__(self) -> str:
        said = (
            f"{self.sent} sent, {self.dropped} dropped, "
            f"{self.retried} retried, {self.failed} failed"
        )
        return said + (f", {self.held} held for their readers" if self.held else "")


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed:
    """To a facilitator: something the Set was owed could not be delivered, and why."""

    set_name: str
    what: str
    target: str
    reason: str


@dataclass(frozen=True)
class _Claim:
    """A row this process holds: as it was when claimed (a claimed row is never rewritten)."""

    row: OutboxMessage
    # The claimed_until this claim wrote: only the holder of the claim knows it.
    token: datetime

    @property
    def id(self) -> int | None:
        return self.row.id

    @property
    def attempts(self) -> int:
        return self.row.attempts


def load_composers(modules: tuple[str, ...] = COMPOSER_MODULES) -> None:
    for name in modules:
        importlib.import_module(name)


def dispatch_due(
    store: Store,
    messenger: Messenger,
    clock: Clock,
    *,
    batch: int = 50,
    lease: timedelta = timedelta(minutes=2),
) -> DispatchReport:
    """Claim and deliver everything due as of now, batch by batch, until nothing is left.

    Only rows due by the time this call began are taken, and a retried row is always
    due later than that, so one call never spins on a failing row. A row whose lease
    runs out before its turn (a slow Slack) is handed back untried, not sent late.
    """
    if batch < 1 or lease <= timedelta(0):
        raise ValueError("dispatch needs a batch of at least one and a positive lease")
    load_composers()
    report = DispatchReport()
    cutoff = clock.now()
    while True:
        claims = _claim(store, cutoff=cutoff, now=clock.now(), batch=batch, lease=lease)
        for claim in claims:
            report.count(_settle_one(store, messenger, clock, claim))
        if len(claims) < batch:
            return report


def dispatch_now(
    store: Store,
    messenger: Messenger,
    clock: Clock,
    *,
    team_id: str,
    prefix: str,
    lease: timedelta = timedelta(seconds=10),
) -> DispatchReport:
    """Deliver at once what one request owed under `prefix`, and what that delivery owes next.

    A request that changes what a Set sees (a round opened, moved on, closed; a meeting
    started or ended) owes its messages in the same transaction as the change, then
    sends them here before answering Slack. If the process dies first, the rows are still
    owed, and any process's ticker sends them: the channel never misses a message the
    store says was said. The short lease lets another process take over quickly.
    """
    load_composers()
    report = DispatchReport()
    mine = and_(
        col(OutboxMessage.team_id) == team_id, col(OutboxMessage.dedupe_key).startswith(prefix)
    )
    while True:
        now = clock.now()
        claims = _claim(store, cutoff=now, now=now, batch=10, lease=lease, where=mine)
        for claim in claims:
            report.count(_settle_one(store, messenger, clock, claim))
        if not claims:
            return report


def _claimable(cutoff: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a process whose lease has run out."""
    return or_(
        and_(
            col(OutboxMessage.status) == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= cutoff
        ),
        and_(
            col(OutboxMessage.status) == OutboxStatus.CLAIMED,
            col(OutboxMessage.claimed_until) <= cutoff,
        ),
    )


def _claim(
    store: Store,
    *,
    cutoff: datetime,
    now: datetime,
    batch: int,
    lease: timedelta,
    where: ColumnElement[bool] | None = None,
) -> list[_Claim]:
    """Take up to `batch` due rows, soonest first: locked rows are skipped, the update re-checks.

    RETURNING names exactly the rows this statement took, so even without row locks
    (SQLite) two claimers can never both believe they hold a row.
    """
    token = now + lease
    with store.session() as session:
        ids = session.exec(
            select(OutboxMessage.id)
            .where(_claimable(cutoff), true() if where is None else where)
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return []
        taken = session.scalars(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), _claimable(cutoff))
            .values(
                status=OutboxStatus.CLAIMED,
                claimed_until=token,
                attempts=col(OutboxMessage.attempts) + 1,
            )
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        ).all()
    position = {row_id: index for index, row_id in enumerate(ids)}
    return [_Claim(row, token) for row in sorted(taken, key=lambda row: position[row.id])]


def _settle_one(store: Store, messenger: Messenger, clock: Clock, claim: _Claim) -> Outcome:
    """Compose, deliver and record one claimed row; nothing here escapes to the caller."""
    if clock.now() >= claim.token:
        return _release(store, claim)
    if claim.attempts > MAX_ATTEMPTS:
        return _fail(store, claim, clock.now(), f"gave up after {MAX_ATTEMPTS} attempts")
    compose = COMPOSERS.get(claim.row.kind)
    if compose is None:
        return _fail(store, claim, clock.now(), f"no composer for outbox kind {claim.row.kind!r}")
    with store.session() as session:
        hold = held(session, claim.row, clock.now())
    if hold is not None:
        return _hold(store, claim, hold)
    try:
        with store.session() as session:
            notice = compose(session, claim.row, clock.now())
    except Exception as error:
        log.exception("outbox row %s: composing failed", claim.id)
        return _after_error(store, claim, clock.now(), DeliveryError(_describe(error)))
    if notice is None:
        return _drop(store, claim)
    return _deliver(store, messenger, clock, claim, with_controls(notice, claim.row))


def _deliver(
    store: Store, messenger: Messenger, clock: Clock, claim: _Claim, notice: Notice
) -> Outcome:
    try:
        ts = messenger.deliver(replace(notice, team_id=claim.row.team_id))
    except DeliveryError as error:
        return _after_error(store, claim, clock.now(), error)
    except Exception as error:
        log.exception("outbox row %s: the messenger raised", claim.id)
        return _after_error(store, claim, clock.now(), DeliveryError(_describe(error)))
    with store.session() as session:
        if not _settle(session, claim, status=OutboxStatus.SENT, sent_at=clock.now()):
            log.warning("outbox row %s was sent, but another dispatcher holds it now", claim.id)
        elif ts is not None and claim.row.kind in AFTER_SENT:
            AFTER_SENT[claim.row.kind](session, claim.row, ts, clock.now())
    return Outcome.SENT


def _release(store: Store, claim: _Claim) -> Outcome:
    """Hand back, untried and with its attempt refunded, a row whose lease ran out.

    Another process may already have taken it: then the conditional update does nothing.
    """
    log.warning("outbox row %s: lease ran out before its turn; handed back", claim.id)
    with store.session() as session:
        _settle(
            session,
            claim,
            status=OutboxStatus.PENDING,
            claimed_until=None,
            attempts=claim.attempts - 1,
        )
    return Outcome.SKIPPED


def _hold(store: Store, claim: _Claim, hold: Held) -> Outcome:
    """As the reader chose: a kind they stopped is cancelled; else it waits, attempt refunded."""
    with store.session() as session:
        if hold.until is None:
            _settle(session, claim, status=OutboxStatus.CANCELLED, last_error="they stopped these")
            return Outcome.DROPPED
        _settle(
            session,
            claim,
            status=OutboxStatus.PENDING,
            due_at=hold.until,
            claimed_until=None,
            attempts=claim.attempts - 1,
        )
    return Outcome.HELD


def _drop(store: Store, claim: _Claim) -> Outcome:
    log.info("outbox row %s (%s) dropped: no longer useful", claim.id, claim.row.dedupe_key)
    with store.session() as session:
        _settle(session, claim, status=OutboxStatus.CANCELLED, last_error="no longer useful")
    return Outcome.DROPPED


def _fail(
    store: Store, claim: _Claim, now: datetime, reason: str, *, tell: bool = False
) -> Outcome:
    """Give the row up for good; a Slack refusal a facilitator can mend is told to them."""
    log.warning("outbox row %s failed: %s", claim.id, reason)
    with store.session() as session:
        won = _settle(session, claim, status=OutboxStatus.FAILED, last_error=_clip(reason))
        if won and tell and reason in TELL_FACILITATORS:
            tell_facilitators(session, failed=claim.row, reason=reason, now=now)
    return Outcome.FAILED


def _after_error(store: Store, claim: _Claim, now: datetime, error: DeliveryError) -> Outcome:
    """Permanent: fail. Rate limited: wait as asked, no attempt used. Else: back off."""
    if error.permanent:
        return _fail(store, claim, now, error.reason, tell=True)
    if error.retry_after is not None:
        wait = max(timedelta(seconds=error.retry_after), MIN_RETRY_AFTER)
        return _retry(store, claim, due_at=now + wait, reason=error.reason, refund=True)
    if claim.attempts >= MAX_ATTEMPTS:
        return _fail(store, claim, now, f"{error.reason} (gave up after {claim.attempts} attempts)")
    wait = BACKOFF_BASE * 2 ** (claim.attempts - 1)
    return _retry(store, claim, due_at=now + wait, reason=error.reason, refund=False)


def _retry(store: Store, claim: _Claim, *, due_at: datetime, reason: str, refund: bool) -> Outcome:
    log.info("outbox row %s will be retried at %s: %s", claim.id, due_at.isoformat(), reason)
    attempts = claim.attempts - 1 if refund else claim.attempts
    with store.session() as session:
        _settle(
            session,
            claim,
            status=OutboxStatus.PENDING,
            due_at=due_at,
            claimed_until=None,
            attempts=attempts,
            last_error=_clip(reason),
        )
    return Outcome.RETRIED


def _settle(session: Session, claim: _Claim, **values: Any) -> bool:
    """Write the outcome only if this claim still holds the row; True if it did."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == claim.id,
            col(OutboxMessage.status) == OutboxStatus.CLAIMED,
            col(OutboxMessage.claimed_until) == claim.token,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


# -- telling the facilitators -------------------------------------------------------------


def set_id_of_key(key: str) -> int | None:
    """The Set a dedupe key belongs to (`set:42:…` → 42), or None for a key of no Set."""
    prefix, _, rest = key.partition(":")
    number = rest.partition(":")[0]
    return int(number) if prefix == "set" and number.isdigit() else None


def tell_facilitators(
    session: Session, *, failed: OutboxMessage, reason: str, now: datetime
) -> list[OutboxMessage]:
    """Owe each facilitator one private note about a row that could not be delivered.

    Never about a note that itself failed, and never to the person it failed to reach.
    """
    set_id = set_id_of_key(failed.dedupe_key)
    learning_set = session.get(LearningSet, set_id) if set_id is not None else None
    if failed.kind == DELIVERY_FAILED or learning_set is None or set_id is None:
        return []
    payload: dict[str, object] = {
        "set_id": set_id,
        "failed_id": failed.id,
        "kind": failed.kind,
        "target": failed.target,
        "reason": reason,
    }
    due = next_allowed(now, learning_set.timezone)
    return [
        owe(
            session,
            team_id=failed.team_id,
            kind=DELIVERY_FAILED,
            target=user_id,
            due_at=due,
            key=set_key(set_id, "failed", failed.id, user_id),
            payload=payload,
        )
        for user_id in facilitators_of(session, set_id=set_id)
        if user_id != failed.target
    ]


@composer(DELIVERY_FAILED)
def compose_delivery_failed(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The note, unless the Set has closed or the reader no longer facilitates it."""
    set_id = set_id_of_key(row.dedupe_key)
    learning_set = session.get(LearningSet, set_id) if set_id is not None else None
    if learning_set is None or set_id is None or learning_set.team_id != row.team_id:
        return None
    if learning_set.status != SetStatus.ACTIVE:
        return None
    if row.target not in facilitators_of(session, set_id=set_id):
        return None
    kind = str(row.payload.get("kind", ""))
    message = DeliveryFailed(
        set_name=learning_set.name,
        what=KIND_WORDS.get(kind, "a reminder"),
        target=str(row.payload.get("target", "")),
        reason=str(row.payload.get("reason", "")),
    )
    return Notice(user=row.target, message=message)
