"""A Set spread around the world gets phase windows fair to everyone's waking day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.phases import Phase
from bot.flows.windows import (
    fair_until,
    phase_window,
    round_budget,
    round_windows,
    shortest_meeting_window,
    waking_time_inside,
    working_days_later,
)

AROUND_THE_WORLD = (
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Los_Angeles",
)
FOUR_HOURS = timedelta(hours=4)
# The spring of 2027: New York and Los Angeles go forward on 14 March, London on 28 March,
# and Sydney goes back on 4 April.
SPRING_2027 = st.datetimes(
    min_value=datetime(2027, 3, 8),
    max_value=datetime(2027, 4, 10),
    timezones=st.just(UTC),
)


@settings(max_examples=300, deadline=None)
@given(start=SPRING_2027, budget_hours=st.integers(min_value=0, max_value=72))
def test_every_member_has_four_waking_hours_in_every_phase(
    start: datetime, budget_hours: int
) -> None:
    closes = phase_window(start, AROUND_THE_WORLD, timedelta(hours=budget_hours))

    for zone in AROUND_THE_WORLD:
        assert waking_time_inside(zone, start, closes) >= FOUR_HOURS, zone


@settings(max_examples=200, deadline=None)
@given(start=SPRING_2027)
def test_a_window_is_no_longer_than_fairness_needs(start: datetime) -> None:
    closes = phase_window(start, AROUND_THE_WORLD, timedelta(hours=12))

    an_hour_sooner = closes - timedelta(hours=1)
    unfair_to_someone = any(
        waking_time_inside(zone, start, an_hour_sooner) < FOUR_HOURS for zone in AROUND_THE_WORLD
    )
    assert an_hour_sooner < start + timedelta(hours=12) or unfair_to_someone


def test_a_set_in_one_city_keeps_the_phase_s_share_of_the_time() -> None:
    monday_nine = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

    closes = phase_window(monday_nine, ["Europe/London"], timedelta(hours=30))

    assert closes == monday_nine + timedelta(hours=30)


def test_a_window_opened_late_at_night_waits_for_the_morning() -> None:
    # 23:00 in London: four waking hours are done at 12:00 the next day.
    late = datetime(2027, 1, 4, 23, 0, tzinfo=UTC)

    assert fair_until("Europe/London", late, FOUR_HOURS) == datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def test_the_night_the_clocks_go_forward_takes_nothing_from_the_waking_day() -> None:
    # New York springs forward at 02:00 on 14 March 2027; 08:00 EDT is 12:00 UTC.
    saturday_night = datetime(2027, 3, 14, 3, 0, tzinfo=UTC)

    assert fair_until("America/New_York", saturday_night, FOUR_HOURS) == datetime(
        2027, 3, 14, 16, 0, tzinfo=UTC
    )


def test_windows_are_whole_hours_back_to_back() -> None:
    start = datetime(2027, 3, 10, 14, 37, tzinfo=UTC)
    route = [Phase.DESCRIBE, Phase.QUESTIONS, Phase.IDEAS, Phase.REFLECT]

    windows = round_windows(start, AROUND_THE_WORLD, route, timedelta(days=3))

    assert [w.phase for w in windows] == route
    assert windows[0].opens_at == start
    for earlier, later in pairwise(windows):
        assert later.opens_at == earlier.closes_at
    for window in windows:
        assert (window.closes_at - window.opens_at) % timedelta(hours=1) == timedelta(0)


def test_five_working_days_skip_the_weekend() -> None:
    thursday_ten = datetime(2027, 1, 7, 10, 0, tzinfo=UTC)

    assert working_days_later(thursday_ten, 5, "Europe/London") == datetime(
        2027, 1, 14, 10, 0, tzinfo=UTC
    )


def test_rounds_side_by_side_need_less_time_than_one_after_another() -> None:
    start = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)
    route = [Phase.DESCRIBE, Phase.QUESTIONS, Phase.IDEAS, Phase.REFLECT]
    five_rounds = [route] * 5

    together = shortest_meeting_window(start, AROUND_THE_WORLD, five_rounds, side_by_side=True)
    in_turn = shortest_meeting_window(start, AROUND_THE_WORLD, five_rounds, side_by_side=False)

    assert together == round_windows(start, AROUND_THE_WORLD, route, timedelta(0))[-1].closes_at
    assert in_turn - start > (together - start) * 4


def test_a_round_in_turn_gets_its_part_of_the_meeting_window() -> None:
    week = timedelta(days=7)

    assert round_budget(week, 5, side_by_side=False) == week / 5
    assert round_budget(week, 5, side_by_side=True) == week


def test_a_phase_ends_with_its_meeting_unless_fairness_needs_longer() -> None:
    monday_nine = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    meeting_closes = monday_nine + timedelta(hours=20)

    in_london = phase_window(
        monday_nine, ["Europe/London"], timedelta(hours=30), not_after=meeting_closes
    )
    with_sydney = phase_window(
        monday_nine,
        ["Europe/London", "Australia/Sydney"],
        timedelta(hours=1),
        not_after=monday_nine + timedelta(hours=2),
    )

    assert in_london == meeting_closes
    assert waking_time_inside("Australia/Sydney", monday_nine, with_sydney) >= FOUR_HOURS
