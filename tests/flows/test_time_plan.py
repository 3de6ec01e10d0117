"""A facilitator opens a meeting and the bot shares the time out among today's presenters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.time_plan import (
    TimePlan,
    break_length,
    plan_lines,
    plan_meeting,
    reflection_reserve,
)

LONDON = "Europe/London"
TEN_AM_IN_JANUARY = datetime(2027, 1, 5, 10, tzinfo=UTC)
FIVE = ["asha", "ben", "carmen", "dev", "eli"]


def test_two_hours_and_five_presenters_gives_each_twenty_one_minutes() -> None:
    plan = plan_meeting(session_minutes=120, presenters=FIVE, start=TEN_AM_IN_JANUARY)

    assert [slot.minutes for slot in plan.slots] == [21] * 5
    assert [slot.presenter for slot in plan.slots] == FIVE
    assert plan.reflection_starts_at == TEN_AM_IN_JANUARY + timedelta(minutes=105)
    assert plan.reflection_minutes == 15
    assert plan.left_out == ()


def test_the_running_order_reads_in_the_sets_local_time() -> None:
    plan = plan_meeting(session_minutes=120, presenters=FIVE, start=TEN_AM_IN_JANUARY)

    assert plan_lines(plan, timezone=LONDON) == [
        "10:00–10:21 asha",
        "10:21–10:42 ben",
        "10:42–11:03 carmen",
        "11:03–11:24 dev",
        "11:24–11:45 eli",
        "11:45–12:00 Reflecting on the process",
    ]


def test_a_summer_meeting_shows_british_summer_time() -> None:
    nine_utc_in_july = datetime(2027, 7, 6, 9, tzinfo=UTC)
    plan = plan_meeting(session_minutes=120, presenters=FIVE, start=nine_utc_in_july)

    assert plan_lines(plan, timezone=LONDON)[0] == "10:00–10:21 asha"


def test_minutes_that_do_not_share_equally_go_to_reflection() -> None:
    plan = plan_meeting(session_minutes=120, presenters=FIVE[:4], start=TEN_AM_IN_JANUARY)

    assert [slot.minutes for slot in plan.slots] == [26] * 4
    assert plan.reflection_minutes == 16
    assert plan.ends_at == TEN_AM_IN_JANUARY + timedelta(minutes=120)


def test_turns_follow_one_another_without_gaps() -> None:
    plan = plan_meeting(session_minutes=120, presenters=FIVE, start=TEN_AM_IN_JANUARY)

    assert plan.slots[0].starts_at == TEN_AM_IN_JANUARY
    for before, after in zip(plan.slots, plan.slots[1:], strict=False):
        assert before.ends_at == after.starts_at


def test_with_nobody_presenting_the_whole_meeting_is_for_reflection() -> None:
    plan = plan_meeting(session_minutes=120, presenters=[], start=TEN_AM_IN_JANUARY)

    assert plan.slots == ()
    assert plan.reflection_minutes == 120
    assert plan_lines(plan, timezone=LONDON) == ["10:00–12:00 Reflecting on the process"]


def test_presenters_who_would_get_under_ten_minutes_wait_for_next_time() -> None:
    six = [*FIVE, "fran"]

    plan = plan_meeting(session_minutes=60, presenters=six, start=TEN_AM_IN_JANUARY)

    assert [slot.presenter for slot in plan.slots] == ["asha", "ben", "carmen", "dev"]
    assert [slot.minutes for slot in plan.slots] == [11] * 4
    assert plan.left_out == ("eli", "fran")
    assert plan_lines(plan, timezone=LONDON)[-1] == (
        "No time for a turn today: eli, fran. They could go first next time."
    )


def test_a_half_hour_session_has_room_for_one_presenter() -> None:
    plan = plan_meeting(session_minutes=30, presenters=FIVE[:3], start=TEN_AM_IN_JANUARY)

    assert [(slot.presenter, slot.minutes) for slot in plan.slots] == [("asha", 15)]
    assert plan.reflection_minutes == 15
    assert plan.left_out == ("ben", "carmen")


def test_when_reflection_leaves_no_room_for_a_turn_everyone_waits_for_next_time() -> None:
    plan = plan_meeting(
        session_minutes=30, presenters=FIVE[:2], start=TEN_AM_IN_JANUARY, reflection_minutes=25
    )

    assert plan.slots == ()
    assert plan.left_out == ("asha", "ben")
    assert plan.reflection_minutes == 30


def test_without_reflection_time_no_empty_reflection_line_is_shown() -> None:
    plan = plan_meeting(
        session_minutes=60, presenters=FIVE[:3], start=TEN_AM_IN_JANUARY, reflection_minutes=0
    )

    assert plan_lines(plan, timezone=LONDON) == [
        "10:00–10:20 asha",
        "10:20–10:40 ben",
        "10:40–11:00 carmen",
    ]


def test_the_slack_layer_can_show_presenters_as_mentions() -> None:
    plan = plan_meeting(session_minutes=60, presenters=["U1"], start=TEN_AM_IN_JANUARY)

    assert plan_lines(plan, timezone=LONDON, label=lambda user: f"<@{user}>")[0] == (
        "10:00–10:45 <@U1>"
    )


def test_a_turn_through_the_clock_change_is_real_minutes_long() -> None:
    half_past_midnight = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # London springs forward at 1

    plan = plan_meeting(session_minutes=120, presenters=FIVE[:2], start=half_past_midnight)

    assert plan.slots[0].ends_at - plan.slots[0].starts_at == timedelta(minutes=52)
    assert plan_lines(plan, timezone=LONDON)[0] == "00:30–02:22 asha"


def test_a_start_without_a_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan_meeting(session_minutes=120, presenters=FIVE, start=datetime(2027, 1, 5, 10))


def test_reflection_longer_than_the_session_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="reflection"):
        plan_meeting(
            session_minutes=30, presenters=FIVE, start=TEN_AM_IN_JANUARY, reflection_minutes=31
        )


@pytest.mark.parametrize("minutes", [29, 481, 0, -30])
def test_a_length_the_set_modal_refuses_is_a_programming_error(minutes: int) -> None:
    with pytest.raises(ValueError, match=f"{minutes} minutes"):
        plan_meeting(session_minutes=minutes, presenters=FIVE, start=TEN_AM_IN_JANUARY)


@pytest.mark.parametrize(
    ("session", "reserve"),
    [(30, 15), (120, 15), (150, 15), (151, 15), (155, 16), (160, 16), (240, 24), (480, 48)],
)
def test_reflection_is_fifteen_minutes_or_a_tenth_of_a_long_session(
    session: int, reserve: int
) -> None:
    assert reflection_reserve(session) == reserve


@pytest.mark.parametrize(
    ("session", "pause"), [(30, 0), (180, 0), (181, 15), (240, 15), (300, 15), (301, 30), (480, 30)]
)
def test_sessions_over_three_hours_get_a_break_and_over_five_a_longer_one(
    session: int, pause: int
) -> None:
    assert break_length(session) == pause


def test_a_three_hour_session_has_no_break() -> None:
    plan = plan_meeting(session_minutes=180, presenters=FIVE, start=TEN_AM_IN_JANUARY)

    assert plan.break_starts_at is None
    assert plan.break_ends_at is None
    assert plan.break_minutes == 0
    assert [slot.minutes for slot in plan.slots] == [32] * 5
    assert plan.reflection_minutes == 20  # the 18-minute tenth and two left over from sharing
    assert not any("Break" in line for line in plan_lines(plan, timezone=LONDON))


def test_a_half_day_breaks_between_turns_nearest_its_middle() -> None:
    plan = plan_meeting(session_minutes=240, presenters=FIVE, start=TEN_AM_IN_JANUARY)

    assert [slot.minutes for slot in plan.slots] == [40] * 5
    assert plan.break_starts_at == TEN_AM_IN_JANUARY + timedelta(hours=2)
    assert plan.break_minutes == 15
    assert plan.reflection_minutes == 25  # the 24-minute tenth and one left over from sharing
    assert plan_lines(plan, timezone=LONDON) == [
        "10:00–10:40 asha",
        "10:40–11:20 ben",
        "11:20–12:00 carmen",
        "12:00–12:15 Break",
        "12:15–12:55 dev",
        "12:55–13:35 eli",
        "13:35–14:00 Reflecting on the process",
    ]


def test_a_full_day_keeps_a_tenth_for_reflection_and_half_an_hour_for_lunch() -> None:
    six = [*FIVE, "fran"]

    plan = plan_meeting(session_minutes=480, presenters=six, start=TEN_AM_IN_JANUARY)

    assert [slot.minutes for slot in plan.slots] == [67] * 6
    assert plan.break_minutes == 30
    assert plan.reflection_minutes == 48
    assert plan.left_out == ()
    assert plan_lines(plan, timezone=LONDON) == [
        "10:00–11:07 asha",
        "11:07–12:14 ben",
        "12:14–13:21 carmen",
        "13:21–13:51 Break",
        "13:51–14:58 dev",
        "14:58–16:05 eli",
        "16:05–17:12 fran",
        "17:12–18:00 Reflecting on the process",
    ]


def test_a_lone_presenter_on_a_long_day_has_the_break_after_their_turn() -> None:
    plan = plan_meeting(session_minutes=240, presenters=["asha"], start=TEN_AM_IN_JANUARY)

    assert plan.slots[0].minutes == 201
    assert plan.break_starts_at == plan.slots[0].ends_at
    assert plan.reflection_starts_at == plan.break_ends_at


def test_with_nobody_presenting_a_long_session_is_all_reflection_without_a_set_break() -> None:
    plan = plan_meeting(session_minutes=480, presenters=[], start=TEN_AM_IN_JANUARY)

    assert plan.break_starts_at is None
    assert plan.reflection_minutes == 480


def test_reflection_that_leaves_no_room_for_the_break_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="reflection"):
        plan_meeting(
            session_minutes=240, presenters=FIVE, start=TEN_AM_IN_JANUARY, reflection_minutes=230
        )


def _check_plan(plan: TimePlan, session: int, names: list[str]) -> None:
    """What every plan promises, whatever the length: fair, whole, on time, break between turns."""
    assert len({slot.minutes for slot in plan.slots}) <= 1
    assert all(slot.minutes >= 10 for slot in plan.slots)
    assert [s.presenter for s in plan.slots] + list(plan.left_out) == names
    assert plan.ends_at == TEN_AM_IN_JANUARY + timedelta(minutes=session)
    used = sum(slot.minutes for slot in plan.slots) + plan.break_minutes + plan.reflection_minutes
    assert used == session
    assert plan.break_minutes == (break_length(session) if plan.slots else 0)
    blocks = [(s.starts_at, s.ends_at) for s in plan.slots]
    if plan.break_starts_at is not None and plan.break_ends_at is not None:
        blocks.append((plan.break_starts_at, plan.break_ends_at))
        assert plan.break_starts_at > TEN_AM_IN_JANUARY
    blocks.sort()
    blocks.append((plan.reflection_starts_at, plan.ends_at))
    assert blocks[0][0] == TEN_AM_IN_JANUARY
    for (_, before_ends), (after_starts, _) in pairwise(blocks):
        assert before_ends == after_starts  # no gaps, no overlaps: nothing straddles the break


@settings(max_examples=60)
@given(
    session=st.integers(min_value=30, max_value=480),
    presenters=st.integers(min_value=0, max_value=10),
    reflection=st.integers(min_value=0, max_value=30),
)
def test_every_plan_shares_fairly_and_ends_on_time(
    session: int, presenters: int, reflection: int
) -> None:
    names = [f"member{i}" for i in range(presenters)]

    plan = plan_meeting(
        session_minutes=session,
        presenters=names,
        start=TEN_AM_IN_JANUARY,
        reflection_minutes=reflection,
    )

    _check_plan(plan, session, names)
    assert plan.reflection_minutes >= reflection


@settings(max_examples=60)
@given(
    session=st.integers(min_value=30, max_value=480),
    presenters=st.integers(min_value=0, max_value=12),
)
def test_the_default_reflection_and_break_fit_every_valid_session(
    session: int, presenters: int
) -> None:
    names = [f"member{i}" for i in range(presenters)]

    plan = plan_meeting(session_minutes=session, presenters=names, start=TEN_AM_IN_JANUARY)

    _check_plan(plan, session, names)
    assert plan.reflection_minutes >= reflection_reserve(session)
