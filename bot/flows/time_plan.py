"""Dividing a meeting's time fairly among the members presenting at it.

Action Learning gives each presenter an equal share of airtime and keeps the end of
the meeting for reflecting on the process, so the plan protects reflection first and
shares out the rest. Shares are whole minutes (rounded down) so the times people see
are the times the bot keeps; the few minutes that rounding leaves over go to
reflection, which then still ends exactly when the meeting does.

Times are worked out in UTC, because a slot is minutes of real time even on the night
the clocks change, and only shown in the Set's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_REFLECTION_MINUTES = 15
# Less than this and a presenter can't state a problem and hear any questions about it.
MIN_SLOT_MINUTES = 10
_DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Slot:
    """One presenter's turn."""

    presenter: str
    starts_at: datetime
    ends_at: datetime
    minutes: int


@dataclass(frozen=True)
class TimePlan:
    """Turns in order, then reflection; `left_out` are presenters there's no time for today."""

    starts_at: datetime
    slots: tuple[Slot, ...]
    reflection_starts_at: datetime
    ends_at: datetime
    left_out: tuple[str, ...] = ()

    @property
    def reflection_minutes(self) -> int:
        return (self.ends_at - self.reflection_starts_at) // timedelta(minutes=1)


def plan_meeting(
    *,
    session_minutes: int,
    presenters: list[str],
    start: datetime,
    reflection_minutes: int = DEFAULT_REFLECTION_MINUTES,
    min_slot_minutes: int = MIN_SLOT_MINUTES,
) -> TimePlan:
    """Share a meeting out: e.g. 120 minutes and 5 presenters gives 21 minutes each.

    When there are more presenters than `min_slot_minutes` slots fit, the first in
    turn order present and the rest are `left_out`, rather than everyone getting a
    turn too short to be useful. Nobody presenting leaves the whole meeting to reflection.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if not 0 <= reflection_minutes <= session_minutes or min_slot_minutes < 1:
        raise ValueError("reflection must fit in the session, and slots need at least a minute")
    shared = session_minutes - reflection_minutes
    fitting = presenters[: shared // min_slot_minutes]
    each = shared // len(fitting) if fitting else 0
    slot_length = timedelta(minutes=each)
    slots = tuple(
        Slot(name, start + i * slot_length, start + (i + 1) * slot_length, each)
        for i, name in enumerate(fitting)
    )
    return TimePlan(
        starts_at=start,
        slots=slots,
        reflection_starts_at=start + len(slots) * slot_length,
        ends_at=start + timedelta(minutes=session_minutes),
        left_out=tuple(presenters[len(fitting) :]),
    )


def plan_lines(plan: TimePlan, *, timezone: str, label: Callable[[str], str] = str) -> list[str]:
    """The running order as members read it, in the Set's zone, e.g. 10:00 to 10:21 Asha.

    `label` turns a presenter id into a display name (the Slack layer passes a mention).
    """
    zone = ZoneInfo(timezone)

    def span(begin: datetime, end: datetime) -> str:
        return f"{begin.astimezone(zone):%H:%M}{_DASH}{end.astimezone(zone):%H:%M}"

    lines = [f"{span(s.starts_at, s.ends_at)} {label(s.presenter)}" for s in plan.slots]
    if plan.reflection_minutes:
        lines.append(f"{span(plan.reflection_starts_at, plan.ends_at)} Reflecting on the process")
    if plan.left_out:
        names = ", ".join(label(p) for p in plan.left_out)
        lines.append(f"No time for a turn today: {names}. They could go first next time.")
    return lines
