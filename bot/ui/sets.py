"""Cards about a Set itself: welcome, ground rules, status, membership changes, closing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.flows.ground_rules import RulesCard
from bot.flows.membership import MembershipChange
from bot.flows.schedule import format_local
from bot.flows.sets import Extension, IdeasPhase, SetTotals
from bot.flows.status import Overview, SetLine
from bot.store.models import LearningSet, Role
from bot.ui.blocks import Block, Reply, actions, button, context, divider, header, section
from bot.ui.forms import input_block, modal
from bot.ui.mrkdwn import escape, mention, mentions

AGREE_TO_RULES = "rules_agree"
EDIT_RULES = "rules_edit"
CONFIRM_CLOSE = "set_close_confirm"
RULES_VIEW = "set_rules_view"
RULES_BLOCK = "rules"


def welcome_card(learning_set: LearningSet, next_meetings: list[datetime]) -> Reply:
    """The first thing the Set sees in its channel: why it is here, when, and the rules."""
    name = escape(learning_set.name)
    dates = "\n".join(f"• {format_local(d, learning_set.timezone)}" for d in next_meetings)
    blocks: list[Block] = [
        header(f"Welcome to {learning_set.name}"),
        section(
            f"This is the channel for *{name}*, an Action Learning Set"
            + (f" on *{escape(learning_set.theme)}*" if learning_set.theme else "")
            + ". At each meeting every member in turn brings a real problem; the others help "
            "mostly by asking questions; you commit to an action and report back next time."
        ),
    ]
    if learning_set.problem_area:
        blocks.append(section(f"*Problem area*\n{escape(learning_set.problem_area)}"))
    blocks.append(
        section(f"*Next meetings* ({learning_set.session_minutes} minutes each)\n{dates}")
    )
    blocks += _rules_blocks(learning_set.id or 0, learning_set.ground_rules)
    return Reply(text=f"Welcome to {name}: please read and agree the ground rules.", blocks=blocks)


def rules_card(card: RulesCard) -> Reply:
    blocks = [
        header(f"Ground rules of {card.set_name}"),
        *_rules_blocks(card.set_id, list(card.rules), editable=card.editable),
        context(
            f"Agreed: {mentions(card.agreed)}"
            + (f"  ·  Not yet: {mentions(card.not_yet)}" if card.not_yet else "")
        ),
    ]
    return Reply(text=f"The ground rules of {escape(card.set_name)}.", blocks=blocks)


def _rules_blocks(set_id: int, rules: list[str], *, editable: bool = False) -> list[Block]:
    listed = "\n".join(f"{i}. {escape(rule)}" for i, rule in enumerate(rules, 1))
    buttons = [button("I agree", action_id=AGREE_TO_RULES, value=str(set_id), style="primary")]
    if editable:
        buttons.append(button("Edit the rules", action_id=EDIT_RULES, value=str(set_id)))
    return [section(f"*Our ground rules*\n{listed}"), actions("rules", buttons)]


def agreed_reply(card: RulesCard) -> Reply:
    text = "Thank you: you've agreed to the ground rules."
    if card.not_yet:
        text += f" Still to agree: {mentions(card.not_yet)}."
    else:
        text += " Everyone in the Set has now agreed."
    return Reply(text=text, blocks=[section(text)])


def rules_changed(card: RulesCard) -> Reply:
    """Posted to the channel: new rules mean everyone agrees afresh."""
    reply = rules_card(card)
    text = "The ground rules have changed. Please read them again and press *I agree*."
    return Reply(text=text, blocks=[section(text), *reply.blocks[1:]])


def rules_modal(card: RulesCard, *, channel_id: str) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": 3000,
        "initial_value": "\n".join(card.rules),
    }
    hint = "Everyone will be asked to agree again to the new rules."
    rules = input_block(RULES_BLOCK, "One rule per line", element, hint=hint)
    return modal(RULES_VIEW, "Ground rules", "Save", [rules], {"channel": channel_id})


def status_card(view: Overview) -> Reply:
    people = "\n".join(
        _person_line(p.user_id, p.role, p.agreed_rules, p.open_actions) for p in view.people
    )
    next_line = (
        format_local(view.next_meeting, view.timezone) if view.next_meeting else "none planned"
    )
    blocks: list[Block] = [
        header(view.name + (" (closed)" if view.closed else "")),
        section(
            (f"*Theme:* {escape(view.theme)}\n" if view.theme else "")
            + (f"*Problem area:* {escape(view.problem_area)}\n" if view.problem_area else "")
            + f"*Meets:* {escape(view.cadence)}\n*Next meeting:* {next_line}\n"
            + f"*Meetings held:* {view.held} of {view.planned}"
        ),
        divider(),
        section(f"*People*\n{people}"),
        context("✅ agreed the ground rules  ·  ⏳ not yet: type `/set rules` to read them"),
    ]
    return Reply(text=f"How {escape(view.name)} is doing.", blocks=blocks)


def _person_line(user_id: str, role: Role, agreed: bool, open_actions: int) -> str:
    mark = "✅" if agreed else "⏳"
    role_words = " (facilitator)" if role == Role.FACILITATOR else ""
    actions_words = {0: "", 1: " · 1 open action"}.get(
        open_actions, f" · {open_actions} open actions"
    )
    return f"{mark} {mention(user_id)}{role_words}{actions_words}"


def my_sets_card(lines: list[SetLine]) -> Reply:
    if not lines:
        text = (
            "You're not in an Action Learning Set yet. A facilitator can form one with "
            "`/set new`; type `/set help` to see everything setbot does."
        )
        return Reply(text=text, blocks=[section(text)])
    rows = "\n".join(
        f"• *{escape(line.name)}*"
        + (f" — {escape(line.theme)}" if line.theme else "")
        + (f" in <#{line.channel_id}>" if line.channel_id else "")
        + (" (you facilitate)" if line.role == Role.FACILITATOR else "")
        + (" (closed)" if line.closed else "")
        for line in lines
    )
    text = "Your Action Learning Sets. Use `/set` in a Set's channel to see how it's doing."
    return Reply(text=text, blocks=[section(f"*Your Sets*\n{rows}"), context(text)])


def members_added(change: MembershipChange) -> Reply:
    text = (
        f"Welcome {mentions(change.changed)} to *{escape(change.set_name)}*! "
        "Please read the ground rules and press *I agree* (type `/set rules`)."
        if change.changed
        else "Everyone you mentioned is already in the Set."
    )
    return Reply(text=text, blocks=[section(text)])


def member_removed(change: MembershipChange) -> Reply:
    text = (
        f"{mentions(change.changed)} has left *{escape(change.set_name)}*. Their past rounds "
        "and actions are kept, and setbot will send them no more reminders."
    )
    return Reply(text=text, blocks=[section(text)])


def facilitator_added(change: MembershipChange) -> Reply:
    text = (
        f"{mentions(change.changed)} now facilitates *{escape(change.set_name)}* too."
        if change.changed
        else f"{mentions(change.unchanged)} already facilitates this Set."
    )
    return Reply(text=text, blocks=[section(text)])


def close_confirmation(set_name: str, set_id: int) -> Reply:
    text = (
        f"Close *{escape(set_name)}*? There will be no more meetings or reminders. "
        "Everything the Set recorded is kept."
    )
    return Reply(
        text=text,
        blocks=[
            section(text),
            actions(
                "close",
                [
                    button(
                        "Close the Set", action_id=CONFIRM_CLOSE, value=str(set_id), style="danger"
                    )
                ],
            ),
        ],
    )


def extended(extension: Extension) -> Reply:
    dates = "\n".join(f"• {format_local(d, extension.timezone)}" for d in extension.added)
    name, count = escape(extension.set_name), len(extension.added)
    text = f"*{name}* goes on: {count} more meetings are planned.\n{dates}"
    return Reply(text=f"{name} goes on.", blocks=[section(text)])


def closing_card(totals: SetTotals) -> Reply:
    name = escape(totals.name)
    text = (
        f"*{name}* has closed. Over its life: {totals.meetings_held} meetings, "
        f"{totals.rounds} rounds, {totals.actions_committed} actions committed and "
        f"{totals.actions_reported} reported back. Thank you all for learning together."
    )
    return Reply(text=f"{name} has closed.", blocks=[header("The Set has closed"), section(text)])


def no_meetings_to_export(set_name: str) -> Reply:
    text = (
        f"*{escape(set_name)}* has no meetings still to come, so there is nothing to add to "
        "a calendar. A facilitator can see the schedule with `/set schedule`."
    )
    return Reply(text=text, blocks=[section(text)])


def calendar_comment(set_name: str, meetings: int) -> str:
    plural = "meeting" if meetings == 1 else f"{meetings} meetings"
    return (
        f"The {plural} of {escape(set_name)}, for your calendar: open the file, or import "
        "it into Outlook, Google Calendar or Apple Calendar."
    )


def set_ready(set_name: str, channel_id: str) -> Reply:
    text = (
        f"*{escape(set_name)}* is ready in <#{channel_id}>. I've invited everyone and posted "
        "the ground rules there. Next: ask members to press *I agree*, and start the first "
        "meeting with `/meeting start` when the time comes."
    )
    return Reply(text=text, blocks=[section(text)])


def ideas_phase_reply(ideas: IdeasPhase) -> Reply:
    """Private to the facilitator: where the Set's rounds now go after the questions."""
    name = escape(ideas.set_name)
    if ideas.on:
        route = "after the questions, the others offer ideas and possible solutions"
        other = "`/set ideas off` goes straight from the questions to reflecting"
    else:
        route = "rounds go straight from the questions to the presenter reflecting"
        other = "`/set ideas on` brings the ideas phase back"
    if ideas.changed:
        said = f"Done: in *{name}*, {route}. This starts with the next round you open."
    else:
        said = f"In *{name}*, {route}."
    text = f"{said} If the Set would rather, {other}."
    return Reply(text=text, blocks=[section(text)])
