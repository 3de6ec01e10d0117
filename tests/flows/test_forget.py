"""A member asks setbot to forget them, or for a copy of what it holds about them.

Told on the same two meetings as the learning story: what was personal goes, what the
Set did together stays without their id, and its totals still add up.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import SQLModel, col, select

from bot.clock import ManualClock
from bot.flows import forget, learning, meetings, sets
from bot.flows.access import Refusal
from bot.flows.forget import ALL, Records
from bot.sim.layout import check_blocks
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    Commitment,
    Contribution,
    Membership,
    OutboxMessage,
    OutboxStatus,
    ProcessReflection,
    Round,
)
from bot.store.sets import current_members
from bot.ui import learning as ui
from tests.factories import TEAM
from tests.flows.test_learning import (
    ASHA,
    BEN,
    CARA,
    DEV,
    FACILITATOR,
    NAMES,
    UNSHARED,
    Story,
    a_set,
    caller,
    two_meetings,
)

ELSEWHERE = "C0SECOND"
# Where a command typed outside any Set's channel comes from: a direct message.
DM = "D0ASHA"


@pytest.fixture
def story(store: Store, clock: ManualClock) -> Story:
    return two_meetings(store, clock)


def forget_me(store: Store, clock: ManualClock, who: str, scope: forget.Scope) -> forget.Forgotten:
    return forget.forget_me(store, clock, team_id=TEAM, user_id=who, set_id=scope)


def everything_stored(store: Store) -> str:
    """Every row of every table, as text: where a forgotten id must not be found."""
    with store.session() as session:
        rows = [
            {column.name: getattr(row, column.name) for column in table.__table__.columns}
            for table in SQLModel.__subclasses__()
            if getattr(table, "__table__", None) is not None
            for row in session.exec(select(table))
        ]
    return json.dumps(rows, default=str)


def test_the_plan_counts_what_would_go_before_anything_does(store: Store, story: Story) -> None:
    plan = forget.forget_plan(store, caller(ASHA))

    assert (plan.scope, plan.set_names) == (story.set_id, ("New team leaders",))
    assert plan.records == Records(
        contributions=2, commitments=1, reflections=2, attendance=2, rounds=1, memberships=1
    )
    assert ASHA in everything_stored(store)


def test_forgetting_deletes_what_is_personal_and_leaves_no_trace_of_the_id(
    store: Store, clock: ManualClock, story: Story
) -> None:
    forgotten = forget_me(store, clock, ASHA, story.set_id)

    assert forgotten.records == Records(
        contributions=2, commitments=1, reflections=2, attendance=2, rounds=1, memberships=1
    )
    assert ASHA not in everything_stored(store)
    with store.session() as session:
        for model in (Contribution, Commitment, ProcessReflection):
            assert session.exec(select(model).where(model.user_id == ASHA)).all() == []
        came = [a.user_id for a in session.exec(select(Attendance))]
        presenters = [r.presenter_id for r in session.exec(select(Round).order_by(col(Round.id)))]
    tombstones = {user for user in came if forget.is_forgotten(user)}
    assert len(came) == 8 and len(tombstones) == 1
    assert [forget.is_forgotten(p) for p in presenters] == [True, False, False]
    assert tombstones == {presenters[0]}, "one request, one tombstone, so her rows still match"


def test_the_sets_totals_still_add_up_without_the_forgotten_member(
    store: Store, clock: ManualClock, story: Story
) -> None:
    before = learning.learning_summary(store, caller(), names=NAMES)

    forget_me(store, clock, ASHA, story.set_id)

    after = learning.learning_summary(store, caller(), names=NAMES)
    kept = ("meetings_held", "meetings_planned", "rounds", "present", "expected")
    assert (
        [getattr(after, f) for f in kept] == [getattr(before, f) for f in kept] == [2, 3, 3, 6, 8]
    )
    assert after.actions == replace(before.actions, committed=3, reported=1)
    assert after.actions.committed == sum(
        (after.actions.reported, after.actions.dropped, after.actions.open)
    )
    assert [(t.answered, t.average) for t in after.trend] == [(2, 4.0), (1, None)]
    assert len(after.learnings) == 2
    assert "harbour" not in learning.to_json(after) and "lantern" not in learning.to_json(after)


def test_the_forgotten_member_has_left_and_is_owed_nothing(
    store: Store, clock: ManualClock, story: Story
) -> None:
    with store.session() as session:
        owed = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.target == CARA, OutboxMessage.status == OutboxStatus.PENDING
            )
        ).all()
    assert owed, "Cara's open action has nudges owed"

    forgotten = forget_me(store, clock, CARA, story.set_id)

    assert forgotten.reminders >= len(owed)
    with store.session() as session:
        people = {m.user_id for m in current_members(session, set_id=story.set_id)}
        left = session.exec(select(Membership).where(col(Membership.left_at).is_not(None))).all()
        assert session.exec(select(OutboxMessage).where(OutboxMessage.target == CARA)).all() == []
    assert CARA not in people and len(left) == 1
    assert forget.is_forgotten(left[0].user_id) and left[0].timezone is None


def test_two_members_forgotten_in_one_set_do_not_collide(
    store: Store, clock: ManualClock, story: Story
) -> None:
    forget_me(store, clock, ASHA, story.set_id)
    forget_me(store, clock, BEN, story.set_id)

    after = learning.learning_summary(store, caller(), names=NAMES)
    assert (after.present, after.expected, after.rounds) == (6, 8, 3)
    assert [(t.answered, t.average) for t in after.trend] == [(1, None), (1, None)]


def test_from_a_direct_message_every_set_is_forgotten_at_once(
    store: Store, clock: ManualClock, story: Story
) -> None:
    clock.advance(timedelta(days=1))
    a_set(store, clock, name="Second wave", channel=ELSEWHERE)

    plan = forget.forget_plan(store, caller(ASHA, channel=DM))
    forgotten = forget_me(store, clock, ASHA, ui.read_scope(ui.scope_value(plan.scope)))

    assert plan.scope == ALL
    assert plan.set_names == forgotten.set_names == ("New team leaders", "Second wave")
    assert forgotten.records.memberships == 2
    assert ASHA not in everything_stored(store)


def test_everywhere_can_be_asked_for_from_a_sets_channel(
    store: Store, clock: ManualClock, story: Story
) -> None:
    plan = forget.forget_plan(store, caller(ASHA), everywhere=True)

    assert plan.scope == ALL and plan.set_names == ("New team leaders",)


def test_someone_with_no_records_is_told_there_is_nothing_to_forget(
    store: Store, story: Story
) -> None:
    with pytest.raises(Refusal) as here:
        forget.forget_plan(store, caller("U0OUTSIDE"))
    with pytest.raises(Refusal) as anywhere:
        forget.forget_plan(store, caller("U0OUTSIDE", channel=DM))

    assert here.value.template == forget.NOTHING_HELD
    assert anywhere.value.template == forget.NOTHING_HELD_ANYWHERE


def test_the_only_facilitator_hands_over_first_unless_the_set_has_closed(
    store: Store, clock: ManualClock, story: Story
) -> None:
    with pytest.raises(Refusal) as refused:
        forget_me(store, clock, FACILITATOR, story.set_id)
    assert refused.value.template == forget.ONLY_FACILITATOR
    assert FACILITATOR in everything_stored(store)

    sets.close_set(store, clock, caller())
    forgotten = forget_me(store, clock, FACILITATOR, story.set_id)

    assert forgotten.records.memberships == 1
    assert FACILITATOR not in everything_stored(store)
    kept = learning.set_learning_summary(store, set_id=story.set_id)
    assert (kept.meetings_held, kept.rounds, kept.actions.committed) == (2, 3, 4)


def test_no_one_is_forgotten_while_a_meeting_is_under_way(
    store: Store, clock: ManualClock, story: Story
) -> None:
    meetings.start_meeting(store, clock, caller())

    with pytest.raises(Refusal) as refused:
        forget_me(store, clock, ASHA, story.set_id)

    assert refused.value.template == forget.MEETING_UNDER_WAY
    assert ASHA in everything_stored(store)


def test_a_set_of_another_workspace_is_not_found(
    store: Store, clock: ManualClock, story: Story
) -> None:
    with pytest.raises(Refusal) as refused:
        forget.forget_me(store, clock, team_id="T0OTHER", user_id=ASHA, set_id=story.set_id)

    assert refused.value.template == forget.NO_SUCH_SET
    assert ASHA in everything_stored(store)


def test_an_export_holds_their_data_and_no_one_elses(store: Store, story: Story) -> None:
    export = forget.export_member(store, team_id=TEAM, user_id=ASHA)

    text = json.dumps(export)
    assert [word for word in UNSHARED if word in text] == ["quokka", "narwhal", "meerkat"]
    assert [c["text"] for c in export["commitments"]] == [
        "Protect one hour a week for quokka planning"
    ]
    assert (
        export["commitments"][0]["learned_text"] == "Okafor was right: the orchard needs tending."
    )
    assert [(r["score"], r["share_consent"]) for r in export["process_reflections"]] == [
        (4, True),
        (4, False),
    ]
    assert [a["status"] for a in export["attendance"]] == ["present", "present"]
    assert len(export["contributions"]) == 2 and len(export["rounds_presented"]) == 1
    assert export["memberships"][0] | {"joined_at": None} == {
        "set": "New team leaders",
        "role": "member",
        "joined_at": None,
        "left_at": None,
        "ground_rules_agreed_at": None,
        "timezone": None,
    }
    assert {row["set"] for rows in export.values() if isinstance(rows, list) for row in rows} == {
        "New team leaders"
    }
    for other in (BEN, CARA, DEV, FACILITATOR):
        assert other not in text.replace("<@U0BEN>", "")


def test_an_export_finds_nothing_in_another_team_or_after_forgetting(
    store: Store, clock: ManualClock, story: Story
) -> None:
    elsewhere = forget.export_member(store, team_id="T0OTHER", user_id=ASHA)
    forget_me(store, clock, ASHA, story.set_id)
    afterwards = forget.export_member(store, team_id=TEAM, user_id=ASHA)

    assert not forget.holds_records(elsewhere) and not forget.holds_records(afterwards)
    assert forget.holds_records(forget.export_member(store, team_id=TEAM, user_id=BEN))


def test_the_confirmation_says_what_goes_and_what_stays(store: Store, story: Story) -> None:
    plan = forget.forget_plan(store, caller(ASHA))

    reply = ui.forget_confirmation(plan)

    assert check_blocks(reply.blocks) is None
    button = reply.blocks[1]["elements"][0]
    assert (button["action_id"], button["value"], button["style"]) == (
        ui.FORGET_CONFIRM,
        str(story.set_id),
        "danger",
    )
    said = reply.blocks[0]["text"]["text"]
    assert "2 contributions" in said and "1 action" in said and "2 process reflections" in said
    assert "your attendance and the rounds you presented" in said and "can't be undone" in said


def test_the_reply_after_forgetting_says_what_was_done(
    store: Store, clock: ManualClock, story: Story
) -> None:
    forgotten = forget_me(store, clock, CARA, story.set_id)

    reply = ui.forgotten_reply(forgotten)

    assert check_blocks(reply.blocks) is None
    said = reply.blocks[0]["text"]["text"]
    assert said.startswith("Done: setbot has forgotten you in *New team leaders*.")
    assert "1 action" in said and "reminders" in said


def test_set_names_are_escaped_and_a_bad_button_value_is_refused() -> None:
    plan = forget.ForgetPlan(scope=ALL, set_names=("R&D <b>", "Ops"), records=Records())

    reply = ui.forget_confirmation(plan)

    assert "*R&amp;D &lt;b&gt;*, *Ops*" in reply.blocks[0]["text"]["text"]
    assert reply.blocks[1]["elements"][0]["value"] == "all"
    with pytest.raises(Refusal):
        ui.read_scope("12; DROP TABLE")
