"""Store functions for rounds and what is said in them (never the words themselves).

Moving a round on and closing it are conditional UPDATEs, so when two facilitators
press "next" at the same moment the database lets exactly one of them do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select, update

from bot.store.models import (
    Commitment,
    CommitmentStatus,
    Contribution,
    LearningSet,
    Meeting,
    Round,
)


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


def round_in_team(session: Session, *, team_id: str, round_id: int) -> Round | None:
    """A round by id, only if it belongs to this Slack team: ids from buttons are not trusted."""
    statement = select(Round).where(Round.id == round_id, Round.team_id == team_id)
    return session.exec(statement).first()


def open_round_in(session: Session, *, meeting_id: int) -> Round | None:
    """The meeting's round still under way: a live meeting runs one round at a time."""
    statement = (
        select(Round)
        .where(Round.meeting_id == meeting_id, col(Round.closed_at).is_(None))
        .order_by(col(Round.id).desc())
    )
    return session.exec(statement).first()


def reports_due(
    session: Session, *, set_id: int, user_id: str, meeting_id: int, before: datetime
) -> Sequence[Commitment]:
    """Someone's earlier actions the Set should hear about in their round, oldest first.

    An action still open or being worked on is asked about every time; one reported
    between meetings is shown once — unless the report came after the round it was last
    shown in had closed. Actions from this meeting (or made since it began) are not
    "earlier", and dropped ones are done with.
    """
    shown = aliased(Round)
    reported_unheard = and_(
        col(Commitment.status) == CommitmentStatus.REPORTED,
        or_(
            col(Commitment.shown_in_round_id).is_(None),
            and_(
                col(shown.closed_at).is_not(None),
                col(Commitment.reported_at) > col(shown.closed_at),
            ),
        ),
    )
    statement = (
        select(Commitment)
        .outerjoin(shown, col(shown.id) == Commitment.shown_in_round_id)
        .where(
            Commitment.set_id == set_id,
            Commitment.user_id == user_id,
            or_(col(Commitment.meeting_id).is_(None), col(Commitment.meeting_id) != meeting_id),
            or_(col(Commitment.created_at).is_(None), col(Commitment.created_at) < before),
            or_(
                col(Commitment.status).in_([CommitmentStatus.OPEN, CommitmentStatus.WORKING]),
                reported_unheard,
            ),
        )
        .order_by(col(Commitment.id))
    )
    return session.exec(statement).all()


def show_in_round(session: Session, *, commitments: Sequence[Commitment], round_id: int) -> None:
    """Remember that these actions were brought back to the Set in this round."""
    for commitment in commitments:
        commitment.shown_in_round_id = round_id
        session.add(commitment)


def shown_in(session: Session, *, round_id: int) -> Sequence[Commitment]:
    """The earlier actions this round reports back on, oldest first."""
    statement = (
        select(Commitment)
        .where(Commitment.shown_in_round_id == round_id)
        .order_by(col(Commitment.id))
    )
    return session.exec(statement).all()


def committed_in(session: Session, *, round_id: int) -> bool:
    """Whether the presenter recorded an action in this round."""
    statement = select(func.count()).where(Commitment.round_id == round_id)
    return int(session.exec(statement).one()) > 0


def move_phase_if(
    session: Session, *, round_id: int, from_phase: str, to_phase: str, at: datetime
) -> bool:
    """Move an open round on only if it is still in `from_phase`: one of two racing presses wins.

    The database decides (`UPDATE … WHERE phase = from_phase`); on PostgreSQL the loser
    waits for the winner's row lock, then finds the phase already changed.
    """
    statement = (
        update(Round)
        .where(
            col(Round.id) == round_id,
            col(Round.phase) == from_phase,
            col(Round.closed_at).is_(None),
        )
        .values(phase=to_phase, phase_started_at=at)
        .execution_options(synchronize_session=False)
    )
    return session.exec(statement).rowcount == 1


def close_if_open(
    session: Session,
    *,
    round_id: int,
    closed_phase: str,
    closed_at: datetime,
    duration_seconds: int,
    from_phase: str | None = None,
) -> bool:
    """Close a round once: False if it was already closed (or, given `from_phase`, moved on)."""
    statement = update(Round).where(col(Round.id) == round_id, col(Round.closed_at).is_(None))
    if from_phase is not None:
        statement = statement.where(col(Round.phase) == from_phase)
    statement = statement.values(
        phase=closed_phase, closed_at=closed_at, duration_seconds=duration_seconds
    ).execution_options(synchronize_session=False)
    return session.exec(statement).rowcount == 1
