"""The benchmarks still run: each, at a tiny size, finishes and writes results of the right shape.

Only that they work is checked here, never how fast: speed is for BENCHMARKS.md, measured
at full size on a quiet machine. The four run side by side, each in its own interpreter
with the documented `python -m bench.NAME` command, to keep the whole check short.
PostgreSQL joins in when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
TINY = {
    "ack_latency": ["--rates", "20", "--seconds", "1", "--cost-seconds", "0.3"],
    "dispatch": [
        *("--sets", "3", "--reminders", "6", "--baseline-posts", "5", "--processes", "1"),
        *("--limited-channels", "2", "--limited-messages", "2", "--orders", "interleaved"),
    ],
    "scan_cost": ["--future", "300", "--months", "2", "--repeats", "3"],
    "memory": ["--sets", "5", "--due", "2", "--asks", "3", "--settle", "0.2"],
}
RESULT_COLUMNS = {
    "ack_latency": {"app", "rate", "sent", "failed", "p50_ms", "p95_ms", "p99_ms"},
    "dispatch": {"processes", "reminders", "sent", "per_second", "duplicates"},
    "scan_cost": {"part", "database", "median_ms", "p95_ms", "ratio"},
    "memory": {"process", "when", "rss_mb", "peak_mb"},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every benchmark run once, all at the same time; their JSON results by name."""
    out = tmp_path_factory.mktemp("bench-results")
    common = ["--out", str(out), "--postgres-url", POSTGRES_URL]
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"bench.{name}", *common, *options],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, options in TINY.items()
    }
    for name, process in running.items():
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"bench.{name} failed:\n{output[-3000:]}"
    return {name: json.loads((out / f"{name}.json").read_text()) for name in TINY}


@pytest.mark.parametrize("name", list(TINY))
def test_each_benchmark_writes_its_results_the_machine_and_its_targets(
    results: dict[str, dict[str, Any]], name: str
) -> None:
    written = results[name]

    assert written["benchmark"] == name
    machine = written["machine"]
    assert (
        isinstance(machine, dict) and machine["cpus"] >= 1 and "load average" in machine["uptime"]
    )
    rows = written["results"]
    assert isinstance(rows, list) and rows
    assert all(RESULT_COLUMNS[name] <= set(row) for row in rows), rows
    targets = written["targets"]
    assert isinstance(targets, list) and targets
    assert all({"name", "goal", "measured", "met", "why"} <= set(t) for t in targets)


def test_the_dispatch_benchmark_counts_no_reminder_twice(
    results: dict[str, dict[str, Any]],
) -> None:
    written = results["dispatch"]
    runs = [*written["results"], *written["rate_limited"]]

    assert all(run["duplicates"] == 0 and run["emptied"] for run in runs), runs


def test_the_latency_benchmark_measures_setbot_against_bare_bolt(
    results: dict[str, dict[str, Any]],
) -> None:
    rows = results["ack_latency"]["results"]

    assert {row["app"] for row in rows} == {"setbot", "bare Bolt"}
    assert all(row["failed"] == 0 for row in rows), rows
    assert results["ack_latency"]["ratios"]
