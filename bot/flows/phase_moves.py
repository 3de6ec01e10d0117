"""What happens when a round moves from one phase to the next, live or asynchronous.

Every move is kept (`PhaseMove`), so the facilitator who moved a round by mistake can
undo it for a short while. An asynchronous round's phase also has a deadline: the
phase's share of the round's time, stretched to be fair to every present member's
waking day (`bot.flows.windows`). The deadline is an outbox row, so the round moves on
by itself at the right instant whichever process is running, and a restart loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.flows.meeting_reminders import zone_of
from bot.flows.phases import Phase, shares
from bot.flows.windows import phase_window
from bot.store.meetings import attendance_of
from bot.store.models import (
    AttendanceStatus,
    LearningSet,
    Meeting,
    MeetingMode,
    PhaseMove,
    Round,
)
from bot.store.outbox import cancel_keys, owe, set_key

# The outbox kind that moves an asynchronous round on when its phase's window closes.
PHASE_DUE = "round_phase_due"
# How long the facilitator who moved a round on may take it back.
UNDO_FOR = timedelta(minutes=2)


def is_async(meeting: Meeting) -> bool:
    return meeting.mode == MeetingMode.ASYNC


def taking_part(session: Session, meeting: Meeting) -> list[str]:
    """Who is expected in an asynchronous meeting: everyone present (no apologies sent)."""
    assert meeting.id is not None
    return [
        user
        for user, status in attendance_of(session, meeting_id=meeting.id).items()
        if status == AttendanceStatus.PRESENT
    ]


def zones_taking_part(session: Session, learning_set: LearningSet, meeting: Meeting) -> list[str]:
    people = taking_part(session, meeting) or list(meeting.turn_order)
    return sorted({zone_of(session, learning_set, user) for user in people})


def round_budget(round_: Round) -> timedelta:
    """An asynchronous round's time, kept in its slot (in minutes, as live rounds keep theirs)."""
    return timedelta(minutes=round_.slot_minutes)


def schedule_phase(
    session: Session, learning_set: LearningSet, meeting: Meeting, round_: Round, now: datetime
) -> None:
    """Give an asynchronous round's current phase its window, and owe the move at its close."""
    assert round_.id is not None and learning_set.id is not None
    phase = Phase(round_.phase)
    route = [Phase(p) for p in round_.route] or [phase]
    budget = round_budget(round_) * shares(route)[phase]
    zones = zones_taking_part(session, learning_set, meeting)
    closes = phase_window(now, zones, budget, not_after=meeting.window_ends_at)
    round_.phase_due_at = closes
    session.add(round_)
    owe_phase_due(session, learning_set.id, round_, closes)


def owe_phase_due(session: Session, set_id: int, round_: Round, due_at: datetime) -> None:
    assert round_.id is not None
    owe(
        session,
        team_id=round_.team_id,
        kind=PHASE_DUE,
        target=round_.channel_id,
        due_at=due_at,
        key=due_key(set_id, round_.id, round_.phase),
        payload={"round": round_.id, "phase": round_.phase},
    )


def due_key(set_id: int, round_id: int, phase: str) -> str:
    return set_key(set_id, "round", round_id, "due", phase)


def cancel_phase_due(session: Session, set_id: int, round_: Round, phase: str) -> None:
    assert round_.id is not None
    cancel_keys(session, team_id=round_.team_id, prefix=due_key(set_id, round_.id, phase))


def record_move(
    session: Session,
    round_: Round,
    *,
    from_phase: Phase,
    from_started_at: datetime | None,
    from_due_at: datetime | None,
    by: str | None,
    now: datetime,
) -> PhaseMove:
    """Keep the move and what the round looked like before it, so it can be undone."""
    assert round_.id is not None
    move = PhaseMove(
        team_id=round_.team_id,
        round_id=round_.id,
        from_phase=from_phase,
        to_phase=round_.phase,
        from_started_at=from_started_at,
        from_due_at=from_due_at,
        moved_by=by,
        moved_at=now,
    )
    session.add(move)
    session.flush()
    return move


def last_move(session: Session, *, round_id: int) -> PhaseMove | None:
    statement = (
        select(PhaseMove)
        .where(PhaseMove.round_id == round_id, col(PhaseMove.undone_at).is_(None))
        .order_by(col(PhaseMove.id).desc())
    )
    return session.exec(statement).first()


# The outbox kinds that carry an asynchronous meeting on from one round to the next.
NEXT_IN_TURN = "round_next_in_turn"


def owe_next_in_turn(session: Session, set_id: int, closed: Round, now: datetime) -> None:
    """After a round of a meeting held in turn closes, the next one opens: through the outbox,
    so its root message is posted (and becomes its thread) by whichever process is running."""
    assert closed.id is not None
    owe(
        session,
        team_id=closed.team_id,
        kind=NEXT_IN_TURN,
        target=closed.channel_id,
        due_at=now,
        key=set_key(set_id, "meeting", closed.meeting_id, "after-round", closed.id),
        payload={"meeting": closed.meeting_id},
    )
