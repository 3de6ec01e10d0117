"""The ideas phase: after the questions the others offer ideas, unless the Set switched it off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import insights, meetings, rounds, sets
from bot.flows.access import Caller, Refusal
from bot.flows.listening import ThreadMessage, hear
from bot.flows.phases import Phase
from bot.flows.rounds import RoundView
from bot.flows.schedule import Cadence
from bot.store.db import Store
from bot.store.models import Contribution, LearningSet
from bot.ui.insights import render_stats
from tests.factories import TEAM

CHANNEL = "C0LEADERS"
FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
THREAD = "1799999999.000100"


def caller(user: str = FRAN) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=CHANNEL)


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    """New team leaders, facilitated by Fran, meeting on first Tuesdays."""
    formed = sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=FRAN,
        channel_id=CHANNEL,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN, CARA),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=datetime(2027, 1, 5, 10, 0, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def ideas_setting(store: Store, set_id: int) -> bool:
    with store.session() as session:
        learning_set = session.get(LearningSet, set_id)
        assert learning_set is not None
        return learning_set.ideas_phase


def asha_presents(store: Store, clock: ManualClock) -> RoundView:
    meetings.start_meeting(store, clock, caller())
    view = rounds.open_round(store, clock, caller(), presenter=ASHA)
    rounds.set_round_thread(store, team_id=TEAM, round_id=view.round_id, thread_ts=THREAD)
    return view


def next_phase(store: Store, clock: ManualClock) -> Phase:
    return rounds.advance(store, clock, caller(), round_id=None, from_phase=None).round.phase


def test_a_set_offers_ideas_after_the_questions_by_default(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = asha_presents(store, clock)

    assert view.route == (Phase.DESCRIBE, Phase.QUESTIONS, Phase.IDEAS, Phase.REFLECT)
    assert ideas_setting(store, set_id) is True


def test_with_ideas_off_next_goes_from_the_questions_straight_to_reflecting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    switched = sets.choose_ideas_phase(store, caller(), "off")
    view = asha_presents(store, clock)

    assert (switched.on, switched.changed) == (False, True)
    assert Phase.IDEAS not in view.route
    assert next_phase(store, clock) is Phase.QUESTIONS
    assert next_phase(store, clock) is Phase.REFLECT


def test_a_round_already_open_keeps_its_ideas_phase_when_the_set_switches_it_off(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    asha_presents(store, clock)
    sets.choose_ideas_phase(store, caller(), "OFF")

    assert [next_phase(store, clock) for _ in range(3)] == [
        Phase.QUESTIONS,
        Phase.IDEAS,
        Phase.REFLECT,
    ]


def test_switching_on_again_and_asking_twice_are_both_fine(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    sets.choose_ideas_phase(store, caller(), "off")

    back_on = sets.choose_ideas_phase(store, caller(), " on ")
    again = sets.choose_ideas_phase(store, caller(), "on")
    shown = sets.choose_ideas_phase(store, caller(), "")

    assert (back_on.on, back_on.changed) == (True, True)
    assert (again.on, again.changed) == (True, False)
    assert (shown.on, shown.changed) == (True, False)
    assert ideas_setting(store, set_id) is True


def test_a_member_cannot_switch_the_ideas_phase(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        sets.choose_ideas_phase(store, caller(BEN), "off")

    assert ideas_setting(store, set_id) is True


@pytest.mark.parametrize("typed", ["maybe", "of", "on please", "true"])
def test_anything_but_on_or_off_is_explained_and_changes_nothing(
    store: Store, clock: ManualClock, set_id: int, typed: str
) -> None:
    with pytest.raises(Refusal, match="`/set ideas on`"):
        sets.choose_ideas_phase(store, caller(), typed)

    assert ideas_setting(store, set_id) is True


def test_advice_in_the_ideas_phase_earns_no_hint_and_counts_as_ideas(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    asha_presents(store, clock)
    for _ in range(2):
        next_phase(store, clock)  # describe → questions → ideas
    advice = ThreadMessage(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ts=THREAD,
        ts="1799999999.000300",
        user_id=BEN,
        text="You should ask the team to draft the rota with you.",
    )

    hint = hear(store, clock, advice)

    assert hint is None
    with store.session() as session:
        [heard] = session.exec(select(Contribution)).all()
    assert (heard.phase, heard.kind) == ("ideas", "advice")
    stats = insights.meeting_stats(store, caller(), meeting_id=None)
    [ben] = [member for member in stats.members if member.user_id == BEN]
    assert ben.by_phase[Phase.IDEAS].words == 11
    assert ben.hints == 0
    assert "Ideas 11" in str(render_stats(stats).blocks)
