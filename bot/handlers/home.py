"""App Home: each member's own view of their Sets, actions and (for facilitators) progress.

Published when the tab is opened and again after anything the member does from it or
about their actions, so it never shows yesterday's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows.home import home_for, whose_home_changed
from bot.ui.home import home_view


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(_on_home_opened(deps))


def _on_home_opened(deps: Deps) -> Callable[..., None]:
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            refresh_home(client, deps, team_id=body["team_id"], user_id=event["user"])

    return on_home_opened


def refresh_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> None:
    home = home_for(deps.store, deps.clock, team_id=team_id, user_id=user_id)
    client.views_publish(user_id=user_id, view=home_view(home))


def refresh_set_homes(
    client: WebClient,
    deps: Deps,
    *,
    team_id: str,
    set_id: int,
    actor: str | None = None,
    everyone: bool = False,
) -> None:
    """Republish the Homes that show a change in this Set (see `whose_home_changed`)."""
    for user_id in whose_home_changed(deps.store, set_id=set_id, actor=actor, everyone=everyone):
        refresh_home(client, deps, team_id=team_id, user_id=user_id)
