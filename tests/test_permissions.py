"""Who may do what: every command, button and modal, tried by everyone who might try it.

Two Sets meet in one workspace. Fran facilitates *New team leaders*, with Asha and Ben;
Owen facilitates *Finance leads*, with Olga; Nina belongs to no Set but can see the
leaders' channel. From another Slack workspace comes someone carrying Fran's own user id
(Enterprise Grid keeps one id across workspaces), pointing at the leaders' rows.

The tables below are the permissions, as data: for each command, button and modal, who
may (YES) and who is refused (NO). Each refusal must reach the person privately, in
plain words (beside the field, in a modal), and change nothing: every table's rows are
the same before and after, nothing is posted in a channel and no modal opens. Anyone
outside the Set never sees its confidential words, even where they are answered. Buttons
and modals carry ids, and ids are only pointers: each attempt carries this Set's real
ids, so a refusal proves the flow checked them against the store.

A command, button or modal added to the bot without a row here fails
`test_every_command_button_and_modal_has_a_row`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import commitments, ground_rules, learning_log, meetings, rounds, sets
from bot.flows.access import Caller, Refusal
from bot.flows.async_meetings import pause, start_async_meeting
from bot.flows.commands import CATALOGUE, Subcommand, parse
from bot.flows.schedule import Cadence
from bot.flows.sharing import Source, share
from bot.handlers.actions import BUTTONS
from bot.handlers.commands import ROUTES
from bot.handlers.views import VIEWS
from bot.sim import SlackDriver, SlackEmulator
from bot.sim.driver import FORM, Response
from bot.sim.forms import fill_in
from bot.sim.server import Call
from bot.sim.workspace import StoredView
from bot.store.db import Store
from bot.store.models import (
    AttendanceStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    OutboxMessage,
    Round,
    SeenEvent,
    SetStatus,
)
from bot.ui import async_rounds as async_ui
from bot.ui import commitments as actions_ui
from bot.ui import learning as learning_ui
from bot.ui import learning_log as log_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set, outlines, reflection, resources, schedule
from bot.ui import reminder_preferences as reminders_ui
from bot.ui import reminder_timing as timing_ui
from bot.ui import reminders as set_reminders_ui
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from bot.ui import sharing as sharing_ui
from bot.ui import time_agreement as time_ui
from tests.conftest import SIGNING_SECRET, RunningBot

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"
OWEN, OLGA = "U0OWEN", "U0OLGA"
NINA = "U0NINA"
TEAM, OTHER_TEAM = "T0SETBOT", "T0ELSEWHERE"
FIRST_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
SECOND_MEETING = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)

# Words only the leaders' Set may ever see: outsiders' answers are searched for them.
ACTION = "Ask my team to draft the rota with me"
LOG_WORDS = "PRIVATE-HERON the rota is a symptom"
CONFIDENTIAL = (ACTION, LOG_WORDS, "PRIVATE-HERON")


class Role(StrEnum):
    FACILITATOR = "facilitator of this Set"
    MEMBER = "member of this Set"
    OTHER_SET = "member of another Set"
    NON_MEMBER = "in no Set"
    OTHER_TEAM = "of another Slack team"


OUTSIDERS = (Role.OTHER_SET, Role.NON_MEMBER, Role.OTHER_TEAM)
YES, NO = True, False


@dataclass(frozen=True)
class Row:
    """Who may: one flag per role, in the order of `Role`."""

    facilitator: bool
    member: bool
    other_set: bool
    non_member: bool
    other_team: bool

    def allows(self, role: Role) -> bool:
        return {
            Role.FACILITATOR: self.facilitator,
            Role.MEMBER: self.member,
            Role.OTHER_SET: self.other_set,
            Role.NON_MEMBER: self.non_member,
            Role.OTHER_TEAM: self.other_team,
        }[role]


EVERYONE = Row(YES, YES, YES, YES, YES)
THE_SET = Row(YES, YES, NO, NO, NO)
FACILITATOR = Row(YES, NO, NO, NO, NO)
THE_MEMBER = Row(NO, YES, NO, NO, NO)
NOBODY = Row(NO, NO, NO, NO, NO)
IN_A_SET = Row(YES, YES, YES, NO, NO)


# -- the world -------------------------------------------------------------------------------


class Stage(StrEnum):
    """How far the leaders' Set has got when someone tries something."""

    BETWEEN = "between meetings"  # the first meeting held, the second not yet started
    LIVE = "meeting under way"  # the second meeting, Asha's round open in its thread
    IN_WRITING = "meeting in writing"  # the second meeting held in writing instead


@dataclass
class World:
    """The two Sets and the leaders' rows each attempt points at."""

    stage: Stage
    set_id: int
    channel: str
    other_set_id: int
    other_channel: str
    held_meeting: int  # the first meeting: ended, with reflection and learning prompts
    next_meeting: int  # the second meeting: scheduled, or under way at LIVE / IN_WRITING
    commitment: int  # Asha's open action
    reminder: int  # a nudge about it, owed to Asha
    log_entry: int  # Asha's learning-log entry from the first meeting, shared
    round_id: int = 0  # Asha's round in the second meeting
    later: dict[str, int] = field(default_factory=dict)  # rows a row's `prepare` made

    def caller(self, user: str) -> Caller:
        return Caller(team_id=TEAM, user_id=user, channel_id=self.channel)


def build_world(store: Store, clock: ManualClock, slack: SlackEmulator, stage: Stage) -> World:
    """Form both Sets in January, hold the first meeting, then go as far as `stage`."""
    for user, name in [(FRAN, "fran"), (ASHA, "asha"), (BEN, "ben"), (OWEN, "owen")]:
        slack.add_user(user, name=name)
    slack.add_user(OLGA, name="olga")
    slack.add_user(NINA, name="nina")
    # A public channel, so Nina can be in it: a Set may meet in a channel it was given.
    channel = slack.add_channel(
        "leaders", is_private=False, members=[slack.bot_user_id, FRAN, ASHA, BEN, NINA]
    )
    other_channel = slack.add_channel("finance", members=[slack.bot_user_id, OWEN, OLGA])
    set_id = _form(store, clock, channel, "New team leaders", FRAN, (ASHA, BEN))
    other_set_id = _form(store, clock, other_channel, "Finance leads", OWEN, (OLGA,))
    world = World(
        stage=stage,
        set_id=set_id,
        channel=channel,
        other_set_id=other_set_id,
        other_channel=other_channel,
        held_meeting=0,
        next_meeting=0,
        commitment=0,
        reminder=0,
        log_entry=0,
    )
    for user in (FRAN, ASHA, BEN):
        ground_rules.agree(store, clock, world.caller(user), set_id=set_id)

    action = commitments.commit(
        store, clock, world.caller(ASHA), set_id=set_id, text=ACTION, due_on=None
    )
    world.commitment = action.commitment_id
    with store.session() as session:
        owed = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.target == ASHA, OutboxMessage.kind == commitments.HALFWAY_KIND
            )
        ).first()
        assert owed is not None and owed.id is not None, "Asha's action owes her a nudge"
        world.reminder = owed.id

    clock.set(FIRST_MEETING)
    card = meetings.start_meeting(store, clock, world.caller(FRAN))
    world.held_meeting = card.meeting_id
    for user in (ASHA, BEN):
        meetings.check_in(
            store,
            clock,
            team_id=TEAM,
            meeting_id=card.meeting_id,
            user_id=user,
            status=AttendanceStatus.PRESENT,
        )
    meetings.end_meeting(store, clock, world.caller(FRAN))
    saved = learning_log.write_entry(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        meeting_id=card.meeting_id,
        about_issue=LOG_WORDS,
        about_learning="I learn by asking",
        tag=None,
    )
    world.log_entry = saved.entry_id
    share(
        store,
        team_id=TEAM,
        user_id=ASHA,
        source=Source.LOG,
        item_id=saved.entry_id,
        tag=None,
        names={},
    )

    clock.set(SECOND_MEETING)
    with store.session() as session:
        upcoming = session.exec(
            select(Meeting)
            .where(Meeting.set_id == set_id, Meeting.status == MeetingStatus.SCHEDULED)
            .order_by(Meeting.scheduled_at)  # type: ignore[arg-type]
        ).first()
        assert upcoming is not None and upcoming.id is not None
        world.next_meeting = upcoming.id
    if stage == Stage.LIVE:
        meetings.start_meeting(store, clock, world.caller(FRAN))
        _check_in(store, clock, world, world.next_meeting)
        opened = rounds.open_round(store, clock, world.caller(FRAN), presenter=ASHA)
        world.round_id = opened.round_id
    elif stage == Stage.IN_WRITING:
        started = start_async_meeting(
            store, clock, world.caller(FRAN), window_days=5, side_by_side=True
        )
        world.round_id = next(v.round_id for v in started.opened if v.presenter == ASHA)
    if world.round_id:
        # The round's root message, as the bot would have posted it: its thread is the round.
        root = slack.add_message(channel, "Asha's round", user=slack.bot_user_id)
        rounds.set_round_thread(store, team_id=TEAM, round_id=world.round_id, thread_ts=root)
    slack.reset_calls()
    return world


def _form(
    store: Store,
    clock: ManualClock,
    channel: str,
    name: str,
    facilitator: str,
    members: tuple[str, ...],
) -> int:
    formed = sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=facilitator,
        channel_id=channel,
        draft=sets.SetDraft(
            name=name,
            theme="Leading through change",
            facilitators=(facilitator,),
            members=members,
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=6),
            first_at=FIRST_MEETING,
            timezone="Europe/London",
        ),
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


def _check_in(store: Store, clock: ManualClock, world: World, meeting_id: int) -> None:
    for user in (ASHA, BEN):
        meetings.check_in(
            store,
            clock,
            team_id=TEAM,
            meeting_id=meeting_id,
            user_id=user,
            status=AttendanceStatus.PRESENT,
        )


# -- the permissions, as data ----------------------------------------------------------------

Value = Callable[[World, Store], str]
Prepare = Callable[[World, Store, ManualClock], None]
# What an allowed person does to open a modal, so the others can submit what they saw.
Opener = Callable[[SlackDriver, World, Store], None]


@dataclass(frozen=True)
class Command:
    """Who may run a slash command, typed in the leaders' channel with `args`."""

    who: Row
    args: str = ""
    stage: Stage = Stage.LIVE
    prepare: Prepare | None = None


@dataclass(frozen=True)
class Button:
    """Who may press a button whose value (a pointer at the leaders' rows) is `value`."""

    who: Row
    value: Value
    stage: Stage = Stage.LIVE
    prepare: Prepare | None = None


@dataclass(frozen=True)
class Modal:
    """Who may submit a modal as `opener` filled it in (or with `metadata`, if it has no fields)."""

    who: Row
    opener: Opener | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    metadata: Callable[[World], dict[str, Any]] | None = None
    stage: Stage = Stage.LIVE


def _round_closed(world: World, store: Store, clock: ManualClock) -> None:
    """Asha's round is over, so the facilitator may open the next one."""
    rounds.close_round(store, clock, world.caller(FRAN), round_id=world.round_id)


def _paused(world: World, store: Store, clock: ManualClock) -> None:
    pause(store, clock, world.caller(FRAN), round_id=world.round_id)


def _moved_on(world: World, store: Store, clock: ManualClock) -> None:
    """Fran moves Asha's round on: for a minute or two she may undo it."""
    change = rounds.advance(
        store, clock, world.caller(FRAN), round_id=world.round_id, from_phase=None
    )
    assert change.move_id is not None
    world.later["move"] = change.move_id


def _the_set(world: World, _store: Store) -> str:
    return str(world.set_id)


def _next_meeting(world: World, _store: Store) -> str:
    return str(world.next_meeting)


def _held_meeting(world: World, _store: Store) -> str:
    return str(world.held_meeting)


def _the_round(world: World, _store: Store) -> str:
    return str(world.round_id)


def _round_as_shown(world: World, store: Store) -> str:
    """The next button as the round's root shows it now: its round and current phase."""
    with store.session() as session:
        found = session.get(Round, world.round_id)
        assert found is not None
        return json.dumps({"round": world.round_id, "from": str(found.phase)})


def _the_action(world: World, _store: Store) -> str:
    return str(world.commitment)


def _the_reminder(world: World, _store: Store) -> str:
    return str(world.reminder)


def _the_shared_entry(world: World, _store: Store) -> str:
    return sharing_ui.item_value(Source.LOG, world.log_entry)


def _the_move(world: World, _store: Store) -> str:
    return str(world.later["move"])


def _no_pointer(_world: World, _store: Store) -> str:
    """A button that names no row: it acts for whoever pressed it."""
    return ""


def _command(command: str, text: str, user: str) -> Opener:
    def opener(driver: SlackDriver, world: World, _store: Store) -> None:
        driver.slash_command(command, text, user_id=user, channel_id=world.channel)

    return opener


def _press(action_id: str, value: Value, user: str) -> Opener:
    def opener(driver: SlackDriver, world: World, store: Store) -> None:
        driver.block_action(action_id, user=user, channel=world.channel, value=value(world, store))

    return opener


MENTION_BEN = f"<@{BEN}|ben>"

#                                  the facilitator, a member, another Set's facilitator,
#                                  someone in no Set, someone of another Slack team
COMMANDS: dict[str, Command] = {
    # Elsewhere a bare `/set` lists your own Sets: the other team's Fran has none there.
    "/set": Command(Row(YES, YES, NO, NO, YES)),
    "/set new": Command(EVERYONE),
    "/set rules": Command(THE_SET),
    "/set schedule": Command(THE_SET),
    "/set calendar": Command(THE_SET),
    "/set timing": Command(FACILITATOR),
    "/set add": Command(FACILITATOR, f"<@{NINA}|nina>"),
    "/set remove": Command(FACILITATOR, MENTION_BEN),
    "/set facilitator": Command(FACILITATOR, MENTION_BEN),
    "/set close": Command(FACILITATOR),
    "/set learning": Command(FACILITATOR),
    "/set ideas": Command(FACILITATOR, "off"),
    "/set resources": Command(THE_SET),
    "/set resource": Command(FACILITATOR, "add"),
    # Your own reminders, once you are in any Set.
    "/set reminders": Command(IN_A_SET),
    # Not during a meeting; a Set's only facilitator hands over first; outsiders hear
    # there is nothing of theirs to forget.
    "/set forget-me": Command(THE_MEMBER, stage=Stage.BETWEEN),
    "/set org-report": Command(NOBODY),
    "/set org-lead": Command(NOBODY, MENTION_BEN),
    "/set org-leads": Command(NOBODY),
    "/set help": Command(EVERYONE),
    "/meeting start": Command(FACILITATOR, stage=Stage.BETWEEN),
    "/meeting end": Command(FACILITATOR),
    "/meeting stats": Command(FACILITATOR),
    "/meeting help": Command(EVERYONE),
    "/round open": Command(FACILITATOR, MENTION_BEN, prepare=_round_closed),
    # Asha presents: the presenter may hand over from the phases where she is speaking.
    "/round next": Command(THE_SET),
    "/round close": Command(FACILITATOR),
    "/round signpost": Command(FACILITATOR),
    "/round help": Command(EVERYONE),
    "/action": Command(EVERYONE),
    "/action new": Command(THE_SET),
    "/action help": Command(EVERYONE),
}

BUTTON_ROWS: dict[str, Button] = {
    outlines.OUTLINE_OPEN: Button(THE_SET, _next_meeting, Stage.BETWEEN),
    log_ui.LOG_WRITE: Button(THE_MEMBER, _held_meeting),
    sharing_ui.WITHHOLD: Button(FACILITATOR, _the_shared_entry),
    rounds_ui.ROUND_SEEN: Button(THE_SET, _the_round, Stage.IN_WRITING),
    rounds_ui.ROUND_WHO: Button(FACILITATOR, _the_round, Stage.IN_WRITING),
    async_ui.ROUND_EXTEND: Button(FACILITATOR, _the_round, Stage.IN_WRITING),
    async_ui.ROUND_PAUSE: Button(FACILITATOR, _the_round, Stage.IN_WRITING),
    async_ui.ROUND_RESUME: Button(FACILITATOR, _the_round, Stage.IN_WRITING, _paused),
    async_ui.UNDO_MOVE: Button(FACILITATOR, _the_move, prepare=_moved_on),
    set_reminders_ui.SEND_APOLOGIES: Button(THE_SET, _next_meeting, Stage.BETWEEN),
    reminders_ui.OPEN_REMINDERS: Button(IN_A_SET, _no_pointer),
    reminders_ui.NOT_NOW: Button(THE_MEMBER, _the_reminder),
    reminders_ui.STOP_THESE: Button(THE_MEMBER, _the_reminder),
    rounds_ui.QUESTION_IDEAS: Button(THE_SET, _the_round),
    rounds_ui.SIGNPOST: Button(FACILITATOR, _the_round),
    learning_ui.FORGET_CONFIRM: Button(THE_MEMBER, _the_set, Stage.BETWEEN),
    set_reminders_ui.SET_EXTEND: Button(FACILITATOR, _the_set),
    set_reminders_ui.SET_CLOSE_ASK: Button(FACILITATOR, _the_set),
    rounds_ui.ROUND_NEXT: Button(THE_SET, _round_as_shown),
    rounds_ui.COMMIT_ACTION: Button(THE_MEMBER, _the_round),
    actions_ui.REPORT_BACK: Button(THE_MEMBER, _the_action),
    actions_ui.STILL_WORKING: Button(THE_MEMBER, _the_action),
    actions_ui.DROP_ACTION: Button(THE_MEMBER, _the_action),
    # Members who were there reflect on the process; the facilitator reads what they say.
    reflection.REFLECT: Button(THE_MEMBER, _held_meeting),
    reflection.REFLECTION_ANSWERS: Button(FACILITATOR, _held_meeting),
    meeting_ui.CHECK_IN_PRESENT: Button(THE_SET, _next_meeting),
    meeting_ui.CHECK_IN_APOLOGIES: Button(THE_SET, _next_meeting),
    meeting_ui.REORDER: Button(FACILITATOR, _next_meeting),
    meeting_ui.ADJUST_TIME: Button(FACILITATOR, _next_meeting),
    schedule.MOVE_MEETING: Button(FACILITATOR, _next_meeting, Stage.BETWEEN),
    schedule.SKIP_MEETING: Button(FACILITATOR, _next_meeting, Stage.BETWEEN),
    cards.AGREE_TO_RULES: Button(THE_SET, _the_set),
    cards.EDIT_RULES: Button(FACILITATOR, _the_set),
    cards.CONFIRM_CLOSE: Button(FACILITATOR, _the_set),
}

MODAL_ROWS: dict[str, Modal] = {
    # Anyone in the Set may draft what they would bring: the draft is theirs alone.
    outlines.OUTLINE_VIEW: Modal(
        THE_SET,
        _press(outlines.OUTLINE_OPEN, _next_meeting, ASHA),
        {outlines.OUTLINE_BLOCK: "My team resists the new rota"},
        stage=Stage.BETWEEN,
    ),
    async_ui.ASYNC_START_VIEW: Modal(
        FACILITATOR, _command("/meeting", "start async", FRAN), stage=Stage.BETWEEN
    ),
    log_ui.LOG_VIEW: Modal(
        THE_MEMBER,
        _press(log_ui.LOG_WRITE, _held_meeting, ASHA),
        {log_ui.ISSUE_BLOCK: "The rota again", log_ui.LEARNING_BLOCK: "Asking works"},
    ),
    sharing_ui.SHARE_VIEW: Modal(
        THE_MEMBER,
        metadata=lambda world: {
            "channel": world.channel,
            "item": sharing_ui.item_value(Source.LOG, world.log_entry),
            "tag": None,
        },
    ),
    sharing_ui.WITHHOLD_VIEW: Modal(
        FACILITATOR,
        _press(sharing_ui.WITHHOLD, _the_shared_entry, FRAN),
        {sharing_ui.REASON_BLOCK: "It names a client"},
    ),
    timing_ui.TIMING_VIEW: Modal(FACILITATOR, _command("/set", "timing", FRAN)),
    reminders_ui.REMINDERS_VIEW: Modal(IN_A_SET, _command("/set", "reminders", ASHA)),
    actions_ui.COMMIT_VIEW: Modal(
        THE_MEMBER,
        _press(rounds_ui.COMMIT_ACTION, _the_round, ASHA),
        {actions_ui.TEXT_BLOCK: "Share the rota draft on Friday"},
    ),
    actions_ui.REPORT_VIEW: Modal(
        THE_MEMBER,
        _press(actions_ui.REPORT_BACK, _the_action, ASHA),
        {actions_ui.HAPPENED_BLOCK: "They drafted it", actions_ui.LEARNED_BLOCK: "Ask first"},
    ),
    actions_ui.DROP_VIEW: Modal(
        THE_MEMBER,
        _press(actions_ui.DROP_ACTION, _the_action, ASHA),
        {actions_ui.REASON_BLOCK: "The rota was scrapped"},
    ),
    reflection.REFLECT_VIEW: Modal(
        THE_MEMBER, _press(reflection.REFLECT, _held_meeting, ASHA), {reflection.SCORE_BLOCK: "4"}
    ),
    meeting_ui.REORDER_VIEW: Modal(FACILITATOR, _press(meeting_ui.REORDER, _next_meeting, FRAN)),
    time_ui.TIME_VIEW: Modal(FACILITATOR, _press(meeting_ui.ADJUST_TIME, _next_meeting, FRAN)),
    cards.RULES_VIEW: Modal(FACILITATOR, _press(cards.EDIT_RULES, _the_set, FRAN)),
    new_set.NEW_SET_VIEW: Modal(
        EVERYONE,
        _command("/set", "new", FRAN),
        {
            new_set.NAME_BLOCK: "Second leaders",
            new_set.THEME_BLOCK: "Change",
            new_set.MEMBERS_BLOCK: [BEN],
            new_set.FIRST_DATE_BLOCK: "2027-04-06",
        },
    ),
    schedule.MOVE_VIEW: Modal(
        FACILITATOR,
        _press(schedule.MOVE_MEETING, _next_meeting, FRAN),
        {schedule.MOVE_DATE_BLOCK: "2027-03-09", schedule.MOVE_TIME_BLOCK: "14:00"},
        stage=Stage.BETWEEN,
    ),
    resources.ADD_VIEW: Modal(
        FACILITATOR,
        _command("/set", "resource add", FRAN),
        {resources.TITLE_BLOCK: "Rotas together", resources.LINK_BLOCK: "https://example.org/r"},
    ),
    resources.SIGNPOST_VIEW: Modal(
        FACILITATOR,
        _command("/round", "signpost", FRAN),
        {resources.TITLE_BLOCK: "Rotas together", resources.LINK_BLOCK: "https://example.org/r"},
    ),
}


# -- trying it as everyone -------------------------------------------------------------------

# Reads that change nothing anyone can see: looking people up, a DM's id, a Home refreshed.
QUIET_METHODS = frozenset(
    {"auth.test", "users.info", "users.list", "conversations.info", "conversations.open"}
)
# Delivery bookkeeping (bot.handlers.retries) notes every request, refused or not.
NOT_STATE = frozenset({SeenEvent.__tablename__, "alembic_version"})


@dataclass(frozen=True)
class Actor:
    role: Role
    user: str
    driver: SlackDriver


@dataclass
class Outcome:
    """What one attempt did, as the person and everyone else would see it."""

    refusals: list[str]  # the refusals the flows raised, in the person's words
    private: list[str]  # what reached the person alone: ack, response_url, DM, modal errors
    public: list[str]  # anything else: channel posts, modals opened, files, updates
    failures: list[str]  # listeners that failed instead of answering


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Refusal raised while the test runs, as the words it carries."""
    raised: list[str] = []
    original = Refusal.__init__

    def recording(self: Refusal, template: str, **names: str) -> None:
        original(self, template, **names)
        raised.append(template.format(**names))

    monkeypatch.setattr(Refusal, "__init__", recording)
    return raised


@pytest.fixture
def actors(driver: SlackDriver, bot: RunningBot, slack: SlackEmulator) -> dict[Role, Actor]:
    """Everyone who might try: the other team's person claims Fran's own user id."""
    elsewhere = SlackDriver(
        url=bot.events_url, signing_secret=SIGNING_SECRET, emulator=slack, team_id=OTHER_TEAM
    )
    return {
        Role.FACILITATOR: Actor(Role.FACILITATOR, FRAN, driver),
        Role.MEMBER: Actor(Role.MEMBER, ASHA, driver),
        Role.OTHER_SET: Actor(Role.OTHER_SET, OWEN, driver),
        Role.NON_MEMBER: Actor(Role.NON_MEMBER, NINA, driver),
        Role.OTHER_TEAM: Actor(Role.OTHER_TEAM, FRAN, elsewhere),
    }


@dataclass
class Trial:
    """One row tried by every role: the refused first, so the allowed find the world intact."""

    store: Store
    slack: SlackEmulator
    refusals: list[str]
    caplog: pytest.LogCaptureFixture
    actors: dict[Role, Actor]
    problems: list[str] = field(default_factory=list)

    def run(self, who: Row, attempt: Callable[[Actor], Response]) -> None:
        for role in sorted(Role, key=lambda role: who.allows(role)):
            self.try_as(self.actors[role], attempt, allowed=who.allows(role))

    def try_as(self, actor: Actor, attempt: Callable[[Actor], Response], *, allowed: bool) -> None:
        before = snapshot(self.store)
        outcome = self.observe(actor, attempt)
        if allowed:
            self.expect_allowed(actor.role, outcome)
        else:
            self.expect_refused(actor.role, outcome, before)
        if actor.role in OUTSIDERS:
            self.expect_no_pointer_confidential(actor.role, outcome)

    def observe(self, actor: Actor, attempt: Callable[[Actor], Response]) -> Outcome:
        calls_before, logs_before = len(self.slack.calls), len(self.caplog.records)
        self.refusals.clear()
        response = attempt(actor)
        outcome = Outcome(
            refusals=list(self.refusals),
            private=[],
            public=[],
            failures=[
                record.getMessage()
                for record in self.caplog.records[logs_before:]
                if record.levelno >= logging.ERROR
            ],
        )
        if response.status != 200:
            outcome.failures.append(f"HTTP {response.status}: {response.body[:200]}")
        answer = response.json or {}
        if answer.get("response_type") == "ephemeral":
            outcome.private.append(str(answer.get("text", "")) + str(answer.get("blocks", "")))
        elif answer.get("text") or answer.get("blocks"):
            outcome.public.append(f"an ack for the whole channel: {answer}")
        if answer.get("response_action") == "errors":
            outcome.private.extend(str(error) for error in answer.get("errors", {}).values())
        for call in self.slack.calls[calls_before:]:
            self.sort_call(actor, call, outcome)
        return outcome

    def sort_call(self, actor: Actor, call: Call, outcome: Outcome) -> None:
        said = f"{call.args.get('text', '')} {call.args.get('blocks', '')}"
        if call.method in QUIET_METHODS:
            return
        if call.method == "views.publish" and call.args.get("user_id") == actor.user:
            return
        ephemeral = call.method == "response_url" and call.args.get("response_type") == "ephemeral"
        to_them = call.method == "chat.postEphemeral" and call.args.get("user") == actor.user
        in_their_dm = call.method == "chat.postMessage" and self.is_dm_with(
            call.args["channel"], actor
        )
        if ephemeral or to_them or in_their_dm:
            outcome.private.append(said)
        else:
            outcome.public.append(f"{call.method} {call.args}"[:300])

    def is_dm_with(self, channel: str, actor: Actor) -> bool:
        with self.slack.workspace() as ws:
            found = ws.channels.get(channel)
            return found is not None and found.is_im and actor.user in found.members

    def expect_allowed(self, role: Role, outcome: Outcome) -> None:
        if outcome.refusals or outcome.failures:
            self.problems.append(
                f"{role} should be allowed, but: {outcome.refusals or outcome.failures}"
            )

    def expect_refused(self, role: Role, outcome: Outcome, before: Snapshot) -> None:
        if outcome.failures:
            self.problems.append(f"{role}: the listener failed instead of refusing: {outcome}")
            return
        if not outcome.refusals:
            self.problems.append(f"{role} should be refused, but was allowed: {outcome}")
            return
        words = _plain(outcome.refusals[0])[:40]
        if not any(words in _plain(said) for said in outcome.private):
            self.problems.append(f"{role} was refused but not told privately: {outcome}")
        if outcome.public:
            self.problems.append(f"{role} was refused, yet others saw: {outcome.public}")
        changed = changes(before, snapshot(self.store))
        if changed:
            self.problems.append(f"{role} was refused, yet the store changed: {changed}")

    def expect_no_pointer_confidential(self, role: Role, outcome: Outcome) -> None:
        for said in outcome.private:
            leaked = [words for words in CONFIDENTIAL if words in said]
            if leaked:
                self.problems.append(f"{role} was shown the Set's confidential words {leaked}")

    def verdict(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def _plain(words: str) -> str:
    """Refusals read the same in mrkdwn, plain modal text and Block Kit: compare the words."""
    return " ".join(words.replace("*", "").replace("\\n", " ").split())


Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(store: Store) -> Snapshot:
    """Every row of every table the bot keeps, in a stable order."""
    found: Snapshot = {}
    with store.engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            if table in NOT_STATE:
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


def changes(before: Snapshot, after: Snapshot) -> dict[str, str]:
    return {
        table: f"{len(before.get(table, []))} rows → {len(rows)} rows"
        for table, rows in after.items()
        if rows != before.get(table, [])
    }


@pytest.fixture
def trial(
    store: Store,
    slack: SlackEmulator,
    refusals: list[str],
    caplog: pytest.LogCaptureFixture,
    actors: dict[Role, Actor],
) -> Trial:
    caplog.set_level(logging.ERROR)
    return Trial(store, slack, refusals, caplog, actors)


# -- the tests -------------------------------------------------------------------------------


def test_every_command_button_and_modal_has_a_row() -> None:
    """A new command, button or modal must say here who may use it before it ships."""
    routed = {_usage(s) for s in CATALOGUE}
    assert routed == set(COMMANDS), "every catalogued command has a row, and no other"
    for subcommand in CATALOGUE:
        invocation = parse(subcommand.command, subcommand.name)
        assert (invocation.command, invocation.name) in ROUTES, f"{_usage(subcommand)} routes"
    catalogued = {(s.command, parse(s.command, s.name).name) for s in CATALOGUE}
    assert set(ROUTES) <= catalogued, "every route is in the catalogue, so it has a row"
    assert set(BUTTONS) == set(BUTTON_ROWS), "every button has a row, and no other"
    assert set(VIEWS) == set(MODAL_ROWS), "every modal has a row, and no other"


def _usage(subcommand: Subcommand) -> str:
    return " ".join(part for part in (subcommand.command, subcommand.name) if part)


@pytest.fixture
def at_stage(
    store: Store, clock: ManualClock, slack: SlackEmulator
) -> Callable[[Stage, Prepare | None], World]:
    def build(stage: Stage, prepare: Prepare | None) -> World:
        world = build_world(store, clock, slack, stage)
        if prepare is not None:
            prepare(world, store, clock)
        return world

    return build


# The permissions live in the flows, not in SQL: the matrix and the forged pointers run
# on SQLite only, keeping the file well inside its time budget (both stores would double
# it); the signature forgeries run on PostgreSQL too.
ON_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@ON_SQLITE
@pytest.mark.parametrize("usage", sorted(COMMANDS))
def test_who_may_run_each_command(
    usage: str, trial: Trial, at_stage: Callable[[Stage, Prepare | None], World]
) -> None:
    row = COMMANDS[usage]
    world = at_stage(row.stage, row.prepare)
    command, _, name = usage.partition(" ")
    typed = f"{name} {row.args}".strip()

    trial.run(
        row.who,
        lambda actor: actor.driver.slash_command(
            command, typed, user_id=actor.user, channel_id=world.channel
        ),
    )

    trial.verdict()


@ON_SQLITE
@pytest.mark.parametrize("action_id", sorted(BUTTON_ROWS))
def test_who_may_press_each_button(
    action_id: str,
    trial: Trial,
    store: Store,
    at_stage: Callable[[Stage, Prepare | None], World],
) -> None:
    row = BUTTON_ROWS[action_id]
    world = at_stage(row.stage, row.prepare)

    trial.run(
        row.who,
        lambda actor: actor.driver.block_action(
            action_id, user=actor.user, channel=world.channel, value=row.value(world, store)
        ),
    )

    trial.verdict()


@ON_SQLITE
@pytest.mark.parametrize("callback_id", sorted(MODAL_ROWS))
def test_who_may_submit_each_modal(
    callback_id: str,
    trial: Trial,
    store: Store,
    slack: SlackEmulator,
    driver: SlackDriver,
    at_stage: Callable[[Stage, Prepare | None], World],
) -> None:
    row = MODAL_ROWS[callback_id]
    world = at_stage(row.stage, None)
    if row.opener is not None:
        row.opener(driver, world, store)
        slack.wait_for("views.open", where=lambda c: _callback(c) == callback_id)
        with slack.workspace() as ws:
            shown = [v.payload for v in ws.views.values() if _callback_of(v) == callback_id][-1]
        values = fill_in(shown, row.answers)
    else:
        assert row.metadata is not None, "a modal without fields names what it is about"
        shown = {"type": "modal", "callback_id": callback_id, "blocks": []}
        shown["private_metadata"] = json.dumps(row.metadata(world))
        values = {}

    def submit(actor: Actor) -> Response:
        """The actor submits the very modal the opener was shown, as if it were open for them."""
        with slack.workspace() as ws:
            copy = ws.new_id("V")
            ws.views[copy] = StoredView(copy, actor.user, {**shown, "id": copy}, world.channel)
        return actor.driver.view_submission(
            callback_id, user=actor.user, values=values, view_id=copy
        )

    trial.run(row.who, submit)

    trial.verdict()


def _callback_of(stored: StoredView) -> str:
    return str(stored.payload.get("callback_id", ""))


def _callback(call: Call) -> str:
    view = call.args.get("view") or {}
    return str(view.get("callback_id", "")) if isinstance(view, dict) else ""


# -- forgeries -------------------------------------------------------------------------------

# Buttons whose value names the leaders' rows (the others act on the channel they are in).
POINTERS = sorted(
    action_id
    for action_id, row in BUTTON_ROWS.items()
    if row.value is not _no_pointer
    and action_id not in (rounds_ui.QUESTION_IDEAS, rounds_ui.SIGNPOST, cards.EDIT_RULES)
)


@ON_SQLITE
@pytest.mark.parametrize("action_id", POINTERS)
def test_a_button_pressed_in_another_sets_channel_cannot_reach_this_sets_rows(
    action_id: str,
    trial: Trial,
    store: Store,
    actors: dict[Role, Actor],
    at_stage: Callable[[Stage, Prepare | None], World],
) -> None:
    """Owen, in his own Set's channel, presses a button whose value names the leaders' rows."""
    row = BUTTON_ROWS[action_id]
    world = at_stage(row.stage, row.prepare)

    trial.try_as(
        actors[Role.OTHER_SET],
        lambda actor: actor.driver.block_action(
            action_id, user=actor.user, channel=world.other_channel, value=row.value(world, store)
        ),
        allowed=False,
    )

    trial.verdict()


def _close_the_set(world: World, *, user: str, team: str) -> dict[str, Any]:
    """A click on "Close the Set" as Slack would send it for `user` of `team`."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "team": {"id": team, "domain": "leaders"},
        "api_app_id": "A0SETBOT",
        "trigger_id": f"forged.{user}.{team}",
        "container": {"type": "message", "channel_id": world.channel},
        "channel": {"id": world.channel},
        "actions": [
            {
                "type": "button",
                "action_id": cards.CONFIRM_CLOSE,
                "block_id": "close",
                "value": str(world.set_id),
                "action_ts": "1801000000.000200",
            }
        ],
    }


@pytest.mark.parametrize(
    ("signed_for", "sent_as"),
    [
        ((ASHA, TEAM), (FRAN, TEAM)),
        ((FRAN, OTHER_TEAM), (FRAN, TEAM)),
    ],
    ids=["a member signed, the facilitator claimed", "another team signed, this team claimed"],
)
def test_a_click_altered_after_slack_signed_it_is_refused_and_changes_no_pointer(
    signed_for: tuple[str, str],
    sent_as: tuple[str, str],
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    at_stage: Callable[[Stage, Prepare | None], World],
) -> None:
    """Slack signs the whole body: change who pressed, or their team, and the signature fails."""
    world = at_stage(Stage.BETWEEN, None)
    signed = urlencode(
        {"payload": json.dumps(_close_the_set(world, user=signed_for[0], team=signed_for[1]))}
    )
    altered = urlencode(
        {"payload": json.dumps(_close_the_set(world, user=sent_as[0], team=sent_as[1]))}
    )
    sent_at = str(int(datetime.now(UTC).timestamp()))
    before = snapshot(store)

    answer = driver.send(altered, FORM, timestamp=sent_at, signature=driver.sign(signed, sent_at))

    assert answer.status == 401
    assert changes(before, snapshot(store)) == {}
    assert slack.calls == []


def test_the_same_click_signed_as_sent_closes_the_set(
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    at_stage: Callable[[Stage, Prepare | None], World],
) -> None:
    """The forgery above fails only for its forging: Fran's own click closes the Set."""
    world = at_stage(Stage.BETWEEN, None)
    body = urlencode({"payload": json.dumps(_close_the_set(world, user=FRAN, team=TEAM))})

    assert driver.send(body, FORM).status == 200

    slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == world.channel)
    with store.session() as session:
        closed = session.get(LearningSet, world.set_id)
        assert closed is not None and closed.status == SetStatus.CLOSED
