"""What a Set sees of a round: layouts Slack accepts, typed text kept as text, clear next steps."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.flows.phases import Phase, phase_minutes, phases_for
from bot.flows.question_bank import BANK, QuestionGroup, question_ideas
from bot.flows.rounds import ClosedRound, EarlierAction, RoundTimeNote, RoundTimeUp, RoundView
from bot.sim.layout import check_blocks, check_text
from bot.store.models import CommitmentStatus
from bot.ui.blocks import Reply
from bot.ui.notices import render
from bot.ui.rounds import (
    COMMIT_ACTION,
    EARLIER_SHOWN,
    QUESTION_IDEAS,
    ROUND_NEXT,
    ask_for_commitment,
    phase_prompt,
    question_ideas_reply,
    read_next,
    round_closed,
    round_root,
)
from tests.mrkdwn import mrkdwn_texts

ASHA = "U0ASHA"
TEN_AM = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
SNEAKY = "<!channel> R&D <@U0BOSS>"
ROUTE = phases_for(has_report_back=True)


def an_action(**changes: Any) -> EarlierAction:
    action = EarlierAction(
        commitment_id=3,
        text="Ask my manager for one protected hour a week",
        due_on=date(2027, 2, 1),
        status=CommitmentStatus.WORKING,
        report=None,
        learned=None,
    )
    return replace(action, **changes)


def a_round(phase: Phase = Phase.DESCRIBE, **changes: Any) -> RoundView:
    view = RoundView(
        round_id=12,
        set_id=7,
        meeting_id=42,
        channel_id="C0LEADERS",
        presenter=ASHA,
        phase=phase,
        route=tuple(ROUTE),
        slot_minutes=21,
        phase_minutes=phase_minutes(ROUTE, 21),
        opened_at=TEN_AM,
        closed_at=None,
        duration_seconds=None,
        thread_ts="1799999999.000100",
        earlier_actions=(an_action(),),
    )
    return replace(view, **changes)


def a_closed_round(*, committed: bool = False) -> ClosedRound:
    view = a_round(Phase.CLOSED, closed_at=TEN_AM, duration_seconds=23 * 60 + 10)
    return ClosedRound(round=view, committed=committed)


def slack_accepts(reply: Reply) -> None:
    assert check_text(reply.text) is None
    assert check_blocks(reply.blocks) is None
    for block in reply.blocks:
        Block.parse(block).validate_json()


def buttons(reply: Reply) -> list[dict[str, Any]]:
    return [e for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]


def raw(reply: Reply) -> str:
    return json.dumps(reply.__dict__, ensure_ascii=False)


LIVE_PHASES = [p for p in Phase if p is not Phase.CLOSED]
LAYOUTS = {
    **{f"root in {p}": (lambda p=p: round_root(a_round(p))) for p in LIVE_PHASES},
    "root closed": lambda: round_root(a_closed_round().round),
    **{f"prompt for {p}": (lambda p=p: phase_prompt(a_round(p))) for p in LIVE_PHASES},
    "report back on many long actions": lambda: phase_prompt(
        a_round(
            Phase.REPORT_BACK,
            earlier_actions=tuple(
                an_action(commitment_id=i, text="word " * 900, report="x " * 900, learned="y" * 900)
                for i in range(12)
            ),
        )
    ),
    "round closed, committed": lambda: round_closed(a_closed_round(committed=True)),
    "round closed, no action": lambda: round_closed(a_closed_round()),
    "asked for a commitment": lambda: ask_for_commitment(a_closed_round()),
    "time note": lambda: render(RoundTimeNote(presenter=ASHA, minutes_left=4, phase=Phase.IDEAS)),
    "question ideas, two a group": lambda: question_ideas_reply(
        question_ideas(rng=random.Random(3))
    ),
    "question ideas, the whole bank": lambda: question_ideas_reply(
        question_ideas(rng=random.Random(3), per_group=100)
    ),
    "time up": lambda: render(RoundTimeUp(presenter=ASHA, slot_minutes=21, phase=Phase.REFLECT)),
}


@pytest.mark.parametrize("make", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_round_layout_is_one_slack_accepts(make: Any) -> None:
    slack_accepts(make())


def test_the_root_names_the_presenter_in_mrkdwn_and_shows_the_way_ahead() -> None:
    reply = round_root(a_round(Phase.QUESTIONS))

    assert all(b["type"] != "header" for b in reply.blocks)
    assert reply.blocks[0]["text"]["text"] == "*<@U0ASHA>'s round* · a 21-minute slot"
    assert "*Now: Questions* · about 7 minutes" in raw(reply)
    assert "✔ Report back · ✔ Describe the problem · ▶ Questions · ○ Ideas" in raw(reply)


def test_a_closed_root_says_how_long_the_round_took() -> None:
    reply = round_root(a_closed_round().round)

    assert "closed after 23 minutes (its slot was 21 minutes)" in raw(reply)
    assert "○" not in raw(reply) and "▶" not in raw(reply)
    assert buttons(reply) == []


def test_report_back_shows_the_earlier_action_and_asks_what_happened() -> None:
    reply = phase_prompt(a_round(Phase.REPORT_BACK))

    assert "Ask my manager for one protected hour a week" in raw(reply)
    assert "due Mon 1 Feb · still working on it" in raw(reply)
    assert "what happened when you took action?" in raw(reply)


def test_a_report_given_before_the_meeting_is_shown() -> None:
    reported = an_action(
        status=CommitmentStatus.REPORTED, report="She said yes", learned="Ask early"
    )

    reply = phase_prompt(a_round(Phase.REPORT_BACK, earlier_actions=(reported,)))

    assert "*What happened:* She said yes" in raw(reply)
    assert "*What they learned:* Ask early" in raw(reply)


def test_many_earlier_actions_show_the_first_few_and_say_how_many_more() -> None:
    many = tuple(an_action(commitment_id=i, text=f"Action {i}") for i in range(EARLIER_SHOWN + 2))

    reply = phase_prompt(a_round(Phase.REPORT_BACK, earlier_actions=many))

    assert f"Action {EARLIER_SHOWN - 1}" in raw(reply)
    assert f"Action {EARLIER_SHOWN}" not in raw(reply)
    assert "…and 2 more" in raw(reply)


def test_typed_text_never_reaches_slack_raw_and_is_escaped_once() -> None:
    sneaky = an_action(text=SNEAKY, report=SNEAKY, learned=SNEAKY)
    reply = phase_prompt(a_round(Phase.REPORT_BACK, earlier_actions=(sneaky,)))

    text = " ".join(mrkdwn_texts(reply))

    assert "<!channel>" not in text
    assert "<@U0BOSS>" not in text
    assert text.count("&lt;!channel&gt; R&amp;D &lt;@U0BOSS&gt;") == 3
    assert "&amp;lt;" not in text


@pytest.mark.parametrize("phase", LIVE_PHASES)
def test_every_phase_prompt_has_a_next_button_carrying_the_round_and_phase(phase: Phase) -> None:
    [next_button, *_] = buttons(phase_prompt(a_round(phase)))

    assert next_button["action_id"] == ROUND_NEXT
    assert json.loads(next_button["value"]) == {"round": 12, "from": str(phase)}
    assert read_next(next_button["value"]) == (12, str(phase))


def test_the_next_button_names_where_it_leads_and_reflect_finishes_the_round() -> None:
    [describing] = buttons(phase_prompt(a_round(Phase.DESCRIBE)))
    reflecting = buttons(phase_prompt(a_round(Phase.REFLECT)))

    assert describing["text"]["text"] == "Next: Questions"
    assert [b["text"]["text"] for b in reflecting] == ["Finish the round", "Commit to an action"]
    assert (reflecting[1]["action_id"], reflecting[1]["value"]) == (COMMIT_ACTION, "12")


@pytest.mark.parametrize("phase", [Phase.QUESTIONS, Phase.IDEAS, Phase.REFLECT])
def test_only_a_facilitator_moves_the_set_on_from_its_phases(phase: Phase) -> None:
    assert "A facilitator moves the round on" in raw(phase_prompt(a_round(phase)))


def test_the_presenter_may_hand_over_when_they_have_finished_describing() -> None:
    assert "When you've finished, <@U0ASHA>, press the button to move on" in raw(
        phase_prompt(a_round(Phase.DESCRIBE))
    )


def test_closing_thanks_the_presenter_and_says_whether_an_action_was_recorded() -> None:
    committed = raw(round_closed(a_closed_round(committed=True)))
    none_yet = raw(round_closed(a_closed_round()))

    assert "That's the end of <@U0ASHA>'s round, after 23 minutes" in committed
    assert "has committed to an action" in committed
    assert "`/action new`" in none_yet


def test_the_presenter_is_asked_privately_whether_to_record_an_action() -> None:
    reply = ask_for_commitment(a_closed_round())

    assert reply.text == "Would you like to record an action?"
    assert [(b["action_id"], b["value"]) for b in buttons(reply)] == [(COMMIT_ACTION, "12")]


def test_the_time_note_is_gentle_and_leaves_time_to_decide() -> None:
    before = render(RoundTimeNote(presenter=ASHA, minutes_left=4, phase=Phase.QUESTIONS))
    reflecting = render(RoundTimeNote(presenter=ASHA, minutes_left=1, phase=Phase.REFLECT))

    assert before.text == (
        "⏳ About 4 minutes left in this round. "
        "Leave a little time for <@U0ASHA> to reflect and decide."
    )
    assert reflecting.text == "⏳ About 1 minute left in this round."


def test_the_facilitator_is_told_when_the_time_is_up_and_what_they_can_do() -> None:
    reply = render(RoundTimeUp(presenter=ASHA, slot_minutes=21, phase=Phase.QUESTIONS))

    assert reply.text.startswith("<@U0ASHA>'s round has reached its time (21 minutes)")
    assert "*Questions*" in reply.text
    assert "`/round next`" in reply.text and "`/round close`" in reply.text


def test_only_the_questions_prompt_offers_question_ideas_for_its_round() -> None:
    asking = buttons(phase_prompt(a_round(Phase.QUESTIONS)))
    others = [
        b
        for p in LIVE_PHASES
        if p is not Phase.QUESTIONS
        for b in buttons(phase_prompt(a_round(p)))
    ]

    assert [(b["action_id"], b["text"]["text"]) for b in asking] == [
        (ROUND_NEXT, "Next: Ideas"),
        (QUESTION_IDEAS, "Question ideas"),
    ]
    assert asking[1]["value"] == "12"
    assert all(b["action_id"] != QUESTION_IDEAS for b in others)


def test_question_ideas_list_the_drawn_questions_under_their_group_labels() -> None:
    drawn = question_ideas(rng=random.Random(7))

    reply = question_ideas_reply(drawn)
    text = raw(reply)

    for group, questions in drawn:
        assert f"*{group.label}*" in text
        assert all(f"• {question}" in text for question in questions)
    assert "These are ideas, not a script" in text
    assert len(reply.blocks) == len(QuestionGroup) + 2


def test_question_ideas_are_short_enough_to_read_in_the_moment() -> None:
    reply = question_ideas_reply(question_ideas(rng=random.Random(7)))

    asked = sum(text.count("•") for text in mrkdwn_texts(reply))

    assert asked == 2 * len(QuestionGroup) < sum(len(q) for q in BANK.values())
