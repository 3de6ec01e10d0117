"""Messages in channels: only replies in a round's thread matter, and only people's.

Edits, deletions, bot posts and other subtypes are left alone: a contribution is counted
when it is first said, and the bot never coaches itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows.async_meetings import move_on_if_everyone_spoke
from bot.flows.listening import ThreadMessage, hear
from bot.handlers.round_posts import show_change


def register(app: App, deps: Deps) -> None:
    app.event("message")(_on_message(deps))


def _on_message(deps: Deps) -> Callable[..., None]:
    def on_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        message = _thread_reply(event, context)
        if message is None:
            return
        hint = hear(deps.store, deps.clock, message)
        if hint:
            client.chat_postEphemeral(
                channel=message.channel_id,
                user=message.user_id,
                thread_ts=message.thread_ts,
                text=hint,
            )
        change = move_on_if_everyone_spoke(
            deps.store,
            deps.clock,
            team_id=message.team_id,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
        )
        if change is not None:
            show_change(client, deps, change, team_id=message.team_id)

    return on_message


def _thread_reply(event: dict[str, Any], context: BoltContext) -> ThreadMessage | None:
    """A person's new reply in some thread, or None for anything else."""
    thread_ts = event.get("thread_ts")
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return None
    if not thread_ts or thread_ts == event.get("ts") or not context.team_id:
        return None
    return ThreadMessage(
        team_id=context.team_id,
        channel_id=event["channel"],
        thread_ts=thread_ts,
        ts=event["ts"],
        user_id=event["user"],
        text=event.get("text") or "",
    )
