"""Each member's private learning log: asked after the meeting, kept for their eyes only.

The New team leaders Set meets; Asha and Ben are there, Cara sends apologies. Afterwards
Asha writes what she learned, reports back on an action and reflects on the process; her
log gathers all three, newest first, and no one else's Home or export holds any of it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import commitments, forget, home, learning_log, meetings, reflection
from bot.flows.access import Refusal
from bot.flows.learning_log import LoggedLearning, LoggedReflection, LoggedReport
from bot.flows.sharing import ShareTag
from bot.scheduler import tick
from bot.store.db import Store
from bot.store.models import AttendanceStatus, LearningEntry, ReminderPreference
from tests.factories import TEAM
from tests.flows.test_learning import ASHA, BEN, CARA, FACILITATOR, a_set, caller
from tests.flows.test_outbox import RecordingMessenger

SECRET = "PRIVATE-HERON my manager never listens"


def meet(store: Store, clock: ManualClock, *, end: bool = True) -> int:
    """A meeting of the Set: Asha and Ben are there, Cara sends apologies."""
    meeting = meetings.start_meeting(store, clock, caller()).meeting_id
    for who, how in ((ASHA, "present"), (BEN, "present"), (CARA, "apologies")):
        meetings.check_in(
            store,
            clock,
            team_id=TEAM,
            meeting_id=meeting,
            user_id=who,
            status=AttendanceStatus(how),
        )
    if end:
        clock.advance(timedelta(hours=2))
        meetings.end_meeting(store, clock, caller())
    return meeting


def write(
    store: Store, clock: ManualClock, who: str, meeting_id: int, issue: str, learning: str = ""
) -> learning_log.SavedEntry:
    return learning_log.write_entry(
        store,
        clock,
        team_id=TEAM,
        user_id=who,
        meeting_id=meeting_id,
        about_issue=issue,
        about_learning=learning,
        tag=None,
    )


@pytest.fixture
def meeting_id(store: Store, clock: ManualClock) -> int:
    a_set(store, clock)
    return meet(store, clock)


def test_everyone_who_was_there_is_asked_and_no_one_else(store: Store, meeting_id: int) -> None:
    asked = learning_log.log_prompts(store, team_id=TEAM, meeting_id=meeting_id)

    assert [p.user_id for p in asked] == [ASHA, BEN]
    assert {p.set_name for p in asked} == {"New team leaders"}
    assert learning_log.log_prompts(store, team_id="T0OTHER", meeting_id=meeting_id) == ()


def test_writing_again_for_the_same_meeting_updates_the_entry(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    first = write(store, clock, ASHA, meeting_id, "First thoughts")
    second = write(store, clock, ASHA, meeting_id, SECRET, "I learn by writing")

    assert (first.updated, second.updated, first.entry_id) == (False, True, second.entry_id)
    form = learning_log.log_form(store, team_id=TEAM, user_id=ASHA, meeting_id=meeting_id)
    assert (form.about_issue, form.about_learning) == (SECRET, "I learn by writing")


@pytest.mark.parametrize(
    ("issue", "learning", "problem"),
    [
        ("", "  ", learning_log.NOTHING_WRITTEN),
        ("x" * 3001, "", learning_log.TOO_LONG),
    ],
    ids=["nothing written", "too long"],
)
def test_an_empty_or_overlong_entry_is_refused_and_nothing_is_kept(
    store: Store, clock: ManualClock, meeting_id: int, issue: str, learning: str, problem: str
) -> None:
    with pytest.raises(Refusal) as refused:
        write(store, clock, ASHA, meeting_id, issue, learning)

    assert refused.value.template == problem
    with store.session() as session:
        assert session.exec(select(LearningEntry)).all() == []


@pytest.mark.parametrize(
    ("who", "problem"),
    [(CARA, learning_log.NOT_PRESENT), (FACILITATOR, learning_log.NOT_PRESENT)],
    ids=["sent apologies", "facilitator"],
)
def test_only_members_who_were_there_have_a_page_for_the_meeting(
    store: Store, clock: ManualClock, meeting_id: int, who: str, problem: str
) -> None:
    with pytest.raises(Refusal) as opened:
        learning_log.log_form(store, team_id=TEAM, user_id=who, meeting_id=meeting_id)
    with pytest.raises(Refusal) as written:
        write(store, clock, who, meeting_id, "Something")

    assert opened.value.template == written.value.template == problem


def test_a_meeting_still_under_way_or_of_another_team_has_no_log_yet(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    clock.advance(timedelta(days=28))
    under_way = meet(store, clock, end=False)

    with pytest.raises(Refusal) as early:
        learning_log.log_form(store, team_id=TEAM, user_id=ASHA, meeting_id=under_way)
    with pytest.raises(Refusal) as elsewhere:
        learning_log.log_form(store, team_id="T0OTHER", user_id=ASHA, meeting_id=meeting_id)

    assert early.value.template == learning_log.NOT_ENDED
    assert elsewhere.value.template == learning_log.NO_SUCH_MEETING


def test_a_members_log_gathers_their_report_backs_reflections_and_entries_newest_first(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    reflection.reflect(
        store,
        clock,
        team_id=TEAM,
        meeting_id=meeting_id,
        user_id=ASHA,
        score=4,
        helped="Open questions",
        change="",
        share=False,
    )
    clock.advance(timedelta(minutes=5))
    write(store, clock, ASHA, meeting_id, SECRET)
    write(store, clock, BEN, meeting_id, "Ben's own words")
    action = commitments.commit(store, clock, caller(ASHA), text="Ask the team", due_on=None)
    clock.advance(timedelta(days=3))
    commitments.report_back(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        commitment_id=action.commitment_id,
        happened="They drafted the rota",
        learned="Asking works",
        share=False,
    )

    with store.session() as session:
        mine = learning_log.my_log(session, team_id=TEAM, user_id=ASHA)
        fran = learning_log.my_log(session, team_id=TEAM, user_id=FACILITATOR)

    assert [type(item) for item in mine] == [LoggedReport, LoggedLearning, LoggedReflection]
    assert "Ben's own words" not in str(mine)
    assert fran == ()


def test_the_log_shows_on_its_writers_home_only(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    write(store, clock, ASHA, meeting_id, SECRET)

    homes = {
        who: home.home_for(store, clock, team_id=TEAM, user_id=who)
        for who in (ASHA, BEN, CARA, FACILITATOR)
    }

    assert SECRET in str(homes[ASHA].log)
    assert [who for who, shown in homes.items() if SECRET in str(shown)] == [ASHA]


def test_the_home_shows_at_most_ten_things_from_the_log(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    for _ in range(11):
        clock.advance(timedelta(days=7))
        write(store, clock, ASHA, meet(store, clock), "Another lesson")

    shown = home.home_for(store, clock, team_id=TEAM, user_id=ASHA).log

    assert len(shown) == learning_log.LOG_SHOWN == 10
    assert [item.at for item in shown] == sorted((item.at for item in shown), reverse=True)


def test_forgetting_deletes_the_log_and_the_reminder_settings(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    write(store, clock, ASHA, meeting_id, SECRET)
    write(store, clock, BEN, meeting_id, "Ben keeps his")
    with store.session() as session:
        session.add(ReminderPreference(team_id=TEAM, user_id=ASHA, muted=["commitment_nudge"]))
    plan = forget.forget_plan(store, caller(ASHA))
    assert plan.records.learning_entries == 1

    done = forget.forget_me(store, clock, team_id=TEAM, user_id=ASHA, set_id=plan.scope)

    assert done.records.learning_entries == 1 and done.settings_forgotten
    with store.session() as session:
        left = [(e.user_id, e.about_issue) for e in session.exec(select(LearningEntry))]
        assert session.get(ReminderPreference, (TEAM, ASHA)) is None
    assert left == [(BEN, "Ben keeps his")]


def test_reminder_settings_stay_while_they_are_in_another_set(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    a_set(store, clock, name="Second Set", channel="C0SECOND")
    with store.session() as session:
        session.add(ReminderPreference(team_id=TEAM, user_id=ASHA))

    plan = forget.forget_plan(store, caller(ASHA))
    done = forget.forget_me(store, clock, team_id=TEAM, user_id=ASHA, set_id=plan.scope)

    assert not done.settings_forgotten
    with store.session() as session:
        assert session.get(ReminderPreference, (TEAM, ASHA)) is not None


def test_her_export_holds_her_log_and_reminder_settings(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    write(store, clock, ASHA, meeting_id, SECRET)
    write(store, clock, BEN, meeting_id, "Ben keeps his")
    with store.session() as session:
        session.add(ReminderPreference(team_id=TEAM, user_id=ASHA, muted=["commitment_nudge"]))

    export = forget.export_member(store, team_id=TEAM, user_id=ASHA)

    [entry] = export["learning_log"]
    assert (entry["set"], entry["about_issue"], entry["share_consent"]) == (
        "New team leaders",
        SECRET,
        False,
    )
    assert export["reminder_settings"][0]["muted"] == ["commitment_nudge"]
    assert "Ben keeps his" not in str(export)


def test_a_meeting_the_bot_closes_asks_those_there_in_their_waking_hours(
    store: Store, clock: ManualClock
) -> None:
    a_set(store, clock)
    meet(store, clock, end=False)
    messenger = RecordingMessenger()
    clock.advance(timedelta(hours=2, minutes=31))

    tick(store=store, messenger=messenger, clock=clock)

    prompts = [n for n in messenger.delivered if isinstance(n.message, learning_log.LogPrompt)]
    assert [(n.user, n.channel) for n in prompts] == [(ASHA, None), (BEN, None)]


def test_no_one_is_asked_once_they_have_written_for_that_meeting(
    store: Store, clock: ManualClock
) -> None:
    a_set(store, clock)
    meeting = meet(store, clock, end=False)
    clock.set(clock.now().replace(hour=19, minute=31))  # closed late: asked next morning
    tick(store=store, messenger=RecordingMessenger(), clock=clock)
    write(store, clock, ASHA, meeting, "Written before the morning")
    messenger = RecordingMessenger()

    clock.advance(timedelta(hours=14))
    tick(store=store, messenger=messenger, clock=clock)

    asked = [n.user for n in messenger.delivered if isinstance(n.message, learning_log.LogPrompt)]
    assert asked == [BEN]


def test_a_tag_is_kept_with_the_entry(store: Store, clock: ManualClock, meeting_id: int) -> None:
    learning_log.write_entry(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        meeting_id=meeting_id,
        about_issue="Staff need training on the new rota tool",
        about_learning="",
        tag=ShareTag.TRAINING,
    )

    form = learning_log.log_form(store, team_id=TEAM, user_id=ASHA, meeting_id=meeting_id)

    assert form.tag == ShareTag.TRAINING
