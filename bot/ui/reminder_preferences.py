"""What each person's reminder settings look like: the modal, its answers, and the buttons
every private reminder carries ("Not now", "Stop these").

Nothing here is typed by the reader except a Set's name in the note to a facilitator,
which is escaped here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.flows.access import Refusal
from bot.flows.reminder_preferences import (
    DAY_MINUTES,
    STEP_MINUTES,
    Field,
    FieldRefusal,
    MemberAway,
    PutOff,
    ReminderChoice,
    ReminderForm,
    ReminderKind,
    Saved,
    Stopped,
)
from bot.ui.blocks import Block, Reply, actions, button, context, section
from bot.ui.commitments import day
from bot.ui.forms import element_of, input_block, modal, option, read_choice
from bot.ui.mrkdwn import escape, mention
from bot.ui.notices import render
from bot.ui.reminders import when

REMINDERS_VIEW = "reminders_view"
FROM_BLOCK = "reminders_from"
UNTIL_BLOCK = "reminders_until"
KINDS_BLOCK = "reminders_kinds"
AWAY_BLOCK = "reminders_away"
# The App Home's button that opens the modal.
OPEN_REMINDERS = "reminders_open"
OPEN_BLOCK = "reminders_open_block"
# On every private reminder; each carries the reminder's outbox row id as its value.
NOT_NOW = "reminder_not_now"
STOP_THESE = "reminder_stop"
CONTROLS_BLOCK_PREFIX = "reminder_controls_"

# As the modal offers each kind, and as a confirmation names it.
KIND_LABELS = {
    ReminderKind.MEETING: "Before a meeting: what will you bring?",
    ReminderKind.PREPARE_ROUND: "Before your round: prepare what you'll bring",
    ReminderKind.COMMITMENT: "Nudges about your actions",
    ReminderKind.DIGEST: "The facilitators' digest before each meeting",
}
KIND_WORDS = {
    ReminderKind.MEETING: "messages asking what you'll bring to a meeting",
    ReminderKind.PREPARE_ROUND: "prompts to prepare your round",
    ReminderKind.COMMITMENT: "nudges about your actions",
    ReminderKind.DIGEST: "digests before meetings",
}
# Where each field's problem is shown in the modal.
FIELD_BLOCKS = {Field.REACH: UNTIL_BLOCK, Field.AWAY: AWAY_BLOCK}


def clock_words(minute: int) -> str:
    """Minutes after midnight as a 24-hour time; the end of the day as midnight."""
    if minute >= DAY_MINUTES:
        return "midnight"
    return f"{minute // 60:02d}:{minute % 60:02d}"


def reminders_modal(form: ReminderForm, *, channel_id: str) -> dict[str, Any]:
    """From and until (half hours), the kinds they want, and a day they are away until."""
    choice = form.choice
    starts = [option(clock_words(m), str(m)) for m in range(0, DAY_MINUTES, STEP_MINUTES)]
    ends = [
        option(clock_words(m), str(m))
        for m in range(STEP_MINUTES, DAY_MINUTES + STEP_MINUTES, STEP_MINUTES)
    ]
    kinds = [option(KIND_LABELS[k], k.value) for k in form.offered]
    kinds_element: dict[str, Any] = {"type": "checkboxes", "options": kinds}
    ticked = [o for o in kinds if o["value"] in choice.receive]
    if ticked:
        kinds_element["initial_options"] = ticked
    away: dict[str, Any] = {"type": "datepicker"}
    if choice.away_until is not None:
        away["initial_date"] = choice.away_until.isoformat()
    blocks = [
        input_block(
            FROM_BLOCK,
            "Reminders may reach me from",
            _select(starts, choice.reach_from),
            hint=f"In your own Slack time zone, {form.timezone}.",
        ),
        input_block(UNTIL_BLOCK, "Until", _select(ends, choice.reach_until)),
        input_block(
            KINDS_BLOCK,
            "Send me",
            kinds_element,
            optional=True,
            hint="Reminders in the Set's channel go to everyone, and are not changed here.",
        ),
        input_block(
            AWAY_BLOCK,
            "I'm away until",
            away,
            optional=True,
            hint="Your reminders wait until the day after; your facilitator hears you're away. "
            "Clear it when you're back.",
        ),
    ]
    return modal(REMINDERS_VIEW, "Your reminders", "Save", blocks, {"channel": channel_id})


def _select(options: list[dict[str, Any]], minute: int) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "options": options}
    chosen = [o for o in options if o["value"] == str(minute)]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def read_reminders(values: Mapping[str, Any]) -> ReminderChoice:
    """The choice as submitted; anything unreadable is left for `check_choice` to refuse."""
    ticked = element_of(values, KINDS_BLOCK).get("selected_options") or []
    picked = {o.get("value") for o in ticked}
    away = element_of(values, AWAY_BLOCK).get("selected_date")
    return ReminderChoice(
        reach_from=_minute(read_choice(values, FROM_BLOCK)),
        reach_until=_minute(read_choice(values, UNTIL_BLOCK)),
        receive=frozenset(k for k in ReminderKind if k.value in picked),
        away_until=_date(away),
    )


def _minute(value: str | None) -> int:
    return int(value) if value and value.isdigit() else -1


def _date(value: object) -> date | None:
    """A picked date, or None; a malformed one as the earliest day, which is refused."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return date.min


def error_block(refusal: Refusal) -> str:
    """The input a refusal belongs beside; a refusal about nothing in particular, the first."""
    return FIELD_BLOCKS[refusal.field] if isinstance(refusal, FieldRefusal) else FROM_BLOCK


def saved_reply(saved: Saved) -> Reply:
    """What they chose, in a few plain lines, and how to change it."""
    choice = saved.choice
    hours = (
        f"Saved. Private reminders reach you between {clock_words(choice.reach_from)} and "
        f"{clock_words(choice.reach_until)}, your time ({saved.timezone})."
    )
    wanted = [KIND_WORDS[k] for k in saved.offered if k in choice.receive]
    stopped = [KIND_WORDS[k] for k in saved.offered if k not in choice.receive]
    lines = [hours]
    if wanted:
        lines.append(f"You'll get {_listed(wanted)}.")
    if stopped:
        lines.append(f"You've stopped {_listed(stopped)}.")
    if choice.away_until is not None:
        told = " I've let your facilitator know." if saved.told else ""
        lines.append(
            f"You're away until {day(choice.away_until)}: your reminders wait until then.{told}"
        )
    text = " ".join(lines)
    return Reply(
        text=text,
        blocks=[section("\n".join(lines)), context("Change any of this with `/set reminders`.")],
    )


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def put_off_reply(put_off: PutOff) -> Reply:
    text = f"Not now, then. I'll bring this back {when(put_off.until, put_off.timezone)}."
    return Reply(text=text, blocks=[section(text)])


def stopped_reply(stopped: Stopped) -> Reply:
    text = f"Done: no more {KIND_WORDS[stopped.kind]}. To turn them back on, type `/set reminders`."
    return Reply(text=text, blocks=[section(text)])


def reminder_controls(reminder_id: int) -> Block:
    """The two buttons every private reminder ends with."""
    value = str(reminder_id)
    return actions(
        f"{CONTROLS_BLOCK_PREFIX}{value}",
        [
            button("Not now", action_id=NOT_NOW, value=value),
            button("Stop these", action_id=STOP_THESE, value=value),
        ],
    )


def with_reminder_controls(reply: Reply, reminder_id: int | None) -> Reply:
    """A private reminder as rendered, with its buttons; anything else as it was."""
    if reminder_id is None:
        return reply
    return Reply(text=reply.text, blocks=[*reply.blocks, reminder_controls(reminder_id)])


def reminders_blocks() -> list[Block]:
    """The App Home's way into the same modal as `/set reminders`."""
    return [
        section("*Your reminders:* when they may reach you, which kinds, and days you're away."),
        actions(OPEN_BLOCK, [button("Choose your reminders", action_id=OPEN_REMINDERS)]),
    ]


@render.register
def member_away(message: MemberAway) -> Reply:
    """To a facilitator: who is away, until when, and what that means for their reminders."""
    name = escape(message.set_name)
    text = (
        f"{mention(message.user_id)} is away until {day(message.away_until)}: their reminders "
        f"from *{name}* wait until then."
    )
    return Reply(
        text=f"A member of {name} is away until {day(message.away_until)}.",
        blocks=[section(text), context("Nothing to do: this is just so you know.")],
    )
