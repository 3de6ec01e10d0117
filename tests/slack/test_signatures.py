"""Only Slack may speak for Slack: unsigned, mis-signed or replayed requests change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from bot.sim import SlackDriver, SlackEmulator

HELP = urlencode(
    {
        "team_id": "T0SETBOT",
        "command": "/set",
        "text": "help",
        "user_id": "U0ALEX",
        "channel_id": "C0GENERAL",
    }
)
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "v0=" + "0" * 64),
        (None, ""),
        (int(time.time()) - 301, None),
    ],
    ids=["bad-signature", "missing-signature", "older-than-five-minutes"],
)
def test_a_request_slack_did_not_sign_is_refused(
    driver: SlackDriver, slack: SlackEmulator, timestamp: int | None, signature: str | None
) -> None:
    slack.reset_calls()

    reply = driver.send(HELP, FORM, timestamp=timestamp, signature=signature)

    assert reply.status == 401
    assert slack.calls == []


def test_a_properly_signed_request_is_answered(driver: SlackDriver) -> None:
    assert driver.send(HELP, FORM).status == 200
