"""Dana, a trainer, forms a Set with `/set new`: the form, and what setbot reads back from it.

The submissions below are built the way Slack builds `view.state.values`: one entry per
input block, keyed by its action_id, holding the element's type and what was picked.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.flows.schedule import LAST, Cadence
from bot.flows.sets import DEFAULT_GROUND_RULES, DraftField
from bot.sim.forms import fill_in
from bot.sim.layout import check_view
from bot.ui.new_set import (
    CADENCE_BLOCK,
    CHANNEL_MODE_BLOCK,
    CHANNEL_PICK_BLOCK,
    COUNT_BLOCK,
    END_DATE_BLOCK,
    EXISTING_CHANNEL,
    FACILITATORS_BLOCK,
    FIRST_DATE_BLOCK,
    FIRST_TIME_BLOCK,
    MEMBERS_BLOCK,
    NAME_BLOCK,
    NEW_SET_VIEW,
    RULES_BLOCK,
    SESSION_BLOCK,
    THEME_BLOCK,
    TIMEZONE_BLOCK,
    NewChannelChoice,
    errors_for_slack,
    new_set_modal,
    read_new_set,
)

DANA = "U0DANA"
MEMBERS = ("U0ASHA", "U0BEN", "U0CHLOE", "U0DEV")
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
TUESDAY = 1


def the_form(timezone: str = "Europe/London") -> dict[str, Any]:
    return new_set_modal(facilitator_id=DANA, timezone=timezone, origin_channel="C0LOBBY", now=NOW)


# What Dana leaves as it is, and what she fills in: monthly on the first Tuesday, 3 times.
FILLED_IN: dict[str, Any] = {
    NAME_BLOCK: "New team leaders",
    THEME_BLOCK: "Leading through change",
    MEMBERS_BLOCK: list(MEMBERS),
    FIRST_DATE_BLOCK: "2027-02-02",
}


def submitted(**changes: Any) -> dict[str, Any]:
    """`view.state.values` for the form as shown, with Dana's entries and `changes` applied.

    Unchanged inputs keep their initial values, as they do in Slack; None clears one.
    """
    entries = FILLED_IN | {_block_id(name): value for name, value in changes.items()}
    return fill_in(the_form(), entries)


def _block_id(name: str) -> str:
    return {
        "name": NAME_BLOCK,
        "theme": THEME_BLOCK,
        "facilitators": FACILITATORS_BLOCK,
        "members": MEMBERS_BLOCK,
        "channel_mode": CHANNEL_MODE_BLOCK,
        "channel": CHANNEL_PICK_BLOCK,
        "cadence": CADENCE_BLOCK,
        "first_date": FIRST_DATE_BLOCK,
        "first_time": FIRST_TIME_BLOCK,
        "timezone": TIMEZONE_BLOCK,
        "session": SESSION_BLOCK,
        "count": COUNT_BLOCK,
        "end_date": END_DATE_BLOCK,
        "rules": RULES_BLOCK,
    }[name]


def read(**changes: Any) -> tuple[Any, dict[str, str], NewChannelChoice]:
    return read_new_set(submitted(**changes), timezone_fallback="Europe/London", now=NOW)


# The form


def test_the_form_is_a_modal_slack_accepts() -> None:
    view = the_form()

    View(**view).validate_json()
    assert check_view(view, kind="modal") is None
    assert view["callback_id"] == NEW_SET_VIEW
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert all(len(b) <= 255 for b in block_ids)


def test_the_form_starts_with_dana_as_facilitator_and_the_usual_ground_rules() -> None:
    inputs = {b["block_id"]: b["element"] for b in the_form()["blocks"] if b["type"] == "input"}

    assert inputs[FACILITATORS_BLOCK]["initial_users"] == [DANA]
    assert inputs[RULES_BLOCK]["initial_value"].splitlines() == list(DEFAULT_GROUND_RULES)
    assert inputs[TIMEZONE_BLOCK]["initial_value"] == "Europe/London"
    assert inputs[SESSION_BLOCK]["initial_value"] == "120"
    assert inputs[COUNT_BLOCK]["initial_value"] == "3"
    assert inputs[FIRST_DATE_BLOCK]["initial_date"] == "2027-01-12"


def test_the_form_remembers_where_set_new_was_typed() -> None:
    assert json.loads(the_form()["private_metadata"]) == {"channel": "C0LOBBY"}


def test_the_form_offers_an_existing_channel_defaulting_to_the_current_one() -> None:
    picker = next(b for b in the_form()["blocks"] if b.get("block_id") == CHANNEL_PICK_BLOCK)

    assert picker["optional"] is True
    assert picker["element"]["default_to_current_conversation"] is True
    assert picker["element"]["filter"]["include"] == ["private", "public"]


# Reading it back


def test_a_filled_in_form_reads_as_a_set_meeting_on_the_first_tuesday() -> None:
    draft, problems, choice = read()

    assert problems == {}
    assert draft.name == "New team leaders"
    assert draft.theme == "Leading through change"
    assert draft.facilitators == (DANA,)
    assert draft.members == MEMBERS
    assert draft.cadence == Cadence.monthly(ordinal=1, weekday=TUESDAY, count=3)
    assert draft.first_at == datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
    assert draft.timezone == "Europe/London"
    assert draft.session_minutes == 120
    assert draft.ground_rules == DEFAULT_GROUND_RULES
    assert choice == NewChannelChoice(create=True)


def test_local_time_is_read_in_the_sets_zone_not_as_utc() -> None:
    draft, problems, _ = read(cadence="weekly:1", first_date="2027-07-06", first_time="10:00")

    assert problems == {}
    assert draft.first_at == datetime(2027, 7, 6, 9, 0, tzinfo=UTC)


def test_a_new_york_set_reads_its_times_in_new_york() -> None:
    draft, problems, _ = read(
        cadence="weekly:2", first_date="2027-07-06", first_time="10:00", timezone="America/New_York"
    )

    assert problems == {}
    assert draft.first_at == datetime(2027, 7, 6, 14, 0, tzinfo=UTC)
    assert draft.cadence == Cadence.weekly(every=2, count=3)


def test_an_end_date_wins_over_the_number_of_meetings() -> None:
    draft, problems, _ = read(end_date="2027-06-30", count="5")

    assert problems == {}
    assert draft.cadence == Cadence.monthly(ordinal=1, weekday=TUESDAY, until=date(2027, 6, 30))


def test_monthly_takes_the_week_of_the_month_from_the_first_meeting() -> None:
    draft, _, _ = read(first_date="2027-02-16")

    assert draft.cadence == Cadence.monthly(ordinal=3, weekday=TUESDAY, count=3)


def test_a_first_meeting_on_the_30th_means_the_last_such_weekday() -> None:
    draft, problems, _ = read(first_date="2027-03-30")

    assert problems == {}
    assert draft.cadence == Cadence.monthly(ordinal=LAST, weekday=TUESDAY, count=3)


def test_ground_rules_are_one_a_line_without_list_marks_or_blank_lines() -> None:
    draft, _, _ = read(rules="- Be on time\n\n• Listen first\n  * Keep confidences  ")

    assert draft.ground_rules == ("Be on time", "Listen first", "Keep confidences")


def test_an_existing_channel_is_used_when_picked() -> None:
    _, problems, choice = read(channel_mode=EXISTING_CHANNEL, channel="C0LEADERS")

    assert problems == {}
    assert choice == NewChannelChoice(create=False, channel_id="C0LEADERS")


def test_a_channel_picked_while_creating_a_new_one_is_ignored() -> None:
    _, _, choice = read(channel="C0LOBBY")

    assert choice == NewChannelChoice(create=True)


# Each problem beside the input it is about


@pytest.mark.parametrize(
    ("changes", "block_id"),
    [
        pytest.param({"members": []}, MEMBERS_BLOCK, id="no members"),
        pytest.param({"members": [DANA]}, MEMBERS_BLOCK, id="only the facilitator"),
        pytest.param(
            {"members": [f"U0M{i:02d}" for i in range(13)]}, MEMBERS_BLOCK, id="13 members"
        ),
        pytest.param({"session": "29"}, SESSION_BLOCK, id="session 29"),
        pytest.param({"session": "481"}, SESSION_BLOCK, id="session 481"),
        pytest.param({"session": None}, SESSION_BLOCK, id="no session length"),
        pytest.param({"first_date": "2027-01-04"}, FIRST_DATE_BLOCK, id="past first date"),
        pytest.param({"first_date": None}, FIRST_DATE_BLOCK, id="no first date"),
        pytest.param({"timezone": "Europe/Londres"}, TIMEZONE_BLOCK, id="unknown zone"),
        pytest.param({"timezone": "europe/london"}, TIMEZONE_BLOCK, id="zone in lower case"),
        pytest.param(
            {"cadence": "monthly:last"}, FIRST_DATE_BLOCK, id="first date not on the cadence"
        ),
        pytest.param({"cadence": None}, CADENCE_BLOCK, id="no cadence"),
        pytest.param({"end_date": "2027-01-31"}, END_DATE_BLOCK, id="end before first"),
        pytest.param({"count": "0"}, COUNT_BLOCK, id="no meetings"),
        pytest.param({"count": None}, COUNT_BLOCK, id="count cleared, no end date"),
        pytest.param({"name": "   "}, NAME_BLOCK, id="blank name"),
        pytest.param({"theme": "  "}, THEME_BLOCK, id="blank theme"),
        pytest.param({"facilitators": []}, FACILITATORS_BLOCK, id="no facilitator"),
        pytest.param({"rules": "\n \n"}, RULES_BLOCK, id="no ground rules"),
        pytest.param({"channel_mode": EXISTING_CHANNEL}, CHANNEL_PICK_BLOCK, id="no channel"),
    ],
)
def test_each_problem_shows_beside_its_own_input(changes: dict[str, Any], block_id: str) -> None:
    _, problems, _ = read(**changes)

    assert list(problems) == [block_id]
    assert problems[block_id].strip()


def test_a_first_date_off_the_cadence_says_which_day_would_fit() -> None:
    _, problems, _ = read(cadence="monthly:last")

    assert "Tue 23 Feb 2027" in problems[FIRST_DATE_BLOCK]


def test_every_problem_is_shown_at_once() -> None:
    draft, problems, _ = read(members=[], session="481", timezone="Mars/Olympus_Mons")

    assert set(problems) == {MEMBERS_BLOCK, SESSION_BLOCK, TIMEZONE_BLOCK}
    assert draft is not None


def test_an_unusable_end_date_gives_no_draft_but_still_every_problem() -> None:
    draft, problems, _ = read(end_date="2027-01-31", members=[])

    assert draft is None
    assert set(problems) == {END_DATE_BLOCK, MEMBERS_BLOCK}


def test_every_draft_field_has_its_own_input() -> None:
    fields = [v for k, v in vars(DraftField).items() if k.isupper()]
    blocks = {next(iter(errors_for_slack({field: "Fix this."}))) for field in fields}
    shown = {b["block_id"] for b in the_form()["blocks"] if b["type"] == "input"}

    assert len(blocks) == len(fields)
    assert blocks <= shown


def test_a_problem_for_a_field_the_form_lacks_still_shows() -> None:
    assert errors_for_slack({"colour": "Pick a colour."}) == {NAME_BLOCK: "Pick a colour."}


def test_the_form_still_opens_when_slack_gives_an_odd_zone() -> None:
    view = the_form(timezone="Not/AZone")

    assert check_view(view, kind="modal") is None
    assert json.loads(view["private_metadata"]) == {"channel": "C0LOBBY"}
