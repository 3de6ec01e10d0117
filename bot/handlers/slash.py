"""What every slash-command route is given, and the mentions Slack escapes into its text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows.access import Caller
from bot.flows.commands import Invocation
from bot.ui.blocks import Reply

# With should_escape on (manifest.yml), "@Asha" arrives as "<@U123ABC|asha>".
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class SlashRequest:
    invocation: Invocation
    caller: Caller
    trigger_id: str
    bot_user_id: str
    client: WebClient
    deps: Deps

    @classmethod
    def from_payload(
        cls,
        invocation: Invocation,
        command: dict[str, Any],
        *,
        bot_user_id: str,
        client: WebClient,
        deps: Deps,
    ) -> SlashRequest:
        return cls(
            invocation=invocation,
            caller=Caller(
                team_id=command["team_id"],
                user_id=command["user_id"],
                channel_id=command["channel_id"],
            ),
            trigger_id=command.get("trigger_id", ""),
            bot_user_id=bot_user_id,
            client=client,
            deps=deps,
        )

    @property
    def mentioned(self) -> list[str]:
        return MENTION.findall(self.invocation.rest)


# A route answers privately with a Reply, or with None when it has answered another way
# (a modal opened, a card posted to the channel).
Route = Callable[[SlashRequest], Reply | None]
