"""The meeting card, the running-order modal, the end-of-meeting summary and the rules nudge.

Set names, ground rules and commitments are typed by people, so each is escaped
here, once; user ids only ever appear inside mentions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.flows.meetings import Apologies, MeetingCard, MeetingSummary
from bot.flows.schedule import format_local
from bot.flows.time_plan import plan_lines
from bot.ui.blocks import Block, Reply, actions, button, context, header, section
from bot.ui.mrkdwn import clip, escape, mention, mentions

CHECK_IN_PRESENT = "meeting_check_in_present"
CHECK_IN_APOLOGIES = "meeting_check_in_apologies"
REORDER = "meeting_reorder"
REORDER_VIEW = "meeting_reorder_view"
REORDER_BLOCK, REORDER_INPUT = "meeting_order", "order"
ADJUST_TIME = "meeting_adjust_time"
CARD_ACTIONS = "meeting_card_actions"

# A rule or an action can be long; the card and summary show the start of each, so twelve
# of them still fit one section (3000 characters).
RULE_PREVIEW = 150
ACTION_PREVIEW = 200


def meeting_card_blocks(card: MeetingCard) -> Reply:
    """The card in the Set's channel: rules, running order, who is here, and how to check in."""
    name = escape(card.set_name)
    if card.has_ended:
        return _ended_card(card, name)
    blocks: list[Block] = [header(f"{card.set_name} — meeting under way")]
    if card.ground_rules:
        blocks.append(section(_rules_text(card.ground_rules)))
    blocks += [
        section(_order_text(card)),
        section(_attendance_text(card)),
        actions(
            CARD_ACTIONS,
            [
                button(
                    "I'm here",
                    action_id=CHECK_IN_PRESENT,
                    value=str(card.meeting_id),
                    style="primary",
                ),
                button(
                    "Sending apologies",
                    action_id=CHECK_IN_APOLOGIES,
                    value=str(card.meeting_id),
                ),
                button("Change the order", action_id=REORDER, value=str(card.meeting_id)),
                button("Adjust time", action_id=ADJUST_TIME, value=str(card.meeting_id)),
            ],
        ),
        context("Check in with a button. Only a facilitator can change the order or the time."),
    ]
    text = f"{name}: the meeting is under way. Press “I'm here” or “Sending apologies”."
    return Reply(text=text, blocks=blocks)


def _ended_card(card: MeetingCard, name: str) -> Reply:
    text = f"{name}: this meeting has ended. Thank you, everyone — see you at the next one."
    blocks = [
        header(f"{card.set_name} — meeting ended"),
        section(text),
        context(f"Here: {mentions(card.present, 'no one')}"),
    ]
    return Reply(text=text, blocks=blocks)


def _rules_text(rules: Sequence[str]) -> str:
    listed = "\n".join(f"• {_preview(rule, RULE_PREVIEW)}" for rule in rules)
    return f"*Our ground rules*\n{listed}"


def _order_text(card: MeetingCard) -> str:
    if card.plan is None:
        return "*Running order*\nThe running order appears once the meeting starts."
    lines = plan_lines(card.plan, timezone=card.timezone, label=mention)
    return "*Running order*\n" + "\n".join(lines)


def _attendance_text(card: MeetingCard) -> str:
    return (
        f"*Here:* {mentions(card.present, 'no one yet')}\n"
        f"*Sent apologies:* {mentions(card.apologies, 'no one')}\n"
        f"*Not checked in yet:* {mentions(card.not_checked_in, 'everyone has')}"
    )


def reorder_modal(card: MeetingCard) -> dict[str, Any]:
    """Pick presenters in turn order; Slack keeps the order people are picked in."""
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": REORDER_INPUT}
    if card.turn_order:
        element["initial_users"] = list(card.turn_order)
    hint = (
        "To move someone later, remove them and add them again. "
        "Anyone you leave out keeps their turn, after the people you pick."
    )
    return {
        "type": "modal",
        "callback_id": REORDER_VIEW,
        "private_metadata": json.dumps({"channel": card.channel_id, "meeting_id": card.meeting_id}),
        "title": _plain("Running order"),
        "submit": _plain("Save order"),
        "close": _plain("Cancel"),
        "blocks": [
            section(
                f"Put the members of *{escape(card.set_name)}* in the order they'll take "
                "their turns, first to last."
            ),
            {
                "type": "input",
                "block_id": REORDER_BLOCK,
                "label": _plain("Who goes when"),
                "element": element,
                "hint": _plain(hint),
            },
        ],
    }


def read_reorder(view_state_values: Mapping[str, Any]) -> list[str]:
    """The user ids picked in the modal, first to last."""
    picked = view_state_values.get(REORDER_BLOCK, {}).get(REORDER_INPUT, {})
    return list(picked.get("selected_users") or [])


def summary_blocks(summary: MeetingSummary) -> Reply:
    """What the meeting did, said warmly: turns, actions, who came, and what comes next."""
    name = escape(summary.set_name)
    presented = f"*Presented:* {mentions(summary.presenters, 'no one took a round this time.')}"
    blocks: list[Block] = [
        header(f"{summary.set_name} — thank you, everyone"),
        section(f"{presented}\n{_actions_text(summary)}"),
        section(
            f"*Here:* {mentions(summary.present, 'no one checked in')}\n"
            f"*Sent apologies:* {mentions(summary.apologies, 'no one')}\n"
            f"*Missed:* {mentions(summary.absent, 'no one')}\n"
            f"The meeting ran for {_duration(summary.duration)}."
        ),
        section(
            "*Next:* let's reflect on how the Set worked today — what helped, "
            "and what we'd change for next time."
        ),
    ]
    if summary.closed_automatically:
        blocks.append(
            context("I ended this meeting myself, half an hour after its planned finish.")
        )
    text = f"{name}: the meeting has ended. Next, let's reflect on how it went."
    return Reply(text=text, blocks=blocks)


def _actions_text(summary: MeetingSummary) -> str:
    if not summary.actions:
        return "*Actions committed:* none this time."
    lines = (f"• {mention(a.user_id)}: {_preview(a.text, ACTION_PREVIEW)}" for a in summary.actions)
    return "*Actions committed*\n" + "\n".join(lines)


def rules_reminder(set_name: str) -> Reply:
    """A private nudge, when a meeting starts, to a member who hasn't agreed the rules yet."""
    text = (
        f"*{escape(set_name)}* is meeting now. Before you join in, please agree to the "
        "Set's ground rules: press *I agree* on the rules card in the channel, "
        "or type `/set rules` to read them."
    )
    return Reply(text=text, blocks=[section(text)])


def _duration(length: timedelta) -> str:
    minutes = max(0, round(length.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if minutes or not hours:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    return " ".join(parts)


def _preview(text: str, limit: int) -> str:
    """Someone's words on one line, shortened, then escaped (so no entity is cut in half)."""
    return escape(clip(" ".join(text.split()), limit))


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def apologies_noted(apologies: Apologies) -> Reply:
    """Private thanks to a member who can't come: no one has to chase them."""
    when = format_local(apologies.starts_at, apologies.timezone) if apologies.starts_at else "then"
    text = (
        f"Thanks for letting us know. Your apologies for *{escape(apologies.set_name)}* on "
        f"{when} are noted, and your facilitator will see them. We'll miss you."
    )
    return Reply(text=text, blocks=[section(text)])


def not_agreed_note(card: MeetingCard) -> Reply:
    """For the facilitator alone, as the meeting starts: who still hasn't agreed the rules."""
    text = (
        f"Before you begin: {mentions(card.not_agreed)} "
        f"{'has' if len(card.not_agreed) == 1 else 'have'} not agreed the ground rules yet. "
        "I've reminded them privately; you may want to go over the rules together."
    )
    return Reply(text=text, blocks=[section(text)])
