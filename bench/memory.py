"""Memory: the resident size of `setbot run`, idle and with a busy workspace's database.

    .venv/bin/python -m bench.memory

`setbot run` serves HTTP against the emulator, on SQLite. Its resident memory (VmRSS from
/proc, and the peak, VmHWM) is read three times: idle on an empty database; idle on a
database holding 10,000 Sets with a year of monthly meetings each (members, attendance,
rounds and commitments); and after it has worked over that database, its ticker sending
the reminders due and `/set` answered in a thousand of the Sets' channels. The baseline
is the bare Bolt app behind the same server, idle.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bench.ack_latency import status_command
from bench.common import Target, begin, memory_mb, migrated_sqlite, parser, report, table
from bench.seed import TEAM, History, Rows, a_set_with_history, facilitator_of, utc_now, write
from bench.servers import SIGNING_SECRET, Server, bare_bolt, setbot_run
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import OutboxMessage, OutboxStatus
from bot.web import EVENTS_PATH

TARGET_MB = 150.0
# How long a freshly started server is left alone before it counts as idle: its first
# tick runs at once, and the interpreter settles after start-up.
SETTLE_SECONDS = 3.0


def load_workspace(store: Store, emulator: SlackEmulator, *, sets: int, due: int) -> int:
    """`sets` Sets, each a year into monthly meetings, their channels in the emulator;
    the next meeting's reminder is due now in the first `due` of them, later in the rest."""
    now, rows = utc_now(), Rows()
    history = History(members=6, months=12, upcoming=1)
    for number in range(sets):
        channel = emulator.add_channel(f"set-{number:05d}", members=[emulator.bot_user_id])
        a_set_with_history(rows, set_number=number, channel_id=channel, history=history, now=now)
    for n, reminder in enumerate(rows.by_table[OutboxMessage.__tablename__]):
        if n >= due:
            reminder["due_at"] = now + timedelta(days=1)
    return write(store.engine, rows)


def sent_so_far(store: Store) -> int:
    with store.engine.connect() as connection:
        statement = select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.SENT)
        return int(connection.execute(statement).scalar_one())


def wait_until_sent(store: Store, count: int, *, within: float) -> float:
    """Seconds until the ticker had sent `count` reminders (it ticks once at start-up)."""
    began = time.monotonic()
    while sent_so_far(store) < count:
        if time.monotonic() - began > within:
            raise RuntimeError(f"only {sent_so_far(store)} of {count} reminders went out")
        time.sleep(0.5)
    return time.monotonic() - began


def ask_status(server: Server, emulator: SlackEmulator, *, sets: int, asks: int) -> None:
    """`/set` from each Set's facilitator in its channel, spread over the Sets."""
    driver = SlackDriver(
        url=server.base_url + EVENTS_PATH, signing_secret=SIGNING_SECRET, emulator=emulator
    )
    response_url = emulator.new_response_url()
    channels = _channels(emulator)
    step = max(1, sets // asks)
    for n in range(asks):
        number = n * step % sets
        body = status_command(
            team_id=TEAM,
            channel=channels[number],
            user=facilitator_of(number),
            trigger=f"{n}.memory.bench",
            response_url=response_url,
        )
        answer = driver.send(body, "application/x-www-form-urlencoded")
        if answer.status != 200 or not answer.json or "blocks" not in answer.json:
            raise RuntimeError(f"/set in Set {number} got {answer.status}: {answer.body[:200]}")


def _channels(emulator: SlackEmulator) -> list[str]:
    with emulator.workspace() as ws:
        return sorted(c.id for c in ws.channels.values() if c.name.startswith("set-"))


def measure(label: str, server: Server, **extra: Any) -> dict[str, Any]:
    rss, peak = memory_mb(server.pid)
    print(f"  {label}: {rss} MB resident, {peak} MB at peak")
    return {"process": server.name, "when": label, "rss_mb": rss, "peak_mb": peak, **extra}


def main(argv: list[str] | None = None) -> int:
    options = _options().parse_args(argv)
    run = begin("memory")
    work = Path(tempfile.mkdtemp(prefix="setbot-bench-"))
    rows: list[dict[str, Any]] = []
    with SlackEmulator() as emulator:
        bare = bare_bolt(emulator, cwd=work)
        time.sleep(options.settle)
        rows.append(measure("idle (baseline)", bare))
        bare.stop()

        empty = setbot_run(emulator, database_url=f"sqlite:///{work / 'empty.db'}", cwd=work)
        time.sleep(options.settle)
        rows.append(measure("idle, empty database", empty))
        empty.stop()

        store = migrated_sqlite(work / "loaded.db")
        began = time.monotonic()
        written = load_workspace(store, emulator, sets=options.sets, due=options.due)
        seeding = time.monotonic() - began
        print(f"  {written:,} rows for {options.sets:,} Sets written in {seeding:.0f}s")
        loaded = setbot_run(emulator, database_url=f"sqlite:///{work / 'loaded.db'}", cwd=work)
        try:
            time.sleep(options.settle)
            rows.append(measure("idle, loaded database", loaded, rows=written))
            sending = wait_until_sent(store, options.due, within=options.due + 60)
            ask_status(loaded, emulator, sets=options.sets, asks=options.asks)
            rows.append(
                measure(
                    f"after sending {options.due:,} reminders and {options.asks:,} /set",
                    loaded,
                    rows=written,
                    seconds_to_send=round(sending, 1),
                )
            )
        finally:
            loaded.stop()
            store.dispose()
    columns = ["process", "when", "rss_mb", "peak_mb"]
    print(table(columns, [[r[c] for c in columns] for r in rows]))
    worst = max(r["peak_mb"] for r in rows if r["process"] == "setbot")
    report(
        run,
        out=options.out,
        settings=vars(options),
        results=rows,
        targets=[
            Target(
                "setbot run's resident memory",
                f"under {TARGET_MB:g} MB",
                f"{worst} MB at most (peak, VmHWM)",
                worst < TARGET_MB,
            )
        ],
        notes=[
            "Resident memory is VmRSS, and the peak VmHWM, from /proc/PID/status; "
            f"idle means {options.settle:g}s after /healthz first answered.",
            f"The loaded database: {options.sets:,} Sets of 6 members and a facilitator, "
            "12 meetings held (attendance, a round and a commitment per member) and one "
            "to come; SQLite, as `setbot run` uses by default.",
        ],
    )
    return 0


def _options() -> Any:
    options = parser("Resident memory of setbot run, idle and with a loaded database.")
    options.add_argument("--sets", type=int, default=10_000)
    options.add_argument("--due", type=int, default=1_000, help="reminders due at start-up")
    options.add_argument("--asks", type=int, default=1_000, help="/set requests to answer")
    options.add_argument(
        "--settle", type=float, default=SETTLE_SECONDS, help="seconds a server idles first"
    )
    return options


if __name__ == "__main__":
    raise SystemExit(main())
