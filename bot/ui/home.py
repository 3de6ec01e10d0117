"""The App Home tab: where a member lands when they open setbot in Slack's sidebar."""

from __future__ import annotations

from typing import Any

from bot.flows.commands import COMMANDS, usage
from bot.ui.blocks import Block, context, divider, header, section


def home_view() -> dict[str, Any]:
    blocks: list[Block] = [
        header("Welcome to setbot"),
        section(
            "setbot runs your *Action Learning Set* in Slack. In each meeting every member "
            "takes a turn: you bring a real problem, the others help mostly by *asking "
            "questions*, you commit to an action, and next time you report back on it."
        ),
        divider(),
        section("*Getting started*\nA facilitator types `/set new` in any channel to form a Set."),
    ]
    for name, summary in COMMANDS.items():
        lines = "\n".join(f"• `{s.usage}` — {s.summary}" for s in usage(name))
        blocks.append(section(f"*{name}* — {summary}\n{lines}"))
    blocks.append(context("What is said in a round stays in the Set: setbot never stores it."))
    return {"type": "home", "blocks": blocks}
