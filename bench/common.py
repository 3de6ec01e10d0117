"""What every benchmark shares: the machine it ran on, percentiles, tables, JSON results,
and throwaway databases (a temporary SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.store.db import Store, make_engine
from bot.store.migrate import upgrade

RESULTS_DIR = Path(__file__).parent / "results"
# Where the PostgreSQL parts create (and afterwards drop) their own database.
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Loopback needs no proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Target:
    """A goal from issue 8, what was measured against it, and why it was met or missed."""

    name: str
    goal: str
    measured: str
    met: bool
    why: str = ""


def parser(description: str) -> argparse.ArgumentParser:
    """Options every benchmark takes: where to write results, which PostgreSQL to use."""
    parsed = argparse.ArgumentParser(description=description)
    parsed.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON results")
    parsed.add_argument(
        "--postgres-url",
        default=POSTGRES_ADMIN_URL,
        help="a PostgreSQL the benchmark may create a database in ('' skips PostgreSQL)",
    )
    return parsed


def machine() -> dict[str, Any]:
    """The hardware and the load on it when the benchmark began."""
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "ram_gb": round(_meminfo_kb("MemTotal") / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "uptime": uptime(),
    }


def uptime() -> str:
    """`uptime`'s line: the load averages say how busy the shared machine was."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + Path("/proc/loadavg").read_text().strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo_kb(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with p% of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns padded to fit."""
    cells = [[str(h) for h in headers], *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Run:
    """One benchmark run: its name, when it began, and the machine and its load then."""

    name: str
    started: datetime
    machine: dict[str, Any]


def begin(name: str) -> Run:
    """Note the machine and its load before anything runs.

    A benchmark stopped with SIGTERM unwinds as on Ctrl-C, so the servers it started stop too.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    run = Run(name, datetime.now(UTC), machine())
    cpus, model, ram = run.machine["cpus"], run.machine["cpu_model"], run.machine["ram_gb"]
    print(f"{name}: {cpus} CPUs ({model}), {ram} GB RAM")
    print(f"before: {run.machine['uptime']}")
    return run


def report(
    run: Run,
    *,
    out: Path,
    settings: dict[str, Any],
    results: list[dict[str, Any]],
    targets: list[Target],
    notes: list[str],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Print whether each target was met, and write the whole run as `out/NAME.json`."""
    for target in targets:
        verdict = "met" if target.met else "MISSED"
        why = f" — {target.why}" if target.why else ""
        print(f"[{verdict}] {target.name}: {target.measured} (target {target.goal}){why}")
    for note in notes:
        print(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{run.name}.json"
    payload = {
        "benchmark": run.name,
        "started_at": run.started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": run.machine,
        "after": uptime(),
        "settings": settings,
        "results": results,
        "targets": [asdict(target) for target in targets],
        "notes": notes,
        **(extra or {}),
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"results written to {path}")
    return path


def free_port() -> int:
    """A loopback port nobody holds now (the server that takes it binds a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, *, within: float = 30.0) -> None:
    """Poll `url` until it answers 200, or fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        try:
            with _OPENER.open(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{url} did not answer within {within:.0f}s")
        time.sleep(0.1)


def migrated_sqlite(path: Path) -> Store:
    """A fresh SQLite file with the schema from the migrations, as `setbot run` makes it."""
    path.unlink(missing_ok=True)
    store = Store(engine=make_engine(f"sqlite:///{path}"))
    upgrade(store.engine)
    return store


@contextmanager
def fresh_sqlite(folder: Path) -> Iterator[str]:
    """A new, migrated SQLite file in `folder`, deleted afterwards; yields its URL."""
    path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
    migrated_sqlite(path).dispose()
    try:
        yield f"sqlite:///{path}"
    finally:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


def postgres_available(admin_url: str) -> str | None:
    """None if the PostgreSQL answers, else one line saying why its parts are skipped."""
    if not admin_url:
        return "no PostgreSQL URL given"
    engine = make_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        return f"PostgreSQL at {admin_url} did not answer: {str(error).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, migrated database named setbot_bench_…, dropped afterwards; yields its URL."""
    name = f"setbot_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
