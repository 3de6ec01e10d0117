"""A round in Slack: a root message updated in place, and its phases told in the thread.

What a change to a round says was owed in the outbox with the change itself
(bot.flows.owed_posts); here it is sent at once, within the request, so the store and
the channel agree even when the process dies half-way.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.delivery import SlackMessenger
from bot.deps import Deps
from bot.flows.outbox import dispatch_now
from bot.flows.owed_posts import meeting_prefix, round_prefix
from bot.flows.rounds import ClosedRound, PhaseChange, RoundView
from bot.ui.async_rounds import undo_note, undone
from bot.ui.rounds import round_root


def post_round(client: WebClient, deps: Deps, *, team_id: str, view: RoundView) -> None:
    """The root message opens the thread the whole round runs in; its first prompt follows."""
    announce(client, deps, team_id=team_id, prefix=round_prefix(view.set_id, view.round_id))


def show_change(
    client: WebClient,
    deps: Deps,
    change: PhaseChange,
    *,
    team_id: str,
    mover: str | None = None,
) -> None:
    """The root and the thread show the new phase; whoever moved it may undo, privately."""
    post_round(client, deps, team_id=team_id, view=change.round)
    view = change.round
    if change.closed is None and mover is not None and change.move_id is not None:
        note = undo_note(change)
        client.chat_postEphemeral(
            channel=view.channel_id,
            user=mover,
            thread_ts=view.thread_ts,
            text=note.text,
            blocks=note.blocks,
        )


def show_closed(client: WebClient, deps: Deps, closed: ClosedRound, *, team_id: str) -> None:
    """Thank the presenter in the thread; if no action was recorded, ask them privately."""
    post_round(client, deps, team_id=team_id, view=closed.round)


def announce_meeting(
    client: WebClient, deps: Deps, *, team_id: str, set_id: int, meeting_id: int
) -> None:
    """A meeting's card as it starts, or its summary and reflection prompt as it ends."""
    announce(client, deps, team_id=team_id, prefix=meeting_prefix(set_id, meeting_id))


def announce(client: WebClient, deps: Deps, *, team_id: str, prefix: str) -> None:
    dispatch_now(deps.store, SlackMessenger(client), deps.clock, team_id=team_id, prefix=prefix)


def show_undone(client: WebClient, view: RoundView) -> None:
    refresh_root(client, view)
    said = undone(view)
    client.chat_postMessage(
        channel=view.channel_id, thread_ts=view.thread_ts, text=said.text, blocks=said.blocks
    )


def refresh_root(client: WebClient, view: RoundView) -> None:
    if view.thread_ts:
        root = round_root(view)
        client.chat_update(
            channel=view.channel_id, ts=view.thread_ts, text=root.text, blocks=root.blocks
        )
