"""Who pressed or submitted something, read the same way for every button and modal."""

from __future__ import annotations

from typing import Any

from bot.flows.access import Caller


def team_of(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return str(team.get("id") or body["user"].get("team_id", ""))


def button_caller(body: dict[str, Any]) -> Caller:
    """The person who pressed a button in a channel message."""
    channel = body.get("channel") or body.get("container", {})
    return Caller(
        team_id=team_of(body),
        user_id=body["user"]["id"],
        channel_id=str(channel.get("id") or channel.get("channel_id", "")),
    )


def modal_caller(body: dict[str, Any], view: dict[str, Any]) -> Caller:
    """The person who submitted a modal opened from a Set's channel (in private_metadata)."""
    return Caller(
        team_id=team_of(body), user_id=body["user"]["id"], channel_id=view["private_metadata"]
    )


def pressed_value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value", ""))
