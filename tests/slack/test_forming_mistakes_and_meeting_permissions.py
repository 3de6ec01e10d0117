"""What goes wrong on the way, and who may do what: each answered kindly, nothing half-done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import sets
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import LearningSet, Meeting, MeetingStatus
from bot.ui import meeting as meeting_ui
from bot.ui import new_set, schedule

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"


@pytest.fixture
def set_channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """A Set of two members, meeting monthly on the first Tuesday from February."""
    for user, name in [(FRAN, "fran"), (ASHA, "asha"), (BEN, "ben")]:
        slack.add_user(user, name=name)
    channel = slack.add_channel("set-leaders", members=[slack.bot_user_id, FRAN, ASHA, BEN])
    sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel,
        draft=sets.SetDraft(
            name="Leaders",
            theme="Change",
            facilitators=(FRAN,),
            members=(ASHA, BEN),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=datetime(2027, 2, 2, 10, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    return channel


def open_the_form(driver: SlackDriver, slack: SlackEmulator) -> None:
    slack.add_user(FRAN, name="fran")
    driver.slash_command("/set", "new", user_id=FRAN, channel_id="C0LOBBY")
    slack.wait_for("views.open")


@pytest.mark.parametrize(
    ("answers", "block", "says"),
    [
        ({new_set.MEMBERS_BLOCK: []}, new_set.MEMBERS_BLOCK, "Add the Set's members"),
        ({new_set.SESSION_BLOCK: "481"}, new_set.SESSION_BLOCK, "30 minutes to 8 hours"),
        ({new_set.FIRST_DATE_BLOCK: "2026-12-01"}, new_set.FIRST_DATE_BLOCK, "already passed"),
        ({new_set.TIMEZONE_BLOCK: "Mars/Base"}, new_set.TIMEZONE_BLOCK, "time zone"),
    ],
    ids=["no-members", "session-too-long", "past-date", "unknown-zone"],
)
def test_a_mistake_in_the_form_is_shown_beside_its_field_and_nothing_is_made(
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    answers: dict[str, object],
    block: str,
    says: str,
) -> None:
    open_the_form(driver, slack)
    filled = {
        new_set.NAME_BLOCK: "Leaders",
        new_set.THEME_BLOCK: "Change",
        new_set.MEMBERS_BLOCK: [ASHA, BEN],
        new_set.FIRST_DATE_BLOCK: "2027-02-02",
    }

    reply = driver.submit_form(new_set.NEW_SET_VIEW, user=FRAN, answers={**filled, **answers})

    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert says in reply.json["errors"][block]
    assert slack.calls_to("conversations.create") == []
    with store.session() as session:
        assert session.exec(select(LearningSet)).all() == []


def test_a_channel_another_set_meets_in_cannot_be_picked(
    driver: SlackDriver, slack: SlackEmulator, set_channel: str
) -> None:
    open_the_form(driver, slack)

    reply = driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "Second Set",
            new_set.THEME_BLOCK: "Change",
            new_set.MEMBERS_BLOCK: [ASHA],
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
            new_set.CHANNEL_MODE_BLOCK: new_set.EXISTING_CHANNEL,
            new_set.CHANNEL_PICK_BLOCK: set_channel,
        },
    )

    assert reply.json is not None
    assert "Another Set already meets" in reply.json["errors"][new_set.CHANNEL_PICK_BLOCK]


def test_when_slack_refuses_the_channel_the_facilitator_hears_and_nothing_is_saved(
    driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    open_the_form(driver, slack)
    slack.fail("conversations.create", error="restricted_action")

    driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: "Leaders",
            new_set.THEME_BLOCK: "Change",
            new_set.MEMBERS_BLOCK: [ASHA],
            new_set.FIRST_DATE_BLOCK: "2027-02-02",
        },
    )

    told = slack.wait_for("chat.postMessage", where=lambda c: "Nothing was" in c.args["text"])
    assert "restricted_action" in told.args["text"]
    with store.session() as session:
        assert session.exec(select(LearningSet)).all() == []


@pytest.mark.parametrize(
    "command",
    [
        ("/meeting", "start"),
        ("/meeting", "end"),
        ("/set", "close"),
        ("/set", "remove <@U0BEN|ben>"),
    ],
)
def test_a_member_cannot_use_facilitator_commands(
    driver: SlackDriver, slack: SlackEmulator, set_channel: str, command: tuple[str, str]
) -> None:
    reply = driver.slash_command(command[0], command[1], user_id=ASHA, channel_id=set_channel)

    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    assert "Only the Set's facilitator can do that" in reply.json["text"]
    assert slack.calls_to("chat.postMessage") == []


def test_a_member_sees_the_schedule_without_move_or_skip(
    driver: SlackDriver, set_channel: str
) -> None:
    reply = driver.slash_command("/set", "schedule", user_id=ASHA, channel_id=set_channel)

    assert reply.json is not None
    assert schedule.MOVE_MEETING not in str(reply.json["blocks"])


def test_a_facilitator_moves_one_meeting_and_skips_another(
    driver: SlackDriver, slack: SlackEmulator, store: Store, set_channel: str
) -> None:
    driver.slash_command("/set", "schedule", user_id=FRAN, channel_id=set_channel)
    card_ts = _private_card(slack, FRAN)
    first, second = _meeting_ids(store)[:2]

    driver.block_action(
        schedule.MOVE_MEETING, user=FRAN, channel=set_channel, message_ts=card_ts, value=str(first)
    )
    slack.wait_for("views.open")
    moved = driver.submit_form(
        schedule.MOVE_VIEW,
        user=FRAN,
        answers={schedule.MOVE_DATE_BLOCK: "2027-02-09", schedule.MOVE_TIME_BLOCK: "14:00"},
    )
    assert moved.status == 200 and not (moved.json or {}).get("errors")
    driver.block_action(
        schedule.SKIP_MEETING, user=FRAN, channel=set_channel, message_ts=card_ts, value=str(second)
    )

    # Buttons are acknowledged at once and acted on just after: wait for the answer.
    slack.wait_for("response_url", where=lambda c: "skipped" in str(c.args).lower())
    with store.session() as session:
        meetings = {m.id: m for m in session.exec(select(Meeting))}
    assert meetings[first].scheduled_at == datetime(2027, 2, 9, 14, tzinfo=UTC)
    assert meetings[second].status == MeetingStatus.SKIPPED


def test_the_calendar_file_is_uploaded_to_the_sets_channel(
    driver: SlackDriver, slack: SlackEmulator, set_channel: str
) -> None:
    driver.slash_command("/set", "calendar", user_id=ASHA, channel_id=set_channel)

    shared = slack.wait_for("files.completeUploadExternal")
    assert shared.args["channel_id"] == set_channel
    [upload] = shared.args["files"]
    content = slack.file_content(upload["id"]).decode()
    assert content.count("BEGIN:VEVENT") == 3
    assert "SUMMARY:Leaders" in content


def test_a_member_cannot_reorder_the_turns(
    driver: SlackDriver, slack: SlackEmulator, clock: ManualClock, set_channel: str
) -> None:
    clock.set(datetime(2027, 2, 2, 10, tzinfo=UTC))
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=set_channel)
    slack.wait_for("chat.postMessage", where=lambda c: "under way" in c.args["text"])
    card = next(m for m in slack.messages(set_channel) if "under way" in m.text)

    driver.block_action(meeting_ui.REORDER, user=ASHA, channel=set_channel, message_ts=card.ts)

    refused = slack.wait_for("response_url")
    assert "facilitator" in refused.args["text"]
    assert slack.calls_to("views.open") == []


def _private_card(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as state:
        return [m for m in state.messages if m.ephemeral_to == user][-1].ts


def _meeting_ids(store: Store) -> list[int]:
    with store.session() as session:
        return [m.id for m in session.exec(select(Meeting).order_by(Meeting.scheduled_at)) if m.id]
