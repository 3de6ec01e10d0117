"""Several bot processes dispatch one outbox: each row goes out once, and a crash loses nothing.

PostgreSQL only: `FOR UPDATE SKIP LOCKED` is what lets separate processes claim separate
rows (SQLite serves a single process). Each dispatcher here is a real OS process with
its own engine; its messenger records each delivery as a row in a `delivered` table, so
the test counts deliveries from outside the processes that made them.

The at-least-once boundary: a process killed after a delivery was recorded but before
its row was marked sent leaves that one row to be sent again once the lease expires.
That is the only duplicate allowed, and the crash test says so.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, col, func, select

from bot.clock import ManualClock
from bot.flows.notices import Notice, composer
from bot.flows.outbox import dispatch_due
from bot.store.db import Store, make_engine
from bot.store.models import OutboxMessage, OutboxStatus
from tests.polling import eventually

pytestmark = pytest.mark.postgres

KIND = "test_process_ping"
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
PARALLEL_ROWS = 2000
CRASH_ROWS = 150
LEASE = timedelta(seconds=60)
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared but the DB


@composer(KIND)
def compose_ping(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The notice carries its row's id, so a delivery can be traced back to the row."""
    return Notice(channel=row.target, message=row.id)


class TableMessenger:
    """Records each delivery, committed at once, as Slack would have shown it."""

    def __init__(self, engine: Engine, *, delay: float = 0.0) -> None:
        self._engine = engine
        self._delay = delay

    def deliver(self, notice: Notice) -> None:
        if self._delay:
            time.sleep(self._delay)  # a slow Slack, so a kill lands mid-batch
        with self._engine.begin() as connection:
            connection.execute(
                text("INSERT INTO delivered (outbox_id, pid) VALUES (:id, :pid)"),
                {"id": notice.message, "pid": os.getpid()},
            )


@dataclass(frozen=True)
class Database:
    store: Store
    url: str
    schema: str


@pytest.fixture
def database(store: Store) -> Database:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("several dispatcher processes need PostgreSQL (SKIP LOCKED)")
    with store.engine.begin() as connection:
        schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
        connection.execute(text("CREATE TABLE delivered (outbox_id integer, pid integer)"))
    return Database(store, os.environ["TEST_DATABASE_URL"], schema)


def dispatcher(
    database_url: str, schema: str, *, delay: float = 0.0, start: Any = None, results: Any = None
) -> None:
    """One bot process: its own engine, a clock frozen at NOW, dispatching until done."""
    engine = make_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    if start is not None:
        start.wait(timeout=30)
    began = time.monotonic()
    report = dispatch_due(
        Store(engine=engine), TableMessenger(engine, delay=delay), ManualClock(NOW), lease=LEASE
    )
    if results is not None:
        results.put((os.getpid(), report.sent, time.monotonic() - began))
    engine.dispose()


def owe_rows(store: Store, count: int) -> None:
    rows = [
        {
            "team_id": "T0SETBOT",
            "kind": KIND,
            "target": "C0LEADERS",
            "due_at": NOW - timedelta(seconds=i % 600),
            "dedupe_key": f"ping:{i}",
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "payload": {},
        }
        for i in range(count)
    ]
    with store.session() as session:
        session.execute(insert(OutboxMessage), rows)


def deliveries(store: Store) -> Counter[int]:
    with store.engine.connect() as connection:
        found = connection.execute(text("SELECT outbox_id FROM delivered")).scalars()
        return Counter(found)


def statuses(store: Store) -> Counter[str]:
    with store.session() as session:
        statement = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        return Counter({str(status): n for status, n in session.exec(statement)})


def test_two_dispatcher_processes_send_each_of_2000_rows_exactly_once(
    database: Database, record_property: Any
) -> None:
    owe_rows(database.store, PARALLEL_ROWS)
    start, results = SPAWN.Barrier(2), SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=dispatcher,
            args=(database.url, database.schema),
            kwargs={"start": start, "results": results},
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    counted = deliveries(database.store)
    assert len(counted) == PARALLEL_ROWS and set(counted.values()) == {1}
    assert statuses(database.store) == Counter({"sent": PARALLEL_ROWS})
    shares = [results.get(timeout=5) for _ in processes]
    assert all(sent > 0 for _, sent, _ in shares), f"one process did all the work: {shares}"
    record_property("dispatchers", [(sent, round(seconds, 2)) for _, sent, seconds in shares])


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_sends_at_most_one_row_twice(
    database: Database,
) -> None:
    store = database.store
    owe_rows(store, CRASH_ROWS)
    victim = SPAWN.Process(
        target=dispatcher, args=(database.url, database.schema), kwargs={"delay": 0.02}
    )
    victim.start()
    eventually(lambda: _at_least(store, 10), within=20, every=0.01)
    victim.kill()  # SIGKILL: no cleanup, its claimed batch stays claimed
    victim.join(timeout=10)
    stranded = statuses(store)["claimed"]
    assert stranded > 0

    # Another process at the same moment leaves the dead one's claims alone...
    messenger = TableMessenger(store.engine)
    dispatch_due(store, messenger, ManualClock(NOW), lease=LEASE)
    assert statuses(store)["claimed"] == stranded
    # ...and sends them once the lease has run out.
    dispatch_due(store, messenger, ManualClock(NOW + LEASE), lease=LEASE)

    counted = deliveries(store)
    assert set(counted) == set(_ids(store))
    assert sum(n - 1 for n in counted.values()) <= 1
    assert statuses(store) == Counter({"sent": CRASH_ROWS})


def _at_least(store: Store, count: int) -> None:
    assert sum(deliveries(store).values()) >= count


def _ids(store: Store) -> list[int]:
    with store.session() as session:
        return [i for i in session.exec(select(OutboxMessage.id)) if i is not None]
