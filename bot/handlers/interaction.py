"""Who pressed or submitted something, read the same way for every button and modal."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.flows.access import Caller, caller_for_set
from bot.store.db import Store
from bot.ui.blocks import Reply


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
    """The person who submitted a modal, in the channel it was opened from.

    Every setbot modal carries that channel in its private_metadata, as JSON `{"channel": …}`.
    """
    channel = json.loads(view["private_metadata"])["channel"]
    return Caller(team_id=team_of(body), user_id=body["user"]["id"], channel_id=channel)


def set_caller(body: dict[str, Any], store: Store) -> Caller:
    """Whoever pressed a button carrying a Set's id, placed as if in that Set's channel.

    Such buttons also arrive in direct messages; the id is only a pointer, and every
    check on the caller is made again as for a command typed in the channel.
    """
    with store.session() as session:
        return caller_for_set(
            session,
            team_id=team_of(body),
            user_id=body["user"]["id"],
            set_id=int(pressed_value(body)),
        )


def tell(client: WebClient, user_id: str, reply: Reply) -> None:
    """A private word in a direct message from setbot: it reaches them wherever they are."""
    dm = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=dm, text=reply.text, blocks=reply.blocks)


def pressed_value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value", ""))
