"""A facilitator sets up when their Set meets, and the bot works out the real times.

Clock changes used below: London springs forward on Sun 28 Mar 2027 (01:00 GMT) and
falls back on Sun 31 Oct 2027 (02:00 BST); New York on Sun 14 Mar 2027 (02:00 EST)
and Sun 7 Nov 2027 (02:00 EDT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.schedule import (
    LAST,
    MAX_DATES,
    Cadence,
    all_meetings,
    count_error,
    describe,
    end_date_error,
    first_meeting_error,
    first_meeting_fit_error,
    format_local,
    from_rfc5545,
    interval_error,
    last_meeting,
    meetings_after,
    session_minutes_error,
    timezone_error,
    to_rfc5545,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
TUESDAY, FRIDAY, SUNDAY = 1, 4, 6


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def wall_times(meetings: list[datetime], zone: str) -> list[str]:
    return [m.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z") for m in meetings]


# What the facilitator picks, and what gets stored


def test_monthly_on_the_first_tuesday_is_stored_as_an_rrule() -> None:
    cadence = Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3)

    assert to_rfc5545(cadence) == "RRULE:FREQ=MONTHLY;BYDAY=1TU;COUNT=3"


def test_every_two_weeks_until_an_end_date_includes_that_whole_day() -> None:
    cadence = Cadence.weekly(every=2, until=date(2027, 3, 5))

    assert to_rfc5545(cadence) == "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20270305T235959"


def test_explicit_dates_are_stored_as_local_wall_clock_times() -> None:
    cadence = Cadence.on_dates([datetime(2027, 2, 2, 9, 30), datetime(2027, 1, 5, 10, 0)])

    assert to_rfc5545(cadence) == "RDATE:20270105T100000,20270202T093000"


def test_explicit_dates_in_any_order_with_repeats_mean_the_same_meetings() -> None:
    tidy = Cadence.on_dates([datetime(2027, 1, 5, 10), datetime(2027, 2, 2, 10)])
    messy = Cadence.on_dates(
        [datetime(2027, 2, 2, 10, 0, 45), datetime(2027, 1, 5, 10), datetime(2027, 2, 2, 10)]
    )

    assert messy == tidy


def test_a_bare_rule_as_in_the_model_comment_is_read_too() -> None:
    assert from_rfc5545("FREQ=MONTHLY;BYDAY=1TU;COUNT=3") == Cadence.monthly(
        ordinal=1, weekday=TUESDAY, count=3
    )


@pytest.mark.parametrize(
    "text",
    [
        "RRULE:FREQ=DAILY;COUNT=3",
        "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        "RRULE:FREQ=WEEKLY;UNTIL=20270305T235959Z",
        "RRULE:FREQ=MONTHLY;BYDAY=5TU",
        "RRULE:FREQ=MONTHLY;BYDAY=1TU,3TU",
        "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=1TU",
        "RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20270305T235959",
        "RRULE:FREQ=WEEKLY;WKST=SU",
        "RRULE:FREQ=WEEKLY\nRDATE:20270105T100000",
        "RDATE;TZID=Europe/London:20270105T100000",
        "EXDATE:20270105T100000",
        "",
    ],
)
def test_a_cadence_a_facilitator_could_not_have_picked_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        from_rfc5545(text)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Cadence.weekly(every=9), interval_error(9)),
        (lambda: Cadence.weekly(count=53), count_error(53)),
        (
            lambda: Cadence.weekly(count=3, until=date(2027, 3, 5)),
            "Choose either a number of meetings or an end date, not both.",
        ),
    ],
)
def test_a_pattern_out_of_range_is_refused_with_the_facilitators_message(build, message) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_explicit_dates_must_be_wall_clock_times_not_instants() -> None:
    with pytest.raises(ValueError, match="naive"):
        Cadence.on_dates([utc(2027, 1, 5, 10)])


def test_too_many_explicit_dates_to_store_are_refused() -> None:
    days = [datetime(2027, 1, 1, 10) + timedelta(days=i) for i in range(MAX_DATES + 1)]

    with pytest.raises(ValueError, match=f"between 1 and {MAX_DATES} dates"):
        Cadence.on_dates(days)


weekdays = st.integers(min_value=0, max_value=6)
limits = st.one_of(
    st.tuples(st.integers(min_value=1, max_value=52), st.none()),
    st.tuples(st.none(), st.dates(min_value=date(1, 1, 1))),
    st.tuples(st.none(), st.none()),
)
cadences = st.one_of(
    st.builds(
        lambda every, limit: Cadence.weekly(every=every, count=limit[0], until=limit[1]),
        st.integers(min_value=1, max_value=8),
        limits,
    ),
    st.builds(
        lambda ordinal, day, limit: Cadence.monthly(
            ordinal=ordinal, weekday=day, count=limit[0], until=limit[1]
        ),
        st.sampled_from([1, 2, 3, 4, LAST]),
        weekdays,
        limits,
    ),
    st.builds(
        Cadence.on_dates,
        st.lists(st.datetimes(), min_size=1, max_size=MAX_DATES),
    ),
)


@settings(max_examples=60)
@given(cadences)
def test_whatever_is_stored_reads_back_as_the_same_choice(cadence: Cadence) -> None:
    text = to_rfc5545(cadence)

    assert from_rfc5545(text) == cadence
    assert len(text) <= 500  # LearningSet.cadence holds 500 characters


# When the Set meets


def test_monthly_first_tuesday_keeps_ten_oclock_across_the_clock_change() -> None:
    cadence = to_rfc5545(Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 2, 2, 10), timezone=LONDON)

    assert meetings == [utc(2027, 2, 2, 10), utc(2027, 3, 2, 10), utc(2027, 4, 6, 9)]
    assert wall_times(meetings, LONDON) == [
        "Tue 02 Feb 10:00 GMT",
        "Tue 02 Mar 10:00 GMT",
        "Tue 06 Apr 10:00 BST",
    ]


def test_london_meetings_stay_at_ten_when_the_clocks_go_back() -> None:
    cadence = to_rfc5545(Cadence.monthly(ordinal=1, weekday=TUESDAY, count=2))
    first = local(LONDON, 2027, 10, 5, 10)

    meetings = all_meetings(cadence=cadence, first_at=first, timezone=LONDON)

    assert meetings == [utc(2027, 10, 5, 9), utc(2027, 11, 2, 10)]


def test_new_york_weekly_meeting_stays_at_nine_when_the_clocks_spring_forward() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=3))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 3, 9, 14), timezone=NEW_YORK)

    assert meetings == [utc(2027, 3, 9, 14), utc(2027, 3, 16, 13), utc(2027, 3, 23, 13)]


def test_new_york_weekly_meeting_stays_at_nine_when_the_clocks_fall_back() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=2))
    first = local(NEW_YORK, 2027, 11, 2, 9)

    meetings = all_meetings(cadence=cadence, first_at=first, timezone=NEW_YORK)

    assert meetings == [utc(2027, 11, 2, 13), utc(2027, 11, 9, 14)]


def test_every_two_weeks_skips_the_week_in_between() -> None:
    cadence = to_rfc5545(Cadence.weekly(every=2, count=4))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 1, 4, 14), timezone=LONDON)

    assert [m.date() for m in meetings] == [
        date(2027, 1, 4),
        date(2027, 1, 18),
        date(2027, 2, 1),
        date(2027, 2, 15),
    ]


def test_last_friday_of_the_month_finds_months_with_four_and_five_fridays() -> None:
    cadence = to_rfc5545(Cadence.monthly(ordinal=LAST, weekday=FRIDAY, count=4))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 1, 29, 15), timezone=LONDON)

    assert wall_times(meetings, LONDON) == [
        "Fri 29 Jan 15:00 GMT",
        "Fri 26 Feb 15:00 GMT",
        "Fri 26 Mar 15:00 GMT",
        "Fri 30 Apr 15:00 BST",
    ]


def test_explicit_dates_each_keep_their_own_local_time() -> None:
    cadence = to_rfc5545(
        Cadence.on_dates([datetime(2027, 3, 16, 10), datetime(2027, 4, 20, 14, 30)])
    )

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 3, 16, 10), timezone=LONDON)

    assert meetings == [utc(2027, 3, 16, 10), utc(2027, 4, 20, 13, 30)]


def test_a_count_limit_stops_the_meetings() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=3))
    first = utc(2027, 1, 5, 10)

    upcoming = meetings_after(
        cadence=cadence, first_at=first, timezone=LONDON, after=first, count=10
    )

    assert upcoming == [utc(2027, 1, 12, 10), utc(2027, 1, 19, 10)]
    assert last_meeting(cadence=cadence, first_at=first, timezone=LONDON) == utc(2027, 1, 19, 10)


def test_an_end_date_still_holds_a_meeting_on_that_day() -> None:
    cadence = to_rfc5545(Cadence.weekly(every=2, until=date(2027, 3, 5)))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 1, 8, 16), timezone=LONDON)

    assert len(meetings) == 5
    assert meetings[-1] == utc(2027, 3, 5, 16)


def test_next_meetings_are_strictly_after_the_moment_asked_about() -> None:
    cadence = to_rfc5545(Cadence.weekly())
    first = utc(2027, 1, 5, 10)

    upcoming = meetings_after(
        cadence=cadence, first_at=first, timezone=LONDON, after=utc(2027, 1, 12, 10), count=2
    )

    assert upcoming == [utc(2027, 1, 19, 10), utc(2027, 1, 26, 10)]


def test_asking_for_no_meetings_gives_none() -> None:
    first = utc(2027, 1, 5, 10)

    none = meetings_after(
        cadence="RRULE:FREQ=WEEKLY", first_at=first, timezone=LONDON, after=first, count=0
    )

    assert none == []


def test_a_set_with_no_pattern_yet_meets_once_at_its_first_meeting() -> None:
    first = utc(2027, 1, 5, 10)

    assert all_meetings(cadence="", first_at=first, timezone=LONDON) == [first]
    assert last_meeting(cadence="", first_at=first, timezone=LONDON) == first


def test_a_set_that_meets_with_no_end_has_no_last_meeting() -> None:
    first = utc(2027, 1, 5, 10)

    assert last_meeting(cadence="RRULE:FREQ=WEEKLY", first_at=first, timezone=LONDON) is None
    with pytest.raises(ValueError, match="no end"):
        all_meetings(cadence="RRULE:FREQ=WEEKLY", first_at=first, timezone=LONDON)


def test_an_end_date_before_the_first_meeting_leaves_no_last_meeting() -> None:
    cadence = to_rfc5545(Cadence.weekly(until=date(2027, 1, 1)))

    assert last_meeting(cadence=cadence, first_at=utc(2027, 1, 5, 10), timezone=LONDON) is None


# Times that don't exist, or happen twice


def test_a_meeting_in_the_spring_forward_gap_moves_past_it_in_london() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=3))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 3, 21, 1, 30), timezone=LONDON)

    assert wall_times(meetings, LONDON) == [
        "Sun 21 Mar 01:30 GMT",
        "Sun 28 Mar 02:30 BST",
        "Sun 04 Apr 01:30 BST",
    ]


def test_a_meeting_in_the_spring_forward_gap_moves_past_it_in_new_york() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=2))
    first = local(NEW_YORK, 2027, 3, 7, 2, 30)

    meetings = all_meetings(cadence=cadence, first_at=first, timezone=NEW_YORK)

    assert meetings[1] == utc(2027, 3, 14, 7, 30)
    assert wall_times(meetings, NEW_YORK)[1] == "Sun 14 Mar 03:30 EDT"


def test_a_meeting_pushed_past_the_gap_is_still_found_just_before_it_starts() -> None:
    cadence = to_rfc5545(Cadence.weekly())
    after = local(LONDON, 2027, 3, 28, 2, 10)  # 01:10 UTC; the 01:30 meeting lands at 01:30 UTC

    upcoming = meetings_after(
        cadence=cadence, first_at=utc(2027, 3, 21, 1, 30), timezone=LONDON, after=after, count=1
    )

    assert upcoming == [utc(2027, 3, 28, 1, 30)]


def test_an_ambiguous_time_when_the_clocks_go_back_takes_the_first_in_london() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=3))

    meetings = all_meetings(cadence=cadence, first_at=utc(2027, 10, 24, 0, 30), timezone=LONDON)

    assert meetings == [utc(2027, 10, 24, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 7, 1, 30)]


def test_an_ambiguous_time_when_the_clocks_go_back_takes_the_first_in_new_york() -> None:
    cadence = to_rfc5545(Cadence.weekly(count=2))
    first = local(NEW_YORK, 2027, 10, 31, 1, 30)

    meetings = all_meetings(cadence=cadence, first_at=first, timezone=NEW_YORK)

    assert meetings[1] == utc(2027, 11, 7, 5, 30)
    assert wall_times(meetings, NEW_YORK)[1] == "Sun 07 Nov 01:30 EDT"


def test_a_first_meeting_chosen_in_the_second_one_thirty_happens_when_chosen() -> None:
    second_half_past_one = utc(2027, 10, 31, 1, 30)  # 01:30 GMT, after the clocks went back
    cadence = to_rfc5545(Cadence.weekly(count=2))

    meetings = all_meetings(cadence=cadence, first_at=second_half_past_one, timezone=LONDON)

    assert meetings == [second_half_past_one, utc(2027, 11, 7, 1, 30)]


zones = st.sampled_from([LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata", "UTC"])


@settings(max_examples=40, deadline=None)
@given(
    zone=zones,
    every=st.integers(min_value=1, max_value=8),
    first_day=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(min_value=7, max_value=20),
)
def test_a_weekly_set_always_meets_at_the_same_local_time(
    zone: str, every: int, first_day: date, hour: int
) -> None:
    first = datetime(first_day.year, first_day.month, first_day.day, hour, tzinfo=ZoneInfo(zone))
    cadence = to_rfc5545(Cadence.weekly(every=every, count=12))

    meetings = all_meetings(cadence=cadence, first_at=first, timezone=zone)

    assert len(meetings) == 12
    assert {m.astimezone(ZoneInfo(zone)).time() for m in meetings} == {first.time()}
    assert all(m.tzinfo is UTC for m in meetings)
    after_third = meetings_after(
        cadence=cadence, first_at=first, timezone=zone, after=meetings[2], count=3
    )
    assert after_third == meetings[3:6]


def test_a_first_meeting_that_is_not_aware_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        all_meetings(cadence="", first_at=datetime(2027, 1, 5, 10), timezone=LONDON)


def test_an_unknown_zone_stops_the_schedule_with_the_facilitators_message() -> None:
    with pytest.raises(ValueError, match="Pick a time zone such as Europe/London"):
        all_meetings(cadence="", first_at=utc(2027, 1, 5, 10), timezone="Mars/Olympus_Mons")


# Telling people about it


@pytest.mark.parametrize(
    ("cadence", "words"),
    [
        (
            Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3),
            "Monthly on the first Tuesday, 3 meetings",
        ),
        (Cadence.weekly(every=2, until=date(2027, 3, 5)), "Every 2 weeks until 5 March 2027"),
        (Cadence.weekly(count=1), "Weekly, 1 meeting"),
        (
            Cadence.monthly(ordinal=LAST, weekday=FRIDAY),
            "Monthly on the last Friday, with no end date yet",
        ),
        (Cadence.on_dates([datetime(2027, 1, 5, 10)]), "1 meeting, on Tue 5 Jan 2027"),
        (
            Cadence.on_dates(
                [datetime(2027, 1, 5, 10), datetime(2027, 2, 2, 10), datetime(2027, 3, 9, 10)]
            ),
            "3 meetings, on Tue 5 Jan 2027, Tue 2 Feb 2027 and Tue 9 Mar 2027",
        ),
    ],
)
def test_the_pattern_is_described_in_plain_words(cadence: Cadence, words: str) -> None:
    assert describe(cadence) == words


@pytest.mark.parametrize(
    ("when", "zone", "shown"),
    [
        (utc(2027, 1, 5, 10), LONDON, "Tue 5 Jan 2027, 10:00 (GMT)"),
        (utc(2027, 7, 6, 9), LONDON, "Tue 6 Jul 2027, 10:00 (BST)"),
        (utc(2027, 1, 5, 15), NEW_YORK, "Tue 5 Jan 2027, 10:00 (EST)"),
        (utc(2027, 1, 5, 6), "Asia/Dubai", "Tue 5 Jan 2027, 10:00 (UTC+04)"),
    ],
)
def test_a_meeting_time_is_shown_in_the_sets_own_zone(
    when: datetime, zone: str, shown: str
) -> None:
    assert format_local(when, zone) == shown


# Checking what the facilitator typed


def test_a_known_time_zone_is_accepted() -> None:
    assert timezone_error(LONDON) is None
    assert timezone_error("UTC") is None


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "London", "localtime", "../etc/passwd"])
def test_an_unknown_time_zone_gets_an_example_of_a_good_one(name: str) -> None:
    assert timezone_error(name) == (
        f"I don't recognise the time zone “{name}”. Pick a time zone such as Europe/London."
    )


def test_a_time_zone_typed_in_lower_case_gets_a_suggestion() -> None:
    assert timezone_error("europe/london") == (
        "I don't recognise the time zone “europe/london”. Did you mean Europe/London?"
    )


def test_a_blank_time_zone_asks_for_one() -> None:
    assert timezone_error(" ") == "Pick a time zone for the Set, such as Europe/London."


def test_a_first_meeting_in_the_past_is_caught() -> None:
    now = utc(2027, 1, 5, 10)

    assert first_meeting_error(utc(2027, 1, 5, 10, 1), now=now) is None
    assert first_meeting_error(now, now=now) == (
        "That first meeting time has already passed. Pick a date and time in the future."
    )


@pytest.mark.parametrize(("minutes", "ok"), [(29, False), (30, True), (480, True), (481, False)])
def test_session_length_must_be_half_an_hour_to_eight_hours(minutes: int, ok: bool) -> None:
    assert (session_minutes_error(minutes) is None) is ok


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (52, True), (53, False)])
def test_a_set_has_between_one_and_fifty_two_meetings(count: int, ok: bool) -> None:
    assert (count_error(count) is None) is ok


@pytest.mark.parametrize(("weeks", "ok"), [(0, False), (1, True), (8, True), (9, False)])
def test_meetings_are_one_to_eight_weeks_apart(weeks: int, ok: bool) -> None:
    assert (interval_error(weeks) is None) is ok


def test_the_facilitators_messages_say_what_to_do() -> None:
    assert session_minutes_error(500) == (
        "A session can be from 30 minutes to 8 hours (480 minutes). "
        "Pick a length in between: 120 minutes suits most Sets."
    )
    assert count_error(0) == (
        "A Set can have from 1 to 52 meetings. Pick a number in between: 6 is a good start."
    )
    assert interval_error(12) == (
        "Meetings can be from every week to every 8 weeks. Pick a gap in between."
    )


def test_an_end_date_before_the_first_meeting_is_caught() -> None:
    first = local(LONDON, 2027, 1, 5, 10)

    assert end_date_error(date(2027, 1, 5), first_at=first, timezone=LONDON) is None
    assert end_date_error(date(2027, 1, 4), first_at=first, timezone=LONDON) == (
        "The end date is before the first meeting. Pick 5 January 2027 or later."
    )


def test_a_first_meeting_on_a_wednesday_does_not_fit_first_tuesdays() -> None:
    first_tuesdays = Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3)
    wednesday = local(LONDON, 2027, 1, 6, 10)

    assert first_meeting_fit_error(first_tuesdays, first_at=wednesday, timezone=LONDON) == (
        "The first meeting, Wed 6 Jan 2027, isn't one of the Set's meeting days. "
        "Move it to Tue 2 Feb 2027, or choose a different pattern."
    )


def test_a_first_meeting_on_a_first_tuesday_fits() -> None:
    first_tuesdays = Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3)
    first_tuesday = local(LONDON, 2027, 1, 5, 10)

    assert first_meeting_fit_error(first_tuesdays, first_at=first_tuesday, timezone=LONDON) is None


def test_a_first_meeting_must_be_the_earliest_chosen_date() -> None:
    dates = Cadence.on_dates([datetime(2027, 1, 5, 10), datetime(2027, 2, 2, 10)])
    second_date = local(LONDON, 2027, 2, 2, 10)

    message = first_meeting_fit_error(dates, first_at=second_date, timezone=LONDON)

    assert message is not None
    assert "Move it to Tue 5 Jan 2027" in message
