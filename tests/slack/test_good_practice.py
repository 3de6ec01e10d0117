"""Good practice in Slack: Fran gathers resources for the Set and signposts one in a round.

Asha presents; Ben is a member. Fran keeps a short list of good-practice examples,
everyone in the Set can read it, and in Asha's round Fran points the Set to one: it
appears in the round's thread. Members can't add or signpost, and bad links never land.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import ground_rules, sets
from bot.flows.access import Caller
from bot.flows.schedule import Cadence
from bot.sim import SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Resource, Signpost
from bot.ui import resources as resources_ui
from bot.ui import rounds as rounds_ui

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
GUIDE = "https://www.example.org/supervision?part=1&lang=en"


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """New team leaders: Fran facilitates Asha and Ben; everyone has agreed the rules."""
    for user in (FRAN, ASHA, BEN):
        slack.add_user(user, name=user[2:].lower())
    channel_id = slack.add_channel("set-leaders", members=[slack.bot_user_id, FRAN, ASHA, BEN])
    formed = sets.form_set(
        store,
        clock,
        team_id=slack.team_id,
        created_by=FRAN,
        channel_id=channel_id,
        draft=sets.SetDraft(
            name="New team leaders",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=MEETING_DAY,
            timezone="Europe/London",
        ),
    )
    for user in (FRAN, ASHA, BEN):
        caller = Caller(team_id=slack.team_id, user_id=user, channel_id=channel_id)
        ground_rules.agree(store, clock, caller, set_id=formed.learning_set.id or 0)
    return channel_id


def fran_adds(
    driver: SlackDriver, slack: SlackEmulator, channel: str, **answers: str
) -> dict[str, Any]:
    """Fran opens `/set resource add` and submits it; returns the modal's answer (its ack)."""
    opened = len(slack.calls_to("views.open"))
    driver.slash_command("/set", "resource add", user_id=FRAN, channel_id=channel)
    slack.wait_for("views.open", where=lambda _: len(slack.calls_to("views.open")) > opened)
    reply = driver.submit_form(
        resources_ui.ADD_VIEW,
        user=FRAN,
        answers={
            resources_ui.TITLE_BLOCK: answers.get("title", "Supervision that works"),
            resources_ui.LINK_BLOCK: answers.get("link", GUIDE),
            resources_ui.NOTE_BLOCK: answers.get("note", "Short and practical."),
            resources_ui.TAGS_BLOCK: answers.get("tags", "Supervision, rotas"),
        },
    )
    return reply.json or {}


def stored(store: Store) -> tuple[list[Resource], list[Signpost]]:
    with store.session() as session:
        return list(session.exec(select(Resource))), list(session.exec(select(Signpost)))


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://x", "example.com", ""])
def test_a_bad_link_is_shown_beside_the_link_field_and_nothing_is_kept(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, link: str
) -> None:
    answer = fran_adds(driver, slack, channel, link=link)

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [resources_ui.LINK_BLOCK]
    assert "http" in answer["errors"][resources_ui.LINK_BLOCK]
    assert stored(store) == ([], [])


def test_fran_adds_a_resource_and_ben_reads_the_list_with_its_title_escaped(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store
) -> None:
    answer = fran_adds(driver, slack, channel, title="<!channel> Supervision & you")

    assert answer == {}
    said = slack.wait_for("chat.postEphemeral", where=lambda c: "Added to" in c.args["text"])
    assert said.args["user"] == FRAN
    [kept], _ = stored(store)
    assert (kept.title, kept.url, kept.tags) == (
        "<!channel> Supervision & you",
        GUIDE,
        [
            "supervision",
            "rotas",
        ],
    )

    listed = driver.slash_command("/set", "resources", user_id=BEN, channel_id=channel)

    assert listed.json is not None and listed.json["response_type"] == "ephemeral"
    shown = str(listed.json["blocks"])
    assert "&lt;!channel&gt; Supervision &amp; you" in shown
    assert "<!channel>" not in shown
    assert "<https://www.example.org/supervision?part=1&amp;lang=en|" in shown
    also = driver.slash_command("/set", "resource", user_id=BEN, channel_id=channel)
    assert also.json is not None and "Short and practical." in str(also.json["blocks"])


def test_ben_is_told_kindly_that_only_the_facilitator_adds_or_signposts(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)

    adding = driver.slash_command("/set", "resource add", user_id=BEN, channel_id=channel)
    signposting = driver.slash_command("/round", "signpost", user_id=BEN, channel_id=channel)
    odd = driver.slash_command("/set", "resource remove", user_id=FRAN, channel_id=channel)

    for reply in (adding, signposting):
        assert reply.json is not None and "Only the Set's facilitator" in reply.json["text"]
    assert odd.json is not None and "`/set resource add`" in odd.json["text"]
    assert slack.calls_to("views.open") == []
    assert stored(store) == ([], [])


def test_signposting_outside_a_round_says_how_to_open_one(
    channel: str, driver: SlackDriver, slack: SlackEmulator, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)

    reply = driver.slash_command("/round", "signpost", user_id=FRAN, channel_id=channel)

    assert reply.json is not None and "`/round open`" in reply.json["text"]
    assert slack.calls_to("views.open") == []


def test_fran_signposts_a_resource_in_ashas_round_and_it_is_posted_in_the_thread(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    fran_adds(driver, slack, channel)
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = slack.wait_for("chat.postMessage", where=lambda c: "'s round" in c.args["text"])
    thread = [m.ts for m in slack.messages(channel) if "<@U0ASHA>'s round" in m.text][-1]

    driver.slash_command("/round", "signpost", user_id=FRAN, channel_id=channel)
    slack.wait_for("views.open", where=lambda c: "Signpost" in str(c.args))
    [kept], _ = stored(store)
    nothing = driver.submit_form(resources_ui.SIGNPOST_VIEW, user=FRAN, answers={})
    answer = driver.submit_form(
        resources_ui.SIGNPOST_VIEW,
        user=FRAN,
        answers={resources_ui.PICK_BLOCK: str(kept.id)},
    )

    assert nothing.json is not None and resources_ui.PICK_BLOCK in nothing.json["errors"]
    assert answer.json == {} or answer.json is None
    card = slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == thread and "Good practice" in c.args["text"],
    )
    blocks = str(card.args["blocks"])
    assert (
        "<https://www.example.org/supervision?part=1&amp;lang=en|Supervision that works>" in blocks
    )
    assert "Short and practical." in blocks
    assert "Shared by the facilitator as an example of good practice." in blocks
    assert root.args["channel"] == channel
    assert [s.by for s in stored(store)[1]] == [FRAN]


def test_the_app_home_shows_the_sets_latest_good_practice(
    channel: str, driver: SlackDriver, slack: SlackEmulator
) -> None:
    fran_adds(driver, slack, channel, title="Rotas <b>together</b>")

    home = slack.wait_for(
        "views.publish",
        where=lambda c: c.args["user_id"] == ASHA and "Good practice" in str(c.args["view"]),
    )

    shown = str(home.args["view"])
    assert "Rotas &lt;b&gt;together&lt;/b&gt;" in shown
    assert "<b>" not in shown


def test_the_ideas_prompt_has_a_signpost_button_only_fran_can_use(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    for _ in range(2):  # describe → questions → ideas
        driver.slash_command("/round", "next", user_id=FRAN, channel_id=channel)
    slack.wait_for("chat.postMessage", where=lambda c: rounds_ui.SIGNPOST in str(c.args))
    root = [m.ts for m in slack.messages(channel) if "<@U0ASHA>'s round" in m.text][-1]
    [prompt] = [
        m.ts for m in slack.messages(channel, thread_ts=root) if rounds_ui.SIGNPOST in str(m.blocks)
    ]

    driver.block_action(rounds_ui.SIGNPOST, user=BEN, channel=channel, message_ts=prompt)
    refused = slack.wait_for("response_url", where=lambda c: "facilitator" in str(c.args))
    driver.block_action(rounds_ui.SIGNPOST, user=FRAN, channel=channel, message_ts=prompt)
    opened = slack.wait_for("views.open")

    assert refused.args["response_type"] == "ephemeral"
    assert len(slack.calls_to("views.open")) == 1
    assert opened.args["view"]["callback_id"] == resources_ui.SIGNPOST_VIEW
