"""Reminders around a Set's meetings, owed in the outbox and composed when they fall due.

Planning writes rows; it never sends. Each row is keyed by its purpose
(`set:7:meeting:42:T-24h`), so planning again after a meeting moves upserts the same row
to its new time, and skipping a meeting cancels it. What a reminder says is worked out
only when it falls due, from the store as it is then: a reminder whose meeting has
started, ended or been skipped, or whose Set has closed, is dropped instead of sent.

Private messages are moved into the recipient's waking hours (`next_allowed`). setbot
does not store each member's Slack time zone, so the Set's zone stands in for it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.flows.meetings import OVERDUE_GRACE, MeetingSummary
from bot.flows.notices import Notice, composer
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    SetStatus,
)
from bot.store.outbox import cancel_keys, owe, set_key
from bot.store.sets import current_members

log = logging.getLogger("setbot.reminders")

MEETING_REMINDER = "meeting_reminder"
MEETING_AUTOCLOSED = "meeting_autoclosed"
SET_EXTEND_OR_CLOSE = "set_extend_or_close"

# How long before a meeting its channel is reminded, under the label its dedupe key ends
# with. Whole days count on the Set's wall clock (10:00 the day before a 10:00 meeting,
# even across a clock change); shorter leads count elapsed time.
MEETING_REMINDER_LEADS: tuple[tuple[str, timedelta], ...] = (
    ("T-24h", timedelta(days=1)),
    ("T-1h", timedelta(hours=1)),
)
# Facilitators are asked whether to extend or close a Set this long after its last meeting.
EXTEND_OR_CLOSE_AFTER = timedelta(days=1)
# Private messages arrive between these local times; anything else waits for the morning.
DAY_STARTS, DAY_ENDS = time(8), time(19)

# Commitments that someone is still expected to report back on.
_OPEN_COMMITMENTS = (CommitmentStatus.OPEN, CommitmentStatus.WORKING)


@dataclass(frozen=True, kw_only=True)
class MeetingReminder:
    """The channel reminder: when the Set meets, and who is due to report back."""

    set_name: str
    starts_at: datetime
    timezone: str
    session_minutes: int
    # "tomorrow", "today", "in about an hour", "in 20 minutes": from when it is sent.
    when: str
    reporting_back: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class MeetingAutoclosed:
    """To a facilitator: the bot ended a meeting nobody ended."""

    set_name: str
    channel_id: str | None
    timezone: str
    planned_end: datetime
    ended_at: datetime


@dataclass(frozen=True, kw_only=True)
class SetExtendOrClose:
    """To a facilitator, after the last planned meeting: extend the Set or close it?"""

    set_id: int
    set_name: str
    timezone: str
    last_meeting_at: datetime
    meetings_held: int


# -- quiet hours --------------------------------------------------------------------------


def next_allowed(
    at: datetime, tz: str, *, start: time = DAY_STARTS, end: time = DAY_ENDS
) -> datetime:
    """`at` if it falls in the local [start, end) window in `tz`, else the window's next opening.

    The opening is a local wall-clock time, so it stays 08:00 across clock changes; an
    opening that falls in a spring-forward gap becomes the first instant after it.
    """
    if at.tzinfo is None:
        raise ValueError("next_allowed needs an aware time")
    if not start < end:
        raise ValueError("the allowed window must start before it ends")
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    if start <= local.time() < end:
        return at.astimezone(UTC)
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)


# -- planning -----------------------------------------------------------------------------


def plan_meeting_reminders(
    session: Session,
    *,
    meeting: Meeting,
    learning_set: LearningSet,
    now: datetime,
    leads: Sequence[tuple[str, timedelta]] = MEETING_REMINDER_LEADS,
) -> list[OutboxMessage]:
    """Owe the channel its reminders before `meeting`; call again whenever the meeting moves.

    Reminders whose time has already passed are not owed (and a pending one is cancelled),
    so a meeting moved to 30 minutes from now gets no "in an hour" reminder.
    """
    if not _remindable(meeting, learning_set):
        _forget(session, learning_set, meeting)
        return []
    assert meeting.scheduled_at is not None
    owed = []
    for label, lead in leads:
        key = _reminder_key(learning_set, meeting, label)
        due = _before(meeting.scheduled_at, lead, learning_set.timezone)
        if due < now:
            cancel_keys(session, team_id=learning_set.team_id, prefix=key)
            continue
        owed.append(_owe_reminder(session, learning_set, meeting, key=key, due=due, label=label))
    return owed


def forget_meeting_reminders(
    session: Session, *, team_id: str, set_id: int, meeting_id: int
) -> int:
    """Cancel a meeting's pending reminders (it was skipped, or its Set closed)."""
    prefix = set_key(set_id, "meeting", meeting_id, "T-")
    return cancel_keys(session, team_id=team_id, prefix=prefix)


def plan_set_reminders(
    session: Session, *, learning_set: LearningSet, now: datetime
) -> list[OutboxMessage]:
    """Bring every reminder of a Set in line with its meetings as they stand now.

    One call after forming a Set, or after any meeting is moved or skipped: coming
    meetings are (re)planned, the others forgotten, and the extend-or-close question
    follows the last meeting.
    """
    assert learning_set.id is not None
    meetings = session.exec(
        select(Meeting).where(
            Meeting.set_id == learning_set.id, Meeting.team_id == learning_set.team_id
        )
    ).all()
    owed: list[OutboxMessage] = []
    for meeting in meetings:
        if meeting.scheduled_at is not None and meeting.scheduled_at > now:
            owed += plan_meeting_reminders(
                session, meeting=meeting, learning_set=learning_set, now=now
            )
        else:
            _forget(session, learning_set, meeting)
    planned = [m.scheduled_at for m in meetings if m.status != MeetingStatus.SKIPPED]
    last = max((at for at in planned if at is not None), default=None)
    if last is not None and learning_set.status == SetStatus.ACTIVE:
        owed += plan_extend_or_close(session, learning_set=learning_set, last_meeting_at=last)
    return owed


def plan_extend_or_close(
    session: Session, *, learning_set: LearningSet, last_meeting_at: datetime
) -> list[OutboxMessage]:
    """Owe each facilitator the extend-or-close question a day after the last meeting.

    The key names the last meeting, so a Set extended after being asked is asked again
    after its new last meeting; a question about an earlier last meeting is cancelled.
    """
    assert learning_set.id is not None
    set_id, team_id = learning_set.id, learning_set.team_id
    cancel_keys(session, team_id=team_id, prefix=set_key(set_id, "extend_or_close") + ":")
    due = next_allowed(last_meeting_at + EXTEND_OR_CLOSE_AFTER, learning_set.timezone)
    payload: dict[str, object] = {"set_id": set_id, "last_meeting_at": last_meeting_at.isoformat()}
    return [
        owe(
            session,
            team_id=team_id,
            kind=SET_EXTEND_OR_CLOSE,
            target=user_id,
            due_at=due,
            key=set_key(set_id, "extend_or_close", _stamp(last_meeting_at), user_id),
            payload=payload,
        )
        for user_id in facilitators_of(session, set_id=set_id)
    ]


def owe_autoclosed_notes(
    session: Session, *, summary: MeetingSummary, now: datetime
) -> list[OutboxMessage]:
    """Tell each facilitator, in their waking hours, that the bot ended their meeting."""
    learning_set = session.get(LearningSet, summary.set_id)
    if learning_set is None:
        return []
    due = next_allowed(now, learning_set.timezone)
    payload: dict[str, object] = {"set_id": summary.set_id, "meeting_id": summary.meeting_id}
    return [
        owe(
            session,
            team_id=learning_set.team_id,
            kind=MEETING_AUTOCLOSED,
            target=user_id,
            due_at=due,
            key=set_key(summary.set_id, "meeting", summary.meeting_id, "autoclosed", user_id),
            payload=payload,
        )
        for user_id in summary.facilitators
    ]


def facilitators_of(session: Session, *, set_id: int) -> list[str]:
    """The Set's facilitators now, in the order they joined."""
    return [
        m.user_id for m in current_members(session, set_id=set_id) if m.role == Role.FACILITATOR
    ]


def _remindable(meeting: Meeting, learning_set: LearningSet) -> bool:
    return (
        meeting.id is not None
        and meeting.status == MeetingStatus.SCHEDULED
        and meeting.scheduled_at is not None
        and learning_set.status == SetStatus.ACTIVE
        and bool(learning_set.channel_id)
    )


def _forget(session: Session, learning_set: LearningSet, meeting: Meeting) -> None:
    if learning_set.id is not None and meeting.id is not None:
        forget_meeting_reminders(
            session, team_id=learning_set.team_id, set_id=learning_set.id, meeting_id=meeting.id
        )


def _reminder_key(learning_set: LearningSet, meeting: Meeting, label: str) -> str:
    assert learning_set.id is not None
    return set_key(learning_set.id, "meeting", meeting.id, label)


def _before(start: datetime, lead: timedelta, timezone: str) -> datetime:
    """`lead` before `start`: whole days on the Set's wall clock, anything else elapsed."""
    if lead % timedelta(days=1):
        return start - lead
    zone = ZoneInfo(timezone)
    wall = start.astimezone(zone).replace(tzinfo=None) - lead
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _owe_reminder(
    session: Session,
    learning_set: LearningSet,
    meeting: Meeting,
    *,
    key: str,
    due: datetime,
    label: str,
) -> OutboxMessage:
    """Owe (or move) the reminder; one already sent for an earlier time gets a successor.

    `owe` leaves a sent row as it is, so a meeting moved after its reminder went out
    would otherwise get none for its new time: the successor's key names that time.
    """
    assert meeting.scheduled_at is not None and learning_set.channel_id is not None
    payload: dict[str, object] = {
        "set_id": learning_set.id,
        "meeting_id": meeting.id,
        "starts_at": meeting.scheduled_at.isoformat(),
        "lead": label,
    }

    def owe_under(owed_key: str) -> OutboxMessage:
        return owe(
            session,
            team_id=learning_set.team_id,
            kind=MEETING_REMINDER,
            target=str(learning_set.channel_id),
            due_at=due,
            key=owed_key,
            payload=payload,
        )

    row = owe_under(key)
    cancel_keys(session, team_id=learning_set.team_id, prefix=key + ":")
    if row.status == OutboxStatus.PENDING or row.payload.get("starts_at") == payload["starts_at"]:
        return row
    return owe_under(f"{key}:{_stamp(meeting.scheduled_at)}")


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


# -- composing ----------------------------------------------------------------------------


@composer(MEETING_REMINDER)
def compose_meeting_reminder(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The reminder as of now, or None once the meeting has begun, gone or lost its Set."""
    meeting = _meeting(session, row)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None or learning_set.status != SetStatus.ACTIVE:
        return None
    if meeting.status != MeetingStatus.SCHEDULED or meeting.scheduled_at is None:
        return None
    if meeting.scheduled_at <= now:
        return None
    assert learning_set.id is not None
    message = MeetingReminder(
        set_name=learning_set.name,
        starts_at=meeting.scheduled_at,
        timezone=learning_set.timezone,
        session_minutes=meeting.session_minutes,
        when=_when_words(meeting.scheduled_at, now, learning_set.timezone),
        reporting_back=reporting_back(session, learning_set=learning_set),
    )
    return Notice(channel=row.target, message=message)


def reporting_back(session: Session, *, learning_set: LearningSet) -> tuple[str, ...]:
    """Members still in the Set with an action open, in the order they committed."""
    assert learning_set.id is not None
    statement = (
        select(Commitment.user_id)
        .where(
            Commitment.set_id == learning_set.id,
            Commitment.team_id == learning_set.team_id,
            col(Commitment.status).in_(_OPEN_COMMITMENTS),
        )
        .order_by(col(Commitment.id))
    )
    here = {m.user_id for m in current_members(session, set_id=learning_set.id)}
    return tuple(dict.fromkeys(u for u in session.exec(statement) if u in here))


def _when_words(start: datetime, now: datetime, timezone: str) -> str:
    """How far off the meeting is, as a person would say it in the Set's zone."""
    left = start - now
    if left <= timedelta(minutes=90):
        minutes = max(1, round(left / timedelta(minutes=1)))
        return "in about an hour" if minutes >= 45 else f"in {minutes} minutes"
    zone = ZoneInfo(timezone)
    days = (start.astimezone(zone).date() - now.astimezone(zone).date()).days
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


@composer(MEETING_AUTOCLOSED)
def compose_meeting_autoclosed(
    session: Session, row: OutboxMessage, now: datetime
) -> Notice | None:
    """The note to one facilitator; dropped if they no longer facilitate the Set."""
    meeting = _meeting(session, row)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None or meeting.ended_at is None:
        return None
    if row.target not in facilitators_of(session, set_id=meeting.set_id):
        return None
    message = MeetingAutoclosed(
        set_name=learning_set.name,
        channel_id=learning_set.channel_id,
        timezone=learning_set.timezone,
        planned_end=meeting.ended_at - OVERDUE_GRACE,
        ended_at=meeting.ended_at,
    )
    return Notice(user=row.target, message=message)


@composer(SET_EXTEND_OR_CLOSE)
def compose_extend_or_close(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The question, unless the Set has closed, has meetings to come, or they left its helm."""
    learning_set = session.get(LearningSet, _payload_int(row, "set_id"))
    if learning_set is None or learning_set.team_id != row.team_id:
        return None
    assert learning_set.id is not None
    if learning_set.status != SetStatus.ACTIVE or _has_meetings_to_come(session, learning_set, now):
        return None
    if row.target not in facilitators_of(session, set_id=learning_set.id):
        return None
    message = SetExtendOrClose(
        set_id=learning_set.id,
        set_name=learning_set.name,
        timezone=learning_set.timezone,
        last_meeting_at=datetime.fromisoformat(str(row.payload["last_meeting_at"])),
        meetings_held=_meetings_held(session, learning_set),
    )
    return Notice(user=row.target, message=message)


def _has_meetings_to_come(session: Session, learning_set: LearningSet, now: datetime) -> bool:
    statement = select(func.count()).where(
        Meeting.set_id == learning_set.id,
        (col(Meeting.status) == MeetingStatus.OPEN)
        | ((col(Meeting.status) == MeetingStatus.SCHEDULED) & (col(Meeting.scheduled_at) > now)),
    )
    return int(session.exec(statement).one()) > 0


def _meetings_held(session: Session, learning_set: LearningSet) -> int:
    statement = select(func.count()).where(
        Meeting.set_id == learning_set.id, Meeting.status == MeetingStatus.ENDED
    )
    return int(session.exec(statement).one())


def _meeting(session: Session, row: OutboxMessage) -> Meeting | None:
    """The row's meeting, only if it belongs to the row's team."""
    meeting = session.get(Meeting, _payload_int(row, "meeting_id"))
    return meeting if meeting is not None and meeting.team_id == row.team_id else None


def _payload_int(row: OutboxMessage, name: str) -> int:
    value = row.payload.get(name)
    return value if isinstance(value, int) else -1
