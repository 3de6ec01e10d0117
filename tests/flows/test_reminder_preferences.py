"""Each member chooses how setbot reaches them privately: when, about what, and not while away.

The New team leaders Set of the member-reminder stories: Fran facilitates from London;
Asha is in London (Slack never told us her zone), Ben in Kolkata, Cara in Los Angeles.
The Set meets in London on Tue 2 Feb and Tue 2 Mar 2027 at 10:00; two days ahead each
member is asked what they will bring, and the morning before Fran gets her digest. The
clock starts on Tue 5 Jan 2027, 09:00 UTC.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import commitments, meetings
from bot.flows.access import Refusal
from bot.flows.commitments import DUE_KIND, HALFWAY_KIND, CommitmentReminder
from bot.flows.meeting_reminders import FACILITATOR_DIGEST, MEETING_PREPARE, FacilitatorDigest
from bot.flows.notices import Notice
from bot.flows.reminder_preferences import (
    MEMBER_AWAY,
    PREPARE_ROUND_PROMPT,
    Field,
    FieldRefusal,
    Held,
    MemberAway,
    ReminderChoice,
    ReminderKind,
    held,
    not_now,
    preferences_of,
    reminder_form,
    save_choice,
    stop_these,
)
from bot.store.db import Store
from bot.store.models import OutboxMessage, OutboxStatus, ReminderPreference
from bot.store.outbox import owe, set_key
from bot.store.preferences import is_away
from tests.factories import TEAM
from tests.flows.test_member_reminders import (
    ASHA,
    BEN,
    CARA,
    FEB_MEETING,
    FRAN,
    MAR_MEETING,
    caller,
    form,
    live_until,
    local,
    meeting_ids,
    prepared,
)
from tests.flows.test_outbox import RecordingMessenger

KOLKATA, LOS_ANGELES, LONDON = "Asia/Kolkata", "America/Los_Angeles", "Europe/London"
EVERY_KIND = frozenset(ReminderKind)


def choose(store: Store, clock: ManualClock, user: str, **chosen: Any) -> None:
    """`user` saves the reminders modal with `chosen` over the defaults."""
    save_choice(store, clock, caller(user), replace(ReminderChoice(), **chosen))


def to(user: str, sent: list[tuple[datetime, Notice]], kind: type) -> list[tuple[datetime, Notice]]:
    return [(at, n) for at, n in sent if n.user == user and isinstance(n.message, kind)]


def outbox(store: Store, *, kind: str, target: str) -> list[OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.target == target
        )
        return list(session.exec(statement.order_by(col(OutboxMessage.due_at))))


def test_with_no_choice_made_reminders_come_by_day_and_each_carries_its_buttons(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)

    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    asked = [n for _, n in sent if n.user in (ASHA, BEN, CARA)]
    [digest] = [n for _, n in sent if isinstance(n.message, FacilitatorDigest)]
    assert len(asked) == 3 and all(n.reminder_id is not None for n in [*asked, digest])
    with store.session() as session:
        assert session.get(ReminderPreference, (TEAM, BEN)) is None, "no row: the defaults"


# Each kind: who receives it, the outbox kinds it covers, while stopped, then turned back on.
KINDS = {
    ReminderKind.MEETING: (ASHA, {MEETING_PREPARE}, FEB_MEETING, MAR_MEETING),
    ReminderKind.DIGEST: (FRAN, {FACILITATOR_DIGEST}, FEB_MEETING, MAR_MEETING),
    ReminderKind.COMMITMENT: (
        ASHA,
        {HALFWAY_KIND, DUE_KIND},
        datetime(2027, 1, 13, tzinfo=UTC),  # after the halfway nudge (Tue 12 Jan)
        datetime(2027, 1, 21, tzinfo=UTC),  # after the nudge on the day (Wed 20 Jan)
    ),
}


@pytest.mark.parametrize("kind", list(KINDS), ids=str)
def test_a_stopped_kind_is_not_sent_and_comes_back_when_turned_on(
    store: Store, clock: ManualClock, kind: ReminderKind
) -> None:
    who, outbox_kinds, stopped_until, on_again_until = KINDS[kind]
    form(store, clock)
    commitments.commit(
        store, clock, caller(ASHA), text="Ask my manager for cover", due_on=date(2027, 1, 20)
    )
    choose(store, clock, who, receive=EVERY_KIND - {kind})

    live_until(store, clock, RecordingMessenger(), stopped_until)

    fell_due = [r for r in theirs(store, outbox_kinds, who) if r.due_at <= stopped_until]
    assert fell_due and {(r.status, r.last_error) for r in fell_due} == {
        (OutboxStatus.CANCELLED, "they stopped these")
    }

    choose(store, clock, who, receive=EVERY_KIND)
    live_until(store, clock, RecordingMessenger(), on_again_until)

    came = [
        r for r in theirs(store, outbox_kinds, who) if stopped_until < r.due_at <= on_again_until
    ]
    assert came and {r.status for r in came} == {OutboxStatus.SENT}


def theirs(store: Store, kinds: set[str], user: str) -> list[OutboxMessage]:
    return [row for kind in sorted(kinds) for row in outbox(store, kind=kind, target=user)]


def test_a_stopped_round_preparation_prompt_is_cancelled_when_it_falls_due(
    store: Store, clock: ManualClock
) -> None:
    set_id = form(store, clock)
    meeting = meeting_ids(store, set_id)[0]
    with store.session() as session:
        prompt = owe(
            session,
            team_id=TEAM,
            kind=PREPARE_ROUND_PROMPT,
            target=BEN,
            due_at=clock.now(),
            key=set_key(set_id, "meeting", meeting, "prepare_round", BEN),
        )
        assert held(session, prompt, clock.now()) is None, "15:30 in Kolkata: send it"

    choose(store, clock, BEN, receive=EVERY_KIND - {ReminderKind.PREPARE_ROUND})

    with store.session() as session:
        assert held(session, prompt, clock.now()) == Held(None)


def test_reach_hours_are_kept_in_each_members_own_zone(store: Store, clock: ManualClock) -> None:
    form(store, clock)
    choose(store, clock, BEN, reach_from=18 * 60, reach_until=21 * 60)
    choose(store, clock, CARA, reach_from=6 * 60, reach_until=8 * 60)

    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    asked = {user: when for user, (when, _) in prepared(sent).items()}
    assert asked == {
        ASHA: "Sun 31 Jan 10:00 GMT",
        BEN: "Sun 31 Jan 18:00 IST",  # planned for 15:30; Ben asked for evenings
        CARA: "Mon 01 Feb 06:00 PST",  # 08:00 is when her hours end: the next morning
    }


def test_away_holds_reminders_until_the_day_after_and_tells_the_facilitator_once(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    messenger = RecordingMessenger()

    choose(store, clock, BEN, away_until=date(2027, 1, 31))
    choose(store, clock, BEN, away_until=date(2027, 1, 31))  # saved again: no second note
    sent = live_until(store, clock, messenger, FEB_MEETING)

    [(told_at, note)] = to(FRAN, sent, MemberAway)
    assert note.message == MemberAway(
        set_name="New team leaders", user_id=BEN, away_until=date(2027, 1, 31)
    )
    assert local(told_at, LONDON) == "Tue 05 Jan 09:00 GMT"
    assert prepared(sent)[BEN][0] == "Mon 01 Feb 08:00 IST", "the day after, as his day starts"
    assert prepared(sent)[CARA][0] == "Sun 31 Jan 08:00 PST", "no one else waits"
    with store.session() as session:
        assert is_away(session, team_id=TEAM, user_id=BEN, on=date(2027, 1, 31))
        assert not is_away(session, team_id=TEAM, user_id=BEN, on=date(2027, 2, 1))
        assert not is_away(session, team_id=TEAM, user_id=CARA, on=date(2027, 1, 31))


def test_coming_back_early_releases_reminders_and_drops_the_stale_away_note(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    clock.set(datetime(2027, 1, 5, 20, tzinfo=UTC))  # 20:00 in London: Fran hears tomorrow
    choose(store, clock, BEN, away_until=date(2027, 2, 10))

    choose(store, clock, BEN, away_until=None)
    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    assert to(FRAN, sent, MemberAway) == []
    [note] = outbox(store, kind=MEMBER_AWAY, target=FRAN)
    assert note.status == OutboxStatus.CANCELLED
    assert prepared(sent)[BEN][0] == "Sun 31 Jan 15:30 IST"


def test_apologies_cancel_that_meetings_private_reminders_and_no_other(
    store: Store, clock: ManualClock
) -> None:
    set_id = form(store, clock)
    feb, mar = meeting_ids(store, set_id)[:2]
    messenger = RecordingMessenger()
    sent = live_until(store, clock, messenger, datetime(2027, 1, 31, 12, tzinfo=UTC))
    reminder = prepared(sent)[ASHA][1]
    [(_, to_asha)] = [(at, n) for at, n in sent if n.message is reminder]
    assert to_asha.reminder_id is not None
    not_now(store, clock, team_id=TEAM, user_id=ASHA, reminder_id=to_asha.reminder_id)

    meetings.send_apologies(store, clock, team_id=TEAM, meeting_id=feb, user_id=ASHA)
    later = live_until(store, clock, messenger, FEB_MEETING)

    assert [n for _, n in later if n.user == ASHA] == []
    with store.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.target == ASHA)).all()
    about = {r.dedupe_key.split(":")[3]: r.status for r in rows if ":later:" in r.dedupe_key}
    assert about == {str(feb): OutboxStatus.CANCELLED}, "the day-later reminder went too"
    coming = [r for r in rows if r.payload.get("meeting_id") == mar]
    assert coming and {r.status for r in coming} == {OutboxStatus.PENDING}


def test_not_now_brings_the_same_reminder_back_a_day_later(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    messenger = RecordingMessenger()
    first = live_until(store, clock, messenger, datetime(2027, 1, 31, 12, tzinfo=UTC))
    [(at, asked)] = [(at, n) for at, n in first if n.user == BEN]
    assert asked.reminder_id is not None

    put_off = not_now(store, clock, team_id=TEAM, user_id=BEN, reminder_id=asked.reminder_id)
    not_now(store, clock, team_id=TEAM, user_id=BEN, reminder_id=asked.reminder_id)  # twice
    again = live_until(store, clock, messenger, FEB_MEETING)

    assert local(put_off.until, KOLKATA) == "Mon 01 Feb 15:30 IST"
    [(back_at, back)] = [(t, n) for t, n in again if n.user == BEN]
    assert back_at == at + timedelta(days=1)
    assert back.message == asked.message
    assert back.reminder_id not in (None, asked.reminder_id), "its own buttons, for its own row"


def test_a_nudge_put_off_past_its_day_no_longer_says_today(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    commitments.commit(
        store, clock, caller(BEN), text="Ask two peers about rotas", due_on=date(2027, 1, 20)
    )
    messenger = RecordingMessenger()
    sent = live_until(store, clock, messenger, datetime(2027, 1, 20, 12, tzinfo=UTC))
    [(_, on_the_day)] = [
        (t, n) for t, n in to(BEN, sent, CommitmentReminder) if n.message.due_today
    ]
    assert on_the_day.reminder_id is not None

    not_now(store, clock, team_id=TEAM, user_id=BEN, reminder_id=on_the_day.reminder_id)
    [(_, next_day)] = to(BEN, live_until(store, clock, messenger, FEB_MEETING), CommitmentReminder)

    assert not next_day.message.due_today


def test_stop_these_stops_that_kind_until_turned_back_on(store: Store, clock: ManualClock) -> None:
    form(store, clock)
    messenger = RecordingMessenger()
    sent = live_until(store, clock, messenger, FEB_MEETING)
    [(_, digest)] = to(FRAN, sent, FacilitatorDigest)
    assert digest.reminder_id is not None

    stopped = stop_these(store, clock, team_id=TEAM, user_id=FRAN, reminder_id=digest.reminder_id)
    later = live_until(store, clock, messenger, MAR_MEETING)

    assert stopped.kind == ReminderKind.DIGEST
    assert to(FRAN, later, FacilitatorDigest) == []
    assert len(prepared(later)) == 3, "members still hear what they chose"
    with store.session() as session:
        assert preferences_of(session, team_id=TEAM, user_id=FRAN).muted == ["digest"]
    assert reminder_form(store, caller(FRAN)).choice.receive == EVERY_KIND - {ReminderKind.DIGEST}


def test_no_one_can_put_off_or_stop_someone_elses_reminder(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)
    [(_, bens)] = [(t, n) for t, n in sent if n.user == BEN]
    assert bens.reminder_id is not None

    for press in (not_now, stop_these):
        with pytest.raises(Refusal, match="for someone else"):
            press(store, clock, team_id=TEAM, user_id=CARA, reminder_id=bens.reminder_id)
        with pytest.raises(Refusal, match="for someone else"):
            press(store, clock, team_id="T0OTHER", user_id=BEN, reminder_id=bens.reminder_id)

    with store.session() as session:
        assert session.get(ReminderPreference, (TEAM, CARA)) is None
        later = select(OutboxMessage).where(col(OutboxMessage.dedupe_key).contains(":later:"))
        assert session.exec(later).all() == []


@pytest.mark.parametrize(
    ("chosen", "field", "why"),
    [
        ({"reach_from": 19 * 60, "reach_until": 8 * 60}, Field.REACH, "before the 'until'"),
        ({"reach_from": 9 * 60, "reach_until": 9 * 60}, Field.REACH, "before the 'until'"),
        ({"reach_from": 9 * 60, "reach_until": 10 * 60 + 30}, Field.REACH, "at least 2 hours"),
        ({"reach_from": 9 * 60 + 7, "reach_until": 17 * 60}, Field.REACH, "from the list"),
        ({"away_until": date(2027, 1, 4)}, Field.AWAY, "already passed"),
        ({"away_until": date(2028, 1, 6)}, Field.AWAY, "within a year"),
    ],
)
def test_a_bad_choice_is_refused_beside_its_field_and_changes_nothing(
    store: Store, clock: ManualClock, chosen: dict[str, object], field: Field, why: str
) -> None:
    form(store, clock)

    with pytest.raises(FieldRefusal, match=why) as refused:
        choose(store, clock, ASHA, **chosen)

    assert refused.value.field == field
    with store.session() as session:
        assert session.get(ReminderPreference, (TEAM, ASHA)) is None
        assert (
            session.exec(select(OutboxMessage).where(OutboxMessage.kind == MEMBER_AWAY)).all() == []
        )


def test_the_edges_of_what_is_allowed_are_accepted(store: Store, clock: ManualClock) -> None:
    form(store, clock)

    choose(store, clock, ASHA, reach_from=22 * 60, reach_until=24 * 60, away_until=date(2027, 1, 5))
    choose(store, clock, CARA, away_until=date(2028, 1, 5))

    assert reminder_form(store, caller(ASHA)).choice == ReminderChoice(
        reach_from=22 * 60, reach_until=24 * 60, away_until=date(2027, 1, 5)
    ), "away today is fine, and a late evening up to midnight"


def test_the_digest_is_offered_only_to_facilitators(store: Store, clock: ManualClock) -> None:
    form(store, clock)

    assert ReminderKind.DIGEST in reminder_form(store, caller(FRAN)).offered
    assert ReminderKind.DIGEST not in reminder_form(store, caller(ASHA)).offered


def test_someone_in_no_set_is_told_they_get_no_reminders(store: Store, clock: ManualClock) -> None:
    form(store, clock)

    with pytest.raises(Refusal, match="aren't in an Action Learning Set"):
        reminder_form(store, caller("U0NOBODY"))
