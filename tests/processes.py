"""Real `setbot run` processes for the tests that kill, restart and multiply the bot.

Most stories run the app in a thread of the test process; these need the bot as an
operator runs it, in a process of its own that can die without warning (SIGKILL) or
have siblings on the same database. Slack's side stays in the test process: the
emulator serves the Web API and a driver sends the signed requests, resending, as Slack
would, any request whose answer never came.

The story every such test plays is one meeting of a new Set (`play_a_meeting`), and the
yardstick is what the database holds afterwards (`snapshot`), compared with a clean run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import Engine, Integer, Table, text
from sqlmodel import SQLModel

from bot.sim import SlackDriver, SlackEmulator
from bot.sim.driver import Response
from bot.store.db import make_engine
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import reflection as reflection_ui
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from bot.web import EVENTS_PATH, HEALTH_PATH
from tests.polling import eventually

# How long a message owed by a killed process may take: its claim's lease (10 s), then a
# tick of the next process (1 s), with room for a loaded machine.
OWED_WITHIN = 20.0

SIGNING_SECRET = "sim-signing-secret"
FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
PEOPLE = {FRAN: "fran", ASHA: "asha", BEN: "ben", CARA: "cara"}
LOBBY = "C0LOBBY"
# Fixed once, so runs either side of midnight still plan the same meetings.
FIRST_MEETING = date.today() + timedelta(weeks=5)
# How long a process may take to answer /healthz after it is started (a busy CI machine).
START_WITHIN = 30.0
# Tables left out of a comparison: Slack's event ids, which differ from run to run.
NOT_COMPARED = {"seen_event"}
# Columns measured on the real clock, masked like times: how long a round really took.
CLOCK_MEASURED = {("round", "duration_seconds"), ("round", "paused_seconds_left")}
# Slack message timestamps ("1767225600.000100") and the emulator's own ids ("C00000012").
SLACK_TS = re.compile(r"\b\d{10}\.\d{6}\b")
EMULATOR_ID = re.compile(r"\b[CDGV]\d{8}\b")
# Row ids written into payloads and dedupe keys ("set:1:meeting:4:T-24h"), by the table
# they name: a transaction killed on PostgreSQL still used up its sequence numbers.
NAMED_IDS = {
    "set": "learning_set",
    "meeting": "meeting",
    "round": "round",
    "commitment": "commitment",
}
ID_IN_KEY = re.compile(r"\b(set|meeting|round|commitment):(\d+)\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """One `setbot run` in HTTP mode on its own port, as a load balancer would see it."""

    def __init__(self, *, database_url: str, slack: SlackEmulator, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.events_url = self.base_url + EVENTS_PATH
        self.kills = 0
        self._workdir = workdir
        self._log = workdir / f"setbot-{self.port}.log"
        # Only what `setbot run` reads: no SLACK_APP_TOKEN (HTTP mode), no stray .env.
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        self._env.update(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=database_url,
            PORT=str(self.port),
            LOG_LEVEL="WARNING",
            # A dead process's messages go out soon after the next one starts.
            TICK_SECONDS="1",
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        """Start the process; return once it says it is healthy (it has migrated by then)."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self._workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        eventually(self._healthy, within=START_WITHIN, every=0.02)

    def _healthy(self) -> None:
        """Passes once /healthz answers 200; a process that exited fails the test at once."""
        assert self._process is not None
        if self._process.poll() is not None:
            pytest.fail(f"setbot run exited: {self._log.read_text()[-2000:]}")
        with urllib.request.urlopen(self.base_url + HEALTH_PATH, timeout=1) as answer:
            assert answer.status == 200

    def kill_after(self, seconds: float) -> None:
        """SIGKILL the process `seconds` from now, wherever it is: mid-request or idle."""
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.start()

    def _kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        self.kills += 1

    def revive(self) -> None:
        """After a kill: wait until the process is dead, then start it again on the same port."""
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        assert self._process is not None
        if self._process.poll() is None:
            raise AssertionError(f"the bot on {self.port} stopped answering without dying")
        self.start()

    def settle(self) -> None:
        """Let a kill still pending happen, and have the process up afterwards."""
        if self._timer is not None:
            self.revive()

    def stop(self) -> None:
        """SIGTERM, as a deployment stops a process; SIGKILL if it will not go."""
        if self._timer is not None:
            self._timer.join()
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextmanager
def running(bots: Sequence[BotProcess]) -> Iterator[Sequence[BotProcess]]:
    """Start every process at once (so their start-up ticks race) and stop them all after."""
    try:
        with ThreadPoolExecutor(max_workers=len(bots)) as starting:
            list(starting.map(BotProcess.start, bots))  # a start that failed fails the test
        yield bots
    finally:
        for bot in bots:
            bot.stop()


class SlackResends(SlackDriver):
    """Slack's side, sending to the processes in turn and trying again what got no answer.

    When a request's connection dies (its process was killed), it is tried again once the
    process is back, as happens in Slack: an event comes again, the same event with
    `X-Slack-Retry-Num`; a command, click or modal submission comes again because the
    person tries again, so it carries a fresh trigger id. `before_send` sees each
    request's process first (the chaos test arms a kill there).
    """

    def __init__(
        self,
        *,
        bots: Sequence[BotProcess],
        emulator: SlackEmulator,
        before_send: Callable[[BotProcess], None] = lambda bot: None,
    ) -> None:
        super().__init__(url=bots[0].events_url, signing_secret=SIGNING_SECRET, emulator=emulator)
        self._bots = bots
        self._turn = count()
        self._before_send = before_send
        self.sent = 0
        # What had to be sent again after a kill, by request number: for failure messages.
        self.resent: list[str] = []

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        bot = self._bots[next(self._turn) % len(self._bots)]
        self.url = bot.events_url
        self.sent += 1
        self._before_send(bot)
        for retry in count():
            try:
                return super().send(
                    body, content_type, timestamp=timestamp, signature=signature, headers=headers
                )
            except OSError:  # refused, reset, or closed before any answer: the bot died
                if retry >= 3:
                    raise
                bot.revive()
                self.resent.append(f"#{self.sent} {_what(body, content_type)}")
                body, headers = self._again(body, content_type, headers, retry + 1)
                timestamp = signature = None  # signed afresh, as sent afresh
        raise AssertionError("unreachable")

    def _again(
        self, body: str, content_type: str, headers: Mapping[str, str] | None, retry: int
    ) -> tuple[str, Mapping[str, str] | None]:
        """The request as it arrives the next time: Slack's retry, or the person's."""
        if content_type == "application/json":
            return body, {
                **(headers or {}),
                "X-Slack-Retry-Num": str(retry),
                "X-Slack-Retry-Reason": "http_timeout",
            }
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in form:  # a slash command, typed again
            form["trigger_id"] = self.emulator.new_trigger_id(
                user=form["user_id"], channel=form["channel_id"]
            )
            return urlencode(form), headers
        payload = json.loads(form["payload"])
        payload["trigger_id"] = self.emulator.new_trigger_id(
            user=payload["user"]["id"], channel=(payload.get("channel") or {}).get("id")
        )
        return urlencode({"payload": json.dumps(payload)}), headers


def _what(body: str, content_type: str) -> str:
    """A request in a few words: `/round open`, `block_actions round_next`, `event message`."""
    if content_type == "application/json":
        return f"event {json.loads(body)['event']['type']}"
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" not in form:
        return f"{form['command']} {form['text']}".strip()
    payload = json.loads(form["payload"])
    named = [a["action_id"] for a in payload.get("actions", [])]
    named += [payload["view"]["callback_id"]] if payload["type"] == "view_submission" else []
    return " ".join([payload["type"], *named])


# -- the story ------------------------------------------------------------------------------


def seat_the_people(slack: SlackEmulator) -> None:
    for user, name in PEOPLE.items():
        slack.add_user(user, name=name)


def play_a_meeting(driver: SlackDriver, slack: SlackEmulator) -> None:
    """Fran forms a Set and runs its first meeting: two rounds, an action, a reflection.

    The meeting is held early (started ad hoc), so its reminders stay owed: the first
    scheduled meeting is five weeks after the tests began, whatever day they run.
    """
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: [ASHA, BEN, CARA],
            new_set.FIRST_DATE_BLOCK: FIRST_MEETING.isoformat(),
        },
    )
    channel = _newest(slack, None, "Welcome").channel
    welcome = _newest(slack, channel, "Welcome").ts
    for user in (FRAN, ASHA, BEN, CARA):
        driver.block_action(cards.AGREE_TO_RULES, user=user, channel=channel, message_ts=welcome)

    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _newest(slack, channel, "under way").ts
    for user in (ASHA, BEN):
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=user, channel=channel, message_ts=card
        )
    driver.block_action(meeting_ui.CHECK_IN_APOLOGIES, user=CARA, channel=channel, message_ts=card)

    # Ben's round, phase by phase, with what is said in its thread.
    driver.slash_command("/round", "open <@U0BEN|ben>", user_id=FRAN, channel_id=channel)
    root = _newest(slack, channel, "<@U0BEN>'s round").ts
    said = {
        "describe": [(BEN, "My team resists the new rota and I avoid the conversation.")],
        "questions": [
            (ASHA, "What have you tried so far?"),
            (FRAN, "What would a good conversation sound like?"),
            (ASHA, "You should just tell them it's final."),
        ],
        "ideas": [(ASHA, "You could draft the rota with two volunteers.")],
    }
    for phase in ("describe", "questions", "ideas"):
        for user, words in said[phase]:
            driver.message(channel, words, user=user, thread_ts=root)
        _press_next(driver, slack, channel, root)
    prompt = _in_thread(slack, channel, root, rounds_ui.COMMIT_ACTION)
    driver.block_action(rounds_ui.COMMIT_ACTION, user=BEN, channel=channel, message_ts=prompt)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=BEN,
        answers={
            actions_ui.TEXT_BLOCK: "Co-design the rota with two volunteers",
            actions_ui.MEASURE_BLOCK: "A rota everyone signs off",
        },
    )
    _press_next(driver, slack, channel, root)

    # Asha's round is short; then the meeting ends and Ben reflects on it.
    driver.slash_command("/round", "open", user_id=FRAN, channel_id=channel)
    asha_root = _newest(slack, channel, "<@U0ASHA>'s round").ts
    driver.message(channel, "Mine is about delegating.", user=ASHA, thread_ts=asha_root)
    driver.slash_command("/round", "close", user_id=FRAN, channel_id=channel)
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    reflect = _newest(slack, channel, "Reflect on today").ts
    driver.block_action(reflection_ui.REFLECT, user=BEN, channel=channel, message_ts=reflect)
    driver.submit_form(
        reflection_ui.REFLECT_VIEW,
        user=BEN,
        answers={
            reflection_ui.SCORE_BLOCK: "4",
            reflection_ui.HELPED_BLOCK: "The open questions",
        },
    )


def _newest(slack: SlackEmulator, channel: str | None, words: str) -> Any:
    """The newest top-level message with `words`: after a resend, the one the bot kept.

    A message owed by a request whose process was killed is sent by the next process's
    ticker, once the dead one's short claim on it runs out: so wait for it a while.
    """

    def look() -> Any:
        with slack.workspace() as ws:
            found = [
                m
                for m in ws.messages
                if words in m.text
                and m.ephemeral_to is None
                and not m.thread_ts
                and channel in (None, m.channel)
            ]
        assert found, f"nothing says {words!r} in {channel or 'any channel'}"
        return found[-1]

    return eventually(look, within=OWED_WITHIN)


def _in_thread(slack: SlackEmulator, channel: str, root: str, action_id: str) -> str:
    """The newest message in the round's thread that carries the button `action_id`."""

    def look() -> str:
        shown = [
            m.ts for m in slack.messages(channel, thread_ts=root) if action_id in str(m.blocks)
        ]
        assert shown, f"no {action_id!r} button in the thread {root}"
        return shown[-1]

    return eventually(look, within=OWED_WITHIN)


def _press_next(driver: SlackDriver, slack: SlackEmulator, channel: str, root: str) -> None:
    prompt = _in_thread(slack, channel, root, rounds_ui.ROUND_NEXT)
    driver.block_action(rounds_ui.ROUND_NEXT, user=FRAN, channel=channel, message_ts=prompt)


# -- databases --------------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """An empty database the bot processes migrate themselves: a SQLite file, or a PG schema."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'setbot-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # libpq's `options` travels in the URL, so the bot's own engine lands in the schema.
        yield f"{url}?options=-csearch_path={schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def new_workdir(parent: Path) -> Path:
    workdir = parent / uuid.uuid4().hex[:8]
    workdir.mkdir()
    return workdir


# -- what the database holds ---------------------------------------------------------------------

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine, slack: SlackEmulator) -> Snapshot:
    """Every table's rows, in the order they were written, with what differs by run masked.

    Masked: times and durations (the bot runs on the real clock), Slack's message ts and the
    emulator's channel ids (a resent request may have made Slack post or create twice,
    moving later ids along); surrogate keys become each row's place in its table, so a
    foreign key still says *which* row it points at. A time that is set stays distinct
    from one that is not, and a channel keeps its name, so a half-done step still shows.
    """
    channels = conversation_names(slack)
    with engine.connect() as connection:
        tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_COMPARED]
        rows = {
            t.name: list(connection.execute(t.select().order_by(*t.primary_key))) for t in tables
        }
    places = {
        table.name: {row._mapping["id"]: place for place, row in enumerate(rows[table.name])}
        for table in tables
        if "id" in table.c
    }
    return {
        table.name: [
            _owed_said(table, _masked(table, row._mapping, places, channels))
            for row in rows[table.name]
        ]
        for table in tables
    }


def _owed_said(table: Table, masked: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a change owed the Set (its `:say:` rows) is compared as owed, not how delivered.

    A kill mid-delivery leaves such a row claimed, not yet marked sent, until the next
    process sends it again (Slack's at-least-once edge), with one attempt more: that it is
    owed, and to whom, is the record; a row given up on (failed) still shows.
    """
    if table.name != "outbox":
        return masked
    row = dict(zip(table.c.keys(), masked, strict=True))
    if ":say:" not in str(row["dedupe_key"]) or row["status"] in ("failed", "cancelled"):
        return masked
    row.update(status="owed", attempts="<attempts>", claimed_until="<lease>", sent_at="<sent>")
    return tuple(row.values())


def _masked(
    table: Table, row: Any, places: dict[str, dict[Any, int]], channels: dict[str, str]
) -> tuple[Any, ...]:
    masked: list[Any] = []
    for column in table.c:
        value = row[column.name]
        if value is None:
            masked.append(None)
        elif isinstance(value, datetime) or (table.name, column.name) in CLOCK_MEASURED:
            masked.append("<time>")
        elif column.name == "id" and isinstance(column.type, Integer):
            masked.append(places[table.name][value])
        elif column.foreign_keys and isinstance(column.type, Integer):
            [key] = column.foreign_keys
            masked.append(places[key.column.table.name][value])
        else:
            masked.append(_Masker(places, channels).mask(value))
    return tuple(masked)


class _Masker:
    """Masks what a run made up inside a value: Slack's ts and ids, and row ids by name."""

    def __init__(self, places: dict[str, dict[Any, int]], channels: dict[str, str]) -> None:
        self._places = places
        self._channels = channels

    def mask(self, value: Any, name: str = "") -> Any:
        if isinstance(value, str):
            value = SLACK_TS.sub("<ts>", value)
            value = ID_IN_KEY.sub(lambda m: f"{m[1]}:#{self._place(m[1], m[2])}", value)
            return EMULATOR_ID.sub(lambda m: self._channels.get(m[0], m[0]), value)
        if isinstance(value, int) and name.removesuffix("_id") in NAMED_IDS:
            return f"#{self._place(name.removesuffix('_id'), value)}"
        if isinstance(value, list):
            return [self.mask(item) for item in value]
        if isinstance(value, dict):
            return {key: self.mask(item, key) for key, item in sorted(value.items())}
        return value

    def _place(self, name: str, row_id: object) -> object:
        return self._places[NAMED_IDS[name]].get(int(str(row_id)), f"missing {row_id}")


def conversation_names(slack: SlackEmulator) -> dict[str, str]:
    """Each conversation as a person would name it; a Set's channel without the "-2" a
    second `conversations.create` gives it."""
    with slack.workspace() as ws:
        return {
            channel.id: (
                "DM " + ",".join(sorted(channel.members))
                if channel.is_im
                else "#" + re.sub(r"-\d+$", "", channel.name)
            )
            for channel in ws.channels.values()
        }


def differences(expected: Snapshot, found: Snapshot) -> list[str]:
    """Readable lines for what a run stored differently from the clean one."""
    lines = []
    for table, rows in expected.items():
        if found.get(table) != rows:
            lines.append(f"{table}:\n  clean:  {rows}\n  this run: {found.get(table)}")
    return lines
