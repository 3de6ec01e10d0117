"""Store functions for what members take away from a meeting: their actions and their reflections.

Commitments and process reflections are both one member's words about one Set's work,
so they live together. Ids that arrive from buttons and modals are looked up within the
caller's Slack team only, so a crafted id from another workspace finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    ProcessReflection,
)

# Commitments still being acted on; the others are finished, one way or another.
ACTIVE = (CommitmentStatus.OPEN, CommitmentStatus.WORKING)


def commitment_in_team(
    session: Session, *, team_id: str, commitment_id: int, for_update: bool = False
) -> Commitment | None:
    """A commitment by id, only if it belongs to this Slack team.

    `for_update` locks it until the unit of work ends, so a report back and a drop
    pressed at the same moment happen one after the other, and the second is refused.
    """
    statement = select(Commitment).where(
        Commitment.id == commitment_id, Commitment.team_id == team_id
    )
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def commitments_with_sets(
    session: Session, *, team_id: str, user_id: str
) -> Sequence[tuple[Commitment, LearningSet]]:
    """Everything someone has committed to in this team, with its Set, oldest first."""
    statement = (
        select(Commitment, LearningSet)
        .join(LearningSet, col(LearningSet.id) == Commitment.set_id)
        .where(Commitment.team_id == team_id, Commitment.user_id == user_id)
        .order_by(col(Commitment.id))
    )
    return [(commitment, learning_set) for commitment, learning_set in session.exec(statement)]


def first_scheduled_from(session: Session, *, set_id: int, earliest: datetime) -> Meeting | None:
    """The Set's first meeting still to happen that starts at or after `earliest`."""
    statement = (
        select(Meeting)
        .where(
            Meeting.set_id == set_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.scheduled_at) >= earliest,
        )
        .order_by(col(Meeting.scheduled_at), col(Meeting.id))
    )
    return session.exec(statement).first()


def lock_meeting(session: Session, *, team_id: str, meeting_id: int) -> Meeting | None:
    """A meeting of this team, locked until the unit of work ends.

    Reflections on one meeting are counted one at a time this way, so exactly one answer
    is the one that reaches the threshold. SQLite ignores FOR UPDATE but has one writer.
    """
    statement = (
        select(Meeting)
        .where(Meeting.id == meeting_id, Meeting.team_id == team_id)
        .with_for_update()
    )
    return session.exec(statement).first()


def reflections_on(session: Session, *, meeting_id: int) -> Sequence[ProcessReflection]:
    """Every answer about a meeting, in the order first given."""
    statement = (
        select(ProcessReflection)
        .where(ProcessReflection.meeting_id == meeting_id)
        .order_by(col(ProcessReflection.id))
    )
    return session.exec(statement).all()


def reflection_by(session: Session, *, meeting_id: int, user_id: str) -> ProcessReflection | None:
    statement = select(ProcessReflection).where(
        ProcessReflection.meeting_id == meeting_id, ProcessReflection.user_id == user_id
    )
    return session.exec(statement).first()


def save_reflection(session: Session, *, reflection: ProcessReflection) -> bool:
    """Insert someone's answer, or replace their earlier one; True if it is their first.

    Two submissions racing each other still leave one row: the unique key decides.
    """
    existing = reflection_by(session, meeting_id=reflection.meeting_id, user_id=reflection.user_id)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(reflection)
            return True
        except IntegrityError:
            existing = reflection_by(
                session, meeting_id=reflection.meeting_id, user_id=reflection.user_id
            )
            assert existing is not None
    existing.score, existing.helped, existing.change = (
        reflection.score,
        reflection.helped,
        reflection.change,
    )
    existing.share_consent, existing.at = reflection.share_consent, reflection.at
    session.add(existing)
    return False
