"""What each person's App Home shows: their Sets, their open actions, and a facilitator's progress.

The story: New team leaders meets on first Tuesdays from February. In February Asha, Ben,
Cara and Eve come and Dev sends apologies; the three commit to actions. Ben reports back,
Cara drops hers, Asha's passes its date. In March Asha, Ben and Cara come, Eve sends
apologies and Dev doesn't come. Home is looked at on 10 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.flows import commitments, meetings, reflection
from bot.flows.access import Caller
from bot.flows.home import HomeView, MeetingPoint, Nudge, home_for
from bot.flows.membership import add_members, remove_member
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, close_set, form_set
from bot.store.db import Store
from bot.store.models import AttendanceStatus, CommitmentStatus, Role
from tests.factories import TEAM

CHANNEL, OTHER_CHANNEL = "C0LEADERS", "C0MENTORS"
FRAN, ASHA, BEN, CARA, DEV, EVE, ZED = (
    "U0FRAN",
    "U0ASHA",
    "U0BEN",
    "U0CARA",
    "U0DEV",
    "U0EVE",
    "U0ZED",
)
OUTSIDER = "U0OUTSIDE"
FEBRUARY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
MARCH = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
# 10:00 in London on 6 April is British Summer Time: 09:00 UTC.
APRIL = datetime(2027, 4, 6, 9, 0, tzinfo=UTC)
LOOKED_AT = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


def caller(user: str = FRAN, *, channel: str = CHANNEL) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=channel)


def a_set(
    store: Store, clock: ManualClock, *, name: str = "New team leaders", channel: str = CHANNEL
) -> int:
    draft = SetDraft(
        name=name,
        theme="Leading through change",
        facilitators=(FRAN,),
        members=(ASHA, BEN, CARA, DEV, EVE),
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=FEBRUARY,
        timezone="Europe/London",
    )
    formed = form_set(store, clock, team_id=TEAM, created_by=FRAN, draft=draft, channel_id=channel)
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def hold_meeting(
    store: Store,
    clock: ManualClock,
    at: datetime,
    *,
    present: tuple[str, ...],
    away: tuple[str, ...] = (),
) -> int:
    """Start the meeting, check people in, and end it two hours later."""
    clock.set(at)
    card = meetings.start_meeting(store, clock, caller())
    for user, status in [(u, AttendanceStatus.PRESENT) for u in present] + [
        (u, AttendanceStatus.APOLOGIES) for u in away
    ]:
        meetings.check_in(
            store, clock, team_id=TEAM, meeting_id=card.meeting_id, user_id=user, status=status
        )
    clock.set(at + timedelta(hours=2))
    meetings.end_meeting(store, clock, caller())
    return card.meeting_id


def reflect(store: Store, clock: ManualClock, meeting_id: int, user: str, score: int) -> None:
    reflection.reflect(
        store,
        clock,
        team_id=TEAM,
        meeting_id=meeting_id,
        user_id=user,
        score=score,
        helped="",
        change="",
        share=False,
    )


def commit(store: Store, clock: ManualClock, user: str, text: str, due_on: date) -> int:
    view = commitments.commit(store, clock, caller(user), text=text, due_on=due_on)
    return view.commitment_id


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    return a_set(store, clock)


@pytest.fixture
def story(store: Store, clock: ManualClock, set_id: int) -> tuple[int, int]:
    """February and March as the module docstring tells them; the clock is left on 10 March."""
    february = hold_meeting(store, clock, FEBRUARY, present=(ASHA, BEN, CARA, EVE), away=(DEV,))
    commit(store, clock, ASHA, "Hold a one-to-one with each of my team", date(2027, 2, 20))
    bens = commit(store, clock, BEN, "Block two hours of focus time a week", date(2027, 2, 25))
    caras = commit(store, clock, CARA, "Ask for a mentor", date(2027, 2, 26))
    reflect(store, clock, february, ASHA, 4)
    reflect(store, clock, february, BEN, 5)
    clock.set(datetime(2027, 2, 15, 9, 0, tzinfo=UTC))
    commitments.report_back(
        store,
        clock,
        team_id=TEAM,
        user_id=BEN,
        commitment_id=bens,
        happened="Two Tuesdays kept",
        learned="Guard the diary",
        share=False,
    )
    commitments.drop(
        store, clock, team_id=TEAM, user_id=CARA, commitment_id=caras, reason="A mentor found me"
    )
    march = hold_meeting(store, clock, MARCH, present=(ASHA, BEN, CARA), away=(EVE,))
    reflect(store, clock, march, ASHA, 3)
    reflect(store, clock, march, CARA, 3)
    clock.set(LOOKED_AT)
    return february, march


def home(store: Store, clock: ManualClock, user: str, *, team: str = TEAM) -> HomeView:
    return home_for(store, clock, team_id=team, user_id=user)


def test_a_facilitator_sees_meetings_attendance_and_actions_across_the_sets_life(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    [card] = home(store, clock, FRAN).sets

    assert (card.name, card.role, card.channel_id) == (
        "New team leaders",
        Role.FACILITATOR,
        CHANNEL,
    )
    progress = card.progress
    assert progress is not None
    assert (progress.held, progress.planned) == (2, 3)
    assert (progress.present, progress.expected) == (7, 10)
    assert progress.attendance_rate == pytest.approx(0.7)
    assert (progress.committed, progress.reported, progress.dropped) == (3, 1, 1)
    assert progress.still_open == 1


def test_the_process_reflection_trend_has_each_meetings_average_oldest_first(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    february, march = story

    [card] = home(store, clock, FRAN).sets

    assert card.progress is not None
    assert card.progress.meetings == (
        MeetingPoint(
            meeting_id=february,
            held_at=FEBRUARY,
            present=4,
            expected=5,
            reflection_average=4.5,
            reflections=2,
        ),
        MeetingPoint(
            meeting_id=march,
            held_at=MARCH,
            present=3,
            expected=5,
            reflection_average=3.0,
            reflections=2,
        ),
    )


def test_members_with_overdue_actions_or_two_meetings_missed_need_a_nudge(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    [card] = home(store, clock, FRAN).sets

    assert card.progress is not None
    assert card.progress.nudges == (
        Nudge(ASHA, overdue_actions=1, missed_in_a_row=0),
        Nudge(DEV, overdue_actions=0, missed_in_a_row=2),
    ), "Eve missed only March, and Ben and Cara have nothing left open"


def test_a_member_sees_their_set_and_next_meeting_but_no_progress(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    [card] = home(store, clock, ASHA).sets

    assert (card.role, card.theme, card.closed) == (Role.MEMBER, "Leading through change", False)
    assert (card.next_meeting, card.timezone, card.under_way) == (APRIL, "Europe/London", False)
    assert card.progress is None


def test_a_member_sees_only_their_own_open_actions(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    [asha] = home(store, clock, ASHA).commitments

    assert (asha.text, asha.status, asha.overdue) == (
        "Hold a one-to-one with each of my team",
        CommitmentStatus.OPEN,
        True,
    )
    assert home(store, clock, BEN).commitments == (), "Ben has reported back"
    assert home(store, clock, CARA).commitments == (), "Cara dropped hers"


def test_a_meeting_under_way_is_shown_instead_of_the_next_one(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(FEBRUARY)
    meetings.start_meeting(store, clock, caller())

    [card] = home(store, clock, ASHA).sets

    assert (card.under_way, card.next_meeting) == (True, MARCH)


def test_a_facilitator_of_a_set_that_has_not_met_sees_empty_progress(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    [card] = home(store, clock, FRAN).sets

    assert card.progress is not None
    assert (card.progress.held, card.progress.planned, card.progress.committed) == (0, 3, 0)
    assert card.progress.attendance_rate is None
    assert (card.progress.meetings, card.progress.nudges) == ((), ())


def test_someone_in_no_set_has_nothing_on_their_home(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    assert home(store, clock, OUTSIDER) == HomeView(user_id=OUTSIDER, sets=(), commitments=())


def test_another_teams_sets_are_not_shown(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    assert home(store, clock, ASHA, team="T0ELSEWHERE").sets == ()


def test_open_sets_come_first_newest_first_then_closed_ones(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    a_set(store, clock, name="Mentors", channel=OTHER_CHANNEL)
    a_set(store, clock, name="Third", channel="C0THIRD")
    close_set(store, clock, caller(channel="C0THIRD"))

    names = [(card.name, card.closed) for card in home(store, clock, ASHA).sets]

    assert names == [("Mentors", False), ("New team leaders", False), ("Third", True)]


def test_a_closed_set_keeps_its_record_but_asks_for_no_nudges(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    close_set(store, clock, caller())

    [card] = home(store, clock, FRAN).sets

    assert card.closed and card.next_meeting is None
    assert card.progress is not None
    assert (card.progress.held, card.progress.nudges) == (2, ())


def test_a_set_someone_has_left_is_no_longer_on_their_home(
    store: Store, clock: ManualClock, story: tuple[int, int]
) -> None:
    remove_member(store, clock, caller(), DEV)

    assert home(store, clock, DEV).sets == ()
    [card] = home(store, clock, FRAN).sets
    assert card.progress is not None
    assert [n.user_id for n in card.progress.nudges] == [ASHA], "former members aren't nudged"


def test_a_member_who_joined_later_is_not_counted_absent_from_earlier_meetings(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    hold_meeting(store, clock, FEBRUARY, present=(ASHA, BEN, CARA, DEV, EVE))
    add_members(store, clock, caller(), [ZED])
    hold_meeting(store, clock, MARCH, present=(ASHA, BEN, CARA, DEV, EVE, ZED))

    [card] = home(store, clock, FRAN).sets

    assert card.progress is not None
    assert [(p.present, p.expected) for p in card.progress.meetings] == [(5, 5), (6, 6)]
    assert card.progress.attendance_rate == 1.0
