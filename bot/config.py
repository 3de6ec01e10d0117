"""One typed settings object, read from the environment and an optional `.env` file.

A facilitator's IT person sets these once; when one is missing or malformed the bot must
say which and where to get it in one line, never with a traceback.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

SLACK_API_DEFAULT = "https://slack.com/api/"
DATABASE_DEFAULT = "sqlite:///setbot.db"
# Where HTTP mode serves Slack's install steps, in OAuth mode (bot/installs.py).
INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
# What an install asks each workspace for: manifest.yml's bot scopes (tests keep them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "groups:write",
    "channels:join",
    "users:read",
    "files:write",
)
_CLIENT_ID = re.compile(r"\d+\.\d+")
_SCOPE = re.compile(r"[a-z][a-z.]*(:[a-z.]+)*")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for a person."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    # Basic Information → App-Level Tokens on api.slack.com/apps (scope connections:write).
    # Present → Socket Mode; absent → HTTP mode on `port`.
    app_token: str | None
    # OAuth & Permissions → Bot User OAuth Token (xoxb-…), after installing the app to one
    # workspace. None in OAuth mode, where each workspace's own token is in the database.
    bot_token: str | None
    # Basic Information → App Credentials → Signing Secret.
    signing_secret: str
    # Basic Information → App Credentials → Client ID and Client Secret. Set (instead of a
    # bot token) → OAuth mode: any workspace installs setbot at /slack/install.
    client_id: str | None = None
    client_secret: str | None = None
    # The bot scopes an install asks for.
    scopes: tuple[str, ...] = BOT_SCOPES
    # OAuth & Permissions → Redirect URLs: https://YOUR-HOST/slack/oauth_redirect. Unset,
    # Slack sends installers back to the app's only Redirect URL.
    install_redirect_uri: str | None = None
    # Port for HTTP mode (Event Subscriptions / Interactivity request URL points here).
    port: int = 3000
    # SQLAlchemy URL; SQLite file by default, PostgreSQL via postgresql+psycopg://…
    database_url: str = DATABASE_DEFAULT
    # Where the Web API lives: Slack's own, or the local emulator in bot/sim.
    slack_api_url: str = SLACK_API_DEFAULT
    log_level: str = "INFO"
    # How often each process sends what the outbox owes (and picks up what a dead one left).
    tick_seconds: int = 30
    # IANA zone used when a Set or a member has none yet.
    tz_default: str = "Europe/London"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        """Installed to many workspaces through Slack's OAuth, each with its own token."""
        return self.client_id is not None


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env"
) -> Settings:
    """Everything `setbot run` needs, validated."""
    return _validate(_environment(environ, dotenv_path))


def load_database_url(
    environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env"
) -> str:
    """Just the database, for `setbot db ...`: upgrading needs no Slack tokens."""
    env = _environment(environ, dotenv_path)
    return normalise_database_url(env.get("DATABASE_URL", "") or DATABASE_DEFAULT)


def _environment(
    environ: Mapping[str, str] | None, dotenv_path: str | Path | None
) -> dict[str, str]:
    """`.env` under the real environment: what is exported wins over the file."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def _validate(env: Mapping[str, str]) -> Settings:
    client_id, client_secret = _client_credentials(env)
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip() or None
    if client_id is None:
        bot_token = _required(
            env,
            "SLACK_BOT_TOKEN",
            "create the app from manifest.yml, install it, and copy the Bot User OAuth Token "
            "(xoxb-…) into .env",
        )
    elif bot_token is not None:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: keep the bot token for one "
            "workspace, or the client id and secret to install to many, not both"
        )
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN should start with xoxb-: copy the Bot User OAuth Token from "
            "OAuth & Permissions"
        )
    signing_secret = _required(
        env,
        "SLACK_SIGNING_SECRET",
        "copy the Signing Secret from Basic Information → App Credentials into .env",
    )
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN should start with xapp-: create an App-Level Token with "
            "connections:write under Basic Information, or leave it unset for HTTP mode"
        )
    if app_token is not None and client_id is not None:
        raise ConfigError(
            "SLACK_APP_TOKEN is set, but installing to many workspaces needs HTTP mode for "
            "its /slack/install page: leave SLACK_APP_TOKEN unset"
        )
    return Settings(
        app_token=app_token,
        bot_token=bot_token,
        signing_secret=signing_secret,
        client_id=client_id,
        client_secret=client_secret,
        scopes=_scopes(env.get("SLACK_SCOPES", "")),
        install_redirect_uri=_redirect_uri(env.get("SLACK_INSTALL_REDIRECT_URI", "")),
        port=_port(env.get("PORT", "3000")),
        database_url=normalise_database_url(env.get("DATABASE_URL", "") or DATABASE_DEFAULT),
        slack_api_url=_api_url(env.get("SLACK_API_URL", "") or SLACK_API_DEFAULT),
        log_level=_log_level(env.get("LOG_LEVEL", "") or "INFO"),
        tick_seconds=_tick_seconds(env.get("TICK_SECONDS", "") or "30"),
        tz_default=_zone(env.get("TZ_DEFAULT", "") or "Europe/London"),
    )


def _client_credentials(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Both or neither: one without the other is a half-finished OAuth set-up."""
    client_id = env.get("SLACK_CLIENT_ID", "").strip() or None
    client_secret = env.get("SLACK_CLIENT_SECRET", "").strip() or None
    where = "from Basic Information → App Credentials into .env"
    if client_id is None and client_secret is not None:
        raise ConfigError(f"SLACK_CLIENT_ID is not set: copy the Client ID {where}")
    if client_id is not None and client_secret is None:
        raise ConfigError(f"SLACK_CLIENT_SECRET is not set: copy the Client Secret {where}")
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        raise ConfigError(
            f"SLACK_CLIENT_ID looks like 1234567890.1234567890, not {client_id!r}: copy the "
            f"Client ID {where}"
        )
    return client_id, client_secret


def _scopes(raw: str) -> tuple[str, ...]:
    scopes = tuple(scope.strip() for scope in raw.split(",") if scope.strip())
    if not all(_SCOPE.fullmatch(scope) for scope in scopes):
        raise ConfigError(
            f"SLACK_SCOPES must be bot scopes separated by commas, such as "
            f"commands,chat:write, not {raw!r}"
        )
    return scopes or BOT_SCOPES


def _redirect_uri(raw: str) -> str | None:
    uri = raw.strip()
    if uri and not (uri.startswith(("https://", "http://")) and uri.endswith(OAUTH_REDIRECT_PATH)):
        raise ConfigError(
            f"SLACK_INSTALL_REDIRECT_URI must be https://YOUR-HOST{OAUTH_REDIRECT_PATH}, "
            f"not {raw!r}"
        )
    return uri or None


def _required(env: Mapping[str, str], name: str, how: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {how}")
    return value


def _port(raw: str) -> int:
    if not raw.strip().isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT must be a number from 1 to 65535, not {raw!r}")
    return int(raw)


def _api_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL must start with http:// or https://, not {raw!r}")
    return raw if raw.endswith("/") else raw + "/"


def _tick_seconds(raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 3600:
        raise ConfigError(f"TICK_SECONDS must be a whole number from 1 to 3600, not {raw!r}")
    return int(raw)


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in logging.getLevelNamesMapping():
        raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not {raw!r}")
    return level


def _zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TZ_DEFAULT must be an IANA time zone such as Europe/London, not {raw!r}"
        ) from None
    return raw


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosts hand out; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(
            "DATABASE_URL must be sqlite:///FILE or postgresql+psycopg://USER@HOST/DB, "
            f"not {mask_password(url)!r}"
        )
    return url


def mask_password(url: str) -> str:
    """For log lines: keep the URL recognisable, never the password."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
