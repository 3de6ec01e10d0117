"""A presenter's private outline: the modal, the confirmation, and its post in the thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.outlines import OUTLINE_LIMIT, OutlineDraft
from bot.ui.blocks import Reply, context, section
from bot.ui.forms import input_block, modal, read_text
from bot.ui.mrkdwn import clip, escape, mention

OUTLINE_OPEN = "round_outline_open"
OUTLINE_VIEW = "round_outline"
OUTLINE_BLOCK = "round_outline_text"


def outline_modal(draft: OutlineDraft) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": OUTLINE_LIMIT,
    }
    if draft.text:
        element["initial_value"] = draft.text
    field = input_block(
        OUTLINE_BLOCK,
        "Your problem, in a few lines",
        element,
        hint="What is the problem, why does it matter to you, and what would you like "
        "from the Set? Only you see this until your round opens.",
    )
    return modal(OUTLINE_VIEW, "Prepare your round", "Save", [field], {"meeting": draft.meeting_id})


def read_outline(values: Mapping[str, Any]) -> str:
    return read_text(values, OUTLINE_BLOCK)


def outline_saved(draft: OutlineDraft) -> Reply:
    said = (
        f"Saved privately for *{escape(draft.set_name)}*. It will be posted in your round's "
        "thread when your round opens, then deleted here. You can change it until then "
        "from the same button."
    )
    return Reply(text="Your outline is saved privately.", blocks=[section(said)])


def outline_post(presenter: str, text: str) -> Reply:
    """In the round's thread as it opens: what the presenter wrote beforehand."""
    quoted = "\n".join(f">{line}" for line in escape(clip(text, OUTLINE_LIMIT)).splitlines())
    said = f"*{mention(presenter)} prepared this outline:*\n{quoted}"
    return Reply(
        text=f"{mention(presenter)} prepared an outline.",
        blocks=[section(said), context("Read it, then let them tell it in their own words.")],
    )
