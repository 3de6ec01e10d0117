"""Open questions to borrow: a bank a member can dip into while the Set asks.

The facilitator "models skills and techniques, such as insightful questioning"; members
new to Action Learning often know they should ask rather than tell but can't think of a
question in the moment. The bank is plain data a facilitator can read and edit, grouped
by what a question explores, so a handful drawn from every group nudges the Set to look
at the issue from more than one side: the problem itself, the assumptions and barriers
around it, the options, how the presenter feels, and a first step.

Every question here must read as an open question to `bot.flows.questions.classify`
(a test checks it), so a member who borrows one word for word is never coached for it.
This module imports nothing from the rest of the bot, so the coaching hint can use it.
"""

from __future__ import annotations

import random
from enum import StrEnum


class QuestionGroup(StrEnum):
    """What a question explores; the order is the order a member sees the groups in."""

    CLARIFYING = "clarifying"
    ASSUMPTIONS = "assumptions"
    BARRIERS = "barriers"
    OPTIONS = "options"
    FEELINGS = "feelings"
    FIRST_STEP = "first_step"

    @property
    def label(self) -> str:
        """The group's heading in plain words (not `title`, which `str` already has)."""
        return GROUP_LABELS[self]


GROUP_LABELS: dict[QuestionGroup, str] = {
    QuestionGroup.CLARIFYING: "Clarifying the problem",
    QuestionGroup.ASSUMPTIONS: "Assumptions",
    QuestionGroup.BARRIERS: "Barriers",
    QuestionGroup.OPTIONS: "Options",
    QuestionGroup.FEELINGS: "Feelings",
    QuestionGroup.FIRST_STEP: "A first step",
}

# Warm, plain questions a practitioner would ask. No "just", "have you tried" or "what if
# you": those hide an answer inside the question, which is what the coaching hint is for.
BANK: dict[QuestionGroup, tuple[str, ...]] = {
    QuestionGroup.CLARIFYING: (
        "What is the heart of the problem for you?",
        "How would you describe the issue in one sentence?",
        "When did you first notice this was a problem?",
        "Who else is affected by this, and how?",
        "What makes this an issue for you right now?",
        "What have you tried so far?",
        "What would success look like for you?",
        "Whose problem is this, as you see it?",
    ),
    QuestionGroup.ASSUMPTIONS: (
        "What are you assuming about how your team sees this?",
        "What do you believe has to be true for things to change?",
        "How do you know that is the case?",
        "What might someone who disagrees with you say about it?",
        "Which of your assumptions feels least certain?",
        "How might the people involved describe the problem?",
        "What would change if that assumption turned out to be wrong?",
        "Where does your view of this come from?",
    ),
    QuestionGroup.BARRIERS: (
        "What's getting in the way?",
        "What's stopping you from moving forward?",
        "What has held you back until now?",
        "Who or what might resist a change here?",
        "What support is missing for you?",
        "What would make this harder than it needs to be?",
        "Which barriers are within your control, and which aren't?",
        "What have you had to work around before?",
    ),
    QuestionGroup.OPTIONS: (
        "What options can you see?",
        "What else could happen here?",
        "If you had no limits, what would you do?",
        "What would you do if you knew you couldn't fail?",
        "Who could help you with this?",
        "What has worked for you in a similar situation before?",
        "What would happen if you did nothing?",
        "Which option excites you most, and why?",
    ),
    QuestionGroup.FEELINGS: (
        "How do you feel about it?",
        "What matters most to you here?",
        "How does this sit with your values?",
        "What worries you most about it?",
        "What would it mean to you to resolve this?",
        "How are you looking after yourself through this?",
        "What part of this gives you energy?",
        "How do you feel when you imagine it resolved?",
    ),
    QuestionGroup.FIRST_STEP: (
        "What is one small step you might take this week?",
        "What would you like to do first?",
        "Who do you need to speak to first?",
        "What will you do between now and our next meeting?",
        "How will you know you've made progress?",
        "What do you need in place before you start?",
        "When will you take the first step?",
        "What would make it more likely that you follow through?",
    ),
}


def _round_robin(bank: dict[QuestionGroup, tuple[str, ...]]) -> tuple[str, ...]:
    """One question from each group in turn, so neighbouring seeds explore different sides."""
    longest = max(len(questions) for questions in bank.values())
    return tuple(
        questions[i] for i in range(longest) for questions in bank.values() if i < len(questions)
    )


# Every question once, groups interleaved: what `one_question` picks from.
ALL_QUESTIONS: tuple[str, ...] = _round_robin(BANK)


def question_ideas(
    *, rng: random.Random, per_group: int = 2
) -> list[tuple[QuestionGroup, list[str]]]:
    """A fresh handful from every group, in the groups' order, for the "Question ideas" card.

    Drawn at random so a member who presses twice sees new ideas; the caller owns `rng`,
    so the same seed always draws the same questions (a test can pin them). A group with
    fewer questions than `per_group` gives all it has.
    """
    if per_group < 1:
        raise ValueError(f"per_group must be at least 1, not {per_group}")
    return [
        (group, rng.sample(questions, min(per_group, len(questions))))
        for group, questions in BANK.items()
    ]


def one_question(*, seed: int) -> str:
    """One open question for the coaching hint; neighbouring seeds give different groups.

    `seed` is something that changes as a member speaks (how often they have spoken), so
    the same person isn't offered the same example every time. Any int works.
    """
    return ALL_QUESTIONS[seed % len(ALL_QUESTIONS)]
