"""Messages through a real WebClient: threads, order, edits, ephemerals, and who may post where."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import SlackEmulator
from tests.sim.conftest import ALICE, BOB


def test_replies_land_in_their_thread_in_the_order_they_were_posted(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    parent = client.chat_postMessage(channel=set_channel, text="Round 1: Alice presents")["ts"]
    first = client.chat_postMessage(channel=set_channel, text="Questions now", thread_ts=parent)
    second = client.chat_postMessage(channel=set_channel, text="Advice now", thread_ts=first["ts"])

    thread = emulator.messages(set_channel, thread_ts=parent)

    assert [m.text for m in thread] == ["Round 1: Alice presents", "Questions now", "Advice now"]
    assert second["message"]["thread_ts"] == parent, "a reply to a reply joins the same thread"
    stamps = [float(m.ts) for m in thread]
    assert stamps == sorted(set(stamps))


def test_a_channel_lists_only_top_level_messages(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    parent = client.chat_postMessage(channel=set_channel, text="Round 1")["ts"]
    client.chat_postMessage(channel=set_channel, text="in the thread", thread_ts=parent)
    client.chat_postMessage(channel=set_channel, text="Round 2")

    assert [m.text for m in emulator.messages(set_channel)] == ["Round 1", "Round 2"]


def test_a_reply_to_a_thread_that_does_not_exist_is_refused(
    client: WebClient, set_channel: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=set_channel, text="hi", thread_ts="1600000000.000100")

    assert refused.value.response["error"] == "invalid_thread_ts"


def test_an_update_changes_the_message_in_place(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    ts = client.chat_postMessage(channel=set_channel, text="Phase: questions")["ts"]

    updated = client.chat_update(channel=set_channel, ts=ts, text="Phase: advice")

    assert updated["ts"] == ts and updated["text"] == "Phase: advice"
    [message] = emulator.messages(set_channel)
    assert message.text == "Phase: advice" and message.edited


def test_updating_a_message_that_does_not_exist_is_message_not_found(
    client: WebClient, set_channel: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel=set_channel, ts="1700000000.999900", text="x")

    assert refused.value.response["error"] == "message_not_found"


def test_setbot_cannot_update_what_a_person_wrote(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    ts = emulator.add_message(set_channel, "my own words", user=ALICE)

    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel=set_channel, ts=ts, text="edited by a bot")

    assert refused.value.response["error"] == "cant_update_message"


def test_an_ephemeral_message_is_for_one_member_and_marked_so(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    answer = client.chat_postEphemeral(
        channel=set_channel, user=ALICE, text="That sounds like advice"
    )

    [message] = emulator.messages(set_channel)
    assert message.ts == answer["message_ts"] and message.ephemeral_to == ALICE
    assert "@setbot (only @alice sees): That sounds like advice" in emulator.transcript()


def test_an_ephemeral_message_needs_its_reader_in_the_channel(
    client: WebClient, emulator: SlackEmulator
) -> None:
    channel = emulator.add_channel("set-beta", members=[emulator.bot_user_id, BOB])

    with pytest.raises(SlackApiError) as refused:
        client.chat_postEphemeral(channel=channel, user=ALICE, text="hi")

    assert refused.value.response["error"] == "user_not_in_channel"


@pytest.mark.parametrize(
    ("is_private", "error"),
    [(True, "channel_not_found"), (False, "not_in_channel")],
    ids=["private-channel-is-invisible", "public-channel-needs-joining"],
)
def test_setbot_posts_only_where_it_is_a_member(
    client: WebClient, emulator: SlackEmulator, is_private: bool, error: str
) -> None:
    channel = emulator.add_channel("elsewhere", is_private=is_private, members=[ALICE])

    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=channel, text="hello")

    assert refused.value.response["error"] == error


def test_posting_to_a_person_lands_in_their_direct_message(
    client: WebClient, emulator: SlackEmulator
) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="Reminder: report back on Tuesday")
    opened = client.conversations_open(users=ALICE)

    assert posted["channel"] == opened["channel"]["id"]
    assert posted["channel"].startswith("D")
    assert "Direct message with @alice" in emulator.transcript()


def test_a_message_needs_text_or_blocks(client: WebClient, set_channel: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.api_call("chat.postMessage", json={"channel": set_channel, "text": ""})

    assert refused.value.response["error"] == "no_text"
