"""`setbot export`: an operator writes a Set's learning, or one member's data, from the database.

Commands are parsed by the same argparse setup `setbot` uses; the store is handed in,
except in the one test that proves DATABASE_URL is all the command needs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.export_cli import add_parser
from bot.flows import learning, org_report
from bot.store.db import Store, make_engine
from bot.store.models import LearningSet, Membership
from tests.conftest import START
from tests.factories import TEAM
from tests.flows import test_org_report as org_story
from tests.flows.test_learning import ASHA, BEN, UNSHARED, a_set, two_meetings


def setbot(*argv: str) -> argparse.Namespace:
    """Parse as `setbot` would, with only the export commands registered."""
    parser = argparse.ArgumentParser(prog="setbot")
    add_parser(parser.add_subparsers(title="commands"))
    return parser.parse_args(list(argv))


def run(store: Store | None, *argv: str) -> tuple[int, str]:
    args = setbot(*argv)
    out = io.StringIO()
    status = args.command(args, store=store, out=out)
    return status, out.getvalue()


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    return two_meetings(store, clock).set_id


@pytest.mark.parametrize("fmt", sorted(learning.FORMATS))
def test_the_learning_is_written_in_each_format_with_nothing_unshared(
    store: Store, set_id: int, fmt: str
) -> None:
    status, written = run(store, "export", "learning", "--set", "new TEAM leaders", "--format", fmt)

    assert status == 0
    assert written == learning.FORMATS[fmt](learning.set_learning_summary(store, set_id=set_id))
    assert [word for word in UNSHARED if word in written.casefold()] == []
    assert "U0BEN" not in written and "<@" not in written and "harbour" in written


def test_markdown_is_the_default_and_says_names_may_remain(store: Store, set_id: int) -> None:
    status, written = run(store, "export", "learning", "--set", "New team leaders")

    assert status == 0 and written.startswith("# What New team leaders learned")
    assert learning.IDS_REMOVED in " ".join(written.split())


def test_the_help_says_names_are_not_removed_without_slack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        setbot("export", "learning", "--help")

    said = " ".join(capsys.readouterr().out.split())
    assert "names typed in plain words are NOT" in said and "/set learning" in said


def test_a_set_that_is_not_there_is_one_line_and_exit_2(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, written = run(store, "export", "learning", "--set", "Old team leaders")

    err = capsys.readouterr().err
    assert (status, written) == (2, "")
    assert err == (
        "setbot: no Set is called “Old team leaders”; check the name in Slack with /set\n"
    )


def test_two_sets_of_one_name_are_told_apart_by_number_or_team(
    store: Store, clock: ManualClock, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    other = a_set(store, clock, channel="C0SECOND")

    status, _ = run(store, "export", "learning", "--set", "New team leaders")
    err = capsys.readouterr().err
    by_number, written = run(store, "export", "learning", "--set", str(other), "--format", "json")

    assert status == 2 and err.count("\n") == 1
    assert f"numbers {set_id} ({TEAM}), {other} ({TEAM}); give --set NUMBER" in err
    assert by_number == 0 and json.loads(written)["meetings"]["held"] == 0
    assert run(store, "export", "learning", "--set", "New team leaders", "--team", "T0X")[0] == 2


def test_out_writes_a_file_and_says_where(store: Store, set_id: int, tmp_path: Path) -> None:
    target = tmp_path / "learning.csv"

    status, said = run(
        store,
        "export",
        "learning",
        "--set",
        "New team leaders",
        "--format",
        "csv",
        "--out",
        str(target),
    )

    assert (status, said) == (0, f"Wrote {target}.\n")
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "meeting", "topic", "value"]


def test_a_file_that_cannot_be_written_is_one_line_and_exit_2(
    store: Store, set_id: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no such folder" / "learning.md"

    status, _ = run(store, "export", "learning", "--set", "New team leaders", "--out", str(target))

    err = capsys.readouterr().err
    assert (
        status == 2 and err.startswith(f"setbot: cannot write {target}: ") and err.count("\n") == 1
    )


def test_a_members_data_is_written_as_json(store: Store, set_id: int) -> None:
    status, written = run(store, "export", "member", "--user", ASHA)

    export = json.loads(written)
    assert status == 0 and (export["team_id"], export["user_id"]) == (TEAM, ASHA)
    assert len(export["commitments"]) == 1 and len(export["process_reflections"]) == 2
    assert "okapi" not in written and "wombat" not in written, "Ben's words are Ben's"


def test_an_unknown_member_is_one_line_and_exit_2(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, written = run(store, "export", "member", "--user", "U0NOBODY")

    err = capsys.readouterr().err
    assert (status, written) == (2, "")
    assert (
        err
        == "setbot: no records of U0NOBODY; copy it from their Slack profile (⋮ → Copy member ID)\n"
    )


def test_someone_in_two_teams_is_asked_which(
    store: Store, set_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with store.session() as session:
        elsewhere = LearningSet(team_id="T0OTHER", name="Elsewhere")
        session.add(elsewhere)
        session.flush()
        assert elsewhere.id is not None
        session.add(Membership(team_id="T0OTHER", set_id=elsewhere.id, user_id=BEN))

    status, _ = run(store, "export", "member", "--user", BEN)
    err = capsys.readouterr().err
    chosen, written = run(store, "export", "member", "--user", BEN, "--team", TEAM)

    assert status == 2 and err == f"setbot: {BEN} has records in T0OTHER, {TEAM}; give --team\n"
    assert chosen == 0 and json.loads(written)["team_id"] == TEAM


def test_only_database_url_is_needed(
    migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "setbot.db"
    shutil.copy(migrated_sqlite, database)
    engine = make_engine(f"sqlite:///{database}")
    two_meetings(Store(engine=engine), ManualClock(START))
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")

    status, written = run(None, "export", "learning", "--set", "New team leaders")

    assert status == 0 and "## The Set's work in figures" in written


@pytest.fixture
def three_sets_met(store: Store, clock: ManualClock) -> None:
    org_story.three_sets(store, clock)


@pytest.mark.parametrize("fmt", sorted(org_report.FORMATS))
def test_the_organisation_report_is_written_in_each_format_with_nothing_unshared(
    store: Store, three_sets_met: None, fmt: str
) -> None:
    status, written = run(store, "export", "org", "--team", TEAM, "--format", fmt)

    assert status == 0
    assert [word for word in org_story.UNSHARED if word in written.casefold()] == []
    assert [word for word in org_story.SHARED if word not in written.casefold()] == []
    ids = [*org_story.MEMBERS, org_story.FRAN, org_story.GITA, "U0BOSS1"]
    assert [who for who in ids if who in written] == [] and "<@" not in written


def test_the_organisation_report_counts_from_a_day_and_finds_the_only_team(
    store: Store, three_sets_met: None
) -> None:
    status, written = run(store, "export", "org", "--format", "json", "--since", "2027-01-18")

    assert status == 0
    assert json.loads(written)["since"] == "2027-01-18"
    assert json.loads(written)["all_sets"]["meetings_held"] == 2


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("--format", "pdf"), "--format is md, csv or json, not “pdf”"),
        (("--since", "last week"), "--since wants a date like 2027-01-31, not “last week”"),
        (("--team", "T0NOBODY"), "no Sets in team T0NOBODY; check the team id (it starts with T)"),
    ],
    ids=["format", "date", "team"],
)
def test_a_bad_format_date_or_team_is_one_line_and_exit_2(
    store: Store,
    three_sets_met: None,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    said: str,
) -> None:
    status, written = run(store, "export", "org", *argv)

    assert (status, written, capsys.readouterr().err) == (2, "", f"setbot: {said}\n")
