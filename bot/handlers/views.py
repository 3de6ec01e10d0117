"""Modal submissions: each is checked like the command it came from, then acted on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import (
    commitments,
    ground_rules,
    meeting_reminders,
    meetings,
    reflection,
    rescheduling,
    sets,
)
from bot.flows.access import Refusal
from bot.handlers.home import refresh_set_homes
from bot.handlers.interaction import modal_caller, tell
from bot.handlers.meeting_card import refresh_card
from bot.handlers.set_channel import (
    create_set_channel,
    invite,
    slack_time_zones,
    use_existing_channel,
)
from bot.ui import commitments as actions_ui
from bot.ui import new_set
from bot.ui import reflection as reflection_ui
from bot.ui import sets as cards
from bot.ui.forms import read_text
from bot.ui.help import refusal_reply
from bot.ui.meeting import REORDER_BLOCK, REORDER_VIEW, read_reorder
from bot.ui.reminder_timing import PREPARE_BLOCK, TIMING_VIEW, read_timing, timing_saved
from bot.ui.schedule import MOVE_ERROR_BLOCK, MOVE_VIEW, move_target, read_move, schedule_card

T = TypeVar("T")

Submitted = Callable[[Ack, dict[str, Any], dict[str, Any], WebClient, Deps], None]


def register(app: App, deps: Deps) -> None:
    for callback_id, submitted in VIEWS.items():
        app.view(callback_id)(_listener(submitted, deps))


def _listener(submitted: Submitted, deps: Deps) -> Callable[..., None]:
    def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submitted(ack, body, view, client, deps)

    return handle


def settle(ack: Ack, act: Callable[[], T], *, beside: str | Callable[[Refusal], str]) -> T | None:
    """Do what a modal asks; acknowledge it if done, else show the refusal beside its field.

    On a refusal the modal stays open and nothing has been stored: the person can put it
    right and submit again.
    """
    try:
        done = act()
    except Refusal as refusal:
        block = beside(refusal) if callable(beside) else beside
        ack(response_action="errors", errors={block: refusal_text(refusal)})
        return None
    ack()
    return done


def refusal_text(refusal: Refusal) -> str:
    # Modal error text is plain, not mrkdwn: names need no escaping, only filling in.
    return refusal.template.format(**refusal.names).replace("*", "")


def _rules(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    typed = read_text(view["state"]["values"], cards.RULES_BLOCK)
    card = settle(
        ack,
        lambda: ground_rules.change_rules(deps.store, caller, typed.splitlines()),
        beside=cards.RULES_BLOCK,
    )
    if card is None:
        return
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
        tell(client, caller.user_id, refusal_reply(refusal))
        return
    formed = sets.form_set(
        deps.store,
        deps.clock,
        team_id=caller.team_id,
        created_by=caller.user_id,
        draft=draft,
        channel_id=channel_id,
    )
    _record_time_zones(client, deps, caller.team_id, channel_id, formed)
    bot_user_id = body.get("authorizations", [{}])[0].get("user_id", "")
    everyone = [*draft.facilitators, *draft.members, caller.user_id]
    invite(client, channel_id, list(dict.fromkeys(everyone)), bot_user_id)
    welcome = cards.welcome_card(formed.learning_set, formed.meetings[:3])
    client.chat_postMessage(channel=channel_id, text=welcome.text, blocks=welcome.blocks)
    tell(client, caller.user_id, cards.set_ready(formed.learning_set.name, channel_id))
    refresh_set_homes(
        client, deps, team_id=caller.team_id, set_id=formed.learning_set.id or 0, everyone=True
    )


def _record_time_zones(
    client: WebClient, deps: Deps, team_id: str, channel_id: str, formed: sets.FormedSet
) -> None:
    """Everyone's own Slack zone, kept before anyone is welcomed: reminders follow it."""
    meeting_reminders.record_time_zones(
        deps.store,
        deps.clock,
        team_id=team_id,
        channel_id=channel_id,
        zones=slack_time_zones(client, [m.user_id for m in formed.members]),
    )


def _move(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    meeting_id, timezone = move_target(view["private_metadata"])
    new_start = read_move(view["state"]["values"], timezone)
    if new_start is None:
        ack(response_action="errors", errors={MOVE_ERROR_BLOCK: "Pick a date and a start time."})
        return
    schedule = settle(
        ack,
        lambda: rescheduling.reschedule(
            deps.store, deps.clock, caller, meeting_id=meeting_id, new_start=new_start
        ),
        beside=MOVE_ERROR_BLOCK,
    )
    if schedule is None:
        return
    card = schedule_card(schedule, is_facilitator=True)
    client.chat_postEphemeral(
        channel=caller.channel_id, user=caller.user_id, text=card.text, blocks=card.blocks
    )


def _reorder(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    meeting_id = int(json.loads(view["private_metadata"])["meeting_id"])
    card = settle(
        ack,
        lambda: meetings.reorder(
            deps.store,
            team_id=caller.team_id,
            meeting_id=meeting_id,
            user_id=caller.user_id,
            order=read_reorder(view["state"]["values"]),
        ),
        beside=REORDER_BLOCK,
    )
    if card is None:
        return
    refresh_card(client, card)


def _commit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """A new action: posted in the round's thread for the Set, or confirmed privately."""
    caller = modal_caller(body, view)
    typed, errors = actions_ui.read_commitment(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    saved = settle(
        ack,
        lambda: commitments.commit(
            deps.store,
            deps.clock,
            caller,
            round_id=actions_ui.round_of(view["private_metadata"]),
            set_id=typed.set_id,
            text=typed.text,
            due_on=typed.due_on,
            success_measure=typed.success_measure,
        ),
        beside=lambda refusal: actions_ui.error_block(refusal, view),
    )
    if saved is None:
        return
    refresh_set_homes(
        client, deps, team_id=caller.team_id, set_id=saved.set_id, actor=caller.user_id
    )
    if saved.thread is None:
        tell(client, caller.user_id, actions_ui.commitment_saved(saved))
        return
    posted = actions_ui.commitment_posted(saved)
    client.chat_postMessage(
        channel=saved.thread.channel_id,
        thread_ts=saved.thread.ts,
        text=posted.text,
        blocks=posted.blocks,
    )


def _report(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    typed, errors = actions_ui.read_report_back(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    reported = settle(
        ack,
        lambda: commitments.report_back(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            user_id=caller.user_id,
            commitment_id=actions_ui.commitment_of(view["private_metadata"]),
            happened=typed.happened,
            learned=typed.learned,
            share=typed.share,
        ),
        beside=lambda refusal: actions_ui.error_block(refusal, view),
    )
    if reported is None:
        return
    tell(client, caller.user_id, actions_ui.reported_reply(reported))
    refresh_set_homes(
        client, deps, team_id=caller.team_id, set_id=reported.set_id, actor=caller.user_id
    )


def _drop(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    reason, errors = actions_ui.read_drop(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    dropped = settle(
        ack,
        lambda: commitments.drop(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            user_id=caller.user_id,
            commitment_id=actions_ui.commitment_of(view["private_metadata"]),
            reason=reason,
        ),
        beside=lambda refusal: actions_ui.error_block(refusal, view),
    )
    if dropped is None:
        return
    tell(client, caller.user_id, actions_ui.dropped_reply(dropped))
    refresh_set_homes(
        client, deps, team_id=caller.team_id, set_id=dropped.set_id, actor=caller.user_id
    )


def _reflect(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """One member's reflection; once half have answered the Set sees the average, once."""
    caller = modal_caller(body, view)
    typed, errors = reflection_ui.read_reflection(view["state"]["values"])
    if typed is None or errors:
        ack(response_action="errors", errors=errors)
        return
    outcome = settle(
        ack,
        lambda: reflection.reflect(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            meeting_id=reflection_ui.meeting_of(view["private_metadata"]),
            user_id=caller.user_id,
            score=typed.score,
            helped=typed.helped,
            change=typed.change,
            share=typed.share,
        ),
        beside=reflection_ui.SCORE_BLOCK,
    )
    if outcome is None:
        return
    thanks = reflection_ui.reflected_reply(outcome)
    client.chat_postEphemeral(
        channel=caller.channel_id, user=caller.user_id, text=thanks.text, blocks=thanks.blocks
    )
    if outcome.threshold_crossed and outcome.channel_id:
        shared = reflection_ui.aggregate_blocks(outcome.aggregate)
        client.chat_postMessage(channel=outcome.channel_id, text=shared.text, blocks=shared.blocks)
        private = reflection_ui.facilitator_view_blocks(outcome.for_facilitators)
        for facilitator in outcome.facilitators:
            tell(client, facilitator, private)


def _timing(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    caller = modal_caller(body, view)
    chosen = settle(
        ack,
        lambda: sets.choose_reminder_timing(
            deps.store, deps.clock, caller, read_timing(view["state"]["values"])
        ),
        beside=PREPARE_BLOCK,
    )
    if chosen is None:
        return
    saved = timing_saved(chosen)
    client.chat_postEphemeral(
        channel=caller.channel_id, user=caller.user_id, text=saved.text, blocks=saved.blocks
    )


VIEWS: dict[str, Submitted] = {
    TIMING_VIEW: _timing,
    actions_ui.COMMIT_VIEW: _commit,
    actions_ui.REPORT_VIEW: _report,
    actions_ui.DROP_VIEW: _drop,
    reflection_ui.REFLECT_VIEW: _reflect,
    REORDER_VIEW: _reorder,
    cards.RULES_VIEW: _rules,
    new_set.NEW_SET_VIEW: _new_set,
    MOVE_VIEW: _move,
}
