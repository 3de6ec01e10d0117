"""How a meeting went, for its facilitator: who spoke, when, and whether they asked — never what.

The facilitator's part in Action Learning is to keep the process working and to point out
how the Set works together. These figures help them notice: airtime per member and phase,
who asked, who was coached, and how long rounds ran against their slots. A few plain rules
turn the figures into one or two observations a facilitator could raise with the Set.

Everything is counted from the shape of what was said (`Contribution`): who, in which
phase, how many words, and whether it asked. Two things follow from keeping no words:

* Open and closed questions are told apart by the kind `listening.hear` kept for each
  contribution; what was heard before kinds were kept counts as a question of unknown kind.
* Coaching hints aren't stored. A hint is given for a non-question with words in it, said
  in the questions phase by someone other than the presenter, while the Set has hints on;
  the same rule counts them here, using the Set's hint setting as it is now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.flows.access import Caller, InSet, Refusal, member_here
from bot.flows.phases import Phase
from bot.flows.questions import Kind
from bot.store.db import Store
from bot.store.meetings import meeting_in_team, open_meeting_of, rounds_of
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Contribution,
    Meeting,
    MeetingStatus,
    Membership,
    Role,
    Round,
)

# The phases people speak in, in the order a round runs through them.
SPOKEN_PHASES: tuple[Phase, ...] = (
    Phase.REPORT_BACK,
    Phase.DESCRIBE,
    Phase.QUESTIONS,
    Phase.IDEAS,
    Phase.REFLECT,
)
# Observations are a prompt for the facilitator, not a report card: one or two at most.
MAX_OBSERVATIONS = 2
# Rules compare the whole percentages the facilitator is shown, so what reads as "70%"
# is judged as 70%. "Two members asked 70% of the questions" only means something with
# enough questions and enough people who could have asked them.
FEW_ASKERS_PERCENT = 70
MIN_QUESTIONS_FOR_PATTERN = 4
MIN_PEOPLE_FOR_PATTERN = 4
# Below this share of questions in the questions phase, the Set was mostly telling.
LOW_QUESTION_PERCENT = 50
MIN_SAID_FOR_SHARE = 4
# Rounds this far over their slots, taken together, are worth a word.
OVERRUN_PERCENT = 20

NOT_A_FACILITATOR = (
    "Only the Set's facilitators see meeting stats. They're for noticing how the Set works "
    "together; your facilitator will raise anything worth talking about."
)
NO_MEETING_YET = "*{set}* hasn't met yet, so there are no stats to show."
NO_SUCH_MEETING = "I can't find that meeting of *{set}*. Type `/set schedule` to see its meetings."
NOT_HELD_YET = "That meeting hasn't started yet, so there are no stats to show."


@dataclass(frozen=True)
class Talk:
    """How much someone said: messages and words."""

    contributions: int = 0
    words: int = 0

    def __add__(self, other: Talk) -> Talk:
        return Talk(self.contributions + other.contributions, self.words + other.words)


@dataclass(frozen=True, kw_only=True)
class RoundTiming:
    """One round's time against its slot; `duration_seconds` is None while it is still open."""

    round_id: int
    presenter: str
    slot_minutes: int
    duration_seconds: int | None

    @property
    def overrun(self) -> float | None:
        """How far past its slot the round ran (0.3 is 30 % over; negative is under)."""
        if self.duration_seconds is None or self.slot_minutes <= 0:
            return None
        return self.duration_seconds / (self.slot_minutes * 60) - 1


@dataclass(frozen=True, kw_only=True)
class MemberStats:
    """One person at the meeting: airtime per phase, questions asked, hints, rounds presented.

    `questions` counts what they asked in other people's rounds, in any phase, and
    `open_questions` how many of those were open; `hints` the coaching hints the listening
    rule gave them (see the module docstring).
    """

    user_id: str
    role: Role
    present: bool
    by_phase: Mapping[Phase, Talk]
    questions: int
    hints: int
    rounds: tuple[RoundTiming, ...]
    open_questions: int = 0

    @property
    def talk(self) -> Talk:
        return sum(self.by_phase.values(), Talk())

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR


class Noticed(StrEnum):
    """Patterns worth a facilitator's word, found by the rules in `observe`."""

    SILENT_IN_QUESTIONS = "silent_in_questions"
    QUESTIONS_FROM_FEW = "questions_from_few"
    FEW_QUESTIONS = "few_questions"
    ROUNDS_OVERRAN = "rounds_overran"


@dataclass(frozen=True)
class Observation:
    """A pattern, the people it is about (if any), and its size as a whole percentage."""

    kind: Noticed
    people: tuple[str, ...] = ()
    percent: int = 0


@dataclass(frozen=True, kw_only=True)
class MeetingStats:
    """A meeting as the facilitator's stats show it.

    `asked` of `said` is the Set's questioning: contributions in the questions phase by
    anyone but the presenter, and how many of them were questions.
    """

    set_id: int
    set_name: str
    timezone: str
    meeting_id: int
    status: MeetingStatus
    started_at: datetime | None
    ended_at: datetime | None
    hints_on: bool
    members: tuple[MemberStats, ...]
    rounds: tuple[RoundTiming, ...]
    asked: int
    said: int
    most_heard: tuple[str, ...]
    least_heard: tuple[str, ...]
    observations: tuple[Observation, ...]

    @property
    def question_share(self) -> float | None:
        """The share of the Set's questioning that asked; None if only the presenter spoke."""
        return self.asked / self.said if self.said else None

    @property
    def overrun(self) -> float | None:
        """How far the meeting's closed rounds ran past their slots, together."""
        return overrun(self.rounds)


def overrun(rounds: Sequence[RoundTiming]) -> float | None:
    """Closed rounds' time against their slots, taken together (0.3 is 30 % over).

    Summing before dividing weighs each round by its slot, as the meeting's clock does.
    """
    timed = [r for r in rounds if r.overrun is not None]
    planned = sum(r.slot_minutes * 60 for r in timed)
    if not planned:
        return None
    return sum(r.duration_seconds or 0 for r in timed) / planned - 1


def meeting_stats(store: Store, caller: Caller, *, meeting_id: int | None) -> MeetingStats:
    """A facilitator's view of one meeting of their channel's Set (closed Sets too).

    None means the meeting under way, or else the one that ended last. Read-only.
    """
    with store.session() as session:
        here = member_here(session, caller, open_only=False)
        if not here.is_facilitator:
            raise Refusal(NOT_A_FACILITATOR)
        meeting = _meeting_to_show(session, here, meeting_id)
        return _stats(session, here, meeting)


def _meeting_to_show(session: Session, here: InSet, meeting_id: int | None) -> Meeting:
    """The meeting asked for, only if it is this Set's and has started."""
    if meeting_id is None:
        meeting = open_meeting_of(session, set_id=here.set_id) or _last_ended(session, here.set_id)
        if meeting is None:
            raise Refusal(NO_MEETING_YET, set=here.learning_set.name)
        return meeting
    team_id = here.learning_set.team_id
    found = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
    if found is None or found.set_id != here.set_id:
        raise Refusal(NO_SUCH_MEETING, set=here.learning_set.name)
    if found.status not in (MeetingStatus.OPEN, MeetingStatus.ENDED):
        raise Refusal(NOT_HELD_YET)
    return found


def _last_ended(session: Session, set_id: int) -> Meeting | None:
    statement = (
        select(Meeting)
        .where(Meeting.set_id == set_id, Meeting.status == MeetingStatus.ENDED)
        .order_by(col(Meeting.ended_at).desc().nulls_last(), col(Meeting.id).desc())
    )
    return session.exec(statement).first()


@dataclass
class _Tally:
    """Running counts while reading a meeting's contributions once."""

    by_phase: defaultdict[str, Counter[Phase]] = field(default_factory=lambda: defaultdict(Counter))
    words: defaultdict[str, Counter[Phase]] = field(default_factory=lambda: defaultdict(Counter))
    questions: Counter[str] = field(default_factory=Counter)
    open_questions: Counter[str] = field(default_factory=Counter)
    hints: Counter[str] = field(default_factory=Counter)
    # Who spoke in the questions phase of someone else's round, and which rounds heard anyone.
    questioners: set[str] = field(default_factory=set)
    questioned_rounds: set[int] = field(default_factory=set)
    asked: int = 0
    said: int = 0

    def add(self, heard: Contribution, presenter: str, *, hints_on: bool) -> None:
        """Count one contribution; the presenter's own words are airtime, not questioning."""
        phase, user = Phase(heard.phase), heard.user_id
        self.by_phase[user][phase] += 1
        self.words[user][phase] += heard.word_count
        if user == presenter:
            return
        self.questions[user] += heard.is_question
        self.open_questions[user] += heard.kind == Kind.OPEN_QUESTION
        if phase is Phase.QUESTIONS:
            self.questioners.add(user)
            self.questioned_rounds.add(heard.round_id)
            self.said += 1
            self.asked += heard.is_question
            # The listening rule: a non-question with words in it earned a private hint.
            self.hints[user] += hints_on and not heard.is_question and heard.word_count > 0

    def talk(self, user: str) -> dict[Phase, Talk]:
        return {p: Talk(self.by_phase[user][p], self.words[user][p]) for p in self.by_phase[user]}


def _stats(session: Session, here: InSet, meeting: Meeting) -> MeetingStats:
    assert meeting.id is not None
    rounds = list(rounds_of(session, meeting_id=meeting.id))
    hints_on = here.learning_set.coaching_hints
    tally = _Tally()
    presenters = {r.id: r.presenter_id for r in rounds}
    for heard in _contributions(session, list(presenters)):
        tally.add(heard, presenters[heard.round_id], hints_on=hints_on)
    timings = tuple(_timing(r) for r in rounds)
    present = _present(session, meeting.id)
    members = _members(session, here.set_id, present, tally, timings)
    most, least = _most_and_least_heard(members)
    silent = _silent_in_questions(rounds, tally, members, present)
    return MeetingStats(
        set_id=here.set_id,
        set_name=here.learning_set.name,
        timezone=here.learning_set.timezone,
        meeting_id=meeting.id,
        status=MeetingStatus(meeting.status),
        started_at=meeting.started_at,
        ended_at=meeting.ended_at,
        hints_on=hints_on,
        members=members,
        rounds=timings,
        asked=tally.asked,
        said=tally.said,
        most_heard=most,
        least_heard=least,
        observations=observe(
            members, silent=silent, asked=tally.asked, said=tally.said, rounds=timings
        ),
    )


def _contributions(session: Session, round_ids: list[int | None]) -> Sequence[Contribution]:
    statement = (
        select(Contribution)
        .where(col(Contribution.round_id).in_(round_ids))
        .order_by(col(Contribution.id))
    )
    return session.exec(statement).all()


def _timing(round_: Round) -> RoundTiming:
    assert round_.id is not None
    return RoundTiming(
        round_id=round_.id,
        presenter=round_.presenter_id,
        slot_minutes=round_.slot_minutes,
        duration_seconds=round_.duration_seconds,
    )


def _present(session: Session, meeting_id: int) -> dict[str, datetime | None]:
    """Who checked in as present, and when."""
    statement = select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.status == AttendanceStatus.PRESENT
    )
    return {row.user_id: row.at for row in session.exec(statement)}


def _members(
    session: Session,
    set_id: int,
    present: Mapping[str, datetime | None],
    tally: _Tally,
    timings: Sequence[RoundTiming],
) -> tuple[MemberStats, ...]:
    """Everyone who was there (checked in, spoke or presented), facilitators first.

    People are listed in the order they joined the Set; someone who has since left keeps
    their place, so past meetings still add up.
    """
    there = set(present) | set(tally.by_phase) | {t.presenter for t in timings}
    places = session.exec(
        select(Membership).where(Membership.set_id == set_id).order_by(col(Membership.id))
    ).all()
    joined = {m.user_id: i for i, m in enumerate(places)}
    roles = {m.user_id: Role(m.role) for m in places}
    order = sorted(
        there, key=lambda u: (roles.get(u) != Role.FACILITATOR, joined.get(u, len(places)), u)
    )
    return tuple(
        MemberStats(
            user_id=user,
            role=roles.get(user, Role.MEMBER),
            present=user in present,
            by_phase=tally.talk(user),
            questions=tally.questions[user],
            hints=tally.hints[user],
            rounds=tuple(t for t in timings if t.presenter == user),
            open_questions=tally.open_questions[user],
        )
        for user in order
    )


def _silent_in_questions(
    rounds: Sequence[Round],
    tally: _Tally,
    members: Sequence[MemberStats],
    present: Mapping[str, datetime | None],
) -> tuple[str, ...]:
    """Members who had a chance to ask and said nothing in any questions phase.

    A chance is someone else's round whose questions phase heard anyone, still open when
    the member checked in: a late arrival isn't faulted for rounds they missed.
    """
    silent = []
    for member in members:
        if member.is_facilitator or member.user_id in tally.questioners:
            continue
        arrived = present.get(member.user_id)
        had_a_chance = any(
            r.id in tally.questioned_rounds
            and r.presenter_id != member.user_id
            and (arrived is None or r.closed_at is None or arrived < r.closed_at)
            for r in rounds
        )
        if had_a_chance:
            silent.append(member.user_id)
    return tuple(silent)


def _most_and_least_heard(
    members: Sequence[MemberStats],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The members (not facilitators) with the most and the fewest words; ties share a place."""
    words = {m.user_id: m.talk.words for m in members if not m.is_facilitator}
    if len(words) < 2 or len(set(words.values())) < 2:
        return (), ()
    most, least = max(words.values()), min(words.values())
    return (
        tuple(u for u, w in words.items() if w == most),
        tuple(u for u, w in words.items() if w == least),
    )


def observe(
    members: Sequence[MemberStats],
    *,
    silent: Sequence[str],
    asked: int,
    said: int,
    rounds: Sequence[RoundTiming],
) -> tuple[Observation, ...]:
    """One or two things a facilitator could raise, by simple rules, most personal first.

    Each rule looks only at counts and times, never at what anyone said.
    """
    found = [
        Observation(Noticed.SILENT_IN_QUESTIONS, tuple(silent)) if silent else None,
        _questions_from_few(members),
        _few_questions(asked, said),
        _rounds_overran(rounds),
    ]
    return tuple(o for o in found if o is not None)[:MAX_OBSERVATIONS]


def _questions_from_few(members: Sequence[MemberStats]) -> Observation | None:
    """One or two people asked most of the questions while others could have asked too."""
    total = sum(m.questions for m in members)
    if total < MIN_QUESTIONS_FOR_PATTERN or len(members) < MIN_PEOPLE_FOR_PATTERN:
        return None
    askers = sorted(members, key=lambda m: m.questions, reverse=True)
    for count in (1, 2):
        share = percent(sum(m.questions for m in askers[:count]) / total)
        if share >= FEW_ASKERS_PERCENT:
            people = tuple(m.user_id for m in askers[:count])
            return Observation(Noticed.QUESTIONS_FROM_FEW, people, share)
    return None


def _few_questions(asked: int, said: int) -> Observation | None:
    if said < MIN_SAID_FOR_SHARE or percent(asked / said) >= LOW_QUESTION_PERCENT:
        return None
    return Observation(Noticed.FEW_QUESTIONS, percent=percent(asked / said))


def _rounds_overran(rounds: Sequence[RoundTiming]) -> Observation | None:
    over = overrun(rounds)
    if over is None or percent(over) < OVERRUN_PERCENT:
        return None
    return Observation(Noticed.ROUNDS_OVERRAN, percent=percent(over))


def percent(share: float) -> int:
    """A share as a whole percentage, halves rounded up (5/6 is 83, 0.125 is 13)."""
    return int(share * 100 + 0.5)
