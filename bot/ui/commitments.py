"""Actions in Slack: the commit modal, the post in the round's thread, `/action`, report back.

Everything a member typed (their action, how they'll know, what happened) is escaped
here, once, where it meets mrkdwn; modal fields are plain text and need none. Problems
come back keyed by block id, ready for Slack's `response_action: errors`.

The form helpers at the bottom are shared with the reflection modal, which asks the same
"may this be shared?" question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.flows.access import Refusal
from bot.flows.commitments import (
    MAX_TEXT,
    CommitmentForm,
    CommitmentReminder,
    CommitmentView,
    Field,
    FieldRefusal,
    check_commitment,
    check_drop,
    check_report,
)
from bot.flows.sharing import ShareTag
from bot.store.models import CommitmentStatus
from bot.ui.blocks import Block, Reply, actions, button, context, header, section
from bot.ui.forms import (
    element_of,
    input_block,
    modal,
    option,
    plain,
    read_choice,
    read_text,
)
from bot.ui.mrkdwn import clip, escape, mention
from bot.ui.notices import render
from bot.ui.sharing import read_tag, tag_block

COMMIT_VIEW = "action_commit_view"
REPORT_VIEW = "action_report_view"
DROP_VIEW = "action_drop_view"
REPORT_BACK = "action_report_back"
STILL_WORKING = "action_still_working"
DROP_ACTION = "action_drop"

SET_BLOCK = "action_set"
TEXT_BLOCK = "action_text"
DUE_BLOCK = "action_due_on"
MEASURE_BLOCK = "action_success_measure"
HAPPENED_BLOCK = "report_happened"
LEARNED_BLOCK = "report_learned"
REPORT_SHARE_BLOCK = "report_share"
REPORT_TAG_BLOCK = "report_tag"
REASON_BLOCK = "drop_reason"
# Each listed action's buttons sit in their own block: `action_buttons_<commitment id>`.
BUTTONS_BLOCK_PREFIX = "action_buttons_"

# Slack's limits for modal text (https://docs.slack.dev/reference/views/modal-views).
# How much of someone's action a message quotes: a list of twenty still fits Slack's limits.
QUOTE_LIMIT = 2000
LIST_QUOTE_LIMIT = 300
SHARE_VALUE = "share"
PLACEHOLDER_LIMIT = 150

_BLOCK_FOR_FIELD = {
    Field.SET: SET_BLOCK,
    Field.TEXT: TEXT_BLOCK,
    Field.DUE_ON: DUE_BLOCK,
    Field.MEASURE: MEASURE_BLOCK,
    Field.HAPPENED: HAPPENED_BLOCK,
    Field.LEARNED: LEARNED_BLOCK,
    Field.REASON: REASON_BLOCK,
}
_FINISHED = {CommitmentStatus.REPORTED: "reported back", CommitmentStatus.DROPPED: "dropped"}


@dataclass(frozen=True, kw_only=True)
class CommitmentInput:
    """What the commit modal held; `set_id` only when the member had a Set to pick."""

    set_id: int | None
    text: str
    due_on: date | None
    success_measure: str


@dataclass(frozen=True, kw_only=True)
class ReportInput:
    happened: str
    learned: str
    share: bool
    tag: ShareTag | None = None


def commitment_modal(form: CommitmentForm, *, channel_id: str) -> dict[str, Any]:
    """What will you do, by when, and how will you know it worked?"""
    blocks: list[Block] = [section(_commit_intro(form))]
    if form.choices:
        options = [option(choice.name, str(choice.set_id)) for choice in form.choices]
        picker = {"type": "static_select", "options": options}
        blocks.append(input_block(SET_BLOCK, "Which Set is this action for?", picker))
    due: dict[str, Any] = {"type": "datepicker"}
    if form.default_due:
        due["initial_date"] = form.default_due.isoformat()
    blocks += [
        input_block(
            TEXT_BLOCK,
            "What will you do?",
            text_input(placeholder="e.g. Ask my manager for one protected hour a week"),
            hint="One concrete step you can take before the Set meets again.",
        ),
        input_block(DUE_BLOCK, "By when?", due, hint=_due_hint(form), optional=True),
        input_block(
            MEASURE_BLOCK,
            "How will you know it worked?",
            text_input(),
            hint="What will you see or hear if it worked?",
            optional=True,
        ),
    ]
    metadata = {"channel": channel_id, "round": form.round_id}
    return modal(COMMIT_VIEW, "Commit to an action", "Commit", blocks, metadata)


def _commit_intro(form: CommitmentForm) -> str:
    where = f" for *{escape(form.set_name)}*" if form.set_name else ""
    return (
        f"Decide what you'll do next{where}. At the next meeting the Set will ask "
        "what happened when you took action."
    )


def _due_hint(form: CommitmentForm) -> str:
    if form.default_due:
        return "Set to the day before the next meeting. I'll remind you halfway and on the day."
    if form.choices:
        return "Left empty, it's the day before that Set's next meeting. I'll remind you on it."
    return "The Set has no more meetings planned. Pick a day and I'll remind you on it."


def read_commitment(values: Mapping[str, Any]) -> tuple[CommitmentInput, dict[str, str]]:
    """`view.state.values` as Slack sends it, and every problem by block id."""
    typed = CommitmentInput(
        set_id=_whole_number(read_choice(values, SET_BLOCK)),
        text=read_text(values, TEXT_BLOCK),
        due_on=_day_picked(values, DUE_BLOCK),
        success_measure=read_text(values, MEASURE_BLOCK),
    )
    problems = check_commitment(text=typed.text, success_measure=typed.success_measure)
    errors = {_BLOCK_FOR_FIELD[field]: problem for field, problem in problems.items()}
    if SET_BLOCK in values and typed.set_id is None:
        errors[SET_BLOCK] = "Pick the Set this action is for."
    return typed, errors


def round_of(private_metadata: str) -> int | None:
    """The round a commit modal was opened from, if any."""
    found = json.loads(private_metadata).get("round")
    return int(found) if found is not None else None


def commitment_of(private_metadata: str) -> int:
    """The commitment a Report back or Drop modal is about."""
    return int(json.loads(private_metadata)["commitment"])


def error_block(refusal: Refusal, view: Mapping[str, Any]) -> str:
    """Where in this modal a refusal belongs: beside its field, or else the first input."""
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"]
    if isinstance(refusal, FieldRefusal) and _BLOCK_FOR_FIELD[refusal.field] in inputs:
        return _BLOCK_FOR_FIELD[refusal.field]
    return inputs[0]


def report_back_modal(view: CommitmentView, *, channel_id: str) -> dict[str, Any]:
    """What happened, what I learned, and may it be shared beyond the Set (no, unless ticked)."""
    blocks = [
        section(f"*{escape(view.set_name)}* — you committed to:\n{_quote(view.text)}"),
        input_block(
            HAPPENED_BLOCK,
            "What happened?",
            text_input(placeholder="What did you do, and what came of it?"),
            hint="It's fine if it didn't go to plan: that is often where the learning is.",
        ),
        input_block(LEARNED_BLOCK, "What did you learn?", text_input(), optional=True),
        share_block(
            REPORT_SHARE_BLOCK,
            initially=False,
            hint="Left unticked, it stays within the Set. If you tick it, you'll see exactly "
            "what would be shared, without your name, before anything goes.",
        ),
        tag_block(REPORT_TAG_BLOCK, initial=None),
    ]
    metadata = {"channel": channel_id, "commitment": view.commitment_id}
    return modal(REPORT_VIEW, "Report back", "Save", blocks, metadata)


def read_report_back(values: Mapping[str, Any]) -> tuple[ReportInput, dict[str, str]]:
    typed = ReportInput(
        happened=read_text(values, HAPPENED_BLOCK),
        learned=read_text(values, LEARNED_BLOCK),
        share=read_share(values, REPORT_SHARE_BLOCK),
        tag=read_tag(values, REPORT_TAG_BLOCK),
    )
    problems = check_report(happened=typed.happened, learned=typed.learned)
    return typed, {_BLOCK_FOR_FIELD[field]: problem for field, problem in problems.items()}


def drop_modal(view: CommitmentView, *, channel_id: str) -> dict[str, Any]:
    """Letting an action go is allowed; saying why turns it into something learned."""
    blocks = [
        section(
            f"You're dropping this action for *{escape(view.set_name)}*:\n{_quote(view.text)}\n"
            "That's fine: plans change. A line on why helps you and the Set learn from it."
        ),
        input_block(REASON_BLOCK, "Why are you dropping it?", text_input()),
    ]
    metadata = {"channel": channel_id, "commitment": view.commitment_id}
    return modal(DROP_VIEW, "Drop this action", "Drop it", blocks, metadata)


def read_drop(values: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    reason = read_text(values, REASON_BLOCK)
    problems = check_drop(reason=reason)
    return reason, {_BLOCK_FOR_FIELD[field]: problem for field, problem in problems.items()}


def commitment_posted(view: CommitmentView) -> Reply:
    """For the round's thread: the Set hears the commitment it will ask about next time."""
    lines = [f"{mention(view.user_id)} commits to: {_quote(view.text)}"]
    if view.due_on:
        lines.append(f"*By:* {day(view.due_on)}")
    if view.success_measure:
        lines.append(f"*How they'll know it worked:* {_quote(view.success_measure)}")
    blocks = [
        section("\n".join(lines)),
        context(
            "At the next meeting the Set will ask what happened. "
            "Report back any time with `/action`."
        ),
    ]
    return Reply(text=f"{mention(view.user_id)} has committed to an action.", blocks=blocks)


def commitment_saved(view: CommitmentView) -> Reply:
    """A private thank-you when an action was recorded outside a round."""
    lines = [f"Your action for *{escape(view.set_name)}* is recorded:", _quote(view.text)]
    if view.due_on:
        lines.append(f"Due {day(view.due_on)}: I'll remind you halfway and on the day.")
    lines.append("Type `/action` to report back whenever you're ready.")
    text = "\n".join(lines)
    return Reply(text=text, blocks=[section(text)])


def my_commitments_card(views: list[CommitmentView]) -> Reply:
    """`/action`: each open action with its buttons, then what was finished lately."""
    if not views:
        text = (
            "You have no actions yet. When you present in a round you'll be asked what you "
            "will do, or you can record an action now with `/action new`."
        )
        return Reply(text=text, blocks=[section(text)])
    blocks: list[Block] = [header("Your actions")]
    for view in (v for v in views if v.status not in _FINISHED):
        blocks.append(section(action_line(view)))
        if view.actionable:
            blocks.append(actions(f"{BUTTONS_BLOCK_PREFIX}{view.commitment_id}", _buttons(view)))
    finished = [v for v in views if v.status in _FINISHED]
    if finished:
        lines = (f"• {_quote(v.text, LIST_QUOTE_LIMIT)} — {_FINISHED[v.status]}" for v in finished)
        blocks.append(section("*Finished lately*\n" + "\n".join(lines)))
    blocks.append(context("Made a new plan? Record it with `/action new`."))
    return Reply(text="Your actions, and a button to report back on each.", blocks=blocks)


def action_line(view: CommitmentView) -> str:
    """One open action as `/action` and the App Home list it: Set, due date, state, words."""
    facts = [f"*{escape(view.set_name)}*"]
    if view.due_on:
        facts.append(f"due {day(view.due_on)}" + (" — *overdue*" if view.overdue else ""))
    if view.status == CommitmentStatus.WORKING:
        facts.append("you're working on it")
    if not view.actionable:
        facts.append("the Set has closed")
    return " · ".join(facts) + f"\n{_quote(view.text, LIST_QUOTE_LIMIT)}"


def _buttons(view: CommitmentView, *, with_drop: bool = True) -> list[dict[str, Any]]:
    value = str(view.commitment_id)
    found = [
        button("Report back", action_id=REPORT_BACK, value=value, style="primary"),
        button("Still working on it", action_id=STILL_WORKING, value=value),
    ]
    if with_drop:
        found.append(button("Drop it", action_id=DROP_ACTION, value=value))
    return found


def reported_reply(view: CommitmentView) -> Reply:
    shared = (
        "You've said it may be shared anonymously with the organisation."
        if view.share_consent
        else "It stays within the Set."
    )
    text = (
        f"Thank you for reporting back on “{_quote(view.text, LIST_QUOTE_LIMIT)}”. {shared} "
        "You can tell the Set more at your next round."
    )
    return Reply(text=text, blocks=[section(text)])


def working_reply(view: CommitmentView) -> Reply:
    parts = [f"Noted: you're still working on “{_quote(view.text, LIST_QUOTE_LIMIT)}”."]
    if view.due_on and not view.overdue:
        parts.append(f"I'll check in again on {day(view.due_on)}.")
    parts.append("Report back with `/action` whenever you're ready.")
    text = " ".join(parts)
    return Reply(text=text, blocks=[section(text)])


def dropped_reply(view: CommitmentView) -> Reply:
    text = (
        f"Done: “{_quote(view.text, LIST_QUOTE_LIMIT)}” is dropped, and there'll be no more "
        "reminders about it. Thank you for saying why."
    )
    return Reply(text=text, blocks=[section(text)])


@render.register
def reminder_message(reminder: CommitmentReminder) -> Reply:
    """The direct message a nudge arrives as, with a way to answer it there and then."""
    view = reminder.commitment
    quoted = _quote(view.text, QUOTE_LIMIT)
    set_name = escape(view.set_name)
    if reminder.due_today:
        opening = f"Today's the day you planned for your action in *{set_name}*:\n{quoted}"
        ask = "What happened? Report back, or let me know you're still working on it."
    else:
        due = f" It's due {day(view.due_on)}." if view.due_on else ""
        opening = f"How's your action for *{set_name}* going?\n{quoted}\n{due.strip()}"
        ask = "Report back if it's done, or tell me you're still working on it."
    blocks = [
        section(opening.strip()),
        section(ask),
        actions(f"{BUTTONS_BLOCK_PREFIX}{view.commitment_id}", _buttons(view, with_drop=False)),
    ]
    return Reply(text=f"A reminder about your action for {set_name}.", blocks=blocks)


def day(when: date) -> str:
    """A due date as members read it: "Mon 1 Feb 2027"."""
    return f"{when:%a} {when.day} {when:%b %Y}"


def _quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Someone's words, shortened (before escaping, so no entity is cut) and escaped once."""
    return escape(clip(text.strip(), limit))


# Form helpers, shared with the reflection modal.


def text_input(*, initial: str = "", placeholder: str = "") -> dict[str, Any]:
    """A multi-line answer as long as the column that keeps it."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": MAX_TEXT,
    }
    if initial:
        element["initial_value"] = clip(initial, MAX_TEXT)
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_LIMIT)
    return element


def share_block(
    block_id: str,
    *,
    initially: bool,
    hint: str = "Left unticked, it stays within the Set. Anything shared never carries your name.",
) -> Block:
    """Consent to share beyond the Set: unticked unless the member ticked it before."""
    choice = option("Yes, it may be shared anonymously", SHARE_VALUE)
    element: dict[str, Any] = {"type": "checkboxes", "options": [choice]}
    if initially:
        element["initial_options"] = [choice]
    return input_block(
        block_id,
        "May this be shared anonymously with the organisation?",
        element,
        hint=hint,
        optional=True,
    )


def read_share(values: Mapping[str, Any], block_id: str) -> bool:
    picked = element_of(values, block_id).get("selected_options") or []
    return any(choice.get("value") == SHARE_VALUE for choice in picked)


def _day_picked(values: Mapping[str, Any], block_id: str) -> date | None:
    picked = element_of(values, block_id).get("selected_date")
    try:
        return date.fromisoformat(picked) if picked else None
    except ValueError:
        return None


def _whole_number(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None
