"""Slash commands: `/set`, `/meeting`, `/round`, `/action`.

Each listener acks at once with the reply (Slack shows an ack body only to the caller),
so a member always hears back within Slack's three seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.flows.commands import COMMANDS, HELP, Invocation, parse
from bot.ui.blocks import Reply
from bot.ui.help import help_reply, unknown_reply

Route = Callable[[Invocation, dict[str, Any], Deps], Reply]


def _help(invocation: Invocation, _command: dict[str, Any], _deps: Deps) -> Reply:
    return help_reply(None if invocation.command == "/set" else invocation.command)


ROUTES: dict[tuple[str, str], Route] = {(name, HELP): _help for name in COMMANDS}


def register(app: App, deps: Deps) -> None:
    for name in COMMANDS:
        app.command(name)(_listener(deps))


def _listener(deps: Deps) -> Callable[..., None]:
    def handle(ack: Ack, command: dict[str, Any]) -> None:
        invocation = parse(command["command"], command.get("text", ""))
        route = ROUTES.get((invocation.command, invocation.name))
        reply = (
            route(invocation, command, deps)
            if route
            else unknown_reply(invocation.command, command.get("text", ""))
        )
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    return handle
