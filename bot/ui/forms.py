"""Modals, built and read back the same way everywhere.

Every input's element takes its block's id as its action_id, so reading a submission is
`values[block_id]` and nothing else; every modal carries the channel it was opened from
in its private_metadata, so a submission is checked like a command typed there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.ui.blocks import Block
from bot.ui.mrkdwn import clip

# Slack's limits for modal text.
TITLE_LIMIT = 24
OPTION_TEXT_LIMIT = 75
LABEL_LIMIT = 2000
HINT_LIMIT = 2000


def plain(text: str, limit: int) -> dict[str, str]:
    return {"type": "plain_text", "text": clip(text, limit)}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_LIMIT), "value": value}


def modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any]
) -> dict[str, Any]:
    """A modal carrying, like every setbot modal, the channel it was opened from."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": plain(title, TITLE_LIMIT),
        "submit": plain(submit, TITLE_LIMIT),
        "close": plain("Cancel", TITLE_LIMIT),
        "blocks": blocks,
    }


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    hint: str | None = None,
    optional: bool = False,
) -> Block:
    """An input block whose element's action_id is its block id, as every read here expects."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LABEL_LIMIT),
        "element": {**element, "action_id": block_id},
    }
    if hint:
        block["hint"] = plain(hint, HINT_LIMIT)
    if optional:
        block["optional"] = True
    return block


def element_of(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    """The one element an input block holds, as Slack reports it in `view.state.values`."""
    return next(iter(values.get(block_id, {}).values()), {})


def read_text(values: Mapping[str, Any], block_id: str) -> str:
    """What was typed, trimmed; a NUL character, which PostgreSQL cannot store, is dropped."""
    return (element_of(values, block_id).get("value") or "").replace("\x00", "").strip()


def read_choice(values: Mapping[str, Any], block_id: str) -> str | None:
    """The value of the option chosen in a select or radio group."""
    return (element_of(values, block_id).get("selected_option") or {}).get("value")
