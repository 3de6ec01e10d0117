"""What the outbox delivers: a Notice says to whom, where and what, as plain data.

Each kind of outbox row has a composer, registered by the flow that owes it, which
reads the store at delivery time and says what to send now, or None when the moment
has passed or the reason has gone (a meeting reminder after the meeting has started).
The Slack side renders a Notice's `message` by its type (bot/ui/notices.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.store.models import OutboxMessage


@dataclass(frozen=True, kw_only=True)
class Notice:
    """In `channel` for all (thread_ts: in that thread), or to `user` privately.

    With both channel and user set, only that user sees it (an ephemeral message);
    with only `user`, it arrives as a direct message from setbot. With `replace_ts`, the
    channel's message at that ts is updated in place instead (a round's root message).
    """

    message: object
    channel: str | None = None
    user: str | None = None
    thread_ts: str | None = None
    # A private reminder's outbox row, for its "Not now" and "Stop these" buttons.
    reminder_id: int | None = None
    replace_ts: str | None = None
    # The workspace it is for: installed to many, each workspace's own bot token sends it.
    team_id: str | None = None


Composer = Callable[[Session, OutboxMessage, datetime], Notice | None]
# Told where a delivered message landed (its Slack ts), in the same unit of work that
# marks the row sent: a round's root message becomes the thread the round runs in.
AfterSent = Callable[[Session, OutboxMessage, str, datetime], None]

COMPOSERS: dict[str, Composer] = {}
AFTER_SENT: dict[str, AfterSent] = {}


def composer(kind: str) -> Callable[[Composer], Composer]:
    """Register how to compose the outbox rows of `kind` (one composer per kind)."""

    def register(compose: Composer) -> Composer:
        if kind in COMPOSERS:
            raise ValueError(f"two composers for outbox kind {kind!r}")
        COMPOSERS[kind] = compose
        return compose

    return register


def after_sent(kind: str) -> Callable[[AfterSent], AfterSent]:
    """Register what to do with the ts of a delivered row of `kind`."""

    def register(hook: AfterSent) -> AfterSent:
        if kind in AFTER_SENT:
            raise ValueError(f"two after-sent hooks for outbox kind {kind!r}")
        AFTER_SENT[kind] = hook
        return hook

    return register
