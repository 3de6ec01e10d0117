"""The App Home tab: someone's Sets, their open actions, their own learning log (seen by
them alone, bot/flows/learning_log.py), and, for facilitators, each Set's progress.

Action Learning asks the facilitator to let individual and collective progress be
monitored: are people coming, taking action and reporting back, and how does the Set
rate its own way of working over time? A facilitator sees that here for each Set they
facilitate, with the members who might welcome a nudge.

`home_for` only reads, in one short transaction with a fixed number of queries per Set
(and the one `/action` uses), so it is cheap enough to call after anything that changes
what the tab shows and publish the result with `views.publish`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.flows.commitments import CommitmentView, my_commitments
from bot.flows.learning_log import LogItem, my_log
from bot.flows.resources import HOME_SHOWN, ResourceView, resources_with_counts
from bot.store.commitments import ACTIVE
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    ProcessReflection,
    Role,
    SetStatus,
)
from bot.store.sets import current_members

# Missing this many held meetings in a row is worth a friendly word from the facilitator.
MISSED_IN_A_ROW = 2
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class MeetingPoint:
    """One meeting held: who came of those expected, and how the Set rated its process."""

    meeting_id: int
    held_at: datetime | None
    present: int
    expected: int
    reflection_average: float | None
    reflections: int


@dataclass(frozen=True)
class Nudge:
    """A member the facilitator might check in with: overdue actions, or meetings missed.

    `missed_in_a_row` counts back from the last meeting held that they were due at.
    """

    user_id: str
    overdue_actions: int
    missed_in_a_row: int


@dataclass(frozen=True, kw_only=True)
class SetProgress:
    """A Set across its meetings, for its facilitators: attendance, actions, reflection.

    Attendance counts members only (facilitators don't present): those in the Set when
    each meeting started, plus anyone who checked in. Reported is what the method calls
    completed: the member took action and told the Set what happened.
    """

    held: int
    planned: int
    present: int
    expected: int
    committed: int
    reported: int
    dropped: int
    meetings: tuple[MeetingPoint, ...]
    nudges: tuple[Nudge, ...]

    @property
    def attendance_rate(self) -> float | None:
        """Present of expected over every meeting held; None before the first one."""
        return self.present / self.expected if self.expected else None

    @property
    def still_open(self) -> int:
        """Actions still being acted on: neither reported back nor dropped."""
        return self.committed - self.reported - self.dropped


@dataclass(frozen=True, kw_only=True)
class SetCard:
    """One of someone's Sets as their Home shows it; `progress` only for its facilitators."""

    set_id: int
    name: str
    theme: str
    channel_id: str | None
    role: Role
    closed: bool
    timezone: str
    next_meeting: datetime | None
    under_way: bool
    progress: SetProgress | None
    # The facilitator's latest good-practice resources, for everyone in the Set.
    good_practice: tuple[ResourceView, ...] = ()

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR


@dataclass(frozen=True, kw_only=True)
class HomeView:
    """Everything the Home tab shows one person; no Sets means they see the welcome."""

    user_id: str
    sets: tuple[SetCard, ...]
    commitments: tuple[CommitmentView, ...]
    # Their own learning log, newest first: shown to them alone.
    log: tuple[LogItem, ...] = ()


def home_for(store: Store, clock: Clock, *, team_id: str, user_id: str) -> HomeView:
    """What someone's Home tab shows now: open Sets first, newest first; their open actions."""
    now = clock.now()
    with store.session() as session:
        cards = tuple(
            _card(session, learning_set, Role(place.role), now)
            for place, learning_set in _places(session, team_id=team_id, user_id=user_id)
        )
        log = my_log(session, team_id=team_id, user_id=user_id)
    mine = my_commitments(store, clock, team_id=team_id, user_id=user_id)
    return HomeView(
        user_id=user_id,
        sets=cards,
        commitments=tuple(view for view in mine if view.status in ACTIVE),
        log=log,
    )


def _places(
    session: Session, *, team_id: str, user_id: str
) -> Sequence[tuple[Membership, LearningSet]]:
    statement = (
        select(Membership, LearningSet)
        .join(LearningSet, col(LearningSet.id) == Membership.set_id)
        .where(
            LearningSet.team_id == team_id,
            Membership.user_id == user_id,
            col(Membership.left_at).is_(None),
        )
        .order_by(col(LearningSet.status) == SetStatus.CLOSED, col(LearningSet.id).desc())
    )
    return [(place, learning_set) for place, learning_set in session.exec(statement)]


def _card(session: Session, learning_set: LearningSet, role: Role, now: datetime) -> SetCard:
    assert learning_set.id is not None
    meetings = session.exec(select(Meeting).where(Meeting.set_id == learning_set.id)).all()
    upcoming = [
        m.scheduled_at
        for m in meetings
        if m.status == MeetingStatus.SCHEDULED and m.scheduled_at and m.scheduled_at > now
    ]
    facilitating = role == Role.FACILITATOR
    return SetCard(
        set_id=learning_set.id,
        name=learning_set.name,
        theme=learning_set.theme,
        channel_id=learning_set.channel_id,
        role=role,
        closed=learning_set.status == SetStatus.CLOSED,
        timezone=learning_set.timezone,
        next_meeting=min(upcoming, default=None),
        under_way=any(m.status == MeetingStatus.OPEN for m in meetings),
        progress=_progress(session, learning_set, meetings, now) if facilitating else None,
        good_practice=resources_with_counts(session, set_id=learning_set.id, limit=HOME_SHOWN),
    )


def _progress(
    session: Session, learning_set: LearningSet, meetings: Sequence[Meeting], now: datetime
) -> SetProgress:
    assert learning_set.id is not None
    held = sorted(
        (m for m in meetings if m.status == MeetingStatus.ENDED),
        key=lambda m: (m.started_at or _NEVER, m.id or 0),
    )
    people = session.exec(select(Membership).where(Membership.set_id == learning_set.id)).all()
    members = [p for p in people if p.role == Role.MEMBER]
    came = _attended(session, [m.id for m in held])
    scores = _reflection_scores(session, [m.id for m in held])
    expected = {_id(m): _expected(m, members, came) for m in held}
    points = tuple(_point(m, expected[_id(m)], came, scores) for m in held)
    actions = session.exec(
        select(Commitment.user_id, Commitment.status, Commitment.due_on).where(
            Commitment.set_id == learning_set.id
        )
    ).all()
    statuses = Counter(CommitmentStatus(status) for _, status, _ in actions)
    today = now.astimezone(ZoneInfo(learning_set.timezone)).date()
    closed = learning_set.status == SetStatus.CLOSED
    return SetProgress(
        held=len(held),
        planned=sum(m.status != MeetingStatus.SKIPPED for m in meetings),
        present=sum(p.present for p in points),
        expected=sum(p.expected for p in points),
        committed=len(actions),
        reported=statuses[CommitmentStatus.REPORTED],
        dropped=statuses[CommitmentStatus.DROPPED],
        meetings=points,
        nudges=() if closed else _nudges(members, held, expected, came, actions, today),
    )


def _attended(session: Session, meeting_ids: list[int | None]) -> set[tuple[int, str]]:
    """(meeting, member) pairs of everyone who checked in as present at these meetings."""
    statement = select(Attendance.meeting_id, Attendance.user_id).where(
        col(Attendance.meeting_id).in_(meeting_ids),
        Attendance.status == AttendanceStatus.PRESENT,
    )
    return {(meeting_id, user_id) for meeting_id, user_id in session.exec(statement)}


def _reflection_scores(
    session: Session, meeting_ids: list[int | None]
) -> dict[int, tuple[float, int]]:
    """Each meeting's average process-reflection score (one decimal) and how many answered."""
    statement = (
        select(
            ProcessReflection.meeting_id,
            func.avg(ProcessReflection.score),
            func.count(),
        )
        .where(col(ProcessReflection.meeting_id).in_(meeting_ids))
        .group_by(ProcessReflection.meeting_id)
    )
    return {
        meeting_id: (round(float(average), 1), int(count))
        for meeting_id, average, count in session.exec(statement)
    }


def _expected(
    meeting: Meeting, members: Sequence[Membership], came: set[tuple[int, str]]
) -> set[str]:
    """Members in the Set when the meeting started, and any member who checked in anyway."""
    started = meeting.started_at or _NEVER
    return {
        m.user_id
        for m in members
        if (_id(meeting), m.user_id) in came
        or ((m.joined_at or _NEVER) <= started and (m.left_at is None or m.left_at > started))
    }


def _point(
    meeting: Meeting,
    expected: set[str],
    came: set[tuple[int, str]],
    scores: Mapping[int, tuple[float, int]],
) -> MeetingPoint:
    average, answered = scores.get(_id(meeting), (None, 0))
    return MeetingPoint(
        meeting_id=_id(meeting),
        held_at=meeting.started_at,
        present=sum((_id(meeting), user) in came for user in expected),
        expected=len(expected),
        reflection_average=average,
        reflections=answered,
    )


def _nudges(
    members: Sequence[Membership],
    held: Sequence[Meeting],
    expected: Mapping[int, set[str]],
    came: set[tuple[int, str]],
    actions: Sequence[tuple[str, str, date | None]],
    today: date,
) -> tuple[Nudge, ...]:
    """Current members with overdue open actions, or who missed the last two meetings or more.

    Missing counts apologies too: the facilitator's word is a kind one either way.
    """
    overdue = Counter(
        user
        for user, status, due_on in actions
        if status in ACTIVE and due_on is not None and due_on < today
    )
    nudges = []
    for member in (m for m in members if m.left_at is None):
        missed = _missed_in_a_row(member.user_id, held, expected, came)
        if overdue[member.user_id] or missed >= MISSED_IN_A_ROW:
            nudges.append(Nudge(member.user_id, overdue[member.user_id], missed))
    return tuple(nudges)


def _missed_in_a_row(
    user_id: str,
    held: Sequence[Meeting],
    expected: Mapping[int, set[str]],
    came: set[tuple[int, str]],
) -> int:
    """How many of the meetings someone was due at they missed, counting back from the last."""
    missed = 0
    for meeting in reversed(held):
        if user_id not in expected[_id(meeting)]:
            continue
        if (_id(meeting), user_id) in came:
            break
        missed += 1
    return missed


def _id(meeting: Meeting) -> int:
    """A stored meeting's id (rows read from the database always have one)."""
    assert meeting.id is not None
    return meeting.id


def whose_home_changed(
    store: Store, *, set_id: int, actor: str | None = None, everyone: bool = False
) -> list[str]:
    """Whose App Home shows what just changed in a Set.

    The actor's own; the facilitators', whose progress view counts everyone; and, when the
    Set itself changed (a meeting held, dates moved), every member's.
    """
    with store.session() as session:
        people = current_members(session, set_id=set_id)
    chosen = [m.user_id for m in people if everyone or m.role == Role.FACILITATOR]
    return list(dict.fromkeys([*([actor] if actor else []), *chosen]))
