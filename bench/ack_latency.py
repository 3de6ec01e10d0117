"""Acknowledgement latency: how long Slack waits for setbot's answer, under steady load.

    .venv/bin/python -m bench.ack_latency [--rates 50,200,500] [--seconds 30]

`setbot run` serves HTTP (waitress, bot/web.py) against the emulator, with a Set in the
middle of a meeting: a round open in its questions phase. Slack's side is played from
this process over loopback: signed `/set` commands in the Set's channel, replies in the
round's thread, and members pressing "I'm here" on the meeting card, in equal shares, at
each steady rate. The baseline, in the same run and at the same rates, is a bare Bolt app
with one trivial listener behind the same server (bench/bare_bolt.py).

The load is open-loop: requests are sent on a fixed schedule by a pool of threads, and
each latency is measured from when the request was due to be sent, not from when a
thread got round to it, so a server that falls behind shows its queue in the figures
instead of slowing the generator down to its pace (coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import (
    Target,
    begin,
    fresh_postgres,
    fresh_sqlite,
    parser,
    percentile,
    report,
    table,
)
from bench.servers import SIGNING_SECRET, Server, bare_bolt, setbot_run
from bot.clock import SystemClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.schedule import Cadence
from bot.sim import Message, SlackDriver, SlackEmulator
from bot.sim.layout import elements
from bot.store.db import Store
from bot.ui import meeting as meeting_ui
from bot.ui import rounds as rounds_ui
from bot.web import EVENTS_PATH

FACILITATOR = "U0FRAN"
PRESENTER = "U0ASHA"
ASKING = ("U0BEN", "U0CARA", "U0DEV", "U0EVE", "U0FINN")
# What members say in the round's thread: questions, open and closed, and some advice.
SAID = (
    "What have you tried so far?",
    "Have you asked them directly?",
    "You should just tell them it's final.",
    "How do you think the team sees the change?",
)
FORM = "application/x-www-form-urlencoded"
WORKERS = 64
# Slack gives an app 3 seconds to answer; a later answer is a failure (Slack retries).
SLACK_WAITS = 3.0
WARM_UP_REQUESTS = 60
TARGET_RATE = 200
TARGET_P99_MS = 100.0
TARGET_P50_RATIO = 1.5


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int  # 0: no answer (refused, reset, or not within Slack's 3 seconds)
    seconds: float  # from when it was due to be sent until the answer was read, or given up

    @property
    def in_time(self) -> bool:
        return self.status == 200 and self.seconds <= SLACK_WAITS


@dataclass(frozen=True)
class MeetingInProgress:
    """Where the load lands: the Set's channel, its meeting card and the open round."""

    team_id: str
    channel: str
    card_ts: str
    meeting_id: str
    round_ts: str


# -- the Set, mid-meeting ----------------------------------------------------------------


def form_the_set(database_url: str, emulator: SlackEmulator) -> str:
    """The Set, formed with everyone agreeing its ground rules; its first scheduled meeting
    is a month off, so the one it holds today is an extra meeting."""
    store = Store.from_url(database_url)
    people = (FACILITATOR, PRESENTER, *ASKING)
    for user in people:
        emulator.add_user(user, name=user[3:].lower())
    channel = emulator.add_channel("set-bench", members=[emulator.bot_user_id, *people])
    clock = SystemClock()
    formed = sets.form_set(
        store,
        clock,
        team_id=emulator.team_id,
        created_by=FACILITATOR,
        channel_id=channel,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FACILITATOR,),
            members=(PRESENTER, *ASKING),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=clock.now() + timedelta(days=30),
            timezone="Europe/London",
        ),
    )
    for user in people:
        caller = Caller(team_id=emulator.team_id, user_id=user, channel_id=channel)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    store.dispose()
    return channel


def start_the_meeting(
    driver: SlackDriver, emulator: SlackEmulator, channel: str
) -> MeetingInProgress:
    """Through the running bot: the meeting starts, Asha's round opens, questions begin."""
    driver.slash_command("/meeting", "start", user_id=FACILITATOR, channel_id=channel)
    card = _message_with(emulator, channel, meeting_ui.CHECK_IN_PRESENT)
    check_in = _element(card.blocks, meeting_ui.CHECK_IN_PRESENT)
    driver.slash_command(
        "/round", f"open <@{PRESENTER}|asha>", user_id=FACILITATOR, channel_id=channel
    )
    root = _message_with(emulator, channel, f"<@{PRESENTER}>'s round", in_text=True)
    for _ in range(2):  # report back → describe → questions
        prompt = _message_with(emulator, channel, rounds_ui.ROUND_NEXT, thread=root.ts)
        driver.block_action(
            rounds_ui.ROUND_NEXT, user=PRESENTER, channel=channel, message_ts=prompt.ts
        )
    return MeetingInProgress(emulator.team_id, channel, card.ts, str(check_in["value"]), root.ts)


def _message_with(
    emulator: SlackEmulator,
    channel: str,
    words: str,
    *,
    thread: str | None = None,
    in_text: bool = False,
) -> Message:
    """The newest message (in `thread`, or top level) showing `words`; waits for it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [
            message
            for message in emulator.messages(channel, thread_ts=thread)
            if words in (message.text if in_text else json.dumps(message.blocks))
            and message.ephemeral_to is None
            and (thread is None or message.ts != thread)
        ]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise RuntimeError(f"the bot posted nothing with {words!r} in {channel}")


def _element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(element for _, element in elements(blocks) if element["action_id"] == action_id)


# -- what Slack sends --------------------------------------------------------------------


class Requests:
    """Request bodies as Slack sends them, one kind after another: command, reply, click."""

    KINDS = ("command", "thread reply", "button click")

    def __init__(
        self, emulator: SlackEmulator, meeting: MeetingInProgress, kinds: tuple[str, ...] = KINDS
    ) -> None:
        self._meeting = meeting
        self._kinds = kinds
        self._response_url = emulator.new_response_url(channel=meeting.channel, user=FACILITATOR)
        self._counter = 0
        self._lock = threading.Lock()
        self._epoch = int(time.time())

    def next(self) -> tuple[str, bytes, str]:
        with self._lock:
            n = self._counter
            self._counter += 1
        kind = self._kinds[n % len(self._kinds)]
        who = ASKING[n // 3 % len(ASKING)]
        # Slack makes a fresh trigger id for every command and click, and setbot handles
        # each trigger id once (a repeat is a retry), so every request has its own.
        trigger = f"{self._epoch}.{n}.bench"
        if kind == "command":
            return kind, self._command(who, trigger).encode(), FORM
        if kind == "thread reply":
            return kind, self._reply(n, who).encode(), "application/json"
        return kind, self._click(who, trigger).encode(), FORM

    def _command(self, user: str, trigger: str) -> str:
        m = self._meeting
        return status_command(
            team_id=m.team_id,
            channel=m.channel,
            user=user,
            trigger=trigger,
            response_url=self._response_url,
        )

    def _reply(self, n: int, user: str) -> str:
        m = self._meeting
        ts = f"{self._epoch + n // 1_000_000}.{n % 1_000_000:06d}"
        event = {
            "type": "message",
            "channel": m.channel,
            "user": user,
            "text": SAID[n % len(SAID)],
            "ts": ts,
            "event_ts": ts,
            "thread_ts": m.round_ts,
            "parent_user_id": "U0SETBOT",
            "channel_type": "group",
            "team": m.team_id,
        }
        return json.dumps(
            {
                "token": "bench",
                "team_id": m.team_id,
                "api_app_id": "A0SETBOT",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{self._epoch}{n:08d}",
                "event_time": self._epoch,
                "authorizations": [{"team_id": m.team_id, "user_id": "U0SETBOT", "is_bot": True}],
            }
        )

    def _click(self, user: str, trigger: str) -> str:
        m = self._meeting
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user[3:].lower(), "team_id": m.team_id},
            "team": {"id": m.team_id, "domain": "bench"},
            "api_app_id": "A0SETBOT",
            "token": "bench",
            "trigger_id": trigger,
            "container": {"type": "message", "message_ts": m.card_ts, "channel_id": m.channel},
            "channel": {"id": m.channel, "name": "set-bench"},
            "message": {"ts": m.card_ts, "type": "message"},
            "response_url": self._response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": meeting_ui.CHECK_IN_PRESENT,
                    "block_id": "bench",
                    "value": m.meeting_id,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)})


def status_command(
    *, team_id: str, channel: str, user: str, trigger: str, response_url: str
) -> str:
    """The form Slack posts when `user` types `/set` in `channel`: the Set's status card."""
    return urlencode(
        {
            "token": "bench",
            "team_id": team_id,
            "team_domain": "bench",
            "channel_id": channel,
            "channel_name": "set-bench",
            "user_id": user,
            "user_name": user[3:].lower(),
            "command": "/set",
            "text": "",
            "api_app_id": "A0SETBOT",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
    )


# -- the load ----------------------------------------------------------------------------


def open_loop(
    server: Server,
    next_request: Callable[[], tuple[str, bytes, str]],
    sign: Callable[[str, str], str],
    *,
    rate: float,
    seconds: float,
) -> list[Sample]:
    """Send `rate` requests a second for `seconds`, each on its schedule, and time them.

    Each is signed as it goes (`sign`, the driver's), since Bolt refuses stale timestamps.
    """
    local = threading.local()
    samples: list[Sample] = []

    def connection(fresh: bool = False) -> http.client.HTTPConnection:
        if fresh or getattr(local, "connection", None) is None:
            local.connection = http.client.HTTPConnection(
                "127.0.0.1", server.port, timeout=SLACK_WAITS
            )
        return local.connection

    def send(due: float) -> None:
        kind, body, content_type = next_request()
        status = 0
        if time.perf_counter() - due > SLACK_WAITS:  # queued so long Slack has given up
            samples.append(Sample(kind, status, time.perf_counter() - due))
            return
        for attempt in range(2):  # a kept-alive connection the server closed: once more
            sent_at = str(int(time.time()))
            headers = {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": sent_at,
                "X-Slack-Signature": sign(body.decode(), sent_at),
            }
            try:
                link = connection(fresh=attempt > 0)
                link.request("POST", EVENTS_PATH, body=body, headers=headers)
                answer = link.getresponse()
                answer.read()
                status = answer.status
                break
            except TimeoutError:
                local.connection = None
                break
            except (OSError, http.client.HTTPException):
                local.connection = None
        samples.append(Sample(kind, status, time.perf_counter() - due))

    count = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="slack") as pool:
        start = time.perf_counter() + 0.05
        for n in range(count):
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            pool.submit(send, due)
    return samples


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / 100  # USER_HZ is 100 on Linux


def phase(
    app: str, server: Server, requests: Requests, driver: SlackDriver, *, rate: int, seconds: float
) -> dict[str, Any]:
    """Warm up, then hold `rate` for `seconds`; the figures for that stretch alone."""
    emulator = driver.emulator
    open_loop(server, requests.next, driver.sign, rate=50, seconds=WARM_UP_REQUESTS / 50)
    emulator.reset_calls()
    cpu_before, began = cpu_seconds(server.pid), time.monotonic()
    samples = open_loop(server, requests.next, driver.sign, rate=rate, seconds=seconds)
    took = time.monotonic() - began
    cpu = cpu_seconds(server.pid) - cpu_before
    slack_calls = len(emulator.calls)
    emulator.reset_calls()
    # Percentiles over every request: one Slack gave up on counts with the time it waited.
    waited = [s.seconds * 1000 for s in samples]
    row = {
        "app": app,
        "rate": rate,
        "sent": len(samples),
        "failed": sum(not s.in_time for s in samples),
        "p50_ms": round(percentile(waited, 50), 2),
        "p95_ms": round(percentile(waited, 95), 2),
        "p99_ms": round(percentile(waited, 99), 2),
        "max_ms": round(max(waited, default=float("nan")), 1),
        "server_cpu_percent": round(100 * cpu / took, 1),
        "slack_calls_per_request": round(slack_calls / max(1, len(samples)), 2),
    }
    for kind in Requests.KINDS:
        mine = [s.seconds * 1000 for s in samples if s.kind == kind]
        row[f"p99_ms_{kind.replace(' ', '_')}"] = round(percentile(mine, 99), 2)
    print(f"  {app} at {rate}/s: p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms", end="")
    print(f", {row['failed']} failed")
    return row


def cost_per_kind(
    app: str, server: Server, driver: SlackDriver, meeting: MeetingInProgress, *, seconds: float
) -> list[dict[str, Any]]:
    """Each kind of request alone, at a gentle 20 a second: the server's CPU time for one,
    and its latency when nothing queues."""
    rows = []
    for kind in Requests.KINDS:
        requests = Requests(driver.emulator, meeting, kinds=(kind,))
        cpu_before = cpu_seconds(server.pid)
        samples = open_loop(server, requests.next, driver.sign, rate=20, seconds=seconds)
        cpu = cpu_seconds(server.pid) - cpu_before
        rows.append(
            {
                "app": app,
                "kind": kind,
                "cpu_ms_per_request": round(1000 * cpu / len(samples), 1),
                "p50_ms": round(percentile([s.seconds * 1000 for s in samples], 50), 2),
                "failed": sum(not s.in_time for s in samples),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    options = _options().parse_args(argv)
    on_postgres = options.database == "postgresql"
    run = begin("ack_latency_postgresql" if on_postgres else "ack_latency")
    work = Path(tempfile.mkdtemp(prefix="setbot-bench-"))
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        if on_postgres:
            database_url = stack.enter_context(fresh_postgres(options.postgres_url))
        else:
            database_url = stack.enter_context(fresh_sqlite(work))
        emulator = stack.enter_context(SlackEmulator())
        channel = form_the_set(database_url, emulator)
        bot = setbot_run(emulator, database_url=database_url, cwd=work)
        bare = bare_bolt(emulator, cwd=work)
        try:
            driver = SlackDriver(
                url=bot.base_url + EVENTS_PATH, signing_secret=SIGNING_SECRET, emulator=emulator
            )
            meeting = start_the_meeting(driver, emulator, channel)
            requests = Requests(emulator, meeting)
            costs = [
                row
                for app, server in (("bare Bolt", bare), ("setbot", bot))
                for row in cost_per_kind(app, server, driver, meeting, seconds=options.cost_seconds)
            ]
            for rate in options.rates:
                for app, server in (("bare Bolt", bare), ("setbot", bot)):
                    rows.append(
                        phase(app, server, requests, driver, rate=rate, seconds=options.seconds)
                    )
        finally:
            bot.stop()
            bare.stop()
    ratios = _ratios(rows)
    columns = [
        "app",
        "rate",
        "sent",
        "failed",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "server_cpu_percent",
        "slack_calls_per_request",
    ]
    print(table(columns, [[r[c] for c in columns] for r in rows]))
    print()
    print(table(list(ratios[0]), [list(r.values()) for r in ratios]))
    print()
    print(table(list(costs[0]), [list(r.values()) for r in costs]))
    report(
        run,
        out=options.out,
        settings=vars(options) | {"workers": WORKERS, "slack_waits_seconds": SLACK_WAITS},
        results=rows,
        targets=_targets(rows, ratios),
        notes=[
            "Both servers run at once in their own processes (waitress, 8 threads, Bolt with "
            "process_before_response); the load generator and the emulator share this "
            "process. All of them, and other work on the machine, share its CPUs.",
            f"setbot's database: {options.database}.",
            "Requests: a third `/set` in the Set's channel (the status card), a third "
            "replies in the open round's thread (a contribution stored, a coaching hint "
            'sent for advice), a third members pressing "I\'m here" on the meeting card '
            "(their attendance stored, the card updated, the Set's Home tabs refreshed).",
            "Latency is from each request's scheduled send time to the end of the answer, "
            f"over kept-alive connections from {WORKERS} threads. A request not answered "
            f"within Slack's {SLACK_WAITS:g}s counts as failed, and in the percentiles with "
            "the time it had waited; one still queued after that is not sent at all, as "
            "Slack would have given up on it.",
        ],
        extra={"ratios": ratios, "cost_per_kind": costs},
    )
    return 0


def _ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {(r["app"], r["rate"]): r for r in rows}
    return [
        {
            "rate": rate,
            "p50_ratio": round(mine["p50_ms"] / bare["p50_ms"], 2),
            "p95_ratio": round(mine["p95_ms"] / bare["p95_ms"], 2),
            "p99_ratio": round(mine["p99_ms"] / bare["p99_ms"], 2),
        }
        for (app, rate), mine in by.items()
        if app == "setbot" and (bare := by.get(("bare Bolt", rate)))
    ]


def _targets(rows: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> list[Target]:
    at = next((r for r in rows if r["app"] == "setbot" and r["rate"] == TARGET_RATE), None)
    ratio = next((r for r in ratios if r["rate"] == TARGET_RATE), None)
    if at is None or ratio is None:
        return [
            Target(
                "ack latency",
                f"measured at {TARGET_RATE}/s",
                "not measured at that rate",
                False,
                "--rates left it out",
            )
        ]
    return [
        Target(
            f"setbot p99 at {TARGET_RATE} requests/s",
            f"under {TARGET_P99_MS:g} ms",
            f"{at['p99_ms']} ms ({at['failed']} failed)",
            at["p99_ms"] < TARGET_P99_MS and at["failed"] == 0,
        ),
        Target(
            f"setbot p50 against bare Bolt's at {TARGET_RATE} requests/s",
            f"within {TARGET_P50_RATIO}x",
            f"{ratio['p50_ratio']}x",
            ratio["p50_ratio"] <= TARGET_P50_RATIO,
        ),
    ]


def _options() -> Any:
    options = parser("Acknowledgement latency of setbot against a bare Bolt app.")
    options.add_argument(
        "--rates", type=lambda s: [int(n) for n in s.split(",")], default=[50, 200, 500]
    )
    options.add_argument("--seconds", type=float, default=30.0, help="how long each rate is held")
    options.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="setbot's database: SQLite (the default) or a fresh PostgreSQL database",
    )
    options.add_argument(
        "--cost-seconds", type=float, default=3.0, help="how long each kind is sent alone"
    )
    return options


if __name__ == "__main__":
    raise SystemExit(main())
