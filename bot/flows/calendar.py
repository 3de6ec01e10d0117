"""A Set's meetings as an .ics file members can import into their own calendars.

Folding, escaping and VTIMEZONE rules are the icalendar library's job; this module
only decides what each event says. Events carry the Set's zone (not UTC) so a
calendar app shows the meeting at the Set's local time and keeps it there across
clock changes, and their UIDs are stable so importing the file again updates the
meetings instead of adding copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import col, select

from bot.clock import Clock
from bot.flows.access import Caller, member_here
from bot.store.db import Store
from bot.store.models import Meeting, MeetingStatus

PRODID = "-//setbot//Action Learning Sets//EN"


def meeting_uid(*, team_id: str, set_id: int, start: datetime) -> str:
    """Same meeting, same UID: named by its UTC start, so a moved meeting is a new event."""
    return f"meeting-{team_id}-{set_id}-{start.astimezone(UTC):%Y%m%dT%H%MZ}@setbot"


def meetings_ics(
    *,
    set_name: str,
    set_id: int,
    team_id: str,
    starts: list[datetime],
    session_minutes: int,
    timezone: str,
    channel_url: str | None = None,
    now: datetime,
) -> bytes:
    """One VEVENT per meeting start (aware datetimes), each `session_minutes` long.

    The calendar has no NAME/X-WR-CALNAME: icalendar 7.3 leaves newlines in those
    unescaped, and a one-off import file doesn't need its own calendar name anyway.
    """
    if any(start.tzinfo is None for start in starts) or now.tzinfo is None:
        raise ValueError("meeting starts and now must be aware datetimes")
    zone = ZoneInfo(timezone)
    calendar = Calendar.new(prodid=PRODID, method="PUBLISH", uid=f"set-{team_id}-{set_id}@setbot")
    length = timedelta(minutes=session_minutes)
    for start in sorted(starts):
        event = Event.new(
            uid=meeting_uid(team_id=team_id, set_id=set_id, start=start),
            start=start.astimezone(zone),
            # Add in UTC: wall-clock arithmetic would stretch a meeting over a clock change.
            end=(start.astimezone(UTC) + length).astimezone(zone),
            summary=f"{set_name} \N{EM DASH} Action Learning Set",
            stamp=now.astimezone(UTC),
            url=channel_url,
            description=f"Your Set's channel in Slack: {channel_url}" if channel_url else None,
        )
        calendar.add_component(event)
    if starts:
        # Only the years the meetings span: the 1970-2038 default adds decades of transitions.
        first, last = min(starts).astimezone(zone), (max(starts) + length).astimezone(zone)
        calendar.add_missing_timezones(
            first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1)
        )
    return calendar.to_ical()


@dataclass(frozen=True)
class CalendarFile:
    set_name: str
    filename: str
    content: bytes
    meetings: int


def set_calendar(store: Store, clock: Clock, caller: Caller) -> CalendarFile:
    """Every meeting still to come, for any member to import into their own calendar."""
    now = clock.now()
    with store.session() as session:
        here = member_here(session, caller)
        learning_set = here.learning_set
        coming = session.exec(
            select(Meeting)
            .where(
                Meeting.set_id == here.set_id,
                Meeting.status == MeetingStatus.SCHEDULED,
                col(Meeting.scheduled_at) > now,
            )
            .order_by(col(Meeting.scheduled_at))
        ).all()
        starts = [m.scheduled_at for m in coming if m.scheduled_at]
        content = meetings_ics(
            set_name=learning_set.name,
            set_id=here.set_id,
            team_id=learning_set.team_id,
            starts=starts,
            session_minutes=learning_set.session_minutes,
            timezone=learning_set.timezone,
            now=now,
        )
    slug = "".join(c if c.isalnum() else "-" for c in learning_set.name.lower()).strip("-")
    return CalendarFile(learning_set.name, f"{slug or 'set'}-meetings.ics", content, len(starts))
