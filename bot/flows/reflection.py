"""Reflecting on the process: after a meeting, how well did the Set's way of working work?

Action Learning asks a Set to look at how it learns, not only at what it learned. Each
member who was at the meeting answers privately: a score from 1 to 5, what helped, what
should change. Once half of them have answered, the channel sees the average and the
count — never a name or a sentence — and the facilitators see every answer privately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, Refusal
from bot.store.commitments import lock_meeting, reflection_by, reflections_on, save_reflection
from bot.store.db import Store
from bot.store.meetings import attendance_of, meeting_in_team
from bot.store.models import (
    AttendanceStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    ProcessReflection,
    Role,
)
from bot.store.sets import current_members, membership

MIN_SCORE, MAX_SCORE = 1, 5
MAX_TEXT = 3000
# The average is shown only once this many have answered, so no one's score stands alone.
MIN_ANSWERS_SHOWN = 2

NO_SUCH_MEETING = "I can't find that meeting any more. Type `/set` to see your Sets."
NOT_STARTED = "This meeting hasn't happened yet, so there's nothing to reflect on."
NOT_PRESENT = (
    "Only members who were at this meeting reflect on it. If you were there, ask the "
    "facilitator to check: you may not have pressed “I'm here”."
)
NOT_A_FACILITATOR = "Only the Set's facilitators see everyone's reflections."
BAD_SCORE = "Pick how well the process worked, from 1 to 5."
TOO_LONG = "Keep each answer to 3000 characters or fewer."


@dataclass(frozen=True, kw_only=True)
class ReflectionPrompt:
    """The message inviting everyone present to reflect, after the meeting ends."""

    meeting_id: int
    set_name: str
    channel_id: str | None
    # The meeting card, so the aggregate can be threaded under it.
    card_ts: str | None
    present: int
    needed: int


@dataclass(frozen=True, kw_only=True)
class ReflectionForm:
    """What the modal starts from: the member's earlier answer, if they gave one."""

    meeting_id: int
    set_name: str
    score: int | None = None
    helped: str = ""
    change: str = ""
    share: bool = False


@dataclass(frozen=True, kw_only=True)
class ReflectionAggregate:
    """What everyone may see: an average and a count; no names, no words."""

    meeting_id: int
    set_name: str
    average: float
    answered: int
    present: int


@dataclass(frozen=True, kw_only=True)
class Answer:
    user_id: str
    score: int
    helped: str
    change: str
    share: bool


@dataclass(frozen=True, kw_only=True)
class ReflectionSummary:
    """Every answer with its author: for the facilitators' eyes only."""

    meeting_id: int
    set_name: str
    started_at: datetime | None
    timezone: str
    answers: tuple[Answer, ...]
    waiting_for: tuple[str, ...]
    aggregate: ReflectionAggregate


@dataclass(frozen=True, kw_only=True)
class ReflectionOutcome:
    """After one answer: whether the channel should now see the aggregate (once, ever).

    `for_facilitators` holds names and words: send it only to `facilitators`, privately.
    """

    meeting_id: int
    channel_id: str | None
    card_ts: str | None
    updated: bool
    threshold_crossed: bool
    aggregate: ReflectionAggregate
    facilitators: tuple[str, ...]
    for_facilitators: ReflectionSummary


def needed_answers(present: int) -> int:
    """Half of those present, rounded up, and never fewer than two."""
    return max(-(-present // 2), MIN_ANSWERS_SHOWN)


def reflection_prompt(session: Session, *, team_id: str, meeting_id: int) -> ReflectionPrompt:
    """What to post in the channel once a meeting has ended."""
    meeting, learning_set = _meeting_and_set(session, team_id, meeting_id)
    present = len(_present(session, meeting))
    assert meeting.id is not None
    return ReflectionPrompt(
        meeting_id=meeting.id,
        set_name=learning_set.name,
        channel_id=learning_set.channel_id,
        card_ts=meeting.card_ts,
        present=present,
        needed=needed_answers(present),
    )


def reflection_form(store: Store, *, team_id: str, meeting_id: int, user_id: str) -> ReflectionForm:
    """Check the presser was at the meeting before the modal opens; prefill a second go."""
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, team_id, meeting_id)
        _must_have_been_present(session, meeting, user_id)
        earlier = reflection_by(session, meeting_id=meeting_id, user_id=user_id)
        if earlier is None:
            return ReflectionForm(meeting_id=meeting_id, set_name=learning_set.name)
        return ReflectionForm(
            meeting_id=meeting_id,
            set_name=learning_set.name,
            score=earlier.score,
            helped=earlier.helped,
            change=earlier.change,
            share=earlier.share_consent,
        )


def reflect(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    meeting_id: int,
    user_id: str,
    score: int,
    helped: str,
    change: str,
    share: bool,
) -> ReflectionOutcome:
    """Keep one member's answer (a second one replaces the first); did it reach the threshold?

    The meeting is locked while counting, so two answers arriving together can neither
    both cross the threshold nor both miss it.
    """
    _check_answer(score, helped, change)
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, team_id, meeting_id, lock=True)
        present = _must_have_been_present(session, meeting, user_id)
        before = len(reflections_on(session, meeting_id=meeting_id))
        first = save_reflection(
            session,
            reflection=ProcessReflection(
                team_id=team_id,
                meeting_id=meeting_id,
                user_id=user_id,
                score=score,
                helped=helped.strip(),
                change=change.strip(),
                share_consent=share,
                at=clock.now(),
            ),
        )
        session.flush()
        summary = _summary(session, meeting, learning_set, present)
        needed = needed_answers(len(present))
        return ReflectionOutcome(
            meeting_id=meeting_id,
            channel_id=learning_set.channel_id,
            card_ts=meeting.card_ts,
            updated=not first,
            threshold_crossed=before < needed <= summary.aggregate.answered,
            aggregate=summary.aggregate,
            facilitators=_facilitators(session, learning_set),
            for_facilitators=summary,
        )


def _check_answer(score: int, helped: str, change: str) -> None:
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise Refusal(BAD_SCORE)
    if len(helped.strip()) > MAX_TEXT or len(change.strip()) > MAX_TEXT:
        raise Refusal(TOO_LONG)


def reflection_summary(store: Store, caller: Caller, *, meeting_id: int) -> ReflectionSummary:
    """Every answer with names, for a current facilitator of the meeting's Set only.

    The check is against the meeting's Set, not the caller's channel: a facilitator may
    ask from a direct message.
    """
    with store.session() as session:
        meeting, learning_set = _meeting_and_set(session, caller.team_id, meeting_id)
        place = membership(session, set_id=meeting.set_id, user_id=caller.user_id)
        if place is None or place.left_at is not None or place.role != Role.FACILITATOR:
            raise Refusal(NOT_A_FACILITATOR)
        return _summary(session, meeting, learning_set, _present(session, meeting))


def _meeting_and_set(
    session: Session, team_id: str, meeting_id: int, *, lock: bool = False
) -> tuple[Meeting, LearningSet]:
    """A meeting of this team that has started, with its Set."""
    find = lock_meeting if lock else meeting_in_team
    meeting = find(session, team_id=team_id, meeting_id=meeting_id)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None:
        raise Refusal(NO_SUCH_MEETING)
    if meeting.status not in (MeetingStatus.OPEN, MeetingStatus.ENDED):
        raise Refusal(NOT_STARTED)
    return meeting, learning_set


def _present(session: Session, meeting: Meeting) -> list[str]:
    assert meeting.id is not None
    seen = attendance_of(session, meeting_id=meeting.id)
    return [user for user, status in seen.items() if status == AttendanceStatus.PRESENT]


def _must_have_been_present(session: Session, meeting: Meeting, user_id: str) -> list[str]:
    """Everyone marked present, if the user is one of them."""
    present = _present(session, meeting)
    if user_id not in present:
        raise Refusal(NOT_PRESENT)
    return present


def _facilitators(session: Session, learning_set: LearningSet) -> tuple[str, ...]:
    assert learning_set.id is not None
    people = current_members(session, set_id=learning_set.id)
    return tuple(m.user_id for m in people if m.role == Role.FACILITATOR)


def _summary(
    session: Session, meeting: Meeting, learning_set: LearningSet, present: Sequence[str]
) -> ReflectionSummary:
    assert meeting.id is not None
    rows = reflections_on(session, meeting_id=meeting.id)
    answers = tuple(
        Answer(
            user_id=r.user_id,
            score=r.score,
            helped=r.helped,
            change=r.change,
            share=r.share_consent,
        )
        for r in rows
    )
    answered = {a.user_id for a in answers}
    return ReflectionSummary(
        meeting_id=meeting.id,
        set_name=learning_set.name,
        started_at=meeting.started_at,
        timezone=learning_set.timezone,
        answers=answers,
        waiting_for=tuple(u for u in present if u not in answered),
        aggregate=ReflectionAggregate(
            meeting_id=meeting.id,
            set_name=learning_set.name,
            average=round(sum(a.score for a in answers) / len(answers), 1) if answers else 0.0,
            answered=len(answers),
            present=len(present),
        ),
    )
