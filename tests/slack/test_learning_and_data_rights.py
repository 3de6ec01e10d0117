"""Fran shares what the Set learned; Ben asks setbot to forget him. Through Slack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import commitments, sets
from bot.flows.access import Caller
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Commitment
from bot.ui import learning as learning_ui

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """A Set where Asha reported back, sharing one learning and keeping another private."""
    for user, name, real in [
        (FRAN, "fran", "Fran Okafor"),
        (ASHA, "asha", "Asha Patel"),
        (BEN, "ben", "Ben Li"),
    ]:
        slack.add_user(user, name=name, real_name=real)
    channel_id = slack.add_channel("set-leaders", members=[slack.bot_user_id, FRAN, ASHA, BEN])
    sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="Leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=datetime(2027, 2, 2, 10, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    for user, shared, words in [
        (ASHA, True, "Asking Ben first opened the team up"),
        (BEN, False, "PRIVATE-PELICAN my manager undermines me"),
    ]:
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel_id)
        made = commitments.commit(
            store, clock, caller, text="Try something new", due_on=None, success_measure=""
        )
        commitments.report_back(
            store,
            clock,
            team_id=slack.team_id,
            user_id=user,
            commitment_id=made.commitment_id,
            happened="It went",
            learned=words,
            share=shared,
        )
    return channel_id


def test_the_learning_summary_is_private_consented_and_anonymised(
    driver: SlackDriver, slack: SlackEmulator, channel: str
) -> None:
    reply = driver.slash_command("/set", "learning", user_id=FRAN, channel_id=channel)

    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    card = str(reply.json)
    uploaded = slack.wait_for("files.completeUploadExternal")
    assert uploaded.args["channel_id"] != channel, "the export goes to Fran, not the Set"
    document, csv = (slack.file_content(f["id"]).decode() for f in uploaded.args["files"])
    assert document.startswith("#") and "," in csv
    for shown in (card, document, csv):
        assert "opened the team up" in shown
        assert "PRIVATE-PELICAN" not in shown
        assert "Ben" not in shown and "U0BEN" not in shown and "U0ASHA" not in shown


def test_a_member_cannot_export_the_sets_learning(driver: SlackDriver, channel: str) -> None:
    reply = driver.slash_command("/set", "learning", user_id=ASHA, channel_id=channel)

    assert reply.json is not None and "facilitator" in reply.json["text"]


def test_forget_me_asks_first_then_removes_only_the_presser(
    driver: SlackDriver, slack: SlackEmulator, store: Store, channel: str
) -> None:
    ask = driver.slash_command("/set", "forget-me", user_id=BEN, channel_id=channel)
    assert ask.json is not None and learning_ui.FORGET_CONFIRM in str(ask.json["blocks"])

    with slack.workspace() as state:
        card = [m for m in state.messages if m.ephemeral_to == BEN][-1].ts
    driver.block_action(learning_ui.FORGET_CONFIRM, user=BEN, channel=channel, message_ts=card)

    with store.session() as session:
        owners = {c.user_id for c in session.exec(select(Commitment))}
    assert owners == {ASHA}
