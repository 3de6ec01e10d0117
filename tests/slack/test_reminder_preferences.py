"""Each member chooses their own reminders in Slack, and every private reminder can be put off.

Fran facilitates the Leaders Set from London; Ben, a member, works from Kolkata. The Set
meets on Tue 2 Feb and Tue 2 Mar 2027 at 10:00 London time, and Ben is asked two days
ahead what he will bring. The clock starts on Tue 5 Jan 2027, 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app import web_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import SlackMessenger
from bot.flows import sets
from bot.flows.meeting_reminders import record_time_zones
from bot.flows.outbox import dispatch_due
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import OutboxMessage, OutboxStatus, ReminderPreference
from bot.ui import reminder_preferences as reminders_ui

FRAN, BEN = "U0FRAN", "U0BEN"
ZONES = {FRAN: "Europe/London", BEN: "Asia/Kolkata"}
ASKED_AT = datetime(2027, 1, 31, 10, tzinfo=UTC)  # Sun 31 Jan, 15:30 in Kolkata


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    for user, zone in ZONES.items():
        slack.add_user(user, name=user[2:].lower(), tz=zone)
    channel_id = slack.add_channel("set-leaders", members=[slack.bot_user_id, FRAN, BEN])
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
            members=(BEN,),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=2),
            first_at=datetime(2027, 2, 2, 10, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    record_time_zones(store, clock, team_id=slack.team_id, channel_id=channel_id, zones=ZONES)
    return channel_id


def dm_with_bot(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as ws:
        return ws.dm([user])[0].id


def dispatch(store: Store, clock: ManualClock, settings: Settings) -> None:
    dispatch_due(store, SlackMessenger(web_client(settings)), clock)


def preference(store: Store, team_id: str, user: str) -> ReminderPreference | None:
    with store.session() as session:
        return session.get(ReminderPreference, (team_id, user))


def opened_form(slack: SlackEmulator) -> dict[str, Any]:
    return slack.wait_for("views.open").args["view"]


def test_a_member_chooses_evenings_no_nudges_and_a_week_away_from_a_direct_message(
    channel: str,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
) -> None:
    dm = dm_with_bot(slack, BEN)
    driver.slash_command("/set", "reminders", user_id=BEN, channel_id=dm)
    form = opened_form(slack)
    kinds = next(b for b in form["blocks"] if b["block_id"] == reminders_ui.KINDS_BLOCK)
    offered = [o["value"] for o in kinds["element"]["options"]]
    assert offered == ["meeting", "prepare_round", "commitment"], "the digest is Fran's"
    assert "Asia/Kolkata" in str(form["blocks"]), "hours are read in his own zone"

    reply = driver.submit_form(
        reminders_ui.REMINDERS_VIEW,
        user=BEN,
        answers={
            reminders_ui.FROM_BLOCK: str(18 * 60),
            reminders_ui.UNTIL_BLOCK: str(21 * 60),
            reminders_ui.KINDS_BLOCK: ["meeting", "prepare_round"],
            reminders_ui.AWAY_BLOCK: "2027-01-12",
        },
    )

    assert reply.status == 200 and not (reply.json or {}).get("errors")
    saved = slack.wait_for("chat.postMessage", where=lambda c: "Saved" in c.args["text"])
    assert saved.args["channel"] == dm
    assert "between 18:00 and 21:00, your time (Asia/Kolkata)" in saved.args["text"]
    assert "You've stopped nudges about your actions" in saved.args["text"]
    assert "away until Tue 12 Jan 2027" in saved.args["text"]
    stored = preference(store, slack.team_id, BEN)
    assert stored is not None and stored.muted == ["commitment"]
    assert (stored.reach_from_minute, stored.reach_until_minute) == (1080, 1260)

    dispatch(store, clock, settings)

    told = slack.wait_for("chat.postMessage", where=lambda c: "is away until" in c.args["text"])
    assert told.args["channel"] == dm_with_bot(slack, FRAN)
    assert "<@U0BEN> is away until Tue 12 Jan 2027" in str(told.args["blocks"])


@pytest.mark.parametrize(
    ("answers", "beside", "why"),
    [
        (
            {reminders_ui.FROM_BLOCK: "1140", reminders_ui.UNTIL_BLOCK: "480"},
            reminders_ui.UNTIL_BLOCK,
            "before the 'until'",
        ),
        (
            {reminders_ui.FROM_BLOCK: "540", reminders_ui.UNTIL_BLOCK: "600"},
            reminders_ui.UNTIL_BLOCK,
            "at least 2 hours",
        ),
        ({reminders_ui.AWAY_BLOCK: "2027-01-04"}, reminders_ui.AWAY_BLOCK, "already passed"),
        ({reminders_ui.AWAY_BLOCK: "2028-02-01"}, reminders_ui.AWAY_BLOCK, "within a year"),
    ],
)
def test_bad_hours_or_away_days_are_shown_beside_their_field_and_nothing_is_saved(
    channel: str,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    answers: dict[str, str],
    beside: str,
    why: str,
) -> None:
    driver.slash_command("/set", "reminders", user_id=BEN, channel_id=channel)
    opened_form(slack)

    reply = driver.submit_form(reminders_ui.REMINDERS_VIEW, user=BEN, answers=answers)

    errors = (reply.json or {}).get("errors", {})
    assert list(errors) == [beside] and why in errors[beside]
    assert preference(store, slack.team_id, BEN) is None
    assert not [c for c in slack.calls_to("chat.postMessage") if "Saved" in c.args["text"]]


def test_the_home_tab_opens_the_same_form(
    channel: str, driver: SlackDriver, slack: SlackEmulator
) -> None:
    driver.app_home_opened(FRAN)
    slack.wait_for("views.publish", where=lambda c: c.args["user_id"] == FRAN)
    with slack.workspace() as ws:
        home = ws.home_views[FRAN]

    driver.block_action(reminders_ui.OPEN_REMINDERS, user=FRAN, view=home)

    form = opened_form(slack)
    assert form["callback_id"] == reminders_ui.REMINDERS_VIEW
    kinds = next(b for b in form["blocks"] if b["block_id"] == reminders_ui.KINDS_BLOCK)
    assert "digest" in [o["value"] for o in kinds["element"]["options"]]


def test_not_now_brings_the_reminder_back_tomorrow_and_stop_these_stops_them(
    channel: str,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    settings: Settings,
) -> None:
    clock.set(ASKED_AT)
    dispatch(store, clock, settings)
    dm = dm_with_bot(slack, BEN)
    [asked] = [m for m in slack.messages(dm) if "What issue will you bring" in m.text]
    controls = [
        e["action_id"] for b in asked.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert controls[-2:] == [reminders_ui.NOT_NOW, reminders_ui.STOP_THESE]

    driver.block_action(reminders_ui.NOT_NOW, user=BEN, channel=dm, message_ts=asked.ts)

    put_off = slack.wait_for("response_url", where=lambda c: "Not now" in c.args["text"])
    assert "I'll bring this back <!date^" in put_off.args["text"]
    with store.session() as session:
        later = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.dedupe_key).contains(":later:"))
        ).one()
    assert (later.target, later.status) == (BEN, OutboxStatus.PENDING)
    assert later.due_at == datetime(2027, 2, 1, 10, tzinfo=UTC), "a day later, 15:30 his time"

    driver.block_action(reminders_ui.STOP_THESE, user=BEN, channel=dm, message_ts=asked.ts)

    stopped = slack.wait_for("response_url", where=lambda c: "Done" in c.args["text"])
    assert stopped.args["text"] == (
        "Done: no more messages asking what you'll bring to a meeting. "
        "To turn them back on, type `/set reminders`."
    )
    clock.set(datetime(2027, 2, 1, 10, tzinfo=UTC))
    dispatch(store, clock, settings)
    assert len([m for m in slack.messages(dm) if "What issue" in m.text]) == 1
    with store.session() as session:
        assert session.exec(
            select(OutboxMessage.status).where(OutboxMessage.id == later.id)
        ).one() == (OutboxStatus.CANCELLED)
    preferences = preference(store, slack.team_id, BEN)
    assert preferences is not None and preferences.muted == ["meeting"]
