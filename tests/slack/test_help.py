"""A newcomer asks setbot what it can do, and makes a few typing mistakes on the way."""

from __future__ import annotations

import pytest

from bot.flows.commands import COMMANDS
from bot.sim import SlackDriver, SlackEmulator

CHANNEL = "C0GENERAL"


def test_set_help_lists_every_command_privately(driver: SlackDriver, slack: SlackEmulator) -> None:
    reply = driver.slash_command("/set", "help", user_id="U0ALEX", channel_id=CHANNEL)

    assert reply.status == 200
    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    shown = str(reply.json["blocks"])
    for command in COMMANDS:
        assert f"*{command}*" in shown
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_its_own_help(driver: SlackDriver, command: str) -> None:
    reply = driver.slash_command(command, "help", user_id="U0ALEX", channel_id=CHANNEL)

    assert reply.json is not None
    assert f"*{command}*" in str(reply.json["blocks"])


def test_an_empty_meeting_command_shows_its_help(driver: SlackDriver) -> None:
    reply = driver.slash_command("/meeting", "", user_id="U0ALEX", channel_id=CHANNEL)

    assert reply.json is not None and reply.json["text"] == "Here is what setbot can do."
    assert "*/meeting*" in str(reply.json["blocks"])


def test_a_bare_set_outside_any_set_says_how_to_begin(driver: SlackDriver) -> None:
    reply = driver.slash_command("/set", "", user_id="U0ALEX", channel_id=CHANNEL)

    assert reply.json is not None
    assert reply.json["text"].startswith("You're not in an Action Learning Set yet.")
    assert "`/set new`" in reply.json["text"]


@pytest.mark.parametrize(
    "garbage",
    [
        "frobnicate",
        "HELPP me",
        "<@U0SAM|sam> <!channel> & friends",
        "`rm -rf` *bold* _it_",
        "🙂" * 500,
        "x" * 5000,
        "\u202e\u0000 odd",
    ],
    ids=["unknown", "typo", "mentions", "markup", "emoji", "very-long", "control-chars"],
)
def test_garbage_gets_a_kind_usage_line_never_an_exception(
    driver: SlackDriver, slack: SlackEmulator, garbage: str
) -> None:
    reply = driver.slash_command("/round", garbage, user_id="U0ALEX", channel_id=CHANNEL)

    assert reply.status == 200
    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    assert reply.json["text"].startswith("Sorry, I don't know `/round ")
    assert "Try `/round help`" in reply.json["text"]
    assert "<!channel>" not in reply.json["text"] and "<@U0SAM" not in reply.json["text"]
    assert len(reply.json["text"]) < 300
    assert slack.calls_to("response_url") == []
