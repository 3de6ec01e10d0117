"""A Set's coming meetings, and a facilitator moving or skipping one of them.

Forming a Set stores one Meeting row per date, so a change to one date is a change to
one row: the pattern the Set agreed stays as it was, and so do all the other meetings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.flows.access import Caller, InSet, Refusal, facilitator_here, member_here
from bot.flows.meeting_reminders import plan_set_reminders
from bot.flows.schedule import describe, from_rfc5545
from bot.store.db import Store
from bot.store.models import LearningSet, Meeting, MeetingStatus

UPCOMING_COUNT = 3
NO_PATTERN = "No regular pattern yet"

_NOT_FOUND = (
    "I couldn't find that meeting in *{set}*, so nothing was changed. "
    "Type `/set schedule` to see the Set's coming meetings."
)
_NOT_SCHEDULED = {
    MeetingStatus.OPEN: "That meeting is under way, so it can't be moved or skipped now.",
    MeetingStatus.SKIPPED: (
        "That meeting was already skipped. Type `/set schedule` to see the coming ones."
    ),
}
_ALREADY_HELD = "That meeting has already happened, so it can't be moved or skipped."
_IN_THE_PAST = "That time has already passed. Pick a date and time in the future."


@dataclass(frozen=True, kw_only=True)
class ComingMeeting:
    """One meeting still to come, with the id its Move and Skip buttons carry."""

    meeting_id: int
    starts_at: datetime
    session_minutes: int


@dataclass(frozen=True, kw_only=True)
class ScheduleChange:
    """What a facilitator just did, so the card can confirm it: no `new_start` means skipped."""

    previous_start: datetime
    new_start: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """What `/set schedule` shows: the next meetings, the agreed pattern and progress so far.

    `held` counts ENDED meetings and `total` every meeting not skipped, so "1 of 3 held"
    stays true after a facilitator skips one.
    """

    set_name: str
    timezone: str
    pattern: str
    upcoming: tuple[ComingMeeting, ...]
    held: int
    total: int
    caller_is_facilitator: bool
    change: ScheduleChange | None = None


def upcoming(
    store: Store, clock: Clock, caller: Caller, *, count: int = UPCOMING_COUNT
) -> Schedule:
    """Any member may look, even after the Set has closed: looking changes nothing."""
    with store.session() as session:
        here = member_here(session, caller, open_only=False)
        return _schedule(session, here, now=clock.now(), count=count)


def reschedule(
    store: Store, clock: Clock, caller: Caller, *, meeting_id: int, new_start: datetime
) -> Schedule:
    """Move one coming meeting (facilitators only); every other meeting keeps its time."""
    now = clock.now()
    if new_start.tzinfo is None:
        raise ValueError("reschedule needs an aware new_start")
    with store.session() as session:
        here = facilitator_here(session, caller)
        meeting = _coming_meeting(session, here, meeting_id)
        if new_start <= now:
            raise Refusal(_IN_THE_PAST)
        change = ScheduleChange(previous_start=_start(meeting), new_start=new_start)
        meeting.scheduled_at = new_start
        session.add(meeting)
        session.flush()
        plan_set_reminders(session, learning_set=here.learning_set, now=now)
        return _schedule(session, here, now=now, count=UPCOMING_COUNT, change=change)


def skip(store: Store, clock: Clock, caller: Caller, *, meeting_id: int) -> Schedule:
    """Take one meeting off the schedule (facilitators only); the row stays, marked SKIPPED."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        meeting = _coming_meeting(session, here, meeting_id)
        change = ScheduleChange(previous_start=_start(meeting))
        meeting.status = MeetingStatus.SKIPPED
        session.add(meeting)
        session.flush()
        plan_set_reminders(session, learning_set=here.learning_set, now=clock.now())
        return _schedule(session, here, now=clock.now(), count=UPCOMING_COUNT, change=change)


def meeting_to_move(store: Store, caller: Caller, *, meeting_id: int) -> tuple[ComingMeeting, str]:
    """The meeting a facilitator wants to move, with the Set's zone to show it in."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        return _coming(_coming_meeting(session, here, meeting_id)), here.learning_set.timezone


def _coming_meeting(session: Session, here: InSet, meeting_id: int) -> Meeting:
    """The meeting, if it is this Set's (and so this team's) and still only scheduled.

    A meeting of another Set or team gets the same answer as one that doesn't exist,
    so an id typed into a crafted payload tells nobody anything.
    """
    meeting = session.get(Meeting, meeting_id)
    learning_set = here.learning_set
    if meeting is None or meeting.set_id != here.set_id or meeting.team_id != learning_set.team_id:
        raise Refusal(_NOT_FOUND, set=learning_set.name)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Refusal(_NOT_SCHEDULED.get(meeting.status, _ALREADY_HELD))
    return meeting


def _start(meeting: Meeting) -> datetime:
    if meeting.scheduled_at is None:
        raise ValueError(f"meeting {meeting.id} is scheduled but has no time")
    return meeting.scheduled_at


def _schedule(
    session: Session,
    here: InSet,
    *,
    now: datetime,
    count: int,
    change: ScheduleChange | None = None,
) -> Schedule:
    learning_set = here.learning_set
    return Schedule(
        set_name=learning_set.name,
        timezone=learning_set.timezone,
        pattern=_pattern(learning_set),
        upcoming=_next_meetings(session, here, now=now, count=count),
        held=_count(session, here, col(Meeting.status) == MeetingStatus.ENDED),
        total=_count(session, here, col(Meeting.status) != MeetingStatus.SKIPPED),
        caller_is_facilitator=here.is_facilitator,
        change=change,
    )


def _pattern(learning_set: LearningSet) -> str:
    """The pattern agreed when the Set was formed, in words; moved meetings don't change it."""
    if not learning_set.cadence.strip():
        return NO_PATTERN
    return describe(from_rfc5545(learning_set.cadence))


def _next_meetings(
    session: Session, here: InSet, *, now: datetime, count: int
) -> tuple[ComingMeeting, ...]:
    statement = (
        select(Meeting)
        .where(
            Meeting.team_id == here.learning_set.team_id,
            Meeting.set_id == here.set_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.scheduled_at) > now,
        )
        .order_by(col(Meeting.scheduled_at), col(Meeting.id))
        .limit(count)
    )
    return tuple(_coming(meeting) for meeting in session.exec(statement))


def _coming(meeting: Meeting) -> ComingMeeting:
    assert meeting.id is not None
    return ComingMeeting(
        meeting_id=meeting.id, starts_at=_start(meeting), session_minutes=meeting.session_minutes
    )


def _count(session: Session, here: InSet, condition: ColumnElement[bool]) -> int:
    statement = select(func.count()).where(
        Meeting.team_id == here.learning_set.team_id, Meeting.set_id == here.set_id, condition
    )
    return int(session.exec(statement).one())
