"""Store functions for Sets and who belongs to them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.store.models import LearningSet, Membership, Role, SetStatus


def set_by_channel(session: Session, *, team_id: str, channel_id: str) -> LearningSet | None:
    """The Set that meets in this channel: the newest open one, or else the newest closed."""
    statement = (
        select(LearningSet)
        .where(LearningSet.team_id == team_id, LearningSet.channel_id == channel_id)
        .order_by(col(LearningSet.status) == SetStatus.CLOSED, col(LearningSet.id).desc())
    )
    return session.exec(statement).first()


def current_members(session: Session, *, set_id: int) -> Sequence[Membership]:
    """Everyone in the Set now, facilitators first, in the order they joined."""
    statement = (
        select(Membership)
        .where(Membership.set_id == set_id, col(Membership.left_at).is_(None))
        .order_by(col(Membership.role) != Role.FACILITATOR, col(Membership.id))
    )
    return session.exec(statement).all()


def membership(session: Session, *, set_id: int, user_id: str) -> Membership | None:
    """Someone's place in a Set, including a past one (left_at set)."""
    statement = select(Membership).where(Membership.set_id == set_id, Membership.user_id == user_id)
    return session.exec(statement).first()


def sets_of(session: Session, *, team_id: str, user_id: str) -> Sequence[LearningSet]:
    """The Sets someone belongs to now, newest first."""
    statement = (
        select(LearningSet)
        .join(Membership, col(Membership.set_id) == LearningSet.id)
        .where(
            LearningSet.team_id == team_id,
            Membership.user_id == user_id,
            col(Membership.left_at).is_(None),
        )
        .order_by(col(LearningSet.id).desc())
    )
    return session.exec(statement).all()
