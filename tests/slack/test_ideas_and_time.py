"""How a Set uses its meeting: whether rounds have an ideas phase, and each member's minutes.

New team leaders meet for two hours: fifteen minutes are kept for reflecting, so Asha,
Ben and Cara share 105 minutes. Fran facilitates.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import LearningSet, Meeting
from bot.ui import meeting as meeting_ui
from bot.ui import time_agreement as time_ui

FRAN, ASHA, BEN, CARA = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA"
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """The Set, formed in January; everyone has agreed the ground rules."""
    for user in (FRAN, ASHA, BEN, CARA):
        slack.add_user(user, name=user[2:].lower())
    channel_id = slack.add_channel(
        "set-leaders", members=[slack.bot_user_id, FRAN, ASHA, BEN, CARA]
    )
    formed = sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN, CARA),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=MEETING_DAY,
            timezone="Europe/London",
        ),
    )
    for user in (FRAN, ASHA, BEN, CARA):
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel_id)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    return channel_id


def start(driver: SlackDriver, slack: SlackEmulator, channel: str, clock: ManualClock) -> str:
    """Fran starts February's meeting; the ts of its card."""
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: "under way" in c.args["text"])
    return [m.ts for m in slack.messages(channel) if "under way" in m.text][-1]


def thread_says(slack: SlackEmulator, channel: str, root: str) -> str:
    return str([m.blocks for m in slack.messages(channel, thread_ts=root)])


def test_a_set_with_ideas_off_goes_from_questions_straight_to_reflecting(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    refused = driver.slash_command("/set", "ideas off", user_id=ASHA, channel_id=channel)
    puzzled = driver.slash_command("/set", "ideas sometimes", user_id=FRAN, channel_id=channel)
    switched = driver.slash_command("/set", "ideas off", user_id=FRAN, channel_id=channel)

    assert refused.json is not None and "Only the Set's facilitator" in refused.json["text"]
    assert puzzled.json is not None and "`/set ideas on`" in puzzled.json["text"]
    assert switched.json is not None and switched.json["response_type"] == "ephemeral"
    assert "straight from the questions" in switched.json["text"]
    with store.session() as session:
        assert [s.ideas_phase for s in session.exec(select(LearningSet))] == [False]

    start(driver, slack, channel, clock)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: "<@U0ASHA>'s round" in c.args["text"])
    root = [m.ts for m in slack.messages(channel) if "<@U0ASHA>'s round" in m.text][-1]
    driver.slash_command("/round", "next", user_id=FRAN, channel_id=channel)  # → questions
    driver.slash_command("/round", "next", user_id=FRAN, channel_id=channel)  # → reflect
    slack.wait_for("chat.postMessage", where=lambda c: "Reflect and decide" in str(c.args))

    said = thread_says(slack, channel, root)
    assert "Next: Reflect and decide" in said
    assert "offer ideas" not in said
    [root_message] = [m for m in slack.messages(channel) if m.ts == root]
    assert "Ideas" not in str(root_message.blocks)


def test_fran_agrees_each_members_minutes_and_the_plan_and_slot_follow(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    card = start(driver, slack, channel, clock)
    assert "10:00–10:35 <@U0ASHA>" in str(slack.messages(channel)[-1].blocks)

    driver.block_action(meeting_ui.ADJUST_TIME, user=BEN, channel=channel, message_ts=card)
    refused = slack.wait_for("response_url", where=lambda c: "facilitator" in str(c.args))
    assert slack.calls_to("views.open") == [] and refused.args["response_type"] == "ephemeral"

    driver.block_action(meeting_ui.ADJUST_TIME, user=FRAN, channel=channel, message_ts=card)
    modal = slack.wait_for("views.open").args["view"]
    assert "up to 105 minutes" in str(modal) and "1. asha (minutes)" in str(modal)

    too_long = driver.submit_form(
        time_ui.TIME_VIEW,
        user=FRAN,
        answers={
            time_ui.minutes_block(ASHA): "50",
            time_ui.minutes_block(BEN): "40",
            time_ui.minutes_block(CARA): "30",
        },
    )
    too_short = driver.submit_form(
        time_ui.TIME_VIEW, user=FRAN, answers={time_ui.minutes_block(BEN): "3"}
    )

    assert too_long.json is not None
    assert "105 are free" in too_long.json["errors"][time_ui.minutes_block(ASHA)]
    assert too_short.json is not None
    assert "from 5 to 120" in too_short.json["errors"][time_ui.minutes_block(BEN)]
    with store.session() as session:
        assert {str(m.round_minutes) for m in session.exec(select(Meeting))} == {"{}"}

    agreed = driver.submit_form(
        time_ui.TIME_VIEW,
        user=FRAN,
        answers={
            time_ui.minutes_block(ASHA): "45",
            time_ui.minutes_block(BEN): "30",
            time_ui.minutes_block(CARA): "20",
        },
    )

    assert agreed.status == 200 and not (agreed.json or {}).get("errors")
    updated = slack.wait_for("chat.update", where=lambda c: c.args["ts"] == card)
    plan = str(updated.args["blocks"])
    assert "10:00–10:45 <@U0ASHA>" in plan
    assert "10:45–11:15 <@U0BEN>" in plan
    assert "11:15–11:35 <@U0CARA>" in plan
    assert "11:35–12:00 Reflecting on the process" in plan
    with store.session() as session:
        [meeting] = [m for m in session.exec(select(Meeting)) if m.round_minutes]
    assert meeting.round_minutes == {ASHA: 45, BEN: 30, CARA: 20}

    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = slack.wait_for("chat.postMessage", where=lambda c: "<@U0ASHA>'s round" in c.args["text"])
    assert "a 45-minute slot" in str(root.args["blocks"])
