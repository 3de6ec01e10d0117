"""The private learning log in Slack: the question after a meeting, the modal, the Home list.

Everything here is shown only to the log's writer. Their words are escaped here, once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.flows.learning_log import (
    MAX_TEXT,
    NOTHING_WRITTEN,
    TOO_LONG,
    LogForm,
    LoggedLearning,
    LoggedReflection,
    LoggedReport,
    LogItem,
    LogPrompt,
    SavedEntry,
)
from bot.flows.schedule import format_local
from bot.flows.sharing import ShareTag
from bot.ui.blocks import Block, Reply, actions, button, context, header, section
from bot.ui.commitments import read_share, share_block, text_input
from bot.ui.forms import input_block, modal, read_text
from bot.ui.mrkdwn import clip, escape
from bot.ui.notices import render
from bot.ui.sharing import read_tag, tag_block

LOG_WRITE = "learning_log_write"
LOG_VIEW = "learning_log_view"
PROMPT_BLOCK = "learning_log_prompt"
ISSUE_BLOCK = "log_about_issue"
LEARNING_BLOCK = "log_about_learning"
SHARE_BLOCK = "log_share"
TAG_BLOCK = "log_tag"
# How much of one answer the Home tab quotes; the modal holds every word.
ANSWER_PREVIEW = 300
QUESTION = "What did you learn today — about your issue, and about how you learn?"
PRIVATE = "Only you can see your log, unless you choose to share an entry anonymously."
# The log's title and note on the Home tab, above its entries.
LOG_HEADING_BLOCKS = 2


@dataclass(frozen=True, kw_only=True)
class LogInput:
    about_issue: str
    about_learning: str
    share: bool
    tag: ShareTag | None


@render.register
def log_prompt_message(prompt: LogPrompt) -> Reply:
    """The private question after a meeting, with the one button that opens the log."""
    blocks = [
        section(
            f"*{QUESTION}*\nThank you for today's meeting of *{escape(prompt.set_name)}*. "
            "A line or two in your learning log helps the learning stay with you. "
            "It's optional, and you can come back to it later."
        ),
        actions(
            PROMPT_BLOCK,
            [
                button(
                    "Write in my log",
                    action_id=LOG_WRITE,
                    value=str(prompt.meeting_id),
                    style="primary",
                )
            ],
        ),
        context(PRIVATE),
    ]
    return Reply(text=QUESTION, blocks=blocks)


def log_modal(form: LogForm, *, channel_id: str) -> dict[str, Any]:
    """Two optional answers (one is needed), consent to share, and a tag; prefilled on a return."""
    when = format_local(form.held_at, form.timezone) if form.held_at else "today's meeting"
    blocks = [
        section(f"Your learning log for *{escape(form.set_name)}*, {when}. {PRIVATE}"),
        input_block(
            ISSUE_BLOCK,
            "What did you learn about your issue?",
            text_input(initial=form.about_issue),
            optional=True,
        ),
        input_block(
            LEARNING_BLOCK,
            "What did you learn about how you learn?",
            text_input(initial=form.about_learning),
            hint="Your strengths, what you'd do differently, what surprised you.",
            optional=True,
        ),
        share_block(
            SHARE_BLOCK,
            initially=False,
            hint="Left unticked, it stays in your log for you alone. If you tick it, you'll "
            "see exactly what would be shared before anything goes.",
        ),
        tag_block(TAG_BLOCK, initial=form.tag),
    ]
    metadata = {"channel": channel_id, "meeting": form.meeting_id}
    return modal(LOG_VIEW, "My learning log", "Save", blocks, metadata)


def read_log(values: Mapping[str, Any]) -> tuple[LogInput, dict[str, str]]:
    """The entry as typed, and any problem beside its box."""
    typed = LogInput(
        about_issue=read_text(values, ISSUE_BLOCK),
        about_learning=read_text(values, LEARNING_BLOCK),
        share=read_share(values, SHARE_BLOCK),
        tag=read_tag(values, TAG_BLOCK),
    )
    errors = {
        block: TOO_LONG
        for block, text in (
            (ISSUE_BLOCK, typed.about_issue),
            (LEARNING_BLOCK, typed.about_learning),
        )
        if len(text) > MAX_TEXT
    }
    if not typed.about_issue and not typed.about_learning:
        errors[ISSUE_BLOCK] = NOTHING_WRITTEN
    return typed, errors


def meeting_of(private_metadata: str) -> int:
    """The meeting a learning-log modal is about."""
    return int(json.loads(private_metadata)["meeting"])


def saved_reply(saved: SavedEntry) -> Reply:
    """The private thank-you once an entry is kept."""
    done = "I've updated your learning log" if saved.updated else "It's in your learning log"
    text = (
        f"{done} for *{escape(saved.set_name)}*. Only you can see it: it's on setbot's Home "
        "tab whenever you want to look back."
    )
    return Reply(text=f"{done}.", blocks=[section(text)])


def log_blocks(items: Sequence[LogItem]) -> list[Block]:
    """ "My learning log" on the Home tab: newest first, each with the Set and the day."""
    blocks: list[Block] = [header("My learning log"), context(PRIVATE)]
    if not items:
        blocks.append(
            section(
                "Nothing yet. After each meeting you'll be asked what you learned; your "
                "report backs and reflections gather here too."
            )
        )
    for item in items:
        blocks.append(_item_block(item))
    return blocks


def _item_block(item: LogItem) -> Block:
    when = f"*{escape(item.set_name)}* · {format_local(item.at, item.timezone)}"
    if isinstance(item, LoggedLearning):
        lines = [
            f"{when} · what I learned",
            *_answer("About my issue", item.about_issue),
            *_answer("About how I learn", item.about_learning),
            _sharing(item.shared, item.withheld_reason, item.tag),
        ]
        block = section("\n".join(line for line in lines if line))
        block["accessory"] = button("Change", action_id=LOG_WRITE, value=str(item.meeting_id))
        return block
    if isinstance(item, LoggedReport):
        lines = [
            f"{when} · report back on “{escape(clip(item.action, ANSWER_PREVIEW))}”",
            *_answer("What happened", item.happened),
            *_answer("What I learned", item.learned),
            _sharing(item.shared, item.withheld_reason, None),
        ]
        return section("\n".join(line for line in lines if line))
    assert isinstance(item, LoggedReflection)
    lines = [
        f"{when} · how the process worked: *{item.score}* out of 5",
        *_answer("What helped", item.helped),
        *_answer("What should change", item.change),
        "_May be shared anonymously_" if item.shared else "",
    ]
    return section("\n".join(line for line in lines if line))


def _answer(label: str, text: str) -> list[str]:
    return [f"_{label}:_ {escape(clip(' '.join(text.split()), ANSWER_PREVIEW))}"] if text else []


def _sharing(shared: bool, withheld_reason: str | None, tag: ShareTag | None) -> str:
    if withheld_reason is not None:
        return f"_Kept out of the organisation report: {escape(withheld_reason)}_"
    if not shared:
        return ""
    return "_Shared anonymously_" + (f" · {tag.label}" if tag else "")
