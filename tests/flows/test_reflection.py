"""After the meeting, those who were there reflect on how the process worked."""

from __future__ import annotations

import threading
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.flows import meetings, reflection
from bot.flows.access import Caller, Refusal
from bot.flows.reflection import ReflectionAggregate, ReflectionOutcome
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.store.db import Store
from bot.store.models import AttendanceStatus
from tests.factories import TEAM

CHANNEL = "C0LEADERS"
FACILITATOR = "U0FACIL"
ASHA, BEN, CARA, DEV, EVE = "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
OUTSIDER = "U0OUTSIDE"
FIRST_MEETING = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def caller(user: str = FACILITATOR, *, team: str = TEAM) -> Caller:
    return Caller(team_id=team, user_id=user, channel_id=CHANNEL)


@pytest.fixture
def meeting_id(store: Store, clock: ManualClock) -> int:
    """A meeting Asha, Ben, Cara and Dev came to; Eve sent apologies. It has ended."""
    draft = SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(FACILITATOR,),
        members=(ASHA, BEN, CARA, DEV, EVE),
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=FIRST_MEETING,
        timezone="Europe/London",
    )
    form_set(store, clock, team_id=TEAM, created_by=FACILITATOR, draft=draft, channel_id=CHANNEL)
    card = meetings.start_meeting(store, clock, caller())
    for user, status in [
        (ASHA, AttendanceStatus.PRESENT),
        (BEN, AttendanceStatus.PRESENT),
        (CARA, AttendanceStatus.PRESENT),
        (DEV, AttendanceStatus.PRESENT),
        (EVE, AttendanceStatus.APOLOGIES),
    ]:
        meetings.check_in(
            store, clock, team_id=TEAM, meeting_id=card.meeting_id, user_id=user, status=status
        )
    clock.advance(timedelta(hours=2))
    meetings.end_meeting(store, clock, caller())
    return card.meeting_id


def reflect(
    store: Store,
    clock: ManualClock,
    meeting_id: int,
    user: str,
    score: int = 4,
    *,
    helped: str = "The questions slowed me down, in a good way.",
    team: str = TEAM,
) -> ReflectionOutcome:
    return reflection.reflect(
        store,
        clock,
        team_id=team,
        meeting_id=meeting_id,
        user_id=user,
        score=score,
        helped=helped,
        change="Less advice in the questions phase.",
        share=False,
    )


def test_the_prompt_knows_how_many_were_here_and_how_many_answers_are_needed(
    store: Store, meeting_id: int
) -> None:
    with store.session() as session:
        prompt = reflection.reflection_prompt(session, team_id=TEAM, meeting_id=meeting_id)

    assert (prompt.present, prompt.needed) == (4, 2)
    assert (prompt.channel_id, prompt.set_name) == (CHANNEL, "New team leaders")


@pytest.mark.parametrize(
    ("present", "needed"),
    [(0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (5, 3), (8, 4), (9, 5), (13, 7)],
)
def test_half_of_those_present_must_answer_and_never_fewer_than_two(
    present: int, needed: int
) -> None:
    assert reflection.needed_answers(present) == needed


@pytest.mark.parametrize(
    "who", [EVE, OUTSIDER, FACILITATOR], ids=["sent apologies", "outsider", "not checked in"]
)
def test_only_members_marked_present_may_reflect(
    store: Store, clock: ManualClock, meeting_id: int, who: str
) -> None:
    with pytest.raises(Refusal) as refused:
        reflect(store, clock, meeting_id, who)
    with pytest.raises(Refusal):
        reflection.reflection_form(store, team_id=TEAM, meeting_id=meeting_id, user_id=who)

    assert refused.value.template == reflection.NOT_PRESENT
    summary = reflection.reflection_summary(store, caller(), meeting_id=meeting_id)
    assert summary.answers == ()


def test_a_meeting_of_another_workspace_is_not_found(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    with pytest.raises(Refusal) as refused:
        reflect(store, clock, meeting_id, ASHA, team="T0OTHER")

    assert refused.value.template == reflection.NO_SUCH_MEETING


def test_the_threshold_is_crossed_once_by_the_answer_that_reaches_half(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    crossed = [
        reflect(store, clock, meeting_id, user, score).threshold_crossed
        for user, score in [(ASHA, 4), (BEN, 5), (CARA, 3), (DEV, 2)]
    ]

    assert crossed == [False, True, False, False]


def test_answering_again_updates_the_answer_and_does_not_cross_again(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    reflect(store, clock, meeting_id, ASHA, 2)
    reflect(store, clock, meeting_id, BEN, 4)

    again = reflect(store, clock, meeting_id, ASHA, 5, helped="Thinking it over, a lot.")

    assert again.updated and not again.threshold_crossed
    assert (again.aggregate.answered, again.aggregate.average) == (2, 4.5)
    form = reflection.reflection_form(store, team_id=TEAM, meeting_id=meeting_id, user_id=ASHA)
    assert (form.score, form.helped) == (5, "Thinking it over, a lot.")


def test_the_aggregate_has_an_average_and_a_count_but_no_names_or_words(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    reflect(store, clock, meeting_id, ASHA, 4)
    outcome = reflect(store, clock, meeting_id, BEN, 3)

    aggregate = outcome.aggregate
    assert {f.name for f in fields(ReflectionAggregate)} == {
        "meeting_id",
        "set_name",
        "average",
        "answered",
        "present",
    }
    assert (aggregate.average, aggregate.answered, aggregate.present) == (3.5, 2, 4)
    assert ASHA not in repr(aggregate) and "questions" not in repr(aggregate)


def test_the_outcome_carries_the_facilitators_full_view_and_who_to_send_it_to(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    outcome = reflect(store, clock, meeting_id, ASHA, 4)

    assert outcome.facilitators == (FACILITATOR,)
    [answer] = outcome.for_facilitators.answers
    assert (answer.user_id, answer.score) == (ASHA, 4)
    assert answer.helped == "The questions slowed me down, in a good way."
    assert outcome.for_facilitators.waiting_for == (BEN, CARA, DEV)


def test_a_facilitator_sees_every_answer_with_names_and_members_do_not(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    reflect(store, clock, meeting_id, ASHA, 4)
    reflect(store, clock, meeting_id, BEN, 2)

    summary = reflection.reflection_summary(store, caller(), meeting_id=meeting_id)
    with pytest.raises(Refusal) as refused:
        reflection.reflection_summary(store, caller(ASHA), meeting_id=meeting_id)
    with pytest.raises(Refusal):
        reflection.reflection_summary(store, caller(team="T0OTHER"), meeting_id=meeting_id)

    assert [(a.user_id, a.score) for a in summary.answers] == [(ASHA, 4), (BEN, 2)]
    assert summary.answers[1].change == "Less advice in the questions phase."
    assert refused.value.template == reflection.NOT_A_FACILITATOR


@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_one_to_five_is_refused(
    store: Store, clock: ManualClock, meeting_id: int, score: int
) -> None:
    with pytest.raises(Refusal):
        reflect(store, clock, meeting_id, ASHA, score)

    assert reflection.reflection_summary(store, caller(), meeting_id=meeting_id).answers == ()


def test_two_answers_arriving_together_cross_the_threshold_exactly_once(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite store shares one connection, so it cannot race itself")
    reflect(store, clock, meeting_id, ASHA)
    barrier = threading.Barrier(2)
    crossed: list[bool] = []

    def answer(user: str) -> None:
        barrier.wait()
        crossed.append(reflect(store, clock, meeting_id, user).threshold_crossed)

    answers = [threading.Thread(target=answer, args=(user,)) for user in (BEN, CARA)]
    for thread in answers:
        thread.start()
    for thread in answers:
        thread.join(timeout=10)

    assert sorted(crossed) == [False, True]
