"""A Set spread around the world meets in writing, over a week that crosses a clock change.

Fran (London) facilitates Asha (London), Noor (New York), Ben (Kolkata), Sid (Sydney) and
Lola (Los Angeles). On Monday 8 March 2027 she starts an asynchronous meeting: first
she asks for two working days with rounds one after another, which cannot give everyone
four waking hours in every phase, and is told the shortest window that would; then she
runs all five rounds side by side over a working week. New York and Los Angeles put
their clocks forward on Sunday 14 March, inside the window.

In Asha's round everyone asks a question, so the questions phase ends early; every
other phase closes by itself when its window does, through the outbox, dispatched as
the ticker would with a manual clock. Halfway through, a second process ticks at the
same instant and finds nothing to send again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.flows.outbox import dispatch_due
from bot.flows.phases import Phase
from bot.flows.windows import waking_time_inside
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingMode,
    OutboxMessage,
    OutboxStatus,
    PhaseMove,
    ReminderPreference,
    Round,
    RoundOutline,
    RoundPresence,
)
from bot.ui import async_rounds as async_ui
from bot.ui import new_set
from bot.ui import outlines as outline_ui
from bot.ui import rounds as rounds_ui

FRAN, ASHA, NOOR, BEN, SID, LOLA = "U0FRAN", "U0ASHA", "U0NOOR", "U0BEN", "U0SID", "U0LOLA"
PEOPLE = {
    FRAN: ("fran", "Europe/London"),
    ASHA: ("asha", "Europe/London"),
    NOOR: ("noor", "America/New_York"),
    BEN: ("ben", "Asia/Kolkata"),
    SID: ("sid", "Australia/Sydney"),
    LOLA: ("lola", "America/Los_Angeles"),
}
MEMBERS = [ASHA, NOOR, BEN, SID, LOLA]
LOBBY = "C0LOBBY"
MONDAY = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


@dataclass
class Ticker:
    """Dispatches the outbox at each due row, as every bot process's ticker would."""

    store: Store
    clock: ManualClock
    settings: Settings

    def run_until(self, until: datetime) -> None:
        while (due := self._next_due(until)) is not None:
            self.clock.set(max(due, self.clock.now()))
            dispatch_due(self.store, SlackMessenger(web_client(self.settings)), self.clock)
        self.clock.set(max(until, self.clock.now()))

    def _next_due(self, until: datetime) -> datetime | None:
        with self.store.session() as session:
            statement = select(OutboxMessage.due_at).where(
                OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= until
            )
            return session.exec(statement.order_by(col(OutboxMessage.due_at))).first()


@pytest.fixture
def ticker(store: Store, clock: ManualClock, settings: Settings) -> Ticker:
    return Ticker(store, clock, settings)


@pytest.fixture
def channel(slack: SlackEmulator, driver: SlackDriver, clock: ManualClock) -> str:
    """Fran forms the Set; its first meeting is on Monday 8 March."""
    for user, (name, zone) in PEOPLE.items():
        slack.add_user(user, name=name, tz=zone)
    clock.set(MONDAY - timedelta(days=30))
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    slack.wait_for("views.open")
    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "Around the world",
            new_set.THEME_BLOCK: "Leading remote teams",
            new_set.MEMBERS_BLOCK: MEMBERS,
            new_set.FIRST_DATE_BLOCK: "2027-03-08",
        },
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    clock.set(MONDAY)
    return str(welcome.args["channel"])


def start_in_writing(
    driver: SlackDriver, channel: str, *, days: int, side_by_side: bool
) -> dict[str, object]:
    driver.slash_command("/meeting", "start async", user_id=FRAN, channel_id=channel)
    running = async_ui.SIDE_BY_SIDE if side_by_side else async_ui.IN_TURN
    reply = driver.submit_form(
        async_ui.ASYNC_START_VIEW,
        user=FRAN,
        answers={async_ui.WINDOW_BLOCK: str(days), async_ui.RUNNING_BLOCK: running},
    )
    return reply.json or {}


def rounds_by_presenter(store: Store) -> dict[str, Round]:
    with store.session() as session:
        return {r.presenter_id: r for r in session.exec(select(Round))}


def test_a_week_in_writing_gives_everyone_their_waking_hours_in_every_phase(
    store: Store,
    slack: SlackEmulator,
    driver: SlackDriver,
    channel: str,
    ticker: Ticker,
    clock: ManualClock,
    settings: Settings,
) -> None:
    too_short = start_in_writing(driver, channel, days=2, side_by_side=False)
    error = too_short["errors"][async_ui.WINDOW_BLOCK]  # type: ignore[index]
    assert "2 working days is too short" in error and "The shortest window that works" in error
    with store.session() as session:
        assert session.exec(select(Meeting).where(Meeting.status == "open")).first() is None

    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}
    slack.wait_for("chat.postMessage", where=lambda c: "meeting in writing" in c.args["text"])
    rounds = rounds_by_presenter(store)
    assert sorted(rounds) == sorted(MEMBERS)
    assert all(r.phase == Phase.DESCRIBE and r.phase_due_at for r in rounds.values())

    # Asha describes her problem and hands over; everyone else asks a question.
    asha = rounds[ASHA]
    assert asha.thread_ts is not None
    driver.message(channel, "Our rota keeps falling apart.", user=ASHA, thread_ts=asha.thread_ts)
    prompt = slack.messages(channel, thread_ts=asha.thread_ts)[1]
    driver.block_action(rounds_ui.ROUND_NEXT, user=ASHA, channel=channel, message_ts=prompt.ts)
    assert rounds_by_presenter(store)[ASHA].phase == Phase.QUESTIONS
    for member in (NOOR, BEN, SID):
        driver.message(
            channel, "What have you tried so far?", user=member, thread_ts=asha.thread_ts
        )
    assert rounds_by_presenter(store)[ASHA].phase == Phase.QUESTIONS
    driver.message(channel, "Who else feels it most?", user=LOLA, thread_ts=asha.thread_ts)
    assert rounds_by_presenter(store)[ASHA].phase == Phase.IDEAS  # everyone asked: early

    # Halfway through the week a second process ticks at the same moment: nothing twice.
    ticker.run_until(MONDAY + timedelta(days=3))
    calls = len(slack.calls)
    again = dispatch_due(store, SlackMessenger(web_client(settings)), clock)
    assert again.sent == 0 and len(slack.calls) == calls

    ticker.run_until(MONDAY + timedelta(days=8))
    with store.session() as session:
        closed = session.exec(select(Round)).all()
        moves = session.exec(select(PhaseMove).where(col(PhaseMove.moved_by).is_(None))).all()
    assert all(r.phase == Phase.CLOSED for r in closed)
    # Every phase the clock closed held four waking hours for everyone, wherever they are.
    timed = [m for m in moves if m.from_phase != Phase.QUESTIONS or m.round_id != asha.id]
    assert timed
    for move in timed:
        assert move.from_started_at is not None and move.moved_at is not None
        assert move.moved_at == move.from_due_at, "moved on at the very end of its window"
        for _name, zone in PEOPLE.values():
            held = waking_time_inside(zone, move.from_started_at, move.moved_at)
            assert held >= timedelta(hours=4), (move, zone)
    # The thread reads as a meeting held in writing: each phase announced once, in order.
    said = [m.text for m in slack.messages(channel, thread_ts=rounds[NOOR].thread_ts)]
    titles = ["Describe the problem", "Questions", "Ideas", "Reflect and decide"]
    assert [t for t in titles if any(t in s for s in said)] == titles
    assert sum("end of" in s for s in said) == 1


def test_a_facilitator_can_take_back_a_move_for_two_minutes_only(
    store: Store,
    slack: SlackEmulator,
    driver: SlackDriver,
    channel: str,
    clock: ManualClock,
) -> None:
    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}
    noor = rounds_by_presenter(store)[NOOR]
    assert noor.thread_ts is not None
    prompt = slack.messages(channel, thread_ts=noor.thread_ts)[1]
    due_before = noor.phase_due_at

    driver.block_action(rounds_ui.ROUND_NEXT, user=FRAN, channel=channel, message_ts=prompt.ts)
    note = slack.wait_for("chat.postEphemeral", where=lambda c: "Moved on" in c.args["text"])
    assert note.args["user"] == FRAN
    with store.session() as session:
        move = session.exec(select(PhaseMove).where(PhaseMove.round_id == noor.id)).one()
    undo_ts = undo_note_in(slack, channel, noor.thread_ts)

    clock.advance(timedelta(seconds=90))
    driver.block_action(
        async_ui.UNDO_MOVE, user=FRAN, channel=channel, message_ts=undo_ts, value=str(move.id)
    )
    back = rounds_by_presenter(store)[NOOR]
    assert back.phase == Phase.DESCRIBE and back.phase_due_at == due_before
    with store.session() as session:
        pending = session.exec(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                col(OutboxMessage.dedupe_key).contains(f":round:{noor.id}:due:"),
            )
        ).all()
    assert pending == [f"set:{back_set(store)}:round:{noor.id}:due:describe"]

    driver.block_action(rounds_ui.ROUND_NEXT, user=FRAN, channel=channel, message_ts=prompt.ts)
    with store.session() as session:
        latest = session.exec(
            select(PhaseMove)
            .where(PhaseMove.round_id == noor.id)
            .order_by(col(PhaseMove.id).desc())
        ).first()
    assert latest is not None
    clock.advance(timedelta(minutes=3))
    driver.block_action(
        async_ui.UNDO_MOVE, user=FRAN, channel=channel, message_ts=undo_ts, value=str(latest.id)
    )
    assert rounds_by_presenter(store)[NOOR].phase == Phase.QUESTIONS  # too late
    assert any("Undo has run out" in c.args.get("text", "") for c in slack.calls)


def undo_note_in(slack: SlackEmulator, channel: str, thread_ts: str) -> str:
    """The facilitator's private note with the Undo button, the newest one in the thread."""
    notes = [
        m
        for m in slack.messages(channel, thread_ts=thread_ts)
        if async_ui.UNDO_MOVE in str(m.blocks)
    ]
    return notes[-1].ts


def back_set(store: Store) -> int:
    with store.session() as session:
        meeting = session.exec(select(Meeting).where(Meeting.mode == MeetingMode.ASYNC)).one()
        return meeting.set_id


def test_a_presenter_s_outline_opens_their_thread_and_is_then_forgotten(
    store: Store,
    slack: SlackEmulator,
    driver: SlackDriver,
    channel: str,
    ticker: Ticker,
    clock: ManualClock,
) -> None:
    clock.set(MONDAY - timedelta(days=3))
    ticker.run_until(MONDAY - timedelta(hours=1))
    [dm] = dms_of(slack, ASHA)
    asked = [m for m in slack.messages(dm) if m.text.startswith("What issue")][-1]

    driver.block_action(outline_ui.OUTLINE_OPEN, user=ASHA, channel=dm, message_ts=asked.ts)
    empty = driver.submit_form(
        outline_ui.OUTLINE_VIEW, user=ASHA, answers={outline_ui.OUTLINE_BLOCK: "   "}
    )
    assert outline_ui.OUTLINE_BLOCK in (empty.json or {}).get("errors", {})
    driver.block_action(outline_ui.OUTLINE_OPEN, user=ASHA, channel=dm, message_ts=asked.ts)
    driver.submit_form(
        outline_ui.OUTLINE_VIEW,
        user=ASHA,
        answers={outline_ui.OUTLINE_BLOCK: "Night shifts <!channel> keep swapping late."},
    )
    slack.wait_for("chat.postMessage", where=lambda c: "Saved privately" in str(c.args["blocks"]))

    clock.set(MONDAY)
    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}

    thread = rounds_by_presenter(store)[ASHA].thread_ts
    assert thread is not None
    first = slack.messages(channel, thread_ts=thread)[1]
    assert "prepared this outline" in str(first.blocks)
    assert "Night shifts &lt;!channel&gt; keep swapping late." in str(first.blocks)
    with store.session() as session:
        assert session.exec(select(RoundOutline)).all() == []


def dms_of(slack: SlackEmulator, user: str) -> list[str]:
    with slack.workspace() as ws:
        return [c.id for c in ws.channels.values() if c.is_im and user in c.members]


def test_someone_away_has_apologies_sent_and_no_round_opened_for_them(
    store: Store, slack: SlackEmulator, driver: SlackDriver, channel: str
) -> None:
    with store.session() as session:
        session.add(
            ReminderPreference(
                team_id=driver.team_id, user_id=LOLA, away_until=MONDAY.date() + timedelta(days=2)
            )
        )

    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}

    assert sorted(rounds_by_presenter(store)) == sorted([ASHA, NOOR, BEN, SID])
    with store.session() as session:
        lola = session.exec(select(Attendance).where(Attendance.user_id == LOLA)).one()
    assert lola.status == AttendanceStatus.APOLOGIES
    said = slack.wait_for(
        "chat.postMessage", where=lambda c: "meeting in writing" in c.args["text"]
    )
    assert "<@U0LOLA>" in str(said.args["blocks"])  # under "Sent apologies"


def test_fran_pauses_a_round_and_it_waits_with_the_time_it_had_left(
    store: Store,
    slack: SlackEmulator,
    driver: SlackDriver,
    channel: str,
    ticker: Ticker,
    clock: ManualClock,
) -> None:
    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}
    ben = rounds_by_presenter(store)[BEN]
    assert ben.thread_ts is not None and ben.phase_due_at is not None
    left = ben.phase_due_at - MONDAY

    refused = driver.block_action(
        rounds_ui.ROUND_WHO, user=ASHA, channel=channel, message_ts=ben.thread_ts
    )
    assert refused.status == 200
    assert not any("Contributed" in str(c.args) for c in slack.calls_to("chat.postEphemeral"))
    driver.block_action(rounds_ui.ROUND_WHO, user=FRAN, channel=channel, message_ts=ben.thread_ts)
    card = [m for m in slack.messages(channel) if async_ui.ROUND_PAUSE in str(m.blocks)][-1]
    driver.block_action(async_ui.ROUND_PAUSE, user=FRAN, channel=channel, message_ts=card.ts)
    assert "paused by the facilitator" in slack.messages(channel)[-1].text or any(
        "paused by the facilitator" in str(c.args) for c in slack.calls_to("chat.update")
    )

    ticker.run_until(MONDAY + timedelta(days=4))
    assert rounds_by_presenter(store)[BEN].phase == Phase.DESCRIBE  # the clock stood still

    driver.block_action(rounds_ui.ROUND_WHO, user=FRAN, channel=channel, message_ts=ben.thread_ts)
    card = [m for m in slack.messages(channel) if async_ui.ROUND_RESUME in str(m.blocks)][-1]
    driver.block_action(async_ui.ROUND_RESUME, user=FRAN, channel=channel, message_ts=card.ts)
    resumed = rounds_by_presenter(store)[BEN]
    assert resumed.phase_due_at == clock.now() + left
    ticker.run_until(clock.now() + left)
    assert rounds_by_presenter(store)[BEN].phase == Phase.QUESTIONS


def test_after_the_meeting_its_buttons_say_it_has_ended_and_change_nothing(
    store: Store, slack: SlackEmulator, driver: SlackDriver, channel: str
) -> None:
    assert start_in_writing(driver, channel, days=5, side_by_side=True) == {}
    sid = rounds_by_presenter(store)[SID]
    assert sid.thread_ts is not None
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)

    driver.block_action(rounds_ui.ROUND_SEEN, user=NOOR, channel=channel, message_ts=sid.thread_ts)

    said = slack.wait_for("response_url", where=lambda c: "has ended" in str(c.args))
    assert "nothing more to do" in str(said.args)
    with store.session() as session:
        assert session.exec(select(RoundPresence)).all() == []
