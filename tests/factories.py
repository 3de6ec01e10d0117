"""Rows a story starts from, made the short way: a Set, a meeting under way, an open round."""

from __future__ import annotations

from datetime import datetime

from bot.clock import ManualClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.phases import Phase
from bot.flows.schedule import Cadence
from bot.sim import SlackEmulator
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


def a_set_in_its_channel(
    store: Store,
    clock: ManualClock,
    slack: SlackEmulator,
    *,
    facilitator: str,
    members: tuple[str, ...],
    first_at: datetime,
) -> str:
    """New team leaders, formed in its own channel, everyone agreed to the ground rules.

    Meets monthly on the first Tuesday; returns the channel, where the stories happen.
    """
    channel_id = slack.add_channel(
        "set-new-team-leaders", members=[slack.bot_user_id, facilitator, *members]
    )
    formed = sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=facilitator,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(facilitator,),
            members=members,
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=first_at,
            timezone="Europe/London",
        ),
    )
    for user in (facilitator, *members):
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel_id)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    return channel_id
