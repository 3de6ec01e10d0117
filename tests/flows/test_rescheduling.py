"""Dana facilitates a Set; Asha is a member. They look at what's coming, and Dana moves things.

Clock changes used below: London springs forward on Sun 28 Mar 2027 and New York on
Sun 14 Mar 2027. The clock starts on Tue 5 Jan 2027, 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows.access import Caller, Refusal
from bot.flows.rescheduling import ScheduleChange, reschedule, skip, upcoming
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.store.db import Store
from bot.store.models import Meeting, MeetingStatus
from tests.factories import TEAM

DANA, ASHA = "U0DANA", "U0ASHA"
LEADERS = "C0LEADERS"
LONDON, NEW_YORK = "Europe/London", "America/New_York"
TUESDAY = 1


def a_set(
    store: Store,
    clock: ManualClock,
    *,
    cadence: Cadence,
    first_at: datetime,
    timezone: str = LONDON,
    channel_id: str = LEADERS,
    team_id: str = TEAM,
) -> int:
    """A Set formed the way `/set new` forms one; returns its id."""
    draft = SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(DANA,),
        members=(ASHA, "U0BEN", "U0CHLOE", "U0DEV"),
        cadence=cadence,
        first_at=first_at,
        timezone=timezone,
    )
    formed = form_set(
        store, clock, team_id=team_id, created_by=DANA, draft=draft, channel_id=channel_id
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def in_channel(user: str, channel_id: str = LEADERS, team_id: str = TEAM) -> Caller:
    return Caller(team_id=team_id, user_id=user, channel_id=channel_id)


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def wall_times(starts: list[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z") for s in starts]


def meetings_of(store: Store, set_id: int) -> dict[int, tuple[datetime | None, str]]:
    """Every meeting row of a Set: when, and in what state."""
    with store.session() as session:
        rows = session.exec(select(Meeting).where(Meeting.set_id == set_id)).all()
        return {m.id or 0: (m.scheduled_at, m.status) for m in rows}


def coming_starts(store: Store, clock: ManualClock, caller: Caller) -> list[datetime]:
    return [m.starts_at for m in upcoming(store, clock, caller).upcoming]


WEEKLY_FOUR = Cadence.weekly(count=4)
FIRST_TUESDAY_THREE = Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3)


@pytest.fixture
def leaders(store: Store, clock: ManualClock) -> int:
    """Monthly on the first Tuesday, 10:00 in London, three meetings from 2 February."""
    return a_set(
        store, clock, cadence=FIRST_TUESDAY_THREE, first_at=local(LONDON, 2027, 2, 2, 10, 0)
    )


# Looking ahead


def test_asha_sees_the_next_three_meetings_at_ten_in_london_across_the_clock_change(
    store: Store, clock: ManualClock
) -> None:
    a_set(store, clock, cadence=WEEKLY_FOUR, first_at=local(LONDON, 2027, 3, 16, 10, 0))

    starts = coming_starts(store, clock, in_channel(ASHA))

    assert wall_times(starts, LONDON) == [
        "Tue 16 Mar 10:00 GMT",
        "Tue 23 Mar 10:00 GMT",
        "Tue 30 Mar 10:00 BST",
    ]
    assert [s.hour for s in starts] == [10, 10, 9]


def test_a_new_york_set_keeps_ten_oclock_when_the_clocks_go_forward(
    store: Store, clock: ManualClock
) -> None:
    a_set(
        store,
        clock,
        cadence=WEEKLY_FOUR,
        first_at=local(NEW_YORK, 2027, 3, 9, 10, 0),
        timezone=NEW_YORK,
    )

    schedule = upcoming(store, clock, in_channel(ASHA))

    assert schedule.timezone == NEW_YORK
    assert wall_times([m.starts_at for m in schedule.upcoming], NEW_YORK) == [
        "Tue 09 Mar 10:00 EST",
        "Tue 16 Mar 10:00 EDT",
        "Tue 23 Mar 10:00 EDT",
    ]
    assert [m.starts_at.hour for m in schedule.upcoming] == [15, 14, 14]


def test_monthly_on_the_first_tuesday_lists_each_first_tuesday(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    schedule = upcoming(store, clock, in_channel(ASHA))

    assert wall_times([m.starts_at for m in schedule.upcoming], LONDON) == [
        "Tue 02 Feb 10:00 GMT",
        "Tue 02 Mar 10:00 GMT",
        "Tue 06 Apr 10:00 BST",
    ]
    assert schedule.pattern == "Monthly on the first Tuesday, 3 meetings"
    assert (schedule.held, schedule.total) == (0, 3)
    assert all(m.session_minutes == 120 for m in schedule.upcoming)
    assert schedule.caller_is_facilitator is False


def test_a_meeting_that_has_started_is_no_longer_coming_and_counts_once_held(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    first = min(meetings_of(store, leaders))
    with store.session() as session:
        meeting = session.get(Meeting, first)
        assert meeting is not None
        meeting.status = MeetingStatus.ENDED
        session.add(meeting)
    clock.set(local(LONDON, 2027, 2, 2, 12, 0))

    schedule = upcoming(store, clock, in_channel(ASHA))

    assert wall_times([m.starts_at for m in schedule.upcoming], LONDON) == [
        "Tue 02 Mar 10:00 GMT",
        "Tue 06 Apr 10:00 BST",
    ]
    assert (schedule.held, schedule.total) == (1, 3)


def test_someone_outside_the_set_cannot_look(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    with pytest.raises(Refusal):
        upcoming(store, clock, in_channel("U0STRANGER"))


# Dana moves one meeting


def test_dana_moves_one_meeting_and_only_that_one_moves(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    before = meetings_of(store, leaders)
    march = sorted(before, key=lambda i: before[i][0] or clock.now())[1]
    new_start = local(LONDON, 2027, 3, 4, 14, 30)

    schedule = reschedule(store, clock, in_channel(DANA), meeting_id=march, new_start=new_start)

    after = meetings_of(store, leaders)
    assert after[march] == (new_start.astimezone(UTC), MeetingStatus.SCHEDULED)
    assert {i: row for i, row in after.items() if i != march} == {
        i: row for i, row in before.items() if i != march
    }
    assert schedule.change == ScheduleChange(
        previous_start=local(LONDON, 2027, 3, 2, 10, 0).astimezone(UTC), new_start=new_start
    )
    assert wall_times([m.starts_at for m in schedule.upcoming], LONDON)[1] == (
        "Thu 04 Mar 14:30 GMT"
    )
    assert schedule.caller_is_facilitator is True


def test_a_meeting_moved_past_the_next_one_is_listed_in_its_new_place(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    first = min(meetings_of(store, leaders))

    schedule = reschedule(
        store, clock, in_channel(DANA), meeting_id=first, new_start=local(LONDON, 2027, 3, 9, 10)
    )

    assert [m.meeting_id for m in schedule.upcoming][1] == first


def test_a_meeting_cannot_be_moved_into_the_past(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    before = meetings_of(store, leaders)

    with pytest.raises(Refusal, match="already passed"):
        reschedule(
            store,
            clock,
            in_channel(DANA),
            meeting_id=min(before),
            new_start=clock.now() - timedelta(hours=1),
        )

    assert meetings_of(store, leaders) == before


# Dana skips one


def test_a_skipped_meeting_leaves_the_coming_meetings_and_the_total(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    first = min(meetings_of(store, leaders))

    schedule = skip(store, clock, in_channel(DANA), meeting_id=first)

    assert meetings_of(store, leaders)[first][1] == MeetingStatus.SKIPPED
    assert first not in [m.meeting_id for m in schedule.upcoming]
    assert (schedule.held, schedule.total) == (0, 2)
    assert schedule.change is not None and schedule.change.new_start is None
    assert first not in [m.meeting_id for m in upcoming(store, clock, in_channel(ASHA)).upcoming]


def test_a_skipped_meeting_cannot_be_moved_or_skipped_again(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    first = min(meetings_of(store, leaders))
    skip(store, clock, in_channel(DANA), meeting_id=first)

    with pytest.raises(Refusal, match="already skipped"):
        skip(store, clock, in_channel(DANA), meeting_id=first)
    with pytest.raises(Refusal, match="already skipped"):
        reschedule(
            store,
            clock,
            in_channel(DANA),
            meeting_id=first,
            new_start=local(LONDON, 2027, 2, 9, 10),
        )


def test_a_meeting_under_way_cannot_be_moved(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    first = min(meetings_of(store, leaders))
    with store.session() as session:
        meeting = session.get(Meeting, first)
        assert meeting is not None
        meeting.status = MeetingStatus.OPEN
        session.add(meeting)

    with pytest.raises(Refusal, match="under way"):
        skip(store, clock, in_channel(DANA), meeting_id=first)


# Who may, and which meetings


def test_asha_cannot_move_or_skip_a_meeting_and_nothing_changes(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    before = meetings_of(store, leaders)
    first = min(before)

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        reschedule(
            store,
            clock,
            in_channel(ASHA),
            meeting_id=first,
            new_start=local(LONDON, 2027, 2, 9, 10),
        )
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        skip(store, clock, in_channel(ASHA), meeting_id=first)

    assert meetings_of(store, leaders) == before


def test_a_meeting_of_another_set_cannot_be_touched_from_this_one(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    other = a_set(
        store,
        clock,
        cadence=WEEKLY_FOUR,
        first_at=local(LONDON, 2027, 2, 3, 10, 0),
        channel_id="C0OTHERS",
    )
    before = meetings_of(store, other)

    with pytest.raises(Refusal, match="couldn't find that meeting"):
        skip(store, clock, in_channel(DANA), meeting_id=min(before))
    with pytest.raises(Refusal, match="couldn't find that meeting"):
        reschedule(
            store,
            clock,
            in_channel(DANA),
            meeting_id=min(before),
            new_start=local(LONDON, 2027, 2, 4, 10),
        )

    assert meetings_of(store, other) == before


def test_a_meeting_of_another_team_cannot_be_touched(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    elsewhere = a_set(
        store,
        clock,
        cadence=WEEKLY_FOUR,
        first_at=local(LONDON, 2027, 2, 3, 10, 0),
        team_id="T0ELSEWHERE",
    )
    before = meetings_of(store, elsewhere)

    with pytest.raises(Refusal, match="couldn't find that meeting"):
        skip(store, clock, in_channel(DANA), meeting_id=min(before))

    assert meetings_of(store, elsewhere) == before


def test_a_meeting_that_does_not_exist_gets_the_same_answer(
    store: Store, clock: ManualClock, leaders: int
) -> None:
    with pytest.raises(Refusal, match="couldn't find that meeting") as refused:
        skip(store, clock, in_channel(DANA), meeting_id=999_999)

    assert refused.value.names == {"set": "New team leaders"}
