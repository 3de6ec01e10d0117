"""`/set schedule`: the coming meetings, and the modal a facilitator moves one with.

Times are written in the Set's own zone, which is where its clock lives, and again as a
Slack date token that each reader's app shows in their own zone: a member abroad sees
both without any sums.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.flows.rescheduling import ComingMeeting, Schedule, ScheduleChange
from bot.flows.schedule import format_local
from bot.ui.blocks import Block, Reply, context, section
from bot.ui.forms import OPTION_TEXT_LIMIT, TITLE_LIMIT, element_of, input_block, plain
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE, escape

MOVE_MEETING = "schedule_move"
SKIP_MEETING = "schedule_skip"
MOVE_VIEW = "schedule_move_view"
MOVE_DATE_BLOCK = "schedule_move_date"
MOVE_TIME_BLOCK = "schedule_move_time"
# Where a refusal of the new time (e.g. "already passed") is shown in the move modal.
MOVE_ERROR_BLOCK = MOVE_DATE_BLOCK

# Slack's limits on a confirm dialog's parts and a button's label.
CONFIRM_TITLE_LIMIT, CONFIRM_TEXT_LIMIT, CONFIRM_BUTTON_LIMIT = 100, 300, 30
# A card is a summary, two blocks per meeting, then a footer: it must stay within 50.
MAX_LISTED = (BLOCKS_PER_MESSAGE - 2) // 2


def schedule_card(schedule: Schedule, *, is_facilitator: bool) -> Reply:
    """The Set's next meetings; facilitators also get Move and Skip beside each one."""
    name = escape(schedule.set_name)
    blocks: list[Block] = [section(_summary(schedule, name))]
    for meeting in schedule.upcoming[:MAX_LISTED]:
        blocks.append(section(_meeting_line(meeting, schedule.timezone)))
        if is_facilitator:
            blocks.append(_meeting_buttons(meeting, schedule.timezone))
    blocks.append(context(_footer(schedule, is_facilitator=is_facilitator)))
    return Reply(text=_fallback(schedule, name), blocks=blocks)


def _summary(schedule: Schedule, name: str) -> str:
    done = _change_line(schedule.change, schedule.timezone) if schedule.change else ""
    return (
        f"{done}*{name}* · {schedule.pattern}\n"
        f"{schedule.held} of {schedule.total} meetings held so far. "
        f"Times are in {schedule.timezone}."
    )


def _change_line(change: ScheduleChange, timezone: str) -> str:
    was = format_local(change.previous_start, timezone)
    if change.new_start is None:
        return f"Done: the meeting on {was} is skipped. The other meetings stay as they were.\n\n"
    moved = format_local(change.new_start, timezone)
    return f"Done: the meeting on {was} now starts {moved}. Only that meeting moved.\n\n"


def _meeting_line(meeting: ComingMeeting, timezone: str) -> str:
    here = format_local(meeting.starts_at, timezone)
    return (
        f"*{here}* · {meeting.session_minutes} minutes\n"
        f"Your time: {_date_token(meeting.starts_at, fallback=here)}"
    )


def _date_token(when: datetime, *, fallback: str) -> str:
    """Slack shows this in each reader's own zone; older clients show the fallback."""
    epoch = int(when.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{escape(fallback)}>"


def _meeting_buttons(meeting: ComingMeeting, timezone: str) -> Block:
    value = str(meeting.meeting_id)
    skip_text = (
        f"The meeting on {format_local(meeting.starts_at, timezone)} will come off everyone's "
        "schedule. The other meetings stay as they are."
    )
    skip_confirm = {
        "title": plain("Skip this meeting?", CONFIRM_TITLE_LIMIT),
        "text": plain(skip_text, CONFIRM_TEXT_LIMIT),
        "confirm": plain("Skip it", CONFIRM_BUTTON_LIMIT),
        "deny": plain("Keep it", CONFIRM_BUTTON_LIMIT),
        "style": "danger",
    }
    return {
        "type": "actions",
        "block_id": f"schedule_meeting_{value}",
        "elements": [
            {
                "type": "button",
                "text": plain("Move", OPTION_TEXT_LIMIT),
                "action_id": MOVE_MEETING,
                "value": value,
            },
            {
                "type": "button",
                "text": plain("Skip", OPTION_TEXT_LIMIT),
                "action_id": SKIP_MEETING,
                "value": value,
                "confirm": skip_confirm,
            },
        ],
    }


def _footer(schedule: Schedule, *, is_facilitator: bool) -> str:
    if not schedule.upcoming:
        if is_facilitator:
            return "No meetings are coming up. Type `/set help` to see what you can do next."
        return "No meetings are coming up. Your facilitator will share any new dates here."
    if is_facilitator:
        return "Moving or skipping a meeting changes only that one; members see it here."
    return "Can't make a meeting? Let your facilitator know in the Set's channel."


def _fallback(schedule: Schedule, name: str) -> str:
    if not schedule.upcoming:
        return f"No meetings of {name} are coming up."
    first = format_local(schedule.upcoming[0].starts_at, schedule.timezone)
    return f"The next meeting of {name} is on {first}."


def move_modal(
    *, meeting_id: int, current_start: datetime, timezone: str, channel_id: str
) -> dict[str, Any]:
    """Date and time pickers prefilled with the meeting's local time in the Set's zone."""
    local = current_start.astimezone(ZoneInfo(timezone))
    intro = (
        f"This meeting is on *{format_local(current_start, timezone)}*. "
        f"Pick its new date and start time, in {timezone}. Only this meeting moves."
    )
    date_picker = {
        "type": "datepicker",
        "action_id": MOVE_DATE_BLOCK,
        "initial_date": local.date().isoformat(),
    }
    time_picker = {
        "type": "timepicker",
        "action_id": MOVE_TIME_BLOCK,
        "initial_time": f"{local:%H:%M}",
        "timezone": timezone,
    }
    return {
        "type": "modal",
        "callback_id": MOVE_VIEW,
        "private_metadata": json.dumps(
            {"meeting_id": meeting_id, "timezone": timezone, "channel": channel_id}
        ),
        "title": plain("Move a meeting", TITLE_LIMIT),
        "submit": plain("Move it", TITLE_LIMIT),
        "close": plain("Cancel", TITLE_LIMIT),
        "blocks": [
            section(intro),
            input_block(MOVE_DATE_BLOCK, "New date", date_picker),
            input_block(MOVE_TIME_BLOCK, "New start time", time_picker),
        ],
    }


def move_target(private_metadata: str) -> tuple[int, str]:
    """The meeting the move modal was opened for, and the zone its pickers were read in."""
    data = json.loads(private_metadata)
    return int(data["meeting_id"]), str(data["timezone"])


def read_move(values: dict[str, Any], timezone: str) -> datetime | None:
    """The picked local date and time as an aware UTC instant; None if either is missing."""
    picked_date = element_of(values, MOVE_DATE_BLOCK).get("selected_date")
    picked_time = element_of(values, MOVE_TIME_BLOCK).get("selected_time")
    if not picked_date or not picked_time:
        return None
    try:
        wall = datetime.combine(date.fromisoformat(picked_date), time.fromisoformat(picked_time))
    except ValueError:
        return None
    return wall.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
