"""How a Set is doing, at a glance: who is in it, who agreed the rules, what comes next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Caller, member_here
from bot.flows.schedule import describe, from_rfc5545
from bot.store.db import Store
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    Role,
)
from bot.store.sets import current_members, set_by_channel, sets_of


@dataclass(frozen=True)
class Person:
    user_id: str
    role: Role
    agreed_rules: bool
    open_actions: int


@dataclass(frozen=True)
class Overview:
    set_id: int
    name: str
    theme: str
    problem_area: str
    timezone: str
    closed: bool
    cadence: str
    people: tuple[Person, ...]
    next_meeting: datetime | None
    held: int
    planned: int


@dataclass(frozen=True)
class SetLine:
    name: str
    theme: str
    channel_id: str | None
    role: Role
    closed: bool


def overview(store: Store, clock: Clock, caller: Caller) -> Overview:
    """The status card for any member of this channel's Set, closed Sets included."""
    with store.session() as session:
        here = member_here(session, caller, open_only=False)
        learning_set, now = here.learning_set, clock.now()
        open_actions = _open_actions(session, here.set_id)
        meetings = session.exec(select(Meeting).where(Meeting.set_id == here.set_id)).all()
        upcoming = sorted(
            m.scheduled_at
            for m in meetings
            if m.status == MeetingStatus.SCHEDULED and m.scheduled_at and m.scheduled_at > now
        )
        return Overview(
            set_id=here.set_id,
            name=learning_set.name,
            theme=learning_set.theme,
            problem_area=learning_set.problem_area,
            timezone=learning_set.timezone,
            closed=learning_set.status == "closed",
            cadence=_cadence_words(learning_set),
            people=tuple(
                Person(
                    m.user_id, m.role, m.ground_rules_agreed_at is not None, open_actions[m.user_id]
                )
                for m in current_members(session, set_id=here.set_id)
            ),
            next_meeting=upcoming[0] if upcoming else None,
            held=sum(m.status == MeetingStatus.ENDED for m in meetings),
            planned=sum(m.status != MeetingStatus.SKIPPED for m in meetings),
        )


def my_sets(store: Store, caller: Caller) -> list[SetLine]:
    """Outside a Set's channel: the Sets the caller belongs to, and where they meet."""
    with store.session() as session:
        lines = []
        for learning_set in sets_of(session, team_id=caller.team_id, user_id=caller.user_id):
            role = next(
                m.role
                for m in current_members(session, set_id=learning_set.id or 0)
                if m.user_id == caller.user_id
            )
            lines.append(
                SetLine(
                    learning_set.name,
                    learning_set.theme,
                    learning_set.channel_id,
                    role,
                    learning_set.status == "closed",
                )
            )
        return lines


def _open_actions(session: Session, set_id: int) -> Counter[str]:
    still_open = (CommitmentStatus.OPEN, CommitmentStatus.WORKING)
    statement = select(Commitment.user_id).where(
        Commitment.set_id == set_id, col(Commitment.status).in_(still_open)
    )
    return Counter(session.exec(statement).all())


def _cadence_words(learning_set: LearningSet) -> str:
    if not learning_set.cadence:
        return "One meeting"
    return describe(from_rfc5545(learning_set.cadence))


def status_here(store: Store, clock: Clock, caller: Caller) -> Overview | list[SetLine]:
    """`/set` with nothing after it: this channel's Set, or, elsewhere, the caller's Sets."""
    with store.session() as session:
        in_a_set = set_by_channel(session, team_id=caller.team_id, channel_id=caller.channel_id)
    return overview(store, clock, caller) if in_a_set else my_sets(store, caller)
