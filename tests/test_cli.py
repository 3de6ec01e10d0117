"""`setbot` as an operator meets it: one clear line when something is missing, then it runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import make_engine
from tests.polling import eventually

SECRET = "cli-signing-secret"


def setbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without any Slack or database setting leaking in."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    return {**keep, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **extra}


def test_a_missing_token_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = setbot("run", env=clean_env(), cwd=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "setbot: SLACK_BOT_TOKEN is not set: create the app from manifest.yml, install it, "
        "and copy the Bot User OAuth Token (xoxb-…) into .env"
    ]


def test_version_is_printed(tmp_path: Path) -> None:
    result = setbot("--version", env=clean_env(), cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("setbot ")


def test_db_upgrade_creates_the_schema_without_slack_tokens(tmp_path: Path) -> None:
    result = setbot("db", "upgrade", env=clean_env(), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    tables = set(inspect(make_engine(f"sqlite:///{tmp_path / 'setbot.db'}")).get_table_names())
    assert {"learning_set", "membership", "round", "commitment", "outbox"} <= tables


def test_an_unreachable_slack_is_one_line_too(tmp_path: Path) -> None:
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    )
    result = setbot("run", env=env, cwd=tmp_path)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("setbot: cannot reach Slack:")
    assert last.endswith("check SLACK_BOT_TOKEN and SLACK_API_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def running_bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[tuple[str, Path]]:
    """`setbot run` as its own process, in HTTP mode, talking to the emulator."""
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
    )
    log = tmp_path / "setbot.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=out, stderr=out
        )
        try:
            yield f"http://127.0.0.1:{port}", log
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_setbot_run_serves_health_and_answers_a_signed_help(
    running_bot: tuple[str, Path], slack: SlackEmulator
) -> None:
    base_url, log = running_bot

    health = eventually(lambda: urllib.request.urlopen(base_url + "/healthz", timeout=1), within=20)
    assert health.status == 200

    driver = SlackDriver(url=base_url + "/slack/events", signing_secret=SECRET, emulator=slack)
    reply = driver.slash_command("/set", "help", user_id="U0ALEX", channel_id="C0GENERAL")
    assert reply.status == 200 and reply.json is not None
    assert reply.json["text"] == "Here is what setbot can do."

    started = log.read_text()
    assert f"HTTP mode on port {base_url.rsplit(':', 1)[1]}" in started
    assert "database sqlite:///setbot.db" in started
    assert f"({slack.team_id})" in started
