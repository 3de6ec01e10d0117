"""A Set meeting: the facilitator starts it, members check in, turns are planned, it ends.

Every member in turn takes a round, so the running order is made fair at the start:
whoever has waited longest since presenting goes first. The time plan shares the
session among the members expected today (the turn order minus anyone who sent
apologies): not-yet-checked-in members keep their slot, because people arrive late
far more often than they vanish, and a slot is easier to give away than to find.

Meetings found by id (buttons, modals) are looked up within the caller's team, and
ending one is a conditional update, so two processes never end a meeting twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, InSet, Refusal, facilitator_here
from bot.flows.owed_posts import owe_meeting_card, owe_meeting_ended
from bot.flows.time_plan import TimePlan, plan_meeting
from bot.store.db import Store
from bot.store.meetings import (
    attendance_of,
    commitments_of,
    end_if_open,
    last_presented,
    lock_set,
    meeting_in_team,
    open_meeting_of,
    open_meetings,
    record_attendance,
    rounds_of,
    scheduled_between,
)
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    LearningSet,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Membership,
    Role,
)
from bot.store.outbox import cancel_keys, set_key
from bot.store.preferences import is_away
from bot.store.sets import current_members, membership

# A scheduled meeting counts as today's when it is on the same local day and this close.
SAME_DAY_WINDOW = timedelta(hours=12)
# How long past its planned end a forgotten meeting stays open before the bot ends it.
OVERDUE_GRACE = timedelta(minutes=30)
_NEVER = datetime.min.replace(tzinfo=UTC)

ALREADY_OPEN = (
    "A meeting of *{set}* is already under way. Carry on with it, or type `/meeting end` "
    "to finish it before starting another."
)
NOTHING_UNDER_WAY = "There's no meeting under way. Start one with `/meeting start`."
MEETING_ENDED = "This meeting has ended — see you at the next one."
NOT_STARTED = (
    "This meeting hasn't started yet. You can check in once your facilitator starts it "
    "with `/meeting start`."
)
NO_SUCH_MEETING = "I can't find that meeting any more. Type `/set` to see your Sets."
NOT_A_MEMBER = (
    "Only members of *{set}* can check in to its meetings. "
    "If you'd like to join, ask the Set's facilitator to add you."
)
NOT_THE_FACILITATOR = (
    "Only the Set's facilitator can change the running order, so it stays as it was. "
    "If you think it needs changing, have a word with them."
)
NOT_PRESENTERS = (
    "Only members of *{set}* take turns, so I kept the running order as it was. "
    "Pick from the Set's members (facilitators don't present) and try again."
)


@dataclass(frozen=True, kw_only=True)
class MeetingCard:
    """What the meeting card in the Set's channel shows, and whom to remind privately."""

    set_id: int
    set_name: str
    timezone: str
    channel_id: str | None
    meeting_id: int
    status: MeetingStatus
    started_at: datetime | None
    card_ts: str | None
    turn_order: tuple[str, ...]
    present: tuple[str, ...]
    apologies: tuple[str, ...]
    not_checked_in: tuple[str, ...]
    # None until the meeting starts: a plan needs a start time.
    plan: TimePlan | None
    ground_rules: tuple[str, ...]
    # Members who haven't agreed to the ground rules yet (facilitators set the rules).
    not_agreed: tuple[str, ...]

    @property
    def has_ended(self) -> bool:
        return self.status == MeetingStatus.ENDED


@dataclass(frozen=True)
class Action:
    """An action someone committed to at the meeting, in their own words."""

    user_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class MeetingSummary:
    """How a meeting went, for the channel; `facilitators` are told of automatic endings."""

    set_id: int
    set_name: str
    timezone: str
    channel_id: str | None
    meeting_id: int
    card_ts: str | None
    started_at: datetime
    ended_at: datetime
    presenters: tuple[str, ...]
    actions: tuple[Action, ...]
    present: tuple[str, ...]
    apologies: tuple[str, ...]
    absent: tuple[str, ...]
    facilitators: tuple[str, ...]
    closed_automatically: bool

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at


def start_meeting(store: Store, clock: Clock, caller: Caller) -> MeetingCard:
    """Open today's scheduled meeting (or an ad-hoc one) with a fair running order.

    The Set's row is locked first, so two facilitators starting at once get one
    meeting and one friendly refusal.
    """
    with store.session() as session:
        here = facilitator_here(session, caller)
        meeting = begin_meeting(session, here, clock.now())
        owe_meeting_card(session, meeting, here.learning_set.channel_id or "", clock.now())
        return card_of(session, here.learning_set, meeting)


def begin_meeting(session: Session, here: InSet, now: datetime) -> Meeting:
    """Today's scheduled meeting (or an ad-hoc one) opened now, with a fair running order."""
    lock_set(session, set_id=here.set_id)
    if open_meeting_of(session, set_id=here.set_id) is not None:
        raise Refusal(ALREADY_OPEN, set=here.learning_set.name)
    meeting = _todays_meeting(session, here.learning_set, now) or Meeting(
        team_id=here.learning_set.team_id,
        set_id=here.set_id,
        session_minutes=here.learning_set.session_minutes,
    )
    meeting.status = MeetingStatus.OPEN
    meeting.started_at = now
    meeting.started_by = here.member.user_id
    meeting.turn_order = _fair_order(session, set_id=here.set_id)
    session.add(meeting)
    session.flush()
    _away_sends_apologies(session, here.learning_set, meeting, now)
    return meeting


def _away_sends_apologies(
    session: Session, learning_set: LearningSet, meeting: Meeting, now: datetime
) -> None:
    """Someone who said they're away today has their apologies sent, and their turn waits.

    "Today" is in their own zone; pressing "I'm here" still counts if they come after all.
    """
    assert meeting.id is not None
    already = attendance_of(session, meeting_id=meeting.id)
    for user in (u for u in meeting.turn_order if u not in already):
        place = membership(session, set_id=meeting.set_id, user_id=user)
        zone = (place.timezone if place else None) or learning_set.timezone
        today = now.astimezone(ZoneInfo(zone)).date()
        if is_away(session, team_id=meeting.team_id, user_id=user, on=today):
            _attend(session, meeting, user, AttendanceStatus.APOLOGIES, at=now)


def _todays_meeting(session: Session, learning_set: LearningSet, now: datetime) -> Meeting | None:
    """The scheduled meeting closest to now on the Set's local today, if any.

    Both bounds matter: the same local day alone would let 00:05 claim a meeting at
    23:55, and 12 hours alone would let an evening session use up tomorrow morning's.
    """
    assert learning_set.id is not None
    zone = ZoneInfo(learning_set.timezone)
    today = now.astimezone(zone).date()
    nearby = scheduled_between(
        session,
        set_id=learning_set.id,
        earliest=now - SAME_DAY_WINDOW,
        latest=now + SAME_DAY_WINDOW,
    )
    same_day = [m for m in nearby if _planned(m).astimezone(zone).date() == today]
    return min(same_day, key=lambda m: abs(_planned(m) - now), default=None)


def _planned(meeting: Meeting) -> datetime:
    """A scheduled meeting's planned start (only scheduled meetings are asked)."""
    assert meeting.scheduled_at is not None
    return meeting.scheduled_at


def _fair_order(session: Session, *, set_id: int) -> list[str]:
    """Members who have waited longest since presenting go first; never presented, first of all.

    `current_members` lists people in join order and the sort is stable, so ties keep it.
    """
    last = last_presented(session, set_id=set_id)
    members = [m for m in current_members(session, set_id=set_id) if m.role == Role.MEMBER]
    return [m.user_id for m in sorted(members, key=lambda m: last.get(m.user_id, _NEVER))]


def check_in(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    meeting_id: int,
    user_id: str,
    status: AttendanceStatus,
) -> MeetingCard:
    """Mark oneself here or sending apologies; pressing again, or changing one's mind, is fine."""
    if status not in (AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES):
        raise ValueError(f"people check in as present or with apologies, not {status!r}")
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, team_id=team_id, meeting_id=meeting_id)
        _must_be_member(session, meeting, learning_set, user_id)
        _must_be_open(meeting)
        _attend(session, meeting, user_id, status, at=clock.now())
        session.flush()
        return card_of(session, learning_set, meeting)


def facilitator_card(store: Store, *, team_id: str, meeting_id: int, user_id: str) -> MeetingCard:
    """The card for a facilitator about to change the order: others are refused before a modal."""
    with store.session() as session:
        meeting, learning_set = _facilitated(session, team_id, meeting_id, user_id)
        return card_of(session, learning_set, meeting)


def reorder(
    store: Store, *, team_id: str, meeting_id: int, user_id: str, order: Sequence[str]
) -> MeetingCard:
    """Put the picked members first, in that order; anyone left out keeps their place after.

    Leaving someone out never drops their turn: sending apologies is how a turn goes.
    """
    with store.session() as session:
        meeting, learning_set = _facilitated(session, team_id, meeting_id, user_id)
        presenters = {
            m.user_id
            for m in current_members(session, set_id=meeting.set_id)
            if m.role == Role.MEMBER
        }
        picked = list(dict.fromkeys(order))
        if not set(picked) <= presenters:
            raise Refusal(NOT_PRESENTERS, set=learning_set.name)
        rest = [u for u in meeting.turn_order if u in presenters and u not in picked]
        meeting.turn_order = picked + rest
        session.add(meeting)
        session.flush()
        return card_of(session, learning_set, meeting)


def _facilitated(
    session: Session, team_id: str, meeting_id: int, user_id: str
) -> tuple[Meeting, LearningSet]:
    """An open meeting whose Set the user facilitates now, or the reason why not."""
    meeting, learning_set = _meeting_and_set(session, team_id=team_id, meeting_id=meeting_id)
    place = membership(session, set_id=meeting.set_id, user_id=user_id)
    if place is None or place.left_at is not None or place.role != Role.FACILITATOR:
        raise Refusal(NOT_THE_FACILITATOR)
    _must_be_open(meeting)
    return meeting, learning_set


def end_meeting(store: Store, clock: Clock, caller: Caller) -> MeetingSummary:
    """End the Set's meeting under way and sum it up; reflecting on the process comes next."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        meeting = open_meeting_of(session, set_id=here.set_id)
        if meeting is None or not end_if_open(session, meeting=meeting, ended_at=clock.now()):
            raise Refusal(NOTHING_UNDER_WAY)
        owe_meeting_ended(session, meeting, here.learning_set.channel_id or "", clock.now())
        return summary_of(session, here.learning_set, meeting, closed_automatically=False)


def close_overdue_meetings(store: Store, clock: Clock) -> list[MeetingSummary]:
    """End meetings left open well past their planned finish, as of when they should have ended.

    Each meeting is ended in its own unit of work with a conditional update, so a
    second process sweeping at the same moment finds nothing left to end.
    """
    now = clock.now()
    with store.session() as session:
        due = [
            m.id
            for m in open_meetings(session)
            if m.id is not None and m.started_at is not None and _closes_at(m) < now
        ]
    ended = (_close_overdue(store, meeting_id) for meeting_id in due)
    return [summary for summary in ended if summary is not None]


def _closes_at(meeting: Meeting) -> datetime:
    """When an open meeting is given up on: half an hour after its planned finish.

    An asynchronous meeting finishes when its window closes.
    """
    assert meeting.started_at is not None
    if meeting.mode == MeetingMode.ASYNC and meeting.window_ends_at is not None:
        return meeting.window_ends_at
    return meeting.started_at + timedelta(minutes=meeting.session_minutes) + OVERDUE_GRACE


def _close_overdue(store: Store, meeting_id: int) -> MeetingSummary | None:
    """End one overdue meeting; None if another process got there first."""
    with store.session() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or not end_if_open(
            session, meeting=meeting, ended_at=_closes_at(meeting)
        ):
            return None
        learning_set = session.get(LearningSet, meeting.set_id)
        assert learning_set is not None
        return summary_of(session, learning_set, meeting, closed_automatically=True)


def meeting_card(store: Store, *, team_id: str, meeting_id: int) -> MeetingCard:
    """The card as it stands, to re-render after any change."""
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, team_id=team_id, meeting_id=meeting_id)
        return card_of(session, learning_set, meeting)


def set_card_ts(store: Store, *, team_id: str, meeting_id: int, ts: str) -> None:
    """Remember where the card was posted, so later changes update it in place."""
    with store.session() as session:
        meeting, _ = _meeting_and_set(session, team_id=team_id, meeting_id=meeting_id)
        meeting.card_ts = ts
        session.add(meeting)


def _meeting_and_set(
    session: Session, *, team_id: str, meeting_id: int
) -> tuple[Meeting, LearningSet]:
    """A meeting of the caller's team and its Set; another team's ids find nothing."""
    meeting = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None:
        raise Refusal(NO_SUCH_MEETING)
    return meeting, learning_set


def _must_be_member(
    session: Session, meeting: Meeting, learning_set: LearningSet, user_id: str
) -> None:
    place = membership(session, set_id=meeting.set_id, user_id=user_id)
    if place is None or place.left_at is not None:
        raise Refusal(NOT_A_MEMBER, set=learning_set.name)


def _attend(
    session: Session, meeting: Meeting, user_id: str, status: AttendanceStatus, *, at: datetime
) -> None:
    """Upsert: pressing twice keeps the first time, changing one's mind changes the status."""
    assert meeting.id is not None
    attendance = Attendance(
        team_id=meeting.team_id, meeting_id=meeting.id, user_id=user_id, status=status, at=at
    )
    record_attendance(session, attendance=attendance)


def _must_be_open(meeting: Meeting) -> None:
    """Check-ins and order changes only make sense while the meeting is under way."""
    if meeting.status == MeetingStatus.ENDED:
        raise Refusal(MEETING_ENDED)
    if meeting.status != MeetingStatus.OPEN:
        raise Refusal(NOT_STARTED)


@dataclass(frozen=True)
class _Attendance:
    present: tuple[str, ...]
    apologies: tuple[str, ...]
    # Members (not facilitators) who have neither checked in nor sent apologies.
    missing: tuple[str, ...]


def _attendance(session: Session, people: Sequence[Membership], meeting_id: int) -> _Attendance:
    """Who came, who sent apologies, and which members are still unaccounted for."""
    seen = attendance_of(session, meeting_id=meeting_id)
    return _Attendance(
        present=tuple(u for u, s in seen.items() if s == AttendanceStatus.PRESENT),
        apologies=tuple(u for u, s in seen.items() if s == AttendanceStatus.APOLOGIES),
        missing=tuple(
            m.user_id
            for m in people
            if m.role == Role.MEMBER
            and seen.get(m.user_id) not in (AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES)
        ),
    )


def card_of(session: Session, learning_set: LearningSet, meeting: Meeting) -> MeetingCard:
    """The card from what is stored now, so every re-render agrees with the database."""
    assert learning_set.id is not None and meeting.id is not None
    people = current_members(session, set_id=learning_set.id)
    came = _attendance(session, people, meeting.id)
    current = {m.user_id for m in people}
    presenters = [u for u in meeting.turn_order if u in current and u not in came.apologies]
    plan = None
    # A time plan is for a meeting held live; one in writing has phase windows instead.
    if meeting.started_at is not None and meeting.mode == MeetingMode.LIVE:
        plan = plan_meeting(
            session_minutes=meeting.session_minutes,
            presenters=presenters,
            start=meeting.started_at,
            agreed=meeting.round_minutes,
        )
    return MeetingCard(
        set_id=learning_set.id,
        set_name=learning_set.name,
        timezone=learning_set.timezone,
        channel_id=learning_set.channel_id,
        meeting_id=meeting.id,
        status=MeetingStatus(meeting.status),
        started_at=meeting.started_at,
        card_ts=meeting.card_ts,
        turn_order=tuple(meeting.turn_order),
        present=came.present,
        apologies=came.apologies,
        not_checked_in=came.missing,
        plan=plan,
        ground_rules=tuple(learning_set.ground_rules),
        not_agreed=tuple(
            m.user_id for m in people if m.role == Role.MEMBER and m.ground_rules_agreed_at is None
        ),
    )


def summary_of(
    session: Session, learning_set: LearningSet, meeting: Meeting, *, closed_automatically: bool
) -> MeetingSummary:
    """How an ended meeting went; absentees are counted against today's members."""
    assert learning_set.id is not None and meeting.id is not None
    assert meeting.started_at is not None and meeting.ended_at is not None
    people = current_members(session, set_id=learning_set.id)
    came = _attendance(session, people, meeting.id)
    return MeetingSummary(
        set_id=learning_set.id,
        set_name=learning_set.name,
        timezone=learning_set.timezone,
        channel_id=learning_set.channel_id,
        meeting_id=meeting.id,
        card_ts=meeting.card_ts,
        started_at=meeting.started_at,
        ended_at=meeting.ended_at,
        # Someone whose round was reopened presented once, in the place they first did.
        presenters=tuple(
            dict.fromkeys(r.presenter_id for r in rounds_of(session, meeting_id=meeting.id))
        ),
        actions=tuple(
            Action(c.user_id, c.text) for c in commitments_of(session, meeting_id=meeting.id)
        ),
        present=came.present,
        apologies=came.apologies,
        absent=came.missing,
        facilitators=tuple(m.user_id for m in people if m.role == Role.FACILITATOR),
        closed_automatically=closed_automatically,
    )


@dataclass(frozen=True)
class Apologies:
    set_name: str
    starts_at: datetime | None
    timezone: str


def send_apologies(
    store: Store, clock: Clock, *, team_id: str, meeting_id: int, user_id: str
) -> Apologies:
    """A member says ahead of time that they can't come; their reminders for it are withdrawn.

    The facilitator's digest and the meeting card show the apologies, and the time plan
    leaves them out, exactly as for apologies sent once the meeting is under way.
    """
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, team_id=team_id, meeting_id=meeting_id)
        _must_be_member(session, meeting, learning_set, user_id)
        if meeting.status in (MeetingStatus.ENDED, MeetingStatus.SKIPPED):
            raise Refusal(MEETING_ENDED)
        _attend(session, meeting, user_id, AttendanceStatus.APOLOGIES, at=clock.now())
        # Everything private still owed to them about this meeting: its key names the meeting.
        about = set_key(meeting.set_id, "meeting", meeting_id) + ":"
        cancel_keys(session, team_id=team_id, prefix=about, target=user_id)
        return Apologies(learning_set.name, meeting.scheduled_at, learning_set.timezone)
