"""Run the bot: Socket Mode when an app-level token is set, otherwise HTTP behind waitress."""

from __future__ import annotations

import logging
import signal

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import INSTALL_PATH, Settings, mask_password
from bot.installs import outbox_messenger
from bot.scheduler import start_ticker
from bot.store.db import Store
from bot.web import HttpServer

log = logging.getLogger("setbot")


def serve(settings: Settings, store: Store) -> None:
    clock = SystemClock()
    app = create_app(settings, store=store, clock=clock)
    log.info(start_line(settings, app))
    # Every process ticks: the outbox's row claims, not a single scheduler, keep a
    # reminder from going out twice.
    messenger = outbox_messenger(settings, store, app.client)
    ticker = start_ticker(
        store=store, messenger=messenger, clock=clock, every_seconds=settings.tick_seconds
    )
    try:
        if settings.app_token:
            SocketModeHandler(app, settings.app_token).start()
            return
        server = HttpServer(app, store, host="0.0.0.0", port=settings.port)
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        server.serve()
    finally:
        ticker.shutdown(wait=False)


def start_line(settings: Settings, app: App) -> str:
    """One line saying how this process runs, so an operator can tell processes apart."""
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.port}"
    started = f"setbot starting in {mode}; database {mask_password(settings.database_url)}; "
    if settings.oauth:  # no token of its own: each workspace's comes with its install
        return started + f"any workspace may install it at {INSTALL_PATH}"
    auth = app.client.auth_test()
    return started + f"team {auth.get('team')} ({auth.get('team_id')}) as @{auth.get('user')}"
