"""Good practice: Fran keeps a list for the Set and signposts one in Asha's round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import learning, meetings, resources, rounds, sets
from bot.flows.access import Caller, Refusal
from bot.flows.meetings import NOTHING_UNDER_WAY
from bot.flows.resources import Field, ResourceDraft
from bot.flows.rounds import NO_ROUND_OPEN
from bot.flows.schedule import Cadence
from bot.store.db import Store
from bot.store.models import Resource, Signpost
from bot.ui.learning import learning_card
from tests.factories import TEAM

CHANNEL, OTHER_CHANNEL = "C0LEADERS", "C0OTHERS"
FRAN, ASHA, BEN, OUTSIDER = "U0FRAN", "U0ASHA", "U0BEN", "U0OUTSIDE"
THREAD = "1799999999.000100"
SUPERVISION = ResourceDraft(
    title="Supervision that works",
    url="https://www.example.org/supervision?src=set&lang=en",
    note="Short and practical.",
    tags=("supervision",),
)
ROTAS = ResourceDraft(title="Co-designing rotas", url="http://rotas.example.org/guide")


def caller(user: str = FRAN, *, channel: str = CHANNEL) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=channel)


def form(store: Store, clock: ManualClock, channel: str) -> int:
    formed = sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=FRAN,
        channel_id=channel,
        draft=sets.SetDraft(
            name=f"Set in {channel}",
            theme="Leading through change",
            facilitators=(FRAN,),
            members=(ASHA, BEN),
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=datetime(2027, 1, 5, 10, 0, tzinfo=UTC),
            timezone="Europe/London",
        ),
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


@pytest.fixture
def set_id(store: Store, clock: ManualClock) -> int:
    return form(store, clock, CHANNEL)


def asha_presents(store: Store, clock: ManualClock) -> int:
    meetings.start_meeting(store, clock, caller())
    view = rounds.open_round(store, clock, caller(), presenter=ASHA)
    rounds.set_round_thread(store, team_id=TEAM, round_id=view.round_id, thread_ts=THREAD)
    return view.round_id


def stored(store: Store) -> tuple[list[Resource], list[Signpost]]:
    with store.session() as session:
        return list(session.exec(select(Resource))), list(session.exec(select(Signpost)))


def test_a_resource_is_checked_and_its_tags_tidied() -> None:
    draft, problems = resources.check_resource(
        title="  Supervision   that works ",
        link=" https://www.example.org/supervision ",
        note=" Short and practical. ",
        tags=" Supervision, ROTAS ,, supervision ,  new  managers",
    )

    assert problems == {}
    assert draft == ResourceDraft(
        title="Supervision that works",
        url="https://www.example.org/supervision",
        note="Short and practical.",
        tags=("supervision", "rotas", "new managers"),
    )


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "ftp://x",
        "example.com",
        "",
        "https://",
        "http:///no-host",
        "https://exa mple.org",
        "https://example.org/a|b",
        "https://example.org/<script>",
        "mailto:fran@example.org",
        "https://[::1",
    ],
)
def test_only_a_web_address_with_a_host_is_a_link(link: str) -> None:
    draft, problems = resources.check_resource(title="A guide", link=link)

    assert draft is None
    assert list(problems) == [Field.LINK]


@pytest.mark.parametrize(
    ("typed", "field", "said"),
    [
        ({"title": "   "}, Field.TITLE, "Give the resource a title"),
        ({"title": "x" * 151}, Field.TITLE, "150 characters"),
        ({"note": "x" * 501}, Field.NOTE, "500 characters"),
        ({"tags": "a, b, c, d, e, f"}, Field.TAGS, "you gave 6"),
        ({"tags": "x" * 31}, Field.TAGS, "30 characters"),
    ],
)
def test_each_problem_is_told_beside_its_own_field(
    typed: dict[str, str], field: Field, said: str
) -> None:
    fields = {"title": "A guide", "link": "https://example.org", **typed}

    draft, problems = resources.check_resource(**fields)

    assert draft is None
    assert list(problems) == [field] and said in problems[field]


def test_the_facilitator_adds_and_everyone_in_the_set_sees_the_list_latest_first(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    added = resources.add_resource(store, clock, caller(), SUPERVISION)
    clock.advance(timedelta(minutes=1))
    resources.add_resource(store, clock, caller(), ROTAS)

    seen = resources.list_resources(store, caller(BEN))

    assert (added.set_id, added.set_name) == (set_id, "Set in C0LEADERS")
    assert [r.title for r in seen.resources] == ["Co-designing rotas", "Supervision that works"]
    assert seen.is_facilitator is False
    [kept, _] = stored(store)[0]
    assert (kept.added_by, kept.tags, kept.set_id) == (FRAN, ["supervision"], set_id)


def test_a_member_cannot_add_a_resource(store: Store, clock: ManualClock, set_id: int) -> None:
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        resources.may_add_resource(store, caller(ASHA))
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        resources.add_resource(store, clock, caller(ASHA), SUPERVISION)

    assert stored(store) == ([], [])


def test_someone_outside_the_set_cannot_read_its_list(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    resources.add_resource(store, clock, caller(), SUPERVISION)

    with pytest.raises(Refusal, match="Only members"):
        resources.list_resources(store, caller(OUTSIDER))


def test_signposting_needs_a_round_under_way(store: Store, clock: ManualClock, set_id: int) -> None:
    with pytest.raises(Refusal) as no_meeting:
        resources.signpost_form(store, caller())
    meetings.start_meeting(store, clock, caller())
    with pytest.raises(Refusal) as no_round:
        resources.signpost_form(store, caller())

    assert no_meeting.value.template == NOTHING_UNDER_WAY
    assert no_round.value.template == NO_ROUND_OPEN


def test_fran_signposts_a_resource_in_ashas_round_and_it_is_counted(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    kept = resources.add_resource(store, clock, caller(), SUPERVISION).resource
    round_id = asha_presents(store, clock)

    offered = resources.signpost_form(store, caller())
    first = resources.signpost(
        store, clock, caller(), round_id=round_id, resource_id=kept.resource_id
    )
    again = resources.signpost(
        store, clock, caller(), round_id=round_id, resource_id=kept.resource_id
    )

    assert (offered.round_id, offered.presenter) == (round_id, ASHA)
    assert [r.title for r in offered.resources] == ["Supervision that works"]
    assert (first.channel_id, first.thread_ts) == (CHANNEL, THREAD)
    assert (first.resource.times_signposted, again.resource.times_signposted) == (1, 2)
    signposts = stored(store)[1]
    assert [(s.round_id, s.by) for s in signposts] == [(round_id, FRAN), (round_id, FRAN)]


def test_a_new_resource_signposted_joins_the_sets_list(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    round_id = asha_presents(store, clock)

    signposted = resources.signpost(store, clock, caller(), round_id=round_id, draft=ROTAS)

    assert signposted.resource.title == "Co-designing rotas"
    listed = resources.list_resources(store, caller(ASHA)).resources
    assert [(r.title, r.times_signposted) for r in listed] == [("Co-designing rotas", 1)]


def test_members_cannot_signpost_and_nothing_is_recorded(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    kept = resources.add_resource(store, clock, caller(), SUPERVISION).resource
    round_id = asha_presents(store, clock)

    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        resources.signpost_form(store, caller(BEN))
    with pytest.raises(Refusal, match="Only the Set's facilitator"):
        resources.signpost(
            store, clock, caller(BEN), round_id=round_id, resource_id=kept.resource_id
        )

    assert stored(store)[1] == []


def test_another_sets_resource_or_a_closed_round_is_refused(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    form(store, clock, OTHER_CHANNEL)
    theirs = resources.add_resource(store, clock, caller(channel=OTHER_CHANNEL), ROTAS).resource
    round_id = asha_presents(store, clock)

    with pytest.raises(Refusal, match="can't find that resource"):
        resources.signpost(
            store, clock, caller(), round_id=round_id, resource_id=theirs.resource_id
        )
    rounds.close_round(store, clock, caller(), round_id=round_id)
    with pytest.raises(Refusal, match="round has closed"):
        resources.signpost(store, clock, caller(), round_id=round_id, draft=SUPERVISION)

    assert stored(store)[1] == []
    assert [r.title for r in stored(store)[0]] == ["Co-designing rotas"]


@pytest.mark.parametrize(
    ("picked", "typed", "has_list", "wanted"),
    [
        (7, {}, True, (7, None, {})),
        (None, {}, True, (None, None, [Field.PICK])),
        (None, {}, False, (None, None, [Field.TITLE])),
        (7, {"title": "Rotas"}, True, (None, None, [Field.PICK])),
        (None, {"title": "Rotas", "link": "ftp://x"}, True, (None, None, [Field.LINK])),
    ],
    ids=["picked", "nothing", "nothing-and-no-list", "both", "a-bad-new-one"],
)
def test_the_signpost_modal_wants_one_resource_from_the_list_or_a_new_one(
    picked: int | None,
    typed: dict[str, str],
    has_list: bool,
    wanted: tuple[int | None, None, object],
) -> None:
    fields = {"title": "", "link": "", "note": "", "tags": "", **typed}

    resource_id, draft, problems = resources.choose_signpost(picked, **fields, has_list=has_list)

    assert (resource_id, draft) == wanted[:2]
    assert list(problems) == list(wanted[2])  # type: ignore[call-overload]


def test_the_learning_summary_lists_what_was_signposted_with_its_link_and_count(
    store: Store, clock: ManualClock, set_id: int
) -> None:
    supervision = resources.add_resource(store, clock, caller(), SUPERVISION).resource
    resources.add_resource(store, clock, caller(), ROTAS)
    round_id = asha_presents(store, clock)
    for _ in range(2):
        resources.signpost(
            store, clock, caller(), round_id=round_id, resource_id=supervision.resource_id
        )

    with store.session() as session:
        shown = resources.signposted_in_set(session, set_id=set_id)

    assert [(r.title, r.times_signposted) for r in shown] == [("Supervision that works", 2)]
    summary = learning.set_learning_summary(store, set_id=set_id)
    document = learning.to_markdown(summary)
    assert "## Good practice signposted" in document
    assert (
        "- [Supervision that works](<https://www.example.org/supervision?src=set&lang=en>): "
        "signposted 2 times"
    ) in document
    assert learning.as_dict(summary)["good_practice_signposted"] == [
        {
            "title": "Supervision that works",
            "url": "https://www.example.org/supervision?src=set&lang=en",
            "times_signposted": 2,
        }
    ]
    card = str(learning_card(summary).blocks)
    assert "*Good practice signposted*" in card and "Co-designing rotas" not in card
