"""Store functions for meetings: starting, who came, who presented, and ending once.

Ending is a conditional UPDATE (`... WHERE status = 'open'`), so when two processes
end the same meeting at once, exactly one of them does it and the other is told so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    LearningSet,
    Meeting,
    MeetingStatus,
    Round,
)


def lock_set(session: Session, *, set_id: int) -> LearningSet | None:
    """The Set, locked until the unit of work ends, so two starts for one Set run in turn.

    PostgreSQL takes a row lock; SQLite ignores FOR UPDATE but lets only one writer in.
    """
    return session.get(LearningSet, set_id, with_for_update=True)


def meeting_in_team(session: Session, *, team_id: str, meeting_id: int) -> Meeting | None:
    """A meeting by id, only if it belongs to this Slack team: ids from buttons are not trusted."""
    statement = select(Meeting).where(Meeting.id == meeting_id, Meeting.team_id == team_id)
    return session.exec(statement).first()


def open_meeting_of(session: Session, *, set_id: int) -> Meeting | None:
    """The Set's meeting under way, if any (the newest, should there ever be two)."""
    statement = (
        select(Meeting)
        .where(Meeting.set_id == set_id, Meeting.status == MeetingStatus.OPEN)
        .order_by(col(Meeting.id).desc())
    )
    return session.exec(statement).first()


def scheduled_between(
    session: Session, *, set_id: int, earliest: datetime, latest: datetime
) -> Sequence[Meeting]:
    """The Set's meetings still to happen whose planned start falls in [earliest, latest]."""
    statement = (
        select(Meeting)
        .where(
            Meeting.set_id == set_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.scheduled_at) >= earliest,
            col(Meeting.scheduled_at) <= latest,
        )
        .order_by(col(Meeting.scheduled_at))
    )
    return session.exec(statement).all()


def last_presented(session: Session, *, set_id: int) -> dict[str, datetime]:
    """When each person last opened a round in this Set; those who never did are absent."""
    statement = (
        select(Round.presenter_id, func.max(Round.opened_at))
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .where(Meeting.set_id == set_id, col(Round.opened_at).is_not(None))
        .group_by(Round.presenter_id)
    )
    return {presenter: when for presenter, when in session.exec(statement).all()}


def attendance_of(session: Session, *, meeting_id: int) -> dict[str, AttendanceStatus]:
    """Who has checked in to a meeting, and how, in the order they first checked in."""
    statement = (
        select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(col(Attendance.id))
    )
    return {row.user_id: AttendanceStatus(row.status) for row in session.exec(statement)}


def record_attendance(session: Session, *, attendance: Attendance) -> None:
    """Insert or change someone's check-in; the same answer twice keeps the first time given.

    A double click racing itself still leaves one row (the unique key decides).
    """
    existing = _attendance(session, attendance.meeting_id, attendance.user_id)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(attendance)
            return
        except IntegrityError:
            existing = _attendance(session, attendance.meeting_id, attendance.user_id)
            assert existing is not None
    if existing.status != attendance.status:
        existing.status = attendance.status
        existing.at = attendance.at
        session.add(existing)


def _attendance(session: Session, meeting_id: int, user_id: str) -> Attendance | None:
    statement = select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.user_id == user_id
    )
    return session.exec(statement).first()


def rounds_of(session: Session, *, meeting_id: int) -> Sequence[Round]:
    """The meeting's rounds in the order they were opened."""
    statement = (
        select(Round)
        .where(Round.meeting_id == meeting_id)
        .order_by(col(Round.opened_at).nulls_last(), col(Round.id))
    )
    return session.exec(statement).all()


def commitments_of(session: Session, *, meeting_id: int) -> Sequence[Commitment]:
    """Actions committed to at this meeting, in the order they were made."""
    statement = (
        select(Commitment).where(Commitment.meeting_id == meeting_id).order_by(col(Commitment.id))
    )
    return session.exec(statement).all()


def open_meetings(session: Session) -> Sequence[Meeting]:
    """Every meeting under way, in every team: the overdue sweep looks across them all."""
    statement = (
        select(Meeting).where(Meeting.status == MeetingStatus.OPEN).order_by(col(Meeting.id))
    )
    return session.exec(statement).all()


def end_if_open(session: Session, *, meeting: Meeting, ended_at: datetime) -> bool:
    """End the meeting if it is still open in the database; False if someone else ended it.

    The copy in hand may be stale, so the database decides; after a win it is re-read.
    """
    statement = (
        update(Meeting)
        .where(col(Meeting.id) == meeting.id, col(Meeting.status) == MeetingStatus.OPEN)
        .values(status=MeetingStatus.ENDED, ended_at=ended_at)
        .execution_options(synchronize_session=False)
    )
    won = session.exec(statement).rowcount == 1
    if won:
        session.refresh(meeting)
    return won
