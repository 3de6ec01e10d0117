"""A Set meets: the facilitator starts, members check in, turns are shared fairly, it ends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import meetings
from bot.flows.access import Caller, Refusal
from bot.flows.meetings import MeetingCard
from bot.flows.phases import Phase
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.store.db import Store
from bot.store.meetings import end_if_open
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    Meeting,
    MeetingStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
)
from tests.conftest import START
from tests.factories import TEAM, an_open_round

CHANNEL = "C0LEADERS"
FACILITATOR = "U0FACIL"
ASHA, BEN, CARA, DEV, EVE = "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
MEMBERS = (ASHA, BEN, CARA, DEV, EVE)
OUTSIDER = "U0OUTSIDE"
# The first Tuesday of January 2027, 10:00 in London (GMT): an hour after the test clock.
FIRST_MEETING = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
FEBRUARY_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
PRESENT, APOLOGIES = AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES


def caller(user: str = FACILITATOR, *, team: str = TEAM) -> Caller:
    return Caller(team_id=team, user_id=user, channel_id=CHANNEL)


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    """New team leaders: five members, one facilitator, two hours on the first Tuesday."""
    draft = SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(FACILITATOR,),
        members=MEMBERS,
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=FIRST_MEETING,
        timezone="Europe/London",
        session_minutes=120,
    )
    formed = form_set(
        store, clock, team_id=TEAM, created_by=FACILITATOR, draft=draft, channel_id=CHANNEL
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def check_in(
    store: Store,
    clock: ManualClock,
    card: MeetingCard,
    user: str,
    status: AttendanceStatus = PRESENT,
) -> MeetingCard:
    return meetings.check_in(
        store, clock, team_id=TEAM, meeting_id=card.meeting_id, user_id=user, status=status
    )


def a_round(store: Store, card: MeetingCard, presenter: str, opened_at: datetime) -> int:
    return an_open_round(
        store,
        meeting_id=card.meeting_id,
        presenter_id=presenter,
        thread_ts=f"{opened_at.timestamp():.6f}",
        phase=Phase.DESCRIBE,
        channel_id=CHANNEL,
        opened_at=opened_at,
    )


def a_commitment(store: Store, card: MeetingCard, user: str, round_id: int, text: str) -> None:
    with store.session() as session:
        session.add(
            Commitment(
                team_id=TEAM,
                set_id=card.set_id,
                user_id=user,
                round_id=round_id,
                meeting_id=card.meeting_id,
                text=text,
            )
        )


def meetings_of(store: Store, set_id: int) -> list[Meeting]:
    with store.session() as session:
        return list(session.exec(select(Meeting).where(Meeting.set_id == set_id)).all())


# Starting


def test_facilitator_starts_todays_scheduled_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    started = next(m for m in meetings_of(store, set_id) if m.id == card.meeting_id)
    assert started.scheduled_at == FIRST_MEETING
    assert started.status == MeetingStatus.OPEN
    assert started.started_at == clock.now()
    assert started.started_by == FACILITATOR
    assert len(meetings_of(store, set_id)) == 3
    assert card.set_name == "New team leaders"
    assert card.channel_id == CHANNEL


def test_facilitators_do_not_take_turns_and_newcomers_go_in_join_order(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    assert card.turn_order == MEMBERS
    assert FACILITATOR not in card.turn_order


def test_a_day_with_no_meeting_gets_an_ad_hoc_one_of_the_sets_length(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(datetime(2027, 1, 20, 14, 0, tzinfo=UTC))

    card = meetings.start_meeting(store, clock, caller())

    ad_hoc = next(m for m in meetings_of(store, set_id) if m.id == card.meeting_id)
    assert ad_hoc.scheduled_at is None
    assert ad_hoc.session_minutes == 120
    assert len(meetings_of(store, set_id)) == 4


def test_an_evening_start_does_not_use_up_tomorrow_mornings_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(FEBRUARY_MEETING - timedelta(hours=11))

    card = meetings.start_meeting(store, clock, caller())

    february = next(m for m in meetings_of(store, set_id) if m.scheduled_at == FEBRUARY_MEETING)
    assert february.status == MeetingStatus.SCHEDULED
    assert card.meeting_id != february.id


def test_starting_late_in_the_day_still_finds_the_mornings_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(FEBRUARY_MEETING + timedelta(hours=3))

    card = meetings.start_meeting(store, clock, caller())

    february = next(m for m in meetings_of(store, set_id) if m.scheduled_at == FEBRUARY_MEETING)
    assert card.meeting_id == february.id


def test_member_cannot_start_a_meeting(store: Store, clock: ManualClock, set_id: int) -> None:
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        meetings.start_meeting(store, clock, caller(ASHA))

    assert all(m.status == MeetingStatus.SCHEDULED for m in meetings_of(store, set_id))


def test_a_second_start_is_refused_while_a_meeting_is_under_way(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal) as refused:
        meetings.start_meeting(store, clock, caller())

    assert "already under way" in refused.value.template
    assert "`/meeting end`" in refused.value.template
    assert refused.value.names == {"set": "New team leaders"}
    assert len(meetings_of(store, set_id)) == 3


def test_a_double_click_on_start_opens_one_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite store shares one connection, so it cannot race itself")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start() -> None:
        barrier.wait()
        try:
            meetings.start_meeting(store, clock, caller())
            outcomes.append("started")
        except Refusal:
            outcomes.append("refused")

    clicks = [threading.Thread(target=start) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(timeout=10)

    assert sorted(outcomes) == ["refused", "started"]
    assert [m.status for m in meetings_of(store, set_id)].count(MeetingStatus.OPEN) == 1


def test_card_names_members_who_have_not_agreed_to_the_ground_rules(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with store.session() as session:
        asha = session.exec(select(Membership).where(Membership.user_id == ASHA)).one()
        asha.ground_rules_agreed_at = clock.now()
        session.add(asha)

    card = meetings.start_meeting(store, clock, caller())

    assert card.not_agreed == (BEN, CARA, DEV, EVE)
    assert card.ground_rules[0] == "What is said in the Set stays in the Set."


# Fair turns


def test_who_presented_last_time_goes_last(store: Store, clock: ManualClock, set_id: int) -> None:
    january = meetings.start_meeting(store, clock, caller())
    a_round(store, january, ASHA, opened_at=FIRST_MEETING)
    a_round(store, january, BEN, opened_at=FIRST_MEETING + timedelta(minutes=21))
    clock.advance(timedelta(hours=2))
    meetings.end_meeting(store, clock, caller())
    clock.set(FEBRUARY_MEETING - timedelta(minutes=5))

    february = meetings.start_meeting(store, clock, caller())

    assert february.turn_order == (CARA, DEV, EVE, ASHA, BEN)


def test_facilitator_reorders_and_those_left_out_keep_their_order_at_the_end(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    card = meetings.reorder(
        store, team_id=TEAM, meeting_id=card.meeting_id, user_id=FACILITATOR, order=[EVE, CARA]
    )

    assert card.turn_order == (EVE, CARA, ASHA, BEN, DEV)
    assert meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id) == card


@pytest.mark.parametrize("stranger", [OUTSIDER, FACILITATOR])
def test_only_members_can_be_put_in_the_running_order(
    store: Store, clock: ManualClock, set_id: int, stranger: str
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal, match="take turns"):
        meetings.reorder(
            store,
            team_id=TEAM,
            meeting_id=card.meeting_id,
            user_id=FACILITATOR,
            order=[stranger, ASHA],
        )

    assert meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id) == card


def test_member_cannot_change_the_order(store: Store, clock: ManualClock, set_id: int) -> None:
    card = meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        meetings.facilitator_card(store, team_id=TEAM, meeting_id=card.meeting_id, user_id=ASHA)
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        meetings.reorder(
            store, team_id=TEAM, meeting_id=card.meeting_id, user_id=ASHA, order=[ASHA]
        )


# Checking in and the time plan


def test_before_anyone_checks_in_everyone_in_the_turn_order_is_planned(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    assert card.plan is not None
    assert [slot.presenter for slot in card.plan.slots] == list(MEMBERS)
    assert card.not_checked_in == MEMBERS
    assert card.present == card.apologies == ()


def test_120_minutes_and_five_present_gives_21_minutes_each(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    for member in MEMBERS:
        card = check_in(store, clock, card, member)

    assert card.plan is not None
    assert [slot.minutes for slot in card.plan.slots] == [21] * 5
    assert card.plan.starts_at == clock.now()
    assert card.plan.reflection_minutes == 15
    assert card.present == MEMBERS
    assert card.not_checked_in == ()


def test_apologies_drop_out_of_the_plan(store: Store, clock: ManualClock, set_id: int) -> None:
    card = meetings.start_meeting(store, clock, caller())
    check_in(store, clock, card, ASHA)

    card = check_in(store, clock, card, DEV, APOLOGIES)

    assert card.plan is not None
    assert [slot.presenter for slot in card.plan.slots] == [ASHA, BEN, CARA, EVE]
    assert [slot.minutes for slot in card.plan.slots] == [26] * 4
    assert card.apologies == (DEV,)
    assert card.turn_order == MEMBERS


def test_checking_in_twice_keeps_one_record_and_the_first_time(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    first = check_in(store, clock, card, ASHA)
    clock.advance(timedelta(minutes=2))

    again = check_in(store, clock, card, ASHA)

    assert again == first
    with store.session() as session:
        rows = session.exec(select(Attendance).where(Attendance.user_id == ASHA)).all()
    assert [(row.status, row.at) for row in rows] == [(PRESENT, clock.now() - timedelta(minutes=2))]


def test_changing_ones_mind_moves_one_from_here_to_apologies(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    check_in(store, clock, card, BEN)

    card = check_in(store, clock, card, BEN, APOLOGIES)

    assert (card.present, card.apologies) == ((), (BEN,))


def test_facilitator_can_check_in_but_is_never_waited_for(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    card = check_in(store, clock, card, FACILITATOR)

    assert card.present == (FACILITATOR,)
    assert FACILITATOR not in card.not_checked_in


def test_someone_outside_the_set_cannot_check_in(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal) as refused:
        check_in(store, clock, card, OUTSIDER)

    assert refused.value.template == meetings.NOT_A_MEMBER
    assert meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id).present == ()


def test_checking_in_after_the_meeting_ended_is_refused(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    meetings.end_meeting(store, clock, caller())

    with pytest.raises(Refusal) as refused:
        check_in(store, clock, card, ASHA)

    assert refused.value.template == "This meeting has ended — see you at the next one."


def test_someone_in_another_team_cannot_reach_this_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal, match="isn't an Action Learning Set's channel"):
        meetings.end_meeting(store, clock, caller(team="T0ELSEWHERE"))
    with pytest.raises(Refusal, match="can't find that meeting"):
        meetings.check_in(
            store,
            clock,
            team_id="T0ELSEWHERE",
            meeting_id=card.meeting_id,
            user_id=ASHA,
            status=PRESENT,
        )
    with pytest.raises(Refusal, match="can't find that meeting"):
        meetings.meeting_card(store, team_id="T0ELSEWHERE", meeting_id=card.meeting_id)


def test_the_card_remembers_where_it_was_posted(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())

    meetings.set_card_ts(store, team_id=TEAM, meeting_id=card.meeting_id, ts="1799999999.000100")

    again = meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id)
    assert again.card_ts == "1799999999.000100"


# Ending


def test_ending_sums_up_turns_actions_and_who_was_missed(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    for member in (BEN, ASHA):
        check_in(store, clock, card, member)
    check_in(store, clock, card, CARA, APOLOGIES)
    asha_round = a_round(store, card, ASHA, opened_at=clock.now())
    a_commitment(store, card, ASHA, asha_round, "Ask my manager for <b>one</b> hour a week")
    a_round(store, card, BEN, opened_at=clock.now() + timedelta(minutes=21))
    clock.advance(timedelta(minutes=115))

    summary = meetings.end_meeting(store, clock, caller())

    assert summary.presenters == (ASHA, BEN)
    assert summary.actions == (meetings.Action(ASHA, "Ask my manager for <b>one</b> hour a week"),)
    assert summary.present == (BEN, ASHA)
    assert summary.apologies == (CARA,)
    assert summary.absent == (DEV, EVE)
    assert summary.duration == timedelta(minutes=115)
    assert summary.closed_automatically is False
    assert meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id).has_ended


def test_a_reopened_round_counts_its_presenter_once(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    a_round(store, card, BEN, opened_at=clock.now())
    a_round(store, card, ASHA, opened_at=clock.now() + timedelta(minutes=21))
    a_round(store, card, BEN, opened_at=clock.now() + timedelta(minutes=42))

    summary = meetings.end_meeting(store, clock, caller())

    assert summary.presenters == (BEN, ASHA)


def test_ending_with_no_meeting_under_way_is_refused(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(Refusal) as refused:
        meetings.end_meeting(store, clock, caller())

    assert refused.value.template == (
        "There's no meeting under way. Start one with `/meeting start`."
    )


def test_member_cannot_end_a_meeting(store: Store, clock: ManualClock, set_id: int) -> None:
    card = meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        meetings.end_meeting(store, clock, caller(EVE))

    assert not meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id).has_ended


# Meetings nobody ended


def test_overdue_meetings_are_closed_once_even_when_swept_twice(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    started = clock.now()
    clock.advance(timedelta(minutes=120 + 31))

    first = meetings.close_overdue_meetings(store, clock)
    second = meetings.close_overdue_meetings(store, clock)

    assert [s.meeting_id for s in first] == [card.meeting_id]
    assert first[0].ended_at == started + timedelta(minutes=150)
    assert first[0].facilitators == (FACILITATOR,)
    assert first[0].closed_automatically is True
    assert second == []


def test_a_meeting_running_a_little_over_is_left_alone(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller())
    clock.advance(timedelta(minutes=120 + 29))

    assert meetings.close_overdue_meetings(store, clock) == []
    assert not meetings.meeting_card(store, team_id=TEAM, meeting_id=card.meeting_id).has_ended


def test_a_process_holding_a_stale_copy_cannot_end_the_meeting_again(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite takes one writer at a time, so no process can hold a stale copy")
    card = meetings.start_meeting(store, clock, caller())
    clock.advance(timedelta(hours=3))
    with store.session() as slow:
        stale = slow.get(Meeting, card.meeting_id)
        assert stale is not None and stale.status == MeetingStatus.OPEN

        swept = meetings.close_overdue_meetings(store, clock)

        assert not end_if_open(slow, meeting=stale, ended_at=clock.now())
    assert [s.meeting_id for s in swept] == [card.meeting_id]
    ended = next(m for m in meetings_of(store, set_id) if m.id == card.meeting_id)
    assert ended.ended_at == swept[0].ended_at


def test_apologies_sent_ahead_withdraw_the_members_prompt_and_show_on_the_card(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    # February's meeting: its prompt, two days ahead, is still to be sent.
    first = sorted(meetings_of(store, set_id), key=lambda m: m.scheduled_at or START)[1]
    assert first.id is not None

    noted = meetings.send_apologies(
        store, clock, team_id=TEAM, meeting_id=first.id, user_id=MEMBERS[0]
    )

    assert noted.starts_at == first.scheduled_at
    with store.session() as session:
        prompts = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.target == MEMBERS[0], OutboxMessage.kind == "meeting_prepare"
            )
        ).all()
    first_prompt = [p for p in prompts if f":meeting:{first.id}:" in p.dedupe_key]
    assert [p.status for p in first_prompt] == [OutboxStatus.CANCELLED]
    card = meetings.meeting_card(store, team_id=TEAM, meeting_id=first.id)
    assert MEMBERS[0] in card.apologies


def test_someone_outside_the_set_cannot_send_apologies(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    first = meetings_of(store, set_id)[0]
    assert first.id is not None

    with pytest.raises(Refusal):
        meetings.send_apologies(store, clock, team_id=TEAM, meeting_id=first.id, user_id="U0NOBODY")
