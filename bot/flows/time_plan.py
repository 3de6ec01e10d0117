"""Dividing a meeting's time fairly among the members presenting at it.

Action Learning gives each presenter an equal share of airtime and keeps the end of
the meeting for reflecting on the process, so the plan protects reflection first and
shares out the rest. Shares are whole minutes (rounded down) so the times people see
are the times the bot keeps; the few minutes that rounding leaves over go to
reflection, which then still ends exactly when the meeting does.

A session can run from half an hour to a full day. Reflection grows with a long
session (a tenth of it, past two and a half hours), and a session over three hours
gets a break near its middle, between two turns, so nobody's turn is cut in half.

Times are worked out in UTC, because a slot is minutes of real time even on the night
the clocks change, and only shown in the Set's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from bot.flows.schedule import session_minutes_error

# The reflection reserve of a session up to LONG_SESSION_MINUTES; longer ones keep a tenth.
DEFAULT_REFLECTION_MINUTES = 15
LONG_SESSION_MINUTES = 150
# Past three hours people need a pause; past five, long enough to eat.
BREAK_AFTER_MINUTES = 180
SHORT_BREAK_MINUTES, LONG_BREAK_MINUTES = 15, 30
LONG_BREAK_AFTER_MINUTES = 300
# Less than this and a presenter can't state a problem and hear any questions about it.
MIN_SLOT_MINUTES = 10
_DASH = "\N{EN DASH}"
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Slot:
    """One presenter's turn."""

    presenter: str
    starts_at: datetime
    ends_at: datetime
    minutes: int


@dataclass(frozen=True)
class TimePlan:
    """Turns in order, then reflection; `left_out` are presenters there's no time for today.

    `break_starts_at`/`break_ends_at` are None when the session is short enough to need
    no break; otherwise the break sits between two turns (or after the last one).
    """

    starts_at: datetime
    slots: tuple[Slot, ...]
    reflection_starts_at: datetime
    ends_at: datetime
    left_out: tuple[str, ...] = ()
    break_starts_at: datetime | None = None
    break_ends_at: datetime | None = None

    @property
    def reflection_minutes(self) -> int:
        return (self.ends_at - self.reflection_starts_at) // _MINUTE

    @property
    def break_minutes(self) -> int:
        if self.break_starts_at is None or self.break_ends_at is None:
            return 0
        return (self.break_ends_at - self.break_starts_at) // _MINUTE


def reflection_reserve(session_minutes: int) -> int:
    """15 minutes, or a tenth of a session longer than 150 minutes, to the nearest minute.

    A tenth of 150 is 15, so the reserve never shrinks as a session grows. Halves round
    up (155 minutes keeps 16), so reflection is never the one shortchanged.
    """
    if session_minutes <= LONG_SESSION_MINUTES:
        return DEFAULT_REFLECTION_MINUTES
    return (session_minutes + 5) // 10


def break_length(session_minutes: int) -> int:
    """No break up to three hours; 15 minutes up to five hours; 30 (a lunch) beyond that."""
    if session_minutes <= BREAK_AFTER_MINUTES:
        return 0
    if session_minutes <= LONG_BREAK_AFTER_MINUTES:
        return SHORT_BREAK_MINUTES
    return LONG_BREAK_MINUTES


def _break_after(ends: Sequence[int], session_minutes: int, break_minutes: int) -> int:
    """How many turns come before the break: the one whose middle is nearest the session's.

    `ends` are the minutes at which each turn ends, counted from the start. The break
    only ever falls between turns, never before the first (a meeting that opens with a
    break is no use), so a lone presenter has it after their turn.
    """
    # Doubled to stay in whole numbers: the break's middle is ends[after - 1] + break/2.
    target = session_minutes - break_minutes
    return min(range(1, len(ends) + 1), key=lambda after: abs(2 * ends[after - 1] - target))


def _turns(
    presenters: Sequence[str], shared: int, min_slot_minutes: int, agreed: Mapping[str, int]
) -> list[tuple[str, int]]:
    """Each presenter who fits, in order, with their minutes.

    Minutes the Set agreed for someone are theirs; everyone else shares what is left
    equally, as long as each share is at least `min_slot_minutes`. With nothing agreed
    that is the plain equal split. A turn that no longer fits is left out, never cut.
    """
    fixed = {p: agreed[p] for p in presenters if p in agreed}
    others = [p for p in presenters if p not in fixed]
    spare = max(0, shared - sum(fixed.values()))
    sharing = set(others[: spare // min_slot_minutes])
    each = spare // len(sharing) if sharing else 0
    turns: list[tuple[str, int]] = []
    room = shared
    for presenter in presenters:
        minutes = fixed.get(presenter) or (each if presenter in sharing else 0)
        if minutes and minutes <= room:
            turns.append((presenter, minutes))
            room -= minutes
    return turns


def plan_meeting(
    *,
    session_minutes: int,
    presenters: list[str],
    start: datetime,
    reflection_minutes: int | None = None,
    min_slot_minutes: int = MIN_SLOT_MINUTES,
    agreed: Mapping[str, int] | None = None,
) -> TimePlan:
    """Share a meeting out: e.g. 120 minutes and 5 presenters gives 21 minutes each.

    When there are more presenters than `min_slot_minutes` slots fit, the first in
    turn order present and the rest are `left_out`, rather than everyone getting a
    turn too short to be useful. Nobody presenting leaves the whole meeting to
    reflection, with no break planned: the facilitator can pause it as the Set likes.
    `reflection_minutes` defaults to `reflection_reserve(session_minutes)`. `agreed`
    holds the minutes the Set agreed for some presenters at the start ("the Set agrees
    how time will be used"); any minutes they leave over go to reflection.
    """
    _check(session_minutes, start, min_slot_minutes)
    pause = break_length(session_minutes)
    reflection = (
        reflection_reserve(session_minutes) if reflection_minutes is None else reflection_minutes
    )
    if not 0 <= reflection <= session_minutes - pause:
        raise ValueError("reflection (and any break) must fit in the session")
    shared = session_minutes - reflection - pause
    turns = _turns(presenters, shared, min_slot_minutes, agreed or {})
    ends = list(accumulate(minutes for _, minutes in turns))
    pause = pause if turns else 0  # no turns, nothing to break between
    after = _break_after(ends, session_minutes, pause) if pause else len(turns)
    slots = tuple(
        _slot(
            name, start + timedelta(minutes=end - minutes + (pause if i >= after else 0)), minutes
        )
        for i, ((name, minutes), end) in enumerate(zip(turns, ends, strict=True))
    )
    break_starts = start + timedelta(minutes=ends[after - 1] if after else 0)
    placed = {name for name, _ in turns}
    return TimePlan(
        starts_at=start,
        slots=slots,
        reflection_starts_at=start + timedelta(minutes=(ends[-1] if ends else 0) + pause),
        ends_at=start + timedelta(minutes=session_minutes),
        left_out=tuple(p for p in presenters if p not in placed),
        break_starts_at=break_starts if pause else None,
        break_ends_at=break_starts + timedelta(minutes=pause) if pause else None,
    )


def _check(session_minutes: int, start: datetime, min_slot_minutes: int) -> None:
    """Refuse what the Set's modal already refuses, so a bad length can't slip in elsewhere."""
    if session_minutes_error(session_minutes) is not None:
        raise ValueError(f"a session of {session_minutes} minutes is not one a Set can have")
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if min_slot_minutes < 1:
        raise ValueError("slots need at least a minute")


def _slot(name: str, begins: datetime, minutes: int) -> Slot:
    """A turn of `minutes` real minutes from `begins`, however the clocks read."""
    return Slot(name, begins, begins + timedelta(minutes=minutes), minutes)


def plan_lines(plan: TimePlan, *, timezone: str, label: Callable[[str], str] = str) -> list[str]:
    """The running order as members read it, in the Set's zone, e.g. 10:00 to 10:21 Asha.

    `label` turns a presenter id into a display name (the Slack layer passes a mention).
    The break gets its own line where it falls, so the day reads top to bottom.
    """
    zone = ZoneInfo(timezone)

    def span(begin: datetime, end: datetime) -> str:
        return f"{begin.astimezone(zone):%H:%M}{_DASH}{end.astimezone(zone):%H:%M}"

    timed = [
        (s.starts_at, f"{span(s.starts_at, s.ends_at)} {label(s.presenter)}") for s in plan.slots
    ]
    if plan.break_starts_at is not None and plan.break_ends_at is not None:
        timed.append(
            (plan.break_starts_at, f"{span(plan.break_starts_at, plan.break_ends_at)} Break")
        )
    lines = [line for _, line in sorted(timed, key=lambda pair: pair[0])]
    if plan.reflection_minutes:
        lines.append(f"{span(plan.reflection_starts_at, plan.ends_at)} Reflecting on the process")
    if plan.left_out:
        names = ", ".join(label(p) for p in plan.left_out)
        lines.append(f"No time for a turn today: {names}. They could go first next time.")
    return lines
