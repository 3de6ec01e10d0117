"""`/set org-lead`, `/set org-leads` and `/set org-report`: learning across the Sets.

These work in any channel, as they belong to the workspace rather than to one Set.
Slack, not setbot, knows who the workspace admins are: users.info's `is_admin` or
`is_owner` is asked each time, so someone who stops being an admin stops at once.
"""

from __future__ import annotations

from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.flows import org_leads, org_report
from bot.flows.access import Refusal
from bot.handlers.set_channel import slack_names
from bot.handlers.slash import SlashRequest
from bot.ui.blocks import Reply
from bot.ui.mrkdwn import clip
from bot.ui.org_report import (
    lead_changed,
    leads_list,
    org_report_card,
    report_files_comment,
    welcome_lead,
)

CANNOT_ASK_SLACK = (
    "I couldn't check with Slack whether you're a workspace admin, so nothing was changed. "
    "Please try again in a minute."
)
REMOVE = "remove"


def org_lead(request: SlashRequest) -> Reply:
    """`/set org-lead @name` or `/set org-lead remove @name`, for workspace admins."""
    caller, deps = request.caller, request.deps
    words = request.invocation.rest.split()
    removing = bool(words) and words[0].lower() == REMOVE
    people = request.mentioned
    if len(people) != 1 or people[0] == request.bot_user_id:
        raise Refusal(org_leads.MENTION_ONE)
    is_admin = _is_admin(request.client, caller.user_id)
    if removing:
        change = org_leads.revoke(
            deps.store, team_id=caller.team_id, by_is_admin=is_admin, user_id=people[0]
        )
        return lead_changed(change)
    change = org_leads.grant(
        deps.store,
        deps.clock,
        team_id=caller.team_id,
        by=caller.user_id,
        by_is_admin=is_admin,
        user_id=people[0],
    )
    if change.changed and people[0] != caller.user_id:
        welcome = welcome_lead(caller.user_id)
        request.client.chat_postMessage(channel=people[0], text=welcome.text, blocks=welcome.blocks)
    return lead_changed(change)


def org_leads_list(request: SlashRequest) -> Reply:
    """`/set org-leads`: who they are, for admins and the leads themselves."""
    caller = request.caller
    named = org_leads.leads(
        request.deps.store,
        team_id=caller.team_id,
        user_id=caller.user_id,
        is_admin=_is_admin(request.client, caller.user_id),
    )
    return leads_list(named)


def org_report_route(request: SlashRequest) -> Reply:
    """`/set org-report [since DATE]`: the card here, privately; the files in a DM."""
    deps, client, caller = request.deps, request.client, request.caller
    since = _since(request.invocation.rest)
    people = org_report.people_to_name(deps.store, team_id=caller.team_id, user_id=caller.user_id)
    report = org_report.org_report(
        deps.store,
        deps.clock,
        team_id=caller.team_id,
        user_id=caller.user_id,
        names=slack_names(client, people),
        since=since,
    )
    dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        file_uploads=[
            {
                "content": org_report.to_markdown(report).encode(),
                "filename": org_report.filename(report, "md"),
                "title": "Learning across our Sets",
            },
            {
                "content": org_report.to_csv(report).encode(),
                "filename": org_report.filename(report, "csv"),
                "title": "Learning across our Sets (spreadsheet)",
            },
        ],
        initial_comment=report_files_comment(),
    )
    return org_report_card(report)


def _since(rest: str) -> date | None:
    """An optional first day, `2027-01-31` or `since 2027-01-31`; anything else is refused."""
    words = rest.split()
    if words[:1] == ["since"]:
        words = words[1:]
    if not words:
        return None
    try:
        return date.fromisoformat(" ".join(words))
    except ValueError:
        raise Refusal(
            "I couldn't read `{given}` as a date. Try `/set org-report since 2027-01-31`, "
            "or leave the date out to see everything.",
            given=clip(" ".join(words).replace("`", "'"), 40),
        ) from None


def _is_admin(client: WebClient, user_id: str) -> bool:
    """Whether Slack says this person is a workspace admin or owner."""
    try:
        person = client.users_info(user=user_id)["user"]
    except SlackClientError as error:
        raise Refusal(CANNOT_ASK_SLACK) from error
    return bool(person.get("is_admin") or person.get("is_owner"))
