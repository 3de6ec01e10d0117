"""A facilitator chooses when the Set is reminded; every coming meeting follows the choice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.flows import sets
from bot.flows.reminder_timing import ReminderTiming, timing_from
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import OutboxMessage, OutboxStatus
from bot.ui import reminder_timing as timing_ui

FRAN, ASHA = "U0FRAN", "U0ASHA"


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    slack.add_user(FRAN, name="fran")
    slack.add_user(ASHA, name="asha")
    channel_id = slack.add_channel("set-leaders", members=[slack.bot_user_id, FRAN, ASHA])
    sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="Leaders",
            theme="Change",
            facilitators=(FRAN,),
            members=(ASHA,),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=2),
            first_at=datetime(2027, 2, 2, 10, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    return channel_id


def owed(store: Store) -> list[tuple[str, str]]:
    """Pending rows, as (kind, the end of the key saying which reminder it is)."""
    with store.session() as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            .order_by(col(OutboxMessage.due_at))
        ).all()
    return [(r.kind, r.dedupe_key.split(":")[4]) for r in rows if r.kind != "set_extend_or_close"]


def test_the_defaults_remind_the_day_before_and_the_hour_before(store: Store, channel: str) -> None:
    assert owed(store).count(("meeting_reminder", "T-24h")) == 2
    assert ("meeting_prepare", "prepare") in owed(store)


def test_a_facilitator_picks_a_week_ahead_and_no_prepare_messages(
    driver: SlackDriver, slack: SlackEmulator, store: Store, channel: str
) -> None:
    driver.slash_command("/set", "timing", user_id=FRAN, channel_id=channel)
    slack.wait_for("views.open")

    reply = driver.submit_form(
        timing_ui.TIMING_VIEW,
        user=FRAN,
        answers={
            timing_ui.CHANNEL_BLOCK: ["T-7d", "T-1h"],
            timing_ui.PREPARE_BLOCK: "0",
            timing_ui.DIGEST_BLOCK: [],
        },
    )

    assert reply.status == 200 and not (reply.json or {}).get("errors")
    assert owed(store) == [
        ("meeting_reminder", "T-7d"),
        ("meeting_reminder", "T-1h"),
        ("meeting_reminder", "T-7d"),
        ("meeting_reminder", "T-1h"),
    ]
    saved = slack.wait_for("chat.postEphemeral", where=lambda c: "Saved" in c.args["text"])
    assert "a week before, an hour before" in saved.args["text"]


def test_a_member_cannot_change_the_timing(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    reply = driver.slash_command("/set", "timing", user_id=ASHA, channel_id=channel)

    assert reply.json is not None and "Only the Set's facilitator" in reply.json["text"]
    assert slack.calls_to("views.open") == []


def test_unreadable_stored_timing_falls_back_to_the_defaults() -> None:
    assert timing_from({"channel": ["T-3y"], "prepare_days": "soon"}) == ReminderTiming()
    assert timing_from({"prepare_days": 0}).prepare_lead is None
