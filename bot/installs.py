"""Many workspaces, one deployment: Slack's OAuth install, and each workspace's own bot token.

In OAuth mode (bot/config.py) a workspace admin installs setbot at /slack/install; Slack
sends them back to /slack/oauth_redirect with a one-time code, which Bolt trades for that
workspace's bot token (and, with token rotation, a refresh token). slack_sdk's SQLAlchemy
installation store keeps it in our own database (`slack_installations`, `slack_bots`, built
by our migrations in bot/store/installations.py), so every process sees every install; the
install's `state` is kept there too (`slack_oauth_states`), because the browser may come
back to a different process than the one that sent it to Slack.

A request from Slack is answered with the token of the workspace that sent it: Bolt looks
the installation up per request and refreshes the token first when it is near its end.
What the bot sends on its own, from the outbox, goes through `TeamMessenger`, which does
the same for each row's workspace.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.exc import SQLAlchemyError

from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH, Settings
from bot.delivery import SlackMessenger
from bot.flows.notices import Notice
from bot.flows.outbox import DeliveryError, Messenger
from bot.store.db import Store
from bot.store.installations import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

log = logging.getLogger("setbot.installs")

# Refresh a workspace's token this many minutes before it runs out (Slack's last 12 hours),
# so no call is made with a token about to expire mid-request.
REFRESH_BEFORE_MINUTES = 120
# An installer has ten minutes between /slack/install and coming back from Slack.
STATE_LIFETIME_SECONDS = 600
# What someone in a workspace that has not installed setbot sees when they try it.
NOT_INSTALLED = (
    "setbot isn't installed in this workspace yet. Ask a Slack admin to install it, then try again."
)


def app_options(settings: Settings, store: Store) -> dict[str, Any]:
    """Bolt's App arguments for OAuth mode; none for one workspace's bot token.

    The installation store is given to the App as well as to the OAuth settings: then
    Bolt refreshes tokens through the app's own client (SLACK_API_URL), not slack.com's.
    """
    if not settings.oauth:
        return {}
    installations = installation_store(settings, store)
    return {
        "installation_store": installations,
        "oauth_settings": OAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=list(settings.scopes),
            user_scopes=[],
            redirect_uri=settings.install_redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=OAUTH_REDIRECT_PATH,
            callback_options=CallbackOptions(success=_installed, failure=_not_installed),
            installation_store=installations,
            token_rotation_expiration_minutes=REFRESH_BEFORE_MINUTES,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_LIFETIME_SECONDS,
                engine=store.engine,
                table_name=OAUTH_STATES_TABLE,
                logger=log,
            ),
            state_expiration_seconds=STATE_LIFETIME_SECONDS,
            logger=log,
        ),
        "user_facing_authorize_error_message": NOT_INSTALLED,
    }


def installation_store(settings: Settings, store: Store) -> SQLAlchemyInstallationStore:
    """Every workspace's install, in our database; its tables come from our migrations."""
    if settings.client_id is None:
        raise ValueError("installations belong to OAuth mode: SLACK_CLIENT_ID is not set")
    return SQLAlchemyInstallationStore(
        client_id=settings.client_id,
        engine=store.engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
        logger=log,
    )


def outbox_messenger(settings: Settings, store: Store, client: WebClient) -> Messenger:
    """How the outbox reaches Slack: with the one bot token, or each workspace's own."""
    if not settings.oauth:
        return SlackMessenger(client)
    return TeamMessenger(
        settings=settings, installations=installation_store(settings, store), client=client
    )


class TeamMessenger:
    """Delivers each notice with the bot token of the workspace it is for (OAuth mode).

    `client` gives the address and the retry handlers; the token is the workspace's,
    refreshed and saved first when it is near its end, as Bolt does for requests.
    """

    def __init__(
        self, *, settings: Settings, installations: SQLAlchemyInstallationStore, client: WebClient
    ) -> None:
        if settings.client_id is None or settings.client_secret is None:
            raise ValueError("a TeamMessenger needs the app's client id and secret")
        self._installations = installations
        self._client = client
        self._rotator = TokenRotator(
            client_id=settings.client_id, client_secret=settings.client_secret, client=client
        )

    def deliver(self, notice: Notice) -> str | None:
        return SlackMessenger(self.client_for(notice.team_id)).deliver(notice)

    def client_for(self, team_id: str | None) -> WebClient:
        """A client with the workspace's current bot token; DeliveryError when there is none."""
        if team_id is None:
            raise DeliveryError("the notice names no workspace", permanent=True)
        try:
            installation = self._installations.find_installation(
                enterprise_id=None, team_id=team_id
            )
            if installation is None or installation.bot_token is None:
                raise DeliveryError("setbot is not installed in this workspace", permanent=True)
            installation = self._refreshed(installation)
        except SlackTokenRotationError as error:
            raise DeliveryError(f"could not refresh the workspace's token: {error}") from error
        except SQLAlchemyError as error:
            raise DeliveryError(f"cannot read installs ({type(error).__name__})") from error
        return WebClient(
            token=installation.bot_token,
            base_url=self._client.base_url,
            timeout=self._client.timeout,
            retry_handlers=self._client.retry_handlers,
        )

    def _refreshed(self, installation: Installation) -> Installation:
        rotated = self._rotator.perform_token_rotation(
            installation=installation, minutes_before_expiration=REFRESH_BEFORE_MINUTES
        )
        if rotated is None:
            return installation
        self._installations.save(rotated)
        return rotated


# -- the installer's pages -----------------------------------------------------------------


def _installed(args: SuccessArgs) -> BoltResponse:
    team = args.installation.team_name or "your workspace"
    return _page(
        200,
        f"setbot is installed in {team}",
        "Open Slack and type <code>/set new</code> in any channel to form your first Set.",
        cookie=args.settings.state_utils.build_set_cookie_for_deletion(),
    )


def _not_installed(args: FailureArgs) -> BoltResponse:
    log.warning("an install did not finish: %s", args.reason)
    return _page(
        args.suggested_status_code,
        "setbot was not installed",
        f"Slack said: {html.escape(args.reason)}. Please start again at "
        f'<a href="{INSTALL_PATH}">{INSTALL_PATH}</a>.',
    )


def _page(status: int, title: str, next_step: str, *, cookie: str | None = None) -> BoltResponse:
    """A short page; `next_step` is our own markup, the title may carry a workspace's name."""
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{next_step}</p></body></html>"
    )
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8"}
    if cookie is not None:
        headers["Set-Cookie"] = [cookie]
    return BoltResponse(status=status, body=body, headers=headers)
