"""Rows a story starts from, made the short way: a Set, a meeting under way, an open round."""

from __future__ import annotations

from datetime import datetime

from bot.flows.phases import Phase
from bot.store.db import Store
from bot.store.models import LearningSet, Meeting, MeetingStatus, Round

TEAM = "T0SETBOT"


def a_set(store: Store, *, channel_id: str = "C0LEADERS", coaching_hints: bool = True) -> int:
    with store.session() as session:
        learning_set = LearningSet(
            team_id=TEAM,
            name="New team leaders",
            theme="Leading through change",
            channel_id=channel_id,
            coaching_hints=coaching_hints,
        )
        session.add(learning_set)
        session.flush()
        assert learning_set.id is not None
        return learning_set.id


def a_meeting_under_way(store: Store, *, set_id: int, started_at: datetime) -> int:
    with store.session() as session:
        meeting = Meeting(
            team_id=TEAM, set_id=set_id, status=MeetingStatus.OPEN, started_at=started_at
        )
        session.add(meeting)
        session.flush()
        assert meeting.id is not None
        return meeting.id


def an_open_round(
    store: Store,
    *,
    meeting_id: int,
    presenter_id: str,
    thread_ts: str,
    phase: Phase,
    channel_id: str = "C0LEADERS",
    opened_at: datetime,
) -> int:
    with store.session() as session:
        round_ = Round(
            team_id=TEAM,
            meeting_id=meeting_id,
            presenter_id=presenter_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            phase=phase,
            opened_at=opened_at,
            phase_started_at=opened_at,
        )
        session.add(round_)
        session.flush()
        assert round_.id is not None
        return round_.id
