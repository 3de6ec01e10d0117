"""What members take away from a meeting, in Slack: actions, report-backs and reflections.

Every modal and message is one Slack accepts, every form reads back what a person
filled in, and typed text stays text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.flows.access import Refusal
from bot.flows.commitments import (
    CommitmentForm,
    CommitmentReminder,
    CommitmentView,
    Field,
    FieldRefusal,
    SetChoice,
    Thread,
)
from bot.flows.reflection import (
    Answer,
    ReflectionAggregate,
    ReflectionForm,
    ReflectionOutcome,
    ReflectionPrompt,
    ReflectionSummary,
)
from bot.sim.forms import fill_in
from bot.sim.layout import check_view
from bot.store.models import CommitmentStatus
from bot.ui import commitments as ui
from bot.ui import reflection as reflect_ui
from bot.ui.blocks import Reply
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE
from bot.ui.notices import render
from tests.mrkdwn import mrkdwn_texts

ASHA, BEN = "U0ASHA", "U0BEN"
CHANNEL = "C0LEADERS"
SNEAKY = "<!channel> R&D <@U0BOSS>"
ESCAPED = "&lt;!channel&gt; R&amp;D &lt;@U0BOSS&gt;"
DUE = date(2027, 2, 1)


def a_form(**changes: Any) -> CommitmentForm:
    form = CommitmentForm(
        round_id=7, set_id=3, set_name="New team leaders", default_due=DUE, choices=()
    )
    return replace(form, **changes)


def a_view(**changes: Any) -> CommitmentView:
    view = CommitmentView(
        commitment_id=12,
        set_id=3,
        set_name="New team leaders",
        set_channel_id=CHANNEL,
        user_id=ASHA,
        text="Ask my manager for one protected hour a week",
        success_measure="The hour is in my diary",
        due_on=DUE,
        status=CommitmentStatus.OPEN,
        overdue=False,
        actionable=True,
        thread=Thread(CHANNEL, "1799999999.000100"),
    )
    return replace(view, **changes)


def an_aggregate(**changes: Any) -> ReflectionAggregate:
    aggregate = ReflectionAggregate(
        meeting_id=42, set_name="New team leaders", average=4.0, answered=3, present=5
    )
    return replace(aggregate, **changes)


def an_answer(user: str = ASHA, **changes: Any) -> Answer:
    answer = Answer(
        user_id=user,
        score=4,
        helped="The questions slowed me down.",
        change="Less advice, please.",
        share=False,
    )
    return replace(answer, **changes)


def a_summary(**changes: Any) -> ReflectionSummary:
    summary = ReflectionSummary(
        meeting_id=42,
        set_name="New team leaders",
        started_at=datetime(2027, 1, 5, 10, 0, tzinfo=UTC),
        timezone="Europe/London",
        answers=(an_answer(), an_answer(BEN, score=3, share=True)),
        waiting_for=("U0CARA",),
        aggregate=an_aggregate(),
    )
    return replace(summary, **changes)


def an_outcome(**changes: Any) -> ReflectionOutcome:
    outcome = ReflectionOutcome(
        meeting_id=42,
        channel_id=CHANNEL,
        card_ts=None,
        updated=False,
        threshold_crossed=True,
        aggregate=an_aggregate(),
        facilitators=("U0FACIL",),
        for_facilitators=a_summary(),
    )
    return replace(outcome, **changes)


PROMPT = ReflectionPrompt(
    meeting_id=42,
    set_name="New team leaders",
    channel_id=CHANNEL,
    card_ts=None,
    present=5,
    needed=3,
)


def slack_accepts(reply: Reply) -> None:
    assert reply.text
    assert len(reply.blocks) <= BLOCKS_PER_MESSAGE
    for block in reply.blocks:
        Block.parse(block).validate_json()


def modal_accepted(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    assert check_view(view, kind="modal") is None
    assert json.loads(view["private_metadata"])["channel"] == CHANNEL


def buttons(reply: Reply) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e.get("value", ""))
        for b in reply.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def filled(view: dict[str, Any], answers: dict[str, Any], **ticked: bool) -> dict[str, Any]:
    """`fill_in`, plus the share checkboxes it doesn't model yet (by block id: ticked or not)."""
    others = [b for b in view["blocks"] if b.get("block_id") not in ticked]
    values = fill_in({**view, "blocks": others}, answers)
    for block_id, tick in ticked.items():
        [box] = [b for b in view["blocks"] if b.get("block_id") == block_id]
        chosen = box["element"]["options"] if tick else []
        values[block_id] = {block_id: {"type": "checkboxes", "selected_options": chosen}}
    return values


MODALS = {
    "commit in a round": lambda: ui.commitment_modal(a_form(), channel_id=CHANNEL),
    "commit, picking a Set": lambda: ui.commitment_modal(
        a_form(
            round_id=None,
            set_id=None,
            set_name="",
            default_due=None,
            choices=(SetChoice(3, "New team leaders"), SetChoice(4, "x" * 80)),
        ),
        channel_id=CHANNEL,
    ),
    "commit, no meeting left": lambda: ui.commitment_modal(
        a_form(default_due=None), channel_id=CHANNEL
    ),
    "report back": lambda: ui.report_back_modal(a_view(text="w " * 1500), channel_id=CHANNEL),
    "drop": lambda: ui.drop_modal(a_view(), channel_id=CHANNEL),
    "reflect": lambda: reflect_ui.reflection_modal(
        ReflectionForm(meeting_id=42, set_name="New team leaders"), channel_id=CHANNEL
    ),
    "reflect again": lambda: reflect_ui.reflection_modal(
        ReflectionForm(
            meeting_id=42, set_name="New team leaders", score=2, helped="h", change="c", share=True
        ),
        channel_id=CHANNEL,
    ),
}


@pytest.mark.parametrize("make", MODALS.values(), ids=MODALS.keys())
def test_every_modal_is_one_slack_accepts(make: Any) -> None:
    modal_accepted(make())


LONG = "word " * 600
MESSAGES = {
    "posted in the thread": lambda: ui.commitment_posted(a_view()),
    "posted, no date or measure": lambda: ui.commitment_posted(
        a_view(due_on=None, success_measure="")
    ),
    "posted, very long": lambda: ui.commitment_posted(a_view(text=LONG, success_measure=LONG)),
    "saved privately": lambda: ui.commitment_saved(a_view(thread=None)),
    "empty list": lambda: ui.my_commitments_card([]),
    "full list": lambda: ui.my_commitments_card(
        [a_view(commitment_id=n, text=LONG, overdue=n % 2 == 0) for n in range(20)]
        + [
            a_view(commitment_id=100 + n, text=LONG, status=CommitmentStatus.DROPPED)
            for n in range(5)
        ]
    ),
    "reported": lambda: ui.reported_reply(a_view(status=CommitmentStatus.REPORTED)),
    "still working": lambda: ui.working_reply(a_view(status=CommitmentStatus.WORKING)),
    "dropped": lambda: ui.dropped_reply(a_view(status=CommitmentStatus.DROPPED)),
    "halfway nudge": lambda: render(CommitmentReminder(commitment=a_view(), due_today=False)),
    "nudge on the day": lambda: render(CommitmentReminder(commitment=a_view(), due_today=True)),
    "reflection prompt": lambda: reflect_ui.reflection_prompt_blocks(PROMPT),
    "aggregate": lambda: reflect_ui.aggregate_blocks(an_aggregate()),
    "facilitators' view": lambda: reflect_ui.facilitator_view_blocks(a_summary()),
    "facilitators' view, nobody yet": lambda: reflect_ui.facilitator_view_blocks(
        a_summary(answers=(), aggregate=an_aggregate(answered=0, average=0.0))
    ),
    "facilitators' view, thirteen long answers": lambda: reflect_ui.facilitator_view_blocks(
        a_summary(
            answers=tuple(
                an_answer(f"U0M{n:02d}", helped="x" * 3000, change="y" * 3000) for n in range(13)
            )
        )
    ),
    "thanks for reflecting": lambda: reflect_ui.reflected_reply(an_outcome()),
    "reflection updated": lambda: reflect_ui.reflected_reply(an_outcome(updated=True)),
}


@pytest.mark.parametrize("make", MESSAGES.values(), ids=MESSAGES.keys())
def test_every_message_is_one_slack_accepts(make: Any) -> None:
    slack_accepts(make())


# Committing


def test_the_commitment_in_the_thread_names_the_presenter_the_date_and_the_measure() -> None:
    reply = ui.commitment_posted(a_view())

    text = reply.blocks[0]["text"]["text"]
    assert text.startswith("<@U0ASHA> commits to: Ask my manager for one protected hour a week")
    assert "*By:* Mon 1 Feb 2027" in text
    assert "*How they'll know it worked:* The hour is in my diary" in text
    assert "`/action`" in json.dumps(reply.blocks)


def test_the_commit_modal_is_prefilled_with_the_default_date_and_carries_the_round() -> None:
    view = ui.commitment_modal(a_form(), channel_id=CHANNEL)

    [due] = [b for b in view["blocks"] if b.get("block_id") == ui.DUE_BLOCK]
    assert due["element"]["initial_date"] == "2027-02-01"
    assert view["callback_id"] == ui.COMMIT_VIEW
    assert ui.round_of(view["private_metadata"]) == 7
    assert ui.SET_BLOCK not in {b.get("block_id") for b in view["blocks"]}


def test_the_commit_modal_reads_back_what_was_typed_and_the_untouched_date() -> None:
    view = ui.commitment_modal(a_form(), channel_id=CHANNEL)
    values = fill_in(view, {ui.TEXT_BLOCK: "  Book the hour  ", ui.MEASURE_BLOCK: "It's booked"})

    typed, errors = ui.read_commitment(values)

    assert errors == {}
    assert typed == ui.CommitmentInput(
        set_id=None, text="Book the hour", due_on=DUE, success_measure="It's booked"
    )


def test_a_cleared_date_reads_back_as_none_so_the_flow_uses_its_default() -> None:
    view = ui.commitment_modal(a_form(), channel_id=CHANNEL)

    typed, _ = ui.read_commitment(fill_in(view, {ui.TEXT_BLOCK: "Book", ui.DUE_BLOCK: None}))

    assert typed.due_on is None


def test_the_commit_modal_shows_an_empty_action_beside_its_input() -> None:
    view = ui.commitment_modal(a_form(), channel_id=CHANNEL)

    _, errors = ui.read_commitment(fill_in(view, {ui.TEXT_BLOCK: "   "}))

    assert set(errors) == {ui.TEXT_BLOCK}


def test_someone_in_two_sets_picks_one_and_must_pick_one() -> None:
    form = a_form(
        round_id=None,
        set_id=None,
        set_name="",
        default_due=None,
        choices=(SetChoice(3, "New team leaders"), SetChoice(4, "Managers")),
    )
    view = ui.commitment_modal(form, channel_id=CHANNEL)

    picked, none = ui.read_commitment(fill_in(view, {ui.TEXT_BLOCK: "Book", ui.SET_BLOCK: "4"}))
    _, errors = ui.read_commitment(fill_in(view, {ui.TEXT_BLOCK: "Book"}))

    assert (picked.set_id, picked.due_on, none) == (4, None, {})
    assert ui.round_of(view["private_metadata"]) is None
    assert set(errors) == {ui.SET_BLOCK}


def test_a_refusal_from_the_flow_is_shown_beside_its_field_or_else_at_the_top() -> None:
    in_round = ui.commitment_modal(a_form(), channel_id=CHANNEL)

    assert ui.error_block(FieldRefusal(Field.DUE_ON, "past"), in_round) == ui.DUE_BLOCK
    assert ui.error_block(Refusal("not yours"), in_round) == ui.TEXT_BLOCK
    # No Set picker in this modal, so a "pick a Set" problem goes to the first input.
    assert ui.error_block(FieldRefusal(Field.SET, "pick"), in_round) == ui.TEXT_BLOCK


# `/action` and reporting back


def test_each_open_action_has_report_back_still_working_and_drop_buttons() -> None:
    reply = ui.my_commitments_card(
        [a_view(), a_view(commitment_id=13, status=CommitmentStatus.REPORTED)]
    )

    assert buttons(reply) == [
        (ui.REPORT_BACK, "12"),
        (ui.STILL_WORKING, "12"),
        (ui.DROP_ACTION, "12"),
    ]
    assert "*Finished lately*" in json.dumps(reply.blocks)
    assert "reported back" in json.dumps(reply.blocks)


def test_the_list_says_what_is_overdue_in_progress_or_in_a_closed_set() -> None:
    reply = ui.my_commitments_card(
        [
            a_view(overdue=True),
            a_view(commitment_id=13, status=CommitmentStatus.WORKING),
            a_view(commitment_id=14, actionable=False),
        ]
    )

    text = " ".join(mrkdwn_texts(reply))
    assert "due Mon 1 Feb 2027 — *overdue*" in text
    assert "you're working on it" in text
    assert "the Set has closed" in text
    assert [value for _, value in buttons(reply)] == ["12"] * 3 + ["13"] * 3


def test_an_empty_list_says_how_to_commit_to_an_action() -> None:
    assert "`/action new`" in ui.my_commitments_card([]).text


def test_a_nudge_is_a_direct_message_with_report_back_and_still_working() -> None:
    reply = render(CommitmentReminder(commitment=a_view(), due_today=True))

    assert buttons(reply) == [(ui.REPORT_BACK, "12"), (ui.STILL_WORKING, "12")]
    assert "Today's the day" in json.dumps(reply.blocks)


def test_the_report_back_modal_asks_to_share_unticked_and_reads_back_consent() -> None:
    view = ui.report_back_modal(a_view(), channel_id=CHANNEL)
    [share] = [b for b in view["blocks"] if b.get("block_id") == ui.REPORT_SHARE_BLOCK]
    typed = {ui.HAPPENED_BLOCK: "We agreed Thursdays.", ui.LEARNED_BLOCK: "Ask plainly."}

    kept, _ = ui.read_report_back(filled(view, typed, **{ui.REPORT_SHARE_BLOCK: False}))
    shared, errors = ui.read_report_back(filled(view, typed, **{ui.REPORT_SHARE_BLOCK: True}))

    assert "initial_options" not in share["element"]
    assert share["label"]["text"] == "May this be shared anonymously with the organisation?"
    assert (kept.share, shared.share, errors) == (False, True, {})
    assert shared.happened == "We agreed Thursdays."
    assert ui.commitment_of(view["private_metadata"]) == 12
    assert view["callback_id"] == ui.REPORT_VIEW


def test_reporting_back_needs_what_happened() -> None:
    view = ui.report_back_modal(a_view(), channel_id=CHANNEL)

    _, errors = ui.read_report_back(filled(view, {}, **{ui.REPORT_SHARE_BLOCK: False}))

    assert set(errors) == {ui.HAPPENED_BLOCK}


def test_the_drop_modal_needs_a_reason() -> None:
    view = ui.drop_modal(a_view(), channel_id=CHANNEL)

    reason, errors = ui.read_drop(fill_in(view, {ui.REASON_BLOCK: "Plans changed"}))
    _, missing = ui.read_drop(fill_in(view, {}))

    assert (reason, errors) == ("Plans changed", {})
    assert set(missing) == {ui.REASON_BLOCK}
    assert view["callback_id"] == ui.DROP_VIEW
    assert ui.commitment_of(view["private_metadata"]) == 12


# Reflecting on the process


def test_the_prompt_button_carries_the_meeting_and_says_who_sees_what() -> None:
    reply = reflect_ui.reflection_prompt_blocks(PROMPT)

    assert buttons(reply) == [(reflect_ui.REFLECT, "42")]
    assert "3 of you have answered" in json.dumps(reply.blocks)
    assert "facilitators see each answer" in json.dumps(reply.blocks)


def test_the_reflection_modal_reads_back_score_words_and_consent() -> None:
    view = reflect_ui.reflection_modal(
        ReflectionForm(meeting_id=42, set_name="New team leaders"), channel_id=CHANNEL
    )
    answers = {
        reflect_ui.SCORE_BLOCK: "4",
        reflect_ui.HELPED_BLOCK: "Open questions",
        reflect_ui.CHANGE_BLOCK: "",
    }

    typed, errors = reflect_ui.read_reflection(
        filled(view, answers, **{reflect_ui.SHARE_BLOCK: True})
    )

    assert errors == {}
    assert typed == reflect_ui.ReflectionInput(
        score=4, helped="Open questions", change="", share=True
    )
    assert reflect_ui.meeting_of(view["private_metadata"]) == 42
    assert view["callback_id"] == reflect_ui.REFLECT_VIEW


def test_the_reflection_modal_needs_a_score() -> None:
    view = reflect_ui.reflection_modal(
        ReflectionForm(meeting_id=42, set_name="New team leaders"), channel_id=CHANNEL
    )

    typed, errors = reflect_ui.read_reflection(filled(view, {}, **{reflect_ui.SHARE_BLOCK: False}))

    assert typed is None
    assert set(errors) == {reflect_ui.SCORE_BLOCK}


def test_a_second_reflection_starts_from_the_first_answer() -> None:
    form = ReflectionForm(
        meeting_id=42, set_name="New team leaders", score=2, helped="h", change="c", share=True
    )
    view = reflect_ui.reflection_modal(form, channel_id=CHANNEL)
    [share] = [b for b in view["blocks"] if b.get("block_id") == reflect_ui.SHARE_BLOCK]

    typed, _ = reflect_ui.read_reflection(filled(view, {}, **{reflect_ui.SHARE_BLOCK: True}))

    assert typed == reflect_ui.ReflectionInput(score=2, helped="h", change="c", share=True)
    assert share["element"]["initial_options"] == share["element"]["options"]


def test_the_aggregate_shows_an_average_and_a_count_and_no_names() -> None:
    reply = reflect_ui.aggregate_blocks(an_aggregate(average=3.5, answered=4, present=6))

    text = " ".join(mrkdwn_texts(reply))
    assert "3.5 out of 5, from 4 of the 6 people at the meeting" in text
    assert "<@" not in text
    assert buttons(reply) == [(reflect_ui.REFLECTION_ANSWERS, "42")]


def test_the_facilitators_view_names_each_answer_and_who_is_still_to_answer() -> None:
    text = " ".join(mrkdwn_texts(reflect_ui.facilitator_view_blocks(a_summary())))

    assert "<@U0ASHA> — *4* out of 5" in text
    assert "<@U0BEN> — *3* out of 5 · may be shared anonymously" in text
    assert "*What helped:* The questions slowed me down." in text
    assert "Not answered yet: <@U0CARA>" in text
    assert "Tue 5 Jan 2027, 10:00 (GMT)" in text


# Typed text stays text


@pytest.mark.parametrize(
    "layout",
    [
        ui.commitment_posted(a_view(text=SNEAKY, success_measure=SNEAKY)),
        ui.commitment_saved(a_view(set_name=SNEAKY, text=SNEAKY)),
        ui.my_commitments_card([a_view(set_name=SNEAKY, text=SNEAKY)]),
        ui.my_commitments_card([a_view(text=SNEAKY, status=CommitmentStatus.REPORTED)]),
        ui.reported_reply(a_view(text=SNEAKY)),
        ui.working_reply(a_view(text=SNEAKY)),
        ui.dropped_reply(a_view(text=SNEAKY)),
        render(
            CommitmentReminder(commitment=a_view(set_name=SNEAKY, text=SNEAKY), due_today=False)
        ),
        ui.commitment_modal(a_form(set_name=SNEAKY), channel_id=CHANNEL),
        ui.report_back_modal(a_view(set_name=SNEAKY, text=SNEAKY), channel_id=CHANNEL),
        ui.drop_modal(a_view(set_name=SNEAKY, text=SNEAKY), channel_id=CHANNEL),
        reflect_ui.reflection_modal(
            ReflectionForm(meeting_id=42, set_name=SNEAKY), channel_id=CHANNEL
        ),
        reflect_ui.facilitator_view_blocks(
            a_summary(set_name=SNEAKY, answers=(an_answer(helped=SNEAKY, change=SNEAKY),))
        ),
    ],
    ids=[
        "posted",
        "saved",
        "list",
        "list finished",
        "reported",
        "working",
        "dropped",
        "nudge",
        "commit modal",
        "report modal",
        "drop modal",
        "reflect modal",
        "facilitators",
    ],
)
def test_typed_text_never_reaches_slack_raw_and_is_escaped_once(
    layout: Reply | dict[str, Any],
) -> None:
    text = " ".join(mrkdwn_texts(layout))

    assert "<!channel>" not in text
    assert "<@U0BOSS>" not in text
    assert ESCAPED in text
    assert "&amp;lt;" not in text
