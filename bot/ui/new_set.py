"""`/set new`: the modal a facilitator forms a Set with, and reading back what they filled in.

The first meeting is a date picker and a time picker, not Slack's datetimepicker: that one
gives an instant in the facilitator's own Slack zone, while a Set meets at a wall-clock
time in *its* zone, which may not be theirs. So date and time are read as local to the
time zone typed in the same form, and only then turned into UTC.

Problems come back keyed by block id, ready for Slack's `response_action: errors`, so
each shows beside the input it is about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.flows.schedule import (
    LAST,
    MAX_MEETINGS,
    MAX_SESSION_MINUTES,
    MIN_MEETINGS,
    MIN_SESSION_MINUTES,
    Cadence,
    count_error,
    end_date_error,
    timezone_error,
)
from bot.flows.sets import DEFAULT_GROUND_RULES, DraftField, SetDraft, check_draft
from bot.store.models import DEFAULT_SESSION_MINUTES
from bot.ui.blocks import Block, section
from bot.ui.forms import (
    OPTION_TEXT_LIMIT,
    TITLE_LIMIT,
    element_of,
    input_block,
    option,
    plain,
    read_text,
)
from bot.ui.mrkdwn import clip

NEW_SET_VIEW = "set_new"

NAME_BLOCK = "set_name"
THEME_BLOCK = "set_theme"
PROBLEM_BLOCK = "set_problem_area"
FACILITATORS_BLOCK = "set_facilitators"
MEMBERS_BLOCK = "set_members"
CHANNEL_MODE_BLOCK = "set_channel_mode"
CHANNEL_PICK_BLOCK = "set_channel_pick"
CADENCE_BLOCK = "set_cadence"
FIRST_DATE_BLOCK = "set_first_date"
FIRST_TIME_BLOCK = "set_first_time"
TIMEZONE_BLOCK = "set_timezone"
SESSION_BLOCK = "set_session_minutes"
COUNT_BLOCK = "set_meeting_count"
END_DATE_BLOCK = "set_end_date"
RULES_BLOCK = "set_ground_rules"

# The radio choice of where the Set meets.
NEW_CHANNEL, EXISTING_CHANNEL = "new", "existing"

# Slack's limits for modal text beyond bot/ui/forms.py's (the modal's button texts, and a
# plain_text_input's longest value).
BUTTON_LIMIT = 24
INPUT_MAX_LENGTH = 3000
# Column sizes of LearningSet, so nothing typed is cut short when it is stored.
NAME_MAX, THEME_MAX, PROBLEM_MAX, TIMEZONE_MAX = 80, 200, 500, 64

# The prefilled first meeting: a week ahead, mid-morning, in the facilitator's zone.
FIRST_MEETING_AHEAD = timedelta(days=7)
DEFAULT_START = "10:00"
DEFAULT_MEETINGS = 3

# Marks people put before a rule out of habit: bullet, asterisk, hyphen, en dash.
_LIST_MARKS = "\N{BULLET}*-\N{EN DASH}"

_DateOrTime = TypeVar("_DateOrTime", date, time)

# Option value → how the meetings repeat; "monthly" takes the week of the month from the
# first meeting's date (the 9th is in the second week, so the second Tuesday, say).
_CADENCE_OPTIONS = {
    "weekly:1": "Every week",
    "weekly:2": "Every 2 weeks",
    "weekly:3": "Every 3 weeks",
    "weekly:4": "Every 4 weeks",
    "monthly:same": "Monthly, on the same weekday of the month (e.g. first Tuesday)",
    "monthly:last": "Monthly, on the last such weekday of the month (e.g. last Tuesday)",
}
DEFAULT_CADENCE = "monthly:same"

# Where each of check_draft's problems is shown.
_BLOCK_FOR_FIELD = {
    DraftField.NAME: NAME_BLOCK,
    DraftField.MEMBERS: MEMBERS_BLOCK,
    DraftField.FIRST_AT: FIRST_DATE_BLOCK,
    DraftField.TIMEZONE: TIMEZONE_BLOCK,
    DraftField.SESSION: SESSION_BLOCK,
    DraftField.RULES: RULES_BLOCK,
}


@dataclass(frozen=True)
class NewChannelChoice:
    """Where the Set will meet: a new private channel made for it, or `channel_id`."""

    create: bool
    channel_id: str | None = None


def new_set_modal(
    *, facilitator_id: str, timezone: str, origin_channel: str, now: datetime
) -> dict[str, Any]:
    """The form, prefilled so that a facilitator in a hurry only has to add people."""
    zone = _zone(timezone, fallback="UTC")
    blocks = [
        section(
            "Form an Action Learning Set: who is in it, what it is about and when it meets. "
            "Members are welcomed in the Set's channel once it is formed."
        ),
        *_about_blocks(),
        *_people_blocks(facilitator_id),
        *_channel_blocks(),
        *_schedule_blocks(timezone, first_day=(now.astimezone(zone) + FIRST_MEETING_AHEAD).date()),
        _rules_block(),
    ]
    return {
        "type": "modal",
        "callback_id": NEW_SET_VIEW,
        "private_metadata": json.dumps({"channel": origin_channel}),
        "title": plain("Form a Set", TITLE_LIMIT),
        "submit": plain("Form the Set", BUTTON_LIMIT),
        "close": plain("Cancel", BUTTON_LIMIT),
        "blocks": blocks,
    }


def _about_blocks() -> list[Block]:
    return [
        input_block(
            NAME_BLOCK, "Set name", _text_input(NAME_MAX, placeholder="e.g. New team leaders")
        ),
        input_block(
            THEME_BLOCK,
            "Training theme",
            _text_input(THEME_MAX, placeholder="e.g. Leading through change"),
            hint="What the Set's learning is about.",
        ),
        input_block(
            PROBLEM_BLOCK,
            "Problem area",
            _text_input(PROBLEM_MAX, multiline=True),
            hint="The kind of problems members will bring, in a sentence or two.",
            optional=True,
        ),
    ]


def _people_blocks(facilitator_id: str) -> list[Block]:
    return [
        input_block(
            FACILITATORS_BLOCK,
            "Facilitators",
            {"type": "multi_users_select", "initial_users": [facilitator_id]},
            hint="You're in already. Add a co-facilitator if you have one.",
        ),
        input_block(
            MEMBERS_BLOCK,
            "Members",
            {
                "type": "multi_users_select",
                "placeholder": plain("Pick the Set's members", OPTION_TEXT_LIMIT),
            },
            hint="4 to 8 people works best; a Set can have up to 12.",
        ),
    ]


def _channel_blocks() -> list[Block]:
    options = [
        option("Create a new private channel for the Set", NEW_CHANNEL),
        option("Use an existing channel (pick it below)", EXISTING_CHANNEL),
    ]
    picker = {
        "type": "conversations_select",
        "placeholder": plain("Pick a channel", OPTION_TEXT_LIMIT),
        "default_to_current_conversation": True,
        # Shared-with-other-organisations channels are left out: the Set's talk is confidential.
        "filter": {"include": ["private", "public"], "exclude_external_shared_channels": True},
    }
    return [
        input_block(
            CHANNEL_MODE_BLOCK,
            "Where the Set meets",
            {"type": "radio_buttons", "options": options, "initial_option": options[0]},
            hint="A private channel keeps what is said in the Set within the Set.",
        ),
        input_block(
            CHANNEL_PICK_BLOCK,
            "Existing channel",
            picker,
            hint="Only needed if you chose an existing channel.",
            optional=True,
        ),
    ]


def _schedule_blocks(timezone: str, *, first_day: date) -> list[Block]:
    options = [option(text, value) for value, text in _CADENCE_OPTIONS.items()]
    initial = options[list(_CADENCE_OPTIONS).index(DEFAULT_CADENCE)]
    return [
        input_block(
            CADENCE_BLOCK,
            "How often the Set meets",
            {"type": "static_select", "options": options, "initial_option": initial},
            hint="Monthly meetings fall on the first meeting's weekday and week of the month: "
            "a first meeting on the first Tuesday means every first Tuesday.",
        ),
        input_block(
            FIRST_DATE_BLOCK,
            "First meeting",
            {"type": "datepicker", "initial_date": first_day.isoformat()},
        ),
        input_block(
            FIRST_TIME_BLOCK,
            "Start time",
            {"type": "timepicker", "initial_time": DEFAULT_START},
            hint="In the Set's time zone, below. Every meeting starts at this time.",
        ),
        input_block(
            TIMEZONE_BLOCK,
            "Time zone",
            _text_input(TIMEZONE_MAX, initial=timezone),
            hint="Where the Set's clock lives, e.g. Europe/London or America/New_York. "
            "Members also see each time in their own zone.",
        ),
        *_number_blocks(),
    ]


def _number_blocks() -> list[Block]:
    return [
        input_block(
            SESSION_BLOCK,
            "Session length (minutes)",
            _number(MIN_SESSION_MINUTES, MAX_SESSION_MINUTES, DEFAULT_SESSION_MINUTES),
            hint="From 30 to 480 minutes; 120 suits most Sets.",
        ),
        input_block(
            COUNT_BLOCK,
            "Number of meetings",
            _number(MIN_MEETINGS, MAX_MEETINGS, DEFAULT_MEETINGS),
        ),
        input_block(
            END_DATE_BLOCK,
            "Or meet until",
            {
                "type": "datepicker",
                "placeholder": plain("Pick the last possible day", OPTION_TEXT_LIMIT),
            },
            hint="If you pick an end date, the Set meets until then and the number of "
            "meetings above is not used.",
            optional=True,
        ),
    ]


def _rules_block() -> Block:
    rules = "\n".join(DEFAULT_GROUND_RULES)
    return input_block(
        RULES_BLOCK,
        "Ground rules",
        _text_input(INPUT_MAX_LENGTH, multiline=True, initial=rules),
        hint="One rule per line. The Set agrees them at its first meeting.",
    )


def read_new_set(
    values: dict[str, Any], *, timezone_fallback: str, now: datetime
) -> tuple[SetDraft | None, dict[str, str], NewChannelChoice]:
    """Read `view.state.values` as Slack sends it; every problem at once, keyed by block id.

    The draft is None when the form can't make one that could be stored (no first
    meeting, no pattern, no usable end); a draft may still come with problems.
    """
    problems: dict[str, str] = {}
    timezone = read_text(values, TIMEZONE_BLOCK) or timezone_fallback
    zone = _zone(timezone, fallback=timezone_fallback)
    first_at = _first_at(values, zone, problems)
    cadence = _cadence(values, first_at, zone, problems) if first_at else None
    session_minutes = _whole_number(_value(values, SESSION_BLOCK, "value"))
    if session_minutes is None:
        problems[SESSION_BLOCK] = "Say how long each session is, in minutes: 120 suits most Sets."
    facilitators = _users(values, FACILITATORS_BLOCK)
    if not facilitators:
        problems[FACILITATORS_BLOCK] = "Add at least one facilitator: that's usually you."
    if not read_text(values, THEME_BLOCK):
        problems[THEME_BLOCK] = "Say what the Set's learning is about, e.g. Leading through change."
    choice = _channel_choice(values, problems)
    if first_at is None or cadence is None or session_minutes is None:
        return None, problems, choice
    draft = SetDraft(
        name=read_text(values, NAME_BLOCK),
        theme=read_text(values, THEME_BLOCK),
        problem_area=read_text(values, PROBLEM_BLOCK),
        facilitators=facilitators,
        members=_users(values, MEMBERS_BLOCK),
        cadence=cadence,
        first_at=first_at,
        timezone=timezone,
        session_minutes=session_minutes,
        ground_rules=_rules(read_text(values, RULES_BLOCK)),
    )
    problems = errors_for_slack(check_draft(draft, now=now)) | problems
    return (draft if cadence.bounded else None), problems, choice


def errors_for_slack(problems_by_field: dict[str, str]) -> dict[str, str]:
    """check_draft's problems keyed by the block each belongs beside.

    A field this form has no input for yet is shown on the name, at the top, rather than
    lost: a problem nobody can see is a Set nobody can form.
    """
    errors: dict[str, str] = {}
    for field, message in problems_by_field.items():
        block = _BLOCK_FOR_FIELD.get(field, NAME_BLOCK)
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    return errors


def _first_at(values: dict[str, Any], zone: ZoneInfo, problems: dict[str, str]) -> datetime | None:
    """The local date and time, in the Set's zone, as a UTC instant."""
    day = _iso(date, _value(values, FIRST_DATE_BLOCK, "selected_date"))
    start = _iso(time, _value(values, FIRST_TIME_BLOCK, "selected_time"))
    if day is None:
        problems[FIRST_DATE_BLOCK] = "Pick the date of the Set's first meeting."
    if start is None:
        problems[FIRST_TIME_BLOCK] = "Pick the time the meetings start."
    if day is None or start is None:
        return None
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)


def _cadence(
    values: dict[str, Any], first_at: datetime, zone: ZoneInfo, problems: dict[str, str]
) -> Cadence | None:
    """The pattern, ending on the end date if one was picked, or else after a count.

    A limit with a problem is left off, so the pattern can still be checked against the
    first meeting and every problem shown at once; the caller then returns no draft.
    """
    picked = (_value(values, CADENCE_BLOCK, "selected_option") or {}).get("value")
    if picked not in _CADENCE_OPTIONS:
        problems[CADENCE_BLOCK] = "Pick how often the Set meets."
        return None
    count, until = _limit(values, first_at, zone, problems)
    kind, _, detail = picked.partition(":")
    if kind == "weekly":
        return Cadence.weekly(every=int(detail), count=count, until=until)
    local_day = first_at.astimezone(zone).date()
    ordinal = LAST if detail == "last" else _week_of_month(local_day)
    return Cadence.monthly(ordinal=ordinal, weekday=local_day.weekday(), count=count, until=until)


def _limit(
    values: dict[str, Any], first_at: datetime, zone: ZoneInfo, problems: dict[str, str]
) -> tuple[int | None, date | None]:
    """(count, None), or (None, end date) when one was picked: an end date wins."""
    until = _iso(date, _value(values, END_DATE_BLOCK, "selected_date"))
    if until is not None:
        problem = end_date_error(until, first_at=first_at, timezone=zone.key)
        if problem:
            problems[END_DATE_BLOCK] = problem
            return None, None
        return None, until
    count = _whole_number(_value(values, COUNT_BLOCK, "value"))
    problem = count_error(count) if count is not None else "Say how many times the Set meets."
    if problem:
        problems[COUNT_BLOCK] = problem
        return None, None
    return count, None


def _week_of_month(day: date) -> int:
    """1 for days 1-7, 2 for 8-14 ...; the 29th to 31st can only be the last such weekday."""
    week = (day.day - 1) // 7 + 1
    return LAST if week == 5 else week


def _channel_choice(values: dict[str, Any], problems: dict[str, str]) -> NewChannelChoice:
    mode = (_value(values, CHANNEL_MODE_BLOCK, "selected_option") or {}).get("value")
    if mode != EXISTING_CHANNEL:
        return NewChannelChoice(create=True)
    channel = _value(values, CHANNEL_PICK_BLOCK, "selected_conversation")
    if not channel:
        problems[CHANNEL_PICK_BLOCK] = (
            "Pick the channel the Set will use, or choose to create a new private channel."
        )
    return NewChannelChoice(create=False, channel_id=channel or None)


def _rules(text: str) -> tuple[str, ...]:
    """One rule a line; list marks people type out of habit are dropped."""
    lines = (line.strip().lstrip(_LIST_MARKS).strip() for line in text.splitlines())
    return tuple(line for line in lines if line)


def _users(values: dict[str, Any], block_id: str) -> tuple[str, ...]:
    """Picked users in order, each once."""
    return tuple(dict.fromkeys(_value(values, block_id, "selected_users") or []))


def _value(values: dict[str, Any], block_id: str, key: str) -> Any:
    """One field of the one element an input block holds, as Slack reports it."""
    return element_of(values, block_id).get(key)


def _whole_number(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None


def _iso(kind: type[_DateOrTime], text: str | None) -> _DateOrTime | None:
    """Slack's "YYYY-MM-DD" and "HH:MM"; None when nothing, or nothing sensible, was picked."""
    try:
        return kind.fromisoformat(text) if text else None
    except ValueError:
        return None


def _zone(name: str, *, fallback: str) -> ZoneInfo:
    """The typed zone if it is one; else the fallback, so the rest of the form can be checked."""
    for candidate in (name, fallback):
        if timezone_error(candidate) is None:
            return ZoneInfo(candidate)
    return ZoneInfo("UTC")


def _text_input(
    max_length: int, *, multiline: bool = False, initial: str = "", placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = clip(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, OPTION_TEXT_LIMIT)
    return element


def _number(minimum: int, maximum: int, initial: int) -> dict[str, Any]:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": str(minimum),
        "max_value": str(maximum),
        "initial_value": str(initial),
    }
