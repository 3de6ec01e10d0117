"""The ticker: one APScheduler interval job that sweeps overdue meetings and sends what is due.

APScheduler only keeps time here; the outbox table is the source of truth for what is
owed. Its job stores are no place for that: APScheduler's FAQ says a job store must not
be shared between processes (each scheduler would run every job), and a one-off job that
misses its moment by more than `misfire_grace_time` (1 second by default) is silently
dropped, as happens to anything due while the bot was restarting. A row in the outbox
survives restarts, is claimed by exactly one process, and is sent late rather than never.

So every process runs the same single job in memory, every `every_seconds`, and starts
with a run at once so reminders missed while it was down go out (if still useful).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock
from bot.flows.learning_log import owe_log_prompts
from bot.flows.meeting_reminders import owe_autoclosed_notes
from bot.flows.meetings import close_overdue_meetings
from bot.flows.outbox import DispatchReport, Messenger, dispatch_due
from bot.store.db import Store
from bot.store.seen import sweep_sightings

log = logging.getLogger("setbot.scheduler")

TICK_JOB_ID = "setbot-tick"
# A late tick is harmless (it sends what is due then), so one up to ten minutes late still
# runs; ticks missed while one was still running are folded into one (coalesce).
MISFIRE_GRACE = timedelta(minutes=10)


def tick(*, store: Store, messenger: Messenger, clock: Clock) -> DispatchReport | None:
    """One sweep: end meetings left open (telling their facilitators, and asking their members
    what they learned), then send what is due.

    Each part logs its own failure and never raises, so one bad tick cannot stop the next.
    """
    try:
        for summary in close_overdue_meetings(store, clock):
            with store.session() as session:
                owe_autoclosed_notes(session, summary=summary, now=clock.now())
                owe_log_prompts(session, summary=summary, now=clock.now())
    except Exception:
        log.exception("closing overdue meetings failed; trying again next tick")
    try:
        with store.session() as session:
            sweep_sightings(session=session, now=clock.now())
    except Exception:
        log.exception("forgetting old Slack deliveries failed; trying again next tick")
    try:
        report = dispatch_due(store, messenger, clock)
    except Exception:
        log.exception("dispatching the outbox failed; trying again next tick")
        return None
    if report.sent or report.dropped or report.retried or report.failed:
        log.info("outbox: %s", report)
    return report


def start_ticker(
    *, store: Store, messenger: Messenger, clock: Clock, every_seconds: float = 30
) -> BackgroundScheduler:
    """Start ticking in a background thread now; stop it with `.shutdown()`."""
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        # One worker: with max_instances=1, ticks never overlap within a process.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
        timezone="UTC",
    )
    scheduler.add_job(
        tick,
        "interval",
        seconds=every_seconds,
        id=TICK_JOB_ID,
        kwargs={"store": store, "messenger": messenger, "clock": clock},
        # APScheduler keeps real time, whatever `clock` says: the first tick is now.
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
