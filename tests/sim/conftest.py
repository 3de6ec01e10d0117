"""Fixtures for testing the emulator and driver themselves, without setbot.

Each test gets a fresh emulator, a real WebClient pointed at it, and, for the driver, a
stand-in for the bot's request URL that keeps every request and answers what it is told.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient

from bot.sim import SlackDriver, SlackEmulator
from bot.sim.server import STOP_POLL_INTERVAL

SIGNING_SECRET = "sim-test-secret"
ALICE, BOB = "U0ALICE", "U0BOB"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user(ALICE, name="alice", real_name="Alice Ng", tz="Europe/Paris")
        emulator.add_user(BOB, name="bob")
        yield emulator


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=emulator.bot_token, base_url=emulator.api_url)


@pytest.fixture
def set_channel(emulator: SlackEmulator) -> str:
    """A private Set channel with setbot, Alice and Bob in it."""
    return emulator.add_channel("set-alpha", members=[emulator.bot_user_id, ALICE, BOB])


@dataclass
class Received:
    """One request as the bot's endpoint saw it."""

    headers: Headers
    body: str

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body).items()}

    def payload(self) -> dict[str, Any]:
        """The JSON of an event, or of an interaction's `payload` form field."""
        if self.headers.get_content_type() == "application/json":
            return dict(json.loads(self.body))
        return dict(json.loads(self.form()["payload"]))


@dataclass
class Endpoint:
    """Stands where the bot's request URL would: keeps requests, answers with `reply`."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    reply: dict[str, Any] | None = None

    @property
    def last(self) -> Received:
        return self.received[-1]


class _EndpointHandler(BaseHTTPRequestHandler):
    endpoint: Endpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.endpoint.received.append(Received(self.headers, body))
        answer = json.dumps(self.endpoint.reply).encode() if self.endpoint.reply else b""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, like the emulator."""


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    endpoint = Endpoint()
    handler = type("Handler", (_EndpointHandler,), {"endpoint": endpoint})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(STOP_POLL_INTERVAL,), daemon=True)
    thread.start()
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    yield endpoint
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def sim_driver(endpoint: Endpoint, emulator: SlackEmulator) -> SlackDriver:
    """A driver aimed at the recording endpoint rather than at a bot."""
    return SlackDriver(url=endpoint.url, signing_secret=SIGNING_SECRET, emulator=emulator)
