"""Slack deliveries already handled: a copy finds its first delivery here and does nothing.

Each delivery is named by a key: an event's `event_id`, or an interaction's trigger id.

An event is recorded in the same transaction as the first change its handling stores,
so the record and the work are kept or lost together. Slack sends an event again when
it heard no answer: if the bot died half-way, nothing was recorded and the retry does
the work; if the work was stored, the retry finds it and does nothing. A copy handled
at the same moment as its original meets the original's row when it stores its own
work, and that work is rolled back (`AlreadyHandled`).

Interactions and commands are recorded as they arrive, in their own short transaction.
Slack never sends them again: a person who tries again makes a fresh trigger id. Only a
redelivery of the very same request meets the record.

Slack retries within minutes, so a day's memory is plenty.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col

from bot.store.models import SeenEvent

# How long a delivery is remembered: Slack's last retry comes about five minutes after the first.
REMEMBERED_FOR = timedelta(days=1)


class AlreadyHandled(Exception):
    """Another copy of this event was stored first, so this copy's changes are rolled back."""


@dataclass(frozen=True)
class _Delivery:
    team_id: str
    key: str
    at: datetime
    # Wait for a unit of work that changes something (a modal's), not the first to commit.
    with_a_change: bool


# The event this thread is handling and has not yet recorded: each request is handled on
# one thread from start to finish, and the middleware sets this at every request's start.
_unrecorded: ContextVar[_Delivery | None] = ContextVar("setbot_unrecorded_event", default=None)


def first_sighting(*, session: Session, team_id: str, key: str, now: datetime) -> bool:
    """Record `key`; True the first time it is seen, False for every later copy.

    INSERT … ON CONFLICT DO NOTHING on the primary key cannot race: the database lets
    exactly one of two concurrent inserts through, on SQLite and PostgreSQL alike.
    """
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(SeenEvent)
        .values(team_id=team_id, event_id=key, seen_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "event_id"])
        # What was inserted comes back; psycopg's rowcount for this statement is not reliable.
        .returning(col(SeenEvent.event_id))
    )
    return session.execute(statement).first() is not None


def already_seen(*, session: Session, team_id: str, key: str) -> bool:
    return session.get(SeenEvent, (team_id, key)) is not None


def forget_sighting(*, session: Session, team_id: str, key: str) -> None:
    """Let `key` be handled again: its first delivery failed, so a copy must do the work."""
    session.execute(
        delete(SeenEvent).where(col(SeenEvent.team_id) == team_id, col(SeenEvent.event_id) == key)
    )


def sweep_sightings(*, session: Session, now: datetime) -> int:
    """Forget deliveries older than `REMEMBERED_FOR`; returns how many were forgotten."""
    statement = delete(SeenEvent).where(col(SeenEvent.seen_at) < now - REMEMBERED_FOR)
    return cast(CursorResult[Any], session.execute(statement)).rowcount or 0


def record_with_the_work(
    *, team_id: str, key: str, now: datetime, with_a_change: bool = False
) -> None:
    """Have this thread's next transaction to commit record the delivery `key` as handled.

    `with_a_change`: only a transaction that stores something carries it, so a refusal's
    lookup does not mark as handled a delivery whose work was never stored.
    """
    _unrecorded.set(_Delivery(team_id, key, now, with_a_change))


def nothing_to_record() -> None:
    """This thread's request is no event, or has been recorded, or has failed."""
    _unrecorded.set(None)


def record_before_commit(session: Session) -> None:
    """Called by `Store.session` just before it commits: the delivery goes in with the work."""
    delivery = _unrecorded.get()
    if delivery is None or (delivery.with_a_change and not _wrote(session)):
        return
    nothing_to_record()
    if not first_sighting(
        session=session, team_id=delivery.team_id, key=delivery.key, now=delivery.at
    ):
        raise AlreadyHandled(delivery.key)


def _wrote(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


_WROTE = "setbot_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE statements change rows without passing through a flush."""
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info[_WROTE] = True
