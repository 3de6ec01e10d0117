"""The stage the demo plays on: the production app, store and outbox against the emulator.

Nothing here is special to the demo: the app is `create_app`, served over HTTP as in
production, the database is a migrated SQLite file, and reminders leave through
`dispatch_due` and the real `SlackMessenger`, exactly as the ticker sends them.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlmodel import col, select

from bot.app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.demo.render import History
from bot.flows.outbox import dispatch_due
from bot.sim import Call, Message, SlackDriver, SlackEmulator
from bot.store.db import Store, make_engine
from bot.store.migrate import upgrade
from bot.store.models import OutboxMessage, OutboxStatus
from bot.web import EVENTS_PATH, HttpServer

# Seconds a step waits for the bot's reply before it counts as missing.
WAIT = 3.0
# Any secret will do: the driver signs with it and the app checks it, as Slack and setbot do.
SIGNING_SECRET = "demo-signing-secret"


@dataclass
class Stage:
    """Everything a step needs, and when (on the demo's clock) each message arrived."""

    slack: SlackEmulator
    driver: SlackDriver
    store: Store
    clock: ManualClock
    messenger: SlackMessenger
    # When each message and click appeared, what a message first said, and its edits.
    history: History = field(default_factory=History)

    def stamp(self) -> None:
        """Note what appeared or changed since the last stamp, at the clock's current time."""
        with self.slack.workspace() as ws:
            self.history.see(ws, self.clock.now())

    def tick_until(self, until: datetime) -> None:
        """Move the clock from one due outbox row to the next, dispatching at each, as the
        ticker would over those weeks; then once more at `until`."""
        self.stamp()  # what people did so far happened before the clock moved
        while (due := self._next_due(until)) is not None:
            self.clock.set(max(due, self.clock.now()))
            self.dispatch()
        self.clock.set(max(until, self.clock.now()))
        self.dispatch()

    def dispatch(self) -> None:
        """Send what is due now, as one tick of the production ticker does."""
        dispatch_due(self.store, self.messenger, self.clock)
        self.stamp()

    def _next_due(self, until: datetime) -> datetime | None:
        with self.store.session() as session:
            statement = select(OutboxMessage.due_at).where(
                OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= until
            )
            return session.exec(statement.order_by(col(OutboxMessage.due_at))).first()


class _Stamping:
    """The driver, stamping the stage after every request it sends to the bot."""

    def __init__(self, driver: SlackDriver, stamp: Callable[[], None]) -> None:
        self._driver = driver
        self._stamp = stamp

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._driver, name)
        if not callable(found):
            return found

        def stamped(*args: Any, **kwargs: Any) -> Any:
            try:
                return found(*args, **kwargs)
            finally:
                self._stamp()

        return stamped


@contextmanager
def open_stage(start: datetime) -> Iterator[Stage]:
    """A fresh emulator, database file and bot; all of it gone when the story ends."""
    with tempfile.TemporaryDirectory(prefix="setbot-demo-") as folder, SlackEmulator() as slack:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        upgrade(engine)
        settings = Settings(
            app_token=None,
            bot_token=slack.bot_token,
            signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            database_url=str(engine.url),
            log_level="WARNING",
        )
        store, clock = Store(engine=engine), ManualClock(start)
        app = create_app(settings, store=store, clock=clock)
        server = HttpServer(app, store, host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.serve, name="demo-bot-http", daemon=True)
        thread.start()
        driver = SlackDriver(
            url=f"http://127.0.0.1:{server.port}{EVENTS_PATH}",
            signing_secret=SIGNING_SECRET,
            emulator=slack,
        )
        stage = Stage(slack, driver, store, clock, SlackMessenger(app.client))
        # Each request is stamped as it is answered, so a card's first words are kept
        # before the next click edits them.
        stage.driver = cast(SlackDriver, _Stamping(driver, stage.stamp))
        try:
            yield stage
        finally:
            server.stop()
            thread.join(timeout=5)
            engine.dispose()


class DemoStepFailed(Exception):
    """A step did not get the reply it expected: `step name: what was missing`."""


def expect(stage: Stage, words: str, *, method: str = "chat.postMessage") -> Call:
    """The bot's call of `method` with `words` in its text or blocks, or the step fails."""

    def said(call: Call) -> bool:
        return words in str(call.args.get("text", "")) or words in str(call.args.get("blocks"))

    try:
        return stage.slack.wait_for(method, where=said, within=WAIT)
    except AssertionError:
        raise AssertionError(f"no {method} saying {words!r}") from None


def newest(stage: Stage, channel: str, words: str, *, thread: str | None = None) -> Message:
    """The newest message with `words` in its text or blocks, at the top level or in a thread."""
    found = [
        m
        for m in stage.slack.messages(channel, thread_ts=thread)
        if (words in m.text or words in str(m.blocks)) and (thread or not m.thread_ts)
    ]
    if not found:
        raise AssertionError(f"no message saying {words!r}")
    return found[-1]


def private(stage: Stage, user: str, words: str) -> Message:
    """The newest message only `user` sees (ephemeral or in their DM) with `words` in it."""
    with stage.slack.workspace() as ws:
        dms = {c.id for c in ws.channels.values() if c.is_im and user in c.members}
        found = [
            m
            for m in ws.messages
            if (m.ephemeral_to == user or m.channel in dms)
            and (words in m.text or words in str(m.blocks))
        ]
    if not found:
        raise AssertionError(f"nothing private to {user} saying {words!r}")
    return found[-1]


def ok(reply: object, what: str) -> None:
    """Slack got a 200 and no form errors back from the bot for `what`."""
    status = getattr(reply, "status", None)
    body = getattr(reply, "json", None) or {}
    if status != 200 or body.get("errors"):
        raise AssertionError(f"{what} was refused ({status}): {body.get('errors') or ''}")
