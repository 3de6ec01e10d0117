"""Settings: a facilitator's IT person gets one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import BOT_SCOPES, ConfigError, load_database_url, load_settings, mask_password

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def test_defaults_give_http_mode_on_sqlite() -> None:
    settings = load_settings(GOOD, dotenv_path=None)
    assert not settings.socket_mode
    assert settings.port == 3000
    assert settings.database_url == "sqlite:///setbot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.tz_default == "Europe/London"


def test_an_app_token_means_socket_mode() -> None:
    settings = load_settings({**GOOD, "SLACK_APP_TOKEN": "xapp-1-A1-xyz"}, dotenv_path=None)
    assert settings.socket_mode


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set: create the app from manifest"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set: copy the Signing Secret"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN should start with xoxb-"),
        ({**GOOD, "SLACK_APP_TOKEN": "xoxb-oops"}, "SLACK_APP_TOKEN should start with xapp-"),
        ({**GOOD, "PORT": "http"}, "PORT must be a number from 1 to 65535"),
        ({**GOOD, "PORT": "70000"}, "PORT must be a number from 1 to 65535"),
        ({**GOOD, "DATABASE_URL": "mysql://x"}, "DATABASE_URL must be sqlite:///FILE or"),
        ({**GOOD, "SLACK_API_URL": "localhost:9"}, "SLACK_API_URL must start with http://"),
        ({**GOOD, "LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of"),
        ({**GOOD, "TZ_DEFAULT": "Mars/Olympus"}, "TZ_DEFAULT must be an IANA time zone"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_setting_is_named_in_one_line(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env, dotenv_path=None)
    assert str(raised.value).startswith(says)
    assert "\n" not in str(raised.value)


def test_dotenv_fills_in_but_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=file\nPORT=4000\n")
    settings = load_settings({"PORT": "5000"}, dotenv_path=dotenv)
    assert settings.bot_token == "xoxb-from-file"
    assert settings.port == 5000


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db/setbot", "postgresql+psycopg://u:p@db/setbot"),
        ("postgresql://u@db/setbot", "postgresql+psycopg://u@db/setbot"),
        ("sqlite:///other.db", "sqlite:///other.db"),
    ],
)
def test_hosted_database_urls_are_driven_by_psycopg(given: str, used: str) -> None:
    assert load_database_url({"DATABASE_URL": given}, dotenv_path=None) == used


def test_database_upgrades_need_no_slack_tokens() -> None:
    assert load_database_url({}, dotenv_path=None) == "sqlite:///setbot.db"


def test_passwords_never_reach_a_log_line() -> None:
    masked = mask_password("postgresql+psycopg://setbot:hunter2@db:5432/setbot")
    assert masked == "postgresql+psycopg://setbot:***@db:5432/setbot"
    assert "hunter2" not in mask_password("postgres://a:hunter2@b@host/db")
    assert mask_password("sqlite:///setbot.db") == "sqlite:///setbot.db"


# -- installing to many workspaces (OAuth mode) ----------------------------------------------

OAUTH = {
    "SLACK_CLIENT_ID": "1234567890.1234567890",
    "SLACK_CLIENT_SECRET": "client-s3cret",
    "SLACK_SIGNING_SECRET": "s3cret",
}


def test_a_client_id_and_secret_without_a_bot_token_mean_oauth_mode() -> None:
    settings = load_settings(OAUTH, dotenv_path=None)
    assert settings.oauth and settings.bot_token is None
    assert settings.scopes == BOT_SCOPES
    assert settings.install_redirect_uri is None
    assert not load_settings(GOOD, dotenv_path=None).oauth


def test_an_install_may_ask_for_chosen_scopes_and_name_its_redirect() -> None:
    settings = load_settings(
        {
            **OAUTH,
            "SLACK_SCOPES": "commands, chat:write,users.profile:read",
            "SLACK_INSTALL_REDIRECT_URI": "https://setbot.example.org/slack/oauth_redirect",
        },
        dotenv_path=None,
    )
    assert settings.scopes == ("commands", "chat:write", "users.profile:read")
    assert settings.install_redirect_uri == "https://setbot.example.org/slack/oauth_redirect"


def test_the_install_asks_for_the_bot_scopes_the_manifest_declares() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({**OAUTH, "SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_SECRET is not set: copy the Client"),
        ({**OAUTH, "SLACK_CLIENT_ID": ""}, "SLACK_CLIENT_ID is not set: copy the Client ID"),
        ({**OAUTH, "SLACK_CLIENT_ID": "my-app"}, "SLACK_CLIENT_ID looks like 1234567890."),
        ({**OAUTH, **GOOD}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set"),
        ({**OAUTH, "SLACK_APP_TOKEN": "xapp-1-A1-xyz"}, "SLACK_APP_TOKEN is set, but installing"),
        ({**OAUTH, "SLACK_SCOPES": "commands chat:write"}, "SLACK_SCOPES must be bot scopes"),
        (
            {**OAUTH, "SLACK_INSTALL_REDIRECT_URI": "https://setbot.example.org/"},
            "SLACK_INSTALL_REDIRECT_URI must be https://YOUR-HOST/slack/oauth_redirect",
        ),
        (
            {"SLACK_CLIENT_ID": OAUTH["SLACK_CLIENT_ID"], "SLACK_CLIENT_SECRET": "c"},
            "SLACK_SIGNING_SECRET is not set",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_half_finished_oauth_set_up_is_named_in_one_line(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env, dotenv_path=None)
    assert str(raised.value).startswith(says)
    assert "\n" not in str(raised.value)


def test_the_tick_is_a_whole_number_of_seconds() -> None:
    assert load_settings({**GOOD, "TICK_SECONDS": "5"}, dotenv_path=None).tick_seconds == 5
    assert load_settings(GOOD, dotenv_path=None).tick_seconds == 30
    for bad in ("0", "soon", "1.5", "3601"):
        with pytest.raises(ConfigError, match="TICK_SECONDS must be a whole number"):
            load_settings({**GOOD, "TICK_SECONDS": bad}, dotenv_path=None)
