"""`setbot`: run the bot, upgrade its database, say its version.

Whatever goes wrong at start-up is told in one line a person can act on, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import version

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, load_database_url, load_settings, mask_password
from bot.demo.cli import add_parser as add_demo_parser
from bot.export_cli import add_parser as add_export_parser
from bot.logs import configure_logging
from bot.reminders_cli import add_parser as add_reminders_parser
from bot.store.db import Store
from bot.store.migrate import new_revision, upgrade

log = logging.getLogger("setbot")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        print(f"setbot {version('setbot')}")
        return 0
    if args.command is None:
        _parser().print_help()
        return 0
    try:
        return args.command(args)
    except ConfigError as error:
        print(f"setbot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"setbot: cannot use the database: {_first_line(error)}", file=sys.stderr)
        return 1
    except (BoltError, SlackClientError, OSError) as error:
        print(f"setbot: cannot reach Slack: {_slack_reason(error)}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="setbot", description="Action Learning Sets in Slack.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.set_defaults(command=None)
    sub = parser.add_subparsers(title="commands")
    sub.add_parser("run", help="run the bot (Socket Mode or HTTP)").set_defaults(command=run)
    db = sub.add_parser("db", help="manage the database").add_subparsers(title="db commands")
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(command=db_upgrade)
    revision = db.add_parser("revision", help="(developers) new migration from the models")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(command=db_revision)
    add_reminders_parser(sub)
    add_export_parser(sub)
    add_demo_parser(sub)
    return parser


def run(_args: argparse.Namespace) -> int:
    from bot.serve import serve  # Bolt and waitress load only when the bot really runs.

    settings = load_settings()
    configure_logging(settings)  # never message text, tokens or secrets, even at DEBUG
    store = Store.from_url(settings.database_url)
    upgrade(store.engine)
    serve(settings, store)
    return 0


def db_upgrade(_args: argparse.Namespace) -> int:
    url = load_database_url()
    upgrade(Store.from_url(url).engine)
    print(f"setbot: database {mask_password(url)} is up to date")
    return 0


def db_revision(args: argparse.Namespace) -> int:
    new_revision(Store.from_url(load_database_url()).engine, args.message)
    return 0


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _slack_reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"{error.response.get('error')} — check SLACK_BOT_TOKEN and SLACK_API_URL"
    return f"{_first_line(error)} — check SLACK_BOT_TOKEN and SLACK_API_URL"
