"""Members commit to actions and report back: the Set holds them to it, kindly and privately."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import commitments, meetings
from bot.flows.access import Caller, Refusal
from bot.flows.commitments import (
    DUE_KIND,
    HALFWAY_KIND,
    CommitmentReminder,
    CommitmentView,
    Field,
    FieldRefusal,
)
from bot.flows.notices import COMPOSERS, Notice
from bot.flows.phases import Phase
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.store.db import Store
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
)
from tests.factories import TEAM, an_open_round

CHANNEL = "C0LEADERS"
ELSEWHERE = "C0RANDOM"
FACILITATOR = "U0FACIL"
ASHA, BEN, CARA = "U0ASHA", "U0BEN", "U0CARA"
OUTSIDER = "U0OUTSIDE"
# First Tuesdays at 10:00 in London: 5 January, 2 February and 2 March 2027.
FIRST_MEETING = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
FEBRUARY_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
MARCH_MEETING = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
DAY_BEFORE_FEBRUARY = date(2027, 2, 1)
ACTION = "Ask my manager for one protected hour a week"


def caller(user: str = ASHA, *, channel: str = CHANNEL, team: str = TEAM) -> Caller:
    return Caller(team_id=team, user_id=user, channel_id=channel)


def a_set(
    store: Store,
    clock: ManualClock,
    *,
    name: str = "New team leaders",
    channel: str = CHANNEL,
    members: tuple[str, ...] = (ASHA, BEN, CARA),
    timezone: str = "Europe/London",
    first_at: datetime = FIRST_MEETING,
) -> int:
    draft = SetDraft(
        name=name,
        theme="Leading through change",
        facilitators=(FACILITATOR,),
        members=members,
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=first_at,
        timezone=timezone,
    )
    formed = form_set(
        store, clock, team_id=TEAM, created_by=FACILITATOR, draft=draft, channel_id=channel
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    return a_set(store, clock)


def a_round(store: Store, clock: ManualClock, meeting_id: int, presenter: str = ASHA) -> int:
    return an_open_round(
        store,
        meeting_id=meeting_id,
        presenter_id=presenter,
        thread_ts=f"{clock.now().timestamp():.6f}",
        phase=Phase.REFLECT,
        channel_id=CHANNEL,
        opened_at=clock.now(),
    )


def commit(
    store: Store,
    clock: ManualClock,
    *,
    who: str = ASHA,
    text: str = ACTION,
    due_on: date | None = None,
    round_id: int | None = None,
    channel: str = CHANNEL,
    set_id: int | None = None,
) -> CommitmentView:
    return commitments.commit(
        store,
        clock,
        caller(who, channel=channel),
        round_id=round_id,
        set_id=set_id,
        text=text,
        due_on=due_on,
        success_measure="I have the hour in my diary",
    )


def stored(store: Store) -> list[Commitment]:
    with store.session() as session:
        return list(session.exec(select(Commitment).order_by(Commitment.id)).all())


def outbox(store: Store) -> list[OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(col(OutboxMessage.kind).startswith("commitment"))
        return list(session.exec(statement.order_by(OutboxMessage.id)).all())


def nudges_of(store: Store, view: CommitmentView) -> dict[str, OutboxStatus]:
    mine = f"set:{view.set_id}:commitment:{view.commitment_id}:"
    return {
        row.dedupe_key.removeprefix(mine): OutboxStatus(row.status)
        for row in outbox(store)
        if row.dedupe_key.startswith(mine)
    }


# Committing in a round


def test_presenter_commits_in_their_round_due_the_day_before_the_next_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller(FACILITATOR))
    round_id = a_round(store, clock, card.meeting_id)

    view = commit(store, clock, round_id=round_id)

    assert view.due_on == DAY_BEFORE_FEBRUARY
    assert view.thread is not None
    assert view.thread.channel_id == CHANNEL
    assert view.thread.ts == f"{clock.now().timestamp():.6f}"
    [row] = stored(store)
    assert (row.user_id, row.round_id, row.meeting_id) == (ASHA, round_id, card.meeting_id)
    assert (row.text, row.status) == (ACTION, CommitmentStatus.OPEN)
    assert row.success_measure == "I have the hour in my diary"


def test_the_default_date_is_the_day_before_the_next_meeting_in_the_sets_own_zone(
    store: Store, clock: ManualClock
) -> None:
    # 10:00 on 2 February in Auckland is still 1 February in UTC.
    auckland = a_set(
        store,
        clock,
        timezone="Pacific/Auckland",
        first_at=datetime(2027, 1, 4, 21, 0, tzinfo=UTC),
    )

    view = commit(store, clock)

    assert view.set_id == auckland
    assert view.due_on == DAY_BEFORE_FEBRUARY


def test_a_meeting_later_today_is_passed_over_for_the_default_date(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    # 09:00 on the day of the first meeting, before it has started.
    view = commit(store, clock)

    assert view.due_on == DAY_BEFORE_FEBRUARY


def test_a_set_with_no_meetings_left_gives_no_default_date_and_owes_no_nudges(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(MARCH_MEETING + timedelta(days=1))

    view = commit(store, clock)

    assert view.due_on is None
    assert outbox(store) == []


def test_a_member_who_is_not_presenting_cannot_commit_in_someone_elses_round(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller(FACILITATOR))
    round_id = a_round(store, clock, card.meeting_id, presenter=ASHA)

    with pytest.raises(Refusal) as refused:
        commit(store, clock, who=BEN, round_id=round_id)

    assert refused.value.template == commitments.NOT_THE_PRESENTER
    assert stored(store) == []


def test_a_round_of_another_team_is_not_found(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller(FACILITATOR))
    round_id = a_round(store, clock, card.meeting_id)

    with pytest.raises(Refusal) as refused:
        commitments.commit(
            store,
            clock,
            caller(team="T0OTHER"),
            round_id=round_id,
            text=ACTION,
            due_on=None,
        )

    assert refused.value.template == commitments.NO_SUCH_ROUND
    assert stored(store) == []


# What was typed


def test_a_due_date_in_the_past_is_refused_and_nothing_is_stored(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(FieldRefusal) as refused:
        commit(store, clock, due_on=date(2027, 1, 4))

    assert refused.value.field == Field.DUE_ON
    assert "already passed" in refused.value.template
    assert stored(store) == []
    assert outbox(store) == []


def test_today_in_the_sets_zone_is_a_fine_due_date(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    assert commit(store, clock, due_on=date(2027, 1, 5)).due_on == date(2027, 1, 5)


@pytest.mark.parametrize("text", ["", "   \n  "], ids=["empty", "blank"])
def test_an_empty_action_is_refused(
    store: Store, clock: ManualClock, set_id: int, text: str
) -> None:
    with pytest.raises(FieldRefusal) as refused:
        commit(store, clock, text=text)

    assert refused.value.field == Field.TEXT
    assert stored(store) == []


def test_an_action_longer_than_3000_characters_is_refused(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(FieldRefusal) as refused:
        commit(store, clock, text="x" * 3001)

    assert refused.value.field == Field.TEXT
    assert commit(store, clock, text="x" * 3000).text == "x" * 3000


# Committing outside a round: `/action new` anywhere


def test_outside_a_round_a_member_commits_in_their_sets_channel_during_the_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    card = meetings.start_meeting(store, clock, caller(FACILITATOR))

    view = commit(store, clock, who=BEN)

    assert view.thread is None
    [row] = stored(store)
    assert (row.user_id, row.round_id, row.meeting_id) == (BEN, None, card.meeting_id)


def test_elsewhere_a_member_of_one_set_commits_to_that_set(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    form = commitments.commitment_form(store, clock, caller(channel=ELSEWHERE))
    view = commit(store, clock, channel=ELSEWHERE)

    assert (form.set_id, form.choices, form.default_due) == (set_id, (), DAY_BEFORE_FEBRUARY)
    assert view.set_id == set_id
    assert stored(store)[0].meeting_id is None


def test_elsewhere_a_member_of_two_sets_is_asked_which(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    second = a_set(store, clock, name="Managers of managers", channel="C0MANAGERS")

    form = commitments.commitment_form(store, clock, caller(channel=ELSEWHERE))
    with pytest.raises(FieldRefusal) as refused:
        commit(store, clock, channel=ELSEWHERE)
    picked = commit(store, clock, channel=ELSEWHERE, set_id=second)

    assert form.set_id is None
    assert [c.name for c in form.choices] == ["Managers of managers", "New team leaders"]
    assert refused.value.field == Field.SET
    assert (picked.set_id, picked.set_name) == (second, "Managers of managers")


def test_a_set_someone_is_not_in_cannot_be_picked(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    theirs = a_set(store, clock, name="Not ours", channel="C0THEIRS", members=(CARA,))

    with pytest.raises(Refusal) as refused:
        commit(store, clock, who=BEN, channel=ELSEWHERE, set_id=theirs)

    assert refused.value.names == {"set": "Not ours"}
    assert stored(store) == []


def test_someone_in_no_set_is_told_how_to_join_one(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with pytest.raises(Refusal) as refused:
        commitments.commitment_form(store, clock, caller(OUTSIDER, channel=ELSEWHERE))

    assert refused.value.template == commitments.NO_SETS


# Nudges


def test_nudges_are_owed_halfway_and_on_the_day_at_nine_in_the_sets_zone(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    rows = {row.kind: row for row in outbox(store)}
    assert set(rows) == {HALFWAY_KIND, DUE_KIND}
    # 5 January to 1 February is 27 days: halfway is 13 days on, 18 January (GMT).
    assert rows[HALFWAY_KIND].due_at == datetime(2027, 1, 18, 9, 0, tzinfo=UTC)
    assert rows[DUE_KIND].due_at == datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    assert {row.target for row in rows.values()} == {ASHA}
    key = f"set:{set_id}:commitment:{view.commitment_id}"
    assert {row.dedupe_key for row in rows.values()} == {f"{key}:half", f"{key}:due"}
    assert rows[DUE_KIND].payload == {"commitment_id": view.commitment_id}


def test_a_nudge_in_summer_still_arrives_at_nine_local_time(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    commit(store, clock, due_on=date(2027, 6, 1))

    rows = {row.kind: row.due_at for row in outbox(store)}
    assert rows[DUE_KIND] == datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 BST


def test_an_action_due_tomorrow_gets_only_the_nudge_on_the_day(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    commit(store, clock, due_on=date(2027, 1, 6))

    assert [row.kind for row in outbox(store)] == [DUE_KIND]


def test_an_action_due_today_after_nine_is_owed_no_nudges(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.advance(timedelta(hours=3))

    commit(store, clock, due_on=date(2027, 1, 5))

    assert outbox(store) == []


def compose(store: Store, clock: ManualClock, kind: str) -> Notice | None:
    """What the dispatcher would send for the one row of `kind`, as of now."""
    with store.session() as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
        return COMPOSERS[kind](session, row, clock.now())


def test_a_nudge_due_now_becomes_a_direct_message_with_the_action(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)
    clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))

    notice = compose(store, clock, DUE_KIND)

    assert notice is not None
    assert (notice.user, notice.channel) == (ASHA, None)
    message = notice.message
    assert isinstance(message, CommitmentReminder)
    assert message.due_today is True
    assert message.commitment.commitment_id == view.commitment_id


def test_nudges_for_a_reported_action_are_dropped_at_delivery(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)
    with store.session() as session:
        row = session.get(Commitment, view.commitment_id)
        assert row is not None
        row.status = CommitmentStatus.REPORTED
        session.add(row)

    assert compose(store, clock, HALFWAY_KIND) is None
    assert compose(store, clock, DUE_KIND) is None


def test_nudges_for_someone_who_has_left_the_set_are_dropped_at_delivery(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    commit(store, clock)
    with store.session() as session:
        asha = session.exec(select(Membership).where(Membership.user_id == ASHA)).one()
        asha.left_at = clock.now()
        session.add(asha)

    assert compose(store, clock, HALFWAY_KIND) is None


def test_still_working_on_it_keeps_the_nudges_coming(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    working = commitments.still_working(
        store, clock, team_id=TEAM, user_id=ASHA, commitment_id=view.commitment_id
    )

    assert working.status == CommitmentStatus.WORKING
    assert nudges_of(store, view) == {"half": OutboxStatus.PENDING, "due": OutboxStatus.PENDING}
    assert compose(store, clock, DUE_KIND) is not None


# Reporting back


def report(
    store: Store, clock: ManualClock, view: CommitmentView, *, who: str = ASHA, team: str = TEAM
) -> CommitmentView:
    return commitments.report_back(
        store,
        clock,
        team_id=team,
        user_id=who,
        commitment_id=view.commitment_id,
        happened="We agreed Thursday mornings.",
        learned="Asking plainly worked better than hinting.",
        share=True,
    )


def test_reporting_back_records_what_happened_and_cancels_the_nudges(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)
    clock.advance(timedelta(days=10))

    reported = report(store, clock, view)

    assert reported.status == CommitmentStatus.REPORTED
    assert nudges_of(store, view) == {
        "half": OutboxStatus.CANCELLED,
        "due": OutboxStatus.CANCELLED,
    }
    [row] = stored(store)
    assert row.report_text == "We agreed Thursday mornings."
    assert row.learned_text == "Asking plainly worked better than hinting."
    assert (row.share_consent, row.reported_at) == (True, clock.now())


def test_reporting_back_on_action_1_leaves_action_10s_nudges_alone(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    views = [commit(store, clock, text=f"Step {n}") for n in range(1, 11)]
    first, tenth = views[0], views[9]
    assert (first.commitment_id, tenth.commitment_id) == (1, 10)

    report(store, clock, first)

    assert set(nudges_of(store, tenth).values()) == {OutboxStatus.PENDING}


def test_only_the_owner_can_report_back_and_another_members_click_changes_nothing(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    with pytest.raises(Refusal) as refused:
        report(store, clock, view, who=BEN)

    assert refused.value.template == commitments.NOT_YOURS
    [row] = stored(store)
    assert (row.status, row.report_text) == (CommitmentStatus.OPEN, None)
    assert set(nudges_of(store, view).values()) == {OutboxStatus.PENDING}


def test_a_click_from_another_workspace_finds_nothing(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    with pytest.raises(Refusal):
        report(store, clock, view, team="T0OTHER")
    with pytest.raises(Refusal):
        commitments.own_commitment(
            store, clock, team_id="T0OTHER", user_id=ASHA, commitment_id=view.commitment_id
        )

    assert stored(store)[0].status == CommitmentStatus.OPEN


def test_reporting_back_twice_gets_a_friendly_word_and_keeps_the_first_report(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)
    report(store, clock, view)

    with pytest.raises(Refusal) as refused:
        commitments.report_back(
            store,
            clock,
            team_id=TEAM,
            user_id=ASHA,
            commitment_id=view.commitment_id,
            happened="Something else",
            learned="",
            share=False,
        )

    assert "already reported back" in refused.value.template
    assert stored(store)[0].report_text == "We agreed Thursday mornings."


def test_reporting_back_needs_to_say_what_happened(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    with pytest.raises(FieldRefusal) as refused:
        commitments.report_back(
            store,
            clock,
            team_id=TEAM,
            user_id=ASHA,
            commitment_id=view.commitment_id,
            happened=" ",
            learned="",
            share=False,
        )

    assert refused.value.field == Field.HAPPENED
    assert stored(store)[0].status == CommitmentStatus.OPEN


def test_dropping_an_action_needs_a_reason(store: Store, clock: ManualClock, set_id: int) -> None:
    view = commit(store, clock)

    with pytest.raises(FieldRefusal) as refused:
        commitments.drop(
            store, clock, team_id=TEAM, user_id=ASHA, commitment_id=view.commitment_id, reason=""
        )

    assert refused.value.field == Field.REASON
    assert stored(store)[0].status == CommitmentStatus.OPEN


def test_dropping_an_action_with_a_reason_keeps_it_and_stops_the_nudges(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    view = commit(store, clock)

    dropped = commitments.drop(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        commitment_id=view.commitment_id,
        reason="My manager moved on; I'll start again with the new one.",
    )

    assert dropped.status == CommitmentStatus.DROPPED
    assert stored(store)[0].drop_reason == "My manager moved on; I'll start again with the new one."
    assert set(nudges_of(store, view).values()) == {OutboxStatus.CANCELLED}
    with pytest.raises(Refusal) as refused:
        commitments.still_working(
            store, clock, team_id=TEAM, user_id=ASHA, commitment_id=view.commitment_id
        )
    assert "dropped that action" in refused.value.template


# `/action`: the caller's own list


def test_the_action_list_shows_open_and_working_first_soonest_due_first_then_finished(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    later = commit(store, clock, text="Later", due_on=date(2027, 2, 20))
    commit(store, clock, text="Sooner", due_on=date(2027, 1, 20))
    commit(store, clock, text="Someone else's", who=BEN)
    reported = commit(store, clock, text="Reported")
    dropped = commit(store, clock, text="Dropped")
    report(store, clock, reported)
    commitments.drop(
        store, clock, team_id=TEAM, user_id=ASHA, commitment_id=dropped.commitment_id, reason="No"
    )
    commitments.still_working(
        store, clock, team_id=TEAM, user_id=ASHA, commitment_id=later.commitment_id
    )

    listed = commitments.my_commitments(store, clock, team_id=TEAM, user_id=ASHA)

    assert [v.text for v in listed] == ["Sooner", "Later", "Dropped", "Reported"]
    assert [v.status for v in listed][:2] == [CommitmentStatus.OPEN, CommitmentStatus.WORKING]
    assert {v.set_name for v in listed} == {"New team leaders"}
    assert [v.actionable for v in listed] == [True, True, False, False]


def test_the_action_list_marks_what_is_overdue_in_the_sets_zone(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    commit(store, clock, due_on=date(2027, 1, 20))
    clock.set(datetime(2027, 1, 20, 23, 30, tzinfo=UTC))
    assert not commitments.my_commitments(store, clock, team_id=TEAM, user_id=ASHA)[0].overdue

    clock.advance(timedelta(hours=1))

    assert commitments.my_commitments(store, clock, team_id=TEAM, user_id=ASHA)[0].overdue


def test_someone_with_no_actions_gets_an_empty_list(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    assert commitments.my_commitments(store, clock, team_id=TEAM, user_id=CARA) == []


def test_report_back_and_drop_pressed_together_leave_one_outcome(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite store shares one connection, so it cannot race itself")
    view = commit(store, clock)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press(finish: Callable[[], CommitmentView]) -> None:
        barrier.wait()
        try:
            outcomes.append(str(finish().status))
        except Refusal:
            outcomes.append("refused")

    presses = [
        threading.Thread(target=press, args=(lambda: report(store, clock, view),)),
        threading.Thread(
            target=press,
            args=(
                lambda: commitments.drop(
                    store,
                    clock,
                    team_id=TEAM,
                    user_id=ASHA,
                    commitment_id=view.commitment_id,
                    reason="Plans changed",
                ),
            ),
        ),
    ]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(timeout=10)

    [row] = stored(store)
    assert sorted(outcomes) == sorted([str(row.status), "refused"])
    assert (row.report_text is None) == (row.status == CommitmentStatus.DROPPED)
