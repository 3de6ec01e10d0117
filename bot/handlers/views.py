"""Modal submissions: each is checked like the command it came from, then acted on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import (
    async_meetings,
    commitments,
    ground_rules,
    learning_log,
    meetings,
    outlines,
    reflection,
    reminder_preferences,
    rescheduling,
    resources,
    sets,
    sharing,
    time_agreement,
)
from bot.flows.access import Refusal
from bot.flows.owed_posts import set_prefix
from bot.flows.sharing import Source
from bot.handlers import sharing as share_steps
from bot.handlers.home import refresh_home, refresh_set_homes
from bot.handlers.interaction import modal_caller, team_of, tell
from bot.handlers.meeting_card import refresh_card
from bot.handlers.round_posts import announce, post_round
from bot.handlers.set_channel import (
    create_set_channel,
    invite,
    slack_time_zones,
    use_existing_channel,
)
from bot.ui import async_rounds as async_ui
from bot.ui import commitments as actions_ui
from bot.ui import learning_log as log_ui
from bot.ui import new_set
from bot.ui import outlines as outline_ui
from bot.ui import reflection as reflection_ui
from bot.ui import reminder_preferences as reminders_ui
from bot.ui import resources as resources_ui
from bot.ui import sets as cards
from bot.ui import sharing as sharing_ui
from bot.ui.forms import read_text
from bot.ui.help import refusal_reply
from bot.ui.meeting import REORDER_BLOCK, REORDER_VIEW, read_reorder
from bot.ui.reminder_timing import PREPARE_BLOCK, TIMING_VIEW, read_timing, timing_saved
from bot.ui.schedule import MOVE_ERROR_BLOCK, MOVE_VIEW, move_target, read_move, schedule_card
from bot.ui.time_agreement import TIME_VIEW, meeting_of, minutes_block, read_minutes

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
            create_set_channel(
                client,
                draft.name,
                is_free=lambda found: (
                    sets.channel_problem(deps.store, team_id=caller.team_id, channel_id=found)
                    is None
                ),
            )
            if choice.create or not choice.channel_id
            else use_existing_channel(client, choice.channel_id)
        )
    except Refusal as refusal:
        tell(client, caller.user_id, refusal_reply(refusal))
        return
    # Slack first (people and their zones), then one unit of work in the store that also
    # owes the welcome: if anything stops here, nothing is half-formed.
    bot_user_id = body.get("authorizations", [{}])[0].get("user_id", "")
    everyone = list(dict.fromkeys([*draft.facilitators, *draft.members, caller.user_id]))
    invite(client, channel_id, everyone, bot_user_id)
    formed = sets.form_set(
        deps.store,
        deps.clock,
        team_id=caller.team_id,
        created_by=caller.user_id,
        draft=draft,
        channel_id=channel_id,
        zones=slack_time_zones(client, everyone),
        welcome=True,
    )
    set_id = formed.learning_set.id or 0
    announce(client, deps, team_id=caller.team_id, prefix=set_prefix(set_id))
    tell(client, caller.user_id, cards.set_ready(formed.learning_set.name, channel_id))
    refresh_set_homes(client, deps, team_id=caller.team_id, set_id=set_id, everyone=True)


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


def _agree_time(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """The minutes the Set agreed: a problem shows beside its member's field, else on the card."""
    caller = modal_caller(body, view)
    typed = read_minutes(view["state"]["values"])
    card = settle(
        ack,
        lambda: time_agreement.agree_minutes(
            deps.store,
            team_id=caller.team_id,
            meeting_id=meeting_of(view["private_metadata"]),
            user_id=caller.user_id,
            typed=typed,
        ),
        beside=lambda refusal: minutes_block(
            refusal.presenter
            if isinstance(refusal, time_agreement.MinutesProblem)
            else next(iter(typed), "")
        ),
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
    """The report back is kept; ticked "share", the modal then shows what sharing would send."""
    caller = modal_caller(body, view)
    typed, errors = actions_ui.read_report_back(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return

    def report() -> commitments.CommitmentView:
        return commitments.report_back(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            user_id=caller.user_id,
            commitment_id=actions_ui.commitment_of(view["private_metadata"]),
            happened=typed.happened,
            learned=typed.learned,
            share=False,
            tag=typed.tag,
        )

    def beside(refusal: Refusal) -> str:
        return actions_ui.error_block(refusal, view)

    if typed.share:
        reported = share_steps.keep_then_offer(
            ack,
            report,
            beside=beside,
            offer=lambda done: share_steps.preview_view(
                client,
                deps,
                caller,
                source=Source.REPORT,
                item_id=done.commitment_id,
                tag=typed.tag,
            ),
        )
    else:
        reported = settle(ack, report, beside=beside)
    if reported is None:
        return
    if not typed.share:
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


def _outline(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """A presenter's private draft: kept until their round opens; only they hear of it."""
    meeting_id = json.loads(view.get("private_metadata") or "{}").get("meeting")
    user, team = body["user"]["id"], team_of(body)
    text = outline_ui.read_outline(view["state"]["values"])

    def save() -> outlines.OutlineDraft:
        if not isinstance(meeting_id, int):
            raise Refusal(outlines.NO_SUCH_MEETING)
        return outlines.save_outline(
            deps.store, deps.clock, team_id=team, user_id=user, meeting_id=meeting_id, text=text
        )

    saved = settle(ack, save, beside=outline_ui.OUTLINE_BLOCK)
    if saved is not None:
        tell(client, user, outline_ui.outline_saved(saved))


def _start_async(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """The meeting in writing begins: the channel hears how, and each first round opens."""
    caller = modal_caller(body, view)
    days, side_by_side = async_ui.read_async_start(view["state"]["values"])

    def start() -> async_meetings.AsyncStart:
        if days is None:
            raise Refusal(async_meetings.WINDOW_OUT_OF_RANGE)
        return async_meetings.start_async_meeting(
            deps.store, deps.clock, caller, window_days=days, side_by_side=side_by_side
        )

    started = settle(ack, start, beside=async_ui.WINDOW_BLOCK)
    if started is None:
        return
    said = async_ui.async_started(started)
    client.chat_postMessage(channel=caller.channel_id, text=said.text, blocks=said.blocks)
    for opened in started.opened:
        post_round(client, deps, team_id=caller.team_id, view=opened)
    refresh_set_homes(
        client, deps, team_id=caller.team_id, set_id=started.card.set_id, everyone=True
    )


def _add_resource(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """A resource joins the Set's list: the facilitator hears so, and Homes show it."""
    caller = modal_caller(body, view)
    draft, problems = resources.check_resource(
        **resources_ui.read_resource(view["state"]["values"])
    )
    if draft is None:
        ack(response_action="errors", errors=resources_ui.beside_fields(problems))
        return
    added = settle(
        ack,
        lambda: resources.add_resource(deps.store, deps.clock, caller, draft),
        beside=resources_ui.TITLE_BLOCK,
    )
    if added is None:
        return
    said = resources_ui.resource_added(added)
    client.chat_postEphemeral(
        channel=caller.channel_id, user=caller.user_id, text=said.text, blocks=said.blocks
    )
    refresh_set_homes(client, deps, team_id=caller.team_id, set_id=added.set_id, everyone=True)


def _signpost(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """The picked (or new) resource is posted in the round's thread for the whole Set."""
    caller = modal_caller(body, view)
    values = view["state"]["values"]
    resource_id, draft, problems = resources.choose_signpost(
        resources_ui.read_pick(values),
        **resources_ui.read_resource(values),
        has_list=resources_ui.PICK_BLOCK in values,
    )
    if problems:
        ack(response_action="errors", errors=resources_ui.beside_fields(problems))
        return
    signposted = settle(
        ack,
        lambda: resources.signpost(
            deps.store,
            deps.clock,
            caller,
            round_id=resources_ui.round_of(view["private_metadata"]),
            resource_id=resource_id,
            draft=draft,
        ),
        beside=resources_ui.PICK_BLOCK
        if resources_ui.PICK_BLOCK in values
        else resources_ui.TITLE_BLOCK,
    )
    if signposted is None:
        return
    card = resources_ui.signpost_card(signposted)
    client.chat_postMessage(
        channel=signposted.channel_id,
        thread_ts=signposted.thread_ts,
        text=card.text,
        blocks=card.blocks,
    )
    if signposted.added:
        refresh_set_homes(
            client, deps, team_id=caller.team_id, set_id=signposted.set_id, everyone=True
        )


def _reminders(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """Someone's own reminders: confirmed in a direct message, wherever the modal was opened."""
    caller = modal_caller(body, view)
    choice = reminders_ui.read_reminders(view["state"]["values"])
    saved = settle(
        ack,
        lambda: reminder_preferences.save_choice(deps.store, deps.clock, caller, choice),
        beside=reminders_ui.error_block,
    )
    if saved is not None:
        tell(client, caller.user_id, reminders_ui.saved_reply(saved))


def _write_log(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """A learning-log entry, kept privately; ticked "share", the preview of sharing it follows."""
    caller = modal_caller(body, view)
    typed, errors = log_ui.read_log(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return

    def write() -> learning_log.SavedEntry:
        return learning_log.write_entry(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            user_id=caller.user_id,
            meeting_id=log_ui.meeting_of(view["private_metadata"]),
            about_issue=typed.about_issue,
            about_learning=typed.about_learning,
            tag=typed.tag,
        )

    if typed.share:
        saved = share_steps.keep_then_offer(
            ack,
            write,
            beside=lambda _: log_ui.ISSUE_BLOCK,
            offer=lambda done: share_steps.preview_view(
                client, deps, caller, source=Source.LOG, item_id=done.entry_id, tag=typed.tag
            ),
        )
    else:
        saved = settle(ack, write, beside=log_ui.ISSUE_BLOCK)
    if saved is None:
        return
    if not typed.share:
        tell(client, caller.user_id, log_ui.saved_reply(saved))
    refresh_home(client, deps, team_id=caller.team_id, user_id=caller.user_id)


def _share(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """The member pressed "Share this": the words go to the facilitators to read first."""
    caller = modal_caller(body, view)
    source, item_id, tag = sharing_ui.share_target(view["private_metadata"])
    try:
        review = share_steps.share(client, deps, caller, source=source, item_id=item_id, tag=tag)
    except Refusal as refusal:
        ack()
        tell(client, caller.user_id, refusal_reply(refusal))
        return
    ack()
    share_steps.send_for_review(client, review)
    refresh_home(client, deps, team_id=caller.team_id, user_id=caller.user_id)


def _withhold(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """A facilitator keeps a shared learning out of the report; its writer hears why."""
    caller = modal_caller(body, view)
    reason, errors = sharing_ui.read_reason(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    source, item_id = sharing_ui.withhold_target(view["private_metadata"])
    withheld = settle(
        ack,
        lambda: sharing.withhold(
            deps.store,
            deps.clock,
            team_id=caller.team_id,
            user_id=caller.user_id,
            source=source,
            item_id=item_id,
            reason=reason,
        ),
        beside=sharing_ui.REASON_BLOCK,
    )
    if withheld is None:
        return
    tell(client, withheld.writer, sharing_ui.withheld_notice(withheld))
    tell(client, caller.user_id, sharing_ui.withheld_reply(withheld))
    refresh_home(client, deps, team_id=caller.team_id, user_id=withheld.writer)


VIEWS: dict[str, Submitted] = {
    outline_ui.OUTLINE_VIEW: _outline,
    async_ui.ASYNC_START_VIEW: _start_async,
    log_ui.LOG_VIEW: _write_log,
    sharing_ui.SHARE_VIEW: _share,
    sharing_ui.WITHHOLD_VIEW: _withhold,
    TIMING_VIEW: _timing,
    reminders_ui.REMINDERS_VIEW: _reminders,
    actions_ui.COMMIT_VIEW: _commit,
    actions_ui.REPORT_VIEW: _report,
    actions_ui.DROP_VIEW: _drop,
    reflection_ui.REFLECT_VIEW: _reflect,
    REORDER_VIEW: _reorder,
    TIME_VIEW: _agree_time,
    cards.RULES_VIEW: _rules,
    new_set.NEW_SET_VIEW: _new_set,
    MOVE_VIEW: _move,
    resources_ui.ADD_VIEW: _add_resource,
    resources_ui.SIGNPOST_VIEW: _signpost,
}
