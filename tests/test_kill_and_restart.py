"""The bot is killed twenty times during a meeting, and the Set's records are as if it never was.

Fran forms a Set and runs its first meeting while `setbot run` is killed with SIGKILL at
random moments: in the middle of a request, or between two. Each time it is started
again, as a process supervisor would, and the request that got no answer is sent again,
as Slack resends an unanswered event and a person presses a button that did nothing.
Afterwards the database must hold what a clean run of the same meeting holds: nothing
lost, nothing half-written, nothing done twice.

Slack itself may have seen a message twice (the bot posted, then died before it could
record that): that is the at-least-once edge of talking to Slack, so the comparison is
of the store, not of the channel. A message the bot owed when it died (a round's root, a
phase's prompt, a meeting's card) is in the outbox with the change that owed it, and the
next process sends it; the story waits for it as a person would.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.sim import SlackEmulator
from bot.store.db import make_engine
from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.processes import (
    BotProcess,
    SlackResends,
    Snapshot,
    differences,
    fresh_database,
    new_workdir,
    play_a_meeting,
    running,
    seat_the_people,
    snapshot,
)

KILLS = 20
SEED = 20270105
# A kill comes up to this long after its request is sent: a request takes some tens of
# milliseconds, so most kills land mid-request and the rest between two requests.
KILL_WITHIN = 0.12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return str(request.param)


class Chaos:
    """Arms a SIGKILL, a random moment after sending, on the requests chosen to be killed."""

    def __init__(self, rng: random.Random, doomed: set[int]) -> None:
        self._rng = rng
        self._doomed = doomed
        self._sent = 0

    def __call__(self, bot: BotProcess) -> None:
        self._sent += 1
        if self._sent in self._doomed:
            bot.settle()  # one kill per restart: a kill still pending happens first
            bot.kill_after(self._rng.uniform(0, KILL_WITHIN))


def play(kind: str, tmp_path: Path, chaos: Chaos | None = None) -> tuple[Snapshot, SlackResends]:
    """The meeting against one fresh process and database; what the database held after."""
    workdir = new_workdir(tmp_path)
    with SlackEmulator() as slack, fresh_database(kind, workdir) as url:
        seat_the_people(slack)
        bot = BotProcess(database_url=url, slack=slack, workdir=workdir)
        with running([bot]):
            driver = SlackResends(bots=[bot], emulator=slack, before_send=chaos or _no_chaos)
            try:
                play_a_meeting(driver, slack)
            except AssertionError as error:
                raise AssertionError(
                    f"{error}; sent again after a kill: {driver.resent}"
                ) from error
            bot.settle()
        assert bot.kills == (KILLS if chaos else 0)
        engine = make_engine(url)
        try:
            return snapshot(engine, slack), driver
        finally:
            engine.dispose()


def _no_chaos(bot: BotProcess) -> None:
    """A clean run: nothing is killed."""


def test_a_meeting_survives_twenty_sigkills_with_the_store_as_after_a_clean_run(
    database_kind: str, tmp_path: Path
) -> None:
    clean, clean_driver = play(database_kind, tmp_path)
    assert clean["contribution"] and clean["commitment"] and clean["process_reflection"]

    rng = random.Random(SEED)
    doomed = set(rng.sample(range(1, clean_driver.sent + 1), KILLS))
    killed, driver = play(database_kind, tmp_path, Chaos(rng, doomed))

    assert driver.sent == clean_driver.sent
    assert driver.resent, "no kill landed on a request, so nothing was tested"
    found = differences(clean, killed)
    assert not found, "\n".join([f"sent again after a kill: {driver.resent}", *found])
