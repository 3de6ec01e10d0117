"""A facilitator looks after a Set from its channel; members see what is theirs to see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.flows import sets
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.ui import sets as cards
from tests.mrkdwn import mrkdwn_texts

FACILITATOR, ASHA, BEN, FRED = "U0FACIL", "U0ASHA", "U0BEN", "U0FRED"


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """A Set formed earlier, meeting in its own private channel with setbot in it."""
    for user, name in [(FACILITATOR, "fran"), (ASHA, "asha"), (BEN, "ben"), (FRED, "fred")]:
        slack.add_user(user, name=name)
    channel_id = slack.add_channel(
        "set-new-team-leaders", members=[slack.bot_user_id, FACILITATOR, ASHA, BEN]
    )
    sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FACILITATOR,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="New team leaders <!channel>",
            theme="Leading through change",
            facilitators=(FACILITATOR,),
            members=(ASHA, BEN),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=datetime(2027, 2, 2, 10, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    return channel_id


def test_status_card_shows_who_has_not_agreed_the_rules(driver: SlackDriver, channel: str) -> None:
    reply = driver.slash_command("/set", "", user_id=ASHA, channel_id=channel)

    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    shown = str(reply.json["blocks"])
    assert "⏳ <@U0ASHA>" in shown
    assert "Meetings held:* 0 of 3" in shown
    # Slack reads mentions in mrkdwn only: there, what a facilitator typed must be escaped.
    mrkdwn = " ".join(mrkdwn_texts(reply.json["blocks"]))
    assert "<!channel>" not in mrkdwn and "&lt;!channel&gt;" in reply.json["text"]


def test_facilitator_adds_a_member_who_is_invited_and_welcomed(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    driver.slash_command("/set", "add <@U0FRED|fred>", user_id=FACILITATOR, channel_id=channel)

    invite = slack.wait_for("conversations.invite")
    assert invite.args["users"] == FRED
    welcome = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert "Welcome <@U0FRED>" in welcome.args["text"]


def test_a_member_cannot_add_anyone_and_nothing_changes(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    reply = driver.slash_command("/set", "add <@U0FRED|fred>", user_id=ASHA, channel_id=channel)

    assert reply.json is not None and "Only the Set's facilitator" in reply.json["text"]
    assert slack.calls_to("conversations.invite") == []
    assert slack.calls_to("chat.postMessage") == []


def test_set_commands_elsewhere_say_where_to_use_them(driver: SlackDriver) -> None:
    reply = driver.slash_command("/set", "add <@U0FRED|fred>", user_id=ASHA, channel_id="C0ELSE")

    assert reply.json is not None
    assert "isn't an Action Learning Set's channel" in reply.json["text"]


def test_a_member_agrees_the_rules_with_one_press(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    card = driver.slash_command("/set", "rules", user_id=ASHA, channel_id=channel)
    assert card.json is not None
    assert "Edit the rules" not in str(card.json["blocks"])

    driver.block_action(
        cards.AGREE_TO_RULES, user=ASHA, channel=channel, message_ts=_ephemeral_ts(slack, ASHA)
    )

    thanks = slack.wait_for("response_url", where=lambda c: "agreed" in c.args.get("text", ""))
    assert "Still to agree: <@U0FACIL>, <@U0BEN>" in thanks.args["text"]


def test_a_facilitator_edits_the_rules_and_everyone_is_asked_again(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    driver.slash_command("/set", "rules", user_id=FACILITATOR, channel_id=channel)
    driver.block_action(
        cards.EDIT_RULES,
        user=FACILITATOR,
        channel=channel,
        message_ts=_ephemeral_ts(slack, FACILITATOR),
    )
    slack.wait_for("views.open")

    driver.submit_form(
        cards.RULES_VIEW, user=FACILITATOR, answers={cards.RULES_BLOCK: "Phones away.\nBe kind."}
    )

    posted = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert "The ground rules have changed" in posted.args["text"]
    assert "Phones away." in str(posted.args["blocks"])


def test_closing_asks_first_then_posts_the_totals(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    ask = driver.slash_command("/set", "close", user_id=FACILITATOR, channel_id=channel)
    assert ask.json is not None and "no more meetings or reminders" in ask.json["text"]

    driver.block_action(
        cards.CONFIRM_CLOSE,
        user=FACILITATOR,
        channel=channel,
        message_ts=_ephemeral_ts(slack, FACILITATOR),
    )

    closing = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert "has closed" in closing.args["text"]


def _ephemeral_ts(slack: SlackEmulator, user: str) -> str:
    """The ts of the private card a slash command just showed `user`."""
    with slack.workspace() as state:
        shown = [m for m in state.messages if m.ephemeral_to == user]
    return shown[-1].ts
