"""Reminders around a Set's meetings, owed in the outbox and composed when they fall due.

Before each meeting the channel is reminded (24 h and 1 h ahead), each member is asked
privately what they will bring (two days ahead, with their open actions), and each
facilitator gets a digest of where the Set stands (the morning before).

Planning writes rows; it never sends. Each row is keyed by its purpose
(`set:7:meeting:42:T-24h`, `set:7:meeting:42:prepare:U0ASHA`), so planning again after a
meeting moves upserts the same row to its new time, and skipping a meeting cancels it.
What a reminder says is worked out only when it falls due, from the store as it is then:
a reminder whose meeting has started, ended, moved or been skipped, or whose Set has
closed, or whose reader has left, is dropped instead of sent.

Private messages are moved into the reader's waking hours (`next_allowed`) in their own
Slack time zone, recorded when they join (`record_time_zones`); until Slack has told us
theirs, the Set's zone stands in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.flows.meetings import OVERDUE_GRACE, MeetingSummary
from bot.flows.notices import Notice, composer
from bot.flows.reminder_timing import timing_from
from bot.flows.schedule import timezone_error
from bot.store.db import Store
from bot.store.meetings import attendance_of
from bot.store.models import (
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Role,
    SetStatus,
)
from bot.store.outbox import cancel_keys, owe, set_key
from bot.store.sets import current_members, membership, set_by_channel

log = logging.getLogger("setbot.reminders")

MEETING_REMINDER = "meeting_reminder"
MEETING_PREPARE = "meeting_prepare"
FACILITATOR_DIGEST = "facilitator_digest"
MEETING_AUTOCLOSED = "meeting_autoclosed"
SET_EXTEND_OR_CLOSE = "set_extend_or_close"

# How long before a meeting the channel is reminded, and members asked what they will
# bring, is each Set's own choice (bot/flows/reminder_timing.py).
# Facilitators read their digest at this time, in their own zone, the day before a meeting.
DIGEST_AT = time(8, 30)
# The key parts after a meeting's id under which it is owed something before it starts:
# channel reminders (T-24h, T-1h), members' prepare messages, facilitators' digests.
_BEFORE_MEETING = ("T-", "prepare:", "digest:")
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
class OpenAction:
    """An action its owner has yet to report back on, as their prepare message shows it."""

    commitment_id: int
    text: str
    due_on: date | None


@dataclass(frozen=True, kw_only=True)
class MeetingPrepare:
    """To a member, two days ahead: what will you bring, and how did your action go?"""

    meeting_id: int
    set_name: str
    starts_at: datetime
    # The reader's zone: their own, or the Set's while Slack hasn't told us theirs.
    timezone: str
    open_actions: tuple[OpenAction, ...]


@dataclass(frozen=True, kw_only=True)
class FacilitatorDigest:
    """To a facilitator, the morning before: who is ready, who is not, who won't come."""

    set_name: str
    starts_at: datetime
    timezone: str
    # "tomorrow", or "today" when it went out late: from when it is sent, in their zone.
    when: str
    reported_back: tuple[str, ...]
    not_reported: tuple[str, ...]
    apologies: tuple[str, ...]
    rules_not_agreed: tuple[str, ...]


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


# -- each person's own zone -------------------------------------------------------------


def own_zone(place: Membership | None, learning_set: LearningSet) -> str:
    """Where someone reads their private messages: their own Slack zone, else the Set's."""
    return place.timezone if place is not None and place.timezone else learning_set.timezone


def zone_of(session: Session, learning_set: LearningSet, user_id: str) -> str:
    """Someone's own zone in a Set they belong (or belonged) to; the Set's if not known."""
    assert learning_set.id is not None
    return own_zone(membership(session, set_id=learning_set.id, user_id=user_id), learning_set)


def record_time_zones(
    store: Store, clock: Clock, *, team_id: str, channel_id: str, zones: Mapping[str, str]
) -> None:
    """Keep the Slack zones of people just added to a channel's Set, then plan it again.

    Planning again is what owes newcomers their own prepare messages (or digests), each
    in their waking hours. A zone the tz database doesn't know is ignored, and anyone
    without one keeps the Set's zone, so nothing here can stop people being added.
    """
    with store.session() as session:
        learning_set = set_by_channel(session, team_id=team_id, channel_id=channel_id)
        if learning_set is None or learning_set.id is None:
            return
        for place in current_members(session, set_id=learning_set.id):
            zone = zones.get(place.user_id)
            if zone and timezone_error(zone) is None:
                place.timezone = zone
                session.add(place)
        session.flush()
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())


# -- planning -----------------------------------------------------------------------------


def plan_meeting_reminders(
    session: Session,
    *,
    meeting: Meeting,
    learning_set: LearningSet,
    now: datetime,
    leads: Sequence[tuple[str, timedelta]] | None = None,
) -> list[OutboxMessage]:
    """Owe the channel its reminders before `meeting`; call again whenever the meeting moves.

    Reminders whose time has already passed are not owed (and a pending one is cancelled),
    so a meeting moved to 30 minutes from now gets no "in an hour" reminder.
    """
    if not _remindable(meeting, learning_set):
        _forget(session, learning_set, meeting)
        return []
    assert meeting.scheduled_at is not None and learning_set.channel_id is not None
    if leads is None:
        leads = timing_from(learning_set.reminder_timing).leads
    # Reminders the facilitator no longer wants are cancelled; the chosen ones owed again.
    cancel_keys(
        session, team_id=learning_set.team_id, prefix=_reminder_key(learning_set, meeting, "T-")
    )
    owed = []
    for label, lead in leads:
        key = _reminder_key(learning_set, meeting, label)
        due = _before(meeting.scheduled_at, lead, learning_set.timezone)
        if due < now:
            cancel_keys(session, team_id=learning_set.team_id, prefix=key)
            continue
        owed.append(
            _owe_for_meeting(
                session,
                learning_set,
                meeting,
                kind=MEETING_REMINDER,
                target=learning_set.channel_id,
                key=key,
                due=due,
                lead=label,
            )
        )
    return owed


def plan_private_reminders(
    session: Session, *, meeting: Meeting, learning_set: LearningSet, now: datetime
) -> list[OutboxMessage]:
    """Owe each member their prepare message and each facilitator their digest for `meeting`.

    What is pending is cancelled and owed again to the people in the Set now, in the
    role they have now (owing a key again revives its row), so someone who left or became
    a facilitator is not asked the wrong thing; nothing whose time has passed is owed.
    """
    if not _remindable(meeting, learning_set):
        _forget(session, learning_set, meeting)
        return []
    assert learning_set.id is not None and meeting.scheduled_at is not None
    for part in ("prepare", "digest"):
        prefix = set_key(learning_set.id, "meeting", meeting.id, part) + ":"
        cancel_keys(session, team_id=learning_set.team_id, prefix=prefix)
    owed = []
    timing = timing_from(learning_set.reminder_timing)
    for place in current_members(session, set_id=learning_set.id):
        zone = own_zone(place, learning_set)
        if place.role == Role.MEMBER:
            if timing.prepare_lead is None:
                continue
            kind, part = MEETING_PREPARE, "prepare"
            ahead = _before(meeting.scheduled_at, timing.prepare_lead, learning_set.timezone)
            due = next_allowed(ahead, zone)
        else:
            if not timing.digest:
                continue
            kind, part = FACILITATOR_DIGEST, "digest"
            due = _digest_due(meeting.scheduled_at, zone)
        if due < now:
            continue
        key = set_key(learning_set.id, "meeting", meeting.id, part, place.user_id)
        owed.append(
            _owe_for_meeting(
                session, learning_set, meeting, kind=kind, target=place.user_id, key=key, due=due
            )
        )
    return owed


def _digest_due(start: datetime, zone: str) -> datetime:
    """DIGEST_AT on the day before the meeting, the day and the hour both in `zone`."""
    local = ZoneInfo(zone)
    day_before = start.astimezone(local).date() - timedelta(days=1)
    return next_allowed(datetime.combine(day_before, DIGEST_AT, tzinfo=local), zone)


def forget_meeting_reminders(
    session: Session, *, team_id: str, set_id: int, meeting_id: int
) -> int:
    """Cancel all a meeting is still owed before it (it was skipped, or its Set closed).

    What is owed after it (a note that the bot ended it) is left alone.
    """
    return sum(
        cancel_keys(session, team_id=team_id, prefix=set_key(set_id, "meeting", meeting_id, part))
        for part in _BEFORE_MEETING
    )


def plan_set_reminders(
    session: Session, *, learning_set: LearningSet, now: datetime
) -> list[OutboxMessage]:
    """Bring every reminder of a Set in line with its meetings as they stand now.

    One call after forming a Set, after any meeting is moved or skipped, or after people
    join: coming meetings are (re)planned, for the channel and for each person, the
    others forgotten, and the extend-or-close question follows the last meeting.
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
            owed += plan_private_reminders(
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
    asked_at = last_meeting_at + EXTEND_OR_CLOSE_AFTER
    payload: dict[str, object] = {"set_id": set_id, "last_meeting_at": last_meeting_at.isoformat()}
    return [
        owe(
            session,
            team_id=team_id,
            kind=SET_EXTEND_OR_CLOSE,
            target=user_id,
            due_at=next_allowed(asked_at, zone_of(session, learning_set, user_id)),
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
    payload: dict[str, object] = {"set_id": summary.set_id, "meeting_id": summary.meeting_id}
    return [
        owe(
            session,
            team_id=learning_set.team_id,
            kind=MEETING_AUTOCLOSED,
            target=user_id,
            due_at=next_allowed(now, zone_of(session, learning_set, user_id)),
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


def _owe_for_meeting(
    session: Session,
    learning_set: LearningSet,
    meeting: Meeting,
    *,
    kind: str,
    target: str,
    key: str,
    due: datetime,
    **extra: object,
) -> OutboxMessage:
    """Owe (or move) a row before `meeting`; one already sent for an earlier time gets a successor.

    `owe` leaves a sent row as it is, so a meeting moved after its reminder went out
    would otherwise get none for its new time: the successor's key names that time.
    """
    assert meeting.scheduled_at is not None
    payload: dict[str, object] = {
        "set_id": learning_set.id,
        "meeting_id": meeting.id,
        "starts_at": meeting.scheduled_at.isoformat(),
        **extra,
    }

    def owe_under(owed_key: str) -> OutboxMessage:
        return owe(
            session,
            team_id=learning_set.team_id,
            kind=kind,
            target=target,
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
    found = _coming(session, row, now)
    if found is None:
        return None
    meeting, learning_set = found
    assert meeting.scheduled_at is not None
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


@composer(MEETING_PREPARE)
def compose_prepare(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The member's prompt; None if the meeting is off or moved, or they left or won't come."""
    found = _coming(session, row, now)
    if found is None:
        return None
    meeting, learning_set = found
    assert meeting.id is not None and meeting.scheduled_at is not None
    place = membership(session, set_id=meeting.set_id, user_id=row.target)
    if place is None or place.left_at is not None or place.role != Role.MEMBER:
        return None
    if attendance_of(session, meeting_id=meeting.id).get(row.target) == AttendanceStatus.APOLOGIES:
        return None
    message = MeetingPrepare(
        meeting_id=meeting.id,
        set_name=learning_set.name,
        starts_at=meeting.scheduled_at,
        timezone=own_zone(place, learning_set),
        open_actions=_open_actions(session, learning_set, row.target),
    )
    return Notice(user=row.target, message=message)


@composer(FACILITATOR_DIGEST)
def compose_digest(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """Where the Set stands now; None if the meeting is off or moved, or they left its helm."""
    found = _coming(session, row, now)
    if found is None:
        return None
    meeting, learning_set = found
    assert learning_set.id is not None and meeting.id is not None
    assert meeting.scheduled_at is not None
    if row.target not in facilitators_of(session, set_id=learning_set.id):
        return None
    zone = zone_of(session, learning_set, row.target)
    people = current_members(session, set_id=learning_set.id)
    here = {m.user_id for m in people}
    seen = attendance_of(session, meeting_id=meeting.id)
    message = FacilitatorDigest(
        set_name=learning_set.name,
        starts_at=meeting.scheduled_at,
        timezone=zone,
        when=_when_words(meeting.scheduled_at, now, zone),
        reported_back=_reported_since_last_met(session, learning_set, here),
        not_reported=reporting_back(session, learning_set=learning_set),
        apologies=tuple(
            u for u, s in seen.items() if s == AttendanceStatus.APOLOGIES and u in here
        ),
        rules_not_agreed=tuple(
            m.user_id for m in people if m.role == Role.MEMBER and m.ground_rules_agreed_at is None
        ),
    )
    return Notice(user=row.target, message=message)


def _coming(
    session: Session, row: OutboxMessage, now: datetime
) -> tuple[Meeting, LearningSet] | None:
    """The row's meeting and its open Set, if the meeting is still to come when the row said.

    A meeting moved without planning again (so its rows kept the old time) counts as gone:
    what the row would say, "on Tuesday", is no longer true.
    """
    meeting = _meeting(session, row)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None or learning_set.status != SetStatus.ACTIVE:
        return None
    if meeting.status != MeetingStatus.SCHEDULED or meeting.scheduled_at is None:
        return None
    planned_for = row.payload.get("starts_at")
    if meeting.scheduled_at <= now or not isinstance(planned_for, str):
        return None
    if datetime.fromisoformat(planned_for) != meeting.scheduled_at:
        return None
    return meeting, learning_set


def _open_actions(
    session: Session, learning_set: LearningSet, user_id: str
) -> tuple[OpenAction, ...]:
    """What someone has yet to report back on in this Set, in the order they committed."""
    statement = select(Commitment).where(
        Commitment.set_id == learning_set.id,
        Commitment.team_id == learning_set.team_id,
        Commitment.user_id == user_id,
        col(Commitment.status).in_(_OPEN_COMMITMENTS),
    )
    return tuple(
        OpenAction(commitment_id=c.id, text=c.text, due_on=c.due_on)
        for c in session.exec(statement.order_by(col(Commitment.id)))
        if c.id is not None
    )


def _reported_since_last_met(
    session: Session, learning_set: LearningSet, here: set[str]
) -> tuple[str, ...]:
    """People still in the Set who reported back since its last meeting ended (or ever)."""
    last_ended = session.exec(
        select(Meeting.ended_at)
        .where(
            Meeting.set_id == learning_set.id,
            Meeting.status == MeetingStatus.ENDED,
            col(Meeting.ended_at).is_not(None),
        )
        .order_by(col(Meeting.ended_at).desc())
    ).first()
    statement = select(Commitment.user_id).where(
        Commitment.set_id == learning_set.id,
        Commitment.team_id == learning_set.team_id,
        Commitment.status == CommitmentStatus.REPORTED,
    )
    if last_ended is not None:
        statement = statement.where(col(Commitment.reported_at) > last_ended)
    reported = session.exec(statement.order_by(col(Commitment.reported_at), col(Commitment.id)))
    return tuple(dict.fromkeys(u for u in reported if u in here))


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
