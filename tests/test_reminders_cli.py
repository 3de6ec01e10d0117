"""`setbot reminders`: an operator sees what is owed and rehearses sending it.

The commands are parsed by the same argparse setup `setbot` uses; the store and the
messenger are handed in, so no Slack or configuration is needed.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.flows import sets
from bot.flows.meeting_reminders import plan_set_reminders
from bot.flows.schedule import Cadence
from bot.reminders_cli import add_parser, dispatch_at, list_reminders
from bot.store.db import Store
from bot.store.models import LearningSet
from tests.factories import TEAM
from tests.flows.test_outbox import RecordingMessenger

DANA = "U0DANA"
FIRST_MEETING = datetime(2027, 2, 2, 10, tzinfo=UTC)


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    """A Set with two meetings, its reminders planned."""
    draft = sets.SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(DANA,),
        members=("U0ASHA", "U0BEN"),
        cadence=Cadence.weekly(count=2),
        first_at=FIRST_MEETING,
        timezone="Europe/London",
    )
    formed = sets.form_set(
        store, clock, team_id=TEAM, created_by=DANA, draft=draft, channel_id="C0LEADERS"
    )
    with store.session() as session:
        learning_set = session.get(LearningSet, formed.learning_set.id)
        assert learning_set is not None and learning_set.id is not None
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())
        return learning_set.id


def setbot(*argv: str) -> argparse.Namespace:
    """Parse as `setbot` would, with only the reminders commands registered."""
    parser = argparse.ArgumentParser(prog="setbot")
    add_parser(parser.add_subparsers(title="commands"))
    return parser.parse_args(list(argv))


def test_list_shows_one_line_per_pending_reminder_soonest_first(store: Store, set_id: int) -> None:
    lines = list_reminders(store)

    # Each meeting: two members' prepare messages, Dana's digest, two channel reminders.
    assert len(lines) == 2 * 5 + 1
    assert lines[0].startswith("2027-01-31 10:00 UTC  meeting_prepare       U0ASHA ")
    assert lines[3] == (
        "2027-02-01 10:00 UTC  meeting_reminder      C0LEADERS     New team leaders  "
        f"[set:{set_id}:meeting:1:T-24h]"
    )
    assert lines[-1].startswith("2027-02-10 10:00 UTC  set_extend_or_close   U0DANA ")


def test_list_can_be_narrowed_to_a_set_and_a_time(store: Store, set_id: int) -> None:
    before = datetime(2027, 2, 2, 9, 30, tzinfo=UTC)

    assert len(list_reminders(store, set_name="new TEAM leaders", due_before=before)) == 5
    assert list_reminders(store, set_name="Another Set") == []


def test_list_command_prints_the_lines(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = setbot("reminders", "list", "--due-before", "2027-02-02T09:30")

    assert args.command(args, store=store) == 0

    printed = capsys.readouterr().out.splitlines()
    assert [line[:20] for line in printed] == [
        "2027-01-31 10:00 UTC",
        "2027-01-31 10:00 UTC",
        "2027-02-01 08:30 UTC",
        "2027-02-01 10:00 UTC",
        "2027-02-02 09:00 UTC",
    ]


def test_list_command_says_so_when_nothing_is_waiting(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = setbot("reminders", "list", "--set", "Gardeners", "--due-before", "2027-03-01T00:00Z")

    assert args.command(args, store=store) == 0

    assert capsys.readouterr().out == (
        "No reminders are waiting to be sent for “Gardeners” before 2027-03-01 00:00 UTC.\n"
    )


def test_dispatch_sends_what_is_due_as_if_it_were_then(store: Store, set_id: int) -> None:
    messenger = RecordingMessenger()

    report = dispatch_at(store, messenger, datetime(2027, 2, 1, 10, tzinfo=UTC))

    assert report.sent == 4 and len(messenger.delivered) == 4  # 2 prepare, digest, channel
    assert len(list_reminders(store)) == 7


def test_dispatch_command_reports_what_it_did_in_one_line(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = setbot("reminders", "dispatch", "--now", "2027-02-02T11:00+01:00")

    assert args.command(args, store=store, messenger=RecordingMessenger()) == 0

    assert capsys.readouterr().out == (
        "Dispatched as of 2027-02-02 10:00 UTC: 0 sent, 5 dropped, 0 retried, 0 failed.\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("reminders", "dispatch", "--now", "next tuesday"),
        ("reminders", "list", "--due-before", "2027-13-01"),
    ],
    ids=["dispatch", "list"],
)
def test_a_time_that_cannot_be_read_is_one_friendly_line_and_exit_2(
    store: Store, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    args = setbot(*argv)

    assert args.command(args, store=store) == 2

    said = capsys.readouterr()
    assert said.out == "" and len(said.err.splitlines()) == 1
    assert said.err.startswith("setbot: --") and "2027-01-05T09:00Z" in said.err


def test_reminders_alone_shows_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    args = setbot("reminders")

    assert args.command(args) == 0

    assert "{list,dispatch}" in capsys.readouterr().out
