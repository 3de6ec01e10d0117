"""Where a member first meets setbot: the App Home tab, and the bot joining a channel."""

from __future__ import annotations

from bot.sim import SlackDriver, SlackEmulator


def test_opening_the_home_tab_publishes_a_welcome(
    driver: SlackDriver, slack: SlackEmulator
) -> None:
    driver.app_home_opened("U0ALEX")

    published = slack.wait_for("views.publish")
    assert published.args["user_id"] == "U0ALEX"
    assert "Welcome to setbot" in str(published.args["view"])


def test_adding_setbot_to_a_channel_says_what_to_do_next(
    driver: SlackDriver, slack: SlackEmulator
) -> None:
    channel = slack.add_channel("leaders-set", members=["U0ALEX"])

    driver.member_joined_channel(slack.bot_user_id, channel)

    intro = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert "/set new" in intro.args["text"]


def test_only_setbot_joining_a_channel_earns_an_introduction(
    driver: SlackDriver, slack: SlackEmulator
) -> None:
    channel = slack.add_channel("leaders-set", members=["U0ALEX"])

    reply = driver.member_joined_channel("U0SAM", channel)

    assert reply.status == 200
    assert slack.calls_to("chat.postMessage") == []


def test_a_rate_limited_publish_is_retried_after_slacks_pause(
    driver: SlackDriver, slack: SlackEmulator
) -> None:
    slack.fail("views.publish", status=429, retry_after=0, error="ratelimited")

    driver.app_home_opened("U0ALEX")

    slack.wait_for("views.publish", where=lambda call: call.ok)
    assert len(slack.calls_to("views.publish")) == 2
