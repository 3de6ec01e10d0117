"""A whole Action Learning meeting in Slack, from the first round to the last reflection.

The New team leaders Set meets on the first Tuesday of February. Asha committed to an
action last time and has already reported back; today she presents first, then Ben and
Cara. Dev sends apologies. The story checks what each person would see.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.sim import Call, SlackDriver, SlackEmulator
from bot.store.db import Store
from bot.store.models import Commitment, CommitmentStatus, Contribution, ProcessReflection
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui import reflection as reflection_ui
from bot.ui import resources as resources_ui
from bot.ui import rounds as rounds_ui
from tests.factories import a_set_in_its_channel

FRAN, ASHA, BEN, CARA, DEV, EVE = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV", "U0EVE"
MEMBERS = (ASHA, BEN, CARA, DEV, EVE)
MEETING_DAY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def channel(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """The Set, formed in January; everyone has agreed the ground rules."""
    for user in (FRAN, *MEMBERS):
        slack.add_user(user, name=user[3:].lower())
    return a_set_in_its_channel(
        store, clock, slack, facilitator=FRAN, members=MEMBERS, first_at=MEETING_DAY
    )


def test_a_meeting_with_three_rounds_commitments_and_reflection(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    # In January Asha commits to an action, and reports back on it before the meeting.
    driver.slash_command("/action", "new", user_id=ASHA, channel_id=channel)
    slack.wait_for("views.open")
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: "Hold a one-to-one with each of my team"},
    )
    mine = driver.slash_command("/action", "", user_id=ASHA, channel_id=channel)
    assert mine.json is not None and "one-to-one" in str(mine.json["blocks"])
    driver.block_action(
        actions_ui.REPORT_BACK, user=ASHA, channel=channel, message_ts=_private(slack, ASHA)
    )
    driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=ASHA,
        answers={
            actions_ui.HAPPENED_BLOCK: "Four of five happened; two raised workload",
            actions_ui.LEARNED_BLOCK: "People open up when I ask, not tell",
        },
    )

    # Fran's Home now shows Asha's report among the Set's progress.
    slack.wait_for("views.publish", where=lambda c: c.args["user_id"] == FRAN)

    # The meeting starts; Dev sends apologies, the others check in.
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = _posted(slack, channel, "under way")
    for member in (ASHA, BEN, CARA, EVE):
        driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card
        )
    driver.block_action(meeting_ui.CHECK_IN_APOLOGIES, user=DEV, channel=channel, message_ts=card)

    # Round 1: Asha. It begins with her report back, already given between meetings.
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _posted(slack, channel, "<@U0ASHA>'s round")
    report = slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == root)
    assert "Four of five happened" in str(report.args["blocks"])

    _next(driver, slack, channel, root, ASHA)  # report back → describe
    driver.message(
        channel,
        "My team resists the new rota and I avoid the conversation.",
        user=ASHA,
        thread_ts=root,
    )
    _next(driver, slack, channel, root, ASHA)  # describe → questions
    questions = _in_thread(slack, channel, root, rounds_ui.QUESTION_IDEAS)
    driver.block_action(rounds_ui.QUESTION_IDEAS, user=EVE, channel=channel, message_ts=questions)
    ideas = slack.wait_for("response_url", where=lambda c: "not a script" in str(c.args))
    assert "Clarifying the problem" in str(ideas.args)
    driver.message(channel, "What have you tried so far?", user=BEN, thread_ts=root)
    driver.message(
        channel, "Have you tried just telling them it's final?", user=CARA, thread_ts=root
    )
    hint = slack.wait_for("chat.postEphemeral", where=lambda c: c.args["user"] == CARA)
    assert "open question" in hint.args["text"]
    _next(driver, slack, channel, root, FRAN)  # questions → ideas
    driver.message(
        channel, "You could ask the team to draft the rota with you.", user=CARA, thread_ts=root
    )
    # Fran signposts good practice in the thread: a guide she adds to the Set's list.
    driver.slash_command("/round", "signpost", user_id=FRAN, channel_id=channel)
    slack.wait_for("views.open", where=lambda c: "Signpost" in str(c.args))
    driver.submit_form(
        resources_ui.SIGNPOST_VIEW,
        user=FRAN,
        answers={
            resources_ui.TITLE_BLOCK: "Rotas people design together",
            resources_ui.LINK_BLOCK: "https://www.example.org/rotas",
        },
    )
    signposted = slack.wait_for(
        "chat.postMessage", where=lambda c: "Good practice" in c.args["text"]
    )
    assert signposted.args["thread_ts"] == root
    assert "<https://www.example.org/rotas|Rotas people design together>" in str(
        signposted.args["blocks"]
    )
    _next(driver, slack, channel, root, FRAN)  # ideas → reflect
    hints = [c for c in slack.calls_to("chat.postEphemeral") if "Moved on" not in c.args["text"]]
    assert len(hints) == 1, "no hints outside the questions phase"

    prompt = _in_thread(slack, channel, root, "Reflect and decide")
    driver.block_action(rounds_ui.COMMIT_ACTION, user=ASHA, channel=channel, message_ts=prompt)
    driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={
            actions_ui.TEXT_BLOCK: "Co-design the rota with two volunteers",
            actions_ui.MEASURE_BLOCK: "A rota everyone signs off",
        },
    )
    committed = slack.wait_for(
        "chat.postMessage", where=lambda c: "committed to an action" in c.args["text"]
    )
    assert committed.args["thread_ts"] == root
    _next(driver, slack, channel, root, FRAN)  # reflect → closed
    slack.wait_for("chat.postMessage", where=lambda c: "end of <@U0ASHA>'s round" in c.args["text"])

    # Round 2: Ben, next in the turn order; Fran closes it without an action recorded.
    driver.slash_command("/round", "open", user_id=FRAN, channel_id=channel)
    ben_root = _posted(slack, channel, "'s round", after=root)
    driver.slash_command("/round", "close", user_id=FRAN, channel_id=channel)
    ask = slack.wait_for("chat.postEphemeral", where=lambda c: "record an action" in c.args["text"])
    assert ask.args["thread_ts"] == ben_root

    # Round 3, then the meeting ends with a summary and the reflection prompt.
    driver.slash_command("/round", "open", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "close", user_id=FRAN, channel_id=channel)
    clock.set(datetime(2027, 2, 2, 12, 0, tzinfo=UTC))
    driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=channel)
    summary = slack.wait_for("chat.postMessage", where=lambda c: "has ended" in c.args["text"])
    assert "Co-design the rota" in str(summary.args["blocks"])
    assert "*Sent apologies:* <@U0DEV>" in str(summary.args["blocks"])
    reflect_prompt = _posted(slack, channel, "Reflect on today")

    # Two of the four present reflect: the Set then sees the average, and Fran everything.
    for member, score in ((ASHA, "4"), (BEN, "5")):
        driver.block_action(
            reflection_ui.REFLECT, user=member, channel=channel, message_ts=reflect_prompt
        )
        driver.submit_form(
            reflection_ui.REFLECT_VIEW,
            user=member,
            answers={
                reflection_ui.SCORE_BLOCK: score,
                reflection_ui.HELPED_BLOCK: "Good questions",
            },
        )
    shared = slack.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel and "4.5" in str(c.args)
    )
    assert "Good questions" not in str(shared.args), "the Set sees no one's words"

    with store.session() as session:
        actions = {c.text: c.status for c in session.exec(select(Commitment))}
        heard = session.exec(select(Contribution)).all()
        reflections = session.exec(select(ProcessReflection)).all()
    assert actions == {
        "Hold a one-to-one with each of my team": CommitmentStatus.REPORTED,
        "Co-design the rota with two volunteers": CommitmentStatus.OPEN,
    }
    assert [(c.user_id, c.phase, c.is_question) for c in heard] == [
        (ASHA, "describe", False),
        (BEN, "questions", True),
        (CARA, "questions", False),
        (CARA, "ideas", False),
    ]
    assert len(reflections) == 2


def test_a_replayed_thread_message_is_counted_once(
    channel: str, driver: SlackDriver, slack: SlackEmulator, store: Store, clock: ManualClock
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _posted(slack, channel, "<@U0ASHA>'s round")

    first = driver.message(channel, "What matters most here?", user=BEN, thread_ts=root)
    said = slack.messages(channel, thread_ts=root)[-1].ts
    driver.message(channel, "What matters most here?", user=BEN, thread_ts=root, ts=said)

    assert first.status == 200
    with store.session() as session:
        assert len(session.exec(select(Contribution)).all()) == 1


def _posted(slack: SlackEmulator, channel: str, words: str, *, after: str = "") -> str:
    """The ts of the newest public message in the channel (not a thread reply) with `words`."""

    def matches(call: Call) -> bool:
        return call.args.get("channel") == channel and words in call.args.get("text", "")

    slack.wait_for("chat.postMessage", where=matches)
    found = [
        m.ts
        for m in slack.messages(channel)
        if words in m.text and m.ephemeral_to is None and not m.thread_ts and m.ts > after
    ]
    return found[-1]


def _in_thread(slack: SlackEmulator, channel: str, root: str, words: str) -> str:
    slack.wait_for("chat.postMessage", where=lambda c: words in str(c.args.get("blocks")))
    return [m.ts for m in slack.messages(channel, thread_ts=root) if words in str(m.blocks)][-1]


def _next(driver: SlackDriver, slack: SlackEmulator, channel: str, root: str, who: str) -> None:
    """`who` presses "Next" on the newest prompt in the round's thread."""
    prompts = [
        m for m in slack.messages(channel, thread_ts=root) if rounds_ui.ROUND_NEXT in str(m.blocks)
    ]
    reply = driver.block_action(
        rounds_ui.ROUND_NEXT, user=who, channel=channel, message_ts=prompts[-1].ts
    )
    assert reply.status == 200


def _private(slack: SlackEmulator, user: str) -> str:
    with slack.workspace() as state:
        return [m for m in state.messages if m.ephemeral_to == user][-1].ts


@pytest.mark.parametrize(
    ("subtype", "in_thread"),
    [("message_changed", True), ("message_deleted", True), ("bot_message", True), (None, False)],
    ids=["an-edit", "a-deletion", "a-bot-post", "a-message-outside-the-thread"],
)
def test_messages_that_are_not_new_replies_in_a_round_are_left_alone(
    channel: str,
    driver: SlackDriver,
    slack: SlackEmulator,
    store: Store,
    clock: ManualClock,
    subtype: str | None,
    in_thread: bool,
) -> None:
    clock.set(MEETING_DAY)
    driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    driver.slash_command("/round", "open <@U0ASHA|asha>", user_id=FRAN, channel_id=channel)
    root = _posted(slack, channel, "<@U0ASHA>'s round")

    reply = driver.message(
        channel,
        "You should just tell them.",
        user=BEN,
        thread_ts=root if in_thread else None,
        subtype=subtype,
    )

    assert reply.status == 200
    assert slack.calls_to("chat.postEphemeral") == []
    with store.session() as session:
        assert session.exec(select(Contribution)).all() == []
