"""`setbot demo` plays a whole Set cycle through the real bot and tells it as people saw it.

The demo is run once for the module (it takes a few seconds) and each test reads the
story it told; one more run shows a missing reply failing the demo in one line.
"""

from __future__ import annotations

import argparse
import io
import time

import pytest

from bot.demo import script
from bot.demo.cli import demo_command, main
from bot.demo.render import Entry, as_text
from bot.demo.stage import Stage, expect

# Every part of the story the issue asks for, in the words a reader would see.
STORY = [
    "Welcome to New team leaders",
    "[@fran fills in the form 'Form a Set' and submits it]",
    "| Members: @asha, @ben, @cara, @dev",
    "[@dev uses [I agree]]",
    "Everyone in the Set has now agreed",
    "[@ben runs /set schedule]",
    "What issue will you bring to New team leaders",  # the prepare DM
    "Here is where the Set stands",  # the facilitator digest
    "meets tomorrow",  # the channel reminder
    "New team leaders — meeting under way",
    "@setbot (updated a message above)",
    "[@asha uses [I'm here]]",
    "That sounds like a suggestion. Could you turn it into an open question",  # the hint
    "@asha commits to: Co-design the rota with two volunteers",
    "How did the process work for you today?",
    "How the process worked today: 4.5 out of 5",
    "How's your action for New team leaders going?",  # the commitment nudge
    "[@ben uses [Report back]]",
    "Reported back since the last meeting: @ben, @asha",
    "Report back · about 5 minutes",  # a round in meeting 2 opens with it
    "[@fran runs /meeting stats]",
    "Meeting stats: New team leaders",
    "What New team leaders learned",
    "People own what they help to make",
    "[@fran fills in the form 'Signpost a resource' and submits it]",
    "Now offer ideas and possible solutions",  # the ideas phase
    "[@gita runs /set org-report]",
    "Learning across our Action Learning Sets",
    "Training needs the Sets raised",
    "• New leaders need coaching on how to ask for help",
]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, float]:
    """One run of `setbot demo --html`: exit status, what it printed, the page, seconds."""
    page = tmp_path_factory.mktemp("demo") / "demo.html"
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    status = demo_command(argparse.Namespace(html=page, speed=0.0), out=out, err=err)
    took = time.monotonic() - started
    assert err.getvalue() == ""
    return status, out.getvalue(), page.read_text(encoding="utf-8"), took


def test_the_demo_tells_every_step_of_the_story_and_exits_0(
    played: tuple[int, str, str, float],
) -> None:
    status, printed, _page, took = played
    assert status == 0
    missing = [words for words in STORY if words not in printed]
    assert missing == [], f"the story leaves out {missing}"
    assert took < 10, f"the demo took {took:.1f}s"


def test_the_story_is_in_time_order_in_the_sets_time_zone(
    played: tuple[int, str, str, float],
) -> None:
    printed = played[1]
    days = ["Tue 5 Jan 2027", "Sun 31 Jan 2027", "Tue 2 Feb 2027", "Tue 2 Mar 2027"]
    assert [printed.index(f"══ {day} ══") for day in days] == sorted(
        printed.index(f"══ {day} ══") for day in days
    )
    assert "08:30 GMT" in printed  # the digest, at its hour in London
    assert "(private: only @cara sees)" in printed


def test_threads_are_indented_under_their_round(played: tuple[int, str, str, float]) -> None:
    line = next(line for line in played[1].splitlines() if "What have you tried so far?" in line)
    assert "↳ @ben: What have you tried so far?" in line
    assert line.index("↳") > line.index("GMT") + 4


def test_the_html_page_tells_the_same_story_with_user_text_escaped(
    played: tuple[int, str, str, float],
) -> None:
    page = played[2]
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "Co-design the rota with two volunteers" in page
    assert "I avoid the &lt;conversation&gt;." in page
    assert "<conversation>" not in page
    assert "Only visible to @cara" in page
    assert "<b>Reported back since the last meeting:</b> @ben, @asha" in page


def test_a_step_without_its_reply_fails_the_demo_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def waits_for_a_word_never_said(stage: Stage) -> None:
        expect(stage, "a reply the bot never gives")

    steps = [*script.STEPS[:1], script.Step("Fran waits in vain", waits_for_a_word_never_said)]
    monkeypatch.setattr(script, "STEPS", steps)
    monkeypatch.setattr("bot.demo.stage.WAIT", 0.2)
    out, err = io.StringIO(), io.StringIO()

    status = demo_command(argparse.Namespace(html=None, speed=0.0), out=out, err=err)

    assert status == 1
    assert err.getvalue() == (
        "setbot demo: a step failed: Fran waits in vain: "
        "no chat.postMessage saying 'a reply the bot never gives'\n"
    )
    assert out.getvalue() == ""


def test_a_negative_speed_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--speed", "-1"]) == 2
    assert "--speed" in capsys.readouterr().err


def test_plain_text_has_no_terminal_codes() -> None:
    entries = [Entry(when=None, where="#set", who="@ben", lines=("hello",))]
    assert as_text(entries) == "\n#set\n--:--     @ben: hello\n"


# The meeting in writing, as `setbot demo --async` tells it.
STORY_IN_WRITING = [
    "[@asha fills in the form 'Prepare your round' and submits it]",
    "| How should the rounds run?: Side by side, all at once",
    "is meeting in writing until",
    "@asha prepared this outline:",
    "Now: Describe the problem · open until",
    "↳ @lola: What would change if it worked?",
    "Now offer ideas and possible solutions",  # everyone asked: the phase ends early
    "[@ben uses [I've seen it — thinking]]",
    "Seen it, thinking:",  # what Fran sees privately
    "@asha commits to: Ask the night team to draft the handover checklist",
    "That's the end of @lola's round",  # closed by itself when its window did
]


def test_the_demo_in_writing_plays_a_week_across_five_time_zones() -> None:
    out, err = io.StringIO(), io.StringIO()

    status = demo_command(
        argparse.Namespace(html=None, speed=0.0, in_writing=True), out=out, err=err
    )

    assert (status, err.getvalue()) == (0, "")
    told = out.getvalue()
    missing = [line for line in STORY_IN_WRITING if line not in told]
    assert missing == []
