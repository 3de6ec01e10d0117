"""Modal submissions: each is checked like the command it came from, then acted on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import ground_rules, meetings, rescheduling, sets
from bot.flows.access import Caller, Refusal
from bot.handlers.interaction import modal_caller
from bot.handlers.meeting_card import refresh_card
from bot.handlers.set_channel import create_set_channel, invite, use_existing_channel
from bot.ui import new_set
from bot.ui import sets as cards
from bot.ui.blocks import Reply
from bot.ui.help import refusal_reply
from bot.ui.meeting import REORDER_BLOCK, REORDER_VIEW, read_reorder
from bot.ui.schedule import MOVE_ERROR_BLOCK, MOVE_VIEW, move_target, read_move, schedule_card

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


def _new_set(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """Check everything while the modal is open; then the channel, then the store, then Slack."""
    caller = modal_caller(body, view)
    draft, problems, choice = new_set.read_new_set(
        view["state"]["values"],
        timezone_fallback=deps.settings.tz_default,
        now=deps.clock.now(),
    )
    if choice.channel_id and not choice.create:
        in_use = sets.channel_problem(
            deps.store, team_id=caller.team_id, channel_id=choice.channel_id
        )
        if in_use:
            problems[new_set.CHANNEL_PICK_BLOCK] = in_use
    if problems or draft is None:
        ack(response_action="errors", errors=problems)
        return
    ack()
    try:
        channel_id = (
            create_set_channel(client, draft.name)
            if choice.create or not choice.channel_id
            else use_existing_channel(client, choice.channel_id)
        )
    except Refusal as refusal:
        _tell(client, caller, refusal_reply(refusal))
        return
    formed = sets.form_set(
        deps.store,
        deps.clock,
        team_id=caller.team_id,
        created_by=caller.user_id,
        draft=draft,
        channel_id=channel_id,
    )
    bot_user_id = body.get("authorizations", [{}])[0].get("user_id", "")
    everyone = [*draft.facilitators, *draft.members, caller.user_id]
    invite(client, channel_id, list(dict.fromkeys(everyone)), bot_user_id)
    welcome = cards.welcome_card(formed.learning_set, formed.meetings[:3])
    client.chat_postMessage(channel=channel_id, text=welcome.text, blocks=welcome.blocks)
    _tell(client, caller, cards.set_ready(formed.learning_set.name, channel_id))


def _tell(client: WebClient, caller: Caller, reply: Reply) -> None:
    """A private word to whoever submitted a modal, in a direct message from setbot."""
    dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
    client.chat_postMessage(channel=dm, text=reply.text, blocks=reply.blocks)


def _move(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    meeting_id, timezone = move_target(view["private_metadata"])
    new_start = read_move(view["state"]["values"], timezone)
    if new_start is None:
        ack(response_action="errors", errors={MOVE_ERROR_BLOCK: "Pick a date and a start time."})
        return
    try:
        schedule = rescheduling.reschedule(
            deps.store, deps.clock, caller, meeting_id=meeting_id, new_start=new_start
        )
    except Refusal as refusal:
        refuse_in_modal(ack, MOVE_ERROR_BLOCK, refusal)
        return
    ack()
    card = schedule_card(schedule, is_facilitator=True)
    client.chat_postEphemeral(
        channel=caller.channel_id, user=caller.user_id, text=card.text, blocks=card.blocks
    )


def _reorder(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    meeting_id = int(json.loads(view["private_metadata"])["meeting_id"])
    try:
        card = meetings.reorder(
            deps.store,
            team_id=caller.team_id,
            meeting_id=meeting_id,
            user_id=caller.user_id,
            order=read_reorder(view["state"]["values"]),
        )
    except Refusal as refusal:
        refuse_in_modal(ack, REORDER_BLOCK, refusal)
        return
    ack()
    refresh_card(client, card)


VIEWS: dict[str, Submitted] = {
    REORDER_VIEW: _reorder,
    cards.RULES_VIEW: _rules,
    new_set.NEW_SET_VIEW: _new_set,
    MOVE_VIEW: _move,
}
