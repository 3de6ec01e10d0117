"""Rendering what a round's or a meeting's change owes the Set, as the outbox delivers it."""

from __future__ import annotations

from bot.flows.announcements import CommitmentAsked, PhasePrompt, RoundOpened, SetWelcome
from bot.ui.blocks import Reply
from bot.ui.meeting import meeting_card_blocks, summary_blocks
from bot.ui.notices import render
from bot.ui.outlines import outline_post
from bot.ui.reflection import reflection_prompt_blocks
from bot.ui.rounds import ask_for_commitment, phase_prompt, round_closed, round_root
from bot.ui.sets import welcome_card

for shown in (meeting_card_blocks, summary_blocks, reflection_prompt_blocks, round_closed):
    render.register(shown)


@render.register
def round_opened(opened: RoundOpened) -> Reply:
    return round_root(opened.round)


@render.register
def prompted(prompt: PhasePrompt) -> Reply:
    """The phase's prompt, after the presenter's outline when they wrote one."""
    said = phase_prompt(prompt.round)
    if prompt.round.outline is None:
        return said
    outline = outline_post(prompt.round.presenter, prompt.round.outline)
    return Reply(text=outline.text, blocks=[*outline.blocks, *said.blocks])


@render.register
def commitment_asked(asked: CommitmentAsked) -> Reply:
    return ask_for_commitment(asked.closed)


@render.register
def welcomed(welcome: SetWelcome) -> Reply:
    return welcome_card(welcome.learning_set, welcome.next_meetings)
