"""Safe text for Slack: every piece of user text passes through `escape` exactly once, here.

Slack's mrkdwn treats `&`, `<` and `>` as control characters: left alone, a member's
text could ping `@channel`, forge a mention or a link, or break the layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.flows.forget import is_forgotten

# Slack's published limits, named so layouts are built within them.
SECTION_TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40_000
BLOCKS_PER_MESSAGE = 50
BLOCKS_PER_VIEW = 100


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut, so Slack never rejects a layout."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote_back(text: str, limit: int = 40) -> str:
    """What someone typed, echoed inside a reply: short, single-line, escaped."""
    flat = " ".join(text.split()).replace("`", "'")
    return escape(clip(flat, limit))


def mention(user_id: str) -> str:
    """A person as Slack shows them; someone setbot was asked to forget stays unnamed."""
    return "a former member" if is_forgotten(user_id) else f"<@{user_id}>"


def mentions(user_ids: Sequence[str], nobody: str = "no one") -> str:
    """People as Slack mentions, or `nobody` when there are none."""
    return ", ".join(mention(u) for u in user_ids) or nobody
