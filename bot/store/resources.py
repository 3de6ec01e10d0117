"""Store functions for a Set's good-practice resources and the times they were signposted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from bot.store.models import Resource, Signpost


def resources_of(session: Session, *, set_id: int, limit: int | None = None) -> Sequence[Resource]:
    """The Set's resources, latest first (ids break ties between ones added the same second)."""
    statement = (
        select(Resource)
        .where(Resource.set_id == set_id)
        .order_by(col(Resource.added_at).desc(), col(Resource.id).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return session.exec(statement).all()


def resource_in_set(session: Session, *, set_id: int, resource_id: int) -> Resource | None:
    """One of the Set's resources; an id from another Set (or team) finds nothing."""
    resource = session.get(Resource, resource_id)
    return resource if resource is not None and resource.set_id == set_id else None


def signpost_counts(session: Session, *, set_id: int) -> dict[int, int]:
    """How many times each of the Set's resources has been signposted in a round."""
    statement = (
        select(Signpost.resource_id, func.count(col(Signpost.id)))
        .join(Resource, col(Resource.id) == Signpost.resource_id)
        .where(Resource.set_id == set_id)
        .group_by(col(Signpost.resource_id))
    )
    return {resource_id: count for resource_id, count in session.exec(statement).all()}
