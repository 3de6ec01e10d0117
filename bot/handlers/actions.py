"""Buttons: agreeing the ground rules, editing them, confirming a Set's close."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import (
    async_meetings,
    commitments,
    forget,
    ground_rules,
    learning_log,
    meetings,
    outlines,
    reflection,
    reminder_preferences,
    rescheduling,
    resources,
    rounds,
    sets,
    sharing,
    time_agreement,
)
from bot.flows.access import Refusal
from bot.handlers.home import refresh_home, refresh_set_homes
from bot.handlers.interaction import button_caller, pressed_value, set_caller, team_of, tell
from bot.handlers.meeting_card import refresh_card
from bot.handlers.round_posts import refresh_root, show_change, show_undone
from bot.handlers.set_channel import slack_names
from bot.store.models import AttendanceStatus
from bot.ui import async_rounds as async_ui
from bot.ui import commitments as actions_ui
from bot.ui import learning as learning_ui
from bot.ui import learning_log as log_ui
from bot.ui import reflection as reflection_ui
from bot.ui import reminder_preferences as reminders_ui
from bot.ui import resources as resources_ui
from bot.ui import sets as cards
from bot.ui import sharing as sharing_ui
from bot.ui.blocks import Reply
from bot.ui.help import refusal_reply
from bot.ui.meeting import (
    ADJUST_TIME,
    CHECK_IN_APOLOGIES,
    CHECK_IN_PRESENT,
    REORDER,
    apologies_noted,
    reorder_modal,
)
from bot.ui.outlines import OUTLINE_OPEN, outline_modal
from bot.ui.reminders import SEND_APOLOGIES, SET_CLOSE_ASK, SET_EXTEND
from bot.ui.rounds import (
    COMMIT_ACTION,
    QUESTION_IDEAS,
    ROUND_NEXT,
    ROUND_SEEN,
    ROUND_WHO,
    SIGNPOST,
    question_ideas_reply,
    read_next,
)
from bot.ui.schedule import MOVE_MEETING, SKIP_MEETING, move_modal, schedule_card
from bot.ui.time_agreement import time_modal

Pressed = Callable[[dict[str, Any], WebClient, Deps], Reply | None]


def register(app: App, deps: Deps) -> None:
    for action_id, pressed in BUTTONS.items():
        app.action(action_id)(_listener(pressed, deps))


def _listener(pressed: Pressed, deps: Deps) -> Callable[..., None]:
    """Act, then ack, then answer the presser privately; a refusal is an answer too.

    The work is one short transaction, well inside Slack's three seconds; acknowledging
    after it means a click Slack saw accepted is a click that was stored.
    """

    def handle(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            reply = pressed(body, client, deps)
        except Refusal as refusal:
            reply = refusal_reply(refusal)
        ack()
        from_home = body.get("view", {}).get("type") == "home"
        if from_home:
            refresh_home(client, deps, team_id=team_of(body), user_id=body["user"]["id"])
        if reply is None:
            return
        if body.get("response_url"):
            respond(
                text=reply.text,
                blocks=reply.blocks,
                response_type="ephemeral",
                replace_original=False,
            )
        else:  # pressed on the Home tab: no message to answer under, so a direct message
            tell(client, body["user"]["id"], reply)

    return handle


def _agree(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    card = ground_rules.agree(
        deps.store, deps.clock, button_caller(body), set_id=int(pressed_value(body))
    )
    return cards.agreed_reply(card)


def _edit_rules(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    caller = button_caller(body)
    card = ground_rules.rules_card(deps.store, caller)
    if not card.editable:
        raise Refusal("Only the Set's facilitator can change the ground rules.")
    client.views_open(
        trigger_id=body["trigger_id"], view=cards.rules_modal(card, channel_id=caller.channel_id)
    )


def _ask_to_close(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    caller = set_caller(body, deps.store)
    return cards.close_confirmation(*sets.set_to_close(deps.store, caller))


def _extend(body: dict[str, Any], client: WebClient, deps: Deps) -> Reply:
    caller = set_caller(body, deps.store)
    said = cards.extended(sets.extend_set(deps.store, deps.clock, caller))
    client.chat_postMessage(channel=caller.channel_id, text=said.text, blocks=said.blocks)
    return Reply(text="Done: the Set goes on, and its channel has the new dates.", blocks=[])


def _close(body: dict[str, Any], client: WebClient, deps: Deps) -> Reply:
    caller = set_caller(body, deps.store)
    totals = sets.close_set(deps.store, deps.clock, caller)
    closing = cards.closing_card(totals)
    client.chat_postMessage(channel=caller.channel_id, text=closing.text, blocks=closing.blocks)
    return Reply(text="Done: the Set is closed.", blocks=[])


def _move(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    caller = button_caller(body)
    meeting, timezone = rescheduling.meeting_to_move(
        deps.store, caller, meeting_id=int(pressed_value(body))
    )
    view = move_modal(
        meeting_id=meeting.meeting_id,
        current_start=meeting.starts_at,
        timezone=timezone,
        channel_id=caller.channel_id,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _skip(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    schedule = rescheduling.skip(
        deps.store, deps.clock, button_caller(body), meeting_id=int(pressed_value(body))
    )
    return schedule_card(schedule, is_facilitator=True)


def _checking_in(status: AttendanceStatus) -> Pressed:
    def check_in(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
        card = meetings.check_in(
            deps.store,
            deps.clock,
            team_id=team_of(body),
            meeting_id=int(pressed_value(body)),
            user_id=body["user"]["id"],
            status=status,
        )
        refresh_card(client, card)
        refresh_set_homes(client, deps, team_id=team_of(body), set_id=card.set_id)

    return check_in


def _reorder(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    card = meetings.facilitator_card(
        deps.store,
        team_id=team_of(body),
        meeting_id=int(pressed_value(body)),
        user_id=body["user"]["id"],
    )
    client.views_open(trigger_id=body["trigger_id"], view=reorder_modal(card))


def _adjust_time(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Facilitators only: each member's minutes, labelled with the names Slack shows."""
    form = time_agreement.time_form(
        deps.store,
        team_id=team_of(body),
        meeting_id=int(pressed_value(body)),
        user_id=body["user"]["id"],
    )
    names = {user: found[0] for user, found in slack_names(client, form.presenters).items()}
    client.views_open(trigger_id=body["trigger_id"], view=time_modal(form, names=names))


def _next_phase(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    round_id, from_phase = read_next(pressed_value(body))
    caller = button_caller(body)
    change = rounds.advance(
        deps.store, deps.clock, caller, round_id=round_id, from_phase=from_phase
    )
    show_change(client, deps, change, team_id=caller.team_id, mover=caller.user_id)


def _commit(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    caller = button_caller(body)
    form = commitments.commitment_form(
        deps.store, deps.clock, caller, round_id=int(pressed_value(body))
    )
    view = actions_ui.commitment_modal(form, channel_id=caller.channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _own(body: dict[str, Any], deps: Deps) -> commitments.CommitmentView:
    """The presser's own action: buttons carry no trust, the flow checks owner and team."""
    return commitments.own_commitment(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        commitment_id=int(pressed_value(body)),
    )


def _report_back(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    view = actions_ui.report_back_modal(_own(body, deps), channel_id=button_caller(body).channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _drop(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    view = actions_ui.drop_modal(_own(body, deps), channel_id=button_caller(body).channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _still_working(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    view = commitments.still_working(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        commitment_id=int(pressed_value(body)),
    )
    return actions_ui.working_reply(view)


def _reflect(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    form = reflection.reflection_form(
        deps.store,
        team_id=team_of(body),
        meeting_id=int(pressed_value(body)),
        user_id=body["user"]["id"],
    )
    view = reflection_ui.reflection_modal(form, channel_id=button_caller(body).channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _reflection_answers(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    summary = reflection.reflection_summary(
        deps.store, button_caller(body), meeting_id=int(pressed_value(body))
    )
    return reflection_ui.facilitator_view_blocks(summary)


def _forget(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    """The presser is forgotten, never anyone else: the button carries only the scope."""
    forgotten = forget.forget_me(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        set_id=learning_ui.read_scope(pressed_value(body)),
    )
    return learning_ui.forgotten_reply(forgotten)


def _question_ideas(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    """Private to the presser; the click's own timestamp seeds the draw, so each press differs."""
    rng = random.Random(body["actions"][0].get("action_ts", ""))
    return question_ideas_reply(rounds.question_ideas_for(deps.store, button_caller(body), rng=rng))


def _seen(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    round_id = _round_pressed(body)
    async_meetings.seen_it(deps.store, deps.clock, button_caller(body), round_id=round_id)
    return async_ui.seen_thanks()


def _who(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    """Only a facilitator sees who has been, and the round's clock controls."""
    round_id = _round_pressed(body)
    return async_ui.presence_card(
        async_meetings.presence(deps.store, button_caller(body), round_id=round_id)
    )


def _clock(change: Callable[..., rounds.RoundView], **extra: int) -> Pressed:
    """Extend, pause or resume an asynchronous round: the root shows the new deadline."""

    def pressed(body: dict[str, Any], client: WebClient, deps: Deps) -> Reply:
        view = change(
            deps.store, deps.clock, button_caller(body), round_id=_round_pressed(body), **extra
        )
        refresh_root(client, view)
        return async_ui.clock_changed(view)

    return pressed


def _undo(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Buttons carry no trust: the flow checks the move is the presser's, and recent."""
    value = pressed_value(body)
    if not value.isdigit():
        raise Refusal(async_meetings.NOTHING_TO_UNDO)
    view = async_meetings.undo_move(deps.store, deps.clock, button_caller(body), move_id=int(value))
    show_undone(client, view)


def _round_pressed(body: dict[str, Any]) -> int:
    value = pressed_value(body)
    if not value.isdigit():
        raise Refusal(rounds.NO_SUCH_ROUND)
    return int(value)


def _signpost(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The facilitator's way to `/round signpost` from the ideas phase's prompt."""
    caller = button_caller(body)
    form = resources.signpost_form(deps.store, caller)
    view = resources_ui.signpost_modal(form, channel_id=caller.channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _open_outline(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The presser's own draft for that meeting: the flow checks they belong to its Set."""
    value = pressed_value(body)
    if not value.isdigit():
        raise Refusal(outlines.NO_SUCH_MEETING)
    draft = outlines.outline_form(
        deps.store, team_id=team_of(body), user_id=body["user"]["id"], meeting_id=int(value)
    )
    client.views_open(trigger_id=body["trigger_id"], view=outline_modal(draft))


def _apologies(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    noted = meetings.send_apologies(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        meeting_id=int(pressed_value(body)),
        user_id=body["user"]["id"],
    )
    return apologies_noted(noted)


def _open_reminders(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The App Home's way to the same modal as `/set reminders`."""
    caller = button_caller(body)
    form = reminder_preferences.reminder_form(deps.store, caller)
    view = reminders_ui.reminders_modal(form, channel_id=caller.channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _not_now(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    """The same reminder again in a day; the flow checks it was the presser's."""
    put_off = reminder_preferences.not_now(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        reminder_id=int(pressed_value(body)),
    )
    return reminders_ui.put_off_reply(put_off)


def _stop_these(body: dict[str, Any], _client: WebClient, deps: Deps) -> Reply:
    stopped = reminder_preferences.stop_these(
        deps.store,
        deps.clock,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        reminder_id=int(pressed_value(body)),
    )
    return reminders_ui.stopped_reply(stopped)


def _write_log(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The presser's own log for a meeting they were at: the entry is found by who pressed."""
    form = learning_log.log_form(
        deps.store,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        meeting_id=int(pressed_value(body)),
    )
    view = log_ui.log_modal(form, channel_id=button_caller(body).channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _withhold(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Only a facilitator of the item's Set gets the modal; the button is only a pointer."""
    source, item_id = sharing_ui.read_item(pressed_value(body))
    form = sharing.withhold_form(
        deps.store,
        team_id=team_of(body),
        user_id=body["user"]["id"],
        source=source,
        item_id=item_id,
    )
    view = sharing_ui.withhold_modal(form, channel_id=button_caller(body).channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


BUTTONS: dict[str, Pressed] = {
    OUTLINE_OPEN: _open_outline,
    log_ui.LOG_WRITE: _write_log,
    sharing_ui.WITHHOLD: _withhold,
    ROUND_SEEN: _seen,
    ROUND_WHO: _who,
    async_ui.ROUND_EXTEND: _clock(async_meetings.extend_phase, hours=async_ui.EXTEND_HOURS),
    async_ui.ROUND_PAUSE: _clock(async_meetings.pause),
    async_ui.ROUND_RESUME: _clock(async_meetings.resume),
    async_ui.UNDO_MOVE: _undo,
    SEND_APOLOGIES: _apologies,
    reminders_ui.OPEN_REMINDERS: _open_reminders,
    reminders_ui.NOT_NOW: _not_now,
    reminders_ui.STOP_THESE: _stop_these,
    QUESTION_IDEAS: _question_ideas,
    SIGNPOST: _signpost,
    learning_ui.FORGET_CONFIRM: _forget,
    SET_EXTEND: _extend,
    SET_CLOSE_ASK: _ask_to_close,
    ROUND_NEXT: _next_phase,
    COMMIT_ACTION: _commit,
    actions_ui.REPORT_BACK: _report_back,
    actions_ui.STILL_WORKING: _still_working,
    actions_ui.DROP_ACTION: _drop,
    reflection_ui.REFLECT: _reflect,
    reflection_ui.REFLECTION_ANSWERS: _reflection_answers,
    CHECK_IN_PRESENT: _checking_in(AttendanceStatus.PRESENT),
    CHECK_IN_APOLOGIES: _checking_in(AttendanceStatus.APOLOGIES),
    REORDER: _reorder,
    ADJUST_TIME: _adjust_time,
    MOVE_MEETING: _move,
    SKIP_MEETING: _skip,
    cards.AGREE_TO_RULES: _agree,
    cards.EDIT_RULES: _edit_rules,
    cards.CONFIRM_CLOSE: _close,
}
