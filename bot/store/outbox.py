"""Store functions for the outbox: messages owed at a time.

Dedupe keys begin with the Set they belong to (`set:42:…`), so everything a Set or one
of its members is owed can be found, and cancelled, without reading payloads.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

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
