"""The scripted Set that meets in writing: five members on five continents, one week.

`setbot demo --async` plays it. Fran (London) facilitates Asha (London), Noor (New
York), Ben (Kolkata), Sid (Sydney) and Lola (Los Angeles); no hour finds them all
awake. Asha prepares an outline when asked two days ahead; Fran starts a meeting in
writing with all five rounds side by side for a working week; people reply in their
own hours; phases close by themselves, or early once everyone has asked a question.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.script import FRAN, Step, form_a_set, ok
from bot.demo.stage import Stage, expect, newest, private
from bot.ui import async_rounds as async_ui
from bot.ui import commitments as actions_ui
from bot.ui import outlines as outline_ui
from bot.ui import rounds as rounds_ui

ASHA, NOOR, BEN, SID, LOLA = "U0ASHA", "U0NOOR", "U0BEN", "U0SID", "U0LOLA"
MEMBERS = (ASHA, NOOR, BEN, SID, LOLA)
PEOPLE = {
    FRAN: ("fran", "Fran Okafor", "Europe/London"),
    ASHA: ("asha", "Asha Patel", "Europe/London"),
    NOOR: ("noor", "Noor Haddad", "America/New_York"),
    BEN: ("ben", "Ben Li", "Asia/Kolkata"),
    SID: ("sid", "Sid Walker", "Australia/Sydney"),
    LOLA: ("lola", "Lola Reyes", "America/Los_Angeles"),
}
START = datetime(2027, 2, 22, 9, 0, tzinfo=UTC)  # Fran forms the Set
MONDAY = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)  # the meeting in writing begins


def set_channel(stage: Stage) -> str:
    return str(expect(stage, "Welcome to").args["channel"])


def form_the_set(stage: Stage) -> None:
    """Fran forms the Set; its first meeting is on Monday 8 March."""
    form_a_set(
        stage,
        name="Leading across time zones",
        theme="Leading remote teams",
        members=MEMBERS,
        first_date="2027-03-08",
    )


def asha_prepares(stage: Stage) -> None:
    """Two days ahead Asha is asked what she'll bring, and writes an outline privately."""
    stage.tick_until(MONDAY - timedelta(hours=12))
    asked = private(stage, ASHA, "What issue will you bring")
    stage.driver.block_action(
        outline_ui.OUTLINE_OPEN, user=ASHA, channel=asked.channel, message_ts=asked.ts
    )
    reply = stage.driver.submit_form(
        outline_ui.OUTLINE_VIEW,
        user=ASHA,
        answers={
            outline_ui.OUTLINE_BLOCK: "Our night shift hands over badly, and the same "
            "problems come back each week. I'd like help seeing what I'm missing."
        },
    )
    ok(reply, "the outline form")
    private(stage, ASHA, "Saved privately")


def fran_starts_in_writing(stage: Stage) -> None:
    """Two days one after another is too short for everyone; a week side by side is fine."""
    stage.clock.set(MONDAY)
    channel = set_channel(stage)
    for days, running in ((2, async_ui.IN_TURN), (5, async_ui.SIDE_BY_SIDE)):
        stage.driver.slash_command("/meeting", "start async", user_id=FRAN, channel_id=channel)
        reply = stage.driver.submit_form(
            async_ui.ASYNC_START_VIEW,
            user=FRAN,
            answers={async_ui.WINDOW_BLOCK: str(days), async_ui.RUNNING_BLOCK: running},
        )
        if days == 2 and "shortest window" not in str(reply.json):
            raise AssertionError("a two-day window was not refused with the shortest that works")
    expect(stage, "meeting in writing")
    expect(stage, "prepared this outline")


def root_of(stage: Stage, presenter: str) -> str:
    return newest(stage, set_channel(stage), f"<@{presenter}>'s round").ts


def say(stage: Stage, presenter: str, user: str, text: str) -> None:
    stage.driver.message(set_channel(stage), text, user=user, thread_ts=root_of(stage, presenter))


def press_next(stage: Stage, presenter: str, who: str) -> None:
    channel, root = set_channel(stage), root_of(stage, presenter)
    prompt = newest(stage, channel, rounds_ui.ROUND_NEXT, thread=root)
    ok(
        stage.driver.block_action(
            rounds_ui.ROUND_NEXT, user=who, channel=channel, message_ts=prompt.ts
        ),
        "Next",
    )


def the_first_day(stage: Stage) -> None:
    """Asha hands over; the others ask in their own hours and the phase ends early."""
    press_next(stage, ASHA, ASHA)
    asked = (
        (NOOR, "What does a good handover look like to you?", 14),
        (BEN, "Who notices first when it goes wrong?", 18),
        (SID, "What have you already tried?", 22),
        (LOLA, "What would change if it worked?", 26),
    )
    for member, question, hours in asked:
        stage.tick_until(MONDAY + timedelta(hours=hours))
        say(stage, ASHA, member, question)
    expect(stage, "Now offer ideas")


def ben_looks_in(stage: Stage) -> None:
    """Ben has read Noor's round and says so without posting; Fran sees who has been."""
    channel, root = set_channel(stage), root_of(stage, NOOR)
    stage.driver.block_action(rounds_ui.ROUND_SEEN, user=BEN, channel=channel, message_ts=root)
    stage.driver.block_action(rounds_ui.ROUND_WHO, user=FRAN, channel=channel, message_ts=root)
    private(stage, FRAN, "Seen it, thinking")


def the_week(stage: Stage) -> None:
    """Ideas come in, Asha commits, and phases close by themselves at their times."""
    stage.tick_until(MONDAY + timedelta(days=1, hours=10))
    say(stage, ASHA, SID, "Maybe the night team could write the handover checklist.")
    say(stage, ASHA, NOOR, "A five-minute overlap might help more than any form.")
    stage.tick_until(MONDAY + timedelta(days=3))
    channel, root = set_channel(stage), root_of(stage, ASHA)
    prompt = newest(stage, channel, rounds_ui.COMMIT_ACTION, thread=root)
    stage.driver.block_action(
        rounds_ui.COMMIT_ACTION, user=ASHA, channel=channel, message_ts=prompt.ts
    )
    reply = stage.driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=ASHA,
        answers={actions_ui.TEXT_BLOCK: "Ask the night team to draft the handover checklist"},
    )
    ok(reply, "the commitment form")
    stage.tick_until(MONDAY + timedelta(days=8))
    expect(stage, "end of <@U0LOLA>'s round")


def fran_ends_it(stage: Stage) -> None:
    stage.driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=set_channel(stage))
    expect(stage, "has ended")


STEPS_IN_WRITING = [
    Step("Fran forms a Set spread over five time zones", form_the_set),
    Step("Asha prepares an outline, privately", asha_prepares),
    Step("Fran starts a meeting in writing", fran_starts_in_writing),
    Step("the first day: everyone asks Asha a question", the_first_day),
    Step("Ben looks in on Noor's round", ben_looks_in),
    Step("the week: ideas, a commitment, phases closing by themselves", the_week),
    Step("Fran ends the meeting", fran_ends_it),
]
