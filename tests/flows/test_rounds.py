"""Rounds: the facilitator opens each member's turn, moves it through its phases, closes it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import meetings, rounds
from bot.flows.access import NOT_A_SET_CHANNEL, Caller, Refusal
from bot.flows.meetings import NOTHING_UNDER_WAY, MeetingCard
from bot.flows.notices import COMPOSERS, Notice
from bot.flows.phases import Phase
from bot.flows.rounds import (
    EVERYONE_HAD_A_TURN,
    NO_ROUND_OPEN,
    NO_SUCH_ROUND,
    ROUND_CLOSED,
    RoundTimeNote,
    RoundTimeUp,
    RoundView,
)
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.store.db import Store
from bot.store.models import (
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    OutboxMessage,
    OutboxStatus,
    Round,
)
from bot.store.rounds import round_in_thread
from tests.factories import TEAM

CHANNEL = "C0LEADERS"
FACILITATOR, CO_FACILITATOR = "U0FACIL", "U0COFAC"
ASHA, BEN, CARA, DEV, EVE = "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
MEMBERS = (ASHA, BEN, CARA, DEV, EVE)
OUTSIDER = "U0OUTSIDE"
# First Tuesdays at 10:00 in London (GMT); the test clock starts at 09:00 on the first.
FIRST_MEETING = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
FEBRUARY_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
THREAD = "1799999999.000100"
# Two hours, fifteen minutes kept for reflecting, five presenters: 21 minutes each.
SLOT = 21
WITHOUT_REPORT_BACK = (Phase.DESCRIBE, Phase.QUESTIONS, Phase.IDEAS, Phase.REFLECT)


def caller(user: str = FACILITATOR, *, team: str = TEAM, channel: str = CHANNEL) -> Caller:
    return Caller(team_id=team, user_id=user, channel_id=channel)


def a_set(store: Store, clock: ManualClock, *, team: str = TEAM, channel: str = CHANNEL) -> int:
    draft = SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(FACILITATOR, CO_FACILITATOR),
        members=MEMBERS,
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=FIRST_MEETING,
        timezone="Europe/London",
        session_minutes=120,
    )
    formed = form_set(
        store, clock, team_id=team, created_by=FACILITATOR, draft=draft, channel_id=channel
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    """New team leaders: five members and two facilitators, two hours on first Tuesdays."""
    return a_set(store, clock)


@pytest.fixture
def meeting(store: Store, clock: ManualClock, set_id: int) -> MeetingCard:
    """January's meeting, under way."""
    return meetings.start_meeting(store, clock, caller())


def open_for(
    store: Store, clock: ManualClock, presenter: str | None = None, *, by: str = FACILITATOR
) -> RoundView:
    return rounds.open_round(store, clock, caller(by), presenter=presenter)


def press_next(
    store: Store, clock: ManualClock, view: RoundView, *, by: str = FACILITATOR
) -> rounds.PhaseChange:
    """Press the "next" button as the thread shows it for `view`."""
    return rounds.advance(
        store, clock, caller(by), round_id=view.round_id, from_phase=str(view.phase)
    )


def commit(store: Store, clock: ManualClock, view: RoundView, text: str, **fields: Any) -> int:
    """The presenter records an action in their round (the commitment modal's work)."""
    with store.session() as session:
        commitment = Commitment(
            team_id=TEAM,
            set_id=view.set_id,
            user_id=view.presenter,
            round_id=view.round_id,
            meeting_id=view.meeting_id,
            text=text,
            created_at=clock.now(),
            **fields,
        )
        session.add(commitment)
        session.flush()
        assert commitment.id is not None
        return commitment.id


def change_commitment(store: Store, commitment_id: int, **fields: Any) -> None:
    with store.session() as session:
        commitment = session.get(Commitment, commitment_id)
        assert commitment is not None
        for name, value in fields.items():
            setattr(commitment, name, value)
        session.add(commitment)


def asha_commits_in_january(store: Store, clock: ManualClock, text: str) -> int:
    """January: Asha presents and commits to an action; the meeting ends."""
    meetings.start_meeting(store, clock, caller())
    january = open_for(store, clock, ASHA)
    commitment_id = commit(store, clock, january, text)
    rounds.close_round(store, clock, caller(), round_id=january.round_id)
    meetings.end_meeting(store, clock, caller())
    return commitment_id


def february(store: Store, clock: ManualClock) -> MeetingCard:
    clock.set(FEBRUARY_MEETING)
    return meetings.start_meeting(store, clock, caller())


def stored_rounds(store: Store) -> list[Round]:
    with store.session() as session:
        return list(session.exec(select(Round).order_by(col(Round.id))).all())


def round_notes(store: Store) -> list[OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(
            col(OutboxMessage.kind).in_([rounds.ROUND_TIME_NOTE, rounds.ROUND_TIME_UP])
        )
        return sorted(session.exec(statement).all(), key=lambda row: row.kind)


def compose(store: Store, row: OutboxMessage, at: datetime) -> Notice | None:
    """What the outbox dispatcher would send for `row` at `at`."""
    with store.session() as session:
        return COMPOSERS[row.kind](session, row, at)


# Who may open a round, and when


def test_a_member_cannot_open_a_round(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        open_for(store, clock, ASHA, by=BEN)

    assert stored_rounds(store) == []


def test_no_round_opens_without_a_meeting_under_way(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(Refusal) as refused:
        open_for(store, clock, ASHA)

    assert refused.value.template == NOTHING_UNDER_WAY
    assert stored_rounds(store) == []


def test_a_caller_from_another_team_cannot_open_a_round(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    with pytest.raises(Refusal) as refused:
        rounds.open_round(store, clock, caller(team="T0OTHER"), presenter=ASHA)

    assert refused.value.template == NOT_A_SET_CHANNEL
    assert stored_rounds(store) == []


def test_a_named_presenter_must_be_in_the_set(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    with pytest.raises(Refusal) as refused:
        open_for(store, clock, OUTSIDER)

    assert refused.value.template.startswith(f"<@{OUTSIDER}> isn't a member of *{{set}}*")
    assert refused.value.names == {"set": "New team leaders"}
    assert stored_rounds(store) == []


def test_a_second_round_while_one_is_open_is_refused(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)

    with pytest.raises(Refusal) as someone_else:
        open_for(store, clock, BEN)
    with pytest.raises(Refusal) as the_same_presenter:
        open_for(store, clock, ASHA)
    with pytest.raises(Refusal) as the_next_in_turn:
        open_for(store, clock)

    assert "Close <@U0ASHA>'s round first with `/round close`" in someone_else.value.template
    assert "Close <@U0ASHA>'s round first" in the_next_in_turn.value.template
    assert "<@U0ASHA>'s round is already open" in the_same_presenter.value.template
    assert [r.presenter_id for r in stored_rounds(store)] == [ASHA]


def test_two_facilitators_opening_at_once_open_one_round(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite store shares one connection, so it cannot race itself")
    outcomes = race(lambda who: open_for(store, clock, by=who))

    assert sorted(outcomes) == ["moved", "refused"]
    assert len(stored_rounds(store)) == 1


# Who presents, with what time


def test_the_default_presenter_follows_the_turn_order_and_skips_apologies(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    meetings.check_in(
        store,
        clock,
        team_id=TEAM,
        meeting_id=meeting.meeting_id,
        user_id=BEN,
        status=AttendanceStatus.APOLOGIES,
    )
    presenters = []
    for _ in range(4):
        opened = open_for(store, clock)
        presenters.append(opened.presenter)
        rounds.close_round(store, clock, caller(), round_id=None)

    assert meeting.turn_order == MEMBERS
    assert presenters == [ASHA, CARA, DEV, EVE]


def test_once_everyone_has_presented_the_facilitator_is_told_how_to_name_someone(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    for _ in MEMBERS:
        open_for(store, clock)
        rounds.close_round(store, clock, caller(), round_id=None)

    with pytest.raises(Refusal) as refused:
        open_for(store, clock)
    again = open_for(store, clock, ASHA)

    assert refused.value.template == EVERYONE_HAD_A_TURN
    assert again.presenter == ASHA


def test_a_round_gets_the_presenters_slot_from_the_time_plan(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    opened = open_for(store, clock)

    assert opened.presenter == ASHA
    assert opened.channel_id == CHANNEL
    assert opened.slot_minutes == SLOT
    assert opened.phase_minutes == {
        Phase.DESCRIBE: 5,
        Phase.QUESTIONS: 9,
        Phase.IDEAS: 4,
        Phase.REFLECT: 4,
    }
    assert (opened.title, opened.minutes) == ("Describe the problem", 5)
    assert opened.prompt.startswith("Tell the Set about your problem")


def test_someone_outside_the_plan_gets_an_equal_share_of_the_session(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    opened = open_for(store, clock, CO_FACILITATOR)

    assert opened.presenter == CO_FACILITATOR
    assert opened.slot_minutes == (120 - 15) // 6


# Reporting back on an earlier action


def test_a_presenter_without_an_earlier_action_starts_by_describing(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    opened = open_for(store, clock, ASHA)

    assert opened.phase is Phase.DESCRIBE
    assert opened.route == WITHOUT_REPORT_BACK
    assert opened.earlier_actions == ()
    [stored] = stored_rounds(store)
    assert stored.route == ["describe", "questions", "ideas", "reflect"]


def test_a_presenter_with_an_earlier_open_action_starts_with_report_back(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    asha_commits_in_january(store, clock, "Ask my manager for one protected hour a week")
    february(store, clock)

    opened = open_for(store, clock, ASHA)

    assert opened.phase is Phase.REPORT_BACK
    assert opened.route == (Phase.REPORT_BACK, *WITHOUT_REPORT_BACK)
    [earlier] = opened.earlier_actions
    assert earlier.text == "Ask my manager for one protected hour a week"
    assert earlier.status is CommitmentStatus.OPEN
    assert earlier.report is None


def test_an_action_reported_between_meetings_is_shown_once(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    action = asha_commits_in_january(store, clock, "Ask my manager for one protected hour")
    change_commitment(
        store,
        action,
        status=CommitmentStatus.REPORTED,
        report_text="She said yes — Thursdays",
        learned_text="Asking early helps",
        reported_at=datetime(2027, 1, 20, 12, 0, tzinfo=UTC),
    )
    february(store, clock)

    shown = open_for(store, clock, ASHA)
    rounds.close_round(store, clock, caller(), round_id=None)
    asked_again = open_for(store, clock, ASHA)

    assert shown.phase is Phase.REPORT_BACK
    [earlier] = shown.earlier_actions
    assert (earlier.status, earlier.report, earlier.learned) == (
        CommitmentStatus.REPORTED,
        "She said yes — Thursdays",
        "Asking early helps",
    )
    assert asked_again.phase is Phase.DESCRIBE


def test_an_action_still_being_worked_on_is_asked_about_again(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    action = asha_commits_in_january(store, clock, "Map who decides what")
    change_commitment(store, action, status=CommitmentStatus.WORKING)
    february(store, clock)

    open_for(store, clock, ASHA)
    rounds.close_round(store, clock, caller(), round_id=None)
    again = open_for(store, clock, ASHA)

    assert again.phase is Phase.REPORT_BACK
    assert [a.status for a in again.earlier_actions] == [CommitmentStatus.WORKING]


def test_a_dropped_action_or_one_from_today_is_not_reported_back_on(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    action = asha_commits_in_january(store, clock, "Rewrite the rota")
    change_commitment(store, action, status=CommitmentStatus.DROPPED, drop_reason="Not mine")
    february(store, clock)
    first = open_for(store, clock, ASHA)
    commit(store, clock, first, "Talk to HR")
    rounds.close_round(store, clock, caller(), round_id=None)

    again = open_for(store, clock, ASHA)

    assert first.phase is Phase.DESCRIBE
    assert again.phase is Phase.DESCRIBE


# Moving through the phases


def test_next_moves_along_the_route_and_past_reflect_closes(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    seen = [view.phase]
    change = None
    for _ in range(4):
        clock.advance(timedelta(minutes=5))
        change = press_next(store, clock, view)
        view = change.round
        seen.append(view.phase)

    assert seen == [*WITHOUT_REPORT_BACK, Phase.CLOSED]
    assert change is not None and change.left is Phase.REFLECT
    assert change.closed is not None and change.closed.round.duration_seconds == 20 * 60
    [stored] = stored_rounds(store)
    assert stored.phase == "closed"
    assert stored.closed_at == clock.now()


def test_moving_on_records_when_the_phase_began(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    clock.advance(timedelta(minutes=6))

    change = press_next(store, clock, view)

    assert (change.left, change.round.phase, change.closed) == (
        Phase.DESCRIBE,
        Phase.QUESTIONS,
        None,
    )
    [stored] = stored_rounds(store)
    assert stored.phase_started_at == clock.now()


def test_a_report_back_round_moves_on_to_describing(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    asha_commits_in_january(store, clock, "Ask for an hour a week")
    february(store, clock)
    view = open_for(store, clock, ASHA)

    change = press_next(store, clock, view)

    assert (change.left, change.round.phase) == (Phase.REPORT_BACK, Phase.DESCRIBE)
    assert len(change.round.earlier_actions) == 1


def test_slash_next_moves_the_open_round_on(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)

    change = rounds.advance(store, clock, caller(), round_id=None, from_phase=None)

    assert change.round.phase is Phase.QUESTIONS


def test_slash_next_with_no_round_open_says_how_to_open_one(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    with pytest.raises(Refusal) as refused:
        rounds.advance(store, clock, caller(), round_id=None, from_phase=None)

    assert refused.value.template == NO_ROUND_OPEN


def test_pressing_an_old_next_button_again_moves_nothing(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    press_next(store, clock, view)

    with pytest.raises(Refusal) as refused:
        press_next(store, clock, view, by=CO_FACILITATOR)

    assert refused.value.template.startswith("Already moved on to *Questions*")
    assert [r.phase for r in stored_rounds(store)] == ["questions"]


def race(press: Callable[[str], object]) -> list[str]:
    """Both facilitators press at the same moment, each on their own connection."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(who: str) -> None:
        barrier.wait()
        try:
            press(who)
            outcomes.append("moved")
        except Refusal:
            outcomes.append("refused")

    clicks = [threading.Thread(target=click, args=(who,)) for who in (FACILITATOR, CO_FACILITATOR)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=10)
    return outcomes


@pytest.mark.parametrize("phases_before", [0, 3], ids=["describe", "reflect"])
def test_two_facilitators_pressing_next_together_move_it_once(
    store: Store, clock: ManualClock, meeting: MeetingCard, phases_before: int
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite store shares one connection, so it cannot race itself")
    view = open_for(store, clock, ASHA)
    for _ in range(phases_before):
        view = press_next(store, clock, view).round

    outcomes = race(lambda who: press_next(store, clock, view, by=who))

    assert sorted(outcomes) == ["moved", "refused"]
    [stored] = stored_rounds(store)
    assert stored.phase == str(view.next)


def test_the_presenter_may_hand_over_after_describing_but_not_cut_questions_short(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)

    handed_over = press_next(store, clock, view, by=ASHA)
    with pytest.raises(Refusal, match="the facilitator moves your round on"):
        press_next(store, clock, handed_over.round, by=ASHA)

    assert handed_over.round.phase is Phase.QUESTIONS
    assert [r.phase for r in stored_rounds(store)] == ["questions"]


def test_another_member_cannot_move_a_round_on(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)

    with pytest.raises(Refusal, match="Only the Set's facilitator can move a round on"):
        press_next(store, clock, view, by=BEN)

    assert [r.phase for r in stored_rounds(store)] == ["describe"]


def test_a_round_from_another_team_or_set_is_not_found(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    a_set(store, clock, team="T0OTHER", channel="C0OTHER")
    a_set(store, clock, channel="C0SECOND")
    elsewhere = [
        caller(team="T0OTHER", channel="C0OTHER"),
        caller(channel="C0SECOND"),
    ]

    for someone in elsewhere:
        with pytest.raises(Refusal) as moving:
            rounds.advance(store, clock, someone, round_id=view.round_id, from_phase="describe")
        with pytest.raises(Refusal) as closing:
            rounds.close_round(store, clock, someone, round_id=view.round_id)
        assert moving.value.template == closing.value.template == NO_SUCH_ROUND
    assert [r.phase for r in stored_rounds(store)] == ["describe"]


# Closing


@pytest.mark.parametrize("phases_before", [0, 1, 2, 3])
def test_closing_from_any_phase_stores_the_duration(
    store: Store, clock: ManualClock, meeting: MeetingCard, phases_before: int
) -> None:
    view = open_for(store, clock, ASHA)
    for _ in range(phases_before):
        view = press_next(store, clock, view).round
    clock.advance(timedelta(minutes=17, seconds=30))

    closed = rounds.close_round(store, clock, caller(), round_id=None)

    assert closed.round.is_closed
    assert closed.round.duration_seconds == 17 * 60 + 30
    [stored] = stored_rounds(store)
    assert (stored.phase, stored.closed_at, stored.duration_seconds) == (
        "closed",
        clock.now(),
        17 * 60 + 30,
    )


def test_closing_says_whether_the_presenter_committed_to_an_action(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    asha = open_for(store, clock, ASHA)
    commit(store, clock, asha, "Ask for an hour a week")
    asha_closed = rounds.close_round(store, clock, caller(), round_id=asha.round_id)
    ben = open_for(store, clock, BEN)
    ben_closed = rounds.close_round(store, clock, caller(), round_id=ben.round_id)

    assert asha_closed.committed is True
    assert ben_closed.committed is False


def test_a_closed_round_cannot_be_closed_or_moved_again(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    rounds.close_round(store, clock, caller(), round_id=view.round_id)
    clock.advance(timedelta(minutes=3))

    with pytest.raises(Refusal) as closing:
        rounds.close_round(store, clock, caller(), round_id=view.round_id)
    with pytest.raises(Refusal) as moving:
        press_next(store, clock, view)

    assert closing.value.template == moving.value.template == ROUND_CLOSED
    [stored] = stored_rounds(store)
    assert stored.duration_seconds == 0


def test_a_member_cannot_close_a_round(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        rounds.close_round(store, clock, caller(ASHA), round_id=None)

    assert [r.closed_at for r in stored_rounds(store)] == [None]


# Time-keeping


def test_time_notes_are_owed_at_80_and_100_percent_of_the_slot(
    store: Store, clock: ManualClock, set_id: int, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)

    note, up = round_notes(store)
    assert (note.kind, note.target, note.status) == ("round_time_note", CHANNEL, "pending")
    assert note.due_at == clock.now() + timedelta(minutes=SLOT * 0.8)
    assert note.dedupe_key == f"set:{set_id}:round:{view.round_id}:80"
    assert (up.kind, up.target, up.status) == ("round_time_up", FACILITATOR, "pending")
    assert up.due_at == clock.now() + timedelta(minutes=SLOT)
    assert up.dedupe_key == f"set:{set_id}:round:{view.round_id}:100"


def test_the_time_note_is_gentle_and_goes_to_the_thread(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)
    rounds.set_round_thread(store, team_id=TEAM, round_id=view.round_id, thread_ts=THREAD)
    note, up = round_notes(store)

    near_the_end = compose(store, note, note.due_at or clock.now())
    time_is_up = compose(store, up, up.due_at or clock.now())

    assert near_the_end == Notice(
        message=RoundTimeNote(presenter=ASHA, minutes_left=4, phase=Phase.DESCRIBE),
        channel=CHANNEL,
        thread_ts=THREAD,
    )
    assert time_is_up == Notice(
        message=RoundTimeUp(presenter=ASHA, slot_minutes=SLOT, phase=Phase.DESCRIBE),
        channel=CHANNEL,
        user=FACILITATOR,
        thread_ts=THREAD,
    )


def test_a_time_note_delivered_after_the_slot_has_run_out_says_nothing(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)
    note, _ = round_notes(store)

    assert compose(store, note, clock.now() + timedelta(minutes=SLOT)) is None


def test_closing_a_round_cancels_its_time_notes(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)
    rounds.close_round(store, clock, caller(), round_id=None)
    open_for(store, clock, BEN)

    asha_note, ben_note, asha_up, ben_up = sorted(
        round_notes(store), key=lambda row: (row.kind, row.id or 0)
    )

    assert asha_note.status == asha_up.status == OutboxStatus.CANCELLED
    assert ben_note.status == ben_up.status == OutboxStatus.PENDING
    assert compose(store, asha_note, asha_note.due_at or clock.now()) is None
    assert compose(store, asha_up, asha_up.due_at or clock.now()) is None


def test_a_round_left_open_after_the_meeting_ends_keeps_quiet(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    open_for(store, clock, ASHA)
    meetings.end_meeting(store, clock, caller())
    note, up = round_notes(store)

    assert compose(store, note, note.due_at or clock.now()) is None
    assert compose(store, up, up.due_at or clock.now()) is None


# The thread


def test_the_rounds_thread_is_recorded_and_heard(
    store: Store, clock: ManualClock, meeting: MeetingCard
) -> None:
    view = open_for(store, clock, ASHA)

    rounds.set_round_thread(store, team_id=TEAM, round_id=view.round_id, thread_ts=THREAD)

    with store.session() as session:
        found = round_in_thread(session, team_id=TEAM, channel_id=CHANNEL, thread_ts=THREAD)
    assert found is not None and found[0].id == view.round_id
    with pytest.raises(Refusal) as refused:
        rounds.set_round_thread(
            store, team_id="T0OTHER", round_id=view.round_id, thread_ts="1.000200"
        )
    assert refused.value.template == NO_SUCH_ROUND
