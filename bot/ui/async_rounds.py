"""What a Set sees of a meeting held in writing: the start, each phase's close, who's been.

Deadlines are shown with Slack's date formatting, so each member reads them in their own
time zone; the fallback names UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.async_meetings import (
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    AsyncStart,
    Presence,
)
from bot.flows.rounds import PhaseChange, RoundView
from bot.ui.blocks import Reply, actions, button, context, section
from bot.ui.forms import input_block, modal, option, read_choice, read_text
from bot.ui.mrkdwn import escape, mentions
from bot.ui.notices import render
from bot.ui.rounds import local_time, phase_prompt, round_closed

ASYNC_START_VIEW = "meeting_async_start"
WINDOW_BLOCK = "async_window_days"
RUNNING_BLOCK = "async_running"
IN_TURN, SIDE_BY_SIDE = "in_turn", "side_by_side"
UNDO_MOVE = "round_undo"
ROUND_EXTEND = "round_extend"
ROUND_PAUSE = "round_pause"
ROUND_RESUME = "round_resume"
EXTEND_HOURS = 24


def async_start_modal(channel_id: str, *, default_days: int) -> dict[str, Any]:
    """The facilitator chooses the meeting's window and how its rounds run."""
    window = input_block(
        WINDOW_BLOCK,
        "How many working days should the meeting stay open?",
        {
            "type": "number_input",
            "is_decimal_allowed": False,
            "min_value": str(MIN_WINDOW_DAYS),
            "max_value": str(MAX_WINDOW_DAYS),
            "initial_value": str(default_days),
        },
        hint="Weekends don't count. Each phase gets at least four waking hours for everyone.",
    )
    in_turn = option("One after another", IN_TURN)
    running = input_block(
        RUNNING_BLOCK,
        "How should the rounds run?",
        {
            "type": "radio_buttons",
            "options": [in_turn, option("Side by side, all at once", SIDE_BY_SIDE)],
            "initial_option": in_turn,
        },
    )
    intro = section(
        "An asynchronous meeting happens in writing: each member's round runs in its own "
        "thread, and people take part in their own waking hours."
    )
    return modal(
        ASYNC_START_VIEW,
        "Meet in writing",
        "Start",
        [intro, window, running],
        {"channel": channel_id},
    )


def read_async_start(values: Mapping[str, Any]) -> tuple[int | None, bool]:
    """The window in working days (None if not a whole number) and whether side by side."""
    typed = read_text(values, WINDOW_BLOCK)
    days = int(typed) if typed.isdigit() else None
    return days, read_choice(values, RUNNING_BLOCK) == SIDE_BY_SIDE


def async_started(start: AsyncStart) -> Reply:
    """For the whole channel: how the meeting in writing works, and until when."""
    card = start.card
    running = (
        "All the rounds are open at once, each in its own thread."
        if start.side_by_side
        else "Rounds run one after another; each opens by itself when the one before closes."
    )
    said = (
        f"*{escape(card.set_name)} is meeting in writing* until "
        f"{local_time(start.window_ends_at)}.\n{running}\n"
        "Each phase closes by itself at the time shown, or sooner once everyone has had "
        "their say. Reply in a round's thread in your own time."
    )
    blocks = [section(said)]
    if card.apologies:
        blocks.append(context(f"Sent apologies: {mentions(card.apologies)}"))
    if card.ground_rules:
        rules = "\n".join(f"• {escape(rule)}" for rule in card.ground_rules)
        blocks.append(section(f"*Our ground rules*\n{rules}"))
    return Reply(text=f"{card.set_name} is meeting in writing.", blocks=blocks)


@render.register
def phase_changed(change: PhaseChange) -> Reply:
    """What the thread is told as a phase closes by itself: the next one, or the close."""
    if change.closed is not None:
        return round_closed(change.closed)
    return phase_prompt(change.round)


def presence_card(seen: Presence) -> Reply:
    """Only the facilitator sees this: who has spoken, who has looked, who hasn't yet."""
    lines = [
        f"*Contributed:* {mentions(seen.contributed) or 'nobody yet'}",
        f"*Seen it, thinking:* {mentions(seen.seen) or 'nobody'}",
        f"*Not looked yet:* {mentions(seen.not_yet) or 'nobody — everyone has been'}",
    ]
    blocks = [section("\n".join(lines))]
    if seen.not_yet:
        blocks.append(context("A friendly word in the channel often helps people find the thread."))
    value = str(seen.round.round_id)
    hand = [button(f"Give {EXTEND_HOURS} more hours", action_id=ROUND_EXTEND, value=value)]
    if seen.round.paused:
        hand.append(button("Resume the round", action_id=ROUND_RESUME, value=value))
    else:
        hand.append(button("Pause the round", action_id=ROUND_PAUSE, value=value))
    blocks.append(actions("round_clock_actions", hand))
    return Reply(text="Who has been in this round", blocks=blocks)


def clock_changed(view: RoundView) -> Reply:
    """Only the facilitator sees this: where the round's clock stands now."""
    if view.paused:
        said = "Paused. The phase keeps the time it had left; resume it when the Set is ready."
    else:
        said = (
            f"*{view.title}* is now open until {local_time(view.phase_due_at)}."
            if view.phase_due_at
            else "Done."
        )
    return Reply(text=said.replace("*", ""), blocks=[section(said)])


def seen_thanks() -> Reply:
    said = "Thanks — noted that you've seen it. Reply in the thread whenever you're ready."
    return Reply(text=said, blocks=[section(said)])


def undo_note(change: PhaseChange) -> Reply:
    """Only the facilitator who moved it sees this: two minutes to take the move back."""
    said = "Moved on. Pressed by mistake? You can undo it for two minutes."
    undo = button("Undo", action_id=UNDO_MOVE, value=str(change.move_id))
    return Reply(text="Moved on.", blocks=[section(said), actions("round_undo_actions", [undo])])


def undone(view: RoundView) -> Reply:
    said = f"Undone: the round is back in *{view.title}*, with its time as it was."
    return Reply(text=said.replace("*", ""), blocks=[section(said)])
