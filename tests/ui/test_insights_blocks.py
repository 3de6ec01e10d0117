"""The facilitator's meeting stats in Slack: read at a glance, escaped, within Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot.flows.insights import (
    MeetingStats,
    MemberStats,
    Noticed,
    Observation,
    RoundTiming,
    Talk,
)
from bot.flows.phases import Phase
from bot.sim.layout import check_blocks
from bot.store.models import MeetingStatus, Role
from bot.ui.blocks import Reply
from bot.ui.insights import BAR_WIDTH, EMPTY, FULL, bar, render_stats, span
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE
from tests.mrkdwn import mrkdwn_texts

FRAN, ASHA, BEN, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0DEV"
SNEAKY = "<!channel> R&D <@U0BOSS>"
ESCAPED = "&lt;!channel&gt; R&amp;D &lt;@U0BOSS&gt;"
FEBRUARY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)


def asha_round(**changes: Any) -> RoundTiming:
    return replace(
        RoundTiming(round_id=1, presenter=ASHA, slot_minutes=26, duration_seconds=39 * 60),
        **changes,
    )


def a_person(user: str, **changes: Any) -> MemberStats:
    person = MemberStats(
        user_id=user,
        role=Role.MEMBER,
        present=True,
        by_phase={},
        questions=0,
        hints=0,
        rounds=(),
    )
    return replace(person, **changes)


def some_stats(**changes: Any) -> MeetingStats:
    stats = MeetingStats(
        set_id=3,
        set_name="New team leaders",
        timezone="Europe/London",
        meeting_id=42,
        status=MeetingStatus.ENDED,
        started_at=FEBRUARY,
        ended_at=FEBRUARY.replace(hour=12),
        hints_on=True,
        members=(
            a_person(
                FRAN,
                role=Role.FACILITATOR,
                present=False,
                by_phase={Phase.QUESTIONS: Talk(1, 5)},
                questions=1,
            ),
            a_person(
                ASHA,
                by_phase={Phase.DESCRIBE: Talk(1, 11), Phase.REFLECT: Talk(1, 5)},
                rounds=(asha_round(),),
            ),
            a_person(BEN, by_phase={Phase.QUESTIONS: Talk(3, 20)}, questions=2, hints=1),
            a_person(DEV),
        ),
        rounds=(asha_round(),),
        asked=5,
        said=6,
        most_heard=(BEN,),
        least_heard=(DEV,),
        observations=(
            Observation(Noticed.SILENT_IN_QUESTIONS, (DEV,)),
            Observation(Noticed.ROUNDS_OVERRAN, percent=50),
        ),
    )
    return replace(stats, **changes)


def slack_accepts(reply: Reply) -> None:
    assert reply.text
    assert check_blocks(reply.blocks) is None
    for block in reply.blocks:
        Block.parse(block).validate_json()


def shown(reply: Reply) -> str:
    return "\n".join(mrkdwn_texts(reply))


def test_the_stats_are_a_message_slack_accepts() -> None:
    slack_accepts(render_stats(some_stats()))


def test_bars_show_a_share_at_a_glance() -> None:
    assert bar(0) == EMPTY * BAR_WIDTH
    assert bar(1) == FULL * BAR_WIDTH
    assert bar(0.5) == FULL * 5 + EMPTY * 5
    assert bar(5 / 6) == FULL * 8 + EMPTY * 2
    assert bar(0.01) == FULL + EMPTY * 9, "a little is still something"
    assert bar(1.7) == FULL * BAR_WIDTH


def test_the_summary_shows_the_sets_questioning_with_a_bar_and_who_was_heard() -> None:
    text = shown(render_stats(some_stats()))

    assert "5 of 6 contributions from the Set were questions (83%)\n▇▇▇▇▇▇▇▇▁▁" in text
    assert "*Most heard:* <@U0BEN>  ·  *Least heard:* <@U0DEV>" in text
    assert "1 round took 39 min against 26 min planned (50% over)" in text
    assert "Meeting of Tue 2 Feb 2027, 10:00 (GMT) · ended" in text


def test_each_person_has_a_bar_of_their_words_against_whoever_said_most() -> None:
    text = shown(render_stats(some_stats()))

    assert "*<@U0BEN>*\n▇▇▇▇▇▇▇▇▇▇ 20 words in 3 messages\nWords by phase: Questions 20" in text
    assert (
        "*<@U0ASHA>*\n▇▇▇▇▇▇▇▇▁▁ 16 words in 2 messages\nWords by phase: Describe 11 · Reflect 5"
        in text
    )
    assert "Asked 2 questions (0 open) · 1 coaching hint received" in text
    assert "Presented: 39 min of a slot of 26 min (50% over)" in text
    assert "*<@U0DEV>*\n▁▁▁▁▁▁▁▁▁▁ didn't speak" in text
    assert "*<@U0FRAN>* · facilitator\n" in text


def test_observations_read_as_plain_sentences_a_facilitator_could_say() -> None:
    sayings = {
        Observation(Noticed.SILENT_IN_QUESTIONS, (DEV, BEN, ASHA)): (
            "<@U0DEV>, <@U0BEN> and <@U0ASHA> didn't speak in the questions phase."
        ),
        Observation(Noticed.QUESTIONS_FROM_FEW, (ASHA,), 83): (
            "<@U0ASHA> asked 83% of the questions."
        ),
        Observation(Noticed.QUESTIONS_FROM_FEW, (ASHA, BEN), 70): (
            "Two members, <@U0ASHA> and <@U0BEN>, asked 70% of the questions."
        ),
        Observation(Noticed.FEW_QUESTIONS, percent=38): (
            "Only 38% of contributions in the questions phase were questions."
        ),
        Observation(Noticed.ROUNDS_OVERRAN, percent=30): (
            "Rounds ran 30% over their slots on average."
        ),
    }

    for observation, words in sayings.items():
        text = shown(render_stats(some_stats(observations=(observation,))))
        assert f"*Worth raising with the Set*\n• {words}" in text


def test_a_quiet_meeting_says_so_rather_than_showing_empty_figures() -> None:
    running = asha_round(duration_seconds=None)
    stats = some_stats(
        status=MeetingStatus.OPEN,
        asked=0,
        said=0,
        most_heard=(),
        least_heard=(),
        observations=(),
        rounds=(running,),
        members=(a_person(ASHA, rounds=(running,)), a_person(DEV, present=False)),
    )

    reply = render_stats(stats)

    slack_accepts(reply)
    text = shown(reply)
    assert "no one but the presenter spoke in it" in text
    assert "*Rounds:* none finished yet." in text
    assert "Presenting now, in a slot of 26 min" in text
    assert "*<@U0DEV>* · didn't check in" in text
    assert "Worth raising" not in text and "Most heard" not in text


def test_rounds_under_their_slot_or_on_time_say_so() -> None:
    under = render_stats(some_stats(rounds=(asha_round(duration_seconds=13 * 60),)))
    on_time = render_stats(some_stats(rounds=(asha_round(duration_seconds=26 * 60),)))

    assert "(50% under)" in shown(under)
    assert "(on time)" in shown(on_time)


def test_hints_being_off_is_said_so_a_zero_is_not_misread() -> None:
    assert "Coaching hints are off" in shown(render_stats(some_stats(hints_on=False)))
    assert "Coaching hints are off" not in shown(render_stats(some_stats()))


def test_the_card_says_questions_are_counted_without_words_and_what_open_means() -> None:
    text = shown(render_stats(some_stats()))

    assert "never from what was said" in text
    assert "An open question invites the presenter to explore" in text


def test_a_large_gathering_still_fits_one_message() -> None:
    crowd = tuple(
        a_person(f"U0MEMBER{i:02d}", by_phase={Phase.QUESTIONS: Talk(1, i)}) for i in range(60)
    )

    reply = render_stats(some_stats(members=crowd))

    slack_accepts(reply)
    assert len(reply.blocks) <= BLOCKS_PER_MESSAGE
    assert "more people" in shown(reply)


def test_the_set_name_is_escaped_once_where_slack_reads_mrkdwn() -> None:
    reply = render_stats(some_stats(set_name=SNEAKY))

    text = " ".join(mrkdwn_texts(reply))
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    assert ESCAPED in text
    assert "&amp;lt;" not in text
    # A header is plain text, which Slack never reads for mentions.
    assert reply.blocks[0]["text"] == {"type": "plain_text", "text": f"Meeting stats: {SNEAKY}"}


def test_a_round_held_in_writing_is_timed_in_hours_and_days() -> None:
    assert [span(minutes) for minutes in (26, 119, 120, 36 * 60, 5 * 24 * 60)] == [
        "26 min",
        "119 min",
        "2 hours",
        "36 hours",
        "5 days",
    ]
