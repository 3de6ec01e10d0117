"""The one place a listener's failure ends up: logged for us, a kind word for the person.

Listeners do not catch exceptions themselves; the store's session has already rolled
back by the time we get here, so "nothing was changed" is true.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.handlers.interaction import tell
from bot.ui.help import sorry_reply

log = logging.getLogger("setbot")


def register(app: App, _deps: Deps) -> None:
    app.error(on_error)


def on_error(
    error: Exception, body: dict[str, Any], respond: Respond | None, client: WebClient
) -> None:
    log.error("listener failed for %s: %r", _what(body), error, exc_info=error)
    reply = sorry_reply()
    if respond is not None and body.get("response_url"):
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        return
    person = (body.get("user") or {}).get("id")
    if person:  # a modal or the Home tab: no message to answer under, so a direct message
        tell(client, person, reply)


def _what(body: dict[str, Any]) -> str:
    """Name the request without logging anything a member wrote."""
    if "command" in body:
        return f"command {body['command']}"
    if "event" in body:
        return f"event {body['event'].get('type')}"
    return f"interaction {body.get('type')}"
