"""What Slack would read as mrkdwn in a layout: where mentions ping and links are made.

plain_text (headers, buttons, modal labels) is never parsed for mentions, so a test of
escaping looks only at these.
"""

from __future__ import annotations

from typing import Any


def mrkdwn_texts(layout: Any) -> list[str]:
    """Every mrkdwn string in a Reply, a message, a view or a list of blocks, plus `text`."""
    if hasattr(layout, "blocks"):
        return [layout.text, *mrkdwn_texts(layout.blocks)]
    found: list[str] = []
    if isinstance(layout, dict):
        if layout.get("type") == "mrkdwn" and isinstance(layout.get("text"), str):
            found.append(layout["text"])
        for value in layout.values():
            found += mrkdwn_texts(value)
    elif isinstance(layout, list):
        for item in layout:
            found += mrkdwn_texts(item)
    return found
