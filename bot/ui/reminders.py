"""What the reminders look like: the channel reminder and the private messages around it.

Each renderer is registered with `bot.ui.notices.render` by its message type. Set names
and actions are typed by people, so they are escaped here, once; times are shown with
Slack's date token, which each reader sees in their own zone, falling back to the zone
the message carries (the reader's own where known, else the Set's).
"""

from __future__ import annotations

from datetime import datetime

from bot.flows.meeting_reminders import (
    FacilitatorDigest,
    MeetingAutoclosed,
    MeetingPrepare,
    MeetingReminder,
    OpenAction,
    SetExtendOrClose,
)
from bot.flows.outbox import DeliveryFailed
from bot.flows.schedule import format_local
from bot.ui.blocks import Block, Reply, actions, button, context, section
from bot.ui.commitments import BUTTONS_BLOCK_PREFIX, REPORT_BACK, STILL_WORKING, day
from bot.ui.mrkdwn import clip, escape, mention, mentions
from bot.ui.notices import render
from bot.ui.outlines import OUTLINE_OPEN

# Buttons on the extend-or-close question; each carries the Set's id as its value.
SET_EXTEND = "set_extend"
# Sending apologies ahead of a meeting, from the prepare message; value: the meeting id.
SEND_APOLOGIES = "meeting_send_apologies"
APOLOGIES_BLOCK_PREFIX = "meeting_apologies_"
SET_CLOSE_ASK = "set_close_ask"
EXTEND_OR_CLOSE_BLOCK = "set_extend_or_close"
# A prepare message shows each open action in two blocks (words, buttons) after three of
# its own; past this many the rest are left to `/action`, well within Slack's 50 blocks.
ACTIONS_SHOWN = 10
# How much of an action a prepare message quotes.
ACTION_QUOTE_LIMIT = 500

# What each Slack error means to a facilitator, and what they can do about it.
_WHY = {
    "channel_not_found": (
        "I can't see that channel any more: it may have been deleted, or I was taken out.",
        "Add me back to the channel (type `/invite @setbot` there).",
    ),
    "not_in_channel": (
        "I'm no longer a member of that channel.",
        "Add me back to the channel (type `/invite @setbot` there).",
    ),
    "is_archived": (
        "That channel has been archived.",
        "Unarchive the channel if the Set still meets there.",
    ),
    "user_not_found": (
        "Slack can't find that person.",
        "If they have left, take them out of the Set with `/set remove @name`.",
    ),
    "user_disabled": (
        "That person's Slack account has been deactivated.",
        "If they have left, take them out of the Set with `/set remove @name`.",
    ),
    "account_inactive": (
        "That person's Slack account has been deactivated.",
        "If they have left, take them out of the Set with `/set remove @name`.",
    ),
}
_WHY_ELSE = ("Slack refused it ({reason}).", "If this keeps happening, let your Slack admin know.")


def when(at: datetime, timezone: str) -> str:
    """A time every reader sees in their own zone; the Set's local time where Slack can't."""
    token = "{date_short_pretty} at {time}"
    return f"<!date^{int(at.timestamp())}^{token}|{format_local(at, timezone)}>"


@render.register
def meeting_reminder(message: MeetingReminder) -> Reply:
    """The channel reminder: when, who reports back, and what to bring."""
    name = escape(message.set_name)
    opening = (
        f"📅 *{name}* meets {message.when}: {when(message.starts_at, message.timezone)}, "
        f"for {_length(message.session_minutes)}."
    )
    if message.reporting_back:
        reports = (
            f"*Reporting back:* {mentions(message.reporting_back)}. You each took on an "
            "action: come ready to say what you did and what you learned."
        )
    else:
        reports = "No actions are waiting to be reported back on this time."
    text = f"{name} meets {message.when}: {format_local(message.starts_at, message.timezone)}."
    return Reply(
        text=text,
        blocks=[
            section(f"{opening}\n{reports}"),
            context(
                "Think about the issue you'd like the Set's help with. "
                "Can't make it? Say so here, so the Set can plan its time."
            ),
        ],
    )


@render.register
def meeting_prepare(message: MeetingPrepare) -> Reply:
    """To a member, two days ahead: the issue they'll bring, and their open actions."""
    name = escape(message.set_name)
    opening = (
        f"What issue will you bring to *{name}* on {when(message.starts_at, message.timezone)}?"
    )
    blocks: list[Block] = [
        section(opening),
        context(
            "A few lines now help: what is the problem, why does it matter to you, "
            "and what would you like from the Set?"
        ),
        actions(
            f"{APOLOGIES_BLOCK_PREFIX}{message.meeting_id}",
            [
                button("Outline my problem", action_id=OUTLINE_OPEN, value=str(message.meeting_id)),
                button("I can't make it", action_id=SEND_APOLOGIES, value=str(message.meeting_id)),
            ],
        ),
    ]
    if message.open_actions:
        blocks.append(
            section("*And how did your action go?* Report back, or say you're still on it.")
        )
        for action in message.open_actions[:ACTIONS_SHOWN]:
            blocks += _open_action(action)
        if len(message.open_actions) > ACTIONS_SHOWN:
            blocks.append(context("Type `/action` to see the rest of your actions."))
    text = (
        f"What issue will you bring to {name} on "
        f"{format_local(message.starts_at, message.timezone)}?"
    )
    return Reply(text=text, blocks=blocks)


def _open_action(action: OpenAction) -> list[Block]:
    """The action in its owner's words, with the buttons `/action` and the nudges carry."""
    words = escape(clip(action.text.strip(), ACTION_QUOTE_LIMIT))
    if action.due_on:
        words += f"\nDue {day(action.due_on)}"
    value = str(action.commitment_id)
    buttons = [
        button("Report back", action_id=REPORT_BACK, value=value, style="primary"),
        button("Still working on it", action_id=STILL_WORKING, value=value),
    ]
    return [section(words), actions(f"{BUTTONS_BLOCK_PREFIX}{value}", buttons)]


@render.register
def facilitator_digest(message: FacilitatorDigest) -> Reply:
    """To a facilitator, the morning before: four short lines, by name."""
    name = escape(message.set_name)
    starts = when(message.starts_at, message.timezone)
    lines = [
        f"*Reported back since the last meeting:* {mentions(message.reported_back)}",
        f"*Still to report back on an action:* {mentions(message.not_reported)}",
        f"*Sent apologies:* {mentions(message.apologies)}",
        f"*Yet to agree the ground rules:* {mentions(message.rules_not_agreed)}",
    ]
    text = (
        f"{name} meets {message.when}: {format_local(message.starts_at, message.timezone)}. "
        "Here is where the Set stands."
    )
    opening = f"*{name}* meets {message.when}: {starts}. Here is where the Set stands."
    return Reply(text=text, blocks=[section(opening + "\n" + "\n".join(lines))])


@render.register
def meeting_autoclosed(message: MeetingAutoclosed) -> Reply:
    """To a facilitator: the meeting was ended for them, and how to end the next one."""
    name = escape(message.set_name)
    where = f"in <#{message.channel_id}>" if message.channel_id else "in the Set's channel"
    text = (
        f"I closed the *{name}* meeting for you half an hour after its planned end "
        f"({when(message.planned_end, message.timezone)}), as it was still open."
    )
    return Reply(
        text=f"I closed the {name} meeting for you.",
        blocks=[
            section(text),
            context(f"Next time, type `/meeting end` {where} when you finish."),
        ],
    )


@render.register
def set_extend_or_close(message: SetExtendOrClose) -> Reply:
    """To a facilitator: the last planned meeting is behind us. Extend or close?"""
    name = escape(message.set_name)
    held = f"{message.meetings_held} meeting" + ("" if message.meetings_held == 1 else "s")
    text = (
        f"That was the last planned meeting of *{name}* "
        f"({when(message.last_meeting_at, message.timezone)}). Extend the Set or close it?"
    )
    value = str(message.set_id)
    return Reply(
        text=f"That was the last planned meeting of {name}. Extend the Set or close it?",
        blocks=[
            section(text),
            context(
                f"The Set has held {held}. Extending adds more meetings; closing stops "
                "the reminders and keeps every record."
            ),
            actions(
                EXTEND_OR_CLOSE_BLOCK,
                [
                    button("Extend the Set", action_id=SET_EXTEND, value=value, style="primary"),
                    button("Close the Set", action_id=SET_CLOSE_ASK, value=value),
                ],
            ),
        ],
    )


@render.register
def delivery_failed(message: DeliveryFailed) -> Reply:
    """To a facilitator: what could not be delivered, why, and how to put it right."""
    name = escape(message.set_name)
    why, fix = _WHY.get(message.reason, _WHY_ELSE)
    why = why.format(reason=escape(message.reason))
    text = f"I couldn't deliver {message.what} for *{name}* to {_target(message.target)}. {why}"
    return Reply(
        text=f"I couldn't deliver {message.what} for {name}.",
        blocks=[section(text), context(fix)],
    )


def _length(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour" + ("s" if hours != 1 else "")] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minutes")
    return " ".join(parts)


def _target(target: str) -> str:
    """Slack ids only: people start with U or W, conversations with C, G or D."""
    if not target.isalnum():
        return "its destination"
    return mention(target) if target[:1] in ("U", "W") else f"<#{target}>"
