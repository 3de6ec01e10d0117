"""When a Set meets: the facilitator's chosen pattern, as RFC 5545 text and as real times.

A Set meets at the same *local* time every time: 10:00 in London is 10:00 in
January and in July, so its UTC time moves with daylight saving. Recurrences are
therefore expanded over naive wall-clock times in the Set's zone (the RFC 5545
"floating" form) and only turned into UTC instants at the very end.

Storage convention for `LearningSet.cadence` (always read in `LearningSet.timezone`):

* a rule is one line, `RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=6` or
  `RRULE:FREQ=MONTHLY;BYDAY=1TU;UNTIL=20270305T235959`; it starts at the Set's
  first meeting, whose local time of day every meeting keeps. An end date is a
  whole local day, so UNTIL is written as floating 23:59:59 of that day.
* explicit dates are one line of floating local wall-clock times, each with its own
  time of day: `RDATE:20270105T100000,20270202T093000`. No TZID and no `Z`: the
  Set's zone says where they are, so changing the zone keeps the wall times.
* an empty text (a Set with no pattern yet) means a single meeting at the first meeting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache
from itertools import islice
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rruleset, rrulestr

MIN_INTERVAL_WEEKS, MAX_INTERVAL_WEEKS = 1, 8
MIN_MEETINGS, MAX_MEETINGS = 1, 52
MIN_SESSION_MINUTES, MAX_SESSION_MINUTES = 30, 480
# `LearningSet.cadence` holds 500 characters; each RDATE value takes 16, so 30 dates fit.
MAX_DATES = 30
LAST = -1
ORDINALS = (1, 2, 3, 4, LAST)

_RFC_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}
_BYDAY = re.compile(r"^(?P<ordinal>[+-]?\d)(?P<day>MO|TU|WE|TH|FR|SA|SU)$")
_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?$")


class Pattern(StrEnum):
    """The kinds of schedule the modal offers; "every N weeks" is weekly with an interval."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    DATES = "dates"


@dataclass(frozen=True)
class Cadence:
    """What a facilitator picks in the schedule modal; build one with the class methods.

    `weekday` counts from Monday = 0, as `date.weekday()` and `calendar.TUESDAY` do;
    `ordinal` is 1-4 or `LAST`. Explicit `dates` are naive local wall-clock times, kept
    sorted, unique and on the minute, so two Cadences meaning the same meetings compare
    equal. With neither `count` nor `until` a rule runs on with no end.
    """

    pattern: Pattern
    interval: int = 1
    ordinal: int | None = None
    weekday: int | None = None
    count: int | None = None
    until: date | None = None
    dates: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", Pattern(self.pattern))
        if all(d.tzinfo is None for d in self.dates):
            minutes = {d.replace(second=0, microsecond=0, fold=0) for d in self.dates}
            object.__setattr__(self, "dates", tuple(sorted(minutes)))
        problem = _shape_error(self)
        if problem:
            raise ValueError(problem)

    @classmethod
    def weekly(
        cls, *, every: int = 1, count: int | None = None, until: date | None = None
    ) -> Cadence:
        """Every `every` weeks, on the weekday of the first meeting."""
        return cls(Pattern.WEEKLY, interval=every, count=count, until=until)

    @classmethod
    def monthly(
        cls, *, ordinal: int, weekday: int, count: int | None = None, until: date | None = None
    ) -> Cadence:
        """On the `ordinal` `weekday` of each month, e.g. ordinal=1, weekday=1: first Tuesday."""
        return cls(Pattern.MONTHLY, ordinal=ordinal, weekday=weekday, count=count, until=until)

    @classmethod
    def on_dates(cls, dates: Iterable[datetime]) -> Cadence:
        """Exactly these local wall-clock times, for Sets that plan around holidays."""
        return cls(Pattern.DATES, dates=tuple(dates))

    @property
    def bounded(self) -> bool:
        return self.pattern is Pattern.DATES or self.count is not None or self.until is not None


def _shape_error(c: Cadence) -> str | None:
    """Why these fields don't make one of the three patterns; friendly where a person chose."""
    if c.pattern is Pattern.DATES:
        if not MIN_MEETINGS <= len(c.dates) <= MAX_DATES:
            return f"Pick between 1 and {MAX_DATES} dates for the Set's meetings."
        if any(d.tzinfo is not None for d in c.dates):
            return "explicit dates are local wall-clock times: pass naive datetimes"
        rule_parts = (c.ordinal, c.weekday, c.count, c.until)
        if c.interval != 1 or any(part is not None for part in rule_parts):
            return "explicit dates take no interval, weekday or limit"
        return None
    if c.count is not None and c.until is not None:
        return "Choose either a number of meetings or an end date, not both."
    limit = count_error(c.count) if c.count is not None else None
    if c.pattern is Pattern.WEEKLY:
        if c.ordinal is not None or c.weekday is not None:
            return "weekly meetings take their weekday from the first meeting"
        return interval_error(c.interval) or limit
    if c.ordinal not in ORDINALS or c.weekday not in range(7) or c.interval != 1:
        return "monthly meetings need ordinal 1-4 or LAST, a weekday 0-6 and no interval"
    return limit


def to_rfc5545(cadence: Cadence) -> str:
    """The text stored in `LearningSet.cadence` (see the module docstring for the convention)."""
    if cadence.pattern is Pattern.DATES:
        return "RDATE:" + ",".join(_stamp(d) for d in cadence.dates)
    parts = [f"FREQ={cadence.pattern.upper()}"]
    if cadence.interval != 1:
        parts.append(f"INTERVAL={cadence.interval}")
    if cadence.pattern is Pattern.MONTHLY:
        parts.append(f"BYDAY={cadence.ordinal}{_RFC_DAYS[cadence.weekday]}")
    if cadence.count is not None:
        parts.append(f"COUNT={cadence.count}")
    if cadence.until is not None:
        end_of_day = datetime.combine(cadence.until, datetime.max.time())
        parts.append(f"UNTIL={_stamp(end_of_day)}")
    return "RRULE:" + ";".join(parts)


def from_rfc5545(text: str) -> Cadence:
    """Read back what `to_rfc5545` wrote; a bare `FREQ=...` line is read as an RRULE.

    Anything a facilitator couldn't have picked (other frequencies, UTC or zoned
    times, several lines) is refused rather than half-understood.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        raise ValueError(f"a cadence is one RRULE or RDATE line, not {text!r}")
    name, _, value = lines[0].partition(":") if ":" in lines[0] else ("RRULE", "", lines[0])
    if name.upper() in ("RDATE", "RDATE;VALUE=DATE-TIME"):
        return Cadence.on_dates(_parse_stamp(v) for v in value.split(","))
    if name.upper() != "RRULE":
        raise ValueError(f"unsupported cadence line {lines[0]!r}")
    return _parse_rule(value)


def _parse_rule(value: str) -> Cadence:
    parts = dict(part.partition("=")[::2] for part in value.upper().split(";"))
    unknown = parts.keys() - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL"}
    if unknown or parts.get("FREQ") not in ("WEEKLY", "MONTHLY"):
        raise ValueError(f"unsupported recurrence rule {value!r}")
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    until = _parse_stamp(parts["UNTIL"]).date() if "UNTIL" in parts else None
    if parts["FREQ"] == "WEEKLY":
        if "BYDAY" in parts:
            raise ValueError(f"weekly rules take their weekday from the first meeting: {value!r}")
        return Cadence.weekly(every=int(parts.get("INTERVAL", "1")), count=count, until=until)
    match = _BYDAY.match(parts.get("BYDAY", ""))
    if match is None or "INTERVAL" in parts:
        raise ValueError(f"monthly rules need one BYDAY such as 1TU or -1FR: {value!r}")
    weekday = _RFC_DAYS.index(match["day"])
    return Cadence.monthly(ordinal=int(match["ordinal"]), weekday=weekday, count=count, until=until)


def _stamp(wall: datetime) -> str:
    """RFC 5545 floating date-time, zero-padded by hand so years before 1000 stay 4 digits."""
    return (
        f"{wall.year:04d}{wall.month:02d}{wall.day:02d}"
        f"T{wall.hour:02d}{wall.minute:02d}{wall.second:02d}"
    )


def _parse_stamp(text: str) -> datetime:
    match = _STAMP.match(text.strip())
    if match is None:
        raise ValueError(f"expected a floating local date-time such as 20270105T100000: {text!r}")
    return datetime(*(int(g) for g in match.groups() if g is not None))


def meetings_after(
    *, cadence: str, first_at: datetime, timezone: str, after: datetime, count: int
) -> list[datetime]:
    """The next `count` meeting starts strictly after `after`, as aware UTC datetimes."""
    if count < 0:
        raise ValueError("count must not be negative")
    zone = _zone(timezone)
    start_wall = _wall(_aware(first_at), zone)
    walls = _walls(_read(cadence, start_wall), start_wall)
    # A wall time just before `after` can still land after it once a clock-change gap
    # pushes it forward, so start looking a day early and filter on the real instant.
    candidates = walls.xafter(_wall(_aware(after), zone) - timedelta(days=1), inc=True)
    later = (at for at in _instants(candidates, zone, first_at) if at > after)
    return list(islice(later, count))


def all_meetings(*, cadence: str, first_at: datetime, timezone: str) -> list[datetime]:
    """Every meeting of a cadence with a count, an end date or explicit dates, in UTC."""
    meetings = _every_meeting(cadence, first_at, timezone)
    if meetings is None:
        raise ValueError("this cadence has no end: ask for meetings_after instead")
    return meetings


def last_meeting(*, cadence: str, first_at: datetime, timezone: str) -> datetime | None:
    """When the Set's final meeting starts: None if the cadence runs on, or has no meetings."""
    meetings = _every_meeting(cadence, first_at, timezone)
    return meetings[-1] if meetings else None


def _every_meeting(text: str, first_at: datetime, timezone: str) -> list[datetime] | None:
    """All meetings in UTC, or None for a cadence with no end (listing it would never stop)."""
    zone = _zone(timezone)
    start_wall = _wall(_aware(first_at), zone)
    cadence = _read(text, start_wall)
    if not cadence.bounded:
        return None
    return list(_instants(_walls(cadence, start_wall), zone, first_at))


def _read(text: str, start_wall: datetime) -> Cadence:
    """An empty cadence is a Set with one meeting so far: the first one."""
    return from_rfc5545(text) if text.strip() else Cadence.on_dates([start_wall])


def _walls(cadence: Cadence, start_wall: datetime) -> rruleset:
    """The local wall times a cadence produces, counting from the first meeting's wall time.

    dateutil expands the text `to_rfc5545` writes rather than whatever was stored, so
    it always agrees with what `describe` told the facilitator (an end date is a whole day).
    """
    return rrulestr(to_rfc5545(cadence), dtstart=start_wall, forceset=True)


def _instants(walls: Iterable[datetime], zone: ZoneInfo, first_at: datetime) -> Iterator[datetime]:
    """Wall times to UTC the RFC 5545 (§3.3.5) way, which is what fold=0 means in zoneinfo.

    A time in a spring-forward gap is read with the offset before the gap, so 01:30
    on the London change becomes 02:30 BST; a repeated autumn time takes its first
    (summer) occurrence. The first meeting itself is exactly `first_at`, even when it
    was the second 01:30 of an autumn night.
    """
    start_wall = _wall(first_at, zone)
    for wall in walls:
        if wall == start_wall:
            yield first_at.astimezone(UTC)
        else:
            yield wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _wall(when: datetime, zone: ZoneInfo) -> datetime:
    return when.astimezone(zone).replace(tzinfo=None)


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got naive {when!r}")
    return when


def _zone(name: str) -> ZoneInfo:
    problem = timezone_error(name)
    if problem:
        raise ValueError(problem)
    return ZoneInfo(name)


def describe(cadence: Cadence) -> str:
    """The pattern in a facilitator's words: "Monthly on the first Tuesday, 3 meetings"."""
    if cadence.pattern is Pattern.DATES:
        days = [_short_date(d) for d in cadence.dates]
        if len(days) == 1:
            return f"1 meeting, on {days[0]}"
        return f"{len(days)} meetings, on {', '.join(days[:-1])} and {days[-1]}"
    if cadence.count is not None:
        plural = "meeting" if cadence.count == 1 else "meetings"
        return f"{_pattern_words(cadence)}, {cadence.count} {plural}"
    if cadence.until is not None:
        return f"{_pattern_words(cadence)} until {_long_date(cadence.until)}"
    return f"{_pattern_words(cadence)}, with no end date yet"


def _pattern_words(cadence: Cadence) -> str:
    if cadence.pattern is Pattern.MONTHLY:
        return f"Monthly on the {_ORDINAL_WORDS[cadence.ordinal]} {_DAY_NAMES[cadence.weekday]}"
    return "Weekly" if cadence.interval == 1 else f"Every {cadence.interval} weeks"


def format_local(when: datetime, timezone: str) -> str:
    """A meeting time as members read it: "Tue 5 Jan 2027, 10:00 (GMT)".

    Zones without a letter abbreviation (tzdata writes "+04") show as "UTC+04".
    """
    local = _aware(when).astimezone(_zone(timezone))
    abbreviation = local.tzname() or timezone
    if abbreviation[0] in "+-":
        abbreviation = f"UTC{abbreviation}"
    return f"{_short_date(local)}, {local:%H:%M} ({abbreviation})"


def _short_date(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()][:3]} {day.day} {_MONTH_NAMES[day.month - 1][:3]} {day.year}"


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


# Checks for what a facilitator typed. Each returns one warm line saying what to do, or None.


# Files in the zone directory that aren't places: "localtime" is whatever the server uses.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _zone_names() -> dict[str, str]:
    """Known zones by lower-cased name, so a mistyped capital can be put right."""
    return {name.lower(): name for name in available_timezones() - _NOT_PLACES}


def timezone_error(name: str) -> str | None:
    """Only names of places in the tz database: a file path or "localtime" must not slip in."""
    if _zone_names().get(name.lower()) == name:
        return None
    if not name.strip():
        return "Pick a time zone for the Set, such as Europe/London."
    suggestion = _zone_names().get(name.strip().lower())
    if suggestion:
        return f"I don't recognise the time zone “{name}”. Did you mean {suggestion}?"
    return f"I don't recognise the time zone “{name}”. Pick a time zone such as Europe/London."


def first_meeting_error(first_at: datetime, *, now: datetime) -> str | None:
    """`now` is passed in, not read from a clock, so rehearsals and tests can move time."""
    if _aware(first_at) > _aware(now):
        return None
    return "That first meeting time has already passed. Pick a date and time in the future."


def session_minutes_error(minutes: int) -> str | None:
    """Under half an hour leaves no room for a round; over a working day, no one stays."""
    if MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        return None
    return (
        "A session can be from 30 minutes to 8 hours (480 minutes). "
        "Pick a length in between: 120 minutes suits most Sets."
    )


def count_error(count: int) -> str | None:
    """A year of weekly meetings at most: reminders are planned ahead, so keep it finite."""
    if MIN_MEETINGS <= count <= MAX_MEETINGS:
        return None
    return "A Set can have from 1 to 52 meetings. Pick a number in between: 6 is a good start."


def interval_error(weeks: int) -> str | None:
    """Longer than two months apart and a Set loses the thread of its members' actions."""
    if MIN_INTERVAL_WEEKS <= weeks <= MAX_INTERVAL_WEEKS:
        return None
    return "Meetings can be from every week to every 8 weeks. Pick a gap in between."


def end_date_error(until: date, *, first_at: datetime, timezone: str) -> str | None:
    """An end date before the first meeting would leave the Set with no meetings at all."""
    first_day = _aware(first_at).astimezone(_zone(timezone)).date()
    if until >= first_day:
        return None
    return f"The end date is before the first meeting. Pick {_long_date(first_day)} or later."


def first_meeting_fit_error(cadence: Cadence, *, first_at: datetime, timezone: str) -> str | None:
    """A first meeting the pattern doesn't produce, e.g. a Wednesday for "first Tuesday".

    dateutil, unlike RFC 5545, silently drops a start that doesn't fit the rule, so
    the meeting everyone expects would never be scheduled: catch it in the modal.
    """
    start_wall = _wall(_aware(first_at), _zone(timezone))
    fitting = next(iter(_walls(cadence, start_wall)), None)
    if fitting is None or fitting == start_wall:
        return None
    return (
        f"The first meeting, {_short_date(start_wall)}, isn't one of the Set's meeting days. "
        f"Move it to {_short_date(fitting)}, or choose a different pattern."
    )
