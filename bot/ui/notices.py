"""Rendering what the outbox delivers: one renderer per kind of message, by its type."""

from __future__ import annotations

from functools import singledispatch

from bot.ui.blocks import Reply


@singledispatch
def render(message: object) -> Reply:
    """Each flow's message type registers its renderer with `@render.register`."""
    raise TypeError(f"no renderer for {type(message).__name__}")
