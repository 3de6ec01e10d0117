"""Modal submissions: each is checked like the command it came from, then acted on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import ground_rules
from bot.flows.access import Refusal
from bot.handlers.interaction import modal_caller
from bot.ui import sets as cards

Submitted = Callable[[Ack, dict[str, Any], dict[str, Any], WebClient, Deps], None]


def register(app: App, deps: Deps) -> None:
    for callback_id, submitted in VIEWS.items():
        app.view(callback_id)(_listener(submitted, deps))


def _listener(submitted: Submitted, deps: Deps) -> Callable[..., None]:
    def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submitted(ack, body, view, client, deps)

    return handle


def refuse_in_modal(ack: Ack, block_id: str, refusal: Refusal) -> None:
    """Show a refusal beside the field it is about; the modal stays open, nothing stored."""
    ack(response_action="errors", errors={block_id: refusal_text(refusal)})


def refusal_text(refusal: Refusal) -> str:
    # Modal error text is plain, not mrkdwn: names need no escaping, only filling in.
    return refusal.template.format(**refusal.names).replace("*", "")


def _rules(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    typed = view["state"]["values"][cards.RULES_BLOCK][cards.RULES_INPUT].get("value") or ""
    try:
        card = ground_rules.change_rules(deps.store, caller, typed.splitlines())
    except Refusal as refusal:
        refuse_in_modal(ack, cards.RULES_BLOCK, refusal)
        return
    ack()
    changed = cards.rules_changed(card)
    client.chat_postMessage(channel=caller.channel_id, text=changed.text, blocks=changed.blocks)


VIEWS: dict[str, Submitted] = {cards.RULES_VIEW: _rules}
