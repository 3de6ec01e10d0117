"""Reflecting on the process in Slack: the prompt, the modal, the aggregate, the facilitators' view.

What the channel sees carries no names and no words, only an average and a count, so
members can be candid. The facilitators' view names each person; it is only ever sent
privately. Members' answers are escaped here, once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.flows.reflection import (
    MAX_SCORE,
    MAX_TEXT,
    MIN_SCORE,
    Answer,
    ReflectionAggregate,
    ReflectionForm,
    ReflectionOutcome,
    ReflectionPrompt,
    ReflectionSummary,
)
from bot.flows.schedule import format_local
from bot.ui.blocks import Block, Reply, actions, button, context, header, section
from bot.ui.commitments import read_share, share_block, text_input
from bot.ui.forms import input_block, modal, option, read_choice, read_text
from bot.ui.mrkdwn import clip, escape, mention, mentions

REFLECT = "meeting_reflect"
REFLECT_VIEW = "meeting_reflect_view"
REFLECTION_ANSWERS = "meeting_reflection_answers"
PROMPT_BLOCK = "meeting_reflect_actions"
AGGREGATE_BLOCK = "meeting_reflection_aggregate"
SCORE_BLOCK = "reflect_score"
HELPED_BLOCK = "reflect_helped"
CHANGE_BLOCK = "reflect_change"
SHARE_BLOCK = "reflect_share"

# Both of someone's answers at this length, with their name and score, fit one section.
ANSWER_PREVIEW = 1400

_SCORES = {
    5: "5 — It worked really well",
    4: "4 — It worked well",
    3: "3 — Some of it worked",
    2: "2 — It didn't work well",
    1: "1 — It didn't work at all",
}


@dataclass(frozen=True, kw_only=True)
class ReflectionInput:
    score: int
    helped: str
    change: str
    share: bool


def reflection_prompt_blocks(prompt: ReflectionPrompt) -> Reply:
    """Posted in the Set's channel when the meeting ends: one button, and who sees what."""
    text = (
        "*How did the process work for you today?* Take two minutes to reflect: how well "
        "it worked, what helped, and what we'd change for next time."
    )
    privacy = (
        "Only those who were here can answer. The Set sees just the average, once "
        f"{prompt.needed} of you have answered; the facilitators see each answer."
    )
    blocks = [
        section(text),
        actions(
            PROMPT_BLOCK,
            [
                button(
                    "Reflect on today",
                    action_id=REFLECT,
                    value=str(prompt.meeting_id),
                    style="primary",
                )
            ],
        ),
        context(privacy),
    ]
    return Reply(text="How did today's meeting work? Press “Reflect on today”.", blocks=blocks)


def reflection_modal(form: ReflectionForm, *, channel_id: str) -> dict[str, Any]:
    """Score, what helped, what should change, and consent to share; a second go is prefilled."""
    options = [option(label, str(score)) for score, label in _SCORES.items()]
    score: dict[str, Any] = {"type": "radio_buttons", "options": options}
    if form.score in _SCORES:
        score["initial_option"] = options[list(_SCORES).index(form.score)]
    blocks = [
        section(
            f"Looking back on today's meeting of *{escape(form.set_name)}*. Your facilitators "
            "see your answers; the Set sees only the average."
        ),
        input_block(SCORE_BLOCK, "How well did the process work today?", score),
        input_block(HELPED_BLOCK, "What helped?", text_input(initial=form.helped), optional=True),
        input_block(
            CHANGE_BLOCK,
            "What should change next time?",
            text_input(initial=form.change),
            optional=True,
        ),
        share_block(SHARE_BLOCK, initially=form.share),
    ]
    metadata = {"channel": channel_id, "meeting": form.meeting_id}
    return modal(REFLECT_VIEW, "Reflect on today", "Send", blocks, metadata)


def read_reflection(values: Mapping[str, Any]) -> tuple[ReflectionInput | None, dict[str, str]]:
    """The answer as typed, or None with the problem beside the score."""
    picked = read_choice(values, SCORE_BLOCK)
    score = int(picked) if picked and picked.isdigit() else None
    if score is None or not MIN_SCORE <= score <= MAX_SCORE:
        return None, {SCORE_BLOCK: "Pick how well the process worked, from 1 to 5."}
    typed = ReflectionInput(
        score=score,
        helped=read_text(values, HELPED_BLOCK),
        change=read_text(values, CHANGE_BLOCK),
        share=read_share(values, SHARE_BLOCK),
    )
    errors = {
        block: "Keep this to 3000 characters or fewer."
        for block, text in ((HELPED_BLOCK, typed.helped), (CHANGE_BLOCK, typed.change))
        if len(text) > MAX_TEXT
    }
    return typed, errors


def meeting_of(private_metadata: str) -> int:
    """The meeting a reflection modal is about."""
    return int(json.loads(private_metadata)["meeting"])


def reflected_reply(outcome: ReflectionOutcome) -> Reply:
    """The private thank-you to whoever just answered."""
    text = (
        "Thanks, I've updated your reflection."
        if outcome.updated
        else "Thank you for reflecting: it helps the Set get better at learning together."
    )
    return Reply(text=text, blocks=[section(text)])


def aggregate_blocks(aggregate: ReflectionAggregate) -> Reply:
    """For the channel, once: the average and the count. No names, no words."""
    text = (
        f"*How the process worked today:* {aggregate.average:.1f} out of 5, from "
        f"{aggregate.answered} of the {aggregate.present} people at the meeting. "
        "Thank you for reflecting."
    )
    blocks = [
        section(text),
        actions(
            AGGREGATE_BLOCK,
            [
                button(
                    "See the answers (facilitators)",
                    action_id=REFLECTION_ANSWERS,
                    value=str(aggregate.meeting_id),
                )
            ],
        ),
        context(
            "Not answered yet? “Reflect on today” still works. "
            "Only facilitators can see the answers."
        ),
    ]
    return Reply(
        text=f"How the process worked today: {aggregate.average:.1f} out of 5.", blocks=blocks
    )


def facilitator_view_blocks(summary: ReflectionSummary) -> Reply:
    """For facilitators only: each answer with its author, and who hasn't answered yet."""
    aggregate = summary.aggregate
    when = (
        f"The meeting of {format_local(summary.started_at, summary.timezone)}"
        if summary.started_at
        else "This meeting"
    )
    blocks: list[Block] = [
        header(f"Reflections — {summary.set_name}"),
        context(
            f"{when}: {aggregate.answered} of {aggregate.present} answered"
            + (f", average {aggregate.average:.1f} out of 5." if aggregate.answered else ".")
        ),
        *(section(_answer_text(answer)) for answer in summary.answers),
    ]
    if not summary.answers:
        blocks.append(section("No one has answered yet."))
    if summary.waiting_for:
        blocks.append(context(f"Not answered yet: {mentions(summary.waiting_for)}"))
    text = f"Reflections on the meeting of {escape(summary.set_name)}, for facilitators."
    return Reply(text=text, blocks=blocks)


def _answer_text(answer: Answer) -> str:
    shared = " · may be shared anonymously" if answer.share else ""
    return (
        f"{mention(answer.user_id)} — *{answer.score}* out of 5{shared}\n"
        f"*What helped:* {_words(answer.helped)}\n"
        f"*What should change:* {_words(answer.change)}"
    )


def _words(text: str) -> str:
    return escape(clip(text, ANSWER_PREVIEW)) if text else "_nothing said_"
