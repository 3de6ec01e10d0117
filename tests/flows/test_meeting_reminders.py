"""Dana's Set meets on Sunday mornings at ten in London; the bot reminds it, and her.

The clocks go forward in London on Sun 28 Mar 2027, the day of the second meeting, so
"ten the day before" and "an hour before" are 23 and 1 elapsed hours apart that week.
The clock starts on Tue 5 Jan 2027, 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import meetings, sets
from bot.flows.access import Caller
from bot.flows.meeting_reminders import (
    MEETING_REMINDER,
    SET_EXTEND_OR_CLOSE,
    MeetingAutoclosed,
    MeetingReminder,
    SetExtendOrClose,
    forget_meeting_reminders,
    next_allowed,
    plan_set_reminders,
)
from bot.flows.notices import Notice
from bot.flows.outbox import dispatch_due
from bot.flows.rescheduling import reschedule, skip
from bot.flows.schedule import Cadence
from bot.scheduler import tick
from bot.store.db import Store
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    Membership,
    OutboxMessage,
    OutboxStatus,
)
from bot.store.outbox import set_key
from bot.ui.notices import render
from bot.ui.reminders import SET_CLOSE_ASK, SET_EXTEND
from tests.factories import TEAM
from tests.flows.test_outbox import RecordingMessenger

DANA, ASHA, BEN, CHLOE, DEV = "U0DANA", "U0ASHA", "U0BEN", "U0CHLOE", "U0DEV"
LEADERS = "C0LEADERS"
LONDON = ZoneInfo("Europe/London")
SUNDAYS = (
    datetime(2027, 3, 21, 10, tzinfo=UTC),  # 10:00 GMT
    datetime(2027, 3, 28, 9, tzinfo=UTC),  # 10:00 BST: the clocks went forward at 01:00 UTC
    datetime(2027, 4, 4, 9, tzinfo=UTC),  # 10:00 BST
)


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    """Formed as `/set new` forms a Set: three Sunday meetings, reminders planned at once."""
    draft = sets.SetDraft(
        name="Weekend leaders",
        theme="Leading through change",
        facilitators=(DANA,),
        members=(ASHA, BEN, CHLOE, DEV),
        cadence=Cadence.weekly(count=3),
        first_at=SUNDAYS[0],
        timezone="Europe/London",
    )
    formed = sets.form_set(
        store, clock, team_id=TEAM, created_by=DANA, draft=draft, channel_id=LEADERS
    )
    assert formed.learning_set.id is not None and formed.meetings == list(SUNDAYS)
    plan(store, clock, formed.learning_set.id)
    return formed.learning_set.id


def plan(store: Store, clock: ManualClock, set_id: int) -> None:
    with store.session() as session:
        learning_set = session.get(LearningSet, set_id)
        assert learning_set is not None
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())


def meeting_ids(store: Store, set_id: int) -> list[int]:
    with store.session() as session:
        statement = select(Meeting.id).where(Meeting.set_id == set_id)
        return [m for m in session.exec(statement.order_by(col(Meeting.scheduled_at))) if m]


def outbox(store: Store, *, kind: str = MEETING_REMINDER) -> dict[str, OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == kind)
        rows = session.exec(statement.order_by(col(OutboxMessage.id)))
        return {row.dedupe_key: row for row in rows}


def pending(store: Store, kind: str = MEETING_REMINDER) -> dict[str, datetime | None]:
    rows = outbox(store, kind=kind).items()
    return {key: row.due_at for key, row in rows if row.status == OutboxStatus.PENDING}


def live_until(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, end: datetime
) -> None:
    """Move the clock from one due row to the next, dispatching at each, as the ticker would."""
    while True:
        with store.session() as session:
            statement = select(OutboxMessage.due_at).where(
                OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= end
            )
            due = session.exec(statement.order_by(col(OutboxMessage.due_at))).first()
        if due is None:
            return
        clock.set(max(due, clock.now()))
        dispatch_due(store, messenger, clock)


def channel_reminders(messenger: RecordingMessenger) -> list[Notice]:
    """What reached the channel, leaving aside the private messages sent around it."""
    return [n for n in messenger.delivered if isinstance(n.message, MeetingReminder)]


def london(when: datetime | None) -> str:
    assert when is not None
    return when.astimezone(LONDON).strftime("%a %d %b %H:%M %Z")


def key(set_id: int, meeting_id: int, label: str) -> str:
    return set_key(set_id, "meeting", meeting_id, label)


def dana(team: str = TEAM) -> Caller:
    return Caller(team_id=team, user_id=DANA, channel_id=LEADERS)


def test_each_meeting_is_reminded_at_ten_the_day_before_and_an_hour_before(
    store: Store, set_id: int
) -> None:
    first, second, third = meeting_ids(store, set_id)

    owed = {k: london(due) for k, due in pending(store).items()}

    assert owed == {
        key(set_id, first, "T-24h"): "Sat 20 Mar 10:00 GMT",
        key(set_id, first, "T-1h"): "Sun 21 Mar 09:00 GMT",
        key(set_id, second, "T-24h"): "Sat 27 Mar 10:00 GMT",
        key(set_id, second, "T-1h"): "Sun 28 Mar 09:00 BST",
        key(set_id, third, "T-24h"): "Sat 03 Apr 10:00 BST",
        key(set_id, third, "T-1h"): "Sun 04 Apr 09:00 BST",
    }


def test_the_day_before_reminder_keeps_ten_oclock_on_the_day_the_clocks_change(
    store: Store, set_id: int
) -> None:
    second = meeting_ids(store, set_id)[1]

    owed = pending(store)

    assert owed[key(set_id, second, "T-24h")] == datetime(2027, 3, 27, 10, tzinfo=UTC)
    assert owed[key(set_id, second, "T-1h")] == datetime(2027, 3, 28, 8, tzinfo=UTC)
    assert SUNDAYS[1] - datetime(2027, 3, 27, 10, tzinfo=UTC) == timedelta(hours=23)


def test_planning_again_owes_nothing_twice(store: Store, clock: ManualClock, set_id: int) -> None:
    before = {k: row.id for k, row in outbox(store).items()}

    plan(store, clock, set_id)

    assert {k: row.id for k, row in outbox(store).items()} == before


def test_moving_a_meeting_moves_its_reminders(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    second = meeting_ids(store, set_id)[1]
    before = outbox(store)
    monday_evening = datetime(2027, 3, 29, 17, tzinfo=UTC)  # 18:00 BST

    reschedule(store, clock, dana(), meeting_id=second, new_start=monday_evening)
    plan(store, clock, set_id)

    after = outbox(store)
    assert after.keys() == before.keys()
    moved = after[key(set_id, second, "T-24h")]
    assert moved.id == before[key(set_id, second, "T-24h")].id
    assert london(moved.due_at) == "Sun 28 Mar 18:00 BST"
    assert london(after[key(set_id, second, "T-1h")].due_at) == "Mon 29 Mar 17:00 BST"


def test_a_meeting_moved_after_its_reminder_went_out_is_reminded_again(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    first = meeting_ids(store, set_id)[0]
    messenger = RecordingMessenger()
    clock.set(datetime(2027, 3, 20, 10, tzinfo=UTC))
    dispatch_due(store, messenger, clock)
    assert len(channel_reminders(messenger)) == 1

    reschedule(store, clock, dana(), meeting_id=first, new_start=SUNDAYS[0] + timedelta(days=1))
    plan(store, clock, set_id)
    clock.set(datetime(2027, 3, 21, 10, tzinfo=UTC))
    dispatch_due(store, messenger, clock)

    again = messenger.delivered[-1].message
    assert isinstance(again, MeetingReminder) and again.when == "tomorrow"
    assert again.starts_at == SUNDAYS[0] + timedelta(days=1)
    assert key(set_id, first, "T-24h:20270322T1000Z") in outbox(store)


def test_reminders_whose_time_has_passed_are_not_owed(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    first = meeting_ids(store, set_id)[0]
    half_an_hour_away = clock.now() + timedelta(minutes=30)

    reschedule(store, clock, dana(), meeting_id=first, new_start=half_an_hour_away)
    plan(store, clock, set_id)

    rows = outbox(store)
    assert rows[key(set_id, first, "T-24h")].status == OutboxStatus.CANCELLED
    assert rows[key(set_id, first, "T-1h")].status == OutboxStatus.CANCELLED


def test_skipping_a_meeting_cancels_its_reminders_and_no_others(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    first, second, third = meeting_ids(store, set_id)

    skip(store, clock, dana(), meeting_id=second)
    plan(store, clock, set_id)
    live_until(store, clock, RecordingMessenger(), SUNDAYS[2])

    rows = outbox(store)
    assert rows[key(set_id, second, "T-24h")].status == OutboxStatus.CANCELLED
    assert rows[key(set_id, second, "T-1h")].status == OutboxStatus.CANCELLED
    sent = {k for k, row in rows.items() if row.status == OutboxStatus.SENT}
    assert sent == {key(set_id, m, lead) for m in (first, third) for lead in ("T-24h", "T-1h")}


def test_forgetting_a_meeting_cancels_only_its_own_reminders(store: Store, set_id: int) -> None:
    first, second, _ = meeting_ids(store, set_id)
    with store.session() as session:
        cancelled = forget_meeting_reminders(session, team_id=TEAM, set_id=set_id, meeting_id=first)

    assert cancelled == 2 + 4 + 1  # T-24h and T-1h, four members' prepare, Dana's digest
    assert key(set_id, second, "T-24h") in pending(store)


def test_reminders_due_after_the_meeting_started_are_dropped(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    """The bot was down all weekend and comes back five minutes into the meeting."""
    clock.set(SUNDAYS[0] + timedelta(minutes=5))
    meetings.start_meeting(store, clock, dana())
    messenger = RecordingMessenger()

    report = dispatch_due(store, messenger, clock)

    # The channel's two reminders, four members' prepare messages and Dana's digest are
    # dropped; only the meeting card that starting it owed goes out.
    assert (report.sent, report.dropped) == (1, 2 + 4 + 1)
    assert [type(n.message) for n in messenger.delivered] == [meetings.MeetingCard]


def test_the_reminder_says_when_and_who_is_to_report_back(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    with store.session() as session:
        for user, status in [
            (ASHA, CommitmentStatus.OPEN),
            (BEN, CommitmentStatus.WORKING),
            (CHLOE, CommitmentStatus.REPORTED),
            (DEV, CommitmentStatus.OPEN),
            (ASHA, CommitmentStatus.WORKING),
        ]:
            session.add(
                Commitment(team_id=TEAM, set_id=set_id, user_id=user, text="Ask", status=status)
            )
        dev = session.exec(select(Membership).where(Membership.user_id == DEV)).one()
        dev.left_at = clock.now()
        session.add(dev)
    messenger = RecordingMessenger()
    clock.set(datetime(2027, 3, 27, 10, tzinfo=UTC))

    dispatch_due(store, messenger, clock)

    [notice] = channel_reminders(messenger)
    reminder = notice.message
    assert notice.channel == LEADERS and notice.user is None
    assert isinstance(reminder, MeetingReminder)
    assert reminder.when == "tomorrow" and reminder.reporting_back == (ASHA, BEN)
    shown = render(reminder)
    assert "meets tomorrow: Sun 28 Mar 2027, 10:00 (BST)" in shown.text
    said = str(shown.blocks)
    assert f"<!date^{int(SUNDAYS[1].timestamp())}^" in said
    assert "for 2 hours." in said
    assert "<@U0ASHA>, <@U0BEN>" in said and DEV not in said and CHLOE not in said


def test_the_hour_before_reminder_says_in_about_an_hour(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    messenger = RecordingMessenger()
    clock.set(SUNDAYS[1] - timedelta(hours=1))

    dispatch_due(store, messenger, clock)

    reminder = messenger.delivered[-1].message
    assert isinstance(reminder, MeetingReminder) and reminder.when == "in about an hour"
    assert "No actions are waiting" in str(render(reminder).blocks)


def test_closing_the_set_cancels_its_reminders_and_plans_no_more(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    sets.close_set(store, clock, dana())
    plan(store, clock, set_id)
    messenger = RecordingMessenger()
    clock.set(SUNDAYS[2] + timedelta(days=2))

    report = dispatch_due(store, messenger, clock)

    assert report.sent == 0 and pending(store) == {} and pending(store, SET_EXTEND_OR_CLOSE) == {}


def test_a_meeting_left_open_is_closed_by_the_ticker_and_dana_is_told(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(SUNDAYS[0])
    meetings.start_meeting(store, clock, dana())
    messenger = RecordingMessenger()
    clock.set(SUNDAYS[0] + timedelta(hours=2, minutes=31))

    tick(store=store, messenger=messenger, clock=clock)

    [notice] = messenger.delivered
    note = notice.message
    assert notice.user == DANA and notice.channel is None
    assert isinstance(note, MeetingAutoclosed)
    assert note.planned_end == SUNDAYS[0] + timedelta(hours=2)
    assert note.ended_at == SUNDAYS[0] + timedelta(hours=2, minutes=30)
    text = str(render(note).blocks)
    assert "I closed the *Weekend leaders* meeting for you half an hour after" in text
    assert f"<#{LEADERS}>" in text and "/meeting end" in text


def test_a_meeting_closed_late_in_the_evening_is_told_the_next_morning(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    clock.set(datetime(2027, 1, 20, 17, tzinfo=UTC))  # an ad-hoc evening meeting
    meetings.start_meeting(store, clock, dana())
    messenger = RecordingMessenger()
    clock.set(datetime(2027, 1, 20, 19, 31, tzinfo=UTC))

    tick(store=store, messenger=messenger, clock=clock)
    clock.set(datetime(2027, 1, 21, 8, tzinfo=UTC))
    tick(store=store, messenger=messenger, clock=clock)

    assert [n.user for n in messenger.delivered] == [DANA]


def test_dana_is_asked_to_extend_or_close_a_day_after_the_last_meeting(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    asked = pending(store, SET_EXTEND_OR_CLOSE)
    assert list(asked.values()) == [SUNDAYS[2] + timedelta(days=1)]
    messenger = RecordingMessenger()
    clock.set(SUNDAYS[2] + timedelta(days=1))

    dispatch_due(store, messenger, clock)

    [notice] = [n for n in messenger.delivered if isinstance(n.message, SetExtendOrClose)]
    assert notice.user == DANA
    shown = render(notice.message)
    assert "That was the last planned meeting of *Weekend leaders*" in str(shown.blocks)
    buttons = [e for b in shown.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (SET_EXTEND, str(set_id)),
        (SET_CLOSE_ASK, str(set_id)),
    ]


def test_the_question_waits_for_the_new_last_meeting_when_the_set_is_extended(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    extra = datetime(2027, 5, 2, 9, tzinfo=UTC)
    with store.session() as session:
        session.add(Meeting(team_id=TEAM, set_id=set_id, scheduled_at=extra))
    messenger = RecordingMessenger()
    clock.set(SUNDAYS[2] + timedelta(days=1))

    dispatch_due(store, messenger, clock)
    plan(store, clock, set_id)

    assert not [n for n in messenger.delivered if isinstance(n.message, SetExtendOrClose)]
    first_ask = outbox(store, kind=SET_EXTEND_OR_CLOSE)
    assert [row.status for row in first_ask.values()] == [
        OutboxStatus.CANCELLED,
        OutboxStatus.PENDING,
    ]
    assert list(pending(store, SET_EXTEND_OR_CLOSE).values()) == [extra + timedelta(days=1)]


KOLKATA, LOS_ANGELES = "Asia/Kolkata", "America/Los_Angeles"


@pytest.mark.parametrize(
    ("zone", "at", "allowed"),
    [
        # Kolkata is UTC+05:30 all year: 08:00 IST is 02:30 UTC.
        (KOLKATA, datetime(2027, 1, 5, 2, 0), datetime(2027, 1, 5, 2, 30)),
        (KOLKATA, datetime(2027, 1, 5, 5, 0), datetime(2027, 1, 5, 5, 0)),
        (KOLKATA, datetime(2027, 1, 5, 13, 30), datetime(2027, 1, 6, 2, 30)),
        (KOLKATA, datetime(2027, 1, 5, 20, 0), datetime(2027, 1, 6, 2, 30)),
        # Los Angeles springs forward on Sun 14 Mar 2027: 08:00 that day is PDT, 15:00 UTC.
        (LOS_ANGELES, datetime(2027, 3, 14, 4, 0), datetime(2027, 3, 14, 15, 0)),
        (LOS_ANGELES, datetime(2027, 3, 14, 14, 59), datetime(2027, 3, 14, 15, 0)),
        (LOS_ANGELES, datetime(2027, 3, 15, 1, 59), datetime(2027, 3, 15, 1, 59)),
        # ...and falls back on Sun 7 Nov 2027: 08:00 that day is PST, 16:00 UTC.
        (LOS_ANGELES, datetime(2027, 11, 7, 6, 0), datetime(2027, 11, 7, 16, 0)),
    ],
    ids=[
        "kolkata-early",
        "kolkata-daytime",
        "kolkata-at-seven",
        "kolkata-after-midnight",
        "la-night-before-spring-forward",
        "la-a-minute-early",
        "la-last-minute-of-the-day",
        "la-night-before-fall-back",
    ],
)
def test_private_messages_wait_for_eight_in_the_morning_local_time(
    zone: str, at: datetime, allowed: datetime
) -> None:
    assert next_allowed(at.replace(tzinfo=UTC), zone) == allowed.replace(tzinfo=UTC)


def test_the_quiet_hours_can_be_set_and_a_naive_time_is_refused() -> None:
    seven_thirty_ist = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)

    assert next_allowed(seven_thirty_ist, KOLKATA, start=time(7)) == seven_thirty_ist
    with pytest.raises(ValueError, match="aware"):
        next_allowed(datetime(2027, 1, 5, 2, 0), KOLKATA)
