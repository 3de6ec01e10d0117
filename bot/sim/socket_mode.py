"""Socket Mode on loopback: how Slack reaches an app that has no public request URL.

The app calls `apps.connections.open` with its app-level token and gets a one-use WebSocket
URL. On connecting it hears `hello`; then Slack sends it envelopes (a slash command, an
interaction, an event) and the app acknowledges each with its `envelope_id`, adding the
payload it would have put in an HTTP response. Slack asks for a fresh connection now and
then (a `disconnect` message, reason `refresh_requested`) and sometimes just drops one.

Nothing is lost here: an envelope that finds no open connection waits in a queue and goes
out on the next one, and one that was out on a connection that closed before its ack goes
out again (an event marked as Slack's retry). Each fault is one call: `drop()`,
`refresh()`, or `outage()`, which keeps the app away until its block ends.

The WebSocket side is served by the `websockets` library's threaded server, in the same
spirit as the emulator's Web API: real sockets, bound to port 0, no patching.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.sim.workspace import ApiError, Json

# The envelope types Slack sends over the socket for the surfaces setbot uses.
SLASH_COMMANDS = "slash_commands"
INTERACTIVE = "interactive"
EVENTS_API = "events_api"
# Interactions whose ack may carry a response: a modal's errors, a select's options.
_RESPONDING_INTERACTIONS = ("view_submission", "block_suggestion")
# Where apps.connections.open points, as Slack's own `wss://…/link/?ticket=…` does.
LINK_PATH = "/link/"
# What `hello` and `disconnect` name as the host the app is talking to.
HOST = "applink-sim"
# Closing a connection waits this long for the app's half of the close handshake.
CLOSE_TIMEOUT = 1.0


@dataclass
class Envelope:
    """One delivery to the app, and the payload of every acknowledgement it sent back."""

    envelope_id: str
    type: str
    payload: Json
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    # One entry per ack received, in order: its payload, or None for a bare ack.
    acks: list[Json | None] = field(default_factory=list)
    # How many times it went out on a connection: more than once only after a drop.
    deliveries: int = 0

    def message(self) -> str:
        """The text frame Slack sends: retry fields only on events, as Slack's own."""
        body: Json = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == EVENTS_API:
            body.update(retry_attempt=self.retry_attempt, retry_reason=self.retry_reason)
        return json.dumps(body)


@dataclass(eq=False)
class _Link:
    """One open WebSocket connection from the app."""

    connection: ServerConnection
    # Told to reconnect, or being closed: it gets no new envelopes.
    retiring: bool = False
    # Slack has begun to close it.
    closing: bool = False
    # Envelopes sent on this connection and not acknowledged yet.
    in_flight: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Begin the close handshake without waiting: the app may be busy reconnecting."""
        self.retiring = self.closing = True
        threading.Thread(
            target=self.connection.close,
            args=(CloseCode.GOING_AWAY, "going away"),
            name="slack-socket-close",
            daemon=True,
        ).start()


class SocketModeServer:
    """Slack's end of Socket Mode for one app: hands out URLs, sends envelopes, counts acks."""

    def __init__(self, *, app_token: str, app_id: str) -> None:
        # Basic Information → App-Level Tokens (xapp-…, scope connections:write).
        self.app_token = app_token
        # Basic Information → App ID, which `hello` names.
        self.app_id = app_id
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._queue: list[Envelope] = []
        self._envelopes: dict[str, Envelope] = {}
        self._connections_opened = 0
        self._unreachable = False
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        self._server = serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            ping_interval=None,  # the app pings; the server answers, as Slack's does
            close_timeout=CLOSE_TIMEOUT,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-socket-mode", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go away at once: the end of a test waits for no close handshake."""
        with self._lock:
            self._unreachable = False
            self._lock.notify_all()
            for link in self._links:
                with suppress(OSError):
                    link.connection.socket.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("Socket Mode is not running: call start() first")
        return int(self._server.socket.getsockname()[1])

    # -- apps.connections.open ----------------------------------------------------------

    def open_link(self, token: object) -> str:
        """What apps.connections.open answers: a one-use WebSocket URL for the app-level token.

        During an `outage()` the answer waits until Slack is reachable again, so the app's
        reconnect lands the moment the outage ends.
        """
        if not token:
            raise ApiError("not_authed")
        if token != self.app_token:
            # A bot or user token is the wrong kind here; anything else is no token at all.
            wrong_kind = isinstance(token, str) and token.startswith("xox")
            raise ApiError("not_allowed_token_type" if wrong_kind else "invalid_auth")
        with self._lock:
            self._lock.wait_for(lambda: not self._unreachable)
            ticket = secrets.token_urlsafe(16)
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # -- sending envelopes ----------------------------------------------------------------

    def send(
        self, kind: str, payload: Json, *, retry_attempt: int = 0, retry_reason: str = ""
    ) -> Envelope:
        """Queue an envelope for the app; it goes out at once if a connection is open."""
        accepts = kind == SLASH_COMMANDS or payload.get("type") in _RESPONDING_INTERACTIONS
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=kind,
            payload=payload,
            accepts_response_payload=accepts,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        with self._lock:
            self._envelopes[envelope.envelope_id] = envelope
            self._queue.append(envelope)
            self._flush()
        return envelope

    def wait_for_ack(self, envelope: Envelope, *, within: float = 10.0) -> Json | None:
        """The payload of the app's first ack of `envelope`, waiting up to `within` seconds."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope.acks, timeout=within):
                raise AssertionError(
                    f"the app did not acknowledge {envelope.type} envelope "
                    f"{envelope.envelope_id} within {within}s "
                    f"({len(self._links)} connections open, {len(self._queue)} queued)"
                )
            return envelope.acks[0]

    # -- faults ---------------------------------------------------------------------------

    def drop(self) -> None:
        """Close every connection, as when Slack's end goes away; the app reconnects itself."""
        with self._lock:
            for link in self._links:
                link.close()

    def refresh(self) -> None:
        """Ask every connection to make way for a new one, as Slack does every few hours.

        The app opens a new connection; envelopes sent meanwhile wait for it. Slack then
        closes the old one, once nothing sent on it is waiting for an ack.
        """
        notice = json.dumps(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": HOST}}
        )
        with self._lock:
            for link in self._links:
                if not link.retiring:
                    link.retiring = True
                    _send(link, notice)

    @contextmanager
    def outage(self) -> Iterator[None]:
        """Slack is out of reach: connections drop and none can open until the block ends."""
        with self._lock:
            self._unreachable = True
        self.drop()
        try:
            yield
        finally:
            with self._lock:
                self._unreachable = False
                self._lock.notify_all()

    # -- what a test looks at -------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether an envelope sent now would go straight out."""
        with self._lock:
            return self._open_link() is not None

    @property
    def queued(self) -> list[Envelope]:
        """Envelopes waiting for an open connection, oldest first."""
        with self._lock:
            return [_copy(envelope) for envelope in self._queue]

    @property
    def envelopes(self) -> list[Envelope]:
        """Every envelope sent, in the order it was first sent, with the acks it got."""
        with self._lock:
            return [_copy(envelope) for envelope in self._envelopes.values()]

    def wait_for_connection(self, *, opened: int = 1, within: float = 5.0) -> None:
        """Wait until the app has opened `opened` connections in all and one of them is open."""

        def ready() -> bool:
            return self._connections_opened >= opened and self._open_link() is not None

        with self._lock:
            if not self._lock.wait_for(ready, timeout=within):
                raise AssertionError(
                    f"the app opened {self._connections_opened} of {opened} connections "
                    f"within {within}s ({len(self._links)} open)"
                )

    # -- serving --------------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Only a URL apps.connections.open handed out opens a connection, and only once."""
        url = urlsplit(request.path)
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
        if url.path != LINK_PATH or not known:
            message = "This link is not valid: call apps.connections.open for a new one.\n"
            return connection.respond(HTTPStatus.UNAUTHORIZED, message)
        return None

    def _serve(self, connection: ServerConnection) -> None:
        """One connection's life: hello, the queue, then acks until it closes."""
        link = _Link(connection)
        with self._lock:
            self._links.append(link)
            self._connections_opened += 1
            _send(link, self._hello())
            self._flush()
            self._close_retired()
            self._lock.notify_all()
        try:
            for message in connection:
                self._acknowledge(message)
        except ConnectionClosed:
            pass  # a drop, or the app closing an old connection without a close frame
        finally:
            with self._lock:
                self._links.remove(link)
                self._send_again(link)
                self._flush()
                self._lock.notify_all()

    def _hello(self) -> str:
        return json.dumps(
            {
                "type": "hello",
                "num_connections": len(self._links),
                "debug_info": {"host": HOST, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        )

    def _acknowledge(self, message: str | bytes) -> None:
        """An ack may arrive on any connection, even one newer than the envelope's."""
        try:
            ack = json.loads(message)
        except ValueError:
            return
        if not isinstance(ack, dict):
            return
        with self._lock:
            envelope = self._envelopes.get(str(ack.get("envelope_id")))
            if envelope is None:
                return
            envelope.acks.append(ack.get("payload"))
            for link in self._links:
                if envelope.envelope_id in link.in_flight:
                    link.in_flight.remove(envelope.envelope_id)
            self._close_retired()
            self._lock.notify_all()

    def _send_again(self, link: _Link) -> None:
        """Envelopes still out on a closed connection go first in the queue again."""
        unanswered = [
            self._envelopes[envelope_id]
            for envelope_id in link.in_flight
            if not self._envelopes[envelope_id].acks
        ]
        for envelope in unanswered:
            if envelope.type == EVENTS_API:
                envelope.retry_attempt += 1
                envelope.retry_reason = "timeout"
        self._queue[:0] = unanswered

    def _close_retired(self) -> None:
        """Close connections told to make way, once a newer one is open and they are idle."""
        if self._open_link() is None:
            return
        for link in self._links:
            if link.retiring and not link.closing and not link.in_flight:
                link.close()

    def _open_link(self) -> _Link | None:
        """The newest connection still taking envelopes."""
        return next((link for link in reversed(self._links) if not link.retiring), None)

    def _flush(self) -> None:
        """Send what is queued on an open connection; called with the lock held."""
        while self._queue:
            link = self._open_link()
            if link is None:
                return
            envelope = self._queue[0]
            if envelope.acks:  # acknowledged after all, on another connection
                self._queue.pop(0)
                continue
            if not _send(link, envelope.message()):
                link.retiring = True
                continue
            self._queue.pop(0)
            envelope.deliveries += 1
            link.in_flight.append(envelope.envelope_id)


def _send(link: _Link, message: str) -> bool:
    """Send on one connection; False when it has already closed."""
    try:
        link.connection.send(message)
    except ConnectionClosed:
        return False
    return True


def _copy(envelope: Envelope) -> Envelope:
    return replace(envelope, acks=list(envelope.acks))
