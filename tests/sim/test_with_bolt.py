"""The emulator and driver around a real Bolt app: the loop setbot's own stories run in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import Ack, App, Say
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.sim import SlackDriver, SlackEmulator
from bot.sim.server import STOP_POLL_INTERVAL
from tests.sim.conftest import ALICE, BOB, SIGNING_SECRET

COMMIT = {
    "type": "button",
    "text": {"type": "plain_text", "text": "Commit to an action"},
    "action_id": "commit",
}
ACTION_INPUT = {
    "type": "input",
    "block_id": "action",
    "label": {"type": "plain_text", "text": "What will you do?"},
    "element": {"type": "plain_text_input", "action_id": "text"},
}


def _open_round(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack()
    text = f"*Round 1*: <@{command['user_id']}> presents"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}, "accessory": COMMIT}]
    client.chat_postMessage(channel=command["channel_id"], text=text, blocks=blocks)


def _ask_for_commitment(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    ack()
    where = f"{body['channel']['id']}|{body['container']['message_ts']}"
    view = {
        "type": "modal",
        "callback_id": "commit",
        "private_metadata": where,
        "title": {"type": "plain_text", "text": "Commit to an action"},
        "submit": {"type": "plain_text", "text": "Commit"},
        "blocks": [ACTION_INPUT],
    }
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _record_commitment(
    ack: Ack, view: dict[str, Any], body: dict[str, Any], client: WebClient
) -> None:
    ack()
    channel, thread_ts = view["private_metadata"].split("|")
    action = view["state"]["values"]["action"]["text"]["value"]
    text = f"<@{body['user']['id']}> commits to: {action}"
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)


def _acknowledge_question(event: dict[str, Any], say: Say) -> None:
    if event.get("thread_ts"):
        say(text="Noted.", thread_ts=event["thread_ts"])


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log in test output."""


@pytest.fixture
def bolt_driver(emulator: SlackEmulator) -> Iterator[SlackDriver]:
    """A small Bolt app on loopback, its WebClient on the emulator, and a driver aimed at it."""
    client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
    app = App(client=client, signing_secret=SIGNING_SECRET)
    app.command("/round")(_open_round)
    app.action("commit")(_ask_for_commitment)
    app.view("commit")(_record_commitment)
    app.event("message")(_acknowledge_question)
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(STOP_POLL_INTERVAL,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    yield SlackDriver(url=url, signing_secret=SIGNING_SECRET, emulator=emulator)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_round_runs_through_bolt_and_reads_back_as_a_conversation(
    bolt_driver: SlackDriver, emulator: SlackEmulator, set_channel: str
) -> None:
    bolt_driver.slash_command("/round", "open", user_id=ALICE, channel_id=set_channel)
    emulator.wait_for("chat.postMessage")
    [card] = emulator.messages(set_channel)

    bolt_driver.message(set_channel, "What have you tried?", user=BOB, thread_ts=card.ts)
    emulator.wait_for("chat.postMessage", where=lambda call: call.args["text"] == "Noted.")

    bolt_driver.block_action("commit", user=ALICE, channel=set_channel, message_ts=card.ts)
    opened = emulator.wait_for("views.open")
    assert opened.ok, emulator.transcript()

    values = {"action": {"text": {"type": "plain_text_input", "value": "Delegate the rota"}}}
    bolt_driver.view_submission("commit", user=ALICE, values=values)
    emulator.wait_for("chat.postMessage", where=lambda call: "commits to" in call.args["text"])

    assert emulator.layout_errors == []
    assert emulator.transcript() == (
        "#set-alpha (private)\n"
        "    [@alice runs /round open]\n"
        "    @setbot: *Round 1*: @alice presents [Commit to an action]\n"
        "        ↳ @bob: What have you tried?\n"
        "        ↳ @setbot: Noted.\n"
        "        ↳ @setbot: @alice commits to: Delegate the rota\n"
        "    [@alice uses [Commit to an action]]\n"
        "    [@alice sees 'Commit to an action']\n"
        "        | What will you do?: [plain_text_input]\n"
        "    [@alice submits 'Commit to an action': action=Delegate the rota]\n"
    )


def test_bolt_refuses_a_request_with_a_forged_signature(
    bolt_driver: SlackDriver, emulator: SlackEmulator
) -> None:
    emulator.reset_calls()

    answer = bolt_driver.send(
        "command=%2Fround", "application/x-www-form-urlencoded", signature="v0=0"
    )

    assert answer.status == 401
    assert emulator.calls == []
