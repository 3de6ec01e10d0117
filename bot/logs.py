"""How a running setbot logs: its own lines at LOG_LEVEL, never a member's words or a secret.

What is said in a Set is confidential, and logs travel further than the database: to
hosting dashboards, support tickets, whoever is on call. Several libraries write what
they carry when logging is at DEBUG: slack_sdk every Web API request's body (the
messages setbot posts) and every Socket Mode envelope, Bolt each answer it sends back
(the replies, echoing what was typed), SQLAlchemy every statement with its parameters
(actions, report backs, learning). So those loggers never go below INFO (SQLAlchemy and
Alembic below WARNING), whatever LOG_LEVEL says: DEBUG turns on setbot's own lines,
which name requests and rows, never their text.

As a second guard, every line written has Slack tokens, the signing secret and the OAuth
client secret taken out, in case one ever reaches a message or a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TextIO

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# Loggers that write message bodies or SQL parameters below these levels.
QUIETEST = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "setbot.bolt": logging.INFO,  # Bolt's own logger for our app (bot/app.py)
    "sqlalchemy": logging.WARNING,
    "alembic": logging.WARNING,  # narrates every migration step at INFO
}
# Slack's tokens: bot (xoxb-), user (xoxp-), refresh (xoxe-), app-level (xapp-) and the rest;
# with OAuth installs, every workspace's own.
SLACK_TOKEN = r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+"


class Redact(logging.Filter):
    """Takes Slack tokens and the given secrets out of a record before any handler writes it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        known = sorted((re.escape(s) for s in secrets if s), key=len, reverse=True)
        self._secret = re.compile("|".join([SLACK_TOKEN, *known]))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            return True  # a malformed call: the handler reports it, without its arguments
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True

    def scrub(self, text: str) -> str:
        return self._secret.sub(REDACTED, text)


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Log to `stream` (standard error by default) at LOG_LEVEL, keeping the chatty libraries
    quiet and secrets out; returns the handler, so a caller can take it away again."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    secrets = (settings.bot_token, settings.app_token, settings.client_secret)
    handler.addFilter(Redact([settings.signing_secret, *(s for s in secrets if s)]))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name, quietest in QUIETEST.items():
        logging.getLogger(name).setLevel(max(quietest, level))
    return handler
