"""The "Adjust time" modal: one number of minutes per member, in turn order.

Input labels are plain text, so each member is labelled with the name Slack shows for
them (looked up by the handler), never a raw mention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.flows.time_agreement import MAX_ROUND_MINUTES, MIN_ROUND_MINUTES, TimeForm
from bot.ui.blocks import Block, section
from bot.ui.forms import input_block, modal
from bot.ui.mrkdwn import escape

TIME_VIEW = "meeting_time_view"
MINUTES_PREFIX = "minutes_"


def minutes_block(presenter: str) -> str:
    """The block holding one member's minutes: its id names them, so reading needs no order."""
    return MINUTES_PREFIX + presenter


def time_modal(form: TimeForm, *, names: Mapping[str, str]) -> dict[str, Any]:
    """Each member's minutes, starting from the plan as it stands."""
    kept = f"{form.reflection_minutes} minutes for reflecting on the process"
    if form.break_minutes:
        kept += f" and a {form.break_minutes}-minute break"
    intro = (
        f"How will *{escape(form.set_name)}* use its time today? Give each member the "
        f"minutes the Set agrees for their round. Together they can use up to "
        f"{form.free_minutes} minutes: the session keeps {kept}."
    )
    blocks: list[Block] = [section(intro)]
    for turn, presenter in enumerate(form.presenters, start=1):
        element: dict[str, Any] = {
            "type": "number_input",
            "is_decimal_allowed": False,
            "min_value": str(MIN_ROUND_MINUTES),
            "max_value": str(MAX_ROUND_MINUTES),
        }
        if form.minutes.get(presenter):
            element["initial_value"] = str(form.minutes[presenter])
        name = names.get(presenter) or f"Member {turn}"
        blocks.append(input_block(minutes_block(presenter), f"{turn}. {name} (minutes)", element))
    metadata = {"channel": form.channel_id, "meeting_id": form.meeting_id}
    return modal(TIME_VIEW, "Adjust time", "Save time", blocks, metadata)


def read_minutes(values: Mapping[str, Any]) -> dict[str, str]:
    """What was typed for each member, by user id."""
    return {
        block[len(MINUTES_PREFIX) :]: str(next(iter(state.values()), {}).get("value") or "")
        for block, state in values.items()
        if block.startswith(MINUTES_PREFIX)
    }


def meeting_of(private_metadata: str) -> int:
    return int(json.loads(private_metadata)["meeting_id"])
