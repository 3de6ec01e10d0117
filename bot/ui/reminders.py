"""What the reminders look like: the channel reminder and the facilitators' private notes.

Each renderer is registered with `bot.ui.notices.render` by its message type. Set names
are typed by people, so they are escaped here, once; times are shown with Slack's date
token, which each reader sees in their own zone, falling back to the Set's zone.
"""

from __future__ import annotations

from datetime import datetime

from bot.flows.meeting_reminders import MeetingAutoclosed, MeetingReminder, SetExtendOrClose
from bot.flows.outbox import DeliveryFailed
from bot.flows.schedule import format_local
from bot.ui.blocks import Reply, actions, button, context, section
from bot.ui.mrkdwn import escape, mention, mentions
from bot.ui.notices import render

# Buttons on the extend-or-close question; each carries the Set's id as its value.
SET_EXTEND = "set_extend"
SET_CLOSE_ASK = "set_close_ask"
EXTEND_OR_CLOSE_BLOCK = "set_extend_or_close"

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
