"""A round in Slack: a root message updated in place, and its phases told in the thread."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import rounds
from bot.flows.outlines import discard_outline
from bot.flows.rounds import ClosedRound, PhaseChange, RoundView
from bot.ui.async_rounds import undo_note, undone
from bot.ui.outlines import outline_post
from bot.ui.rounds import ask_for_commitment, phase_prompt, round_closed, round_root


def post_round(client: WebClient, deps: Deps, *, team_id: str, view: RoundView) -> None:
    """The root message opens the thread the whole round runs in."""
    root = round_root(view)
    posted = client.chat_postMessage(channel=view.channel_id, text=root.text, blocks=root.blocks)
    thread_ts = str(posted["ts"])
    rounds.set_round_thread(
        deps.store, team_id=team_id, round_id=view.round_id, thread_ts=thread_ts
    )
    if view.outline is not None:
        outline = outline_post(view.presenter, view.outline)
        client.chat_postMessage(
            channel=view.channel_id, thread_ts=thread_ts, text=outline.text, blocks=outline.blocks
        )
        discard_outline(
            deps.store, team_id=team_id, meeting_id=view.meeting_id, user_id=view.presenter
        )
    prompt = phase_prompt(view)
    client.chat_postMessage(
        channel=view.channel_id, thread_ts=thread_ts, text=prompt.text, blocks=prompt.blocks
    )


def show_change(client: WebClient, change: PhaseChange, *, mover: str | None = None) -> None:
    """The root and the thread show the new phase; whoever moved it may undo, privately."""
    if change.closed is not None:
        show_closed(client, change.closed)
        return
    view = change.round
    refresh_root(client, view)
    prompt = phase_prompt(view)
    client.chat_postMessage(
        channel=view.channel_id, thread_ts=view.thread_ts, text=prompt.text, blocks=prompt.blocks
    )
    if mover is not None and change.move_id is not None:
        note = undo_note(change)
        client.chat_postEphemeral(
            channel=view.channel_id,
            user=mover,
            thread_ts=view.thread_ts,
            text=note.text,
            blocks=note.blocks,
        )


def show_undone(client: WebClient, view: RoundView) -> None:
    refresh_root(client, view)
    said = undone(view)
    client.chat_postMessage(
        channel=view.channel_id, thread_ts=view.thread_ts, text=said.text, blocks=said.blocks
    )


def show_closed(client: WebClient, closed: ClosedRound) -> None:
    """Thank the presenter in the thread; if no action was recorded, ask them privately."""
    view = closed.round
    refresh_root(client, view)
    said = round_closed(closed)
    client.chat_postMessage(
        channel=view.channel_id, thread_ts=view.thread_ts, text=said.text, blocks=said.blocks
    )
    if not closed.committed:
        ask = ask_for_commitment(closed)
        client.chat_postEphemeral(
            channel=view.channel_id,
            user=view.presenter,
            thread_ts=view.thread_ts,
            text=ask.text,
            blocks=ask.blocks,
        )


def refresh_root(client: WebClient, view: RoundView) -> None:
    if view.thread_ts:
        root = round_root(view)
        client.chat_update(
            channel=view.channel_id, ts=view.thread_ts, text=root.text, blocks=root.blocks
        )
