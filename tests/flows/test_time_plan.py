"""A facilitator opens a meeting and the bot shares the time out among today's presenters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.time_plan import plan_lines, plan_meeting

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


def test_a_session_too_short_for_any_turn_leaves_everyone_for_next_time() -> None:
    plan = plan_meeting(session_minutes=20, presenters=FIVE[:2], start=TEN_AM_IN_JANUARY)

    assert plan.slots == ()
    assert plan.left_out == ("asha", "ben")
    assert plan.reflection_minutes == 20


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

    assert len({slot.minutes for slot in plan.slots}) <= 1
    assert all(slot.minutes >= 10 for slot in plan.slots)
    assert [s.presenter for s in plan.slots] + list(plan.left_out) == names
    assert plan.reflection_minutes >= reflection
    assert plan.ends_at == TEN_AM_IN_JANUARY + timedelta(minutes=session)
    used = sum(slot.minutes for slot in plan.slots) + plan.reflection_minutes
    assert used == session
