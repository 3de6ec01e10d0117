"""Fixtures every story shares: a fresh database, a clock we move, Slack on loopback, the bot.

Each test gets its own database (SQLite in memory, or a fresh schema on PostgreSQL when
TEST_DATABASE_URL is set), its own emulator and its own bot process-in-a-thread, so no
test can see another's state.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import text

from bot.app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store, make_engine
from bot.store.migrate import upgrade
from bot.web import EVENTS_PATH, HttpServer

SIGNING_SECRET = "sim-signing-secret"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
NO_POSTGRES = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (see README)"
)

# A Tuesday morning in January: far from any clock change, so only the tests that
# mean to cross one do.
START = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated once; each test gets its own copy of it."""
    template = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()  # the last connection to close folds the write-ahead log into the file
    return template


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty database: the schema always comes from the Alembic migrations.

    SQLite is a file, as in production, so the bot's worker threads each have their
    own connection; PostgreSQL is a fresh schema.
    """
    if request.param == "sqlite":
        database = tmp_path / "setbot.db"
        shutil.copy(request.getfixturevalue("migrated_sqlite"), database)
        engine = make_engine(f"sqlite:///{database}")
        yield Store(engine=engine)
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    yield from _postgres_store(POSTGRES_URL)


def _postgres_store(url: str) -> Iterator[Store]:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield Store(engine=engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    """Slack on loopback. Any layout Slack would reject fails the test that sent it."""
    with SlackEmulator() as emulator:
        yield emulator
        assert not emulator.layout_errors, f"Slack would reject: {emulator.layout_errors}"


@pytest.fixture
def settings(slack: SlackEmulator) -> Settings:
    return Settings(
        app_token=None,
        bot_token=slack.bot_token,
        signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url="sqlite://",
    )


@dataclass(frozen=True)
class RunningBot:
    app: App
    base_url: str

    @property
    def events_url(self) -> str:
        return self.base_url + EVENTS_PATH


@pytest.fixture
def bot(settings: Settings, store: Store, clock: ManualClock) -> Iterator[RunningBot]:
    """The real app in HTTP mode, served by waitress on a free loopback port."""
    app = create_app(settings, store=store, clock=clock)
    server = HttpServer(app, store, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve, name="bot-http", daemon=True)
    thread.start()
    yield RunningBot(app=app, base_url=f"http://127.0.0.1:{server.port}")
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive(), "the bot's HTTP server did not stop"


@pytest.fixture
def driver(bot: RunningBot, slack: SlackEmulator) -> SlackDriver:
    """Slack's side of the conversation: signed commands, events and clicks."""
    return SlackDriver(url=bot.events_url, signing_secret=SIGNING_SECRET, emulator=slack)


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return "PostgreSQL: every store and Slack test runs on SQLite and on TEST_DATABASE_URL"
    return f"PostgreSQL: skipped, SQLite only. {NO_POSTGRES}"
