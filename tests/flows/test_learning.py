"""A Set shares its learning with the organisation: figures, and only what members agreed to share.

The story is two meetings of a Set, told through the real flows. Every unshared answer
carries a code word (an animal), every shared one a different kind (a thing at sea or in
the country); the exports are searched for both, so a leak fails a test and so would a
summary that shared nothing at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.flows import commitments, learning, listening, meetings, reflection, rounds, sets
from bot.flows.access import NOT_A_SET_CHANNEL, Caller, Refusal
from bot.flows.learning import (
    FORMATS,
    Actions,
    Anonymiser,
    LearningSummary,
    Question,
    SharedLearning,
)
from bot.flows.schedule import Cadence
from bot.sim.layout import check_blocks, check_text
from bot.store.db import Store
from bot.store.models import AttendanceStatus
from bot.ui.learning import learning_card
from tests.factories import TEAM

CHANNEL = "C0LEADERS"
FACILITATOR = "U0FACIL"
ASHA, BEN, CARA, DEV = "U0ASHA", "U0BEN", "U0CARA", "U0DEV"
# A manager someone mentioned: not in the Set.
BOSS = "U0BOSS1"
NAMES = {
    ASHA: ["Asha Patel", "asha.p"],
    BEN: ["Ben Okafor", "ben"],
    CARA: ["Cara Nwosu"],
    DEV: ["Dev Sharma", "Dev"],
    FACILITATOR: ["Fran Hughes"],
}
FIRST_MEETING = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
SECOND_MEETING_DAY = datetime(2027, 2, 2, 9, 0, tzinfo=UTC)

# Words from answers nobody agreed to share, and from things never asked to be shared.
UNSHARED = (
    "quokka",  # Asha's action itself
    "narwhal",  # Asha's success measure
    "tapir",  # Ben's action
    "okapi",  # what happened, Ben (not shared)
    "wombat",  # what Ben learned (not shared)
    "axolotl",  # what helped, Ben (not shared)
    "pangolin",  # what should change, Ben (not shared)
    "meerkat",  # Asha's second reflection (not shared)
    "ibis",  # Dev's action
    "platypus",  # Dev's reason for dropping it
    "capybara",  # Cara's open action
)
SHARED = ("lantern", "compass", "harbour", "orchard", "lighthouse")
# Who must never be named: ids, mentions, names (as words), the manager's label.
IDENTIFYING = re.compile(
    r"U0(?:ASHA|BEN|CARA|DEV|FACIL|BOSS1)|<[@#!]|@|\bMorgan\b|\bAsha\b|\bPatel\b|\bBen\b"
    r"|\bOkafor\b|\bCara\b|\bNwosu\b|\bDev\b|\bSharma\b|\bFran\b|\bHughes\b",
    re.IGNORECASE,
)


def caller(user: str = FACILITATOR, *, channel: str = CHANNEL) -> Caller:
    return Caller(team_id=TEAM, user_id=user, channel_id=channel)


def a_set(
    store: Store, clock: ManualClock, *, name: str = "New team leaders", channel: str = CHANNEL
) -> int:
    draft = sets.SetDraft(
        name=name,
        theme="Leading through change",
        problem_area="Keeping experienced staff through a restructure",
        facilitators=(FACILITATOR,),
        members=(ASHA, BEN, CARA, DEV),
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=clock.now().replace(hour=10),
        timezone="Europe/London",
    )
    formed = sets.form_set(
        store, clock, team_id=TEAM, created_by=FACILITATOR, draft=draft, channel_id=channel
    )
    assert formed.learning_set.id is not None
    return formed.learning_set.id


PRESENT, APOLOGIES = AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES


@dataclass(frozen=True)
class Scene:
    """The Set's meetings told through the real flows, one short line a step."""

    store: Store
    clock: ManualClock

    def meeting(self, **status: AttendanceStatus) -> int:
        """The facilitator starts today's meeting; members check in (by first name)."""
        meeting_id = meetings.start_meeting(self.store, self.clock, caller()).meeting_id
        people = {"asha": ASHA, "ben": BEN, "cara": CARA, "dev": DEV}
        for who, how in status.items():
            meetings.check_in(
                self.store,
                self.clock,
                team_id=TEAM,
                meeting_id=meeting_id,
                user_id=people[who],
                status=how,
            )
        return meeting_id

    def round(self, presenter: str, heard: dict[str, str], action: str) -> None:
        """A round in its thread: others speak, the presenter commits, the facilitator closes."""
        view = rounds.open_round(self.store, self.clock, caller(), presenter=presenter)
        thread = f"{self.clock.now().timestamp():.6f}"
        rounds.set_round_thread(self.store, team_id=TEAM, round_id=view.round_id, thread_ts=thread)
        for n, (who, words) in enumerate(heard.items(), 1):
            message = listening.ThreadMessage(
                team_id=TEAM,
                channel_id=CHANNEL,
                thread_ts=thread,
                ts=f"{self.clock.now().timestamp() + n:.6f}",
                user_id=who,
                text=words,
            )
            listening.hear(self.store, self.clock, message)
        measure = "I'll see the narwhal in my diary" if presenter == ASHA else ""
        commitments.commit(
            self.store,
            self.clock,
            caller(presenter),
            round_id=view.round_id,
            text=action,
            due_on=None,
            success_measure=measure,
        )
        self.clock.advance(timedelta(minutes=20))
        rounds.close_round(self.store, self.clock, caller(), round_id=view.round_id)

    def end(self) -> None:
        meetings.end_meeting(self.store, self.clock, caller())

    def reflect(
        self,
        meeting_id: int,
        who: str,
        score: int,
        *,
        helped: str = "",
        change: str = "",
        share: bool,
    ) -> None:
        reflection.reflect(
            self.store,
            self.clock,
            team_id=TEAM,
            meeting_id=meeting_id,
            user_id=who,
            score=score,
            helped=helped,
            change=change,
            share=share,
        )

    def report(self, who: str, happened: str, learned: str, *, share: bool) -> None:
        """Report back on the member's first action still open."""
        mine = commitments.my_commitments(self.store, self.clock, team_id=TEAM, user_id=who)
        commitments.report_back(
            self.store,
            self.clock,
            team_id=TEAM,
            user_id=who,
            commitment_id=mine[0].commitment_id,
            happened=happened,
            learned=learned,
            share=share,
        )


@dataclass(frozen=True)
class Story:
    set_id: int
    first_meeting: int
    second_meeting: int


def two_meetings(store: Store, clock: ManualClock) -> Story:
    """Two meetings of "New team leaders", with actions, report-backs and reflections."""
    scene = Scene(store, clock)
    set_id = a_set(store, clock)
    first = _first_meeting(scene)
    clock.advance(timedelta(days=14))
    scene.report(
        ASHA,
        "Spoke to <@U0BOSS1|Morgan> and asha.p's team about the harbour rota; "
        "emailed asha.patel@example.org",
        "Okafor was right: the orchard needs tending.",
        share=True,
    )
    scene.report(BEN, "The okapi said no.", "wombat patience", share=False)
    clock.set(SECOND_MEETING_DAY)
    second = _second_meeting(scene)
    dev_action = commitments.my_commitments(store, clock, team_id=TEAM, user_id=DEV)[0]
    commitments.drop(
        store,
        clock,
        team_id=TEAM,
        user_id=DEV,
        commitment_id=dev_action.commitment_id,
        reason="platypus got in the way",
    )
    return Story(set_id, first, second)


def _first_meeting(scene: Scene) -> int:
    """Asha, Ben and Cara come, Dev sends apologies; Asha and Ben present."""
    first = scene.meeting(asha=PRESENT, ben=PRESENT, cara=PRESENT, dev=APOLOGIES)
    scene.round(
        ASHA,
        {BEN: "What have you tried?", CARA: "Who decides?"},
        action="Protect one hour a week for quokka planning",
    )
    scene.round(BEN, {ASHA: "What would help most?"}, action="Ask HR about the tapir policy")
    scene.end()
    scene.reflect(
        first,
        ASHA,
        4,
        share=True,
        helped="The lantern questions from <@U0BEN> and Ben slowed me down.",
        change="More time for Cara Nwosu to present.",
    )
    scene.reflect(
        first, BEN, 5, helped="The axolotl exercise.", change="Less pangolin talk.", share=False
    )
    scene.reflect(first, CARA, 3, helped="compass: U0DEV's silence made room <!here>", share=True)
    return first


def _second_meeting(scene: Scene) -> int:
    """Asha, Ben and Dev come, Cara sends apologies; Dev presents, Cara commits anyway."""
    second = scene.meeting(asha=PRESENT, ben=PRESENT, dev=PRESENT, cara=APOLOGIES)
    scene.round(DEV, {ASHA: "And then?"}, action="Map the ibis process")
    commitments.commit(
        scene.store, scene.clock, caller(CARA), text="Shadow the capybara team", due_on=None
    )
    scene.end()
    scene.reflect(second, ASHA, 4, helped="meerkat", share=False)
    scene.reflect(
        second, DEV, 2, change="- Fewer interruptions; a lighthouse for Fran Hughes", share=True
    )
    return second


@pytest.fixture
def story(store: Store, clock: ManualClock) -> Story:
    return two_meetings(store, clock)


@pytest.fixture
def summary(store: Store, story: Story) -> LearningSummary:
    return learning.learning_summary(store, caller(), names=NAMES)


def every_export(summary: LearningSummary) -> dict[str, str]:
    """The summary in every form it leaves setbot: the three files and the Slack card."""
    card = learning_card(summary)
    outputs = {fmt: write(summary) for fmt, write in FORMATS.items()}
    outputs["card"] = card.text + json.dumps(card.blocks, ensure_ascii=False)
    return outputs


EXPORTS = [*FORMATS, "card"]


@pytest.mark.parametrize("export", EXPORTS)
def test_unshared_words_never_appear_and_shared_ones_do(
    summary: LearningSummary, export: str
) -> None:
    text = every_export(summary)[export].casefold()

    assert [word for word in UNSHARED if word in text] == []
    assert [word for word in SHARED if word not in text] == []


@pytest.mark.parametrize("export", EXPORTS)
def test_no_one_is_named_mentioned_or_identified_in_any_export(
    summary: LearningSummary, export: str
) -> None:
    text = every_export(summary)[export]

    assert IDENTIFYING.findall(text) == []
    assert "asha.patel@example.org" not in text


def test_shared_words_keep_their_sense_with_people_taken_out(summary: LearningSummary) -> None:
    said = {(s.question, s.meeting, s.text) for s in summary.learnings}

    assert said == {
        (
            Question.HAPPENED,
            1,
            "Spoke to a colleague and a member's team about the harbour rota; "
            "emailed an email address",
        ),
        (Question.LEARNED, 1, "A member was right: the orchard needs tending."),
        (Question.HELPED, 1, "The lantern questions from a member and a member slowed me down."),
        (Question.HELPED, 1, "compass: a member's silence made room everyone"),
        (Question.CHANGE, 1, "More time for a member to present."),
        (Question.CHANGE, 2, "- Fewer interruptions; a lighthouse for a member"),
    }


def test_the_figures_add_up(summary: LearningSummary) -> None:
    assert (summary.meetings_held, summary.meetings_planned, summary.rounds) == (2, 3, 3)
    assert (summary.present, summary.expected, summary.attendance_rate) == (6, 8, 0.75)
    assert summary.actions == Actions(committed=4, reported=2, dropped=1, open=1)
    trend = [
        (t.number, t.held_on, t.present, t.expected, t.answered, t.average) for t in summary.trend
    ]
    assert trend == [
        (1, FIRST_MEETING.date(), 3, 4, 3, 4.0),
        (2, SECOND_MEETING_DAY.date(), 3, 4, 2, 3.0),
    ]
    assert (summary.theme, summary.closed) == ("Leading through change", False)


def test_a_score_given_alone_is_not_shown(store: Store, clock: ManualClock) -> None:
    scene = Scene(store, clock)
    a_set(store, clock)
    meeting_id = scene.meeting(asha=PRESENT)
    scene.end()
    scene.reflect(meeting_id, ASHA, 1, share=False)

    summary = learning.learning_summary(store, caller(), names={})

    assert (summary.trend[0].answered, summary.trend[0].average) == (1, None)
    assert "1.0" not in learning.to_markdown(summary)


@pytest.mark.parametrize(
    ("who", "channel", "refusal"),
    [
        (ASHA, CHANNEL, learning.NOT_A_FACILITATOR),
        ("U0OUTSIDE", CHANNEL, None),
        (FACILITATOR, "C0RANDOM", NOT_A_SET_CHANNEL),
    ],
    ids=["member", "outsider", "not a Set's channel"],
)
def test_only_a_facilitator_of_the_set_gets_its_learning(
    store: Store, story: Story, who: str, channel: str, refusal: str | None
) -> None:
    with pytest.raises(Refusal) as refused:
        learning.learning_summary(store, caller(who, channel=channel), names=NAMES)

    assert refusal is None or refused.value.template == refusal


def test_the_facilitator_learns_whose_names_to_look_up(
    store: Store, clock: ManualClock, story: Story
) -> None:
    with pytest.raises(Refusal):
        learning.people_to_name(store, caller(ASHA))

    assert learning.people_to_name(store, caller()) == (FACILITATOR, ASHA, BEN, CARA, DEV)


def test_a_closed_set_still_shares_its_learning(
    store: Store, clock: ManualClock, story: Story
) -> None:
    sets.close_set(store, clock, caller())

    summary = learning.learning_summary(store, caller(), names=NAMES)

    assert summary.closed and summary.meetings_planned == 2


def test_without_names_ids_and_mentions_go_and_the_summary_says_names_may_remain(
    store: Store, story: Story
) -> None:
    summary = learning.set_learning_summary(store, set_id=story.set_id)

    text = learning.to_markdown(summary)
    assert not re.search(r"U0[A-Z]|<[@!#]", text)
    assert "and Ben slowed me down" in text
    assert summary.anonymity_note == learning.IDS_REMOVED and learning.IDS_REMOVED[:40] in text


@pytest.mark.parametrize(
    ("text", "anonymised"),
    [
        ("Ask <@U0ASHA> or <@U0ZED99|zed>", "Ask a member or a colleague"),
        ("<@U0ASHA> asked first", "A member asked first"),
        (
            "Posted in <#C0GENERAL|general> to <!channel> and @here",
            "Posted in a channel to everyone and everyone",
        ),
        ("Ping <!subteam^S0LEADS|@leads> by <!date^1392734382^{date}|Feb 18>", "Ping a group by "),
        (
            "U0ASHA and W0ZED99 agreed; URGENT and UK stay",
            "A member and a colleague agreed; URGENT and UK stay",
        ),
        ("I spoke to asha.p. Patel agreed.", "I spoke to a member. A member agreed."),
        ("ASHA PATEL and asha patel", "A member and a member"),
        ("Benefits for ben, said Ben.", "Benefits for a member, said a member."),
        ("Write to x.y@example.com", "Write to an email address"),
    ],
)
def test_the_anonymiser_says_a_member_or_a_colleague(text: str, anonymised: str) -> None:
    anonymise = Anonymiser(members=[ASHA], names={ASHA: ["Asha Patel", "asha.p"], BEN: ["ben"]})

    assert anonymise(text) == anonymised


@given(before=st.text(), after=st.text(), member=st.sampled_from([ASHA, BEN, CARA, DEV]))
def test_a_members_id_never_survives_whatever_surrounds_it(
    before: str, after: str, member: str
) -> None:
    anonymise = Anonymiser(members=[ASHA, BEN, CARA, DEV], names={})

    said = anonymise(f"{before}<@{member}>{after}{member}{before}")

    assert member not in said


def test_the_csv_is_one_table_with_formulas_kept_as_text(summary: LearningSummary) -> None:
    rows = list(csv.reader(io.StringIO(learning.to_csv(summary))))

    assert rows[0] == ["section", "meeting", "topic", "value"]
    assert {len(row) for row in rows} == {4}
    assert {row[0] for row in rows[1:]} == {"figures", "meeting", "learning"}
    figures = {row[2]: row[3] for row in rows if row[0] == "figures"}
    assert (figures["attendance rate"], figures["actions dropped"]) == ("75%", "1")
    learned = [row for row in rows if row[0] == "learning"]
    assert len(learned) == 6
    assert [
        "learning",
        "2",
        str(Question.CHANGE),
        "'- Fewer interruptions; a lighthouse for a member",
    ] in learned


def test_the_json_holds_the_same_as_the_summary(summary: LearningSummary) -> None:
    document = json.loads(learning.to_json(summary))

    assert document == learning.as_dict(summary)
    assert document["attendance"] == {"present": 6, "expected": 8, "rate": 0.75}
    assert document["trend"][1] == {
        "meeting": 2,
        "held_on": "2027-02-02",
        "present": 3,
        "expected": 4,
        "process_answers": 2,
        "process_average": 3.0,
    }
    assert len(document["shared_learning"]) == 6


def test_markdown_shows_members_words_as_words(summary: LearningSummary) -> None:
    sneaky = SharedLearning(
        question=Question.LEARNED, meeting=1, text="*bold* [link](http://x) <b>hi</b>\n# title"
    )

    text = learning.to_markdown(replace(summary, learnings=(sneaky,)))

    assert r"- \*bold\* \[link\](http://x) \<b\>hi\</b\> \# title (meeting 1)" in text
    assert "## What members agreed to share" in text and "### What they learned" in text
    assert r"- \- Fewer interruptions" in learning.to_markdown(summary)


def test_the_card_is_one_slack_accepts_and_points_to_the_file_when_full(
    summary: LearningSummary,
) -> None:
    many = tuple(
        SharedLearning(question=Question.LEARNED, meeting=1, text=f"lesson {n} " + "x" * 590)
        for n in range(200)
    )

    for shown in (summary, replace(summary, learnings=many), replace(summary, learnings=())):
        card = learning_card(shown)
        assert check_blocks(card.blocks) is None and check_text(card.text) is None
    full = learning_card(replace(summary, learnings=many))
    assert len(full.blocks) <= 50
    shown_count = json.dumps(full.blocks).count("lesson ")
    assert 0 < shown_count < 200
    assert f"…and {200 - shown_count} more in the CSV file." in json.dumps(
        full.blocks, ensure_ascii=False
    )


def test_the_card_escapes_what_members_wrote(summary: LearningSummary) -> None:
    sneaky = SharedLearning(question=Question.HELPED, meeting=None, text="R&D <b>")

    card = learning_card(replace(summary, learnings=(sneaky,)))

    assert "R&amp;D &lt;b&gt;" in json.dumps(card.blocks)


def test_a_file_is_named_after_its_set(summary: LearningSummary) -> None:
    assert learning.filename(summary, "csv") == "new-team-leaders-learning.csv"
