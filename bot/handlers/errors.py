"""The one place a listener's failure ends up: logged for us, a kind word for the person.

Listeners do not catch exceptions themselves; the store's session has already rolled
back by the time we get here, so "nothing was changed" is true of what failed. The
delivery is forgotten too (bot.handlers.retries), so trying again is heard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.handlers.interaction import tell
from bot.handlers.retries import let_it_come_again
from bot.store.seen import AlreadyHandled
from bot.ui.blocks import Reply
from bot.ui.help import slack_trouble_reply, sorry_reply

log = logging.getLogger("setbot")


def register(app: App, deps: Deps) -> None:
    app.error(_on_error(deps))


def _on_error(deps: Deps) -> Callable[..., None]:
    def on_error(
        error: Exception,
        body: dict[str, Any],
        respond: Respond | None,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        if isinstance(error, AlreadyHandled):  # a copy stored first; Slack's retry is answered ok
            log.debug("%s was handled by another copy at the same moment", _what(body))
            return
        log.error("listener failed for %s: %r", _what(body), error, exc_info=error)
        try:
            let_it_come_again(context, deps.store)
        except SQLAlchemyError as unreachable:
            log.warning("could not forget a failed delivery: %s", type(unreachable).__name__)
        reply = _apology_for(error)
        try:
            if respond is not None and body.get("response_url"):
                respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
                return
            person = (body.get("user") or {}).get("id")
            if person:  # a modal or the Home tab: no message to answer under, so a DM
                tell(client, person, reply)
        except (SlackClientError, OSError) as unreachable:
            log.warning("could not say sorry: Slack failed too (%s)", type(unreachable).__name__)

    return on_error


def _apology_for(error: Exception) -> Reply:
    """Slack failing may come after something was saved; our own failure saved nothing."""
    if isinstance(error, SlackClientError | OSError):
        return slack_trouble_reply()
    return sorry_reply()


def _what(body: dict[str, Any]) -> str:
    """Name the request without logging anything a member wrote."""
    if "command" in body:
        return f"command {body['command']}"
    if "event" in body:
        return f"event {body['event'].get('type')}"
    return f"interaction {body.get('type')}"
