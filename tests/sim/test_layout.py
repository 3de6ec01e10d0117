"""Block Kit Slack would refuse is refused here too, and kept so a fixture can fail on it."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import SlackEmulator

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Round 1*"}}


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ([{"type": "section"}], "text or fields attribute must be specified"),
        ([{"type": "sektion", "text": "x"}], "not a block slack_sdk knows"),
        ([{**SECTION, "txet": "typo"}], "unknown field blocks[0].txet"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3000"),
        ([SECTION] * 51, "51 blocks; Slack allows at most 50"),
        ("not a list", "blocks must be a JSON array"),
    ],
    ids=[
        "missing-text",
        "unknown-type",
        "misspelled-field",
        "section-too-long",
        "51-blocks",
        "str",
    ],
)
def test_a_layout_slack_would_refuse_is_invalid_blocks(
    client: WebClient, emulator: SlackEmulator, set_channel: str, blocks: Any, reason: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=set_channel, text="fallback", blocks=blocks)

    assert refused.value.response["error"] == "invalid_blocks"
    [error] = emulator.layout_errors
    assert error.startswith("chat.postMessage: ") and reason in error
    assert emulator.messages(set_channel) == []


def test_text_over_forty_thousand_characters_is_msg_too_long(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=set_channel, text="x" * 40_001)

    assert refused.value.response["error"] == "msg_too_long"
    assert "40,001 characters" in emulator.layout_errors[0]


def test_an_update_is_checked_like_a_post(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    ts = client.chat_postMessage(channel=set_channel, text="ok", blocks=[SECTION])["ts"]

    with pytest.raises(SlackApiError):
        client.chat_update(
            channel=set_channel, ts=ts, text="ok", blocks=[{"type": "divider", "x": 1}]
        )

    assert emulator.layout_errors[0].startswith("chat.update: blocks[0]: unknown field")


def test_a_rich_message_slack_accepts_leaves_no_layout_errors(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Join"},
        "action_id": "a",
    }
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Round 1"}},
        {**SECTION, "accessory": {**button, "action_id": "join", "value": "1"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Questions phase"}]},
        {"type": "actions", "elements": [button]},
    ]

    client.chat_postMessage(channel=set_channel, text="Round 1", blocks=blocks)

    assert emulator.layout_errors == []
