"""Sharing with eyes open, in Slack: the tag choice, the preview, and the facilitator's review.

A member who ticks "share" sees, before anything is shared, a modal with exactly the
anonymised words that would go out; "Share this" consents, "Keep private" (the close
button) leaves them in their own log, where they are already saved. The Set's
facilitators then get the same anonymised words privately, never the writer's name, with
a button to keep them out of the organisation report; the writer is told the reason.

Members' words are escaped here, once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.flows.access import Refusal
from bot.flows.sharing import (
    MAX_REASON,
    SharedPart,
    SharePreview,
    ShareReview,
    ShareTag,
    Source,
    Withheld,
    WithholdForm,
    check_reason,
    tag_of,
)
from bot.ui.blocks import Block, Reply, actions, button, context, section
from bot.ui.forms import TITLE_LIMIT, input_block, modal, option, plain, read_choice, read_text
from bot.ui.mrkdwn import clip, escape

SHARE_VIEW = "share_confirm_view"
WITHHOLD = "share_withhold"
WITHHOLD_VIEW = "share_withhold_view"
WITHHOLD_BLOCK = "share_withhold_actions"
REASON_BLOCK = "withhold_reason"
# One shared answer as a preview quotes it: both answers of an item fit one message.
PART_PREVIEW = 1400
_BAD_ITEM = "I couldn't tell which learning that was. Open it again from your Home tab."


def tag_block(block_id: str, *, initial: ShareTag | None) -> Block:
    """The optional "what is this for the organisation?" choice, with each tag's label."""
    options = [option(tag.label, tag.value) for tag in ShareTag]
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain("Choose one, if you like", 150),
        "options": options,
    }
    if initial is not None:
        element["initial_option"] = options[list(ShareTag).index(initial)]
    return input_block(
        block_id,
        "What is this for the organisation?",
        element,
        hint="Only used if you share it: it helps the organisation see where practice, "
        "training or a policy could change.",
        optional=True,
    )


def read_tag(values: Mapping[str, Any], block_id: str) -> ShareTag | None:
    return tag_of(read_choice(values, block_id))


def item_value(source: Source, item_id: int) -> str:
    """What a button or a modal carries to name a shared item: a pointer, never trusted."""
    return f"{source}:{item_id}"


def read_item(value: str) -> tuple[Source, int]:
    """A button's or modal's item back; the flow checks who may act on it."""
    kind, _, number = value.partition(":")
    if kind not in {s.value for s in Source} or not number.isdigit():
        raise Refusal(_BAD_ITEM)
    return Source(kind), int(number)


def share_preview_modal(preview: SharePreview, *, channel_id: str) -> dict[str, Any]:
    """Exactly what would go out, before the member consents: "Share this" or "Keep private"."""
    blocks: list[Block] = [
        section(
            f"This is exactly what the organisation would see from *{escape(preview.set_name)}*, "
            "with names, mentions and Slack ids taken out:"
        ),
        *(section(_part(part)) for part in preview.parts),
    ]
    if preview.tag is not None:
        blocks.append(context(f"Marked as: *{preview.tag.label}*"))
    blocks.append(
        context(
            "Your words are already saved, privately. “Share this” sends the text above, "
            "never your name; your facilitator reads it first and may keep it out of the "
            "report, telling you why. “Keep private” keeps it just for you."
        )
    )
    metadata = {
        "channel": channel_id,
        "item": item_value(preview.source, preview.item_id),
        "tag": preview.tag.value if preview.tag else None,
    }
    view = modal(SHARE_VIEW, "Share anonymously?", "Share this", blocks, metadata)
    view["close"] = plain("Keep private", TITLE_LIMIT)
    return view


def share_target(private_metadata: str) -> tuple[Source, int, ShareTag | None]:
    """The item and tag a preview modal is about."""
    found = json.loads(private_metadata)
    source, item_id = read_item(str(found.get("item", "")))
    return source, item_id, tag_of(found.get("tag"))


def shared_reply(review: ShareReview) -> Reply:
    """To the member: it's shared, and what happens next."""
    text = (
        f"Thank you: your learning from *{escape(review.set_name)}* is shared anonymously. "
        "Your facilitator reads it first and may keep it out of the organisation report; "
        "if they do, I'll tell you why. It stays in your own log either way."
    )
    return Reply(text="Thank you: your learning is shared anonymously.", blocks=[section(text)])


def review_message(review: ShareReview) -> Reply:
    """To each facilitator: the anonymised words as the organisation would read them."""
    blocks: list[Block] = [
        section(
            f"A member of *{escape(review.set_name)}* has shared a learning with the "
            "organisation. This is how it would appear in the report:"
        ),
        *(section(_part(part)) for part in review.parts),
    ]
    if review.tag is not None:
        blocks.append(context(f"Marked as: *{review.tag.label}*"))
    blocks += [
        actions(
            WITHHOLD_BLOCK,
            [
                button(
                    "Withhold from the organisation report",
                    action_id=WITHHOLD,
                    value=item_value(review.source, review.item_id),
                )
            ],
        ),
        context(
            "Nothing to do if it's fine to share. If it could identify someone or should stay "
            "in the Set, withhold it: the member will be told your reason."
        ),
    ]
    return Reply(
        text=f"A learning shared from {escape(review.set_name)}, for you to read.", blocks=blocks
    )


def withhold_modal(form: WithholdForm, *, channel_id: str) -> dict[str, Any]:
    """Why keep it out? The reason is required, and the member reads it."""
    blocks: list[Block] = [
        section(
            f"You're keeping a learning shared from *{escape(form.set_name)}* out of the "
            "organisation report. It stays in the member's own log."
        ),
        input_block(
            REASON_BLOCK,
            "Why keep it out of the report?",
            {"type": "plain_text_input", "multiline": True, "max_length": MAX_REASON},
            hint="The member is told this, privately. Be kind and specific.",
        ),
    ]
    metadata = {"channel": channel_id, "item": item_value(form.source, form.item_id)}
    return modal(WITHHOLD_VIEW, "Withhold from report", "Withhold", blocks, metadata)


def withhold_target(private_metadata: str) -> tuple[Source, int]:
    return read_item(str(json.loads(private_metadata).get("item", "")))


def read_reason(values: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    reason = read_text(values, REASON_BLOCK)
    problem = check_reason(reason)
    return reason, {REASON_BLOCK: problem} if problem else {}


def withheld_notice(withheld: Withheld) -> Reply:
    """To the member, kindly: what was kept out, and why."""
    quoted = "\n".join(_part(part) for part in withheld.parts)
    text = (
        f"Your facilitator in *{escape(withheld.set_name)}* has kept this learning out of the "
        f"organisation report:\n{quoted}\n*Their reason:* {escape(withheld.reason)}\n"
        "It stays in your own log, and nothing else changes. If you'd like to talk it "
        "through, have a word with them."
    )
    return Reply(
        text="Your facilitator has kept one of your shared learnings out of the report.",
        blocks=[section(text)],
    )


def withheld_reply(withheld: Withheld) -> Reply:
    """To the facilitator: done, and the member knows why."""
    text = (
        f"Done: it's kept out of the organisation report for *{escape(withheld.set_name)}*. "
        "I've told the member privately, with your reason."
    )
    return Reply(text="Done: it's kept out of the organisation report.", blocks=[section(text)])


def _part(part: SharedPart) -> str:
    """One answer under its question, quoted on one line."""
    words = escape(clip(" ".join(part.text.split()), PART_PREVIEW))
    return f"*{part.question.capitalize()}*\n>{words}"
