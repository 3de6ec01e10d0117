"""Composing what a change to a round or a meeting owes the Set (bot.flows.owed_posts).

Each composer reads the store as it is when the message goes out, and says nothing when
the moment has passed: a phase prompt for a move that was undone, a root for a round
already posted. A root message's ts becomes the round's thread, and a meeting card's
ts is kept so check-ins update it, in the same unit of work that marks the row sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from bot.flows.meetings import card_of, summary_of
from bot.flows.notices import Notice, after_sent, composer
from bot.flows.outlines import discard_in, outline_of
from bot.flows.owed_posts import (
    ASK_COMMIT,
    FIRST_PROMPT,
    MEETING_CARD,
    MEETING_SUMMARY,
    PHASE_PROMPT,
    REFLECT_PROMPT,
    ROOT_REFRESH,
    ROUND_CLOSED,
    ROUND_POST,
    WELCOME,
    owe_first_prompt,
)
from bot.flows.reflection import reflection_prompt
from bot.flows.rounds import ClosedRound, RoundView, view_of
from bot.store.meetings import meeting_in_team
from bot.store.models import (
    LearningSet,
    Meeting,
    MeetingStatus,
    OutboxMessage,
    PhaseMove,
    Round,
)
from bot.store.rounds import committed_in, round_in_team


@dataclass(frozen=True)
class RoundOpened:
    """A round's root message: who presents, the phase now, and the way ahead."""

    round: RoundView


@dataclass(frozen=True)
class PhasePrompt:
    """What the thread is told as a phase begins (after the presenter's outline, if any)."""

    round: RoundView


@dataclass(frozen=True)
class SetWelcome:
    """A new Set's channel hears what it is for, when it meets, and its ground rules."""

    learning_set: LearningSet
    next_meetings: list[datetime]


@dataclass(frozen=True)
class CommitmentAsked:
    """Only the presenter sees this: their round closed with no action recorded."""

    closed: ClosedRound


# -- rounds ---------------------------------------------------------------------------------


@composer(ROUND_POST)
def compose_round_post(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _round(session, row)
    if found is None or found[0].closed_at is not None or found[0].thread_ts is not None:
        return None
    round_, set_id = found
    return Notice(message=RoundOpened(view_of(session, round_, set_id=set_id)), channel=row.target)


@after_sent(ROUND_POST)
def _thread_is_the_round(session: Session, row: OutboxMessage, ts: str, now: datetime) -> None:
    found = _round(session, row)
    if found is None:
        return
    round_, set_id = found
    round_.thread_ts = ts
    session.add(round_)
    owe_first_prompt(session, set_id, round_, now)


@composer(FIRST_PROMPT)
def compose_first_prompt(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _open_in_thread(session, row)
    if found is None:
        return None
    round_, set_id = found
    outline = outline_of(session, meeting_id=round_.meeting_id, user_id=round_.presenter_id)
    view = replace(view_of(session, round_, set_id=set_id), outline=outline)
    return Notice(message=PhasePrompt(view), channel=row.target, thread_ts=round_.thread_ts)


@after_sent(FIRST_PROMPT)
def _outline_posted(session: Session, row: OutboxMessage, _ts: str, _now: datetime) -> None:
    """The outline went out with the first prompt: the store keeps no thread text."""
    found = _round(session, row)
    if found is not None:
        discard_in(session, meeting_id=found[0].meeting_id, user_id=found[0].presenter_id)


@composer(PHASE_PROMPT)
def compose_phase_prompt(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    """Nothing if the move was undone, or the round has moved on again since."""
    found = _open_in_thread(session, row)
    move_id = row.payload.get("move")
    move = session.get(PhaseMove, move_id) if isinstance(move_id, int) else None
    if found is None or move is None or move.undone_at is not None:
        return None
    round_, set_id = found
    if move.round_id != round_.id or round_.phase != move.to_phase:
        return None
    view = view_of(session, round_, set_id=set_id)
    return Notice(message=PhasePrompt(view), channel=row.target, thread_ts=round_.thread_ts)


@composer(ROOT_REFRESH)
def compose_root_refresh(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _round(session, row)
    if found is None or found[0].thread_ts is None:
        return None
    round_, set_id = found
    view = view_of(session, round_, set_id=set_id)
    return Notice(message=RoundOpened(view), channel=row.target, replace_ts=round_.thread_ts)


@composer(ROUND_CLOSED)
def compose_round_closed(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    closed = _closed(session, row)
    if closed is None:
        return None
    return Notice(message=closed, channel=row.target, thread_ts=closed.round.thread_ts)


@composer(ASK_COMMIT)
def compose_ask_commit(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    """Nothing once the presenter has recorded an action after all."""
    closed = _closed(session, row)
    if closed is None or closed.committed:
        return None
    return Notice(
        message=CommitmentAsked(closed),
        channel=row.target,
        user=closed.round.presenter,
        thread_ts=closed.round.thread_ts,
    )


def _round(session: Session, row: OutboxMessage) -> tuple[Round, int] | None:
    """The row's round of this team, with its Set's id."""
    round_id = row.payload.get("round")
    if not isinstance(round_id, int):
        return None
    round_ = round_in_team(session, team_id=row.team_id, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ else None
    return (round_, meeting.set_id) if round_ and meeting else None


def _open_in_thread(session: Session, row: OutboxMessage) -> tuple[Round, int] | None:
    found = _round(session, row)
    if found is None or found[0].closed_at is not None or found[0].thread_ts is None:
        return None
    return found


def _closed(session: Session, row: OutboxMessage) -> ClosedRound | None:
    found = _round(session, row)
    if found is None or found[0].closed_at is None or found[0].thread_ts is None:
        return None
    round_, set_id = found
    assert round_.id is not None
    return ClosedRound(
        round=view_of(session, round_, set_id=set_id),
        committed=committed_in(session, round_id=round_.id),
    )


# -- Sets and meetings ----------------------------------------------------------------------

# The welcome card lists the next few meetings.
MEETINGS_WELCOMED = 3


@composer(WELCOME)
def compose_welcome(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    set_id = row.payload.get("set_id")
    learning_set = session.get(LearningSet, set_id) if isinstance(set_id, int) else None
    if learning_set is None or learning_set.team_id != row.team_id:
        return None
    starts = session.exec(
        select(Meeting.scheduled_at)
        .where(Meeting.set_id == set_id, col(Meeting.scheduled_at).is_not(None))
        .order_by(col(Meeting.scheduled_at))
        .limit(MEETINGS_WELCOMED)
    ).all()
    welcome = SetWelcome(learning_set, [start for start in starts if start is not None])
    return Notice(message=welcome, channel=row.target)


@composer(MEETING_CARD)
def compose_meeting_card(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _meeting(session, row)
    if found is None or found[0].card_ts is not None or found[0].status != MeetingStatus.OPEN:
        return None
    meeting, learning_set = found
    return Notice(message=card_of(session, learning_set, meeting), channel=row.target)


@after_sent(MEETING_CARD)
def _card_is_kept(session: Session, row: OutboxMessage, ts: str, _now: datetime) -> None:
    """Where the card is, so each check-in updates it in place."""
    found = _meeting(session, row)
    if found is not None:
        found[0].card_ts = ts
        session.add(found[0])


@composer(MEETING_SUMMARY)
def compose_summary(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _meeting(session, row)
    if found is None or found[0].status != MeetingStatus.ENDED:
        return None
    meeting, learning_set = found
    summary = summary_of(session, learning_set, meeting, closed_automatically=False)
    return Notice(message=summary, channel=row.target)


@composer(REFLECT_PROMPT)
def compose_reflect_prompt(session: Session, row: OutboxMessage, _now: datetime) -> Notice | None:
    found = _meeting(session, row)
    if found is None or found[0].status != MeetingStatus.ENDED:
        return None
    assert found[0].id is not None
    prompt = reflection_prompt(session, team_id=row.team_id, meeting_id=found[0].id)
    return Notice(message=prompt, channel=row.target)


def _meeting(session: Session, row: OutboxMessage) -> tuple[Meeting, LearningSet] | None:
    meeting_id = row.payload.get("meeting_id")
    if not isinstance(meeting_id, int):
        return None
    meeting = meeting_in_team(session, team_id=row.team_id, meeting_id=meeting_id)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    return (meeting, learning_set) if meeting and learning_set else None
