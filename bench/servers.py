"""Starting and stopping the servers a benchmark drives: `setbot run` itself, in HTTP mode
against the emulator, and the bare Bolt baseline, each in a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.common import free_port, wait_for_http
from bot.sim import SlackEmulator
from bot.web import HEALTH_PATH

SIGNING_SECRET = "bench-signing-secret"


class Server:
    """A server process on a loopback port; `stop()` asks it to finish, as systemd would."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.port = int(env["PORT"])
        self._log = (cwd / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=self._log, stderr=self._log
        )
        try:
            wait_for_http(f"{self.base_url}{HEALTH_PATH}", within=60)
        except RuntimeError:
            self.stop()
            log = (cwd / f"{name}.log").read_text()[-2000:]
            raise RuntimeError(f"{name} did not start; its log ends:\n{log}") from None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def _environment(emulator: SlackEmulator, **values: str) -> dict[str, str]:
    """The bot's settings for the emulator; nothing from the caller's Slack settings leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        PORT=str(free_port()),
        LOG_LEVEL="WARNING",
        **values,
    )
    return env


def setbot_run(emulator: SlackEmulator, *, database_url: str, cwd: Path) -> Server:
    """`setbot run` in HTTP mode (no app-level token), as production runs it."""
    setbot = Path(sys.executable).parent / "setbot"
    command = [str(setbot), "run"] if setbot.exists() else [sys.executable, "-m", "bot", "run"]
    env = _environment(emulator, DATABASE_URL=database_url)
    return Server("setbot", command, env=env, cwd=cwd)


def bare_bolt(emulator: SlackEmulator, *, cwd: Path) -> Server:
    env = _environment(emulator, PYTHONPATH=str(Path(__file__).parent.parent))
    return Server("bare-bolt", [sys.executable, "-m", "bench.bare_bolt"], env=env, cwd=cwd)
