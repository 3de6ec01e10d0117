"""Priya presents; the Set asks questions; setbot listens, counts and coaches — privately."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows.listening import ThreadMessage, hear
from bot.flows.phases import Phase
from bot.store.db import Store
from bot.store.models import Contribution
from tests.factories import TEAM, a_meeting_under_way, a_set, an_open_round

THREAD = "1799999999.000100"
PRIYA, SAM = "U0PRIYA", "U0SAM"


def say(user: str, text: str, ts: str, *, thread: str = THREAD) -> ThreadMessage:
    return ThreadMessage(
        team_id=TEAM, channel_id="C0LEADERS", thread_ts=thread, ts=ts, user_id=user, text=text
    )


@pytest.fixture
def round_in(store: Store, clock: ManualClock) -> object:
    def open_in(phase: Phase, *, coaching_hints: bool = True) -> int:
        set_id = a_set(store, coaching_hints=coaching_hints)
        meeting_id = a_meeting_under_way(store, set_id=set_id, started_at=clock.now())
        return an_open_round(
            store,
            meeting_id=meeting_id,
            presenter_id=PRIYA,
            thread_ts=THREAD,
            phase=phase,
            opened_at=clock.now(),
        )

    return open_in


def contributions(store: Store) -> list[Contribution]:
    with store.session() as session:
        return list(session.exec(select(Contribution)).all())


def test_a_question_is_counted_without_keeping_its_words(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.QUESTIONS)

    hint = hear(store, clock, say(SAM, "What have you tried so far?", "1799999999.000200"))

    assert hint is None
    [heard] = contributions(store)
    assert (heard.user_id, heard.phase, heard.is_question, heard.word_count) == (
        SAM,
        "questions",
        True,
        6,
    )
    assert "tried" not in str(heard.model_dump())


def test_advice_while_asking_earns_a_private_hint(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.QUESTIONS)

    hint = hear(store, clock, say(SAM, "Have you tried talking to HR?", "1799999999.000200"))

    assert hint is not None and "question" in hint.lower()
    assert contributions(store)[0].is_question is False


def test_the_presenter_is_never_coached(store: Store, clock: ManualClock, round_in) -> None:
    round_in(Phase.QUESTIONS)

    assert hear(store, clock, say(PRIYA, "I should just talk to HR.", "1799999999.000200")) is None
    assert len(contributions(store)) == 1


def test_advice_is_welcome_once_the_ideas_phase_begins(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.IDEAS)

    assert hear(store, clock, say(SAM, "You should talk to HR.", "1799999999.000200")) is None


def test_an_emoji_alone_is_counted_but_never_coached(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.QUESTIONS)

    assert hear(store, clock, say(SAM, ":thumbsup:", "1799999999.000200")) is None
    assert contributions(store)[0].word_count == 0


def test_a_set_can_turn_the_hints_off(store: Store, clock: ManualClock, round_in) -> None:
    round_in(Phase.QUESTIONS, coaching_hints=False)

    assert hear(store, clock, say(SAM, "You should talk to HR.", "1799999999.000200")) is None
    assert len(contributions(store)) == 1


def test_a_replayed_message_is_counted_and_coached_once(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.QUESTIONS)
    advice = say(SAM, "You should talk to HR.", "1799999999.000200")

    first, replay = hear(store, clock, advice), hear(store, clock, advice)

    assert first is not None and replay is None
    assert len(contributions(store)) == 1


def test_a_thread_that_is_not_a_round_is_left_alone(
    store: Store, clock: ManualClock, round_in
) -> None:
    round_in(Phase.QUESTIONS)

    assert hear(store, clock, say(SAM, "Lunch?", "1.2", thread="1700000000.000001")) is None
    assert contributions(store) == []
