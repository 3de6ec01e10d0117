"""The one place a listener's failure ends up: logged for us, a kind word for the person.

Listeners do not catch exceptions themselves; the store's session has already rolled
back by the time we get here, so "nothing was changed" is true.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond

from bot.deps import Deps
from bot.ui.help import sorry_reply

log = logging.getLogger("setbot")


def register(app: App, _deps: Deps) -> None:
    app.error(on_error)


def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
    log.error("listener failed for %s: %r", _what(body), error, exc_info=error)
    if respond is not None:
        reply = sorry_reply()
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def _what(body: dict[str, Any]) -> str:
    """Name the request without logging anything a member wrote."""
    if "command" in body:
        return f"command {body['command']}"
    if "event" in body:
        return f"event {body['event'].get('type')}"
    return f"interaction {body.get('type')}"
