"""Slash commands: `/set`, `/meeting`, `/round`, `/action`.

A listener parses the command, runs one route, and acks with the route's private
reply; a refusal is a reply like any other. Routes that speak to the whole Set post
to the channel themselves and return None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import (
    async_meetings,
    calendar,
    commitments,
    forget,
    ground_rules,
    insights,
    learning,
    learning_log,
    meeting_reminders,
    meetings,
    membership,
    reminder_preferences,
    rescheduling,
    resources,
    rounds,
    sets,
    status,
)
from bot.flows.access import Refusal
from bot.flows.commands import COMMANDS, HELP, MINE, STATUS, parse
from bot.handlers.home import refresh_set_homes
from bot.handlers.interaction import tell
from bot.handlers.meeting_card import refresh_card
from bot.handlers.org import org_lead, org_leads_list, org_report_route
from bot.handlers.round_posts import announce_meeting, post_round, show_change, show_closed
from bot.handlers.set_channel import invite_or_refuse, slack_names, slack_time_zones
from bot.handlers.slash import Route, SlashRequest
from bot.ui import resources as resources_ui
from bot.ui import sets as cards
from bot.ui.async_rounds import async_start_modal
from bot.ui.blocks import Reply
from bot.ui.commitments import commitment_modal, my_commitments_card
from bot.ui.help import help_reply, refusal_reply, unknown_reply
from bot.ui.insights import render_stats
from bot.ui.learning import forget_confirmation, learning_card
from bot.ui.learning_log import log_prompt_message
from bot.ui.meeting import (
    not_agreed_note,
    rules_reminder,
)
from bot.ui.new_set import new_set_modal
from bot.ui.reminder_preferences import reminders_modal
from bot.ui.reminder_timing import timing_modal
from bot.ui.schedule import schedule_card


def register(app: App, deps: Deps) -> None:
    for name in COMMANDS:
        app.command(name)(_listener(deps))


def _listener(deps: Deps) -> Callable[..., None]:
    def handle(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        invocation = parse(command["command"], command.get("text", ""))
        route = ROUTES.get((invocation.command, invocation.name))
        if route is None:
            reply: Reply | None = unknown_reply(invocation.command, command.get("text", ""))
        else:
            request = SlashRequest.from_payload(
                invocation, command, bot_user_id=context.bot_user_id or "", client=client, deps=deps
            )
            try:
                reply = route(request)
            except Refusal as refusal:
                reply = refusal_reply(refusal)
        if reply is None:
            ack()
        else:
            ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    return handle


def say(request: SlashRequest, reply: Reply) -> None:
    """Post to the Set's channel, for everyone in it."""
    request.client.chat_postMessage(
        channel=request.caller.channel_id, text=reply.text, blocks=reply.blocks
    )


def _help(request: SlashRequest) -> Reply:
    name = request.invocation.command
    return help_reply(None if name == "/set" else name)


def _status(request: SlashRequest) -> Reply:
    found = status.status_here(request.deps.store, request.deps.clock, request.caller)
    return (
        cards.status_card(found)
        if isinstance(found, status.Overview)
        else cards.my_sets_card(found)
    )


def _add(request: SlashRequest) -> Reply | None:
    change = membership.add_members(
        request.deps.store,
        request.deps.clock,
        request.caller,
        request.mentioned,
        bot_user_id=request.bot_user_id,
        invite=_inviter(request),
    )
    if change.changed:
        _record_time_zones(request, change.changed)
        say(request, cards.members_added(change))
        return None
    return cards.members_added(change)


def _inviter(request: SlashRequest) -> membership.Invite:
    """Newcomers are invited to the channel before they are stored: see invite_or_refuse."""
    return lambda people: invite_or_refuse(
        request.client, request.caller.channel_id, people, request.bot_user_id
    )


def _record_time_zones(request: SlashRequest, people: Sequence[str]) -> None:
    """Newcomers' own Slack zones, so their reminders (now planned) reach them by day."""
    meeting_reminders.record_time_zones(
        request.deps.store,
        request.deps.clock,
        team_id=request.caller.team_id,
        channel_id=request.caller.channel_id,
        zones=slack_time_zones(request.client, people),
    )


def _remove(request: SlashRequest) -> Reply | None:
    people = request.mentioned
    if len(people) != 1:
        raise Refusal("Mention one person to remove, for example `/set remove @Asha`.")
    change = membership.remove_member(
        request.deps.store, request.deps.clock, request.caller, people[0]
    )
    say(request, cards.member_removed(change))
    return None


def _facilitator(request: SlashRequest) -> Reply | None:
    people = request.mentioned
    if len(people) != 1 or people[0] == request.bot_user_id:
        raise Refusal("Mention one person to share the facilitation with: `/set facilitator @Ben`.")
    change = membership.make_facilitator(
        request.deps.store, request.deps.clock, request.caller, people[0], invite=_inviter(request)
    )
    if not change.changed:
        return cards.facilitator_added(change)
    _record_time_zones(request, change.changed)
    say(request, cards.facilitator_added(change))
    return None


def _rules(request: SlashRequest) -> Reply:
    return cards.rules_card(ground_rules.rules_card(request.deps.store, request.caller))


def _close(request: SlashRequest) -> Reply:
    return cards.close_confirmation(*sets.set_to_close(request.deps.store, request.caller))


def _new(request: SlashRequest) -> None:
    """Open the form; the Set's zone starts as the facilitator's own Slack time zone."""
    profile = request.client.users_info(user=request.caller.user_id)["user"]
    view = new_set_modal(
        facilitator_id=request.caller.user_id,
        timezone=profile.get("tz") or request.deps.settings.tz_default,
        origin_channel=request.caller.channel_id,
        now=request.deps.clock.now(),
    )
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _schedule(request: SlashRequest) -> Reply:
    schedule = rescheduling.upcoming(request.deps.store, request.deps.clock, request.caller)
    return schedule_card(schedule, is_facilitator=schedule.caller_is_facilitator)


def _calendar(request: SlashRequest) -> Reply | None:
    ics = calendar.set_calendar(request.deps.store, request.deps.clock, request.caller)
    if not ics.meetings:
        return cards.no_meetings_to_export(ics.set_name)
    request.client.files_upload_v2(
        channel=request.caller.channel_id,
        content=ics.content,
        filename=ics.filename,
        title=f"{ics.set_name}: meetings",
        initial_comment=cards.calendar_comment(ics.set_name, ics.meetings),
    )
    return None


def _start_meeting(request: SlashRequest) -> None:
    """The card goes to the whole Set; anyone yet to agree the rules hears so privately.

    `/meeting start async` (or a Set that meets in writing) asks how first, in a modal.
    """
    deps, client, channel = request.deps, request.client, request.caller.channel_id
    asked = request.invocation.rest.strip().lower()
    if asked not in ("", "live", "async"):
        raise Refusal(
            "Start a meeting with `/meeting start`, or `/meeting start async` to meet in writing."
        )
    choice = async_meetings.meeting_choice(deps.store, request.caller)
    if asked == "async" or (choice.in_writing and asked != "live"):
        view = async_start_modal(channel, default_days=choice.window_days)
        client.views_open(trigger_id=request.trigger_id, view=view)
        return
    card = meetings.start_meeting(deps.store, deps.clock, request.caller)
    announce_meeting(
        client, deps, team_id=request.caller.team_id, set_id=card.set_id, meeting_id=card.meeting_id
    )
    refresh_set_homes(
        client, deps, team_id=request.caller.team_id, set_id=card.set_id, everyone=True
    )
    nudge = rules_reminder(card.set_name)
    for user in card.not_agreed:
        client.chat_postEphemeral(channel=channel, user=user, text=nudge.text, blocks=nudge.blocks)
    if card.not_agreed:
        note = not_agreed_note(card)
        client.chat_postEphemeral(
            channel=channel, user=request.caller.user_id, text=note.text, blocks=note.blocks
        )


def _end_meeting(request: SlashRequest) -> None:
    deps, client, channel = request.deps, request.client, request.caller.channel_id
    summary = meetings.end_meeting(deps.store, deps.clock, request.caller)
    refresh_card(
        client,
        meetings.meeting_card(
            deps.store, team_id=request.caller.team_id, meeting_id=summary.meeting_id
        ),
    )
    refresh_set_homes(
        client, deps, team_id=request.caller.team_id, set_id=summary.set_id, everyone=True
    )
    announce_meeting(
        client,
        deps,
        team_id=request.caller.team_id,
        set_id=summary.set_id,
        meeting_id=summary.meeting_id,
    )
    stats = render_stats(
        insights.meeting_stats(deps.store, request.caller, meeting_id=summary.meeting_id)
    )
    client.chat_postEphemeral(
        channel=channel, user=request.caller.user_id, text=stats.text, blocks=stats.blocks
    )
    for asked in learning_log.log_prompts(
        deps.store, team_id=request.caller.team_id, meeting_id=summary.meeting_id
    ):
        tell(client, asked.user_id, log_prompt_message(asked))


def _learning(request: SlashRequest) -> Reply:
    """The learning summary, to the facilitator only: a card here, the CSV in a DM."""
    deps, client = request.deps, request.client
    people = learning.people_to_name(deps.store, request.caller)
    summary = learning.learning_summary(
        deps.store, request.caller, names=slack_names(client, people)
    )
    dm = client.conversations_open(users=request.caller.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        file_uploads=[
            {
                "content": learning.to_markdown(summary).encode(),
                "filename": learning.filename(summary, "md"),
                "title": f"{summary.set_name}: learning summary",
            },
            {
                "content": learning.to_csv(summary).encode(),
                "filename": learning.filename(summary, "csv"),
                "title": f"{summary.set_name}: learning summary (spreadsheet)",
            },
        ],
        initial_comment="The Set's learning summary for the organisation: anonymised, and only "
        "what members agreed to share. As a document and as a spreadsheet.",
    )
    return learning_card(summary)


def _forget_me(request: SlashRequest) -> Reply:
    everywhere = request.invocation.rest.strip().lower() == "all"
    return forget_confirmation(
        forget.forget_plan(request.deps.store, request.caller, everywhere=everywhere)
    )


def _timing(request: SlashRequest) -> None:
    timing = sets.reminder_timing(request.deps.store, request.caller)
    view = timing_modal(timing, channel_id=request.caller.channel_id)
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _reminders(request: SlashRequest) -> None:
    """Anyone's own reminders, from a Set's channel or a direct message with setbot."""
    form = reminder_preferences.reminder_form(request.deps.store, request.caller)
    view = reminders_modal(form, channel_id=request.caller.channel_id)
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _stats(request: SlashRequest) -> Reply:
    return render_stats(insights.meeting_stats(request.deps.store, request.caller, meeting_id=None))


def _open_round(request: SlashRequest) -> None:
    people = request.mentioned
    if len(people) > 1:
        raise Refusal("Open one round at a time: `/round open @name`, or just `/round open`.")
    view = rounds.open_round(
        request.deps.store, request.deps.clock, request.caller, presenter=next(iter(people), None)
    )
    post_round(request.client, request.deps, team_id=request.caller.team_id, view=view)


def _next_phase(request: SlashRequest) -> None:
    change = rounds.advance(
        request.deps.store, request.deps.clock, request.caller, round_id=None, from_phase=None
    )
    show_change(
        request.client,
        request.deps,
        change,
        team_id=request.caller.team_id,
        mover=request.caller.user_id,
    )


def _close_round(request: SlashRequest) -> None:
    closed = rounds.close_round(
        request.deps.store, request.deps.clock, request.caller, round_id=None
    )
    show_closed(request.client, request.deps, closed, team_id=request.caller.team_id)


def _my_actions(request: SlashRequest) -> Reply:
    caller = request.caller
    return my_commitments_card(
        commitments.my_commitments(
            request.deps.store, request.deps.clock, team_id=caller.team_id, user_id=caller.user_id
        )
    )


def _new_action(request: SlashRequest) -> None:
    form = commitments.commitment_form(request.deps.store, request.deps.clock, request.caller)
    view = commitment_modal(form, channel_id=request.caller.channel_id)
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _ideas(request: SlashRequest) -> Reply:
    ideas = sets.choose_ideas_phase(request.deps.store, request.caller, request.invocation.rest)
    return cards.ideas_phase_reply(ideas)


def _resources(request: SlashRequest) -> Reply:
    return resources_ui.resource_list(resources.list_resources(request.deps.store, request.caller))


def _resource(request: SlashRequest) -> Reply | None:
    """`/set resource add` opens the modal for a facilitator; `/set resource` lists them."""
    asked = request.invocation.rest.strip().lower()
    if not asked:
        return _resources(request)
    if asked != "add":
        raise Refusal(
            "To add good practice, type `/set resource add`; to see the Set's list, "
            "`/set resources`."
        )
    resources.may_add_resource(request.deps.store, request.caller)
    view = resources_ui.resource_modal(channel_id=request.caller.channel_id)
    request.client.views_open(trigger_id=request.trigger_id, view=view)
    return None


def _signpost(request: SlashRequest) -> None:
    form = resources.signpost_form(request.deps.store, request.caller)
    view = resources_ui.signpost_modal(form, channel_id=request.caller.channel_id)
    request.client.views_open(trigger_id=request.trigger_id, view=view)


ROUTES: dict[tuple[str, str], Route] = {
    **{(name, HELP): _help for name in COMMANDS},
    ("/set", STATUS): _status,
    ("/set", "add"): _add,
    ("/set", "remove"): _remove,
    ("/set", "facilitator"): _facilitator,
    ("/set", "rules"): _rules,
    ("/set", "close"): _close,
    ("/set", "new"): _new,
    ("/set", "schedule"): _schedule,
    ("/set", "calendar"): _calendar,
    ("/meeting", "start"): _start_meeting,
    ("/meeting", "end"): _end_meeting,
    ("/meeting", "stats"): _stats,
    ("/set", "learning"): _learning,
    ("/set", "timing"): _timing,
    ("/set", "reminders"): _reminders,
    ("/set", "forget-me"): _forget_me,
    ("/set", "org-lead"): org_lead,
    ("/set", "org-leads"): org_leads_list,
    ("/set", "org-report"): org_report_route,
    ("/set", "ideas"): _ideas,
    ("/set", "resources"): _resources,
    ("/set", "resource"): _resource,
    ("/round", "open"): _open_round,
    ("/round", "next"): _next_phase,
    ("/round", "close"): _close_round,
    ("/round", "signpost"): _signpost,
    ("/action", MINE): _my_actions,
    ("/action", "new"): _new_action,
}
