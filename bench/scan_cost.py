"""Scan cost: finding what is due must not slow down as the future fills up, and a Set's
status card must open quickly after years of meetings.

    .venv/bin/python -m bench.scan_cost

Part one: an outbox of 1,000,000 reminders due in the coming year and 100 due now. The
dispatcher's own query (its `_claimable` condition, soonest first, FOR UPDATE SKIP
LOCKED) is timed finding the 100, on SQLite and PostgreSQL, against the baseline of the
same query on an outbox holding only those 100; the query plan is printed, to show it
reads the index ix_outbox_status_due_at rather than every row.

Part two: a monthly Set of 8 members with 3 years behind it (36 meetings, a round for
each member at each, their contributions and commitments): the time to build and render
its status card (`/set` in its channel), against a Set that has not met yet.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bench.common import (
    Target,
    begin,
    fresh_postgres,
    fresh_sqlite,
    parser,
    percentile,
    postgres_available,
    report,
    table,
)
from bench.seed import (
    TEAM,
    History,
    Row,
    Rows,
    a_set_with_history,
    facilitator_of,
    insert_many,
    utc_now,
    write,
)
from bot.clock import ManualClock
from bot.flows import status
from bot.flows.access import Caller
from bot.flows.outbox import _claimable  # the dispatcher's own condition, not a copy
from bot.store.db import Store, make_engine
from bot.store.models import OutboxMessage, OutboxStatus
from bot.ui.sets import status_card

INDEX = "ix_outbox_status_due_at"
DUE_NOW = 100
# How many times each query or card is timed; the median and p95 are reported.
REPEATS = 200
# `/set` answers with the card inside the acknowledgement, whose p99 target is 100 ms.
CARD_P95_MS = 100.0


def future_rows(count: int, now: datetime) -> Iterator[Row]:
    """Reminders spread over the coming year, as 10,000 Sets' meetings would owe them."""
    for n in range(count):
        yield _row(f"future:{n}", now + timedelta(seconds=60 + n * 31_536_000 // max(count, 1)))


def due_rows(now: datetime) -> Iterator[Row]:
    for n in range(DUE_NOW):
        yield _row(f"due:{n}", now - timedelta(seconds=n + 1))


def _row(key: str, due_at: datetime) -> Row:
    return {
        "team_id": TEAM,
        "kind": "meeting_reminder",
        "target": "C0LEADERS",
        "due_at": due_at,
        "dedupe_key": key,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "payload": {},
    }


def due_query(cutoff: datetime) -> Any:
    """What `dispatch_due` asks each time it claims: due rows, soonest first, unlocked only."""
    return (
        select(OutboxMessage.id)
        .where(_claimable(cutoff))
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(DUE_NOW)
        .with_for_update(skip_locked=True)
    )


def timed(attempt: Callable[[], object], repeats: int) -> dict[str, float]:
    """Median and p95 of `repeats` runs, in milliseconds, after one untimed warm-up."""
    attempt()
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        attempt()
        seconds.append(time.perf_counter() - began)
    millis = [s * 1000 for s in seconds]
    return {
        "median_ms": round(percentile(millis, 50), 3),
        "p95_ms": round(percentile(millis, 95), 3),
    }


def find_due(engine: Engine, now: datetime) -> Callable[[], object]:
    def attempt() -> object:
        with engine.begin() as connection:
            found = connection.execute(due_query(now)).all()
        assert len(found) == DUE_NOW, f"found {len(found)} due rows, not {DUE_NOW}"
        return found

    return attempt


def query_plan(engine: Engine, now: datetime) -> list[str]:
    """EXPLAIN (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) of the dispatcher's query."""
    sql = str(
        due_query(now).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.execute(text(explain + sql)).all()
    return [" ".join(str(part) for part in row[-1:]) for row in rows]


def scan(database: str, url: str, *, future: int, repeats: int) -> dict[str, Any]:
    engine, now = make_engine(url), utc_now()
    try:
        insert_many(engine, OutboxMessage.__table__, due_rows(now))
        baseline = timed(find_due(engine, now), repeats)
        began = time.monotonic()
        insert_many(engine, OutboxMessage.__table__, future_rows(future, now))
        loaded = time.monotonic() - began
        _analyse(engine)
        found = timed(find_due(engine, now), repeats)
        plan = query_plan(engine, now)
    finally:
        engine.dispose()
    print(f"  {database}: {future:,} future rows loaded in {loaded:.0f}s")
    for line in plan:
        print(f"    plan: {line}")
    return {
        "part": "find the due reminders",
        "database": database,
        "future_rows": future,
        "due_rows": DUE_NOW,
        "baseline_median_ms": baseline["median_ms"],
        "median_ms": found["median_ms"],
        "p95_ms": found["p95_ms"],
        "ratio": round(found["median_ms"] / baseline["median_ms"], 2),
        "uses_index": any(INDEX in line for line in plan),
        "plan": plan,
    }


def _analyse(engine: Engine) -> None:
    """Statistics as a live database has them: PostgreSQL's autovacuum analyses a table
    after a bulk load; SQLite keeps none unless asked, and setbot never asks."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE outbox"))


def status_card_cost(database: str, url: str, *, months: int, repeats: int) -> dict[str, Any]:
    store, now = Store(engine=make_engine(url)), utc_now()
    rows = Rows()
    old = History(members=8, months=months, upcoming=1, contributions_per_member=3)
    new = History(members=8, months=0, upcoming=1)
    a_set_with_history(rows, set_number=1, channel_id="C0OLDSET", history=old, now=now)
    a_set_with_history(rows, set_number=2, channel_id="C0NEWSET", history=new, now=now)
    written = write(store.engine, rows)
    clock = ManualClock(now)

    def open_card(channel_id: str, set_number: int) -> Callable[[], object]:
        caller = Caller(team_id=TEAM, user_id=facilitator_of(set_number), channel_id=channel_id)
        return lambda: status_card(status.status_here(store, clock, caller))

    try:
        baseline = timed(open_card("C0NEWSET", 2), repeats)
        found = timed(open_card("C0OLDSET", 1), repeats)
    finally:
        store.dispose()
    return {
        "part": "open the status card",
        "database": database,
        "history": f"{months} monthly meetings, 8 members, {written:,} rows",
        "baseline_median_ms": baseline["median_ms"],
        "median_ms": found["median_ms"],
        "p95_ms": found["p95_ms"],
        "ratio": round(found["median_ms"] / baseline["median_ms"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    options = _options().parse_args(argv)
    run = begin("scan_cost")
    work = Path(tempfile.mkdtemp(prefix="setbot-bench-"))
    databases: list[tuple[str, Callable[[], Any]]] = [("sqlite", lambda: fresh_sqlite(work))]
    skipped = postgres_available(options.postgres_url)
    if not skipped:
        databases.append(("postgresql", lambda: fresh_postgres(options.postgres_url)))
    scans, cards = [], []
    for database, fresh in databases:
        with fresh() as url:
            scans.append(scan(database, url, future=options.future, repeats=options.repeats))
        with fresh() as url:
            cards.append(
                status_card_cost(database, url, months=options.months, repeats=options.repeats)
            )
    print(table(_columns(scans[0]), [[r[c] for c in _columns(r)] for r in scans]))
    print()
    print(table(list(cards[0]), [list(r.values()) for r in cards]))
    notes = [
        f"Each time is the median (and p95) of {options.repeats} runs after a warm-up, in one "
        "process, with the database on this machine.",
        "Baselines: the same query on an outbox holding only the due rows; the status card "
        "of a Set that has not met yet.",
        "PostgreSQL is analysed after the bulk load, as autovacuum would; SQLite is not "
        "(setbot never runs ANALYZE).",
    ]
    if skipped:
        notes.append(f"PostgreSQL skipped: {skipped}")
    report(
        run,
        out=options.out,
        settings=vars(options),
        results=scans + cards,
        targets=_targets(scans, cards),
        notes=notes,
    )
    return 0


def _columns(row: dict[str, Any]) -> list[str]:
    return [name for name in row if name != "plan"]


def _targets(scans: list[dict[str, Any]], cards: list[dict[str, Any]]) -> list[Target]:
    targets = []
    for found in scans:
        grows = found["ratio"] > 3
        targets.append(
            Target(
                f"finding what is due ({found['database']})",
                f"uses {INDEX} and does not grow with the future rows",
                f"{found['median_ms']} ms with {found['future_rows']:,} future rows against "
                f"{found['baseline_median_ms']} ms without ({found['ratio']}x); "
                f"index used: {found['uses_index']}",
                found["uses_index"] and not grows,
                "" if found["uses_index"] else "the plan reads the table, not the index",
            )
        )
    for card in cards:
        targets.append(
            Target(
                f"status card after 3 years ({card['database']})",
                f"p95 under {CARD_P95_MS:g} ms, the acknowledgement target",
                f"{card['median_ms']} ms (p95 {card['p95_ms']} ms), {card['ratio']}x a new Set's",
                card["p95_ms"] < CARD_P95_MS,
            )
        )
    return targets


def _options() -> Any:
    options = parser("Scan cost: the due-reminder query and the status card.")
    options.add_argument("--future", type=int, default=1_000_000, help="future reminders")
    options.add_argument("--months", type=int, default=36, help="months of the Set's history")
    options.add_argument("--repeats", type=int, default=REPEATS)
    return options


if __name__ == "__main__":
    raise SystemExit(main())
