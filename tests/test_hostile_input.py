"""Whatever anyone types, setbot answers kindly, stores nothing it should not, and pings no one.

The New team leaders Set is mid-way through its life: Fran facilitates Asha, Ben and Cara,
one meeting has ended and in the next Asha's round is at its questions. Ollie belongs to
no Set. Hypothesis then plays all of them at their worst: every slash command and
subcommand (and made-up ones) with hostile text after it, every modal setbot has filled
in with hostile values, and hostile replies in the round's thread. Hostile means empty,
blank, 40 kB long, control characters, right-to-left overrides, emoji and combining marks,
`<!channel>` and friends, forged mentions and links, mrkdwn that would restyle a card, and
SQL.

After each one: no listener failed, the person got a clear answer (an ephemeral message,
a card, a modal, or an error beside a modal's field), a refusal stored nothing, and
nothing setbot sent could ping the channel or carry a link or mention someone typed.

`SETBOT_HOSTILE_EXAMPLES=2000 pytest tests/test_hostile_input.py` runs the long variant.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel
from sqlmodel import select as select_rows

from bot.clock import ManualClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.commands import CATALOGUE, COMMANDS
from bot.flows.phases import Phase
from bot.flows.schedule import Cadence
from bot.handlers.views import VIEWS
from bot.sim import Call, Response, SlackDriver, SlackEmulator
from bot.sim.workspace import StoredView
from bot.store.db import Store
from bot.store.models import Commitment, Meeting, MeetingStatus, Round
from bot.ui import async_rounds as async_ui
from bot.ui import commitments as actions_ui
from bot.ui import learning_log as log_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import outlines as outline_ui
from bot.ui import reflection as reflection_ui
from bot.ui import reminder_preferences as reminders_ui
from bot.ui import resources as resources_ui
from bot.ui import sets as cards
from bot.ui import sharing as sharing_ui
from bot.ui.reminder_timing import TIMING_VIEW
from bot.ui.schedule import MOVE_MEETING, MOVE_VIEW
from bot.ui.time_agreement import TIME_VIEW
from tests.mrkdwn import mrkdwn_texts
from tests.store_text import stored_texts

FRAN, ASHA, BEN, CARA, OLLIE = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0OLLIE"
MEMBERS = (ASHA, BEN, CARA)
FIRST_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
SECOND_MEETING = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)

# How many hostile inputs each property gets; the long variant is opt-in.
EXAMPLES = int(os.environ.get("SETBOT_HOSTILE_EXAMPLES", "150"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Bookkeeping that every delivery writes, refused or not: Slack's retries are recognised
# by it (bot.handlers.retries).
BOOKKEEPING = {"seen_event"}

# What a person might type to do harm, or by accident.
HOSTILE_PIECES = (
    "",
    " ",
    "\t\n  \r\n",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!channel|channel>",
    "@channel",
    "@here @everyone",
    "<@U0FAKE>",
    "<@U0FAKE|boss>",
    "<#C0FAKE|general>",
    "<!subteam^S0FAKE>",
    "<!subteam^S0FAKE|@leads>",
    "*bold*",
    "_italic_ ~struck~",
    "`",
    "```multi\nline```",
    "> quoted\n>>> all of it",
    "<https://evil.example|click here>",
    "<http://evil.example>",
    "<mailto:boss@evil.example|boss>",
    "&lt;!channel&gt; &amp;",
    "'; DROP TABLE meeting; --",
    "1 OR 1=1",
    "\x00\x01\x07\x1b[31m\x1f",
    "\u202egnirts desrever\u202c",
    "\u200b\u200d\ufeff",
    "e\u0301\u0302\u0303\u0304",
    "🎉👩‍👩‍👧‍👦🏳️‍🌈",
    "مرحبا بالعالم",
    "שלום",
    '{"json": true}',
    "%s %(name)s {0} {name}",
    "\\",
    "|",
    "12",
    "-1",
    "2027-02-30",
    "25:61",
    "https://www.example.org/guide",
)
# Distinctive hosts and ids, so a forged entity in anything setbot sends is recognisable.
FORGED = ("evil.example", "U0FAKE", "C0FAKE", "S0FAKE")
# Someone no one can pick in Slack: a forged submission could still name them.
NOBODY = "U0NOBODY"
# Entities that reach everyone: nothing setbot sends may carry one that a person typed.
BROADCASTS = ("<!channel", "<!here", "<!everyone", "<!subteam")

any_text = st.text(st.characters(codec="utf-8"), max_size=60)
short_hostile = st.lists(st.sampled_from(HOSTILE_PIECES) | any_text, max_size=5).map("".join)
long_hostile = st.sampled_from(HOSTILE_PIECES).map(lambda piece: (piece or "x") * 8000)
hostile_text = st.one_of(short_hostile, short_hostile, short_hostile, long_hostile).map(
    lambda text: text[:40_000]
)


# -- the Set, mid-way through its life ---------------------------------------------------------


@dataclass(frozen=True)
class World:
    channel: str
    lobby: str
    round_root: str
    # Each modal setbot opens, as the bot built it, with who it was opened for.
    modals: dict[str, StoredView]

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        """Keeps Hypothesis's report of a failing example to the inputs that matter."""
        printer.text("World(the New team leaders Set, mid-way)")


@pytest.fixture
def world(store: Store, clock: ManualClock, slack: SlackEmulator, driver: SlackDriver) -> World:
    """One meeting held, the next asking Asha questions in her round, and every modal opened."""
    for user in (FRAN, *MEMBERS, OLLIE):
        slack.add_user(user, name=user[3:].lower())
    lobby = slack.add_channel("general", members=[slack.bot_user_id, FRAN, *MEMBERS, OLLIE])
    channel = slack.add_channel("set-new-team-leaders", members=[slack.bot_user_id, FRAN, *MEMBERS])
    formed = sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=MEMBERS,
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=FIRST_MEETING,
            timezone="Europe/London",
        ),
    )
    for user in (FRAN, *MEMBERS):
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    modals: dict[str, StoredView] = {}

    def keep(callback_id: str, user: str) -> None:
        modals[callback_id] = _newest_modal(slack, callback_id, user)

    # Before the first meeting: the modals commands open, and Asha commits to an action.
    opened_by_commands = (
        ("/set", "new", FRAN, lobby, new_set.NEW_SET_VIEW),
        ("/set", "timing", FRAN, channel, TIMING_VIEW),
        ("/set", "reminders", ASHA, channel, reminders_ui.REMINDERS_VIEW),
        ("/set", "resource add", FRAN, channel, resources_ui.ADD_VIEW),
        ("/meeting", "start async", FRAN, channel, async_ui.ASYNC_START_VIEW),
    )
    for command, text, user, where, callback_id in opened_by_commands:
        driver.slash_command(command, text, user_id=user, channel_id=where)
        keep(callback_id, user)
    driver.block_action(cards.EDIT_RULES, user=FRAN, channel=channel)
    keep(cards.RULES_VIEW, FRAN)
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
    )
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    keep(actions_ui.COMMIT_VIEW, ASHA)
    with store.session() as session:
        action_id = str(session.exec(select_rows(Commitment.id)).one())
        meeting_ids = [str(m) for m in session.exec(select_rows(Meeting.id).order_by(Meeting.id))]
    first, second, third = meeting_ids[:3]
    for action, view in (
        (actions_ui.REPORT_BACK, actions_ui.REPORT_VIEW),
        (actions_ui.DROP_ACTION, actions_ui.DROP_VIEW),
    ):
        driver.block_action(action, user=ASHA, value=action_id, channel=channel)
        keep(view, ASHA)
    driver.block_action(MOVE_MEETING, user=FRAN, value=third, channel=channel)
    keep(MOVE_VIEW, FRAN)
    driver.block_action(outline_ui.OUTLINE_OPEN, user=BEN, value=second, channel=_dm(slack, BEN))
    keep(outline_ui.OUTLINE_VIEW, BEN)

    # The first meeting: everyone there; afterwards a reflection, logs, one shared learning.
    clock.set(FIRST_MEETING)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    for member in MEMBERS:
        driver.block_action(meeting_ui.CHECK_IN_PRESENT, user=member, value=first, channel=channel)
    clock.set(FIRST_MEETING.replace(hour=12))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    driver.block_action(reflection_ui.REFLECT, user=ASHA, value=first, channel=channel)
    keep(reflection_ui.REFLECT_VIEW, ASHA)
    driver.block_action(log_ui.LOG_WRITE, user=BEN, value=first, channel=_dm(slack, BEN))
    driver.submit_form(
        log_ui.LOG_VIEW,
        user=BEN,
        answers={
            log_ui.ISSUE_BLOCK: "The rota is a symptom",
            log_ui.SHARE_BLOCK: [actions_ui.SHARE_VALUE],
        },
    )
    driver.submit_form(sharing_ui.SHARE_VIEW, user=BEN, answers={})
    review = slack.wait_for(
        "chat.postMessage", where=lambda c: sharing_ui.WITHHOLD in str(c.args.get("blocks"))
    )
    driver.block_action(
        sharing_ui.WITHHOLD, user=FRAN, value=_button_value(review, sharing_ui.WITHHOLD)
    )
    keep(sharing_ui.WITHHOLD_VIEW, FRAN)
    driver.block_action(log_ui.LOG_WRITE, user=CARA, value=first, channel=_dm(slack, CARA))
    driver.submit_form(
        log_ui.LOG_VIEW,
        user=CARA,
        answers={log_ui.ISSUE_BLOCK: "Ask first", log_ui.SHARE_BLOCK: [actions_ui.SHARE_VALUE]},
    )
    keep(sharing_ui.SHARE_VIEW, CARA)
    driver.block_action(log_ui.LOG_WRITE, user=ASHA, value=first, channel=_dm(slack, ASHA))
    keep(log_ui.LOG_VIEW, ASHA)

    # The second meeting, under way: Asha's round is open in its thread.
    clock.set(SECOND_MEETING)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    for member in MEMBERS:
        driver.block_action(meeting_ui.CHECK_IN_PRESENT, user=member, value=second, channel=channel)
    driver.block_action(meeting_ui.REORDER, user=FRAN, value=second, channel=channel)
    keep(meeting_ui.REORDER_VIEW, FRAN)
    driver.block_action(meeting_ui.ADJUST_TIME, user=FRAN, value=second, channel=channel)
    keep(TIME_VIEW, FRAN)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "signpost", user_id=FRAN, channel_id=channel)
    keep(resources_ui.SIGNPOST_VIEW, FRAN)
    for _ in ("to describe", "to questions"):
        driver.slash_command("/round", "next", user_id=FRAN, channel_id=channel)
    with store.session() as session:
        under_way = session.exec(select_rows(Meeting).where(Meeting.status == MeetingStatus.OPEN))
        assert [str(m.id) for m in under_way] == [second]
        asha = session.exec(select_rows(Round)).one()
    assert asha.phase == Phase.QUESTIONS
    assert not slack.layout_errors
    return World(channel=channel, lobby=lobby, round_root=asha.thread_ts, modals=modals)


def test_the_world_opens_every_modal_setbot_has(world: World) -> None:
    """So the modal property below cannot quietly skip a modal someone adds later."""
    assert set(world.modals) == set(VIEWS)


# -- slash commands ------------------------------------------------------------------------------

EVERY_SUBCOMMAND = sorted({(s.command, s.name) for s in CATALOGUE} | {(c, "") for c in COMMANDS})
MADE_UP = [("/set", "delete-everything"), ("/round", "🎉"), ("/meeting", "START;--")]


@HOSTILE_SETTINGS
@given(
    subcommand=st.sampled_from(EVERY_SUBCOMMAND + MADE_UP),
    rest=hostile_text,
    who=st.sampled_from([FRAN, ASHA, OLLIE]),
)
def test_any_command_text_gets_a_clear_answer_and_pings_no_one(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
    subcommand: tuple[str, str],
    rest: str,
    who: str,
) -> None:
    command, name = subcommand
    where = world.lobby if who == OLLIE else world.channel
    with _watching(slack, caplog) as sent:
        reply = driver.slash_command(command, f"{name} {rest}", user_id=who, channel_id=where)
        _assert_answered(reply, sent())


@HOSTILE_SETTINGS
@given(
    subcommand=st.sampled_from([(s.command, s.name) for s in CATALOGUE if s.facilitator_only]),
    rest=hostile_text,
)
def test_a_member_refused_a_facilitators_command_changes_nothing(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    subcommand: tuple[str, str],
    rest: str,
) -> None:
    command, name = subcommand
    before = _row_counts(store)
    with _watching(slack, caplog) as sent:
        reply = driver.slash_command(
            command, f"{name} {rest}", user_id=ASHA, channel_id=world.channel
        )
        _assert_answered(reply, sent())
    assert _row_counts(store) == before


@HOSTILE_SETTINGS
@given(
    subcommand=st.sampled_from(EVERY_SUBCOMMAND + MADE_UP),
    rest=hostile_text,
)
def test_someone_in_no_set_changes_nothing_whatever_they_type(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    subcommand: tuple[str, str],
    rest: str,
) -> None:
    command, name = subcommand
    before = _row_counts(store)
    with _watching(slack, caplog) as sent:
        reply = driver.slash_command(
            command, f"{name} {rest}", user_id=OLLIE, channel_id=world.lobby
        )
        _assert_answered(reply, sent())
    assert _row_counts(store) == before


# -- modals --------------------------------------------------------------------------------------


@st.composite
def filled_in(draw: st.DrawFn, modal: StoredView) -> dict[str, Any]:
    """Answers for every input of `modal`: hostile words in text, any offered choice elsewhere."""
    answers: dict[str, Any] = {}
    for block in modal.payload["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        answers[block["block_id"]] = draw(_answer_for(element))
    return answers


def _answer_for(element: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = element["type"]
    offered = [o["value"] for o in element.get("options", [])]
    if kind in ("plain_text_input", "url_text_input", "email_text_input", "number_input"):
        # Slack stops typing at the field's limit, 3000 characters unless it says fewer.
        limit = element.get("max_length", 3000)
        return hostile_text.map(lambda text: text[:limit])
    if kind in ("static_select", "radio_buttons"):
        return st.sampled_from([*offered, None])
    if kind == "checkboxes":
        return st.lists(st.sampled_from(offered), unique=True) if offered else st.just([])
    if kind == "multi_users_select":
        return st.lists(st.sampled_from([FRAN, *MEMBERS, OLLIE, NOBODY]), unique=True)
    if kind == "users_select":
        return st.sampled_from([FRAN, ASHA, OLLIE, NOBODY, None])
    if kind == "datepicker":
        return st.sampled_from([None, "2027-01-04", "2027-03-16", "2030-12-31", "1999-01-01"])
    if kind == "timepicker":
        return st.sampled_from([None, "00:00", "09:30", "23:59"])
    if kind in ("conversations_select", "channels_select"):
        return st.sampled_from([None, "C0FAKE"])
    raise AssertionError(f"the hostile test does not know how to fill in a {kind}")


@HOSTILE_SETTINGS
@given(data=st.data(), callback_id=st.sampled_from(sorted(VIEWS)))
def test_any_modal_values_get_a_clear_answer_and_a_refusal_stores_nothing(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
    callback_id: str,
) -> None:
    modal = world.modals[callback_id]
    answers = data.draw(filled_in(modal), label="answers")
    _reopen(slack, modal)
    before = _row_counts(store)
    with _watching(slack, caplog, typed=True):
        reply = driver.submit_form(callback_id, user=modal.user, answers=answers)
        assert reply.status == 200, reply.body
        ack = reply.json or {}
        if ack.get("response_action") == "errors":
            shown = {b.get("block_id") for b in modal.payload["blocks"]}
            assert ack["errors"] and set(ack["errors"]) <= shown, ack
            assert all(message.strip() for message in ack["errors"].values())
            assert _row_counts(store) == before, "a modal sent back with an error stores nothing"
        # Modal errors are plain text, which Slack never reads for mentions; a new view is not.
        for text in mrkdwn_texts(ack.get("view") or {}):
            _assert_no_broadcast(text, typed=True)


# -- thread messages -----------------------------------------------------------------------------


@HOSTILE_SETTINGS
@given(text=hostile_text, who=st.sampled_from([FRAN, *MEMBERS]))
def test_anything_said_in_a_round_is_heard_safely_and_never_stored(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    text: str,
    who: str,
) -> None:
    distinctive = len(text.strip()) > 12 and not _stored(store, text)
    with _watching(slack, caplog, typed=True):
        reply = driver.message(world.channel, text, user=who, thread_ts=world.round_root)
        assert reply.status == 200
    if distinctive:
        assert not _stored(store, text), "what is said in a round is never stored"


# -- regressions found by the properties above ---------------------------------------------------


def test_a_nul_character_typed_into_an_action_is_dropped_not_a_failure(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL refuses NUL in text: Asha's action used to fail to save with "sorry"."""
    _reopen(slack, world.modals[actions_ui.COMMIT_VIEW])
    with _watching(slack, caplog):
        reply = driver.submit_form(
            actions_ui.COMMIT_VIEW,
            user=ASHA,
            answers={
                actions_ui.TEXT_BLOCK: "Ask\x00 the team first",
                actions_ui.DUE_BLOCK: "2027-03-16",
            },
        )
    assert reply.status == 200 and not reply.json
    with store.session() as session:
        assert "Ask the team first" in session.exec(select_rows(Commitment.text)).all()


@pytest.mark.parametrize(
    "command",
    ["add <@U0GUEST|gus>", "facilitator <@U0GUEST|gus>"],
    ids=["as-a-member", "as-a-facilitator"],
)
def test_someone_slack_wont_invite_to_the_channel_is_not_added_and_fran_hears_why(
    world: World,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    command: str,
) -> None:
    """Gus is a guest kept to one other channel; adding him used to fail half-way, with "sorry"."""
    slack.add_user("U0GUEST", name="gus")
    slack.fail("conversations.invite", error="ura_max_channels")
    before = _row_counts(store)
    with _watching(slack, caplog) as sent:
        reply = driver.slash_command("/set", command, user_id=FRAN, channel_id=world.channel)
        _assert_answered(reply, sent())
    assert reply.json is not None
    assert (
        "wouldn't let me invite" in reply.json["text"] and "nothing changed" in reply.json["text"]
    )
    assert _row_counts(store) == before


# -- helpers -------------------------------------------------------------------------------------


@contextmanager
def _watching(
    slack: SlackEmulator, caplog: pytest.LogCaptureFixture, *, typed: bool = False
) -> Iterator[Callable[[], list[Call]]]:
    """Around one hostile input: no listener failed, and nothing setbot sent can ping anyone.

    Gives the body a way to see the calls setbot has made since it began.
    """
    caplog.clear()
    seen = len(slack.calls)
    yield lambda: slack.calls[seen:]
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, failed
    for call in slack.calls[seen:]:
        for text in _sent_texts(call):
            _assert_no_broadcast(text, typed=typed)
    assert not slack.layout_errors, slack.layout_errors


def _sent_texts(call: Call) -> list[str]:
    """The mrkdwn Slack would render from a call: message text and blocks, or a view."""
    args = call.args
    texts = [args["text"]] if isinstance(args.get("text"), str) else []
    return texts + mrkdwn_texts(args.get("blocks") or []) + mrkdwn_texts(args.get("view") or {})


def _assert_no_broadcast(text: str, *, typed: bool = False) -> None:
    """No `<!channel>` and the like, and no link or labelled mention a person made up.

    A mention in a slash command is Slack's own (it escapes "@Ben" into `<@U…|ben>`) and may
    be echoed as a bare `<@U…>`; text `typed` into a modal or a thread may echo none at all.
    """
    assert not any(entity in text for entity in BROADCASTS), text[:500]
    for forged in FORGED:
        openings = [f"<http://{forged}", f"<https://{forged}", f"<@{forged}|", f"<#{forged}"]
        if typed:
            openings.append(f"<@{forged}")
        for opening in openings:
            assert opening not in text, text[:500]


def _assert_answered(reply: Response, calls: list[Call]) -> None:
    """A clear answer: an ephemeral message in the ack, or a card or modal the bot sent."""
    assert reply.status == 200, reply.body
    if reply.json:
        assert reply.json.get("response_type") == "ephemeral", reply.json
        assert reply.json.get("text", "").strip(), reply.json
        for text in _sent_texts(Call("ack", reply.json, ok=True)):
            _assert_no_broadcast(text)
    else:
        assert calls, "a command that says nothing back must post or open something"


def _row_counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


def _stored(store: Store, words: str) -> bool:
    return any(words in text for text in stored_texts(store))


def _reopen(slack: SlackEmulator, modal: StoredView) -> None:
    """The person opens the same modal again, exactly as setbot built it."""
    with slack.workspace() as ws:
        ws.views[modal.id] = StoredView(
            modal.id, modal.user, copy.deepcopy(modal.payload), modal.channel, is_open=True
        )


def _newest_modal(slack: SlackEmulator, callback_id: str, user: str) -> StoredView:
    with slack.workspace() as ws:
        opened = [
            v
            for v in ws.views.values()
            if v.is_open and v.user == user and v.payload.get("callback_id") == callback_id
        ]
        assert opened, f"setbot opened no {callback_id} modal for {user}"
        found = opened[-1]
        return StoredView(
            found.id, found.user, copy.deepcopy(found.payload), found.channel, is_open=True
        )


def _dm(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as ws:
        return ws.dm([user])[0].id


def _button_value(call: Call, action_id: str) -> str:
    return next(
        element["value"]
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )
