"""Channel events: the bot being added to a channel, and people joining one."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.ui.help import introduction


def register(app: App, _deps: Deps) -> None:
    app.event("member_joined_channel")(on_member_joined)


def on_member_joined(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("user") != context.bot_user_id:
        return
    reply = introduction()
    client.chat_postMessage(channel=event["channel"], text=reply.text, blocks=reply.blocks)
