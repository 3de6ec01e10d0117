"""Store functions for the outbox: messages owed at a time.

Dedupe keys begin with the Set they belong to (`set:42:…`), so everything a Set or one
of its members is owed can be found, and cancelled, without reading payloads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.models import OutboxMessage, OutboxStatus


def set_key(set_id: int, *parts: object) -> str:
    return ":".join(["set", str(set_id), *map(str, parts)])


def cancel_pending(
    session: Session, *, team_id: str, set_id: int, target: str | None = None
) -> int:
    """Cancel what is still owed for a Set (or to one person in it); returns how many."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.dedupe_key).startswith(set_key(set_id) + ":"),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    if target is not None:
        statement = statement.where(col(OutboxMessage.target) == target)
    return session.execute(statement).rowcount or 0


def owe(
    session: Session,
    *,
    team_id: str,
    kind: str,
    target: str,
    due_at: datetime,
    key: str,
    payload: dict[str, object] | None = None,
) -> OutboxMessage:
    """Owe a message at `due_at`, once per key: writing it again moves it, never doubles it.

    A row already sent or failed stays as it is (it happened); a cancelled one is owed again.
    """
    row = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team_id, OutboxMessage.dedupe_key == key
        )
    ).first()
    if row is None:
        row = OutboxMessage(
            team_id=team_id, dedupe_key=key, kind=kind, target=target, due_at=due_at
        )
    elif row.status in (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CLAIMED):
        return row
    row.kind, row.target, row.due_at = kind, target, due_at
    row.payload = dict(payload or {})
    row.status, row.attempts, row.last_error = OutboxStatus.PENDING, 0, None
    session.add(row)
    return row


def cancel_keys(session: Session, *, team_id: str, prefix: str, target: str | None = None) -> int:
    """Cancel what is still owed under a key prefix (to one person, given `target`)."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.dedupe_key).startswith(prefix),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    if target is not None:
        statement = statement.where(col(OutboxMessage.target) == target)
    return session.execute(statement).rowcount or 0
