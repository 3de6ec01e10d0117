"""The Set agrees how time will be used: Fran sets each member's minutes at the start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.flows import meetings, rounds, sets, time_agreement
from bot.flows.access import Caller, Refusal
from bot.flows.schedule import Cadence
from bot.flows.time_agreement import MinutesProblem
from bot.flows.time_plan import plan_lines, plan_meeting
from bot.store.db import Store
from bot.store.models import Meeting
from tests.factories import TEAM

CHANNEL = "C0LEADERS"
FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
TEN = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def caller(user: str = FRAN) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=CHANNEL)


def times(plan_minutes: int, presenters: list[str], agreed: dict[str, int]) -> list[str]:
    plan = plan_meeting(
        session_minutes=plan_minutes, presenters=presenters, start=TEN, agreed=agreed
    )
    return plan_lines(plan, timezone="UTC")


def test_agreed_minutes_replace_the_equal_shares_and_what_is_left_goes_to_reflection() -> None:
    assert times(120, [ASHA, BEN, CARA], {ASHA: 45, BEN: 30, CARA: 20}) == [
        f"10:00–10:45 {ASHA}",
        f"10:45–11:15 {BEN}",
        f"11:15–11:35 {CARA}",
        "11:35–12:00 Reflecting on the process",
    ]


def test_members_without_agreed_minutes_share_the_rest_equally() -> None:
    assert times(120, [ASHA, BEN, CARA], {ASHA: 45}) == [
        f"10:00–10:45 {ASHA}",
        f"10:45–11:15 {BEN}",
        f"11:15–11:45 {CARA}",
        "11:45–12:00 Reflecting on the process",
    ]


def test_a_full_day_of_agreed_turns_breaks_between_turns_nearest_the_middle() -> None:
    # 480 minutes keep 48 for reflecting and a 30-minute lunch: 402 for rounds.
    day = times(480, [ASHA, BEN, CARA], {ASHA: 120, BEN: 120, CARA: 60})

    assert day == [
        f"10:00–12:00 {ASHA}",
        f"12:00–14:00 {BEN}",
        "14:00–14:30 Break",
        f"14:30–15:30 {CARA}",
        "15:30–18:00 Reflecting on the process",
    ]


@pytest.fixture
def meeting_id(store: Store, clock: ManualClock) -> int:
    """New team leaders' two-hour meeting, under way at ten."""
    sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=FRAN,
        channel_id=CHANNEL,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN, CARA),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=TEN,
            timezone="UTC",
        ),
    )
    clock.set(TEN)
    return meetings.start_meeting(store, clock, caller()).meeting_id


_NAMES = {"asha": ASHA, "ben": BEN, "cara": CARA}


def agree(store: Store, meeting_id: int, user: str = FRAN, **typed: str) -> meetings.MeetingCard:
    """Fran (or `user`) submits the Adjust time modal; anyone not named keeps 35 minutes."""
    return time_agreement.agree_minutes(
        store,
        team_id=TEAM,
        meeting_id=meeting_id,
        user_id=user,
        typed={user_id: typed.get(name, "35") for name, user_id in _NAMES.items()},
    )


def stored_minutes(store: Store, meeting_id: int) -> dict[str, int]:
    with store.session() as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting.round_minutes


def test_the_form_starts_from_the_equal_shares_in_turn_order(store: Store, meeting_id: int) -> None:
    form = time_agreement.time_form(store, team_id=TEAM, meeting_id=meeting_id, user_id=FRAN)

    assert form.presenters == (ASHA, BEN, CARA)
    assert dict(form.minutes) == {ASHA: 35, BEN: 35, CARA: 35}
    assert (form.free_minutes, form.reflection_minutes, form.break_minutes) == (105, 15, 0)


def test_a_member_cannot_adjust_the_time(store: Store, meeting_id: int) -> None:
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        time_agreement.time_form(store, team_id=TEAM, meeting_id=meeting_id, user_id=BEN)
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        agree(store, meeting_id, BEN, asha="60")

    assert stored_minutes(store, meeting_id) == {}


@pytest.mark.parametrize(
    ("typed", "beside", "said"),
    [
        ({"ben": "4"}, BEN, "from 5 to 120"),
        ({"cara": "121"}, CARA, "from 5 to 120"),
        ({"asha": ""}, ASHA, "whole number"),
        ({"ben": "12.5"}, BEN, "whole number"),
        ({"asha": "50", "ben": "40", "cara": "30"}, ASHA, "105 are free"),
    ],
    ids=["too-short", "too-long", "blank", "not-whole", "more-than-the-session-has"],
)
def test_minutes_that_do_not_fit_are_explained_beside_the_member_and_nothing_is_kept(
    store: Store, meeting_id: int, typed: dict[str, str], beside: str, said: str
) -> None:
    with pytest.raises(MinutesProblem) as problem:
        agree(store, meeting_id, **typed)

    assert problem.value.presenter == beside and said in problem.value.template
    assert stored_minutes(store, meeting_id) == {}


def test_the_time_problem_says_how_many_minutes_are_free_and_how_many_to_take_off(
    store: Store, meeting_id: int
) -> None:
    with pytest.raises(MinutesProblem) as problem:
        agree(store, meeting_id, asha="50", ben="40", cara="30")

    assert problem.value.template == (
        "That adds up to 120 minutes, but 105 are free for rounds after 15 for reflecting "
        "on the process. Take 15 off somewhere."
    )


def test_agreed_minutes_are_kept_and_each_round_gets_its_own(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    card = agree(store, meeting_id, asha="45", ben="30", cara="20")

    assert card.plan is not None
    assert [(s.presenter, s.minutes) for s in card.plan.slots] == [
        (ASHA, 45),
        (BEN, 30),
        (CARA, 20),
    ]
    assert stored_minutes(store, meeting_id) == {ASHA: 45, BEN: 30, CARA: 20}
    asha = rounds.open_round(store, clock, caller(), presenter=ASHA)
    assert asha.slot_minutes == 45
