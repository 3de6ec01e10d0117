"""A Set's whole cycle of reminders, from `/set new` to the eve of its second meeting.

Fran forms New team leaders in January for Asha (London), Ben (Kolkata) and Cara (Los
Angeles); Slack fails to say where Fran is, so the Set's zone, London, stands in for hers.
The Set meets on the first Tuesday of the month at 10:00 London time. At the first
meeting Ben presents and commits to an action; then the clock moves on, and at every
step the outbox is dispatched as the ticker would, through the bot's real SlackMessenger
into the emulator. The story checks everything that arrived, in order: what, where, and
at what time on the reader's own clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.flows.outbox import DispatchReport, dispatch_due
from bot.sim import Call, SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Commitment, CommitmentStatus, Membership, OutboxMessage, OutboxStatus
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from bot.ui.reminders import SEND_APOLOGIES

FRAN, ASHA, BEN, CARA, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV"
PEOPLE = {
    FRAN: ("fran", "Europe/London"),
    ASHA: ("asha", "Europe/London"),
    BEN: ("ben", "Asia/Kolkata"),
    CARA: ("cara", "America/Los_Angeles"),
    DEV: ("dev", "Asia/Tokyo"),
}
SET_ZONE = "Europe/London"
LOBBY = "C0LOBBY"
FIRST_MEETING = datetime(2027, 2, 2, 10, tzinfo=UTC)  # Tue 2 Feb, 10:00 GMT
SECOND_DAY_BEFORE = datetime(2027, 3, 1, 10, tzinfo=UTC)  # Mon 1 Mar, 10:00 GMT
POSTS = ("chat.postMessage", "chat.postEphemeral")


@dataclass(frozen=True)
class Arrival:
    """One message Slack received from a dispatch: when, on the reader's clock; what; where."""

    local_time: str
    kind: str
    where: str


@dataclass
class Ticker:
    """Plays the ticker with a manual clock: dispatch at each due row, keep what arrived."""

    store: Store
    clock: ManualClock
    slack: SlackEmulator
    messenger: SlackMessenger
    arrived: list[Arrival] = field(default_factory=list)
    # Outbox rows already seen sent, so each dispatch accounts only for its own.
    seen: set[int] = field(default_factory=set)

    def run_until(self, until: datetime) -> None:
        """Step from one due row to the next up to `until`, then tick once at `until`."""
        while (due := self._next_due(until)) is not None:
            self.clock.set(max(due, self.clock.now()))
            self.dispatch()
        self.clock.set(max(until, self.clock.now()))
        self.dispatch()

    def dispatch(self) -> DispatchReport:
        self._kinds_sent_now()  # what a request sent itself (a meeting card) is not the ticker's
        before = len(self.slack.calls)
        report = dispatch_due(self.store, self.messenger, self.clock)
        posts = [c for c in self.slack.calls[before:] if c.method in POSTS]
        kinds = self._kinds_sent_now()
        assert len(posts) == len(kinds) == report.sent, (posts, kinds, report)
        self.arrived += [self._arrival(kind, post) for kind, post in zip(kinds, posts, strict=True)]
        return report

    def _next_due(self, until: datetime) -> datetime | None:
        with self.store.session() as session:
            statement = select(OutboxMessage.due_at).where(
                OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= until
            )
            return session.exec(statement.order_by(col(OutboxMessage.due_at))).first()

    def _kinds_sent_now(self) -> list[str]:
        """The kinds of the rows this dispatch sent, in the order it sent them."""
        with self.store.session() as session:
            statement = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
            ordered = statement.order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
            new = [row for row in session.exec(ordered) if row.id not in self.seen]
        self.seen |= {row.id for row in new if row.id is not None}
        return [row.kind for row in new]

    def _arrival(self, kind: str, post: Call) -> Arrival:
        where, reader = self._where(post)
        zone = PEOPLE[reader][1] if reader else SET_ZONE
        local = self.clock.now().astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")
        return Arrival(local, kind, where)

    def _where(self, post: Call) -> tuple[str, str | None]:
        """As a person would say it, and whose clock to read the time on (None: the Set's)."""
        with self.slack.workspace() as ws:
            channel = ws.channels[str(post.args["channel"])]
        if channel.is_im:
            [person] = [m for m in channel.members if m in PEOPLE]
            return f"DM @{PEOPLE[person][0]}", person
        where = f"#{channel.name}" + (" thread" if post.args.get("thread_ts") else "")
        only = post.args.get("user")
        if post.method == "chat.postEphemeral" and only:
            return f"{where}, only @{PEOPLE[only][0]}", only
        return where, None


@pytest.fixture
def people(slack: SlackEmulator) -> None:
    for user, (name, zone) in PEOPLE.items():
        slack.add_user(user, name=name, tz=zone)


@pytest.fixture
def ticker(store: Store, clock: ManualClock, slack: SlackEmulator, settings: Settings) -> Ticker:
    return Ticker(store, clock, slack, SlackMessenger(web_client(settings)))


def form_the_set(driver: SlackDriver, slack: SlackEmulator) -> str:
    """Fran fills in `/set new`; Slack can't describe her, so her zone stays unknown."""
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    slack.wait_for("views.open")
    slack.fail("users.info", error="user_not_found")  # the first look-up: Fran's
    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: [ASHA, BEN, CARA],
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    slack.wait_for("chat.postMessage", where=lambda c: "is ready in" in c.args["text"])
    return str(welcome.args["channel"])


def run_the_first_meeting(
    driver: SlackDriver, slack: SlackEmulator, ticker: Ticker, channel: str
) -> None:
    """Everyone comes; Ben presents, runs over his time, and commits to an action."""
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _newest(slack, channel, "under way")
    for member in (ASHA, BEN, CARA):
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card
        )
    ticker.run_until(at(10, 2))
    driver.slash_command("/round", "open <@U0BEN|ben>", user_id=FRAN, channel_id=channel)
    root = _newest(slack, channel, "<@U0BEN>'s round")
    ticker.run_until(at(10, 38))
    for _ in range(3):  # describe → questions → ideas → reflect and decide
        prompts = _in_thread(slack, channel, root, rounds_ui.ROUND_NEXT)
        driver.block_action(rounds_ui.ROUND_NEXT, user=FRAN, channel=channel, message_ts=prompts)
    ticker.run_until(at(10, 40))
    prompt = _in_thread(slack, channel, root, rounds_ui.COMMIT_ACTION)
    driver.block_action(rounds_ui.COMMIT_ACTION, user=BEN, channel=channel, message_ts=prompt)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=BEN,
        answers={actions_ui.TEXT_BLOCK: "Ask two peers how they plan rotas"},
    )
    slack.wait_for("chat.postMessage", where=lambda c: "committed to an action" in c.args["text"])
    ticker.run_until(at(10, 45))
    driver.slash_command("/round", "close", user_id=FRAN, channel_id=channel)
    ticker.run_until(at(12, 0))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: "has ended" in c.args["text"])


def at(hour: int, minute: int) -> datetime:
    """A time on the day of the first meeting (GMT, so also UTC)."""
    return FIRST_MEETING.replace(hour=hour, minute=minute)


def test_a_set_cycle_brings_each_reminder_once_in_order_at_each_readers_local_time(
    people: None,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
    ticker: Ticker,
) -> None:
    channel = form_the_set(driver, slack)
    welcome = _newest(slack, channel, "Welcome")
    for member in (ASHA, BEN):  # Cara hasn't agreed the ground rules yet
        driver.block_action(cards.AGREE_TO_RULES, user=member, channel=channel, message_ts=welcome)
    with store.session() as session:
        zones = {m.user_id: m.timezone for m in session.exec(select(Membership))}
    assert zones == {FRAN: None, ASHA: "Europe/London", BEN: "Asia/Kolkata", CARA: PEOPLE[CARA][1]}

    ticker.run_until(FIRST_MEETING)
    run_the_first_meeting(driver, slack, ticker, channel)
    ticker.run_until(SECOND_DAY_BEFORE)

    set_channel, thread = "#set-new-team-leaders", "#set-new-team-leaders thread"
    assert ticker.arrived == [
        # Two days before the first meeting, each member at their own hour.
        Arrival("Sun 31 Jan 10:00 GMT", "meeting_prepare", "DM @asha"),
        Arrival("Sun 31 Jan 15:30 IST", "meeting_prepare", "DM @ben"),
        Arrival("Sun 31 Jan 08:00 PST", "meeting_prepare", "DM @cara"),  # not 02:00
        Arrival("Mon 01 Feb 08:30 GMT", "facilitator_digest", "DM @fran"),
        Arrival("Mon 01 Feb 10:00 GMT", "meeting_reminder", set_channel),
        Arrival("Tue 02 Feb 09:00 GMT", "meeting_reminder", set_channel),
        # Ben's round: 35 minutes of the 105 shared by three presenters.
        Arrival("Tue 02 Feb 10:30 GMT", "round_time_note", thread),
        Arrival("Tue 02 Feb 10:37 GMT", "round_time_up", f"{thread}, only @fran"),
        # Ben's action is due the day before the next meeting; halfway is 13 days on.
        Arrival("Mon 15 Feb 09:00 IST", "commitment_nudge", "DM @ben"),
        Arrival("Sun 28 Feb 10:00 GMT", "meeting_prepare", "DM @asha"),
        Arrival("Sun 28 Feb 15:30 IST", "meeting_prepare", "DM @ben"),
        Arrival("Sun 28 Feb 08:00 PST", "meeting_prepare", "DM @cara"),
        Arrival("Mon 01 Mar 09:00 IST", "commitment_due", "DM @ben"),
        Arrival("Mon 01 Mar 08:30 GMT", "facilitator_digest", "DM @fran"),
        Arrival("Mon 01 Mar 10:00 GMT", "meeting_reminder", set_channel),
    ]
    _the_eve_of_the_second_meeting_reads_right(slack, channel)

    # A restarted process, ticking at the same instant, finds nothing left to send.
    calls = len(slack.calls)
    again = dispatch_due(store, SlackMessenger(web_client(settings)), clock)
    assert (again.sent, again.dropped, again.retried, again.failed) == (0, 0, 0, 0)
    assert len(slack.calls) == calls
    _ben_answers_from_his_prepare_message(driver, slack, store)


def test_someone_added_with_set_add_is_asked_at_their_own_hour(
    people: None, driver: SlackDriver, slack: SlackEmulator, store: Store, ticker: Ticker
) -> None:
    channel = form_the_set(driver, slack)

    driver.slash_command("/set", "add <@U0DEV|dev>", user_id=FRAN, channel_id=channel)
    slack.wait_for("conversations.invite", where=lambda c: c.args["users"] == DEV)
    ticker.run_until(datetime(2027, 2, 1, tzinfo=UTC))

    with store.session() as session:
        dev = session.exec(select(Membership).where(Membership.user_id == DEV)).one()
    assert dev.timezone == "Asia/Tokyo"
    # Ten on Sunday in London is seven in the evening in Tokyo: Dev is asked on Monday at eight.
    assert [a for a in ticker.arrived if a.where == "DM @dev"] == [
        Arrival("Mon 01 Feb 08:00 JST", "meeting_prepare", "DM @dev")
    ]


def _the_eve_of_the_second_meeting_reads_right(slack: SlackEmulator, channel: str) -> None:
    """Ben is asked about his action with its buttons; Fran and the channel hear he's due."""
    dms = {user: [m for c in _dms(slack, user) for m in slack.messages(c)] for user in (BEN, FRAN)}
    ben_prepare = [m for m in dms[BEN] if m.text.startswith("What issue")][-1]
    assert ben_prepare.text == (
        "What issue will you bring to New team leaders on Tue 2 Mar 2027, 15:30 (IST)?"
    )
    shown = str(ben_prepare.blocks)
    assert "Ask two peers how they plan rotas" in shown
    assert actions_ui.REPORT_BACK in shown and actions_ui.STILL_WORKING in shown
    digest = str(dms[FRAN][-1].blocks)
    assert "*Still to report back on an action:* <@U0BEN>" in digest
    assert "*Reported back since the last meeting:* no one" in digest
    assert "*Yet to agree the ground rules:* <@U0CARA>" in digest
    [*_, reminder] = [m for m in slack.messages(channel) if "meets tomorrow" in m.text]
    assert reminder.text.endswith("Tue 2 Mar 2027, 10:00 (GMT).")
    assert "*Reporting back:* <@U0BEN>." in str(reminder.blocks)


def _ben_answers_from_his_prepare_message(
    driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    """The buttons under his action work where they arrived, in the direct message."""
    [dm] = _dms(slack, BEN)
    asked = [m for m in slack.messages(dm) if m.text.startswith("What issue")][-1]

    driver.block_action(actions_ui.STILL_WORKING, user=BEN, channel=dm, message_ts=asked.ts)

    noted = slack.wait_for("response_url", where=lambda c: "still working" in c.args["text"])
    assert "Ask two peers how they plan rotas" in noted.args["text"]
    with store.session() as session:
        [action] = session.exec(select(Commitment)).all()
    assert action.status == CommitmentStatus.WORKING


def _dms(slack: SlackEmulator, user: str) -> list[str]:
    with slack.workspace() as ws:
        return [c.id for c in ws.channels.values() if c.is_im and user in c.members]


def _newest(slack: SlackEmulator, channel: str, words: str) -> str:
    """The ts of the newest top-level message in the channel with `words` in its text."""
    slack.wait_for("chat.postMessage", where=lambda c: words in c.args.get("text", ""))
    return [m.ts for m in slack.messages(channel) if words in m.text and not m.thread_ts][-1]


def _in_thread(slack: SlackEmulator, channel: str, root: str, action_id: str) -> str:
    """The ts of the newest message in the round's thread carrying the button `action_id`."""
    return [m.ts for m in slack.messages(channel, thread_ts=root) if action_id in str(m.blocks)][-1]


def test_a_member_who_cannot_come_says_so_from_the_prompt_and_is_left_out(
    people: None, driver: SlackDriver, slack: SlackEmulator, store: Store, ticker: Ticker
) -> None:
    form_the_set(driver, slack)
    ticker.run_until(datetime(2027, 1, 31, 12, tzinfo=UTC))
    [dm] = _dms(slack, ASHA)
    asked = [m for m in slack.messages(dm) if m.text.startswith("What issue")][-1]

    driver.block_action(SEND_APOLOGIES, user=ASHA, channel=dm, message_ts=asked.ts)

    noted = slack.wait_for("response_url", where=lambda c: "apologies" in str(c.args))
    assert "Tue 2 Feb 2027, 10:00 (GMT)" in noted.args["text"]
    ticker.run_until(datetime(2027, 2, 1, 9, tzinfo=UTC))
    digest = [m for m in slack.messages(_dms(slack, FRAN)[0]) if "where the Set stands" in m.text]
    assert "*Sent apologies:* <@U0ASHA>" in str(digest[-1].blocks)
