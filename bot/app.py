"""The app factory: one Bolt `App`, wired to the store, the clock and every Slack surface.

Nothing here is global: tests, the demo and each bot process build their own app, so
several processes can share one database without sharing any state in memory.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.deps import Deps
from bot.handlers import SURFACES, errors, retries
from bot.installs import app_options
from bot.store.db import Store

# Slack asks clients to wait out a 429's Retry-After; two tries keep a listener near 3 s.
RATE_LIMIT_RETRIES = 2


def create_app(settings: Settings, store: Store | None = None, clock: Clock | None = None) -> App:
    """Build the app; `store` and `clock` default to the configured database and real time."""
    deps = Deps(
        settings=settings,
        store=store or Store.from_url(settings.database_url),
        clock=clock or SystemClock(),
    )
    app = App(
        client=web_client(settings),
        signing_secret=settings.signing_secret,
        logger=logging.getLogger("setbot.bolt"),
        # Each listener does its short work before Slack hears back: a request Slack saw
        # answered is a request that was stored. What we fail to answer in 3 s Slack
        # sends again, and the flows are idempotent, so a retry changes nothing twice.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # OAuth mode: each workspace's token from the installs in our database.
        **app_options(settings, deps.store),
    )
    retries.register(app, deps)  # before any listener: a retry of handled work does nothing
    for surface in SURFACES:
        surface.register(app, deps)
    errors.register(app, deps)
    return app


def web_client(settings: Settings) -> WebClient:
    """A Web API client that points where the settings say and rides out rate limits.

    In OAuth mode it has no token of its own: each call gets the workspace's.
    """
    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )
