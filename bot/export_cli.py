"""`setbot export learning`, `org` and `member`: what leaves setbot, for whom asked.

`learning` writes a Set's learning summary for the organisation, the same one a
facilitator gets with `/set learning`. Without Slack it cannot look up members' names, so
it takes out Slack mentions and user ids but not names typed in plain words: the
summary says so, and so does `--help`. `org` writes the organisation report across all of
a workspace's Sets, with the same limit. `member` writes everything setbot holds about one
person as JSON, for a request under data-protection law.

All three need only DATABASE_URL, never Slack tokens. Output goes to stdout or `--out FILE`.
A Set, team or person that can't be found, a format or date that can't be read, or a file
that can't be written, is told in one line, with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session, col, func, select

from bot.clock import SystemClock
from bot.config import load_database_url
from bot.flows.forget import export_member, holds_records
from bot.flows.learning import FORMATS, set_learning_summary
from bot.flows.org_report import FORMATS as ORG_FORMATS
from bot.flows.org_report import team_org_report
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    Commitment,
    Contribution,
    LearningSet,
    Meeting,
    Membership,
    ProcessReflection,
    Round,
)

LEARNING_HELP = (
    "Write a Set's learning summary: figures, meeting by meeting, and only what members "
    "agreed to share. Slack mentions and user ids are removed; members' names typed in "
    "plain words are NOT, as that needs Slack: read it before passing it on, or use "
    "/set learning in Slack, which removes names too."
)
ORG_HELP = (
    "Write what all of a workspace's Sets learned, for the organisation: figures by training "
    "theme and problem area (any figure from fewer than three people shown as 'fewer than "
    "3'), then the learnings members agreed to share, ending with training needs and policy "
    "issues. Slack mentions and user ids are removed; members' names typed in plain words "
    "are NOT, as that needs Slack: read it before passing it on, or use /set org-report."
)
MEMBER_HELP = "Write everything setbot holds about one person, as JSON (a subject access request)."
# Where people find an id: Slack profile → ⋮ → Copy member ID.
USER_ID_HINT = "copy it from their Slack profile (⋮ → Copy member ID)"


class ExportError(Exception):
    """Something the operator typed found nothing: one line, said to them."""


def add_parser(subparsers: Any) -> None:
    """Add `export learning` and `export member` to `setbot`'s subcommands."""
    export = subparsers.add_parser(
        "export", help="write a Set's learning, the organisation's, or a member's data"
    )
    export.set_defaults(command=lambda _args: _help(export))
    commands = export.add_subparsers(title="export commands")
    learning = commands.add_parser(
        "learning", help="a Set's learning summary", description=LEARNING_HELP
    )
    learning.add_argument(
        "--set",
        dest="set_name",
        required=True,
        metavar="NAME",
        help="the Set's name, or its number",
    )
    learning.add_argument(
        "--format", choices=sorted(FORMATS), default="md", help="md (default), csv or json"
    )
    learning.add_argument(
        "--team", metavar="T", help="the Slack team id, when two teams have a Set of that name"
    )
    learning.add_argument("--out", metavar="FILE", help="write to FILE instead of the screen")
    learning.set_defaults(command=learning_command)
    org = commands.add_parser(
        "org", help="learning across all of a workspace's Sets", description=ORG_HELP
    )
    org.add_argument("--team", metavar="T", help="the Slack team id, when the database has two")
    org.add_argument("--format", default="md", help="md (default), csv or json")
    org.add_argument("--since", metavar="DATE", help="only from this day on, e.g. 2027-01-31")
    org.add_argument("--out", metavar="FILE", help="write to FILE instead of the screen")
    org.set_defaults(command=org_command)
    member = commands.add_parser(
        "member", help="one person's data, as JSON", description=MEMBER_HELP
    )
    member.add_argument(
        "--user", required=True, metavar="ID", help="their Slack user id, e.g. U012AB3CD"
    )
    member.add_argument("--team", metavar="T", help="the Slack team id, when they are in two teams")
    member.add_argument("--out", metavar="FILE", help="write to FILE instead of the screen")
    member.set_defaults(command=member_command)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def learning_command(
    args: argparse.Namespace, *, store: Store | None = None, out: TextIO | None = None
) -> int:
    store = store or Store.from_url(load_database_url())
    try:
        with store.session() as session:
            set_id = find_set(session, args.set_name, team_id=args.team)
        summary = set_learning_summary(store, set_id=set_id)
        return _write(FORMATS[args.format](summary), args.out, out or sys.stdout)
    except ExportError as error:
        return _refuse(error)


def org_command(
    args: argparse.Namespace, *, store: Store | None = None, out: TextIO | None = None
) -> int:
    """The organisation report; a wrong format or date is one line, before the database."""
    try:
        write = ORG_FORMATS.get(args.format)
        if write is None:
            raise ExportError(f"--format is md, csv or json, not “{args.format}”")
        since = _day(args.since) if args.since else None
        store = store or Store.from_url(load_database_url())
        with store.session() as session:
            team_id = args.team or only_team(session)
        report = team_org_report(store, SystemClock(), team_id=team_id, since=since)
        if not report.overall.sets:
            raise ExportError(f"no Sets in team {team_id}; check the team id (it starts with T)")
        return _write(write(report), args.out, out or sys.stdout)
    except ExportError as error:
        return _refuse(error)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"--since wants a date like 2027-01-31, not “{text}”") from None


def only_team(session: Session) -> str:
    """The one team the database holds Sets for; two teams need --team."""
    teams = sorted(set(session.exec(select(LearningSet.team_id).distinct())))
    if len(teams) > 1:
        raise ExportError(f"Sets of {len(teams)} teams are here ({', '.join(teams)}); give --team")
    if not teams:
        raise ExportError("no Sets have been formed yet, so there is nothing to report")
    return teams[0]


def member_command(
    args: argparse.Namespace, *, store: Store | None = None, out: TextIO | None = None
) -> int:
    store = store or Store.from_url(load_database_url())
    try:
        with store.session() as session:
            team_id = args.team or team_of_user(session, args.user)
        export = export_member(store, team_id=team_id, user_id=args.user)
        if not holds_records(export):
            raise ExportError(f"no records of {args.user} in {team_id}; {USER_ID_HINT}")
        text = json.dumps(export, indent=2, ensure_ascii=False) + "\n"
        return _write(text, args.out, out or sys.stdout)
    except ExportError as error:
        return _refuse(error)


def find_set(session: Session, name: str, *, team_id: str | None) -> int:
    """The one Set called `name` (any case), or numbered `name`, in `team_id` if given."""
    statement = select(LearningSet)
    if team_id:
        statement = statement.where(LearningSet.team_id == team_id)
    by_number = [s for s in session.exec(statement.where(LearningSet.id == _number(name)))]
    named = session.exec(
        statement.where(func.lower(LearningSet.name) == name.strip().lower()).order_by(
            col(LearningSet.id)
        )
    ).all()
    found = by_number or list(named)
    if not found:
        where = f" in {team_id}" if team_id else ""
        raise ExportError(f"no Set is called “{name}”{where}; check the name in Slack with /set")
    if len(found) > 1:
        numbers = ", ".join(f"{s.id} ({s.team_id})" for s in found)
        raise ExportError(
            f"{len(found)} Sets are called “{name}”: numbers {numbers}; give --set NUMBER"
        )
    assert found[0].id is not None
    return found[0].id


def _number(name: str) -> int:
    """A Set's number typed as its name; -1 (no Set) for a real name."""
    return int(name) if name.strip().isdigit() else -1


def team_of_user(session: Session, user_id: str) -> str:
    """The one team where someone has records; two teams need --team."""
    teams: set[str] = set()
    for model, column in (
        (LearningSet, LearningSet.created_by),
        (Meeting, Meeting.started_by),
        (Membership, Membership.user_id),
        (Attendance, Attendance.user_id),
        (Round, Round.presenter_id),
        (Contribution, Contribution.user_id),
        (Commitment, Commitment.user_id),
        (ProcessReflection, ProcessReflection.user_id),
    ):
        teams.update(session.exec(select(model.team_id).where(column == user_id).distinct()))
    if not teams:
        raise ExportError(f"no records of {user_id}; {USER_ID_HINT}")
    if len(teams) > 1:
        raise ExportError(f"{user_id} has records in {', '.join(sorted(teams))}; give --team")
    return teams.pop()


def _write(text: str, path: str | None, out: TextIO) -> int:
    if path is None:
        out.write(text)
        return 0
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    print(f"Wrote {path}.", file=out)
    return 0


def _refuse(error: ExportError) -> int:
    print(f"setbot: {error}", file=sys.stderr)
    return 2
