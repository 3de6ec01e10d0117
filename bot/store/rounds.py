"""Store functions for rounds and what is said in them (never the words themselves)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.store.models import Contribution, LearningSet, Meeting, Round


def round_in_thread(
    session: Session, *, team_id: str, channel_id: str, thread_ts: str
) -> tuple[Round, LearningSet] | None:
    """The open round whose thread this is, with its Set; None for any other thread."""
    statement = (
        select(Round, LearningSet)
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .join(LearningSet, col(LearningSet.id) == Meeting.set_id)
        .where(
            Round.team_id == team_id,
            Round.channel_id == channel_id,
            Round.thread_ts == thread_ts,
            col(Round.closed_at).is_(None),
        )
    )
    row = session.exec(statement).first()
    return (row[0], row[1]) if row else None


def record_contribution(session: Session, *, contribution: Contribution) -> bool:
    """Keep a contribution once: Slack redelivers events, and a replay must not count twice."""
    try:
        with session.begin_nested():
            session.add(contribution)
    except IntegrityError:
        return False
    return True


def contributions_by(session: Session, *, round_id: int, user_id: str) -> int:
    statement = select(func.count()).where(
        Contribution.round_id == round_id, Contribution.user_id == user_id
    )
    return int(session.exec(statement).one())
