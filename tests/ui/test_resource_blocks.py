"""Good practice as Slack shows it: layouts Slack accepts, typed text kept as text, links intact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.views import View

from bot.flows.home import HomeView, SetCard
from bot.flows.resources import ResourceList, ResourceView, Signposted, SignpostForm
from bot.sim.layout import VIEW_BLOCKS_MAX, check_blocks, check_view
from bot.store.models import Role
from bot.ui import resources as resources_ui
from bot.ui.home import home_view
from tests.mrkdwn import mrkdwn_texts

SNEAKY = "<!channel> Rotas & <@U0BOSS>"
ESCAPED = "&lt;!channel&gt; Rotas &amp; &lt;@U0BOSS&gt;"
# As long as a link may be, and full of `&`, which grows fivefold when escaped.
LONGEST_LINK = "https://example.org/?" + "&" * 1979


def a_resource(resource_id: int = 1, **changes: Any) -> ResourceView:
    fields: dict[str, Any] = {
        "resource_id": resource_id,
        "title": "Supervision that works",
        "url": "https://www.example.org/supervision",
        "note": "Short and practical.",
        "tags": ("supervision",),
        "added_at": datetime(2027, 1, 5, tzinfo=UTC),
        "times_signposted": 0,
        **changes,
    }
    return ResourceView(**fields)


def test_the_card_in_the_thread_links_the_title_and_escapes_what_fran_typed() -> None:
    card = resources_ui.signpost_card(
        Signposted(
            resource=a_resource(title=SNEAKY, note=SNEAKY, url="https://example.org/?a=1&b=2"),
            channel_id="C0LEADERS",
            thread_ts="1799999999.000100",
            set_id=3,
            added=False,
        )
    )

    text = "\n".join(mrkdwn_texts({"blocks": card.blocks}))
    assert f"<https://example.org/?a=1&amp;b=2|{ESCAPED}>" in text
    assert text.count(ESCAPED) == 2
    assert "<!channel>" not in text and "<!channel>" not in card.text
    assert "example of good practice" in text
    assert check_blocks(card.blocks) is None


def test_a_link_too_long_to_show_whole_shows_its_title_and_never_a_broken_link() -> None:
    card = resources_ui.signpost_card(
        Signposted(
            resource=a_resource(url=LONGEST_LINK, note="n" * 500),
            channel_id="C0LEADERS",
            thread_ts="1799999999.000100",
            set_id=3,
            added=False,
        )
    )

    [linked, _] = card.blocks
    assert linked["text"]["text"].startswith("*Supervision that works*")
    assert check_blocks(card.blocks) is None


def test_the_longest_plain_link_is_still_a_link_beside_the_longest_note() -> None:
    longest = "https://example.org/" + "a" * 1980
    card = resources_ui.signpost_card(
        Signposted(
            resource=a_resource(url=longest, title="t" * 150, note="n" * 500),
            channel_id="C0LEADERS",
            thread_ts="1799999999.000100",
            set_id=3,
            added=False,
        )
    )

    assert f"*<{longest}|{'t' * 150}>*" in card.blocks[0]["text"]["text"]
    assert check_blocks(card.blocks) is None


def test_the_list_says_how_often_each_was_signposted_and_what_to_do_next() -> None:
    found = ResourceList(
        set_name="New team leaders",
        resources=(
            a_resource(2, title="Co-designing rotas", times_signposted=2, tags=()),
            a_resource(1),
        ),
        is_facilitator=True,
    )

    reply = resources_ui.resource_list(found)

    text = "\n".join(mrkdwn_texts({"blocks": reply.blocks}))
    assert "_signposted 2 times_" in text and "_supervision_" in text
    assert "`/round signpost`" in text
    assert check_blocks(reply.blocks) is None


def test_an_empty_list_tells_a_member_who_can_add_to_it() -> None:
    reply = resources_ui.resource_list(
        ResourceList(set_name=SNEAKY, resources=(), is_facilitator=False)
    )

    assert "Your facilitator can add" in reply.text and ESCAPED in reply.text


def test_both_modals_are_ones_slack_accepts() -> None:
    picking = SignpostForm(
        set_name="New team leaders",
        round_id=4,
        presenter="U0ASHA",
        resources=tuple(a_resource(i, title=f"Guide {i} " + "x" * 140) for i in range(120)),
    )

    for view in (
        resources_ui.resource_modal(channel_id="C0LEADERS"),
        resources_ui.signpost_modal(picking, channel_id="C0LEADERS"),
    ):
        View(**view).validate_json()
        assert check_view(view, kind="modal") is None
    [pick] = [
        b
        for b in resources_ui.signpost_modal(picking, channel_id="C0")["blocks"]
        if b.get("block_id") == resources_ui.PICK_BLOCK
    ]
    assert len(pick["element"]["options"]) == resources_ui.MAX_OPTIONS


def test_a_busy_home_with_good_practice_in_every_set_stays_within_slacks_limits() -> None:
    shelf = tuple(a_resource(i, title=SNEAKY, url=LONGEST_LINK) for i in range(5))
    cards = tuple(
        SetCard(
            set_id=i,
            name=f"Set {i}",
            theme="",
            channel_id="C0LEADERS",
            role=Role.MEMBER,
            closed=False,
            timezone="Europe/London",
            next_meeting=None,
            under_way=False,
            progress=None,
            good_practice=shelf,
        )
        for i in range(30)
    )

    view = home_view(HomeView(user_id="U0ASHA", sets=cards, commitments=()))

    View(**view).validate_json()
    assert check_view(view, kind="home") is None
    assert len(view["blocks"]) <= VIEW_BLOCKS_MAX
    text = "\n".join(mrkdwn_texts(view))
    assert "*Good practice*" in text and "<!channel>" not in text
