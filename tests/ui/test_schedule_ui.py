"""What `/set schedule` shows Dana (facilitator) and Asha (member), and the move modal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.flows.rescheduling import ComingMeeting, Schedule, ScheduleChange
from bot.sim.layout import check_blocks, check_view, elements
from bot.ui.schedule import (
    MOVE_DATE_BLOCK,
    MOVE_ERROR_BLOCK,
    MOVE_MEETING,
    MOVE_TIME_BLOCK,
    MOVE_VIEW,
    SKIP_MEETING,
    move_modal,
    move_target,
    read_move,
    schedule_card,
)

LONDON = "Europe/London"
FEB, MAR, APR = (
    datetime(2027, 2, 2, 10, 0, tzinfo=UTC),
    datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
    datetime(2027, 4, 6, 9, 0, tzinfo=UTC),
)


def a_schedule(**changes: Any) -> Schedule:
    fields: dict[str, Any] = {
        "set_name": "New team leaders",
        "timezone": LONDON,
        "pattern": "Monthly on the first Tuesday, 3 meetings",
        "upcoming": tuple(
            ComingMeeting(meeting_id=i, starts_at=start, session_minutes=120)
            for i, start in enumerate((FEB, MAR, APR), start=11)
        ),
        "held": 0,
        "total": 3,
        "caller_is_facilitator": False,
    }
    return Schedule(**(fields | changes))


def clicks(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action_id"], e.get("value", "")) for _, e in elements(blocks)]


def all_text(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


@pytest.mark.parametrize("is_facilitator", [True, False], ids=["facilitator", "member"])
def test_the_card_is_a_layout_slack_accepts(is_facilitator: bool) -> None:
    reply = schedule_card(a_schedule(), is_facilitator=is_facilitator)

    assert check_blocks(reply.blocks) is None
    for block in reply.blocks:
        Block.parse(block).validate_json()
    assert reply.text == "The next meeting of New team leaders is on Tue 2 Feb 2027, 10:00 (GMT)."


def test_asha_sees_the_dates_in_the_sets_zone_and_in_her_own() -> None:
    text = all_text(schedule_card(a_schedule(), is_facilitator=False).blocks)

    assert "Tue 6 Apr 2027, 10:00 (BST)" in text
    epoch = int(APR.timestamp())
    assert f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|Tue 6 Apr 2027, 10:00 (BST)>" in text
    assert "Monthly on the first Tuesday, 3 meetings" in text
    assert "0 of 3 meetings held" in text


def test_asha_sees_no_move_or_skip_buttons() -> None:
    reply = schedule_card(a_schedule(), is_facilitator=False)

    assert clicks(reply.blocks) == []


def test_dana_can_move_or_skip_each_meeting() -> None:
    reply = schedule_card(a_schedule(caller_is_facilitator=True), is_facilitator=True)

    assert clicks(reply.blocks) == [
        (MOVE_MEETING, "11"),
        (SKIP_MEETING, "11"),
        (MOVE_MEETING, "12"),
        (SKIP_MEETING, "12"),
        (MOVE_MEETING, "13"),
        (SKIP_MEETING, "13"),
    ]


def test_skipping_asks_dana_to_confirm_first() -> None:
    reply = schedule_card(a_schedule(), is_facilitator=True)
    skips = [e for _, e in elements(reply.blocks) if e["action_id"] == SKIP_MEETING]

    assert all(e["confirm"]["style"] == "danger" for e in skips)
    assert "Tue 2 Feb 2027, 10:00 (GMT)" in skips[0]["confirm"]["text"]["text"]


def test_a_set_name_with_slack_markup_is_shown_not_obeyed() -> None:
    reply = schedule_card(a_schedule(set_name="<!channel> & friends"), is_facilitator=False)

    assert "<!channel>" not in all_text(reply.blocks) + reply.text
    assert "&lt;!channel&gt; &amp; friends" in reply.text


def test_after_a_move_the_card_says_what_changed() -> None:
    change = ScheduleChange(previous_start=MAR, new_start=datetime(2027, 3, 4, 14, 30, tzinfo=UTC))

    text = all_text(schedule_card(a_schedule(change=change), is_facilitator=True).blocks)

    assert "Tue 2 Mar 2027, 10:00 (GMT) now starts Thu 4 Mar 2027, 14:30 (GMT)" in text


def test_after_a_skip_the_card_says_so() -> None:
    change = ScheduleChange(previous_start=FEB)

    text = all_text(schedule_card(a_schedule(change=change), is_facilitator=True).blocks)

    assert "the meeting on Tue 2 Feb 2027, 10:00 (GMT) is skipped" in text


@pytest.mark.parametrize("is_facilitator", [True, False], ids=["facilitator", "member"])
def test_with_nothing_coming_up_the_card_says_what_next(is_facilitator: bool) -> None:
    reply = schedule_card(a_schedule(upcoming=()), is_facilitator=is_facilitator)

    assert check_blocks(reply.blocks) is None
    assert "No meetings are coming up" in all_text(reply.blocks)
    assert reply.text == "No meetings of New team leaders are coming up."


def test_a_long_schedule_stays_within_slacks_block_limit() -> None:
    many = tuple(ComingMeeting(meeting_id=i, starts_at=FEB, session_minutes=120) for i in range(60))

    reply = schedule_card(a_schedule(upcoming=many), is_facilitator=True)

    assert check_blocks(reply.blocks) is None


# Moving a meeting


def test_the_move_modal_is_one_slack_accepts_prefilled_in_the_sets_zone() -> None:
    july = datetime(2027, 7, 6, 9, 0, tzinfo=UTC)

    view = move_modal(meeting_id=12, current_start=july, timezone=LONDON, channel_id="C0SET")

    View(**view).validate_json()
    assert check_view(view, kind="modal") is None
    assert view["callback_id"] == MOVE_VIEW
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[MOVE_DATE_BLOCK]["initial_date"] == "2027-07-06"
    assert inputs[MOVE_TIME_BLOCK]["initial_time"] == "10:00"
    assert inputs[MOVE_TIME_BLOCK]["timezone"] == LONDON
    assert MOVE_ERROR_BLOCK in inputs
    assert move_target(view["private_metadata"]) == (12, LONDON)


def moved_to(day: str | None, at: str | None) -> dict[str, Any]:
    """`view.state.values` of the move modal, as Slack sends it."""
    return {
        MOVE_DATE_BLOCK: {MOVE_DATE_BLOCK: {"type": "datepicker", "selected_date": day}},
        MOVE_TIME_BLOCK: {
            MOVE_TIME_BLOCK: {"type": "timepicker", "selected_time": at, "timezone": LONDON}
        },
    }


def test_the_new_time_is_read_in_the_sets_zone() -> None:
    assert read_move(moved_to("2027-07-06", "10:00"), LONDON) == datetime(
        2027, 7, 6, 9, 0, tzinfo=UTC
    )
    assert read_move(moved_to("2027-01-12", "10:00"), "America/New_York") == datetime(
        2027, 1, 12, 15, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(("day", "at"), [(None, "10:00"), ("2027-07-06", None), ("soon", "10")])
def test_a_missing_or_garbled_time_reads_as_nothing(day: str | None, at: str | None) -> None:
    assert read_move(moved_to(day, at), LONDON) is None
