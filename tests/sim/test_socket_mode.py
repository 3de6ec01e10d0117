"""Socket Mode through the emulator: the app-level token, the WebSocket, envelopes and acks.

A small Bolt app connects with Bolt's own SocketModeHandler (slack_sdk's built-in client),
exactly as setbot does when SLACK_APP_TOKEN is set; the driver then speaks to it over the
socket. A bare WebSocket client stands in where a test needs an app that misbehaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from slack_bolt import Ack, App, Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bot.sim import SlackDriver, SlackEmulator
from bot.sim.socket_mode import EVENTS_API, SLASH_COMMANDS
from tests.polling import eventually
from tests.sim.conftest import ALICE, BOB
from tests.socket_mode import in_socket_mode


def _open_round(ack: Ack, command: dict[str, Any]) -> None:
    ack(f"Round opened for <@{command['user_id']}>.")


def _note_question(ack: Ack, body: dict[str, Any], say: Say) -> None:
    ack()
    event = body["event"]
    say(text=f"Heard {event['text']!r}", thread_ts=event.get("thread_ts"))


def _check_in(ack: Ack, body: dict[str, Any], say: Say) -> None:
    ack()
    say(text=f"<@{body['user']['id']}> is here.")


@pytest.fixture
def bolt_app(emulator: SlackEmulator) -> App:
    """A Bolt app that answers a command in its ack, speaks on a message, and takes a click."""
    app = App(client=WebClient(token=emulator.bot_token, base_url=emulator.api_url))
    app.command("/round")(_open_round)
    app.event("message")(_note_question)
    app.action("check_in")(_check_in)
    return app


@pytest.fixture
def connected(bolt_app: App, emulator: SlackEmulator) -> Iterator[SocketModeHandler]:
    """The app in Socket Mode, connected to the emulator with its app-level token."""
    with in_socket_mode(bolt_app, emulator) as handler:
        yield handler


@pytest.fixture
def socket_driver(emulator: SlackEmulator) -> SlackDriver:
    return SlackDriver(signing_secret="unused over a socket", emulator=emulator, transport="socket")


def test_only_the_app_level_token_opens_a_connection(
    emulator: SlackEmulator, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as bot_token:
        client.apps_connections_open(app_token=emulator.bot_token)
    assert bot_token.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as made_up:
        client.apps_connections_open(app_token="xapp-made-up")
    assert made_up.value.response["error"] == "invalid_auth"

    url = client.apps_connections_open(app_token=emulator.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    assert [call.ok for call in emulator.calls_to("apps.connections.open")] == [False, False, True]


def test_a_link_says_hello_and_opens_only_once(emulator: SlackEmulator, client: WebClient) -> None:
    url = client.apps_connections_open(app_token=emulator.app_token)["url"]
    with connect(url) as socket:
        hello = json.loads(socket.recv(timeout=2))
    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": emulator.app_id}

    with pytest.raises(InvalidStatus) as reused:
        connect(url)
    assert reused.value.response.status_code == 401


def test_a_bolt_app_answers_commands_events_and_clicks_over_the_socket(
    connected: SocketModeHandler,
    socket_driver: SlackDriver,
    emulator: SlackEmulator,
    set_channel: str,
) -> None:
    opened = socket_driver.slash_command("/round", "open", user_id=ALICE, channel_id=set_channel)
    assert opened.status == 200 and opened.json == {"text": "Round opened for <@U0ALICE>."}
    assert "(only @alice sees): Round opened for @alice." in emulator.transcript()

    root = emulator.add_message(set_channel, "Alice's round", user=ALICE)
    socket_driver.message(set_channel, "What have you tried?", user=BOB, thread_ts=root)
    heard = emulator.wait_for("chat.postMessage", where=lambda c: "Heard" in c.args["text"])
    assert heard.args["thread_ts"] == root

    clicked = socket_driver.block_action("check_in", user=BOB, channel=set_channel)
    assert clicked.status == 200 and clicked.json is None, "a bare ack has no payload"
    emulator.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "<@U0BOB> is here.")

    sent = emulator.socket_mode.envelopes
    assert [envelope.type for envelope in sent] == [SLASH_COMMANDS, EVENTS_API, "interactive"]
    assert [envelope.acks for envelope in sent] == [[opened.json], [None], [None]]
    assert sent[0].payload["command"] == "/round" and sent[0].accepts_response_payload
    assert sent[1].payload["event"]["text"] == "What have you tried?"


def test_envelopes_sent_during_an_outage_wait_and_are_acked_once_after_reconnecting(
    connected: SocketModeHandler,
    socket_driver: SlackDriver,
    emulator: SlackEmulator,
    set_channel: str,
) -> None:
    socket_mode = emulator.socket_mode
    root = emulator.add_message(set_channel, "Alice's round", user=ALICE)
    questions = ["What matters most?", "Who else is involved?", "What would success look like?"]

    with ThreadPoolExecutor(max_workers=len(questions)) as people:
        with socket_mode.outage():
            assert not socket_mode.connected
            asked = []
            for number, question in enumerate(questions, start=1):
                asked.append(
                    people.submit(
                        socket_driver.message, set_channel, question, user=BOB, thread_ts=root
                    )
                )
                eventually(lambda number=number: _assert_queued(emulator, number))
        answers = [reply.result(timeout=10) for reply in asked]

    assert all(answer.status == 200 for answer in answers)
    socket_mode.wait_for_connection(opened=2)
    assert [envelope.acks for envelope in socket_mode.envelopes] == [[None]] * 3
    assert [envelope.deliveries for envelope in socket_mode.envelopes] == [1] * 3
    heard = [c.args["text"] for c in emulator.calls_to("chat.postMessage")]
    assert sorted(heard) == sorted(f"Heard {question!r}" for question in questions)


def test_a_refresh_moves_the_app_to_a_new_connection_without_losing_an_envelope(
    connected: SocketModeHandler,
    socket_driver: SlackDriver,
    emulator: SlackEmulator,
    set_channel: str,
) -> None:
    socket_mode = emulator.socket_mode
    socket_mode.refresh()
    opened = socket_driver.slash_command("/round", "open", user_id=ALICE, channel_id=set_channel)

    assert opened.json == {"text": "Round opened for <@U0ALICE>."}
    socket_mode.wait_for_connection(opened=2)
    [envelope] = socket_mode.envelopes
    assert envelope.acks == [opened.json] and envelope.deliveries == 1
    assert len(emulator.calls_to("apps.connections.open")) == 2


def test_an_event_out_when_the_socket_drops_is_sent_again_as_a_retry(
    emulator: SlackEmulator, client: WebClient
) -> None:
    socket_mode = emulator.socket_mode
    with _bare_app(client, emulator) as first:
        envelope = socket_mode.send(EVENTS_API, {"type": "event_callback", "event_id": "Ev1"})
        assert json.loads(first.recv(timeout=2))["envelope_id"] == envelope.envelope_id
    # The app went away without acknowledging: the next connection gets the event again.
    with _bare_app(client, emulator) as second:
        again = json.loads(second.recv(timeout=2))
        assert again["envelope_id"] == envelope.envelope_id
        assert (again["retry_attempt"], again["retry_reason"]) == (1, "timeout")
        second.send(json.dumps({"envelope_id": envelope.envelope_id}))
        assert socket_mode.wait_for_ack(envelope, within=2) is None
    [delivered] = socket_mode.envelopes
    assert delivered.deliveries == 2 and delivered.acks == [None]


@contextmanager
def _bare_app(client: WebClient, emulator: SlackEmulator) -> Iterator[ClientConnection]:
    """A connection that does only what the test tells it to, after its hello."""
    with connect(client.apps_connections_open(app_token=emulator.app_token)["url"]) as socket:
        assert json.loads(socket.recv(timeout=2))["type"] == "hello"
        yield socket


def _assert_queued(emulator: SlackEmulator, count: int) -> None:
    assert len(emulator.socket_mode.queued) == count
