"""Asynchronous meetings: an Action Learning meeting held in writing over several days.

Members spread across time zones and shifts take their rounds in threads, each in
their own waking hours. The meeting has a window (working days); its rounds run one
after another or side by side; each phase of a round has a window fair to everyone's
waking day (`bot.flows.windows`) and moves on by itself when the window closes — or
early, once every member taking part has had their say. Everything that happens later
is an outbox row, so any process may do it and a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Caller, InSet, Refusal, facilitator_here, member_here
from bot.flows.meetings import MeetingCard, begin_meeting, card_of
from bot.flows.notices import Notice, composer
from bot.flows.owed_posts import owe_round_post
from bot.flows.phase_moves import (
    NEXT_IN_TURN,
    PHASE_DUE,
    UNDO_FOR,
    cancel_phase_due,
    is_async,
    last_move,
    owe_phase_due,
    schedule_phase,
    taking_part,
    zones_taking_part,
)
from bot.flows.phases import Phase, phases_for
from bot.flows.rounds import PhaseChange, RoundView, move_on, view_of
from bot.flows.windows import round_budget, shortest_meeting_window, working_days_later
from bot.store.db import Store
from bot.store.meetings import attendance_of, record_attendance, rounds_of
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Contribution,
    LearningSet,
    Meeting,
    MeetingMode,
    MeetingStatus,
    OutboxMessage,
    PhaseMove,
    Round,
    RoundPresence,
)
from bot.store.rounds import reports_due, round_in_team, show_in_round

MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 1, 20
# The phases where the others speak: they end early once everyone taking part has.
EVERYONE_SPEAKS = (Phase.QUESTIONS, Phase.IDEAS)

WINDOW_OUT_OF_RANGE = (
    f"Choose a window of {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} working days, "
    "for example 5 for a working week."
)
NO_ONE_TAKING_PART = (
    "Nobody is expected at this meeting yet: every member has sent apologies. "
    "Check the Set's members with `/set`, then start again."
)
NOT_ASYNC = "That round is part of a live meeting, so its time is kept in the meeting itself."
NOTHING_TO_UNDO = "There's nothing to undo on that round now."
UNDO_EXPIRED = (
    "It's more than two minutes since that move, so Undo has run out. "
    "The round carries on; if it needs to go back, have a word with the Set in the thread."
)
NOT_YOUR_MOVE = (
    "Only the facilitator who moved the round on can undo it, so it stays as it is. "
    "If you think it moved too soon, say so in the thread."
)


@dataclass(frozen=True, kw_only=True)
class AsyncStart:
    """An asynchronous meeting just opened, and the rounds opened with it."""

    card: MeetingCard
    opened: tuple[RoundView, ...]
    window_ends_at: datetime
    side_by_side: bool


class WindowTooShort(Refusal):
    """Not every phase could hold four waking hours for everyone: the shortest that would."""

    def __init__(self, days: int, shortest_days: int) -> None:
        super().__init__(
            f"{days} working days is too short for everyone to have four waking hours in "
            f"every phase, wherever they are. The shortest window that works is "
            f"{shortest_days} working days."
        )
        self.shortest_days = shortest_days


@dataclass(frozen=True)
class MeetingChoice:
    """How the facilitator's Set usually meets, so `/meeting start` offers the right thing."""

    in_writing: bool
    window_days: int


def meeting_choice(store: Store, caller: Caller) -> MeetingChoice:
    """Checked before the modal opens, so only a facilitator is offered it."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        return MeetingChoice(
            in_writing=here.learning_set.meeting_mode == MeetingMode.ASYNC,
            window_days=here.learning_set.async_window_days,
        )


def start_async_meeting(
    store: Store, clock: Clock, caller: Caller, *, window_days: int | None, side_by_side: bool
) -> AsyncStart:
    """Open today's meeting in writing: its window, who takes part, and its first rounds."""
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        days = here.learning_set.async_window_days if window_days is None else window_days
        if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
            raise Refusal(WINDOW_OUT_OF_RANGE)
        meeting = begin_meeting(session, here, now)
        meeting.mode = MeetingMode.ASYNC
        meeting.side_by_side = side_by_side
        meeting.window_ends_at = working_days_later(now, days, here.learning_set.timezone)
        _expect_everyone(session, meeting, now)
        presenters = [u for u in meeting.turn_order if u in taking_part(session, meeting)]
        if not presenters:
            raise Refusal(NO_ONE_TAKING_PART)
        _must_fit(session, here, meeting, presenters, days, now)
        budget = round_budget(
            meeting.window_ends_at - now, len(presenters), side_by_side=side_by_side
        )
        session.add(meeting)
        first = presenters if side_by_side else presenters[:1]
        opened = [
            open_async_round(session, here.learning_set, meeting, person, now, budget)
            for person in first
        ]
        return AsyncStart(
            card=card_of(session, here.learning_set, meeting),
            opened=tuple(view_of(session, r, set_id=here.set_id) for r in opened),
            window_ends_at=meeting.window_ends_at,
            side_by_side=side_by_side,
        )


def _expect_everyone(session: Session, meeting: Meeting, now: datetime) -> None:
    """In writing, every member takes part unless they sent apologies ahead."""
    assert meeting.id is not None
    already = attendance_of(session, meeting_id=meeting.id)
    for user in meeting.turn_order:
        if user not in already:
            record_attendance(
                session,
                attendance=Attendance(
                    team_id=meeting.team_id,
                    meeting_id=meeting.id,
                    user_id=user,
                    status=AttendanceStatus.PRESENT,
                    at=now,
                ),
            )


def _routes(
    session: Session, learning_set: LearningSet, meeting: Meeting, presenters: list[str]
) -> list[list[Phase]]:
    return [
        _route(session, learning_set, meeting, person, meeting.started_at or datetime.max)
        for person in presenters
    ]


def _route(
    session: Session, learning_set: LearningSet, meeting: Meeting, presenter: str, now: datetime
) -> list[Phase]:
    assert learning_set.id is not None and meeting.id is not None
    due = reports_due(
        session, set_id=learning_set.id, user_id=presenter, meeting_id=meeting.id, before=now
    )
    return phases_for(has_report_back=bool(due), ideas_phase=learning_set.ideas_phase)


def _must_fit(
    session: Session,
    here: InSet,
    meeting: Meeting,
    presenters: list[str],
    days: int,
    now: datetime,
) -> None:
    """Refuse a window too short for fair phases, saying the shortest one that works."""
    zones = zones_taking_part(session, here.learning_set, meeting)
    routes = _routes(session, here.learning_set, meeting, presenters)
    needed = shortest_meeting_window(now, zones, routes, side_by_side=meeting.side_by_side)
    assert meeting.window_ends_at is not None
    if needed <= meeting.window_ends_at:
        return
    shortest = next(
        n
        for n in range(days + 1, 366)
        if working_days_later(now, n, here.learning_set.timezone) >= needed
    )
    raise WindowTooShort(days, shortest)


def open_async_round(
    session: Session,
    learning_set: LearningSet,
    meeting: Meeting,
    presenter: str,
    now: datetime,
    budget: timedelta,
) -> Round:
    """Open a member's round with the first phase's window; the Slack side posts its root."""
    assert learning_set.id is not None and meeting.id is not None
    due = reports_due(
        session,
        set_id=learning_set.id,
        user_id=presenter,
        meeting_id=meeting.id,
        before=meeting.started_at or now,
    )
    route = phases_for(has_report_back=bool(due), ideas_phase=learning_set.ideas_phase)
    round_ = Round(
        team_id=meeting.team_id,
        meeting_id=meeting.id,
        presenter_id=presenter,
        channel_id=learning_set.channel_id or "",
        phase=route[0],
        route=[str(phase) for phase in route],
        slot_minutes=int(budget / timedelta(minutes=1)),
        opened_at=now,
        phase_started_at=now,
    )
    session.add(round_)
    session.flush()
    assert round_.id is not None
    show_in_round(session, commitments=due, round_id=round_.id)
    schedule_phase(session, learning_set, meeting, round_, now)
    owe_round_post(session, learning_set.id, round_, now)
    return round_


# -- moving on by itself ----------------------------------------------------------------


@composer(PHASE_DUE)
def compose_phase_due(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The window has closed: move the round on and tell the thread.

    Delivered again after a failure, the move is already made (by nobody: the clock),
    so only the notice is sent again.
    """
    found = _async_round(session, row)
    if found is None:
        return None
    round_, learning_set = found
    phase = str(row.payload.get("phase", ""))
    if round_.phase == phase and round_.paused_at is None:
        # The move owes what the Set is told (bot.flows.owed_posts); this row says nothing.
        move_on(session, learning_set, round_, Phase(phase), now, by=None)
    return None


def _async_round(session: Session, row: OutboxMessage) -> tuple[Round, LearningSet] | None:
    """The row's round, if it is an asynchronous one still open in a meeting under way."""
    round_id = row.payload.get("round")
    if not isinstance(round_id, int):
        return None
    round_ = round_in_team(session, team_id=row.team_id, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ else None
    if round_ is None or meeting is None or not is_async(meeting):
        return None
    if meeting.status != MeetingStatus.OPEN:
        return None
    learning_set = session.get(LearningSet, meeting.set_id)
    return (round_, learning_set) if learning_set is not None else None


@composer(NEXT_IN_TURN)
def compose_next_in_turn(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """Open the next member's round of a meeting held in turn; its root is owed with it."""
    meeting_id = row.payload.get("meeting")
    meeting = session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None or meeting.team_id != row.team_id or meeting.status != MeetingStatus.OPEN:
        return None
    learning_set = session.get(LearningSet, meeting.set_id)
    assert learning_set is not None and meeting.id is not None
    rounds = rounds_of(session, meeting_id=meeting.id)
    if any(r.closed_at is None for r in rounds):
        return None
    presented = {r.presenter_id for r in rounds}
    present = taking_part(session, meeting)
    waiting = [u for u in meeting.turn_order if u in present and u not in presented]
    if not waiting or meeting.window_ends_at is None or meeting.window_ends_at <= now:
        return None
    budget = round_budget(meeting.window_ends_at - now, len(waiting), side_by_side=False)
    open_async_round(session, learning_set, meeting, waiting[0], now, budget)
    return None


# -- moving on early ----------------------------------------------------------------------


def move_on_if_everyone_spoke(
    store: Store, clock: Clock, *, team_id: str, channel_id: str, thread_ts: str
) -> PhaseChange | None:
    """After a contribution: end the phase early if every member taking part has spoken.

    In the questions phase "spoken" means asked at least one question; the presenter
    listens in both phases, so they are not waited for.
    """
    now = clock.now()
    with store.session() as session:
        round_ = session.exec(
            select(Round).where(
                Round.team_id == team_id,
                Round.channel_id == channel_id,
                Round.thread_ts == thread_ts,
                col(Round.closed_at).is_(None),
            )
        ).first()
        meeting = session.get(Meeting, round_.meeting_id) if round_ else None
        if round_ is None or meeting is None or not is_async(meeting):
            return None
        phase = Phase(round_.phase)
        if phase not in EVERYONE_SPEAKS or round_.paused_at is not None:
            return None
        others = set(taking_part(session, meeting)) - {round_.presenter_id}
        if not others or not others <= _have_spoken(session, round_, phase):
            return None
        learning_set = session.get(LearningSet, meeting.set_id)
        assert learning_set is not None
        return move_on(session, learning_set, round_, phase, now, by=None)


def _have_spoken(session: Session, round_: Round, phase: Phase) -> set[str]:
    statement = select(Contribution.user_id).where(
        Contribution.round_id == round_.id, Contribution.phase == phase
    )
    if phase is Phase.QUESTIONS:
        statement = statement.where(col(Contribution.is_question).is_(True))
    return set(session.exec(statement).all())


# -- who has been here --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Presence:
    """For the facilitator: who has contributed to a round, who has looked, who has not yet."""

    round: RoundView
    contributed: tuple[str, ...]
    seen: tuple[str, ...]
    not_yet: tuple[str, ...]


def seen_it(store: Store, clock: Clock, caller: Caller, *, round_id: int) -> RoundView:
    """A member says they have read the round and are thinking: no post needed."""
    with store.session() as session:
        here = member_here(session, caller)
        round_ = _round_of_set(session, here, round_id)
        statement = select(RoundPresence).where(
            RoundPresence.round_id == round_id, RoundPresence.user_id == caller.user_id
        )
        presence = session.exec(statement).first() or RoundPresence(
            team_id=caller.team_id, round_id=round_id, user_id=caller.user_id
        )
        presence.seen_at = presence.seen_at or clock.now()
        presence.thinking_at = clock.now()
        session.add(presence)
        return view_of(session, round_, set_id=here.set_id)


def presence(store: Store, caller: Caller, *, round_id: int) -> Presence:
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _round_of_set(session, here, round_id)
        meeting = session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        others = [u for u in taking_part(session, meeting) if u != round_.presenter_id]
        spoke = set(
            session.exec(
                select(Contribution.user_id).where(Contribution.round_id == round_id)
            ).all()
        )
        looked = set(
            session.exec(
                select(RoundPresence.user_id).where(RoundPresence.round_id == round_id)
            ).all()
        )
        return Presence(
            round=view_of(session, round_, set_id=here.set_id),
            contributed=tuple(u for u in others if u in spoke),
            seen=tuple(u for u in others if u in looked and u not in spoke),
            not_yet=tuple(u for u in others if u not in looked and u not in spoke),
        )


def _round_of_set(session: Session, here: InSet, round_id: int) -> Round:
    round_ = round_in_team(session, team_id=here.learning_set.team_id, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ else None
    if round_ is None or meeting is None or meeting.set_id != here.set_id:
        raise Refusal("I can't find that round any more. Type `/round` to see how rounds work.")
    if round_.closed_at is not None or meeting.status != MeetingStatus.OPEN:
        raise Refusal("That round has ended, so there's nothing more to do in it.")
    return round_


# -- the facilitator's hand on the clock ----------------------------------------------------


def extend_phase(
    store: Store, clock: Clock, caller: Caller, *, round_id: int, hours: int
) -> RoundView:
    """Give the current phase more time: its close moves later, and so does its outbox row."""
    if not 1 <= hours <= 168:
        raise Refusal("Extend by 1 to 168 hours, for example `/round extend 24`.")
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _async_of_set(session, here, round_id)
        if round_.paused_at is not None:
            raise Refusal("That round is paused. Resume it with `/round resume` first.")
        assert round_.phase_due_at is not None
        round_.phase_due_at = max(round_.phase_due_at, clock.now()) + timedelta(hours=hours)
        session.add(round_)
        owe_phase_due(session, here.set_id, round_, round_.phase_due_at)
        return view_of(session, round_, set_id=here.set_id)


def pause(store: Store, clock: Clock, caller: Caller, *, round_id: int) -> RoundView:
    """Stop the clock on a round: its phase keeps the time it had left."""
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _async_of_set(session, here, round_id)
        if round_.paused_at is not None:
            raise Refusal("That round is already paused. Resume it with `/round resume`.")
        assert round_.phase_due_at is not None
        round_.paused_at = now
        round_.paused_seconds_left = max(0, int((round_.phase_due_at - now).total_seconds()))
        session.add(round_)
        cancel_phase_due(session, here.set_id, round_, round_.phase)
        return view_of(session, round_, set_id=here.set_id)


def resume(store: Store, clock: Clock, caller: Caller, *, round_id: int) -> RoundView:
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _async_of_set(session, here, round_id)
        if round_.paused_at is None:
            raise Refusal("That round isn't paused, so it carries on as it is.")
        round_.phase_due_at = now + timedelta(seconds=round_.paused_seconds_left or 0)
        round_.paused_at, round_.paused_seconds_left = None, None
        session.add(round_)
        owe_phase_due(session, here.set_id, round_, round_.phase_due_at)
        return view_of(session, round_, set_id=here.set_id)


def _async_of_set(session: Session, here: InSet, round_id: int | None) -> Round:
    if round_id is None:
        raise Refusal("Run that in the round's thread, or from its buttons.")
    round_ = _round_of_set(session, here, round_id)
    meeting = session.get(Meeting, round_.meeting_id)
    if meeting is None or not is_async(meeting):
        raise Refusal(NOT_ASYNC)
    return round_


# -- undo -------------------------------------------------------------------------------


def undo_move(store: Store, clock: Clock, caller: Caller, *, move_id: int) -> RoundView:
    """Take back a move made by mistake: the phase, its start and its window come back.

    Only the facilitator who moved it, only for two minutes, and only the round's latest
    move; what the move scheduled (the new phase's close) is cancelled.
    """
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        move = session.get(PhaseMove, move_id)
        if move is None or move.team_id != caller.team_id:
            raise Refusal(NOTHING_TO_UNDO)
        round_ = _round_of_set(session, here, move.round_id)
        latest = last_move(session, round_id=move.round_id)
        if latest is None or latest.id != move.id or round_.phase != move.to_phase:
            raise Refusal(NOTHING_TO_UNDO)
        if move.moved_by != caller.user_id:
            raise Refusal(NOT_YOUR_MOVE)
        assert move.moved_at is not None
        if now - move.moved_at > UNDO_FOR:
            raise Refusal(UNDO_EXPIRED)
        meeting = session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        if is_async(meeting):
            cancel_phase_due(session, here.set_id, round_, round_.phase)
        round_.phase = move.from_phase
        round_.phase_started_at = move.from_started_at
        round_.phase_due_at = move.from_due_at
        move.undone_at = now
        session.add_all([round_, move])
        if is_async(meeting) and round_.phase_due_at is not None:
            owe_phase_due(session, here.set_id, round_, round_.phase_due_at)
        return view_of(session, round_, set_id=here.set_id)


def _id(row: Round) -> int:
    assert row.id is not None
    return row.id
