"""The emulator installs the app as Slack does: one code per approval, one token per workspace."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import SlackEmulator
from tests.sim.conftest import ALICE

AUTHORIZE = "https://slack.com/oauth/v2/authorize"


@pytest.fixture
def guest(emulator: SlackEmulator) -> SlackEmulator:
    guest = emulator.add_workspace(
        team_id="T0GUEST", team_name="Guest Co", bot_user_id="U0GUESTBOT", bot_id="B0GUEST"
    )
    guest.add_user(ALICE, name="alice")
    return guest


def approve(workspace: SlackEmulator, *, state: str = "s1") -> str:
    """Alice presses Allow; returns the code the redirect carries."""
    app = workspace.slack_app
    link = f"{AUTHORIZE}?client_id={app.client_id}&scope=commands&state={state}"
    app.redirect_url = "https://bot.example.org/slack/oauth_redirect"
    back = workspace.authorize_install(link, user=ALICE)
    assert back.startswith(app.redirect_url + "?code=") and back.endswith(f"&state={state}")
    return back.split("code=")[1].split("&")[0]


def trade(emulator: SlackEmulator, **args: str) -> dict[str, object]:
    app = emulator.slack_app
    client = WebClient(base_url=emulator.api_url)
    answer = client.oauth_v2_access(
        client_id=args.pop("client_id", app.client_id),
        client_secret=args.pop("client_secret", app.client_secret),
        **args,
    )
    return dict(answer.data)  # type: ignore[arg-type]


def test_a_code_gives_the_workspace_its_own_rotating_bot_token(
    emulator: SlackEmulator, guest: SlackEmulator
) -> None:
    answer = trade(emulator, code=approve(guest))

    assert answer["team"] == {"id": "T0GUEST", "name": "Guest Co"}
    assert answer["token_type"] == "bot" and answer["bot_user_id"] == "U0GUESTBOT"
    assert answer["authed_user"] == {"id": ALICE} and answer["scope"] == "commands"
    assert answer["expires_in"] == 12 * 60 * 60 and str(answer["refresh_token"]).startswith("xoxe")
    token = str(answer["access_token"])
    assert WebClient(token=token, base_url=emulator.api_url).auth_test()["team_id"] == "T0GUEST"
    assert [call.token for call in guest.calls_to("auth.test")] == [token]
    assert emulator.calls_to("auth.test") == []


def test_a_code_works_once_and_only_with_the_apps_secret(
    emulator: SlackEmulator, guest: SlackEmulator
) -> None:
    code = approve(guest)
    with pytest.raises(SlackApiError) as wrong_secret:
        trade(emulator, code=code, client_secret="guessed")
    assert wrong_secret.value.response["error"] == "bad_client_secret"

    trade(emulator, code=code)
    with pytest.raises(SlackApiError) as again:
        trade(emulator, code=code)
    assert again.value.response["error"] == "invalid_code"


def test_an_expired_token_is_refused_until_it_is_refreshed(
    emulator: SlackEmulator, guest: SlackEmulator
) -> None:
    installed = trade(emulator, code=approve(guest))
    guest.expire_tokens()

    with pytest.raises(SlackApiError) as lapsed:
        WebClient(token=str(installed["access_token"]), base_url=emulator.api_url).auth_test()
    assert lapsed.value.response["error"] == "token_expired"

    fresh = trade(
        emulator, grant_type="refresh_token", refresh_token=str(installed["refresh_token"])
    )
    assert fresh["access_token"] != installed["access_token"]
    client = WebClient(token=str(fresh["access_token"]), base_url=emulator.api_url)
    assert client.auth_test()["team_id"] == "T0GUEST"
