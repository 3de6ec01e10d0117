"""Fran looks back at February's meeting: who spoke, who asked, and what she might raise.

The meeting is built through the real flows, and every figure below is worked out by
hand from the story in `february`: which words were said in which phase, by whom.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import insights, meetings, rounds
from bot.flows.access import Caller, Refusal
from bot.flows.insights import (
    MemberStats,
    Noticed,
    Observation,
    RoundTiming,
    Talk,
    meeting_stats,
    observe,
)
from bot.flows.listening import ThreadMessage, hear
from bot.flows.phases import Phase
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, close_set, form_set
from bot.store.db import Store
from bot.store.models import AttendanceStatus, LearningSet, Meeting, MeetingStatus, Role
from tests.factories import TEAM

CHANNEL, OTHER_CHANNEL = "C0LEADERS", "C0OTHERS"
FRAN, ASHA, BEN, CARA, DEV, EVE = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
OUTSIDER = "U0OUTSIDE"
FEBRUARY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
MARCH = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
# 120 minutes, 15 kept for reflecting, four presenters expected (Eve sent apologies).
SLOT = 26


def caller(user: str = FRAN, *, channel: str = CHANNEL) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=channel)


def a_set(store: Store, clock: ManualClock, *, channel: str = CHANNEL) -> int:
    """New team leaders: Fran facilitates five members, first Tuesdays from February."""
    draft = SetDraft(
        name="New team leaders",
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


def check_in(
    store: Store, clock: ManualClock, meeting_id: int, user: str, *, away: bool = False
) -> None:
    status = AttendanceStatus.APOLOGIES if away else AttendanceStatus.PRESENT
    meetings.check_in(
        store, clock, team_id=TEAM, meeting_id=meeting_id, user_id=user, status=status
    )


_timestamps = itertools.count(1)


@dataclass
class Turn:
    """A member's round as its thread sees it: people say things, Fran moves it on."""

    store: Store
    clock: ManualClock
    view: rounds.RoundView
    thread_ts: str = field(default_factory=lambda: f"1800000000.{next(_timestamps):06d}")

    @classmethod
    def open(cls, store: Store, clock: ManualClock, presenter: str) -> Turn:
        view = rounds.open_round(store, clock, caller(), presenter=presenter)
        turn = cls(store, clock, view)
        rounds.set_round_thread(
            store, team_id=TEAM, round_id=view.round_id, thread_ts=turn.thread_ts
        )
        return turn

    def say(self, user: str, text: str) -> str | None:
        """Post in the thread; the coaching hint, if setbot gave one."""
        message = ThreadMessage(
            team_id=TEAM,
            channel_id=CHANNEL,
            thread_ts=self.thread_ts,
            ts=f"1800000001.{next(_timestamps):06d}",
            user_id=user,
            text=text,
        )
        return hear(self.store, self.clock, message)

    def next(self) -> None:
        rounds.advance(
            self.store, self.clock, caller(), round_id=self.view.round_id, from_phase=None
        )

    def close_after(self, minutes: float) -> None:
        self.clock.set(self.view.opened_at + timedelta(minutes=minutes))
        rounds.close_round(self.store, self.clock, caller(), round_id=self.view.round_id)


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    return a_set(store, clock)


@pytest.fixture
def february(store: Store, clock: ManualClock, set_id: int) -> int:
    """February: Asha, Ben, Cara and Dev come; Eve sends apologies. Asha and Ben present.

    Asha (39 minutes of 26): she describes (11 words); Ben asks twice (6, 7), Cara advises
    (8, a hint), Fran asks (5); Cara offers an idea (11); Asha reflects (5).
    Ben (28.6 minutes of 26): he describes (5); Asha asks (6), Cara asks a closed question
    (5), Ben answers (4); Dev offers an idea (4). Dev says nothing while the Set asks.
    """
    clock.set(FEBRUARY)
    card = meetings.start_meeting(store, clock, caller())
    for member in (ASHA, BEN, CARA, DEV):
        check_in(store, clock, card.meeting_id, member)
    check_in(store, clock, card.meeting_id, EVE, away=True)

    asha = Turn.open(store, clock, ASHA)
    assert asha.view.slot_minutes == SLOT
    asha.say(ASHA, "My team resists the new rota and I avoid the conversation.")
    asha.next()
    assert asha.say(BEN, "What have you tried so far?") is None
    assert asha.say(CARA, "Have you tried just telling them it's final?") is not None
    asha.say(BEN, "How does the team feel about it?")
    asha.say(FRAN, "What would success look like?")
    asha.next()
    asha.say(CARA, "You could ask the team to draft the rota with you.")
    asha.next()
    asha.say(ASHA, "I will co-design the rota.")
    asha.close_after(39)

    ben = Turn.open(store, clock, BEN)
    ben.say(BEN, "I have too many meetings.")
    ben.next()
    ben.say(ASHA, "What matters most to you here?")
    ben.say(CARA, "Is it all of them?")
    assert ben.say(BEN, "Mostly the weekly ones.") is None, "the presenter isn't coached"
    ben.next()
    ben.say(DEV, "Try blocking focus time.")
    ben.close_after(28.6)

    clock.set(FEBRUARY + timedelta(hours=2))
    meetings.end_meeting(store, clock, caller())
    return card.meeting_id


def by_user(stats: insights.MeetingStats) -> dict[str, MemberStats]:
    return {member.user_id: member for member in stats.members}


def test_everyone_at_the_meeting_is_listed_facilitators_first_in_joining_order(
    store: Store, february: int
) -> None:
    stats = meeting_stats(store, caller(), meeting_id=february)

    assert [(m.user_id, m.role, m.present) for m in stats.members] == [
        (FRAN, Role.FACILITATOR, False),
        (ASHA, Role.MEMBER, True),
        (BEN, Role.MEMBER, True),
        (CARA, Role.MEMBER, True),
        (DEV, Role.MEMBER, True),
    ], "Eve sent apologies, so she isn't counted as silent"


def test_airtime_is_counted_per_member_and_phase_in_messages_and_words(
    store: Store, february: int
) -> None:
    people = by_user(meeting_stats(store, caller(), meeting_id=february))

    assert people[ASHA].by_phase == {
        Phase.DESCRIBE: Talk(1, 11),
        Phase.QUESTIONS: Talk(1, 6),
        Phase.REFLECT: Talk(1, 5),
    }
    assert people[BEN].by_phase == {Phase.QUESTIONS: Talk(3, 17), Phase.DESCRIBE: Talk(1, 5)}
    assert people[CARA].by_phase == {Phase.QUESTIONS: Talk(2, 13), Phase.IDEAS: Talk(1, 11)}
    assert people[DEV].by_phase == {Phase.IDEAS: Talk(1, 4)}
    assert people[FRAN].by_phase == {Phase.QUESTIONS: Talk(1, 5)}
    assert {user: p.talk for user, p in people.items()} == {
        FRAN: Talk(1, 5),
        ASHA: Talk(3, 22),
        BEN: Talk(4, 22),
        CARA: Talk(3, 24),
        DEV: Talk(1, 4),
    }


def test_questions_are_counted_in_other_peoples_rounds_and_hints_as_the_listener_gives_them(
    store: Store, february: int
) -> None:
    people = by_user(meeting_stats(store, caller(), meeting_id=february))

    assert {user: (p.questions, p.open_questions, p.hints) for user, p in people.items()} == {
        FRAN: (1, 1, 0),
        ASHA: (1, 1, 0),
        BEN: (2, 2, 0),
        CARA: (1, 0, 1),  # "Is it all of them?" asks for a fact
        DEV: (0, 0, 0),
    }


def test_each_round_is_timed_against_its_slot(store: Store, february: int) -> None:
    stats = meeting_stats(store, caller(), meeting_id=february)
    people = by_user(stats)

    [asha] = people[ASHA].rounds
    [ben] = people[BEN].rounds
    assert (asha.slot_minutes, asha.duration_seconds) == (SLOT, 39 * 60)
    assert (ben.slot_minutes, ben.duration_seconds) == (SLOT, 1716)
    assert asha.overrun == pytest.approx(0.5)
    assert ben.overrun == pytest.approx(0.1)
    assert stats.overrun == pytest.approx(0.3), "67.6 minutes against 52 planned"
    assert people[CARA].rounds == ()


def test_the_sets_questioning_and_who_was_most_and_least_heard(store: Store, february: int) -> None:
    stats = meeting_stats(store, caller(), meeting_id=february)

    assert (stats.asked, stats.said) == (5, 6), "Ben's answer in his own round isn't counted"
    assert stats.question_share == pytest.approx(5 / 6)
    assert (stats.most_heard, stats.least_heard) == ((CARA,), (DEV,))


def test_observations_name_the_member_silent_while_the_set_asked_and_the_overrun(
    store: Store, february: int
) -> None:
    stats = meeting_stats(store, caller(), meeting_id=february)

    assert stats.observations == (
        Observation(Noticed.SILENT_IN_QUESTIONS, (DEV,)),
        Observation(Noticed.ROUNDS_OVERRAN, percent=30),
    )


def test_without_a_meeting_id_the_last_ended_meeting_is_shown(store: Store, february: int) -> None:
    stats = meeting_stats(store, caller(), meeting_id=None)

    assert (stats.meeting_id, stats.status) == (february, MeetingStatus.ENDED)
    assert stats.set_name == "New team leaders"
    assert stats.started_at == FEBRUARY


def test_without_a_meeting_id_the_meeting_under_way_is_shown(
    store: Store, clock: ManualClock, february: int
) -> None:
    clock.set(MARCH)
    march = meetings.start_meeting(store, clock, caller())
    check_in(store, clock, march.meeting_id, ASHA)
    Turn.open(store, clock, ASHA)

    stats = meeting_stats(store, caller(), meeting_id=None)

    assert (stats.meeting_id, stats.status) == (march.meeting_id, MeetingStatus.OPEN)
    [running] = stats.rounds
    assert (running.presenter, running.duration_seconds, running.overrun) == (ASHA, None, None)
    assert stats.overrun is None
    assert stats.question_share is None


def test_a_member_cannot_see_meeting_stats(store: Store, february: int) -> None:
    with pytest.raises(Refusal) as refused:
        meeting_stats(store, caller(ASHA), meeting_id=february)

    assert refused.value.template == insights.NOT_A_FACILITATOR


def test_someone_outside_the_set_cannot_see_its_stats(store: Store, february: int) -> None:
    with pytest.raises(Refusal, match="Only members"):
        meeting_stats(store, caller(OUTSIDER), meeting_id=february)


def test_another_sets_meeting_is_not_found_from_this_channel(
    store: Store, clock: ManualClock, february: int
) -> None:
    a_set(store, clock, channel=OTHER_CHANNEL)
    clock.set(MARCH)
    theirs = meetings.start_meeting(store, clock, caller(channel=OTHER_CHANNEL))

    with pytest.raises(Refusal) as refused:
        meeting_stats(store, caller(), meeting_id=theirs.meeting_id)

    assert refused.value.template == insights.NO_SUCH_MEETING


def test_a_meeting_still_to_come_has_no_stats(store: Store, set_id: int) -> None:
    with store.session() as session:
        statement = select(Meeting).where(Meeting.set_id == set_id).order_by(col(Meeting.id))
        february = session.exec(statement).first()
        assert february is not None and february.status == MeetingStatus.SCHEDULED

    with pytest.raises(Refusal) as refused:
        meeting_stats(store, caller(), meeting_id=february.id)

    assert refused.value.template == insights.NOT_HELD_YET


def test_a_set_that_has_not_met_says_so(store: Store, set_id: int) -> None:
    with pytest.raises(Refusal) as refused:
        meeting_stats(store, caller(), meeting_id=None)

    assert refused.value.template == insights.NO_MEETING_YET
    assert refused.value.names == {"set": "New team leaders"}


def test_stats_stay_readable_after_the_set_closes(
    store: Store, clock: ManualClock, february: int
) -> None:
    close_set(store, clock, caller())

    stats = meeting_stats(store, caller(), meeting_id=None)

    assert stats.meeting_id == february


def test_no_hints_are_counted_when_the_set_has_them_off(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with store.session() as session:
        learning_set = session.get(LearningSet, set_id)
        assert learning_set is not None
        learning_set.coaching_hints = False
        session.add(learning_set)
    clock.set(FEBRUARY)
    meetings.start_meeting(store, clock, caller())
    asha = Turn.open(store, clock, ASHA)
    asha.next()
    assert asha.say(CARA, "Have you tried just telling them it's final?") is None

    stats = meeting_stats(store, caller(), meeting_id=None)

    assert (stats.hints_on, by_user(stats)[CARA].hints) == (False, 0)


def test_a_late_arrival_is_not_called_silent_for_rounds_before_they_came(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(FEBRUARY)
    card = meetings.start_meeting(store, clock, caller())
    for member in (ASHA, BEN, CARA):
        check_in(store, clock, card.meeting_id, member)
    asha = Turn.open(store, clock, ASHA)
    asha.next()
    asha.say(BEN, "What have you tried so far?")
    asha.close_after(20)
    clock.advance(timedelta(minutes=5))
    check_in(store, clock, card.meeting_id, DEV)

    stats = meeting_stats(store, caller(), meeting_id=None)

    assert stats.observations[0] == Observation(Noticed.SILENT_IN_QUESTIONS, (CARA,))


# The rules on their own, with people made by hand.


def someone(user: str, *, questions: int = 0, role: Role = Role.MEMBER) -> MemberStats:
    return MemberStats(
        user_id=user,
        role=role,
        present=True,
        by_phase={Phase.QUESTIONS: Talk(questions, questions * 6)} if questions else {},
        questions=questions,
        hints=0,
        rounds=(),
    )


def timing(slot: int, seconds: int | None) -> RoundTiming:
    return RoundTiming(round_id=1, presenter=ASHA, slot_minutes=slot, duration_seconds=seconds)


def test_one_member_asking_most_questions_is_noticed() -> None:
    people = [someone(ASHA, questions=5), someone(BEN, questions=1), someone(CARA), someone(DEV)]

    found = observe(people, silent=(), asked=6, said=6, rounds=())

    assert found == (Observation(Noticed.QUESTIONS_FROM_FEW, (ASHA,), 83),)


def test_two_members_asking_seventy_percent_of_the_questions_is_noticed() -> None:
    people = [
        someone(ASHA, questions=4),
        someone(BEN, questions=3),
        someone(CARA, questions=2),
        someone(DEV, questions=1),
    ]

    found = observe(people, silent=(), asked=10, said=10, rounds=())

    assert found == (Observation(Noticed.QUESTIONS_FROM_FEW, (ASHA, BEN), 70),)


def test_a_small_set_asking_through_two_people_is_not_a_pattern() -> None:
    people = [someone(ASHA, questions=4), someone(BEN, questions=2), someone(CARA)]

    assert observe(people, silent=(), asked=6, said=6, rounds=()) == ()


def test_a_questions_phase_spent_mostly_telling_is_noticed() -> None:
    found = observe([], silent=(), asked=3, said=8, rounds=())

    assert found == (Observation(Noticed.FEW_QUESTIONS, percent=38),)


def test_rounds_within_a_fifth_of_their_slots_pass_without_comment() -> None:
    nineteen_percent_over = [timing(20, 1428), timing(20, None)]
    twenty_percent_over = [timing(20, 1440)]

    assert observe([], silent=(), asked=0, said=0, rounds=nineteen_percent_over) == ()
    assert observe([], silent=(), asked=0, said=0, rounds=twenty_percent_over) == (
        Observation(Noticed.ROUNDS_OVERRAN, percent=20),
    )


def test_at_most_two_observations_are_made_people_first() -> None:
    people = [someone(ASHA, questions=9), someone(BEN, questions=1), someone(CARA), someone(DEV)]

    found = observe(people, silent=(DEV,), asked=2, said=10, rounds=[timing(10, 1200)])

    assert [o.kind for o in found] == [Noticed.SILENT_IN_QUESTIONS, Noticed.QUESTIONS_FROM_FEW]


def test_shares_are_whole_percentages_with_halves_rounded_up() -> None:
    assert [insights.percent(s) for s in (5 / 6, 0.125, 0.3, 0.7, 0.0)] == [83, 13, 30, 70, 0]
