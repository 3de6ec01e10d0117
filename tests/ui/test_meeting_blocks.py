"""What a Set sees of a meeting: every layout is one Slack accepts, and typed text stays text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.flows.meetings import Action, MeetingCard, MeetingSummary
from bot.flows.time_plan import plan_meeting
from bot.store.models import MeetingStatus
from bot.ui.blocks import Reply
from bot.ui.meeting import (
    ADJUST_TIME,
    CHECK_IN_APOLOGIES,
    CHECK_IN_PRESENT,
    REORDER,
    REORDER_BLOCK,
    REORDER_INPUT,
    REORDER_VIEW,
    meeting_card_blocks,
    read_reorder,
    reorder_modal,
    rules_reminder,
    summary_blocks,
)
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE
from tests.mrkdwn import mrkdwn_texts

ASHA, BEN, CARA, DEV, EVE = "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
MEMBERS = (ASHA, BEN, CARA, DEV, EVE)
TEN_AM = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
SNEAKY = "<!channel> R&D <@U0BOSS>"


def a_card(**changes: Any) -> MeetingCard:
    card = MeetingCard(
        set_id=7,
        set_name="New team leaders",
        timezone="Europe/London",
        channel_id="C0LEADERS",
        meeting_id=42,
        status=MeetingStatus.OPEN,
        started_at=TEN_AM,
        card_ts=None,
        turn_order=MEMBERS,
        present=(ASHA, BEN),
        apologies=(DEV,),
        not_checked_in=(CARA, EVE),
        plan=plan_meeting(session_minutes=120, presenters=[ASHA, BEN, CARA, EVE], start=TEN_AM),
        ground_rules=("What is said in the Set stays in the Set.", "We listen."),
        not_agreed=(EVE,),
    )
    return replace(card, **changes)


def a_summary(**changes: Any) -> MeetingSummary:
    summary = MeetingSummary(
        set_id=7,
        set_name="New team leaders",
        timezone="Europe/London",
        channel_id="C0LEADERS",
        meeting_id=42,
        card_ts="1799999999.000100",
        started_at=TEN_AM,
        ended_at=TEN_AM + timedelta(minutes=115),
        presenters=(ASHA, BEN),
        actions=(Action(ASHA, "Ask my manager for one protected hour a week"),),
        present=(ASHA, BEN),
        apologies=(CARA,),
        absent=(DEV, EVE),
        facilitators=("U0FACIL",),
        closed_automatically=False,
    )
    return replace(summary, **changes)


def slack_accepts(reply: Reply) -> None:
    assert reply.text
    assert len(reply.blocks) <= BLOCKS_PER_MESSAGE
    for block in reply.blocks:
        Block.parse(block).validate_json()


def buttons(reply: Reply) -> list[dict[str, Any]]:
    return [e for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]


def raw(reply: Reply | dict[str, Any]) -> str:
    return json.dumps(reply.__dict__ if isinstance(reply, Reply) else reply, ensure_ascii=False)


LAYOUTS = {
    "card under way": lambda: meeting_card_blocks(a_card()),
    "card before it starts": lambda: meeting_card_blocks(a_card(plan=None)),
    "card with no rules": lambda: meeting_card_blocks(a_card(ground_rules=())),
    "card ended": lambda: meeting_card_blocks(a_card(status=MeetingStatus.ENDED)),
    "summary": lambda: summary_blocks(a_summary()),
    "summary of a quiet meeting": lambda: summary_blocks(
        a_summary(presenters=(), actions=(), present=(), apologies=(), absent=MEMBERS)
    ),
    "summary ended by the bot": lambda: summary_blocks(a_summary(closed_automatically=True)),
    "rules reminder": lambda: rules_reminder("New team leaders"),
}


@pytest.mark.parametrize("make", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_meeting_layout_is_one_slack_accepts(make: Any) -> None:
    slack_accepts(make())


def test_the_reorder_modal_is_one_slack_accepts() -> None:
    view = reorder_modal(a_card())

    View(**view).validate_json()
    assert view["callback_id"] == REORDER_VIEW
    assert json.loads(view["private_metadata"])["meeting_id"] == 42


def test_the_card_shows_the_running_order_in_the_sets_zone_with_mentions() -> None:
    reply = meeting_card_blocks(a_card())

    assert reply.blocks[0]["text"]["text"] == "New team leaders — meeting under way"
    assert "10:00–10:26 <@U0ASHA>" in raw(reply)
    assert "11:44–12:00 Reflecting on the process" in raw(reply)
    assert "What is said in the Set stays in the Set." in raw(reply)


def test_the_card_says_who_is_here_away_and_awaited() -> None:
    text = raw(meeting_card_blocks(a_card()))

    assert "*Here:* <@U0ASHA>, <@U0BEN>" in text
    assert "*Sent apologies:* <@U0DEV>" in text
    assert "*Not checked in yet:* <@U0CARA>, <@U0EVE>" in text


def test_check_in_and_reorder_buttons_carry_the_meeting_id() -> None:
    found = buttons(meeting_card_blocks(a_card()))

    assert [(b["action_id"], b["value"]) for b in found] == [
        (CHECK_IN_PRESENT, "42"),
        (CHECK_IN_APOLOGIES, "42"),
        (REORDER, "42"),
        (ADJUST_TIME, "42"),
    ]


def test_an_ended_card_says_so_and_has_no_buttons() -> None:
    reply = meeting_card_blocks(a_card(status=MeetingStatus.ENDED))

    assert buttons(reply) == []
    assert "has ended" in reply.text


@pytest.mark.parametrize(
    "reply",
    [
        meeting_card_blocks(a_card(set_name=SNEAKY, ground_rules=(SNEAKY,))),
        meeting_card_blocks(a_card(set_name=SNEAKY, status=MeetingStatus.ENDED)),
        summary_blocks(a_summary(set_name=SNEAKY, actions=(Action(ASHA, SNEAKY),))),
        rules_reminder(SNEAKY),
        reorder_modal(a_card(set_name=SNEAKY)),
    ],
    ids=["card", "ended card", "summary", "reminder", "modal"],
)
def test_typed_text_never_reaches_slack_raw_and_is_escaped_once(
    reply: Reply | dict[str, Any],
) -> None:
    text = " ".join(mrkdwn_texts(reply))

    assert "<!channel>" not in text
    assert "<@U0BOSS>" not in text
    assert "&lt;!channel&gt; R&amp;D &lt;@U0BOSS&gt;" in text
    assert "&amp;lt;" not in text


def test_twelve_long_actions_still_fit_slacks_limits() -> None:
    actions = tuple(Action(f"U0MEMBER{i:02d}", "word " * 600) for i in range(12))

    reply = summary_blocks(a_summary(actions=actions))

    slack_accepts(reply)
    assert raw(reply).count("<@U0MEMBER") == 12


def test_the_summary_lists_turns_actions_and_who_was_missed() -> None:
    text = raw(summary_blocks(a_summary()))

    assert "*Presented:* <@U0ASHA>, <@U0BEN>" in text
    assert "<@U0ASHA>: Ask my manager for one protected hour a week" in text
    assert "*Missed:* <@U0DEV>, <@U0EVE>" in text
    assert "1 hour 55 minutes" in text
    assert "reflect on how the Set worked" in text


def test_a_summary_the_bot_ended_says_so() -> None:
    assert "I ended this meeting myself" in raw(
        summary_blocks(a_summary(closed_automatically=True))
    )
    assert "I ended this meeting myself" not in raw(summary_blocks(a_summary()))


def test_the_rules_reminder_says_what_to_do() -> None:
    text = rules_reminder("New team leaders").text

    assert "*I agree*" in text
    assert "`/set rules`" in text


def test_the_modal_starts_from_the_current_order_and_reads_back_the_new_one() -> None:
    view = reorder_modal(a_card())
    element = view["blocks"][1]["element"]
    state = {REORDER_BLOCK: {REORDER_INPUT: {"selected_users": [EVE, ASHA]}}}

    assert element["initial_users"] == list(MEMBERS)
    assert read_reorder(state) == [EVE, ASHA]
    assert read_reorder({}) == []
