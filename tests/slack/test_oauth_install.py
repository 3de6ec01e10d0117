"""One setbot, two organisations: North Trust and South Trust each install it through Slack.

Each workspace's admin opens the bot's install page, approves the install on Slack's page
(played by the emulator), and comes back with a code that the bot trades for that
workspace's own bot token. Then each runs its own Set, and nothing crosses between them:
not the Sets, not the reminders, not a button pressed in one naming the other's meeting,
not the tokens that carry each workspace's messages. Both workspaces use the same user
and channel ids, so only the workspace tells them apart.
"""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlmodel import select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import BOT_SCOPES, INSTALL_PATH, OAUTH_REDIRECT_PATH, Settings
from bot.flows.outbox import dispatch_due
from bot.installs import NOT_INSTALLED, installation_store, outbox_messenger
from bot.serve import start_line
from bot.sim import Message, SlackDriver, SlackEmulator
from bot.sim.layout import elements
from bot.store.db import Store
from bot.store.models import Attendance, LearningSet
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from tests.conftest import SIGNING_SECRET, RunningBot

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"
LOBBY = "C0LOBBY"
FIRST_MEETING = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
# Loopback needs no proxy, whatever the environment says.
_BROWSER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def north(slack: SlackEmulator) -> Iterator[SlackEmulator]:
    yield from _workspace(slack, "T0NORTH", "North Trust")


@pytest.fixture
def south(slack: SlackEmulator) -> Iterator[SlackEmulator]:
    yield from _workspace(slack, "T0SOUTH", "South Trust")


def _workspace(slack: SlackEmulator, team_id: str, name: str) -> Iterator[SlackEmulator]:
    """Another workspace on the same Slack, with the same people (by id) as every other."""
    workspace = slack.add_workspace(
        team_id=team_id, team_name=name, bot_user_id=f"U{team_id}BOT", bot_id=f"B{team_id}"
    )
    workspace.add_user(FRAN, name="fran", real_name=f"Fran of {name}")
    for user in (ASHA, BEN):
        workspace.add_user(user, name=user[3:].lower())
    yield workspace
    assert not workspace.layout_errors, f"Slack would reject: {workspace.layout_errors}"


@pytest.fixture
def settings(slack: SlackEmulator) -> Settings:
    """OAuth mode: the app's client id and secret, and no bot token of its own."""
    return Settings(
        app_token=None,
        bot_token=None,
        signing_secret=SIGNING_SECRET,
        client_id=slack.slack_app.client_id,
        client_secret=slack.slack_app.client_secret,
        slack_api_url=slack.api_url,
        database_url="sqlite://",
    )


@pytest.fixture
def installs(settings: Settings, store: Store) -> SQLAlchemyInstallationStore:
    return installation_store(settings, store)


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    cookie: str | None


def browse(url: str, *, cookie: str | None = None) -> Page:
    """What a browser gets from `url`: the page, and the cookie it was handed to keep."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _BROWSER.open(request, timeout=10) as answer:
            status, body, headers = answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    handed = headers.get("Set-Cookie")
    return Page(status, body.decode(), handed.split(";")[0] if handed else None)


def install(bot: RunningBot, workspace: SlackEmulator, *, admin: str) -> Page:
    """`admin` installs setbot: the bot's install page, Allow on Slack's page, and back."""
    workspace.slack_app.redirect_url = bot.base_url + OAUTH_REDIRECT_PATH
    page = browse(bot.base_url + INSTALL_PATH)
    assert page.status == 200 and page.cookie is not None
    found = re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page.body)
    assert found, f"no Add to Slack link on the install page: {page.body}"
    back = workspace.authorize_install(html.unescape(found.group(1)), user=admin)
    return browse(back, cookie=page.cookie)


def driver_for(bot: RunningBot, workspace: SlackEmulator) -> SlackDriver:
    return SlackDriver(url=bot.events_url, signing_secret=SIGNING_SECRET, emulator=workspace)


def token_of(installs: SQLAlchemyInstallationStore, workspace: SlackEmulator) -> str:
    installation = installs.find_installation(enterprise_id=None, team_id=workspace.team_id)
    assert installation is not None and installation.bot_token is not None
    return installation.bot_token


def form_a_set(driver: SlackDriver, workspace: SlackEmulator, name: str) -> str:
    """Fran forms a Set with Asha and Ben from the lobby; returns its channel."""
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    workspace.wait_for("views.open")
    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: name,
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: [ASHA, BEN],
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    welcome = workspace.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    return str(welcome.args["channel"])


def start_the_meeting(driver: SlackDriver, workspace: SlackEmulator, channel: str) -> Message:
    """Fran starts the first meeting; returns its card, as the channel shows it."""
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    workspace.wait_for("chat.postMessage", where=lambda c: "under way" in c.args["text"])
    return next(m for m in workspace.messages(channel) if "under way" in m.text)


def test_two_workspaces_install_setbot_and_each_sees_only_its_own_set(
    bot: RunningBot,
    north: SlackEmulator,
    south: SlackEmulator,
    installs: SQLAlchemyInstallationStore,
    settings: Settings,
    store: Store,
    clock: ManualClock,
) -> None:
    # Each admin installs setbot; each workspace gets its own token, asking for our scopes.
    for workspace in (north, south):
        done = install(bot, workspace, admin=FRAN)
        assert done.status == 200
        assert f"setbot is installed in {_name(workspace)}" in done.body
        trade = workspace.wait_for("oauth.v2.access")
        assert trade.ok and trade.args["code"].startswith(f"sim-code-{workspace.team_id}")
    north_token, south_token = token_of(installs, north), token_of(installs, south)
    assert north_token != south_token
    approved = installs.find_installation(enterprise_id=None, team_id=north.team_id)
    assert approved is not None and approved.bot_scopes == list(BOT_SCOPES)

    # Fran forms a Set in each; the same people, the same ids, two organisations.
    north_set = form_a_set(driver_for(bot, north), north, "New team leaders")
    south_set = form_a_set(driver_for(bot, south), south, "Ward sisters")
    # Ids alone can't tell them apart: the two Set channels even have the same one.
    assert north_set == south_set

    # In the lobby, Fran's /set lists the Sets of the workspace she asks in, and no other.
    mine = driver_for(bot, north).slash_command("/set", "", user_id=FRAN, channel_id=LOBBY)
    assert "New team leaders" in mine.body and "Ward sisters" not in mine.body
    mine = driver_for(bot, south).slash_command("/set", "", user_id=FRAN, channel_id=LOBBY)
    assert "Ward sisters" in mine.body and "New team leaders" not in mine.body

    # The day before, the outbox reminds each Set, each through its own workspace's bot.
    clock.set(datetime(2027, 2, 1, 10, 0, tzinfo=UTC))
    report = dispatch_due(store, outbox_messenger(settings, store, web_client(settings)), clock)
    assert report.sent >= 2 and report.failed == 0
    sets = ((north, north_set, "New team leaders"), (south, south_set, "Ward sisters"))
    for workspace, channel, name in sets:
        reminder = workspace.wait_for(
            "chat.postMessage",
            where=lambda c, at=channel: c.args["channel"] == at and " meets " in c.args["text"],
        )
        assert reminder.args["text"].startswith(f"{name} meets tomorrow")

    # On the day each Fran starts her meeting; Asha checks in at North.
    clock.set(FIRST_MEETING)
    north_card = start_the_meeting(driver_for(bot, north), north, north_set)
    start_the_meeting(driver_for(bot, south), south, south_set)
    driver_for(bot, north).block_action(
        meeting_ui.CHECK_IN_PRESENT, user=ASHA, channel=north_set, message_ts=north_card.ts
    )
    north.wait_for("chat.update", where=lambda c: c.args["ts"] == north_card.ts)
    north_meeting = _value_of(north_card, meeting_ui.CHECK_IN_PRESENT)
    before = _attendance(store)
    assert (int(north_meeting), ASHA) in {(row[0], row[1]) for row in before}

    # Every call each workspace saw, answers and reminders alike, carried its own token.
    for workspace, token in ((north, north_token), (south, south_token)):
        spoken = {call.token for call in workspace.calls if call.method != "oauth.v2.access"}
        assert spoken == {token}, f"{_name(workspace)} heard other tokens: {spoken}"

    # From South, Ben presses "I'm here" on a button naming North's meeting: nothing changes.
    heard_in_north = len(north.calls)
    forged = driver_for(bot, south).block_action(
        meeting_ui.CHECK_IN_PRESENT, user=BEN, channel=north_set, value=north_meeting
    )
    assert forged.status == 200
    assert _attendance(store) == before
    assert len(north.calls) == heard_in_north
    refusal = south.calls_to("response_url")[-1]
    assert refusal.args["response_type"] == "ephemeral" and "meeting" in refusal.args["text"]

    # The same press, made in North where Ben belongs, checks him in.
    driver_for(bot, north).block_action(
        meeting_ui.CHECK_IN_PRESENT, user=BEN, channel=north_set, message_ts=north_card.ts
    )
    assert (int(north_meeting), BEN, "present") in _attendance(store)


def test_an_expired_token_is_refreshed_before_it_is_used(
    bot: RunningBot,
    north: SlackEmulator,
    installs: SQLAlchemyInstallationStore,
    settings: Settings,
    store: Store,
    clock: ManualClock,
) -> None:
    install(bot, north, admin=FRAN)
    channel = form_a_set(driver_for(bot, north), north, "New team leaders")
    first = token_of(installs, north)

    # Twelve hours on, Slack lets the token lapse; the install store knows when it ends.
    _lapse(north, installs)
    north.reset_calls()
    status = driver_for(bot, north).slash_command("/set", "", user_id=FRAN, channel_id=channel)
    assert status.status == 200 and "New team leaders" in status.body
    refresh = north.wait_for("oauth.v2.access")
    assert refresh.args["grant_type"] == "refresh_token"
    second = token_of(installs, north)
    assert second != first
    assert first not in {call.token for call in north.calls}

    # It lapses again before the reminders: the outbox refreshes it too, then sends.
    _lapse(north, installs)
    north.reset_calls()
    clock.set(datetime(2027, 2, 1, 10, 0, tzinfo=UTC))
    report = dispatch_due(store, outbox_messenger(settings, store, web_client(settings)), clock)
    assert report.sent >= 1 and report.failed == 0 and report.retried == 0
    assert north.calls[0].method == "oauth.v2.access"
    third = token_of(installs, north)
    assert third not in (first, second)
    assert {call.token for call in north.calls[1:]} == {third}


def test_an_install_link_without_the_installers_cookie_is_refused(
    bot: RunningBot, north: SlackEmulator, installs: SQLAlchemyInstallationStore
) -> None:
    north.slack_app.redirect_url = bot.base_url + OAUTH_REDIRECT_PATH
    page = browse(bot.base_url + INSTALL_PATH)
    link = re.search(r'href="([^"]+authorize[^"]+)"', page.body)
    assert link is not None
    back = north.authorize_install(html.unescape(link.group(1)), user=FRAN)

    stranger = browse(back)  # someone else's browser, without the state cookie
    assert stranger.status == 400 and "setbot was not installed" in stranger.body
    assert INSTALL_PATH in stranger.body
    assert installs.find_installation(enterprise_id=None, team_id=north.team_id) is None
    assert north.calls_to("oauth.v2.access") == []


def test_a_workspace_that_has_not_installed_setbot_is_told_how_to_get_it(
    bot: RunningBot, north: SlackEmulator, store: Store
) -> None:
    reply = driver_for(bot, north).slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    assert reply.status == 200
    told = north.wait_for("response_url")
    assert told.args["text"] == NOT_INSTALLED
    assert [call.method for call in north.calls] == ["response_url"]
    with store.session() as session:
        assert session.exec(select(LearningSet)).all() == []


def test_a_process_says_where_workspaces_install_it_at_start_up(
    bot: RunningBot, settings: Settings, slack: SlackEmulator
) -> None:
    line = start_line(settings, bot.app)
    assert line.endswith(f"any workspace may install it at {INSTALL_PATH}")
    assert slack.calls == []  # it has no token of its own to ask Slack who it is


# -- helpers ---------------------------------------------------------------------------------


def _name(workspace: SlackEmulator) -> str:
    with workspace.workspace() as ws:
        return ws.team_name


def _value_of(message: Message, action_id: str) -> str:
    """The value behind a button on a message: what a press of it sends."""
    return next(
        str(element["value"])
        for _, element in elements(message.blocks)
        if element["action_id"] == action_id
    )


def _lapse(workspace: SlackEmulator, installs: SQLAlchemyInstallationStore) -> None:
    """Slack ends the workspace's token, and the install store says it ended a minute ago."""
    workspace.expire_tokens()
    installation = installs.find_installation(enterprise_id=None, team_id=workspace.team_id)
    assert installation is not None
    installation.bot_token_expires_at = int(time.time()) - 60
    installs.save(installation)


def _attendance(store: Store) -> list[tuple[int, str, str]]:
    with store.session() as session:
        rows = session.exec(select(Attendance)).all()
        return sorted((row.meeting_id, row.user_id, str(row.status)) for row in rows)
