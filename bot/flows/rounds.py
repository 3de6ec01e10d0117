"""A member's round: opened by the facilitator, moved through its phases, closed.

Each member in turn reports back on last time's action (when there is one to hear
about), describes a problem, hears the Set's questions and ideas, then reflects and
commits to an action. The phases and their shares of time are data (`bot.flows.phases`);
this module decides who may move a round on, and makes sure it moves once.

A live meeting takes turns: one round is open at a time. Moving on and closing are
conditional updates, so two facilitators pressing "next" together move it once. Time is
kept through the outbox: a gentle note in the thread at 80 % of the slot and a private
word to the facilitator at 100 %, composed at delivery time so a closed round says nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, InSet, Refusal, facilitator_here, member_here
from bot.flows.meetings import NOTHING_UNDER_WAY
from bot.flows.notices import Notice, composer
from bot.flows.owed_posts import owe_phase_change, owe_round_closed, owe_round_post
from bot.flows.phase_moves import (
    cancel_phase_due,
    is_async,
    owe_next_in_turn,
    record_move,
    schedule_phase,
)
from bot.flows.phases import (
    SPECS,
    TIME_NOTE_SHARE,
    Phase,
    next_phase,
    phase_minutes,
    phases_for,
)
from bot.flows.question_bank import QuestionGroup, question_ideas
from bot.flows.time_plan import (
    MIN_SLOT_MINUTES,
    break_length,
    plan_meeting,
    reflection_reserve,
)
from bot.store.db import Store
from bot.store.meetings import attendance_of, lock_set, open_meeting_of, rounds_of
from bot.store.models import (
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    OutboxMessage,
    Round,
)
from bot.store.outbox import cancel_keys, owe, set_key
from bot.store.rounds import (
    close_if_open,
    committed_in,
    move_phase_if,
    open_round_in,
    reports_due,
    round_in_team,
    show_in_round,
    shown_in,
)
from bot.store.sets import current_members, membership

# Outbox kinds this module owes and composes.
ROUND_TIME_NOTE = "round_time_note"
ROUND_TIME_UP = "round_time_up"

NO_ROUND_OPEN = "No round is open right now. Open the next one with `/round open`."
NO_SUCH_ROUND = "I can't find that round any more. Type `/round` to see how rounds work."
ROUND_CLOSED = "That round has already closed, so there's nothing more to move on."
EVERYONE_HAD_A_TURN = (
    "Everyone expected today has had their round. To give someone a turn anyway, "
    "name them: `/round open @name`. When you're ready, end with `/meeting end`."
)


@dataclass(frozen=True, kw_only=True)
class EarlierAction:
    """An action the presenter committed to before, as the Set hears it back."""

    commitment_id: int
    text: str
    due_on: date | None
    status: CommitmentStatus
    # What happened and what they learned, if they reported back before the round.
    report: str | None
    learned: str | None


@dataclass(frozen=True, kw_only=True)
class RoundView:
    """A round as its root message and thread show it."""

    round_id: int
    set_id: int
    meeting_id: int
    channel_id: str
    presenter: str
    phase: Phase
    route: tuple[Phase, ...]
    slot_minutes: int
    phase_minutes: Mapping[Phase, int]
    opened_at: datetime
    closed_at: datetime | None
    duration_seconds: int | None
    thread_ts: str | None
    earlier_actions: tuple[EarlierAction, ...]
    # An asynchronous round's current phase closes by itself then (None when live).
    phase_due_at: datetime | None = None
    paused: bool = False
    # The presenter's private outline, only as the round opens (posted, then deleted).
    outline: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.phase is Phase.CLOSED

    @property
    def title(self) -> str:
        return "Closed" if self.is_closed else SPECS[self.phase].title

    @property
    def prompt(self) -> str:
        return "" if self.is_closed else SPECS[self.phase].prompt

    @property
    def minutes(self) -> int | None:
        """The current phase's share of the slot (None once closed)."""
        return self.phase_minutes.get(self.phase)

    @property
    def next(self) -> Phase:
        """Where "next" leads from here: the following phase, or closing after the last."""
        return next_phase(self.phase, list(self.route))


@dataclass(frozen=True, kw_only=True)
class ClosedRound:
    """A round just closed; `committed` says whether its presenter recorded an action in it."""

    round: RoundView
    committed: bool


@dataclass(frozen=True, kw_only=True)
class PhaseChange:
    """A round moved on from `left`; moving past the last phase closes it (`closed`).

    `move_id` names the kept move, for the Undo button (a close has none).
    """

    round: RoundView
    left: Phase
    closed: ClosedRound | None = None
    move_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class RoundTimeNote:
    """For everyone in the thread: the round is nearing the end of its slot."""

    presenter: str
    minutes_left: int
    phase: Phase


@dataclass(frozen=True, kw_only=True)
class RoundTimeUp:
    """For the facilitator only: the round has used its whole slot."""

    presenter: str
    slot_minutes: int
    phase: Phase


def open_round(store: Store, clock: Clock, caller: Caller, *, presenter: str | None) -> RoundView:
    """Open the next member's round (or the named one's) in the meeting under way.

    The Set's row is locked first, so two facilitators opening at once get one round
    and one friendly refusal. Without a name, the next in the running order who has not
    presented today and did not send apologies goes; a name may give someone a second
    turn (say, after a round was closed by mistake) or a late arrival their first.
    """
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        lock_set(session, set_id=here.set_id)
        meeting = _meeting_under_way(session, here)
        _one_at_a_time(session, meeting, presenter)
        chosen = presenter or _next_presenter(session, meeting)
        _must_belong(session, here, chosen)
        due = reports_due(
            session,
            set_id=here.set_id,
            user_id=chosen,
            meeting_id=_id(meeting),
            before=_started(meeting),
        )
        route = phases_for(has_report_back=bool(due), ideas_phase=here.learning_set.ideas_phase)
        round_ = Round(
            team_id=caller.team_id,
            meeting_id=_id(meeting),
            presenter_id=chosen,
            channel_id=caller.channel_id,
            phase=route[0],
            route=[str(phase) for phase in route],
            slot_minutes=_slot_minutes(session, meeting, chosen),
            opened_at=now,
            phase_started_at=now,
        )
        session.add(round_)
        session.flush()
        show_in_round(session, commitments=due, round_id=_id(round_))
        _owe_time_notes(session, here.set_id, round_, facilitator=caller.user_id)
        owe_round_post(session, here.set_id, round_, now)
        return view_of(session, round_, set_id=here.set_id)


def set_round_thread(store: Store, *, team_id: str, round_id: int, thread_ts: str) -> None:
    """Remember the root message: its ts is the thread the round runs in and is updated."""
    with store.session() as session:
        round_ = round_in_team(session, team_id=team_id, round_id=round_id)
        if round_ is None:
            raise Refusal(NO_SUCH_ROUND)
        round_.thread_ts = thread_ts
        session.add(round_)


def advance(
    store: Store, clock: Clock, caller: Caller, *, round_id: int | None, from_phase: str | None
) -> PhaseChange:
    """Move a round to the next phase on its route; past the last one, close it.

    `from_phase` is the phase the pressed button showed (None from `/round next`: the
    phase as stored). The move only happens if the round is still in it, so a second
    press of the same button, or a second facilitator, is told it has already moved on.
    The presenter may hand over from the phases where they are the one speaking.
    """
    now = clock.now()
    with store.session() as session:
        here = member_here(session, caller)
        round_ = _round_here(session, here, round_id)
        current = Phase(round_.phase)
        _may_move_on(here, round_, current)
        if from_phase is not None and from_phase != current:
            raise _already_moved(session, round_)
        change = move_on(session, here.learning_set, round_, current, now, by=caller.user_id)
        if change is None:
            raise _already_moved(session, round_)
        # Only a facilitator may undo, so only a facilitator's move offers it.
        return change if here.is_facilitator else replace(change, move_id=None)


def move_on(
    session: Session,
    learning_set: LearningSet,
    round_: Round,
    current: Phase,
    now: datetime,
    *,
    by: str | None,
) -> PhaseChange | None:
    """Move a round on from `current`, by a person or (`by` None) by its window closing.

    None if it had already moved. The move is kept so it can be undone; an asynchronous
    round's next phase gets its window.
    """
    assert learning_set.id is not None
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    to = next_phase(current, _route_of(round_))
    if to is Phase.CLOSED:
        if round_.closed_at is not None or round_.phase != current:
            return None
        closed = _close(session, learning_set.id, round_, now, from_phase=current)
        return PhaseChange(round=closed.round, left=current, closed=closed)
    before = (round_.phase_started_at, round_.phase_due_at)
    if not move_phase_if(session, round_id=_id(round_), from_phase=current, to_phase=to, at=now):
        return None
    session.refresh(round_)
    move = record_move(
        session,
        round_,
        from_phase=current,
        from_started_at=before[0],
        from_due_at=before[1],
        by=by,
        now=now,
    )
    if is_async(meeting):
        cancel_phase_due(session, learning_set.id, round_, current)
        schedule_phase(session, learning_set, meeting, round_, now)
    assert move.id is not None
    owe_phase_change(session, learning_set.id, round_, move.id, now)
    return PhaseChange(
        round=view_of(session, round_, set_id=learning_set.id), left=current, move_id=move.id
    )


def close_round(store: Store, clock: Clock, caller: Caller, *, round_id: int | None) -> ClosedRound:
    """Close a round from any phase, keeping how long it really took.

    None closes the round open in the meeting under way. Its time notes still owed are
    cancelled, and the result says whether the presenter recorded an action, so the
    presenter can be asked privately whether they would like to.
    """
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _round_here(session, here, round_id)
        return _close(session, here.set_id, round_, clock.now(), from_phase=None)


def _meeting_under_way(session: Session, here: InSet) -> Meeting:
    meeting = open_meeting_of(session, set_id=here.set_id)
    if meeting is None:
        raise Refusal(NOTHING_UNDER_WAY)
    return meeting


def _one_at_a_time(session: Session, meeting: Meeting, presenter: str | None) -> None:
    """A live meeting takes turns: refuse while any round in it is still open."""
    running = open_round_in(session, meeting_id=_id(meeting))
    if running is None:
        return
    who = f"<@{running.presenter_id}>"
    if running.presenter_id == presenter:
        raise Refusal(f"{who}'s round is already open. Carry on in its thread.")
    raise Refusal(
        f"{who}'s round is still open. Close {who}'s round first with `/round close`, "
        "then open the next one."
    )


def _expected_today(session: Session, meeting: Meeting) -> list[str]:
    """The running order as the meeting card plans it: current members, minus apologies."""
    current = {m.user_id for m in current_members(session, set_id=meeting.set_id)}
    away = {
        user
        for user, status in attendance_of(session, meeting_id=_id(meeting)).items()
        if status == AttendanceStatus.APOLOGIES
    }
    return [user for user in meeting.turn_order if user in current and user not in away]


def _next_presenter(session: Session, meeting: Meeting) -> str:
    presented = {r.presenter_id for r in rounds_of(session, meeting_id=_id(meeting))}
    waiting = [user for user in _expected_today(session, meeting) if user not in presented]
    if not waiting:
        raise Refusal(EVERYONE_HAD_A_TURN)
    return waiting[0]


def _must_belong(session: Session, here: InSet, presenter: str) -> None:
    place = membership(session, set_id=here.set_id, user_id=presenter)
    if place is None or place.left_at is not None:
        raise Refusal(
            f"<@{presenter}> isn't a member of *{{set}}*, so they can't take a round here. "
            "Check the name, or add them first with `/set add`.",
            set=here.learning_set.name,
        )


def _slot_minutes(session: Session, meeting: Meeting, presenter: str) -> int:
    """The presenter's slot in today's time plan; someone not in it gets an equal share."""
    presenters = _expected_today(session, meeting)
    plan = plan_meeting(
        session_minutes=meeting.session_minutes,
        presenters=presenters,
        start=_started(meeting),
        agreed=meeting.round_minutes,
    )
    planned = next((slot.minutes for slot in plan.slots if slot.presenter == presenter), None)
    if planned is not None:
        return planned
    minutes = meeting.session_minutes
    shared = minutes - reflection_reserve(minutes) - break_length(minutes)
    return max(MIN_SLOT_MINUTES, shared // (len(plan.slots) + 1))


def _owe_time_notes(session: Session, set_id: int, round_: Round, *, facilitator: str) -> None:
    """A gentle note in the thread near the end of the slot; a private word when it is up.

    The facilitator who opened the round keeps its time, so they are the one told.
    """
    opened, slot = _opened(round_), timedelta(minutes=round_.slot_minutes)
    payload: dict[str, object] = {"round": _id(round_)}
    share = round(TIME_NOTE_SHARE * 100)
    owe(
        session,
        team_id=round_.team_id,
        kind=ROUND_TIME_NOTE,
        target=round_.channel_id,
        due_at=opened + slot * TIME_NOTE_SHARE,
        key=set_key(set_id, "round", _id(round_), share),
        payload=payload,
    )
    owe(
        session,
        team_id=round_.team_id,
        kind=ROUND_TIME_UP,
        target=facilitator,
        due_at=opened + slot,
        key=set_key(set_id, "round", _id(round_), 100),
        payload=payload,
    )


def _round_here(session: Session, here: InSet, round_id: int | None) -> Round:
    """The round asked about, only if it belongs to the caller's Set; None: the one open now."""
    if round_id is None:
        round_ = open_round_in(session, meeting_id=_id(_meeting_under_way(session, here)))
        if round_ is None:
            raise Refusal(NO_ROUND_OPEN)
        return round_
    round_ = round_in_team(session, team_id=here.learning_set.team_id, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ else None
    if round_ is None or meeting is None or meeting.set_id != here.set_id:
        raise Refusal(NO_SUCH_ROUND)
    if round_.closed_at is not None:
        raise Refusal(ROUND_CLOSED)
    return round_


def _may_move_on(here: InSet, round_: Round, phase: Phase) -> None:
    if here.is_facilitator:
        return
    if here.member.user_id == round_.presenter_id and SPECS[phase].presenter_moves_on:
        return
    if here.member.user_id == round_.presenter_id:
        raise Refusal(
            "From here the facilitator moves your round on, so it stays as it is. "
            "They're keeping an eye on the time for you."
        )
    raise Refusal(
        "Only the Set's facilitator can move a round on, so nothing was changed. "
        "If you think it's time, say so in the thread."
    )


def _already_moved(session: Session, round_: Round) -> Refusal:
    """What the second of two presses hears: where the round is now, read afresh."""
    session.refresh(round_)
    if round_.closed_at is not None:
        return Refusal(ROUND_CLOSED)
    title = SPECS[Phase(round_.phase)].title
    return Refusal(f"Already moved on to *{title}*, so nothing more to do. Carry on in the thread.")


def _close(
    session: Session, set_id: int, round_: Round, now: datetime, *, from_phase: Phase | None
) -> ClosedRound:
    """Close once, keep the real duration, and cancel the time notes still owed."""
    duration = max(0, int((now - _opened(round_)).total_seconds()))
    closed = close_if_open(
        session,
        round_id=_id(round_),
        closed_phase=Phase.CLOSED,
        closed_at=now,
        duration_seconds=duration,
        from_phase=from_phase,
    )
    if not closed:
        raise _already_moved(session, round_)
    # The trailing colon keeps round 1's prefix from matching round 12's keys.
    mine = set_key(set_id, "round", _id(round_)) + ":"
    cancel_keys(session, team_id=round_.team_id, prefix=mine)
    session.refresh(round_)
    committed = committed_in(session, round_id=_id(round_))
    owe_round_closed(session, set_id, round_, now, ask_for_action=not committed)
    meeting = session.get(Meeting, round_.meeting_id)
    if meeting is not None and is_async(meeting) and not meeting.side_by_side:
        owe_next_in_turn(session, set_id, round_, now)
    return ClosedRound(
        round=view_of(session, round_, set_id=set_id),
        committed=committed,
    )


def _route_of(round_: Round) -> list[Phase]:
    """The stored route; a round opened before routes were kept gets the usual one."""
    if round_.route:
        return [Phase(phase) for phase in round_.route]
    return phases_for(has_report_back=round_.phase == Phase.REPORT_BACK)


def view_of(session: Session, round_: Round, *, set_id: int) -> RoundView:
    route = _route_of(round_)
    return RoundView(
        round_id=_id(round_),
        set_id=set_id,
        meeting_id=round_.meeting_id,
        channel_id=round_.channel_id,
        presenter=round_.presenter_id,
        phase=Phase(round_.phase),
        route=tuple(route),
        slot_minutes=round_.slot_minutes,
        phase_minutes=phase_minutes(route, round_.slot_minutes),
        opened_at=_opened(round_),
        closed_at=round_.closed_at,
        duration_seconds=round_.duration_seconds,
        thread_ts=round_.thread_ts,
        earlier_actions=_earlier(shown_in(session, round_id=_id(round_))),
        phase_due_at=round_.phase_due_at,
        paused=round_.paused_at is not None,
    )


def _earlier(commitments: Sequence[Commitment]) -> tuple[EarlierAction, ...]:
    return tuple(
        EarlierAction(
            commitment_id=_id(c),
            text=c.text,
            due_on=c.due_on,
            status=CommitmentStatus(c.status),
            report=c.report_text,
            learned=c.learned_text,
        )
        for c in commitments
    )


@composer(ROUND_TIME_NOTE)
def _compose_time_note(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """Said to the whole thread; nothing if the round is over or the time has already run out."""
    round_ = _still_running(session, row)
    if round_ is None:
        return None
    ends = _opened(round_) + timedelta(minutes=round_.slot_minutes)
    minutes_left = round((ends - now) / timedelta(minutes=1))
    if minutes_left < 1:
        return None
    note = RoundTimeNote(
        presenter=round_.presenter_id, minutes_left=minutes_left, phase=Phase(round_.phase)
    )
    return Notice(message=note, channel=round_.channel_id, thread_ts=round_.thread_ts)


@composer(ROUND_TIME_UP)
def _compose_time_up(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    """Only the facilitator hears it: how to use the time left is theirs to judge."""
    round_ = _still_running(session, row)
    if round_ is None:
        return None
    up = RoundTimeUp(
        presenter=round_.presenter_id,
        slot_minutes=round_.slot_minutes,
        phase=Phase(round_.phase),
    )
    return Notice(
        message=up, channel=round_.channel_id, user=row.target, thread_ts=round_.thread_ts
    )


def _still_running(session: Session, row: OutboxMessage) -> Round | None:
    """The row's round, if it is still open in a meeting still under way."""
    round_id = row.payload.get("round")
    if not isinstance(round_id, int):
        return None
    round_ = round_in_team(session, team_id=row.team_id, round_id=round_id)
    if round_ is None or round_.closed_at is not None:
        return None
    meeting = session.get(Meeting, round_.meeting_id)
    return round_ if meeting is not None and meeting.status == MeetingStatus.OPEN else None


def _id(row: Round | Meeting | Commitment) -> int:
    """A stored row's id (rows are flushed before their ids are asked for)."""
    assert row.id is not None
    return row.id


def _opened(round_: Round) -> datetime:
    assert round_.opened_at is not None
    return round_.opened_at


def _started(meeting: Meeting) -> datetime:
    """An open meeting's start (every meeting under way has one)."""
    assert meeting.started_at is not None
    return meeting.started_at


def question_ideas_for(
    store: Store, caller: Caller, *, rng: random.Random
) -> list[tuple[QuestionGroup, list[str]]]:
    """Open questions to borrow, for anyone in this channel's Set (modelling L = P + Q)."""
    with store.session() as session:
        member_here(session, caller, open_only=False)
    return question_ideas(rng=rng)
