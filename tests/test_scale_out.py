"""Three bot processes behind a load balancer, on one PostgreSQL database, act as one bot.

Fran's Set holds its first meeting while a load balancer hands each of Slack's requests
to the next of three `setbot run` processes in turn: the check-ins, the thread messages
and the clicks of one round land on different processes. Afterwards the database holds
what one process would have stored. Then every reminder the Set is owed falls due at
once and all three processes start together, each ticking at start-up: Slack receives
exactly what one process sends, each reminder once.

PostgreSQL only: SQLite is for a single process (see README, "Running it").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, update
from sqlmodel import Session, col, func, select

from bot.sim import SlackEmulator
from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.store.models import OutboxMessage, OutboxStatus
from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.polling import eventually
from tests.processes import (
    BotProcess,
    SlackResends,
    Snapshot,
    conversation_names,
    differences,
    fresh_database,
    new_workdir,
    play_a_meeting,
    running,
    seat_the_people,
    snapshot,
)

pytestmark = pytest.mark.postgres

PROCESSES = 3
POSTS = ("chat.postMessage", "chat.postEphemeral")
# Each process ticks as it starts; the slowest start on a busy machine takes a while.
SENT_WITHIN = 60.0


@pytest.fixture(autouse=True)
def postgres() -> None:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)


def test_three_processes_store_a_meeting_and_send_its_reminders_as_one_process_does(
    tmp_path: Path,
) -> None:
    one = _meeting_then_reminders(1, tmp_path)
    three = _meeting_then_reminders(PROCESSES, tmp_path)

    assert one.stored["contribution"] and one.stored["commitment"] and one.stored["phase_move"]
    assert not differences(one.stored, three.stored), "\n".join(
        differences(one.stored, three.stored)
    )
    assert one.owed >= 15, "the Set should owe meeting, preparation and action reminders"
    assert one.sent > 0, "nothing was sent, so nothing was tested"
    assert len(three.posts) == three.sent == one.sent
    assert sorted(three.posts) == sorted(one.posts)


def test_processes_deployed_together_on_a_new_database_take_turns_to_migrate(
    tmp_path: Path,
) -> None:
    with fresh_database("postgres", tmp_path) as url:
        engines = [make_engine(url) for _ in range(PROCESSES + 1)]
        together = threading.Barrier(len(engines))
        failures: list[BaseException] = []

        def start(engine: Engine) -> None:
            together.wait()
            try:
                upgrade(engine)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        tables = inspect(engines[0]).get_table_names()
        for engine in engines:
            engine.dispose()

    assert failures == []
    assert "outbox" in tables


@dataclass(frozen=True)
class Outcome:
    """What one run left: the store after the meeting, and what the reminders brought."""

    stored: Snapshot
    owed: int
    sent: int
    posts: list[tuple[str, ...]]


def _meeting_then_reminders(processes: int, tmp_path: Path) -> Outcome:
    """The meeting through `processes` processes in turn; then every reminder falls due.

    The processes are restarted together, so each one's start-up tick races the others'
    for the same rows. What reached Slack is kept as the reader sees it, so a run that
    sent a row twice shows one post more than the run with one process, which cannot.
    """
    workdir = new_workdir(tmp_path)
    with SlackEmulator() as slack, fresh_database("postgres", workdir) as url:
        seat_the_people(slack)
        bots = [
            BotProcess(database_url=url, slack=slack, workdir=workdir) for _ in range(processes)
        ]
        with running(bots):
            driver = SlackResends(bots=bots, emulator=slack)
            play_a_meeting(driver, slack)
        assert driver.resent == []
        engine = make_engine(url)
        try:
            stored = snapshot(engine, slack)
            said_in_the_meeting = _sent(engine)
            owed = _bring_every_reminder_forward(engine)
            before = len(slack.calls)
            with running(bots):
                eventually(lambda: _nothing_due_or_claimed(engine), within=SENT_WITHIN, every=0.1)
            sent = _sent(engine) - said_in_the_meeting
        finally:
            engine.dispose()
        names = conversation_names(slack)
        posts = [_as_read(c.args, names) for c in slack.calls[before:] if c.method in POSTS]
    return Outcome(stored, owed, sent, posts)


def _bring_every_reminder_forward(engine: Engine) -> int:
    """Make everything still owed due a minute ago, as if the weeks had passed."""
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    with Session(engine) as session:
        owed = session.exec(
            select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        ).one()
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            .values(due_at=a_minute_ago)
        )
        session.commit()
    return int(owed)


def _nothing_due_or_claimed(engine: Engine) -> None:
    """Every due row is settled: sent, or put off to the reader's waking hours."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        waiting = session.exec(
            select(func.count()).where(
                (col(OutboxMessage.status) == OutboxStatus.CLAIMED)
                | (
                    (col(OutboxMessage.status) == OutboxStatus.PENDING)
                    & (col(OutboxMessage.due_at) <= now)
                )
            )
        ).one()
    assert waiting == 0


def _sent(engine: Engine) -> int:
    with Session(engine) as session:
        statement = select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.SENT)
        return int(session.exec(statement).one())


def _as_read(args: dict[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    """A post as its reader sees it: where, to whom, and what it says."""
    channel = str(args.get("channel"))
    return (names.get(channel, channel), str(args.get("user")), str(args.get("text")))
