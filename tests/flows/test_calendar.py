"""A member downloads the Set's meetings and imports them into their own calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from bot.flows.calendar import meetings_ics
from bot.flows.schedule import Cadence, all_meetings, to_rfc5545

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
FIRST_TUESDAYS = [
    datetime(2027, 2, 2, 10, tzinfo=UTC),
    datetime(2027, 3, 2, 10, tzinfo=UTC),
    datetime(2027, 4, 6, 9, tzinfo=UTC),  # 10:00 BST
]


def export(starts: list[datetime] = FIRST_TUESDAYS, **overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "set_name": "Leading change",
        "set_id": 7,
        "team_id": "T0123",
        "starts": starts,
        "session_minutes": 120,
        "timezone": "Europe/London",
        "now": NOW,
    } | overrides
    return meetings_ics(**arguments)


def events(ics: bytes) -> list[Event]:
    return Calendar.from_ical(ics).events


def test_each_meeting_becomes_one_event() -> None:
    assert len(events(export())) == 3


def test_events_start_at_ten_local_time_either_side_of_the_clock_change() -> None:
    starts = [event.start for event in events(export())]

    assert [start.astimezone(UTC) for start in starts] == FIRST_TUESDAYS
    assert {(start.hour, start.minute) for start in starts} == {(10, 0)}
    assert all(start.tzinfo == LONDON for start in starts)


def test_the_file_says_which_zone_its_times_are_in() -> None:
    ics = export()

    assert b"DTSTART;TZID=Europe/London:20270406T100000" in ics
    assert [tz.tz_name for tz in Calendar.from_ical(ics).timezones] == ["Europe/London"]


def test_each_event_lasts_the_session_length() -> None:
    for event in events(export()):
        assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == timedelta(minutes=120)


def test_a_meeting_through_the_clock_change_lasts_real_minutes() -> None:
    half_past_midnight = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)

    (event,) = events(export([half_past_midnight]))

    assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == timedelta(minutes=120)
    assert (event.end.hour, event.end.minute) == (3, 30)  # 02:30 GMT is 03:30 BST


def test_uids_name_the_workspace_the_set_and_the_start() -> None:
    uids = [str(event.uid) for event in events(export())]

    assert uids == [
        "meeting-T0123-7-20270202T1000Z@setbot",
        "meeting-T0123-7-20270302T1000Z@setbot",
        "meeting-T0123-7-20270406T0900Z@setbot",
    ]


def test_importing_a_later_export_updates_the_same_events() -> None:
    earlier = events(export())
    later = events(export(now=NOW + timedelta(days=30)))

    assert [e.uid for e in later] == [e.uid for e in earlier]
    assert {e.stamp for e in later} == {NOW + timedelta(days=30)}


def test_the_same_meetings_always_give_the_same_file() -> None:
    assert export() == export(list(reversed(FIRST_TUESDAYS)))


def test_each_event_is_titled_with_the_set_name() -> None:
    summaries = {str(event["SUMMARY"]) for event in events(export())}

    assert summaries == {"Leading change — Action Learning Set"}


@pytest.mark.parametrize(
    "name",
    [
        "Leaders, managers; and friends",
        "Line one\nline two",
        "Growing 🌱 together — 2027",
        'Back\\slash "quoted" name',
    ],
)
def test_awkward_set_names_survive_the_round_trip(name: str) -> None:
    (event, *_) = events(export(set_name=name))

    assert str(event["SUMMARY"]) == f"{name} — Action Learning Set"


def test_a_link_to_the_sets_channel_is_included_when_known() -> None:
    url = "https://acme.slack.com/archives/C0123"

    (event, *_) = events(export(channel_url=url))

    assert str(event["URL"]) == url
    assert url in str(event["DESCRIPTION"])


def test_without_a_channel_link_the_events_carry_none() -> None:
    (event, *_) = events(export())

    assert "URL" not in event
    assert "DESCRIPTION" not in event


def test_a_set_with_no_meetings_yet_gives_an_empty_calendar() -> None:
    calendar = Calendar.from_ical(export([]))

    assert calendar.events == []
    assert calendar.timezones == []


def test_the_schedule_and_the_calendar_agree() -> None:
    cadence = to_rfc5545(Cadence.monthly(ordinal=1, weekday=1, count=3))
    starts = all_meetings(cadence=cadence, first_at=FIRST_TUESDAYS[0], timezone="Europe/London")

    assert [event.start.astimezone(UTC) for event in events(export(starts))] == FIRST_TUESDAYS


def test_a_start_without_a_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        export([datetime(2027, 2, 2, 10)])
