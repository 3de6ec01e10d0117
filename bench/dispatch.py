"""Dispatch throughput: how fast the outbox empties, and whether anything goes out twice.

    .venv/bin/python -m bench.dispatch

Part one: 100,000 due meeting reminders across 10,000 Sets, the emulator answering at
once. One dispatcher process on SQLite, then 1, 2 and 4 processes sharing a fresh
PostgreSQL database. Each process is a fresh interpreter running the real dispatcher
(`dispatch_due`) with the real composer, renderer and Slack client; the emulator, in this
process, counts the chat.postMessage calls each outbox row caused, so a duplicate shows.
The baseline is the emulator alone: one process posting the same messages with a bare
WebClient, which is the most any number of dispatchers could get through it.

Part two: the emulator takes one message a second per channel, answering 429 with
Retry-After, as Slack does. A smaller outbox (20 channels x 10 messages by default) is
sent with the dispatcher ticking every TICK seconds, and the total time is compared
with the least the limit allows: (messages per channel - 1) seconds. Two orders: the
channels' messages interleaved (as reminders due at the same hour across Sets are), and
bunched (one channel's messages all due before the next channel's).
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from bench.common import (
    Target,
    begin,
    fresh_postgres,
    migrated_sqlite,
    parser,
    postgres_available,
    report,
    table,
)
from bench.seed import TEAM, Rows, meeting_reminder, utc_now, write
from bench.servers import SIGNING_SECRET
from bot.app import web_client
from bot.clock import SystemClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.flows.meeting_reminders import compose_meeting_reminder
from bot.flows.notices import Notice, composer
from bot.flows.outbox import dispatch_due
from bot.flows.schedule import Cadence, to_rfc5545
from bot.sim import SlackEmulator
from bot.store.db import Store, make_engine
from bot.store.models import (
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from bot.ui.blocks import Reply
from bot.ui.notices import render

# A meeting reminder whose text also names its outbox row, so the emulator can count
# how many times each row was posted.
TRACED_REMINDER = "bench_traced_meeting_reminder"
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: only the database is shared
TRACE = re.compile(r"\(outbox (\d+)\)$")
# How often the rate-limited run's dispatcher looks for rows whose Retry-After has passed.
# `setbot run` ticks every 30 seconds; this stands in for a ticker that keeps up.
TICK = 0.05


@dataclass(frozen=True)
class Traced:
    """A message, and the outbox row it was composed from."""

    outbox_id: int
    message: object


@composer(TRACED_REMINDER)
def compose_traced(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The real meeting reminder, marked with its row's id."""
    notice = compose_meeting_reminder(session, row, now)
    if notice is None or row.id is None:
        return None
    return replace(notice, message=Traced(row.id, notice.message))


@render.register
def _render_traced(message: Traced) -> Reply:
    inner = render(message.message)
    return Reply(text=f"{inner.text} (outbox {message.outbox_id})", blocks=inner.blocks)


# -- the outbox --------------------------------------------------------------------------


def owe_reminders(
    store: Store, channels: list[str], *, per_channel: int, bunched: bool = False
) -> int:
    """One Set per channel, each with `per_channel` meetings to come and a reminder due for
    each; interleaved, the k-th reminder of every channel falls due together."""
    now, rows = utc_now(), Rows()
    first = now + timedelta(days=7)
    for number, channel in enumerate(channels):
        set_id = rows.add(
            LearningSet.__tablename__,
            team_id=TEAM,
            name=f"Set {number:05d}",
            channel_id=channel,
            cadence=to_rfc5545(Cadence.weekly(count=per_channel)),
            first_meeting_at=first,
            ground_rules=[],
        )
        rows.add(
            Membership.__tablename__,
            team_id=TEAM,
            set_id=set_id,
            user_id=f"UF{number:07d}",
            role=Role.FACILITATOR,
        )
        for k in range(per_channel):
            starts = first + timedelta(weeks=k)
            meeting_id = rows.add(
                Meeting.__tablename__,
                team_id=TEAM,
                set_id=set_id,
                scheduled_at=starts,
                status=MeetingStatus.SCHEDULED,
                turn_order=[],
            )
            order = number * per_channel + k if bunched else k * len(channels) + number
            rows.add(
                OutboxMessage.__tablename__,
                **meeting_reminder(
                    set_id=set_id,
                    meeting_id=meeting_id,
                    channel_id=channel,
                    starts_at=starts,
                    due_at=now - timedelta(hours=1) + timedelta(milliseconds=order),
                    kind=TRACED_REMINDER,
                ),
            )
    write(store.engine, rows)
    return len(channels) * per_channel


def emulator_with_channels(count: int) -> tuple[SlackEmulator, list[str]]:
    emulator = SlackEmulator().start()
    channels = [
        emulator.add_channel(f"set-{n:05d}", members=[emulator.bot_user_id]) for n in range(count)
    ]
    return emulator, channels


def sent_per_row(emulator: SlackEmulator) -> Counter[int]:
    """How many times each outbox row reached a channel, from the emulator's own record."""
    counted: Counter[int] = Counter()
    for call in emulator.calls_to("chat.postMessage"):
        found = TRACE.search(str(call.args.get("text", ""))) if call.ok else None
        if found:
            counted[int(found.group(1))] += 1
    return counted


def statuses(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
        )
        return {str(status): n for status, n in rows}


# -- dispatcher processes ----------------------------------------------------------------


def dispatcher(
    database_url: str, slack: Settings, ready: Any, start: Any, results: Any, until_empty: bool
) -> None:
    """One bot process: its own engine and Slack client, dispatching until nothing is due.

    `until_empty` keeps ticking (every TICK seconds) until no row is pending, for rows a
    rate limit moved a little into the future.
    """
    store = Store(engine=make_engine(database_url))
    messenger, clock = SlackMessenger(web_client(slack)), SystemClock()
    ready.put(True)
    start.wait(timeout=120)
    while True:
        dispatch_due(store, messenger, clock)
        if not until_empty or statuses(store).get(OutboxStatus.PENDING, 0) == 0:
            break
        time.sleep(TICK)
    results.put(time.monotonic())
    store.dispose()


def run_dispatchers(
    database_url: str,
    emulator: SlackEmulator,
    processes: int,
    *,
    until_empty: bool = False,
    max_seconds: float = 0,
) -> tuple[bool, float]:
    """Start `processes` dispatchers at once and wait until the last one has finished, or
    for at most `max_seconds` (0: no limit), when they are stopped where they are.

    Returns whether they finished, and the seconds they ran.
    """
    ready, start, results = SPAWN.Queue(), SPAWN.Event(), SPAWN.Queue()
    workers = [
        SPAWN.Process(
            target=dispatcher,
            args=(database_url, slack_settings(emulator), ready, start, results, until_empty),
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:  # each has its engine and Slack client: all begin together
        collect(ready, workers, deadline=time.monotonic() + 120)
    start.set()
    began = time.monotonic()
    deadline = began + max_seconds if max_seconds else math.inf
    try:
        finished = [collect(results, workers, deadline=deadline) for _ in workers]
    except TimeoutError:
        finished = []
    for worker in workers:
        worker.terminate()  # time is up: a dispatcher still busy is stopped where it is
        worker.join(timeout=30)
    if len(finished) < processes:
        return False, time.monotonic() - began
    return True, max(finished) - began


def collect(results: Any, workers: list[Any], *, deadline: float = math.inf) -> Any:
    """The next result a worker sends; fails at once if a worker died without sending one,
    and raises TimeoutError at the deadline."""
    while time.monotonic() < deadline:
        try:
            return results.get(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a benchmark process failed (exit code {dead[0]})") from None
    raise TimeoutError


def slack_settings(emulator: SlackEmulator) -> Settings:
    """What a bot process needs to reach the emulator (its client is built from these)."""
    return Settings(
        app_token=None,
        bot_token=emulator.bot_token,
        signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
    )


def emulator_alone(slack: Settings, channels: list[str], count: int, results: Any) -> None:
    """The baseline: the same number of posts from a bare WebClient, nothing else."""
    client = web_client(slack)
    began = time.monotonic()
    for n in range(count):
        client.chat_postMessage(channel=channels[n % len(channels)], text=f"ping {n}")
    results.put(time.monotonic() - began)


def baseline(channel_count: int, posts: int) -> dict[str, Any]:
    """How fast the emulator takes posts from one process that does nothing else."""
    emulator, channels = emulator_with_channels(channel_count)
    try:
        results = SPAWN.Queue()
        worker = SPAWN.Process(
            target=emulator_alone, args=(slack_settings(emulator), channels, posts, results)
        )
        worker.start()
        seconds = collect(results, [worker])
        worker.join(timeout=30)
    finally:
        emulator.stop()
    return {
        "run": "baseline: emulator alone, bare WebClient",
        "database": "-",
        "processes": 1,
        "reminders": posts,
        "sent": posts,
        "seconds": round(seconds, 2),
        "per_second": round(posts / seconds, 1),
        "emptied": True,
        "duplicates": 0,
    }


# -- the runs ----------------------------------------------------------------------------


def throughput(
    database: str,
    url: str,
    store: Store,
    *,
    sets: int,
    per_set: int,
    processes: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Reminders sent per second by `processes` dispatchers sharing one outbox."""
    emulator, channels = emulator_with_channels(sets)
    try:
        owed = owe_reminders(store, channels, per_channel=per_set)
        finished, seconds = run_dispatchers(url, emulator, processes, max_seconds=max_seconds)
        counted = sent_per_row(emulator)
    finally:
        emulator.stop()
    sent = len(counted)
    print(f"  {database}, {processes} process(es): {sent:,} sent in {seconds:.1f}s")
    return {
        "run": "dispatch_due, real composer and Slack client",
        "database": database,
        "processes": processes,
        "reminders": owed,
        "sent": sent,
        "seconds": round(seconds, 2),
        "per_second": round(sent / seconds, 1),
        "emptied": finished and sent == owed,
        "duplicates": sum(n - 1 for n in counted.values()),
    }


def rate_limited(
    store: Store, url: str, *, channels: int, per_channel: int, bunched: bool
) -> dict[str, Any]:
    """Time to send everything when each channel takes one message a second."""
    emulator, ids = emulator_with_channels(channels)
    try:
        emulator.limit_rate("chat.postMessage", per_channel_per_second=1)
        owed = owe_reminders(store, ids, per_channel=per_channel, bunched=bunched)
        _, seconds = run_dispatchers(url, emulator, 1, until_empty=True)
        counted = sent_per_row(emulator)
        sent = len(counted)
        refused = sum(1 for call in emulator.calls_to("chat.postMessage") if not call.ok)
    finally:
        emulator.stop()
    least = float(per_channel - 1)
    return {
        "order": "bunched" if bunched else "interleaved",
        "channels": channels,
        "messages_per_channel": per_channel,
        "sent": sent,
        "seconds": round(seconds, 2),
        "least_seconds": least,
        "over_least": round(seconds / least - 1, 3) if least else None,
        "answered_429": refused,
        "emptied": sent == owed,
        "duplicates": sum(n - 1 for n in counted.values()),
    }


def main(argv: list[str] | None = None) -> int:
    options = _options().parse_args(argv)
    run = begin("dispatch")
    per_set = max(1, options.reminders // options.sets)
    work = Path(tempfile.mkdtemp(prefix="setbot-bench-"))
    results = [baseline(options.sets, min(options.reminders, options.baseline_posts))]
    print(f"  baseline: {results[0]['per_second']:,} posts/s")
    sqlite_url = f"sqlite:///{work / 'dispatch.db'}"
    results.append(
        throughput(
            "sqlite",
            sqlite_url,
            migrated_sqlite(work / "dispatch.db"),
            sets=options.sets,
            per_set=per_set,
            processes=1,
            max_seconds=options.max_seconds,
        )
    )
    skipped = postgres_available(options.postgres_url)
    notes = [
        f"{options.sets:,} Sets x {per_set} reminders; the emulator runs in the benchmark's "
        "own process and every dispatcher in a process of its own, all on this machine's "
        "CPUs.",
        "The emulator is a Python HTTP server opening a thread per connection, and "
        "slack_sdk's WebClient opens a connection per call: the baseline row is the most "
        "it can take from one client.",
    ]
    if options.max_seconds:
        notes.append(
            f"Each throughput run dispatches for at most {options.max_seconds:g}s of the "
            f"{options.reminders:,}-row outbox and is then stopped (emptied: false); "
            "reminders/s is what it sent in that time. --max-seconds 0 runs to the end."
        )
    if skipped:
        notes.append(f"PostgreSQL runs skipped: {skipped}")
    for processes in [] if skipped else options.processes:
        with fresh_postgres(options.postgres_url) as url:
            store = Store(engine=make_engine(url))
            results.append(
                throughput(
                    "postgresql",
                    url,
                    store,
                    sets=options.sets,
                    per_set=per_set,
                    processes=processes,
                    max_seconds=options.max_seconds,
                )
            )
            store.dispose()
    limited = []
    for bunched in [order == "bunched" for order in options.orders]:
        path = work / f"limited-{bunched}.db"
        limited.append(
            rate_limited(
                migrated_sqlite(path),
                f"sqlite:///{path}",
                channels=options.limited_channels,
                per_channel=options.limited_messages,
                bunched=bunched,
            )
        )
    print(table(list(results[0]), [list(r.values()) for r in results]))
    print()
    print(table(list(limited[0]), [list(r.values()) for r in limited]))
    report(
        run,
        out=options.out,
        settings=vars(options) | {"per_set": per_set, "tick_seconds": TICK},
        results=results,
        targets=_targets(results, limited),
        notes=[
            *notes,
            f"Rate-limited part: {options.limited_channels} channels x "
            f"{options.limited_messages} messages on SQLite, one dispatcher ticking every "
            f"{TICK}s (setbot run ticks every 30s), 1 message/s per channel.",
        ],
        extra={"rate_limited": limited},
    )
    return 0


def _targets(results: list[dict[str, Any]], limited: list[dict[str, Any]]) -> list[Target]:
    duplicates = sum(r["duplicates"] for r in results + limited)
    targets = [Target("duplicates", "0", f"{duplicates} over every run", duplicates == 0)]
    stuck = [r for r in limited if not r["emptied"]]
    if stuck:
        targets.append(
            Target("rate-limited runs delivered everything", "all sent", "some left", False)
        )
    for run in limited:
        over = run["over_least"] or 0.0
        targets.append(
            Target(
                f"rate-limited total time ({run['order']})",
                "within 10% of the least the limit allows",
                f"{run['seconds']}s against {run['least_seconds']}s (+{over:.0%})",
                over <= 0.10,
                "" if over <= 0.10 else _why_slow(run["order"]),
            )
        )
    return targets


def _why_slow(order: str) -> str:
    if order == "bunched":
        return (
            "one dispatcher sends rows in due order and waits out each 429 in place "
            "(slack_sdk's RateLimitErrorRetryHandler sleeps Retry-After), so one busy "
            "channel holds up every other channel behind it"
        )
    return (
        "Retry-After comes in whole seconds, so a channel ready again after a fraction of "
        "a second waits a full one, and the dispatcher waits with it"
    )


def _options() -> Any:
    options = parser("Dispatch throughput and rate-limited delivery.")
    options.add_argument("--sets", type=int, default=10_000)
    options.add_argument("--reminders", type=int, default=100_000)
    options.add_argument(
        "--processes", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2, 4]
    )
    options.add_argument("--baseline-posts", type=int, default=20_000)
    options.add_argument(
        "--max-seconds",
        type=float,
        default=120,
        help="stop each throughput run after this long (0: until the outbox is empty)",
    )
    options.add_argument("--limited-channels", type=int, default=20)
    options.add_argument("--limited-messages", type=int, default=10)
    options.add_argument(
        "--orders",
        type=lambda s: s.split(","),
        default=["interleaved", "bunched"],
        help="which orders the rate-limited part sends in",
    )
    return options


if __name__ == "__main__":
    raise SystemExit(main())
