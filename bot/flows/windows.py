"""How long an asynchronous phase stays open, so everyone can take part in their own day.

A Set spread from Sydney to Los Angeles has no hour when everyone is awake. A phase
window is fair when each present member has at least `WAKING_HOURS_NEEDED` of their own
waking day (08:00–19:00 where they are) inside it. A phase's window is its share of the
round's time (`phases.shares`), stretched until that holds for every zone, then rounded
up to a whole hour. Local days come from zoneinfo, so a daylight-saving change
inside the window shortens or lengthens that zone's night, never its waking hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.flows.phases import Phase, shares

WAKING_FROM = time(8, 0)
WAKING_UNTIL = time(19, 0)
WAKING_HOURS_NEEDED = 4
WORKING_DAYS = range(0, 5)  # Monday to Friday


def waking_spans(zone: str, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
    """The waking parts of each local day in `zone` that overlap [start, end), in order."""
    tz = ZoneInfo(zone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    while True:
        wake = datetime.combine(day, WAKING_FROM, tzinfo=tz).astimezone(UTC)
        sleep = datetime.combine(day, WAKING_UNTIL, tzinfo=tz).astimezone(UTC)
        if wake >= end:
            return
        span_from, span_until = max(wake, start), min(sleep, end)
        if span_from < span_until:
            yield span_from, span_until
        day += timedelta(days=1)


def waking_time_inside(zone: str, start: datetime, end: datetime) -> timedelta:
    return sum((until - since for since, until in waking_spans(zone, start, end)), timedelta())


def fair_until(zone: str, start: datetime, needed: timedelta) -> datetime:
    """The first instant by which someone in `zone` has had `needed` waking time since `start`."""
    left = needed
    horizon = start + timedelta(days=7)
    for since, until in waking_spans(zone, start, horizon):
        if until - since >= left:
            return since + left
        left -= until - since
    raise ValueError(f"{needed} is more waking time than {zone} has in a week")


def phase_window(
    start: datetime,
    zones: Iterable[str],
    budget: timedelta,
    *,
    not_after: datetime | None = None,
    needed: timedelta = timedelta(hours=WAKING_HOURS_NEEDED),
) -> datetime:
    """When a phase opened at `start` closes: its budget, stretched to be fair to every zone.

    Rounded up to a whole hour, but never past `not_after` (the meeting's close) unless
    fairness itself needs longer.
    """
    fair = max((fair_until(zone, start, needed) for zone in set(zones)), default=start)
    end = max(start + budget, fair)
    end = start + timedelta(hours=math.ceil((end - start).total_seconds() / 3600))
    if not_after is not None and fair <= not_after:
        end = min(end, not_after)
    return end


@dataclass(frozen=True)
class PhaseWindow:
    phase: Phase
    opens_at: datetime
    closes_at: datetime


def round_windows(
    start: datetime, zones: Sequence[str], route: Sequence[Phase], budget: timedelta
) -> list[PhaseWindow]:
    """Each phase of a round, back to back, if none ends early: its share of the budget."""
    windows = []
    for phase, share in shares(route).items():
        closes = phase_window(start, zones, budget * share)
        windows.append(PhaseWindow(phase, start, closes))
        start = closes
    return windows


def working_days_later(start: datetime, days: int, zone: str) -> datetime:
    """`days` working days after `start`, at the same local time, weekends not counted."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    day: date = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() in WORKING_DAYS:
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)


def round_budget(window: timedelta, rounds: int, *, side_by_side: bool) -> timedelta:
    """Each round's time in a meeting window: all of it side by side, a fair part in turn."""
    return window if side_by_side else window / max(1, rounds)


def shortest_meeting_window(
    start: datetime,
    zones: Sequence[str],
    routes: Sequence[Sequence[Phase]],
    *,
    side_by_side: bool,
) -> datetime:
    """The earliest a meeting can close if every phase gets only its fair minimum.

    Rounds side by side all start at once; one after another, each starts when the
    previous one's last window closes.
    """
    end = start
    for route in routes:
        opens = start if side_by_side else end
        windows = round_windows(opens, zones, route, timedelta(0))
        end = max(end, windows[-1].closes_at if windows else opens)
    return end
