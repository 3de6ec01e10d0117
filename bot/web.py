"""HTTP mode: Slack's requests on `/slack/events`, a load balancer's probe on `/healthz`.

In OAuth mode Bolt's handler also serves the install steps, `GET /slack/install` and
`GET /slack/oauth_redirect` (bot/installs.py), for any workspace to add setbot.

Served by waitress, a production WSGI server, because Bolt's own server is for development.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from waitress.server import create_server

from bot.store.db import Store

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Bolt hands each listener to its own worker thread; waitress's threads only carry requests.
SERVER_THREADS = 8

log = logging.getLogger("setbot")

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(app: App, store: Store) -> Wsgi:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _health(store, start_response)
        return slack(environ, start_response)

    return application


def _health(store: Store, start_response: StartResponse) -> Iterable[bytes]:
    """Healthy means this process can reach the database: without it, nothing works."""
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, body = "200 OK", {"ok": True}
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", type(error).__name__)
        status, body = "503 Service Unavailable", {"ok": False, "error": "database_unreachable"}
    payload = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


class HttpServer:
    """waitress serving the bot; `stop()` may be called from any thread.

    waitress's loop owns its sockets, so the loop's own thread closes them once asked
    to stop, rather than another thread pulling them away from under a running poll.
    """

    # How long the loop sleeps waiting for traffic before it looks at the stop flag.
    POLL_SECONDS = 0.5

    def __init__(self, app: App, store: Store, *, host: str, port: int) -> None:
        self._server: Any = create_server(
            wsgi_app(app, store), host=host, port=port, threads=SERVER_THREADS
        )
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve(self) -> None:
        """Serve until `stop()`; returns once every socket is closed, in this thread."""
        channels = self._server._map
        try:
            while not self._stopping.is_set():
                self._server.asyncore.loop(
                    timeout=self.POLL_SECONDS, map=channels, count=1, use_poll=True
                )
        finally:
            for channel in list(channels.values()):
                channel.close()
            self._server.task_dispatcher.shutdown()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):  # the loop has already closed its trigger
            self._server.trigger.pull_trigger()
