"""Fran, a trainer, forms a Set of five in Slack and runs its first meeting.

Everything happens through slash commands, modals and buttons, as Fran and the members
would do it; the bot runs for real in HTTP mode against the Slack emulator.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.sim import SlackDriver, SlackEmulator
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import sets as cards

FRAN = "U0FRAN"
MEMBERS = {"U0ASHA": "asha", "U0BEN": "ben", "U0CARA": "cara", "U0DEV": "dev", "U0EVE": "eve"}
LOBBY = "C0LOBBY"


@pytest.fixture
def people(slack: SlackEmulator) -> None:
    slack.add_user(FRAN, name="fran", real_name="Fran Trainer", tz="Europe/London")
    for user, name in MEMBERS.items():
        slack.add_user(user, name=name)


def form_the_set(driver: SlackDriver, slack: SlackEmulator, **answers: object) -> str:
    """Fran fills in `/set new`; returns the new channel's id."""
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    slack.wait_for("views.open")
    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "New team leaders",
            new_set.THEME_BLOCK: "Leading through change",
            new_set.MEMBERS_BLOCK: list(MEMBERS),
            new_set.FIRST_DATE_BLOCK: "2027-02-02",  # the first Tuesday of February
            **answers,
        },
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    created = slack.wait_for("conversations.create")
    assert created.args["name"] == "set-new-team-leaders"
    welcome = slack.wait_for("chat.postMessage", where=lambda c: "Welcome" in c.args["text"])
    return str(welcome.args["channel"])


def test_a_facilitator_forms_a_set_of_five_and_runs_its_first_meeting(
    people: None, driver: SlackDriver, slack: SlackEmulator, clock: ManualClock
) -> None:
    # Fran forms the Set from the lobby; setbot makes its private channel and invites everyone.
    channel = form_the_set(driver, slack)
    invited = slack.wait_for("conversations.invite").args["users"].split(",")
    assert sorted(invited) == sorted([FRAN, *MEMBERS])
    ready = slack.wait_for("chat.postMessage", where=lambda c: "is ready in" in c.args["text"])
    assert f"<#{channel}>" in ready.args["text"]

    # The welcome card shows the next three meetings in London time, across the clock change.
    welcome = slack.messages(channel)[0]
    shown = str(welcome.blocks)
    assert "Tue 2 Feb 2027, 10:00 (GMT)" in shown
    assert "Tue 2 Mar 2027, 10:00 (GMT)" in shown
    assert "Tue 6 Apr 2027, 10:00 (BST)" in shown

    # Four members agree the ground rules on the card; Eve hasn't yet.
    for member in ["U0ASHA", "U0BEN", "U0CARA", "U0DEV"]:
        driver.block_action(
            cards.AGREE_TO_RULES, user=member, channel=channel, message_ts=welcome.ts
        )
    slack.wait_for(
        "response_url", where=lambda c: "Everyone" in c.args["text"] or "U0EVE" in c.args["text"]
    )
    status = driver.slash_command("/set", "", user_id=FRAN, channel_id=channel)
    assert status.json is not None
    assert "⏳ <@U0EVE>" in str(status.json["blocks"]) and "✅ <@U0ASHA>" in str(
        status.json["blocks"]
    )

    # Any member can see what's coming.
    schedule = driver.slash_command("/set", "schedule", user_id="U0BEN", channel_id=channel)
    assert schedule.json is not None and "Tue 2 Feb 2027, 10:00 (GMT)" in str(
        schedule.json["blocks"]
    )

    # On the day, Fran starts the meeting: everyone gets 21 minutes, 15 are kept for reflection.
    clock.set(datetime(2027, 2, 2, 10, 0, tzinfo=UTC))
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = slack.wait_for("chat.postMessage", where=lambda c: "under way" in c.args["text"])
    plan = str(card.args["blocks"])
    assert "10:00–10:21 <@U0" in plan and "11:45–12:00 Reflecting on the process" in plan
    # Eve is reminded privately to agree the ground rules.
    nudge = slack.wait_for("chat.postEphemeral", where=lambda c: c.args["user"] == "U0EVE")
    assert "ground rules" in nudge.args["text"]
    told = slack.wait_for("chat.postEphemeral", where=lambda c: c.args["user"] == FRAN)
    assert "<@U0EVE> has not agreed the ground rules yet" in told.args["text"]

    # Four check in, Dev sends apologies: the card is updated in place with a new plan.
    card_ts = _ts(slack, channel, "under way")
    for member in ["U0ASHA", "U0BEN", "U0CARA", "U0EVE"]:
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card_ts
        )
    driver.block_action(
        meeting_ui.CHECK_IN_APOLOGIES, user="U0DEV", channel=channel, message_ts=card_ts
    )
    # 105 minutes shared by four presenters: 26 minutes each.
    slack.wait_for("chat.update", where=lambda c: "10:00–10:26" in str(c.args["blocks"]))

    # Two hours later Fran ends it: a warm summary says who came and who sent apologies.
    clock.set(datetime(2027, 2, 2, 12, 0, tzinfo=UTC))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    summary = slack.wait_for("chat.postMessage", where=lambda c: "has ended" in c.args["text"])
    said = str(summary.args["blocks"])
    assert "*Sent apologies:* <@U0DEV>" in said
    assert "reflect" in said


def _ts(slack: SlackEmulator, channel: str, words: str) -> str:
    return next(m.ts for m in slack.messages(channel) if words in m.text)
