"""`setbot reminders list` and `setbot reminders dispatch --now TIME`: the outbox for operators.

`list` shows what is still owed, one line a row. `dispatch --now` sends what is due as if
it were that time: for rehearsals and tests, and to flush the outbox by hand. Times are
ISO 8601; one without a zone is read as UTC. A time that can't be read is told in one
line, with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.config import load_database_url
from bot.flows.outbox import DispatchReport, Messenger, dispatch_due, set_id_of_key
from bot.store.db import Store
from bot.store.models import LearningSet, OutboxMessage, OutboxStatus

EXAMPLE_TIME = "2027-01-05T09:00Z"


def list_reminders(
    store: Store, *, set_name: str | None = None, due_before: datetime | None = None
) -> list[str]:
    """One line per pending row, soonest first: due time (UTC), kind, target, Set, key."""
    with store.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        if due_before is not None:
            statement = statement.where(col(OutboxMessage.due_at) < due_before)
        rows = session.exec(statement.order_by(col(OutboxMessage.due_at), col(OutboxMessage.id)))
        names = {s.id: s.name for s in session.exec(select(LearningSet))}
        lines = []
        for row in rows:
            name = names.get(set_id_of_key(row.dedupe_key), "")
            if set_name is not None and name.casefold() != set_name.casefold():
                continue
            assert row.due_at is not None
            lines.append(
                f"{row.due_at:%Y-%m-%d %H:%M} UTC  {row.kind:<20}  {row.target:<12}  "
                f"{name or '(no Set)'}  [{row.dedupe_key}]"
            )
    return lines


def dispatch_at(store: Store, messenger: Messenger, when: datetime) -> DispatchReport:
    """Send what is due as if it were `when` (sent rows record `when` as their time)."""
    return dispatch_due(store, messenger, ManualClock(when))


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 time, in UTC; one without a zone is taken to be UTC already."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{option} wants an ISO time such as {EXAMPLE_TIME}; “{text}” isn't one"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def add_parser(subparsers: Any) -> None:
    """Add `reminders list` and `reminders dispatch` to `setbot`'s subcommands."""
    reminders = subparsers.add_parser("reminders", help="see and send what the outbox owes")
    reminders.set_defaults(command=lambda _args: _help(reminders))
    commands = reminders.add_subparsers(title="reminders commands")
    listing = commands.add_parser("list", help="list the reminders still to be sent")
    listing.add_argument("--set", dest="set_name", metavar="NAME", help="only this Set's")
    listing.add_argument(
        "--due-before", metavar="TIME", help=f"only due before, e.g. {EXAMPLE_TIME}"
    )
    listing.set_defaults(command=list_command)
    dispatch = commands.add_parser("dispatch", help="send what is due as if it were --now")
    dispatch.add_argument("--now", required=True, metavar="TIME", help=f"e.g. {EXAMPLE_TIME}")
    dispatch.set_defaults(command=dispatch_command)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def list_command(
    args: argparse.Namespace, *, store: Store | None = None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    try:
        due_before = parse_time(args.due_before, "--due-before") if args.due_before else None
    except ValueError as error:
        return _refuse(error)
    store = store or Store.from_url(load_database_url())
    lines = list_reminders(store, set_name=args.set_name, due_before=due_before)
    if not lines:
        lines = ["No reminders are waiting to be sent" + _filters(args.set_name, due_before) + "."]
    print("\n".join(lines), file=out)
    return 0


def dispatch_command(
    args: argparse.Namespace,
    *,
    store: Store | None = None,
    messenger: Messenger | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    try:
        when = parse_time(args.now, "--now")
    except ValueError as error:
        return _refuse(error)
    store = store or Store.from_url(load_database_url())
    report = dispatch_at(store, messenger or _slack_messenger(store), when)
    print(f"Dispatched as of {when:%Y-%m-%d %H:%M} UTC: {report}.", file=out)
    return 0


def _refuse(error: ValueError) -> int:
    print(f"setbot: {error}", file=sys.stderr)
    return 2


def _filters(set_name: str | None, due_before: datetime | None) -> str:
    said = f" for “{set_name}”" if set_name else ""
    return said + (f" before {due_before:%Y-%m-%d %H:%M} UTC" if due_before else "")


def _slack_messenger(store: Store) -> Messenger:
    """The bot's own way to Slack: Slack's libraries load only when something is sent."""
    from bot.app import web_client
    from bot.config import load_settings
    from bot.installs import outbox_messenger

    settings = load_settings()
    return outbox_messenger(settings, store, web_client(settings))
