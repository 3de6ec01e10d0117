"""Olu, a workspace admin, names Lee the organisation lead; Lee reads what the Sets learned.

Through Slack: the three Sets of the organisation-report story have met, and every member
is a Slack user with a display name and a real name, so the card and the files can be
searched for each of them.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import org_leads
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import OrgLead
from tests.flows import test_org_report as story

OLU = "U0OLU001"  # a workspace admin
LEE = story.LEAD
GENERAL = "C0GENERAL"


@pytest.fixture
def workspace(store: Store, clock: ManualClock, slack: SlackEmulator) -> None:
    """Everyone is in Slack by name; Olu is an admin; the three Sets have met."""
    slack.add_user(OLU, name="olu", real_name="Olu Adeyemi", is_admin=True)
    slack.add_user(LEE, name="lee", real_name="Lee Chan")
    for user, (display, real) in story.NAMES.items():
        slack.add_user(user, name=display, real_name=real)
    story.three_sets(store, clock)


def mention(user: str) -> str:
    return f"<@{user}|someone>"


def leads(store: Store) -> list[str]:
    with store.session() as session:
        return [lead.user_id for lead in session.exec(select(OrgLead))]


def test_an_admin_names_a_lead_who_is_told_what_they_can_now_do(
    driver: SlackDriver, slack: SlackEmulator, store: Store, workspace: None
) -> None:
    reply = driver.slash_command(
        "/set", f"org-lead {mention(LEE)}", user_id=OLU, channel_id=GENERAL
    )

    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    assert reply.json["text"].startswith(f"Done: <@{LEE}> is now an organisation lead.")
    told = slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == LEE)
    assert "`/set org-report`" in told.args["text"]
    assert leads(store) == [LEE]

    listed = driver.slash_command("/set", "org-leads", user_id=LEE, channel_id=GENERAL)
    assert listed.json is not None and f"<@{LEE}>" in listed.json["text"]


def test_someone_who_is_not_an_admin_cannot_name_a_lead(
    driver: SlackDriver, store: Store, workspace: None
) -> None:
    reply = driver.slash_command(
        "/set", f"org-lead {mention(story.ASHA)}", user_id=story.ASHA, channel_id=GENERAL
    )
    listed = driver.slash_command("/set", "org-leads", user_id=story.ASHA, channel_id=GENERAL)

    assert reply.json is not None and reply.json["text"] == org_leads.NOT_AN_ADMIN
    assert listed.json is not None and listed.json["text"] == org_leads.NOT_ALLOWED_TO_LIST
    assert leads(store) == []


def test_a_member_cannot_read_the_organisation_report(
    driver: SlackDriver, slack: SlackEmulator, workspace: None
) -> None:
    reply = driver.slash_command("/set", "org-report", user_id=story.ASHA, channel_id="C0LEADERS")

    assert reply.json is not None and reply.json["text"] == org_leads.NOT_AN_ORG_LEAD
    assert slack.calls_to("files.completeUploadExternal") == []


def test_the_lead_reads_the_report_privately_with_no_one_named_in_it(
    driver: SlackDriver, slack: SlackEmulator, workspace: None
) -> None:
    driver.slash_command("/set", f"org-lead {mention(LEE)}", user_id=OLU, channel_id=GENERAL)

    reply = driver.slash_command("/set", "org-report", user_id=LEE, channel_id=GENERAL)

    assert reply.json is not None and reply.json["response_type"] == "ephemeral"
    card = reply.json["text"] + json.dumps(reply.json["blocks"], ensure_ascii=False)
    uploaded = slack.wait_for("files.completeUploadExternal")
    assert uploaded.args["channel_id"].startswith("D"), "the files go to Lee's direct messages"
    document, spreadsheet = (slack.file_content(f["id"]).decode() for f in uploaded.args["files"])
    assert document.startswith("# Learning across our Action Learning Sets")
    for shown in (card, document, spreadsheet):
        assert [w for w in story.UNSHARED if w in shown.casefold()] == []
        assert [w for w in story.SHARED if w not in shown.casefold()] == []
        assert [who for who in (*story.MEMBERS, story.FRAN, story.GITA) if who in shown] == []
        names = [name for names in story.NAMES.values() for name in names]
        assert [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", shown, re.I)] == []
        assert "<@" not in shown and "fewer than 3" in shown


def test_a_lead_who_is_removed_no_longer_sees_the_report(
    driver: SlackDriver, store: Store, workspace: None
) -> None:
    driver.slash_command("/set", f"org-lead {mention(LEE)}", user_id=OLU, channel_id=GENERAL)

    removed = driver.slash_command(
        "/set", f"org-lead remove {mention(LEE)}", user_id=OLU, channel_id=GENERAL
    )
    reply = driver.slash_command("/set", "org-report", user_id=LEE, channel_id=GENERAL)

    assert removed.json is not None
    assert removed.json["text"] == f"Done: <@{LEE}> is no longer an organisation lead."
    assert reply.json is not None and reply.json["text"] == org_leads.NOT_AN_ORG_LEAD
    assert leads(store) == []


@pytest.mark.parametrize(
    ("who", "text", "said"),
    [
        (OLU, "org-lead", org_leads.MENTION_ONE),
        (OLU, f"org-lead {mention(LEE)} {mention(story.ASHA)}", org_leads.MENTION_ONE),
        (LEE, "org-report since last week", "I couldn't read `last week` as a date."),
    ],
    ids=["nobody", "two people", "a date that is not one"],
)
def test_a_mistake_gets_a_kind_line_and_changes_nothing(
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    workspace: None,
    who: str,
    text: str,
    said: str,
) -> None:
    org_leads.grant(store, clock, team_id=slack.team_id, by=OLU, by_is_admin=True, user_id=LEE)

    reply = driver.slash_command("/set", text, user_id=who, channel_id=GENERAL)

    assert reply.json is not None and reply.json["text"].startswith(said)
    assert leads(store) == [LEE]
    assert slack.calls_to("files.completeUploadExternal") == []
