"""A presenter's outline of their problem, written privately before their round.

Preparing helps a member use their round well. The outline is a private draft until
the round opens; then it is posted in the round's thread, as the first thing the Set
reads, and deleted from the store — which never keeps what is said in a round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.clock import Clock
from bot.flows.access import Refusal
from bot.store.db import Store
from bot.store.meetings import meeting_in_team
from bot.store.models import LearningSet, MeetingStatus, RoundOutline
from bot.store.sets import membership

OUTLINE_LIMIT = 3000
NO_SUCH_MEETING = "I can't find that meeting any more. Type `/set` to see your Sets."
MEETING_OVER = "That meeting has ended, so there's no round left to prepare for."
NOT_A_MEMBER = "Only members of the Set can prepare a round for its meetings."
EMPTY = "Write a few lines about your problem, or close this to leave it for now."
TOO_LONG = f"Keep your outline under {OUTLINE_LIMIT:,} characters: the Set reads it in the thread."


@dataclass(frozen=True, kw_only=True)
class OutlineDraft:
    """What the outline modal shows: the meeting, and any draft already saved."""

    meeting_id: int
    set_name: str
    text: str


def outline_form(store: Store, *, team_id: str, user_id: str, meeting_id: int) -> OutlineDraft:
    with store.session() as session:
        learning_set = _preparing_for(session, team_id, user_id, meeting_id)
        draft = _draft(session, meeting_id, user_id)
        return OutlineDraft(
            meeting_id=meeting_id,
            set_name=learning_set.name,
            text=draft.text if draft else "",
        )


def save_outline(
    store: Store, clock: Clock, *, team_id: str, user_id: str, meeting_id: int, text: str
) -> OutlineDraft:
    """Keep (or replace) the draft; refused, nothing changes."""
    text = text.strip()
    if not text:
        raise Refusal(EMPTY)
    if len(text) > OUTLINE_LIMIT:
        raise Refusal(TOO_LONG)
    with store.session() as session:
        learning_set = _preparing_for(session, team_id, user_id, meeting_id)
        draft = _draft(session, meeting_id, user_id) or RoundOutline(
            team_id=team_id, meeting_id=meeting_id, user_id=user_id, text=text
        )
        draft.text, draft.saved_at = text, clock.now()
        session.add(draft)
        return OutlineDraft(meeting_id=meeting_id, set_name=learning_set.name, text=text)


def outline_of(session: Session, *, meeting_id: int, user_id: str) -> str | None:
    draft = _draft(session, meeting_id, user_id)
    return draft.text if draft else None


def discard_outline(store: Store, *, team_id: str, meeting_id: int, user_id: str) -> None:
    """Once posted in the thread, the draft is gone from the store."""
    with store.session() as session:
        draft = _draft(session, meeting_id, user_id)
        if draft is not None and draft.team_id == team_id:
            session.delete(draft)


def discard_in(session: Session, *, meeting_id: int, user_id: str) -> None:
    draft = _draft(session, meeting_id, user_id)
    if draft is not None:
        session.delete(draft)


def _preparing_for(session: Session, team_id: str, user_id: str, meeting_id: int) -> LearningSet:
    meeting = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None:
        raise Refusal(NO_SUCH_MEETING)
    place = membership(session, set_id=meeting.set_id, user_id=user_id)
    if place is None or place.left_at is not None:
        raise Refusal(NOT_A_MEMBER)
    if meeting.status in (MeetingStatus.ENDED, MeetingStatus.SKIPPED):
        raise Refusal(MEETING_OVER)
    return learning_set


def _draft(session: Session, meeting_id: int, user_id: str) -> RoundOutline | None:
    statement = select(RoundOutline).where(
        RoundOutline.meeting_id == meeting_id, RoundOutline.user_id == user_id
    )
    return session.exec(statement).first()
