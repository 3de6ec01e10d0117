"""Forming a Set and looking after it, told from the facilitator's side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import ground_rules, membership, sets, status
from bot.flows.access import Caller, Refusal
from bot.flows.schedule import Cadence
from bot.store.db import Store
from bot.store.models import Meeting, MeetingStatus, OutboxMessage, OutboxStatus
from bot.store.outbox import set_key

TEAM, CHANNEL = "T0SETBOT", "C0LEADERS"
FACILITATOR = "U0FACIL"
MEMBERS = ("U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE")
FIRST_TUESDAY_MONTHLY = Cadence.monthly(ordinal=1, weekday=1, count=3)


def caller(user: str = FACILITATOR, channel: str = CHANNEL, team: str = TEAM) -> Caller:
    return Caller(team_id=team, user_id=user, channel_id=channel)


def draft(**changes: object) -> sets.SetDraft:
    values: dict[str, object] = {
        "name": "New team leaders",
        "theme": "Leading through change",
        "facilitators": (FACILITATOR,),
        "members": MEMBERS,
        "cadence": FIRST_TUESDAY_MONTHLY,
        # The first Tuesday of February 2027, 10:00 in London (GMT).
        "first_at": datetime(2027, 2, 2, 10, 0, tzinfo=UTC),
        "timezone": "Europe/London",
    }
    values.update(changes)
    return sets.SetDraft(**values)  # type: ignore[arg-type]


def formed(store: Store, clock: ManualClock, **changes: object) -> sets.FormedSet:
    return sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=FACILITATOR,
        draft=draft(**changes),
        channel_id=CHANNEL,
    )


def test_a_good_draft_has_no_problems(clock: ManualClock) -> None:
    assert sets.check_draft(draft(), now=clock.now()) == {}


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"members": ()}, "members", "Add the Set's members"),
        ({"members": tuple(f"U{i:04}" for i in range(13))}, "members", "at most 12"),
        ({"members": (FACILITATOR,)}, "members", "Add the Set's members"),
        ({"session_minutes": 29}, "session_minutes", "from 30 minutes to 8 hours"),
        ({"session_minutes": 481}, "session_minutes", "from 30 minutes to 8 hours"),
        ({"first_at": datetime(2027, 1, 1, 10, tzinfo=UTC)}, "first_at", "already passed"),
        ({"timezone": "Europe/Londn"}, "timezone", "don't recognise the time zone"),
        ({"first_at": datetime(2027, 2, 3, 10, tzinfo=UTC)}, "first_at", "isn't one of the"),
        ({"name": "  "}, "name", "Give the Set a name"),
        ({"ground_rules": ()}, "ground_rules", "at least one ground rule"),
    ],
    ids=[
        "no-members",
        "thirteen-members",
        "only-the-facilitator",
        "29-minutes",
        "481-minutes",
        "first-date-passed",
        "unknown-zone",
        "wednesday-for-first-tuesday",
        "blank-name",
        "no-rules",
    ],
)
def test_each_problem_is_named_on_its_own_field(
    clock: ManualClock, changes: dict[str, object], field: str, says: str
) -> None:
    problems = sets.check_draft(draft(**changes), now=clock.now())
    assert list(problems) == [field]
    assert says in problems[field]


@pytest.mark.parametrize("minutes", [30, 240, 480])
def test_half_day_and_whole_day_sessions_are_allowed(clock: ManualClock, minutes: int) -> None:
    assert sets.check_draft(draft(session_minutes=minutes), now=clock.now()) == {}


def test_forming_a_set_stores_its_people_and_every_meeting(
    store: Store, clock: ManualClock
) -> None:
    result = formed(store, clock)

    assert [d.isoformat() for d in result.meetings] == [
        "2027-02-02T10:00:00+00:00",
        "2027-03-02T10:00:00+00:00",
        "2027-04-06T09:00:00+00:00",  # 10:00 British Summer Time
    ]
    view = status.overview(store, clock, caller())
    assert [p.user_id for p in view.people] == [FACILITATOR, *MEMBERS]
    assert (view.held, view.planned) == (0, 3)
    assert view.cadence == "Monthly on the first Tuesday, 3 meetings"


def test_status_outside_a_set_channel_lists_my_sets(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    found = status.status_here(store, clock, caller("U0ASHA", channel="C0GENERAL"))

    assert isinstance(found, list)
    assert [(line.name, line.channel_id) for line in found] == [("New team leaders", CHANNEL)]


def test_a_member_cannot_add_people(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        membership.add_members(store, clock, caller("U0ASHA"), ["U0NEW"])


def test_someone_outside_the_set_is_told_so(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal) as refused:
        status.overview(store, clock, caller("U0STRANGER"))
    assert "Only members of *{set}*" in refused.value.template


def test_another_teams_channel_is_not_this_set(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal, match="isn't an Action Learning Set's channel"):
        membership.add_members(store, clock, caller(team="T0OTHER"), ["U0NEW"])


def test_adding_members_skips_those_already_in(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    change = membership.add_members(store, clock, caller(), ["U0ASHA", "U0FRED"])

    assert (change.changed, change.unchanged) == (("U0FRED",), ("U0ASHA",))


def test_a_set_cannot_grow_past_twelve_members(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal, match="at most 12 members"):
        membership.add_members(store, clock, caller(), [f"U0NEW{i}" for i in range(8)])


def test_removing_a_member_keeps_records_and_stops_their_reminders(
    store: Store, clock: ManualClock
) -> None:
    set_id = formed(store, clock).learning_set.id
    assert set_id is not None
    with store.session() as session:
        for target in ("U0ASHA", "U0BEN"):
            session.add(
                OutboxMessage(
                    team_id=TEAM,
                    kind="meeting_reminder",
                    target=target,
                    due_at=clock.now() + timedelta(days=1),
                    dedupe_key=set_key(set_id, "meeting", 1, target),
                )
            )

    membership.remove_member(store, clock, caller(), "U0ASHA")

    with store.session() as session:
        mine = select(OutboxMessage).where(col(OutboxMessage.target).in_(("U0ASHA", "U0BEN")))
        owed = {row.target: row.status for row in session.exec(mine)}
    assert owed == {"U0ASHA": OutboxStatus.CANCELLED, "U0BEN": OutboxStatus.PENDING}
    view = status.overview(store, clock, caller())
    assert "U0ASHA" not in [p.user_id for p in view.people]


def test_the_last_facilitator_cannot_be_removed(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal, match="A Set needs a facilitator"):
        membership.remove_member(store, clock, caller(), FACILITATOR)


def test_facilitation_can_be_shared(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    membership.make_facilitator(store, clock, caller(), "U0BEN")
    membership.add_members(store, clock, caller("U0BEN"), ["U0FRED"])

    membership.remove_member(store, clock, caller("U0BEN"), FACILITATOR)


def test_everyone_agrees_the_rules_once(store: Store, clock: ManualClock) -> None:
    set_id = formed(store, clock).learning_set.id
    assert set_id is not None

    first = ground_rules.agree(store, clock, caller("U0ASHA"), set_id=set_id)
    clock.advance(timedelta(minutes=5))
    again = ground_rules.agree(store, clock, caller("U0ASHA"), set_id=set_id)

    assert first.agreed == again.agreed == ("U0ASHA",)
    assert FACILITATOR in again.not_yet


def test_new_rules_mean_agreeing_again(store: Store, clock: ManualClock) -> None:
    set_id = formed(store, clock).learning_set.id
    assert set_id is not None
    ground_rules.agree(store, clock, caller("U0ASHA"), set_id=set_id)

    card = ground_rules.change_rules(store, caller(), ["Phones away.", "", "  Be kind.  "])

    assert card.rules == ("Phones away.", "Be kind.")
    assert card.agreed == ()


def test_only_a_facilitator_may_edit_the_rules(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    assert ground_rules.rules_card(store, caller()).editable
    assert not ground_rules.rules_card(store, caller("U0ASHA")).editable
    with pytest.raises(Refusal):
        ground_rules.change_rules(store, caller("U0ASHA"), ["Anything goes."])


def test_closing_a_set_keeps_records_and_stops_the_schedule(
    store: Store, clock: ManualClock
) -> None:
    formed(store, clock)

    totals = sets.close_set(store, clock, caller())

    assert (totals.members, totals.meetings_held, totals.rounds) == (5, 0, 0)
    with store.session() as session:
        statuses = {m.status for m in session.exec(select(Meeting))}
    assert statuses == {MeetingStatus.SKIPPED}
    with pytest.raises(Refusal, match="has closed"):
        membership.add_members(store, clock, caller(), ["U0FRED"])
    assert status.overview(store, clock, caller()).closed


def test_extending_adds_three_more_meetings_on_the_same_pattern(
    store: Store, clock: ManualClock
) -> None:
    formed(store, clock)

    added = sets.extend_set(store, clock, caller()).added

    assert [d.isoformat() for d in added] == [
        "2027-05-04T09:00:00+00:00",
        "2027-06-01T09:00:00+00:00",
        "2027-07-06T09:00:00+00:00",
    ]
    view = status.overview(store, clock, caller())
    assert view.planned == 6
    assert view.cadence == "Monthly on the first Tuesday until 6 July 2027"


def test_a_set_on_chosen_dates_is_not_extended_by_guesswork(
    store: Store, clock: ManualClock
) -> None:
    formed(store, clock, cadence=Cadence.on_dates([datetime(2027, 2, 2, 10)]))

    with pytest.raises(Refusal) as refused:
        sets.extend_set(store, clock, caller())
    assert "no pattern to continue" in refused.value.template


def test_only_a_facilitator_extends_a_set(store: Store, clock: ManualClock) -> None:
    formed(store, clock)

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        sets.extend_set(store, clock, caller("U0ASHA"))
