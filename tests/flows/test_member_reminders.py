"""Between meetings each person hears from the bot privately, at a sensible hour where they are.

Fran facilitates the New team leaders Set, which meets in London on the first Tuesday of
the month at 10:00. Asha is in London too, and Slack never told us her zone; Ben works
from Kolkata and Cara from Los Angeles. Two days before each meeting each member is asked
what issue they will bring (and how their open actions went); the morning before, Fran
gets a digest of where the Set stands. The clock starts on Tue 5 Jan 2027, 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import commitments, ground_rules, meetings, membership, sets
from bot.flows.access import Caller
from bot.flows.meeting_reminders import (
    FACILITATOR_DIGEST,
    MEETING_PREPARE,
    FacilitatorDigest,
    MeetingPrepare,
    OpenAction,
    record_time_zones,
)
from bot.flows.notices import Notice
from bot.flows.outbox import dispatch_due
from bot.flows.rescheduling import reschedule
from bot.flows.schedule import Cadence
from bot.store.db import Store
from bot.store.meetings import record_attendance
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    Membership,
    OutboxMessage,
    OutboxStatus,
)
from bot.store.outbox import set_key
from bot.ui.commitments import REPORT_BACK, STILL_WORKING
from bot.ui.notices import render
from bot.ui.outlines import OUTLINE_OPEN
from bot.ui.reminders import SEND_APOLOGIES
from tests.factories import TEAM
from tests.flows.test_outbox import RecordingMessenger

FRAN, ASHA, BEN, CARA, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV"
LEADERS = "C0LEADERS"
LONDON, KOLKATA, LOS_ANGELES = "Europe/London", "Asia/Kolkata", "America/Los_Angeles"
ZONES = {BEN: KOLKATA, CARA: LOS_ANGELES}
FEB_MEETING = datetime(2027, 2, 2, 10, tzinfo=UTC)  # Tue 2 Feb, 10:00 GMT
MAR_MEETING = datetime(2027, 3, 2, 10, tzinfo=UTC)  # Tue 2 Mar, 10:00 GMT


def form(
    store: Store,
    clock: ManualClock,
    *,
    first_at: datetime = FEB_MEETING,
    cadence: Cadence | None = None,
    facilitators: tuple[str, ...] = (FRAN,),
    zones: dict[str, str] | None = None,
) -> int:
    """Formed as `/set new` forms it: the Set, then the zones Slack gave for its people."""
    draft = sets.SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=facilitators,
        members=(ASHA, BEN, CARA),
        cadence=cadence or Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=first_at,
        timezone=LONDON,
    )
    formed = sets.form_set(
        store, clock, team_id=TEAM, created_by=FRAN, draft=draft, channel_id=LEADERS
    )
    record_time_zones(
        store, clock, team_id=TEAM, channel_id=LEADERS, zones=ZONES if zones is None else zones
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def caller(user: str) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=LEADERS)


def live_until(
    store: Store, clock: ManualClock, messenger: RecordingMessenger, end: datetime
) -> list[tuple[datetime, Notice]]:
    """Move the clock from one due row to the next, dispatching at each, as the ticker would.

    Returns what was delivered, each with the time it went.
    """
    sent: list[tuple[datetime, Notice]] = []
    while True:
        with store.session() as session:
            statement = select(OutboxMessage.due_at).where(
                OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= end
            )
            due = session.exec(statement.order_by(col(OutboxMessage.due_at))).first()
        if due is None:
            return sent
        clock.set(max(due, clock.now()))
        before = len(messenger.delivered)
        dispatch_due(store, messenger, clock)
        sent += [(clock.now(), notice) for notice in messenger.delivered[before:]]


def prepared(sent: list[tuple[datetime, Notice]]) -> dict[str, tuple[str, MeetingPrepare]]:
    """Each member's prepare message, with when it arrived in their own zone."""
    found = {}
    for at, notice in sent:
        if isinstance(notice.message, MeetingPrepare):
            assert notice.user is not None and notice.channel is None
            found[notice.user] = (local(at, notice.message.timezone), notice.message)
    return found


def local(at: datetime | None, zone: str) -> str:
    assert at is not None
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def rows(store: Store, kind: str) -> dict[str, OutboxMessage]:
    with store.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return {r.dedupe_key: r for r in session.exec(statement.order_by(col(OutboxMessage.id)))}


def meeting_ids(store: Store, set_id: int) -> list[int]:
    with store.session() as session:
        statement = select(Meeting.id).where(Meeting.set_id == set_id)
        return [m for m in session.exec(statement.order_by(col(Meeting.scheduled_at))) if m]


def send_apologies(store: Store, meeting_id: int, user: str) -> None:
    """Apologies sent ahead of a meeting: stored as a check-in during one would be."""
    with store.session() as session:
        record_attendance(
            session,
            attendance=Attendance(
                team_id=TEAM, meeting_id=meeting_id, user_id=user, status=AttendanceStatus.APOLOGIES
            ),
        )


def sections(message: object) -> list[str]:
    return [b["text"]["text"] for b in render(message).blocks if b["type"] == "section"]


def buttons(notice: Notice) -> list[tuple[str, str]]:
    shown = render(notice.message).blocks
    return [
        (element["action_id"], element["value"])
        for block in shown
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_each_member_is_asked_two_days_ahead_in_their_own_waking_hours(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)

    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    asked = prepared(sent)
    assert {user: when for user, (when, _) in asked.items()} == {
        ASHA: "Sun 31 Jan 10:00 GMT",  # no zone from Slack: the Set's
        BEN: "Sun 31 Jan 15:30 IST",
        CARA: "Sun 31 Jan 08:00 PST",  # 02:00 in Los Angeles: held back to eight
    }
    prompt = render(asked[BEN][1])
    assert prompt.text == (
        "What issue will you bring to New team leaders on Tue 2 Feb 2027, 15:30 (IST)?"
    )
    assert "What issue will you bring to *New team leaders* on <!date^" in str(prompt.blocks)


def test_a_member_with_an_open_action_is_asked_how_it_went_with_its_buttons(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    done = commitments.commit(
        store, clock, caller(ASHA), text="Ask my manager for cover", due_on=date(2027, 1, 20)
    )
    commitments.report_back(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        commitment_id=done.commitment_id,
        happened="She said yes",
        learned="Ask early",
        share=False,
    )
    working = commitments.commit(
        store, clock, caller(ASHA), text="Hold one-to-ones <weekly>", due_on=None
    )
    commitments.still_working(
        store, clock, team_id=TEAM, user_id=ASHA, commitment_id=working.commitment_id
    )

    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    asha, ben = prepared(sent)[ASHA][1], prepared(sent)[BEN][1]
    assert asha.open_actions == (
        OpenAction(
            commitment_id=working.commitment_id,
            text="Hold one-to-ones <weekly>",
            due_on=date(2027, 2, 1),
        ),
    )
    assert ben.open_actions == ()
    [to_asha] = [n for _, n in sent if n.message is asha]
    [to_ben] = [n for _, n in sent if n.message is ben]
    value, meeting = str(working.commitment_id), str(asha.meeting_id)
    assert buttons(to_asha) == [
        (OUTLINE_OPEN, meeting),
        (SEND_APOLOGIES, meeting),
        (REPORT_BACK, value),
        (STILL_WORKING, value),
    ]
    assert "Hold one-to-ones &lt;weekly&gt;\nDue Mon 1 Feb 2027" in sections(asha)
    assert buttons(to_ben) == [(OUTLINE_OPEN, meeting), (SEND_APOLOGIES, meeting)], (
        "anyone may prepare, or say they can't come"
    )
    assert len(sections(ben)) == 1, "no question about actions Ben doesn't have"


def test_a_member_who_sent_apologies_is_not_asked_what_they_will_bring(
    store: Store, clock: ManualClock
) -> None:
    set_id = form(store, clock)
    first = meeting_ids(store, set_id)[0]
    send_apologies(store, first, BEN)

    sent = live_until(store, clock, RecordingMessenger(), FEB_MEETING)

    assert set(prepared(sent)) == {ASHA, CARA}
    dropped = rows(store, MEETING_PREPARE)[set_key(set_id, "meeting", first, "prepare", BEN)]
    assert dropped.status == OutboxStatus.CANCELLED


def test_a_member_removed_from_the_set_is_asked_nothing_more(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)

    membership.remove_member(store, clock, caller(FRAN), CARA)
    sent = live_until(store, clock, RecordingMessenger(), MAR_MEETING)

    assert CARA not in {n.user for _, n in sent}
    theirs = [r for r in rows(store, MEETING_PREPARE).values() if r.target == CARA]
    assert len(theirs) == 3 and {r.status for r in theirs} == {OutboxStatus.CANCELLED}


def test_a_moved_meeting_moves_its_prepare_messages_and_a_stale_one_is_dropped(
    store: Store, clock: ManualClock
) -> None:
    set_id = form(store, clock)
    first = meeting_ids(store, set_id)[0]
    thursday = FEB_MEETING + timedelta(days=2)

    reschedule(store, clock, caller(FRAN), meeting_id=first, new_start=thursday)

    key = set_key(set_id, "meeting", first, "prepare", CARA)
    assert local(rows(store, MEETING_PREPARE)[key].due_at, LOS_ANGELES) == "Tue 02 Feb 08:00 PST"
    with store.session() as session:  # moved again behind the planner's back
        meeting = session.get(Meeting, first)
        assert meeting is not None
        meeting.scheduled_at = thursday + timedelta(days=7)
        session.add(meeting)
    sent = live_until(store, clock, RecordingMessenger(), thursday)
    assert sent == []  # every row about that meeting names a time it no longer has


def test_a_member_added_later_is_asked_at_their_own_time(store: Store, clock: ManualClock) -> None:
    set_id = form(store, clock)

    membership.add_members(store, clock, caller(FRAN), [DEV])
    record_time_zones(store, clock, team_id=TEAM, channel_id=LEADERS, zones={DEV: "Mars/Olympus"})
    record_time_zones(store, clock, team_id=TEAM, channel_id=LEADERS, zones={DEV: KOLKATA})

    first = meeting_ids(store, set_id)[0]
    key = set_key(set_id, "meeting", first, "prepare", DEV)
    assert local(rows(store, MEETING_PREPARE)[key].due_at, KOLKATA) == "Sun 31 Jan 15:30 IST"
    with store.session() as session:
        zones = {m.user_id: m.timezone for m in session.exec(select(Membership))}
    assert zones == {FRAN: None, ASHA: None, BEN: KOLKATA, CARA: LOS_ANGELES, DEV: KOLKATA}


def test_the_facilitators_digest_says_who_is_ready_the_morning_before(
    store: Store, clock: ManualClock
) -> None:
    set_id = form(store, clock, facilitators=(FRAN, DEV), zones={**ZONES, DEV: KOLKATA})
    ground_rules.agree(store, clock, caller(ASHA), set_id=set_id)
    # Before February's meeting Cara reports back on an action: old news by March.
    old = commitments.commit(store, clock, caller(CARA), text="Map my stakeholders", due_on=None)
    report(store, clock, CARA, old.commitment_id)
    clock.set(FEB_MEETING)
    meetings.start_meeting(store, clock, caller(FRAN))
    clock.set(FEB_MEETING + timedelta(hours=2))
    meetings.end_meeting(store, clock, caller(FRAN))
    asha = commitments.commit(store, clock, caller(ASHA), text="Delegate the rota", due_on=None)
    commitments.commit(store, clock, caller(BEN), text="Ask for feedback", due_on=None)
    clock.set(datetime(2027, 2, 15, 12, tzinfo=UTC))
    report(store, clock, ASHA, asha.commitment_id)
    send_apologies(store, meeting_ids(store, set_id)[1], CARA)

    sent = live_until(store, clock, RecordingMessenger(), MAR_MEETING)

    digests = [(at, n) for at, n in sent if isinstance(n.message, FacilitatorDigest)]
    assert [(n.user, local(at, n.message.timezone)) for at, n in digests] == [
        (DEV, "Mon 01 Mar 08:30 IST"),
        (FRAN, "Mon 01 Mar 08:30 GMT"),
    ]
    digest = digests[-1][1].message
    assert digest == FacilitatorDigest(
        set_name="New team leaders",
        starts_at=MAR_MEETING,
        timezone=LONDON,
        when="tomorrow",
        reported_back=(ASHA,),
        not_reported=(BEN,),
        apologies=(CARA,),
        rules_not_agreed=(BEN, CARA),
    )
    shown = str(render(digest).blocks)
    assert "*New team leaders* meets tomorrow: <!date^" in shown
    assert "*Reported back since the last meeting:* <@U0ASHA>" in shown
    assert "*Still to report back on an action:* <@U0BEN>" in shown
    assert "*Sent apologies:* <@U0CARA>" in shown
    assert "*Yet to agree the ground rules:* <@U0BEN>, <@U0CARA>" in shown


def report(store: Store, clock: ManualClock, user: str, commitment_id: int) -> None:
    commitments.report_back(
        store,
        clock,
        team_id=TEAM,
        user_id=user,
        commitment_id=commitment_id,
        happened="It went well",
        learned="",
        share=False,
    )


def test_a_digest_for_a_meeting_that_no_longer_comes_is_dropped(
    store: Store, clock: ManualClock
) -> None:
    form(store, clock)
    sets.close_set(store, clock, caller(FRAN))

    sent = live_until(store, clock, RecordingMessenger(), MAR_MEETING)

    assert sent == []
    assert {r.status for r in rows(store, FACILITATOR_DIGEST).values()} == {OutboxStatus.CANCELLED}


# Weekly on Tuesdays through March 2027: Los Angeles springs forward on Sun 14 Mar and
# London on Sun 28 Mar, so for two weeks the two are seven hours apart instead of eight.
MARCH_TUESDAYS = Cadence.weekly(count=4)


@pytest.mark.parametrize(
    ("first_at", "member", "zone", "asked_at", "nudged_at"),
    [
        (
            datetime(2027, 3, 9, 10, tzinfo=UTC),  # 10:00 GMT: 02:00 or 03:00 in LA
            CARA,
            LOS_ANGELES,
            [
                "Sun 07 Mar 08:00 PST",
                "Sun 14 Mar 08:00 PDT",
                "Sun 21 Mar 08:00 PDT",
                "Sun 28 Mar 08:00 PDT",
            ],
            ["Mon 08 Mar 09:00 PST", "Mon 15 Mar 09:00 PDT"],
        ),
        (
            datetime(2027, 3, 9, 18, tzinfo=UTC),  # 18:00 GMT: 23:30 in Kolkata, then 22:30
            BEN,
            KOLKATA,
            [
                "Mon 08 Mar 08:00 IST",
                "Mon 15 Mar 08:00 IST",
                "Mon 22 Mar 08:00 IST",
                "Mon 29 Mar 08:00 IST",
            ],
            ["Mon 08 Mar 09:00 IST", "Mon 15 Mar 09:00 IST"],
        ),
    ],
    ids=["los-angeles", "kolkata"],
)
def test_private_messages_keep_to_waking_hours_across_the_march_clock_changes(
    store: Store,
    clock: ManualClock,
    first_at: datetime,
    member: str,
    zone: str,
    asked_at: list[str],
    nudged_at: list[str],
) -> None:
    form(store, clock, first_at=first_at, cadence=MARCH_TUESDAYS)
    clock.set(datetime(2027, 3, 1, 12, tzinfo=UTC))
    commitments.commit(store, clock, caller(member), text="Try it", due_on=date(2027, 3, 15))

    sent = live_until(store, clock, RecordingMessenger(), datetime(2027, 4, 1, tzinfo=UTC))

    theirs = [(at, n.message) for at, n in sent if n.user == member]
    assert [local(at, zone) for at, m in theirs if isinstance(m, MeetingPrepare)] == asked_at
    assert [local(at, zone) for at, m in theirs if not isinstance(m, MeetingPrepare)] == nudged_at
