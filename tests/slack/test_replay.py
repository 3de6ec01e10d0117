"""Slack delivers some requests more than once; the Set's records show each only once.

Slack sends an event again when it did not hear back within three seconds, and a
request can arrive twice after a dropped connection or a reconnecting socket. Here a
Set is formed and meets twice, a month apart — about 250 requests: commands, check-ins,
rounds with their thread messages and Next presses, commitments, report-backs and
reflections. The story runs twice on fresh databases: once cleanly, and once with every
request delivered one to three times. The two runs must leave the same rows in every
table and the same calls at Slack.

The copies come *after* their original, shuffled in among the requests that follow it,
while the originals keep their order. That is how retries arrive — Slack only retries
what it has already sent, seconds later, while people carry on — and it keeps the
story meaningful: a Next press makes sense only after its round was opened, so moving
originals around would change what a clean run does, and the comparison would no
longer isolate duplicates.
"""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.sim import SlackDriver, SlackEmulator
from bot.sim.driver import Response
from bot.store.db import Store, make_engine
from bot.store.models import Commitment, CommitmentStatus, Contribution, ProcessReflection
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import reflection as reflection_ui
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from bot.web import EVENTS_PATH, HttpServer
from tests.conftest import NO_POSTGRES, POSTGRES_URL, SIGNING_SECRET, START, _postgres_store

FRAN = "U0FRAN"
MEMBERS = {"U0ASHA": "asha", "U0BEN": "ben", "U0CARA": "cara", "U0DEV": "dev", "U0EVE": "eve"}
LOBBY = "C0LOBBY"
FIRST_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
BETWEEN_MEETINGS = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
SECOND_MEETING = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
# A copy is held back behind up to this many of the requests that follow its original.
MOST_OVERTAKEN = 6
SEED = 20270202


@dataclass(frozen=True)
class _Copy:
    """A request to deliver again once `after` originals have gone out."""

    after: int
    order: int
    body: str
    content_type: str
    retry_num: int


class RetryingDriver(SlackDriver):
    """Delivers every request one to three times, the copies after their original.

    Copies of events carry Slack's retry headers; copies of interactions and commands are
    redeliveries of the very same payload, as after a dropped connection.
    """

    def __init__(self, *, rng: random.Random, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rng = rng
        self._held: list[_Copy] = []
        self.originals = 0
        self.copies: list[Response] = []

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        answer = super().send(
            body, content_type, timestamp=timestamp, signature=signature, headers=headers
        )
        self.originals += 1
        after = self.originals
        for retry_num in range(1, self._rng.randint(1, 3)):
            after += self._rng.randint(0, MOST_OVERTAKEN)
            order = len(self.copies) + len(self._held)
            self._held.append(_Copy(after, order, body, content_type, retry_num))
        self._deliver_copies(up_to=self.originals)
        return answer

    def deliver_the_rest(self) -> None:
        self._deliver_copies(up_to=None)

    def _deliver_copies(self, *, up_to: int | None) -> None:
        due = sorted(
            (c for c in self._held if up_to is None or c.after <= up_to),
            key=lambda c: (c.after, c.order),
        )
        for copy in due:
            self._held.remove(copy)
            retry = {}
            if '"event_callback"' in copy.body:
                retry = {
                    "X-Slack-Retry-Num": str(copy.retry_num),
                    "X-Slack-Retry-Reason": "http_timeout",
                }
            self.copies.append(super().send(copy.body, copy.content_type, headers=retry))


@dataclass(frozen=True)
class Run:
    """What one run of the story left behind: every table's rows and every call at Slack."""

    tables: dict[str, list[tuple[Any, ...]]]
    calls: list[tuple[str, str, bool]]
    messages: list[tuple[str, str | None, str | None, str, str | None]]


@pytest.fixture
def clean_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A second fresh database of the same kind as `store`, for the clean run."""
    if request.node.callspec.params["store"] == "sqlite":
        database = tmp_path / "clean.db"
        shutil.copy(request.getfixturevalue("migrated_sqlite"), database)
        engine = make_engine(f"sqlite:///{database}")
        yield Store(engine=engine)
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    yield from _postgres_store(POSTGRES_URL)


def test_every_request_delivered_up_to_three_times_leaves_the_same_records_as_once(
    store: Store, clean_store: Store
) -> None:
    clock = ManualClock(START)
    with serving(clean_store, clock) as (slack, url):
        once = SlackDriver(url=url, signing_secret=SIGNING_SECRET, emulator=slack)
        clean = play_two_meetings(once, slack, clock, clean_store)

    clock = ManualClock(START)
    with serving(store, clock) as (slack, url):
        driver = RetryingDriver(
            rng=random.Random(SEED), url=url, signing_secret=SIGNING_SECRET, emulator=slack
        )
        replayed = play_two_meetings(driver, slack, clock, store)

    assert driver.originals > 240 and driver.originals + len(driver.copies) > 450
    assert all(copy.status == 200 for copy in driver.copies), "Slack hears every copy was fine"
    assert replayed.messages == clean.messages, "nobody sees a message twice"
    assert replayed.calls == clean.calls
    assert replayed.tables == clean.tables


def play_two_meetings(
    driver: SlackDriver, slack: SlackEmulator, clock: ManualClock, store: Store
) -> Run:
    """Fran forms a Set of five; it meets twice, and members report back in between."""
    slack.add_user(FRAN, name="fran", real_name="Fran Trainer")
    for user, name in MEMBERS.items():
        slack.add_user(user, name=name)
    channel = _form_the_set(driver, slack)
    welcome = _newest(slack, channel, "Welcome")
    for person in (FRAN, *MEMBERS):
        driver.block_action(cards.AGREE_TO_RULES, user=person, channel=channel, message_ts=welcome)
        driver.app_home_opened(person)

    clock.set(FIRST_MEETING)
    _meet(driver, slack, channel, commitment="Ask my team what they need", reports_back=False)
    clock.set(BETWEEN_MEETINGS)
    for member in MEMBERS:
        _report_back(driver, slack, channel, member)
    clock.set(SECOND_MEETING)
    _meet(driver, slack, channel, commitment="Try one idea the Set offered", reports_back=True)
    if isinstance(driver, RetryingDriver):
        driver.deliver_the_rest()

    run = _what_was_left(slack, store)
    _the_story_happened(store)
    return run


def _form_the_set(driver: SlackDriver, slack: SlackEmulator) -> str:
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: list(MEMBERS),
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    return str(welcome.args["channel"])


def _meet(
    driver: SlackDriver, slack: SlackEmulator, channel: str, *, commitment: str, reports_back: bool
) -> None:
    """Everyone checks in, each member has a round, the meeting ends and they reflect."""
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _newest(slack, channel, "under way")
    for member in MEMBERS:
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card
        )
    for presenter in MEMBERS:
        _round(driver, slack, channel, presenter, commitment=commitment, reports_back=reports_back)
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    prompt = _newest(slack, channel, "Reflect on today")
    for member in MEMBERS:
        driver.block_action(reflection_ui.REFLECT, user=member, channel=channel, message_ts=prompt)
        driver.submit_form(
            reflection_ui.REFLECT_VIEW,
            user=member,
            answers={
                reflection_ui.SCORE_BLOCK: "4",
                reflection_ui.HELPED_BLOCK: "Being asked, not told",
            },
        )


def _round(
    driver: SlackDriver,
    slack: SlackEmulator,
    channel: str,
    presenter: str,
    *,
    commitment: str,
    reports_back: bool,
) -> None:
    """One member's round: the others ask, offer ideas, and the presenter commits."""
    others = [member for member in MEMBERS if member != presenter]
    driver.slash_command("/round", "open", user_id=FRAN, channel_id=channel)
    root = _newest(slack, channel, "'s round")
    if reports_back:
        _next(driver, slack, channel, root)  # report back → describe
    for part in ("Here is what keeps happening.", "And this is what I have tried."):
        driver.message(channel, part, user=presenter, thread_ts=root)
    _next(driver, slack, channel, root)  # → questions
    for asker in others:
        driver.message(channel, "What would success look like?", user=asker, thread_ts=root)
        driver.message(channel, "You should just tell them.", user=asker, thread_ts=root)
    _next(driver, slack, channel, root)  # → ideas
    for idea_giver in others[:2]:
        driver.message(channel, "One idea: pair up for a week.", user=idea_giver, thread_ts=root)
    _next(driver, slack, channel, root)  # → reflect and commit
    prompt = _in_thread(slack, channel, root, rounds_ui.COMMIT_ACTION)
    driver.block_action(rounds_ui.COMMIT_ACTION, user=presenter, channel=channel, message_ts=prompt)
    driver.submit_form(
        actions_ui.COMMIT_VIEW, user=presenter, answers={actions_ui.TEXT_BLOCK: commitment}
    )
    _next(driver, slack, channel, root)  # → closed


def _report_back(driver: SlackDriver, slack: SlackEmulator, channel: str, member: str) -> None:
    driver.slash_command("/action", "", user_id=member, channel_id=channel)
    listed = _newest_private(slack, member)
    driver.block_action(actions_ui.REPORT_BACK, user=member, channel=channel, message_ts=listed)
    driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=member,
        answers={
            actions_ui.HAPPENED_BLOCK: "They told me; we changed the rota",
            actions_ui.LEARNED_BLOCK: "Asking first saves arguing later",
        },
    )


def _what_was_left(slack: SlackEmulator, store: Store) -> Run:
    """Every row of every table (ids and all), every call the bot made, every message."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with store.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = session.execute(sa_select(table)).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    calls = [(call.method, repr(sorted(call.args.items())), call.ok) for call in slack.calls]
    with slack.workspace() as ws:
        messages = [(m.channel, m.thread_ts, m.ephemeral_to, m.text, m.user) for m in ws.messages]
    return Run(tables=tables, calls=calls, messages=messages)


def _the_story_happened(store: Store) -> None:
    """The comparison means something only if the story did what it says."""
    with store.session() as session:
        actions = session.exec(select(Commitment)).all()
        heard = session.exec(select(Contribution)).all()
        reflections = session.exec(select(ProcessReflection)).all()
    assert (
        sorted(a.status for a in actions)
        == [CommitmentStatus.OPEN] * 5 + [CommitmentStatus.REPORTED] * 5
    )
    assert len(heard) == 2 * 5 * (2 + 8 + 2)
    assert len(reflections) == 10


@contextmanager
def serving(store: Store, clock: ManualClock) -> Iterator[tuple[SlackEmulator, str]]:
    """A fresh Slack emulator and the bot on `store`, in HTTP mode as the fixtures run it."""
    with SlackEmulator() as slack:
        settings = Settings(
            app_token=None,
            bot_token=slack.bot_token,
            signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            database_url="sqlite://",
        )
        server = HttpServer(
            create_app(settings, store=store, clock=clock), store, host="127.0.0.1", port=0
        )
        thread = threading.Thread(target=server.serve, name="bot-http", daemon=True)
        thread.start()
        try:
            yield slack, f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
        finally:
            server.stop()
            thread.join(timeout=5)
        assert not slack.layout_errors, f"Slack would reject: {slack.layout_errors}"


def _newest(slack: SlackEmulator, channel: str, words: str) -> str:
    """The ts of the newest message in the channel itself (not a thread) saying `words`."""
    return [
        m.ts
        for m in slack.messages(channel)
        if words in m.text and m.ephemeral_to is None and not m.thread_ts
    ][-1]


def _in_thread(slack: SlackEmulator, channel: str, root: str, action_id: str) -> str:
    """The ts of the newest message in the round's thread with the button `action_id`."""
    return [m.ts for m in slack.messages(channel, thread_ts=root) if action_id in str(m.blocks)][-1]


def _newest_private(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as ws:
        return [m.ts for m in ws.messages if m.ephemeral_to == user][-1]


def _next(driver: SlackDriver, slack: SlackEmulator, channel: str, root: str) -> None:
    """Fran presses Next on the newest prompt in the round's thread."""
    prompt = _in_thread(slack, channel, root, rounds_ui.ROUND_NEXT)
    driver.block_action(rounds_ui.ROUND_NEXT, user=FRAN, channel=channel, message_ts=prompt)
