"""The App Home tab: where a member lands when they open setbot in Slack's sidebar.

Someone in a Set sees their Sets, when each meets next and their open actions with
buttons to report back; a facilitator also sees each Set's progress and who might need
a nudge. Someone in no Set sees the welcome and how to begin. Set names, themes and
actions are typed by people, so each is escaped here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.flows.commands import COMMANDS, usage
from bot.flows.commitments import CommitmentView
from bot.flows.home import HomeView, MeetingPoint, SetCard, SetProgress
from bot.flows.insights import percent
from bot.flows.schedule import format_local
from bot.ui.blocks import Block, actions, button, context, divider, header, section
from bot.ui.commitments import BUTTONS_BLOCK_PREFIX, REPORT_BACK, STILL_WORKING, action_line
from bot.ui.insights import bar
from bot.ui.learning_log import LOG_HEADING_BLOCKS, log_blocks
from bot.ui.mrkdwn import BLOCKS_PER_VIEW, clip, escape, mention
from bot.ui.reminder_preferences import reminders_blocks
from bot.ui.resources import good_practice_text

# Five blocks a Set and two an action at most, so the tab stays inside Slack's 100 blocks.
MAX_SETS_SHOWN = 10
MAX_ACTIONS_SHOWN = 12
# Reflection scores of the last few meetings make the trend; older ones are on `/set`.
TREND_MEETINGS = 6
# How much of an action the tab quotes; the full text is one click away in Report back.
THEME_PREVIEW = 200
# A score from 1 to 5 as one character, low to high.
SCORE_MARKS = "▁▂▃▄▅▆▇"
PRIVACY = "What is said in a round stays in the Set: setbot never stores it."


def home_view(home: HomeView | None = None) -> dict[str, Any]:
    """The Home tab for `home`; with no Sets (or nothing known yet), the welcome."""
    if home is None or not home.sets:
        blocks = _welcome()
        if home is not None and home.commitments:
            blocks += _actions(home.commitments)
        if home is not None and home.log:
            blocks += _log(home, room=BLOCKS_PER_VIEW - len(blocks))
    else:
        blocks = [header("Your Action Learning Sets"), *_sets(home.sets)]
        blocks += _actions(home.commitments)
        after = [*reminders_blocks(), context(PRIVACY)]
        blocks += _log(home, room=BLOCKS_PER_VIEW - len(blocks) - len(after))
        blocks += after
    return {"type": "home", "blocks": blocks}


def _log(home: HomeView, *, room: int) -> list[Block]:
    """Their own log: as many of the newest entries as Slack's 100 blocks leave room for."""
    fits = room - LOG_HEADING_BLOCKS
    return log_blocks(home.log[:fits]) if fits > 0 else []


def _welcome() -> list[Block]:
    blocks: list[Block] = [
        header("Welcome to setbot"),
        section(
            "setbot runs your *Action Learning Set* in Slack. In each meeting every member "
            "takes a turn: you bring a real problem, the others help mostly by *asking "
            "questions*, you commit to an action, and next time you report back on it."
        ),
        divider(),
        section("*Getting started*\nA facilitator types `/set new` in any channel to form a Set."),
    ]
    for name, summary in COMMANDS.items():
        lines = "\n".join(f"• `{s.usage}` — {s.summary}" for s in usage(name))
        blocks.append(section(f"*{name}* — {summary}\n{lines}"))
    blocks.append(context(PRIVACY))
    return blocks


def _sets(cards: Sequence[SetCard]) -> list[Block]:
    blocks: list[Block] = []
    for card in cards[:MAX_SETS_SHOWN]:
        blocks.append(section(_about(card)))
        if card.good_practice:
            blocks.append(section(good_practice_text(card.good_practice)))
        if card.progress is not None:
            blocks.append(section(_progress(card, card.progress)))
            blocks.append(section(_nudges(card.progress)))
        blocks.append(divider())
    if len(cards) > MAX_SETS_SHOWN:
        more = len(cards) - MAX_SETS_SHOWN
        blocks.append(context(f"And {more} more. Type `/set` to see every Set you belong to."))
    return blocks


def _about(card: SetCard) -> str:
    role = "facilitator" if card.is_facilitator else "member"
    lines = [f"*{escape(card.name)}* · {role}" + (" · closed" if card.closed else "")]
    if card.theme:
        lines.append(f"_{escape(clip(card.theme, THEME_PREVIEW))}_")
    if card.channel_id:
        lines.append(f"Meets in <#{card.channel_id}>")
    lines.append(_next(card))
    return "\n".join(lines)


def _next(card: SetCard) -> str:
    if card.under_way:
        return "*A meeting is under way now.*"
    if card.next_meeting is not None:
        return f"*Next meeting:* {format_local(card.next_meeting, card.timezone)}"
    return "The Set has closed." if card.closed else "No more meetings are planned yet."


def _progress(card: SetCard, progress: SetProgress) -> str:
    lines = [
        "*Progress*",
        f"Meetings: {progress.held} held of {progress.planned} planned",
        _attendance(progress),
        f"Actions: {progress.committed} committed · {progress.reported} reported back · "
        f"{progress.dropped} dropped · {progress.still_open} still open",
        _trend(card, progress.meetings[-TREND_MEETINGS:]),
    ]
    return "\n".join(lines)


def _attendance(progress: SetProgress) -> str:
    rate = progress.attendance_rate
    if rate is None:
        return "Attendance: no meetings held yet"
    counted = f"{progress.present} of {progress.expected} expected"
    return f"Attendance: {bar(rate)} {percent(rate)}% ({counted})"


def _trend(card: SetCard, points: Sequence[MeetingPoint]) -> str:
    """Each meeting's process-reflection average, oldest first, as marks and as numbers."""
    zone = ZoneInfo(card.timezone)
    scored = [
        (p.held_at.astimezone(zone), p.reflection_average)
        for p in points
        if p.held_at is not None and p.reflection_average is not None
    ]
    if not scored:
        return "Process reflection: no answers yet"
    marks = "".join(_mark(score) for _, score in scored)
    numbers = " · ".join(f"{held.day} {held:%b} {score:.1f}" for held, score in scored)
    return f"Process reflection (1–5): {marks}  {numbers}"


def _mark(score: float) -> str:
    """1 is the lowest mark and 5 the highest."""
    step = (score - 1) / 4 * (len(SCORE_MARKS) - 1)
    return SCORE_MARKS[min(len(SCORE_MARKS) - 1, max(0, int(step + 0.5)))]


def _nudges(progress: SetProgress) -> str:
    if not progress.nudges:
        return "*Who might need a nudge*\nNo one right now."
    lines = ["*Who might need a nudge*"]
    for nudge in progress.nudges:
        reasons = []
        if nudge.overdue_actions:
            plural = "action" if nudge.overdue_actions == 1 else "actions"
            reasons.append(f"{nudge.overdue_actions} overdue {plural}")
        if nudge.missed_in_a_row:
            reasons.append(f"missed the last {nudge.missed_in_a_row} meetings")
        lines.append(f"• {mention(nudge.user_id)}: {' and '.join(reasons)}")
    return "\n".join(lines)


def _actions(views: Sequence[CommitmentView]) -> list[Block]:
    """Open actions, soonest due first, each with Report back and Still working buttons."""
    blocks: list[Block] = [header("Your open actions")]
    if not views:
        blocks.append(section("None right now. Record one any time with `/action new`."))
    for view in views[:MAX_ACTIONS_SHOWN]:
        blocks.append(section(action_line(view)))
        if view.actionable:
            value = str(view.commitment_id)
            buttons = [
                button("Report back", action_id=REPORT_BACK, value=value, style="primary"),
                button("Still working on it", action_id=STILL_WORKING, value=value),
            ]
            blocks.append(actions(f"{BUTTONS_BLOCK_PREFIX}{view.commitment_id}", buttons))
    if len(views) > MAX_ACTIONS_SHOWN:
        blocks.append(context(f"And {len(views) - MAX_ACTIONS_SHOWN} more: type `/action`."))
    return blocks
