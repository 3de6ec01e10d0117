"""Slack's side of installing the app to a workspace: approval, codes, bot tokens, rotation.

One `SlackApp` is the app as Slack registered it (Basic Information → App Credentials),
shared by every workspace an emulator plays (`SlackEmulator.add_workspace`). A person who
approves the install on Slack's authorize page gets a one-time code on the way back to the
bot's redirect URL; `oauth.v2.access` trades it, with the client id and secret, for that
workspace's bot token. With token rotation on, a token lasts `token_lifetime` seconds and
comes with a refresh token, and `oauth.v2.access` with `grant_type=refresh_token` gives a
fresh one, as Slack documents at docs.slack.dev/authentication/using-token-rotation.
"""

from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.sim.workspace import ApiError, Json, Workspace

OAUTH_ACCESS = "oauth.v2.access"
# Slack's bot tokens live twelve hours when token rotation is on.
ROTATED_TOKEN_LIFETIME = 12 * 60 * 60


@dataclass
class _Token:
    team_id: str
    # time.time() after which Slack answers `token_expired`; None: it never expires.
    expires_at: float | None


@dataclass(frozen=True)
class _Code:
    team_id: str
    installer: str
    scopes: str
    redirect_uri: str


class SlackApp:
    """The app's credentials and everything Slack issued for it, in every workspace."""

    def __init__(
        self,
        *,
        client_id: str = "1111111111.2222222222",
        client_secret: str = "sim-client-secret",
        app_id: str = "A0SETBOT",
        token_rotation: bool = True,
    ) -> None:
        # Basic Information → App Credentials → Client ID and Client Secret.
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        # OAuth & Permissions → Advanced token security → Token Rotation.
        self.token_rotation = token_rotation
        # OAuth & Permissions → Redirect URLs: where installers go back when a link names none.
        self.redirect_url: str | None = None
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, str] = {}
        # The scopes each workspace approved: a refreshed token keeps them.
        self._scopes: dict[str, str] = {}
        self._serial = itertools.count(1)

    def authorize(self, url: str, *, team_id: str, user: str) -> str:
        """`user` presses Allow on Slack's authorize page at `url`: where the browser goes next.

        That is the redirect URI with a one-time `code` and the `state` the bot put in `url`.
        """
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        if query.get("client_id") != self.client_id:
            raise ApiError("invalid_client_id")
        redirect_uri = query.get("redirect_uri") or self.redirect_url
        if redirect_uri is None:
            raise ApiError("bad_redirect_uri")
        code = f"sim-code-{team_id}-{next(self._serial)}"
        self._codes[code] = _Code(team_id, user, query.get("scope", ""), redirect_uri)
        back = {"code": code, "state": query.get("state", "")}
        return f"{redirect_uri}?{urlencode(back)}"

    def team_of(self, args: Json, token: object) -> str | None:
        """Which workspace a call is for: by its code or refresh token, else by its bearer token."""
        if code := self._codes.get(str(args.get("code"))):
            return code.team_id
        if team_id := self._refresh_tokens.get(str(args.get("refresh_token"))):
            return team_id
        issued = self._tokens.get(token) if isinstance(token, str) else None
        return issued.team_id if issued else None

    def check(self, token: str, *, team_id: str) -> None:
        """Raise as Slack does for a token it never issued to this workspace, or one expired."""
        issued = self._tokens.get(token)
        if issued is None or issued.team_id != team_id:
            raise ApiError("invalid_auth")
        if issued.expires_at is not None and issued.expires_at <= time.time():
            raise ApiError("token_expired")

    def expire_tokens(self, team_id: str) -> None:
        """The workspace's bot tokens reach the end of their life now."""
        for issued in self._tokens.values():
            if issued.team_id == team_id and issued.expires_at is not None:
                issued.expires_at = time.time()

    def access(self, ws: Workspace, args: Json, authorization: str | None) -> Json:
        """oauth.v2.access: a code for the workspace's first token, or a refresh for a new one."""
        self._check_credentials(args, authorization)
        if args.get("grant_type") == "refresh_token":
            if self._refresh_tokens.get(str(args.get("refresh_token"))) != ws.team_id:
                raise ApiError("invalid_refresh_token")
            return self._issue(ws, scopes=self._scopes.get(ws.team_id, ""), installer=None)
        code = self._codes.pop(str(args.get("code")), None)
        if code is None or code.team_id != ws.team_id:
            raise ApiError("invalid_code")
        if args.get("redirect_uri") not in (None, code.redirect_uri):
            raise ApiError("bad_redirect_uri")
        return self._issue(ws, scopes=code.scopes, installer=code.installer)

    def _check_credentials(self, args: Json, authorization: str | None) -> None:
        """The client id and secret, as HTTP Basic auth (slack_sdk's way) or form fields."""
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        if client_id != self.client_id:
            raise ApiError("invalid_client_id")
        if client_secret != self.client_secret:
            raise ApiError("bad_client_secret")

    def _issue(self, ws: Workspace, *, scopes: str, installer: str | None) -> Json:
        serial = next(self._serial)
        prefix = "xoxe.xoxb" if self.token_rotation else "xoxb"
        token = f"{prefix}-{ws.team_id}-{serial}-sim"
        lifetime = ROTATED_TOKEN_LIFETIME if self.token_rotation else None
        self._tokens[token] = _Token(
            ws.team_id, None if lifetime is None else time.time() + lifetime
        )
        answer: Json = {
            "access_token": token,
            "token_type": "bot",
            "scope": scopes,
            "bot_user_id": ws.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if installer is not None:
            answer["authed_user"] = {"id": installer}
        if lifetime is not None:
            refresh_token = f"xoxe-1-{ws.team_id}-{serial}-sim"
            self._refresh_tokens[refresh_token] = ws.team_id
            answer.update(refresh_token=refresh_token, expires_in=lifetime)
        self._scopes[ws.team_id] = scopes
        return answer
