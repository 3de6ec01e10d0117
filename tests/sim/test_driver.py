"""The driver sends what Slack sends: signed, shaped as documented, in step with the emulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.sim import Response, SlackDriver, SlackEmulator
from tests.sim.conftest import ALICE, BOB, SIGNING_SECRET, Endpoint

VERIFIER = SignatureVerifier(SIGNING_SECRET)
JOIN: dict[str, Any] = {
    "type": "button",
    "text": {"type": "plain_text", "text": "Join"},
    "action_id": "join",
}
PICK: dict[str, Any] = {
    "type": "static_select",
    "action_id": "presenter",
    "placeholder": {"type": "plain_text", "text": "Who presents?"},
    "options": [
        {"text": {"type": "plain_text", "text": name}, "value": user}
        for name, user in [("Alice", ALICE), ("Bob", BOB)]
    ],
}
ROUND_CARD: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Round 1*"}, "accessory": PICK},
    {"type": "actions", "block_id": "round", "elements": [{**JOIN, "value": "round-1"}]},
]


def _verified(endpoint: Endpoint) -> bool:
    headers = {key.lower(): value for key, value in endpoint.last.headers.items()}
    return VERIFIER.is_valid_request(endpoint.last.body, headers)


@pytest.mark.parametrize(
    "send",
    [
        lambda driver, channel: driver.slash_command(
            "/set", "help", user_id=ALICE, channel_id=channel
        ),
        lambda driver, channel: driver.message(channel, "What have you tried?", user=BOB),
        lambda driver, channel: driver.block_action("join", user=ALICE, channel=channel),
        lambda driver, channel: driver.view_submission("commit", user=ALICE, values={}),
    ],
    ids=["slash-command", "event", "block-action", "view-submission"],
)
def test_every_request_carries_a_signature_slack_sdk_accepts(
    sim_driver: SlackDriver,
    endpoint: Endpoint,
    set_channel: str,
    send: Callable[[SlackDriver, str], Response],
) -> None:
    assert send(sim_driver, set_channel).status == 200

    assert _verified(endpoint)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(int(time.time()) - 301, None), (None, "v0=" + "0" * 64), (None, "")],
    ids=["stale", "forged", "missing"],
)
def test_a_forged_request_is_sent_as_given_and_fails_verification(
    sim_driver: SlackDriver, endpoint: Endpoint, timestamp: int | None, signature: str | None
) -> None:
    sim_driver.send(
        "command=%2Fset",
        "application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=signature,
    )

    assert not _verified(endpoint)


def test_an_empty_signature_sends_no_signature_header(
    sim_driver: SlackDriver, endpoint: Endpoint
) -> None:
    sim_driver.send("command=%2Fset", "application/x-www-form-urlencoded", signature="")

    assert "X-Slack-Signature" not in endpoint.last.headers


def test_a_slash_command_carries_slacks_fields(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, set_channel: str
) -> None:
    sim_driver.slash_command("/round", "open <@U0BOB>", user_id=ALICE, channel_id=set_channel)
    sim_driver.slash_command("/round", "next", user_id=ALICE, channel_id=set_channel)

    first, second = (request.form() for request in endpoint.received)
    assert first["command"] == "/round" and first["text"] == "open <@U0BOB>"
    assert (first["user_id"], first["user_name"]) == (ALICE, "alice")
    assert (first["channel_id"], first["channel_name"]) == (set_channel, "set-alpha")
    assert (first["team_id"], first["api_app_id"]) == (emulator.team_id, "A0SETBOT")
    assert first["team_domain"] == "setbot-test-workspace"
    assert first["response_url"].startswith(emulator.base_url + "/response/")
    assert first["trigger_id"] != second["trigger_id"]


def test_a_command_from_someone_never_seen_introduces_them(
    sim_driver: SlackDriver, emulator: SlackEmulator, client: WebClient
) -> None:
    sim_driver.slash_command("/set", "help", user_id="U0NEW", channel_id="C0GENERAL")

    assert client.users_info(user="U0NEW")["user"]["name"] == "u0new"
    assert "[@u0new runs /set help]" in emulator.transcript()


def test_an_ack_with_blocks_is_shown_privately_to_the_person(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, set_channel: str
) -> None:
    endpoint.reply = {"response_type": "ephemeral", "text": "Help", "blocks": ROUND_CARD}

    answer = sim_driver.slash_command("/set", "help", user_id=ALICE, channel_id=set_channel)

    assert answer.json == endpoint.reply
    [shown] = emulator.messages(set_channel)
    assert shown.ephemeral_to == ALICE and shown.blocks == ROUND_CARD
    assert emulator.calls == [], "an ack is an answer, not a call"


def test_an_ack_with_blocks_slack_would_refuse_is_recorded(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, set_channel: str
) -> None:
    endpoint.reply = {"text": "Help", "blocks": [{"type": "section"}]}

    sim_driver.slash_command("/set", "help", user_id=ALICE, channel_id=set_channel)

    [error] = emulator.layout_errors
    assert error.startswith("ack of /set: blocks[0]")


def test_an_event_comes_in_slacks_envelope(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator
) -> None:
    sim_driver.event({"type": "app_mention", "text": "hi"}, event_id="Ev1", retry_num=2)

    envelope = endpoint.last.payload()
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
    assert envelope["authorizations"][0]["user_id"] == emulator.bot_user_id
    assert endpoint.last.headers["X-Slack-Retry-Num"] == "2"
    assert endpoint.last.headers["X-Slack-Retry-Reason"] == "http_timeout"


def test_a_reply_in_a_thread_is_posted_and_heard_as_a_threaded_message(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, set_channel: str
) -> None:
    parent = emulator.add_message(set_channel, "Here is my problem", user=ALICE)

    sim_driver.message(set_channel, "What have you tried?", user=BOB, thread_ts=parent)

    event = endpoint.last.payload()["event"]
    [_, reply] = emulator.messages(set_channel, thread_ts=parent)
    assert (event["ts"], event["thread_ts"], event["parent_user_id"]) == (reply.ts, parent, ALICE)
    assert event["channel_type"] == "group" and event["user"] == BOB


def test_replaying_a_message_does_not_post_it_twice(
    sim_driver: SlackDriver, emulator: SlackEmulator, set_channel: str
) -> None:
    sim_driver.message(set_channel, "Once", user=BOB)
    [posted] = emulator.messages(set_channel)

    sim_driver.message(set_channel, "Once", user=BOB, ts=posted.ts)

    assert len(emulator.messages(set_channel)) == 1


def test_a_click_carries_the_buttons_value_block_and_message(
    sim_driver: SlackDriver, endpoint: Endpoint, client: WebClient, set_channel: str
) -> None:
    ts = client.chat_postMessage(channel=set_channel, text="Round 1", blocks=ROUND_CARD)["ts"]

    sim_driver.block_action("join", user=BOB, channel=set_channel, message_ts=ts)

    payload = endpoint.last.payload()
    [action] = payload["actions"]
    assert (action["type"], action["block_id"], action["value"]) == ("button", "round", "round-1")
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": set_channel,
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == ROUND_CARD and payload["user"]["id"] == BOB
    assert payload["response_url"] and payload["trigger_id"]


def test_choosing_from_a_select_sends_the_option_it_offers(
    sim_driver: SlackDriver, endpoint: Endpoint, client: WebClient, set_channel: str
) -> None:
    ts = client.chat_postMessage(channel=set_channel, text="Round 1", blocks=ROUND_CARD)["ts"]

    sim_driver.block_action(
        "presenter", user=ALICE, channel=set_channel, message_ts=ts, selected_option=BOB
    )

    [action] = endpoint.last.payload()["actions"]
    assert action["type"] == "static_select"
    assert action["selected_option"] == PICK["options"][1]


def test_a_person_cannot_click_what_the_message_does_not_show(
    sim_driver: SlackDriver, client: WebClient, set_channel: str
) -> None:
    ts = client.chat_postMessage(channel=set_channel, text="Round 1", blocks=ROUND_CARD)["ts"]

    with pytest.raises(
        AssertionError, match=r"no element 'leave'; it shows \['presenter', 'join'\]"
    ):
        sim_driver.block_action("leave", user=BOB, channel=set_channel, message_ts=ts)


@pytest.mark.parametrize(
    ("answer", "left"),
    [({"replace_original": True, "text": "Joined"}, ["Joined"]), ({"delete_original": True}, [])],
    ids=["replace", "delete"],
)
def test_answering_a_click_through_its_response_url_changes_the_message(
    sim_driver: SlackDriver,
    endpoint: Endpoint,
    client: WebClient,
    emulator: SlackEmulator,
    set_channel: str,
    answer: dict[str, Any],
    left: list[str],
) -> None:
    ts = client.chat_postEphemeral(
        channel=set_channel, user=BOB, text="Round 1", blocks=ROUND_CARD
    )["message_ts"]
    sim_driver.block_action("join", user=BOB, channel=set_channel, message_ts=ts)

    WebhookClient(endpoint.last.payload()["response_url"]).send_dict(answer)

    assert [message.text for message in emulator.messages(set_channel)] == left


def test_nobody_can_click_an_ephemeral_message_meant_for_someone_else(
    sim_driver: SlackDriver, client: WebClient, set_channel: str
) -> None:
    ts = client.chat_postEphemeral(
        channel=set_channel, user=BOB, text="Round 1", blocks=ROUND_CARD
    )["message_ts"]

    with pytest.raises(AssertionError, match="only @bob sees"):
        sim_driver.block_action("join", user=ALICE, channel=set_channel, message_ts=ts)


def test_a_submission_sends_the_modal_the_bot_opened_with_the_values_typed(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, client: WebClient
) -> None:
    modal = _commit_modal(private_metadata="round-7")
    trigger = emulator.new_trigger_id(user=ALICE)
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    values = {"action": {"text": {"type": "plain_text_input", "value": "Delegate the rota"}}}

    sim_driver.view_submission("commit", user=ALICE, values=values)

    view = endpoint.last.payload()["view"]
    assert view["id"] == opened["id"] and view["private_metadata"] == "round-7"
    assert view["state"] == {"values": values} and view["blocks"] == modal["blocks"]
    assert "submits 'Commit to an action': action=Delegate the rota" in emulator.transcript()


def test_a_submission_can_only_fill_the_inputs_the_modal_has(
    sim_driver: SlackDriver, emulator: SlackEmulator, client: WebClient
) -> None:
    client.views_open(trigger_id=emulator.new_trigger_id(user=ALICE), view=_commit_modal())

    with pytest.raises(AssertionError, match="has no input due/date"):
        sim_driver.view_submission("commit", user=ALICE, values={"due": {"date": {}}})


def test_an_ack_with_errors_keeps_the_modal_open_and_a_plain_ack_closes_it(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, client: WebClient
) -> None:
    client.views_open(trigger_id=emulator.new_trigger_id(user=ALICE), view=_commit_modal())
    endpoint.reply = {"response_action": "errors", "errors": {"action": "Say what you will do"}}
    sim_driver.view_submission("commit", user=ALICE, values={})
    first = endpoint.last.payload()["view"]["id"]

    endpoint.reply = None
    sim_driver.view_submission("commit", user=ALICE, values={})
    sim_driver.view_submission("commit", user=ALICE, values={})

    second, third = (request.payload()["view"]["id"] for request in endpoint.received[1:])
    assert second == first and third != first, "once closed, only a made-up modal is left"
    assert "sees errors: {'action': 'Say what you will do'}" in emulator.transcript()


def test_home_tab_opened_carries_the_view_published_for_that_person(
    sim_driver: SlackDriver, endpoint: Endpoint, client: WebClient
) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Hi"}}],
    }
    published = client.views_publish(user_id=ALICE, view=home)["view"]

    sim_driver.app_home_opened(ALICE)

    event = endpoint.last.payload()["event"]
    assert event["type"] == "app_home_opened" and event["tab"] == "home"
    assert event["channel"] == client.conversations_open(users=ALICE)["channel"]["id"]
    assert event["view"]["id"] == published["id"]


def test_setbot_joining_a_channel_makes_it_a_member(
    sim_driver: SlackDriver, endpoint: Endpoint, emulator: SlackEmulator, client: WebClient
) -> None:
    channel = emulator.add_channel("leaders-set", members=[ALICE])

    sim_driver.member_joined_channel(emulator.bot_user_id, channel)

    event = endpoint.last.payload()["event"]
    assert (event["type"], event["channel_type"]) == ("member_joined_channel", "G")
    assert client.chat_postMessage(channel=channel, text="Hello, Set!")["ok"]


def _commit_modal(private_metadata: str = "") -> dict[str, object]:
    return {
        "type": "modal",
        "callback_id": "commit",
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Commit to an action"},
        "submit": {"type": "plain_text", "text": "Commit"},
        "blocks": [
            {
                "type": "input",
                "block_id": "action",
                "label": {"type": "plain_text", "text": "What will you do?"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
