"""Block Kit as Slack judges it: slack_sdk's models decide, plus the limits they leave out.

The emulator and the driver both ask this module, so a layout Slack would reject fails the
same way whether the bot posted it, published it, or returned it in an ack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# https://docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in each message".
MESSAGE_BLOCKS_MAX = 50
# Modals and Home tabs: "up to 100 blocks".
VIEW_BLOCKS_MAX = 100
# chat.postMessage: text longer than this answers `msg_too_long`.
MESSAGE_TEXT_MAX = 40_000

# What slack_sdk's constructors raise when handed a shape they cannot model.
_MODEL_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)


def check_text(text: object) -> str | None:
    """Say what is wrong with a message's `text`, or None when Slack would take it."""
    if not isinstance(text, str):
        return f"text must be a string, not {type(text).__name__}"
    if len(text) > MESSAGE_TEXT_MAX:
        return f"text has {len(text):,} characters; Slack allows {MESSAGE_TEXT_MAX:,}"
    return None


def check_blocks(blocks: object, *, limit: int = MESSAGE_BLOCKS_MAX) -> str | None:
    """Say what is wrong with a `blocks` list, or None when every block models cleanly."""
    if not isinstance(blocks, list):
        return f"blocks must be a JSON array, not {type(blocks).__name__}"
    if len(blocks) > limit:
        return f"{len(blocks)} blocks; Slack allows at most {limit}"
    for index, block in enumerate(blocks):
        problem = _check_model(partial(Block.parse, block), block, f"blocks[{index}]")
        if problem:
            return problem
    return None


def check_view(view: object, *, kind: str) -> str | None:
    """Say what is wrong with a modal or Home tab, or None when Slack would show it."""
    if not isinstance(view, dict):
        return f"view must be a JSON object, not {type(view).__name__}"
    if view.get("type") != kind:
        return f"view type must be {kind!r} here, not {view.get('type')!r}"
    if not isinstance(view.get("blocks"), list):
        return "view needs a blocks array"
    problem = check_blocks(view["blocks"], limit=VIEW_BLOCKS_MAX)
    if problem:
        return f"view.{problem}"
    if kind == "modal":
        problem = _check_modal_buttons(view)
    return problem or _check_model(lambda: View(**view), view, "view")


def elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Every interactive element with the block_id it sits in, as Slack reports it on a click."""
    for block in blocks:
        children = list(block.get("elements") or [])
        children += [block[key] for key in ("accessory", "element") if key in block]
        for child in children:
            if isinstance(child, dict) and "action_id" in child:
                yield block.get("block_id"), child


def _check_modal_buttons(view: dict[str, Any]) -> str | None:
    """Slack refuses a modal without a title, or with inputs and nothing to submit them."""
    if not view.get("title"):
        return "a modal needs a title"
    has_inputs = any(block.get("type") == "input" for block in view["blocks"])
    if has_inputs and not view.get("submit"):
        return "a modal with input blocks needs a submit button"
    return None


def _check_model(build: Callable[[], JsonObject | None], sent: object, where: str) -> str | None:
    """Build the slack_sdk model, run its validators, and notice any field it had to drop.

    `to_dict()` validates every nested object; a field missing from its output is one
    slack_sdk does not know, which is a typo Slack would refuse with `invalid_blocks`.
    """
    try:
        model = build()
        if model is None:
            return f"{where}: not a block slack_sdk knows: {str(sent)[:80]}"
        kept = model.to_dict()
    except _MODEL_ERRORS as error:
        return f"{where}: {type(error).__name__}: {error}"
    dropped = _dropped_fields(sent, kept, where)
    if dropped:
        return f"{where}: unknown field {dropped[0]} (slack_sdk's model has no such field)"
    return None


def _dropped_fields(sent: object, kept: object, where: str) -> list[str]:
    """Paths present in what was sent but absent from what the model kept."""
    if isinstance(sent, dict) and isinstance(kept, dict):
        found: list[str] = []
        for key, value in sent.items():
            if value is None or value in ("", [], {}):
                continue  # slack_sdk leaves empty values out of what it keeps
            if key not in kept:
                found.append(f"{where}.{key}")
            else:
                found += _dropped_fields(value, kept[key], f"{where}.{key}")
        return found
    if isinstance(sent, list) and isinstance(kept, list):
        if len(sent) != len(kept):
            return [f"{where} (an item was dropped)"]
        pairs = zip(sent, kept, strict=True)
        return [p for i, (s, k) in enumerate(pairs) for p in _dropped_fields(s, k, f"{where}[{i}]")]
    return []
