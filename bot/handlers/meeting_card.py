"""The meeting card is one message, updated in place as people check in and turns move."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.flows.meetings import MeetingCard
from bot.ui.meeting import meeting_card_blocks


def refresh_card(client: WebClient, card: MeetingCard) -> None:
    if not card.card_ts or not card.channel_id:
        return
    shown = meeting_card_blocks(card)
    client.chat_update(
        channel=card.channel_id, ts=card.card_ts, text=shown.text, blocks=shown.blocks
    )
