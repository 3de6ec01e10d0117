"""The facilitator's choice of when the Set is reminded (`/set timing`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.reminder_timing import (
    CHANNEL_LEAD_WORDS,
    PREPARE_DAY_CHOICES,
    ReminderTiming,
)
from bot.ui.blocks import Reply, section
from bot.ui.forms import element_of, input_block, modal, option, read_choice

TIMING_VIEW = "set_timing_view"
CHANNEL_BLOCK = "timing_channel"
PREPARE_BLOCK = "timing_prepare"
DIGEST_BLOCK = "timing_digest"
DIGEST_ON = "digest"


def _prepare_words(days: int) -> str:
    if not days:
        return "Don't ask"
    return "The day before" if days == 1 else f"{days} days before"


def timing_modal(timing: ReminderTiming, *, channel_id: str) -> dict[str, Any]:
    channel_options = [option(words, label) for label, words in CHANNEL_LEAD_WORDS.items()]
    prepare_options = [option(_prepare_words(d), str(d)) for d in PREPARE_DAY_CHOICES]
    digest_option = option("Send the facilitators a digest the morning before", DIGEST_ON)
    digest: dict[str, Any] = {"type": "checkboxes", "options": [digest_option]}
    if timing.digest:
        digest["initial_options"] = [digest_option]
    chosen = [o for o in channel_options if o["value"] in timing.channel]
    channel: dict[str, Any] = {"type": "checkboxes", "options": channel_options}
    if chosen:
        channel["initial_options"] = chosen
    prepare = {
        "type": "static_select",
        "options": prepare_options,
        "initial_option": next(
            o for o in prepare_options if o["value"] == str(timing.prepare_days)
        ),
    }
    blocks = [
        input_block(CHANNEL_BLOCK, "Remind the Set's channel", channel, optional=True),
        input_block(
            PREPARE_BLOCK,
            "Ask each member what they will bring",
            prepare,
            hint="Private messages arrive between 08:00 and 19:00 in each member's time zone.",
        ),
        input_block(DIGEST_BLOCK, "Facilitators' digest", digest, optional=True),
    ]
    return modal(TIMING_VIEW, "Reminders", "Save", blocks, {"channel": channel_id})


def read_timing(values: Mapping[str, Any]) -> ReminderTiming:
    picked = element_of(values, CHANNEL_BLOCK).get("selected_options") or []
    digest = element_of(values, DIGEST_BLOCK).get("selected_options") or []
    prepare = read_choice(values, PREPARE_BLOCK) or "0"
    return ReminderTiming(
        channel=tuple(o["value"] for o in picked),
        prepare_days=int(prepare) if prepare.isdigit() else 0,
        digest=any(o.get("value") == DIGEST_ON for o in digest),
    )


def timing_saved(timing: ReminderTiming) -> Reply:
    channel = ", ".join(CHANNEL_LEAD_WORDS[label].lower() for label in timing.channel) or "never"
    text = (
        f"Saved. The channel is reminded: {channel}. Members are asked what they'll bring: "
        f"{_prepare_words(timing.prepare_days).lower()}. Digest: "
        f"{'on' if timing.digest else 'off'}. Every coming meeting now follows this."
    )
    return Reply(text=text, blocks=[section(text)])
