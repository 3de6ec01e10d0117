"""The question bank: big enough to feel fresh, every question open, every draw repeatable."""

from __future__ import annotations

import random

import pytest

from bot.flows.question_bank import (
    ALL_QUESTIONS,
    BANK,
    GROUP_LABELS,
    QuestionGroup,
    one_question,
    question_ideas,
)
from bot.flows.questions import Kind, classify


def test_the_bank_holds_at_least_forty_questions_in_every_group() -> None:
    assert sum(len(questions) for questions in BANK.values()) >= 40
    assert list(BANK) == list(QuestionGroup)
    assert all(len(questions) >= 2 for questions in BANK.values())


def test_every_group_has_a_friendly_label() -> None:
    assert set(GROUP_LABELS) == set(QuestionGroup)
    assert QuestionGroup.CLARIFYING.label == "Clarifying the problem"
    assert QuestionGroup.FIRST_STEP.label == "A first step"
    assert QuestionGroup.ASSUMPTIONS == "assumptions"


def test_no_question_appears_twice_even_in_another_case() -> None:
    everything = [question for questions in BANK.values() for question in questions]

    assert len({question.casefold() for question in everything}) == len(everything)
    assert sorted(ALL_QUESTIONS) == sorted(everything)


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_every_question_in_the_bank_reads_as_open(question: str) -> None:
    assert classify(question) is Kind.OPEN_QUESTION


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_every_question_is_one_plain_question(question: str) -> None:
    assert question.endswith("?") and question.count("?") == 1
    assert question == question.strip() and len(question) <= 80


def test_the_examples_the_brief_names_are_in_the_bank() -> None:
    assert "What have you tried so far?" in BANK[QuestionGroup.CLARIFYING]
    assert "What would success look like for you?" in BANK[QuestionGroup.CLARIFYING]
    assert "What are you assuming about how your team sees this?" in BANK[QuestionGroup.ASSUMPTIONS]


def test_ideas_come_from_every_group_in_order_with_two_each_by_default() -> None:
    drawn = question_ideas(rng=random.Random(1))

    assert [group for group, _ in drawn] == list(QuestionGroup)
    for group, questions in drawn:
        assert len(questions) == 2 == len(set(questions))
        assert set(questions) <= set(BANK[group])


def test_the_same_seed_draws_the_same_ideas_and_other_seeds_differ() -> None:
    first = question_ideas(rng=random.Random(42), per_group=3)

    assert question_ideas(rng=random.Random(42), per_group=3) == first
    assert any(question_ideas(rng=random.Random(seed), per_group=3) != first for seed in range(5))


def test_asking_for_more_than_a_group_holds_gives_the_whole_group() -> None:
    drawn = dict(question_ideas(rng=random.Random(0), per_group=100))

    assert {group: set(questions) for group, questions in drawn.items()} == {
        group: set(questions) for group, questions in BANK.items()
    }


@pytest.mark.parametrize("per_group", [0, -1])
def test_asking_for_no_ideas_is_a_mistake(per_group: int) -> None:
    with pytest.raises(ValueError, match="per_group"):
        question_ideas(rng=random.Random(0), per_group=per_group)


def test_one_question_is_from_the_bank_and_repeats_only_after_all_were_offered() -> None:
    offered = [one_question(seed=seed) for seed in range(len(ALL_QUESTIONS))]

    assert sorted(offered) == sorted(ALL_QUESTIONS)
    assert one_question(seed=len(ALL_QUESTIONS)) == one_question(seed=0)
    assert one_question(seed=-1) == ALL_QUESTIONS[-1]


def test_neighbouring_seeds_offer_questions_exploring_different_things() -> None:
    group_of = {q: group for group, questions in BANK.items() for q in questions}

    groups = [group_of[one_question(seed=seed)] for seed in range(len(QuestionGroup))]

    assert set(groups) == set(QuestionGroup)
