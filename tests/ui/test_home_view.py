"""The App Home tab as Slack shows it: a welcome, a member's Sets and actions, a facilitator's view.

Every Home is checked as Slack would check it (slack_sdk's View and the emulator's rules),
and whatever people typed (Set names, themes, actions) stays text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.clock import ManualClock
from bot.flows import commitments, meetings
from bot.flows.access import Caller
from bot.flows.commitments import CommitmentView
from bot.flows.home import HomeView, MeetingPoint, Nudge, SetCard, SetProgress, home_for
from bot.flows.schedule import Cadence
from bot.flows.sets import SetDraft, form_set
from bot.sim import SlackDriver, SlackEmulator
from bot.sim.layout import VIEW_BLOCKS_MAX, check_view
from bot.store.db import Store
from bot.store.models import AttendanceStatus, CommitmentStatus, Role
from bot.ui import commitments as actions_ui
from bot.ui.home import MAX_ACTIONS_SHOWN, MAX_SETS_SHOWN, home_view
from bot.ui.reminder_preferences import OPEN_BLOCK, OPEN_REMINDERS
from tests.mrkdwn import mrkdwn_texts

FRAN, ASHA, BEN, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0DEV"
OUTSIDER = "U0OUTSIDE"
ONE_TO_ONES = "Hold a one-to-one with each of my team"
CHANNEL = "C0LEADERS"
SNEAKY = "<!channel> R&D <@U0BOSS>"
ESCAPED = "&lt;!channel&gt; R&amp;D &lt;@U0BOSS&gt;"
FEBRUARY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
MARCH = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
APRIL = datetime(2027, 4, 6, 9, 0, tzinfo=UTC)


def a_card(**changes: Any) -> SetCard:
    card = SetCard(
        set_id=3,
        name="New team leaders",
        theme="Leading through change",
        channel_id=CHANNEL,
        role=Role.MEMBER,
        closed=False,
        timezone="Europe/London",
        next_meeting=APRIL,
        under_way=False,
        progress=None,
    )
    return replace(card, **changes)


def some_progress(**changes: Any) -> SetProgress:
    progress = SetProgress(
        held=2,
        planned=3,
        present=7,
        expected=10,
        committed=3,
        reported=1,
        dropped=1,
        meetings=(
            MeetingPoint(
                meeting_id=1,
                held_at=FEBRUARY,
                present=4,
                expected=5,
                reflection_average=4.5,
                reflections=2,
            ),
            MeetingPoint(
                meeting_id=2,
                held_at=MARCH,
                present=3,
                expected=5,
                reflection_average=3.0,
                reflections=2,
            ),
        ),
        nudges=(Nudge(ASHA, 1, 0), Nudge(DEV, 0, 2)),
    )
    return replace(progress, **changes)


def an_action(**changes: Any) -> CommitmentView:
    view = CommitmentView(
        commitment_id=12,
        set_id=3,
        set_name="New team leaders",
        set_channel_id=CHANNEL,
        user_id=ASHA,
        text="Hold a one-to-one with each of my team",
        success_measure="",
        due_on=date(2027, 2, 20),
        status=CommitmentStatus.OPEN,
        overdue=True,
        actionable=True,
    )
    return replace(view, **changes)


def member_home(**changes: Any) -> HomeView:
    home = HomeView(user_id=ASHA, sets=(a_card(),), commitments=(an_action(),))
    return replace(home, **changes)


def facilitator_home(progress: SetProgress | None = None) -> HomeView:
    card = a_card(role=Role.FACILITATOR, progress=progress or some_progress())
    return HomeView(user_id=FRAN, sets=(card,), commitments=())


def slack_accepts(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    assert check_view(view, kind="home") is None
    assert len(view["blocks"]) <= VIEW_BLOCKS_MAX


def shown(view: dict[str, Any]) -> str:
    return "\n".join(mrkdwn_texts(view))


def buttons(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The buttons on the actions listed (the one for choosing reminders is always there)."""
    return [
        (b["block_id"], e["action_id"], e.get("value", ""))
        for b in view["blocks"]
        if b["type"] == "actions" and b["block_id"] != OPEN_BLOCK
        for e in b["elements"]
    ]


def test_someone_in_a_set_can_choose_their_reminders_from_home() -> None:
    opens = [
        e["action_id"]
        for b in home_view(member_home())["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert opens.count(OPEN_REMINDERS) == 1
    assert OPEN_REMINDERS not in str(home_view(None)), "the welcome has no reminders to choose"


@pytest.mark.parametrize(
    "home",
    [member_home(), facilitator_home(), HomeView(user_id=BEN, sets=(), commitments=()), None],
    ids=["member", "facilitator", "in no set", "not looked up"],
)
def test_every_home_is_a_view_slack_accepts(home: HomeView | None) -> None:
    slack_accepts(home_view(home))


@pytest.mark.parametrize("home", [HomeView(user_id=BEN, sets=(), commitments=()), None])
def test_someone_in_no_set_is_welcomed_with_how_to_begin(home: HomeView | None) -> None:
    view = home_view(home)

    assert view["blocks"][0]["text"]["text"] == "Welcome to setbot"
    text = shown(view)
    assert "A facilitator types `/set new` in any channel to form a Set." in text
    assert "`/action new` — Commit to an action" in text
    assert buttons(view) == []


def test_a_member_sees_their_set_where_it_meets_and_when_in_its_own_zone() -> None:
    text = shown(home_view(member_home()))

    assert "*New team leaders* · member\n_Leading through change_\nMeets in <#C0LEADERS>" in text
    assert "*Next meeting:* Tue 6 Apr 2027, 10:00 (BST)" in text
    assert "Progress" not in text and "nudge" not in text


@pytest.mark.parametrize(
    ("card", "words"),
    [
        (a_card(under_way=True), "*A meeting is under way now.*"),
        (a_card(next_meeting=None), "No more meetings are planned yet."),
        (a_card(next_meeting=None, closed=True), "· member · closed"),
    ],
    ids=["under way", "nothing planned", "closed"],
)
def test_the_set_says_what_comes_next(card: SetCard, words: str) -> None:
    assert words in shown(home_view(member_home(sets=(card,))))


def test_open_actions_have_report_back_and_still_working_buttons() -> None:
    view = home_view(member_home())

    assert buttons(view) == [
        ("action_buttons_12", actions_ui.REPORT_BACK, "12"),
        ("action_buttons_12", actions_ui.STILL_WORKING, "12"),
    ]
    assert "*New team leaders* · due Sat 20 Feb 2027 — *overdue*\nHold a one-to-one" in shown(view)


def test_an_action_in_a_closed_set_is_listed_without_buttons() -> None:
    closed = an_action(actionable=False, status=CommitmentStatus.WORKING, overdue=False)

    view = home_view(member_home(commitments=(closed,)))

    assert buttons(view) == []
    assert "you're working on it · the Set has closed" in shown(view)


def test_a_member_with_no_open_actions_is_told_how_to_record_one() -> None:
    assert "Record one any time with `/action new`" in shown(home_view(member_home(commitments=())))


def test_a_facilitator_sees_progress_with_bars_and_the_reflection_trend() -> None:
    text = shown(home_view(facilitator_home()))

    assert "*New team leaders* · facilitator" in text
    assert "Meetings: 2 held of 3 planned" in text
    assert "Attendance: ▇▇▇▇▇▇▇▁▁▁ 70% (7 of 10 expected)" in text
    assert "Actions: 3 committed · 1 reported back · 1 dropped · 1 still open" in text
    assert "Process reflection (1–5): ▆▄  2 Feb 4.5 · 2 Mar 3.0" in text


def test_who_needs_a_nudge_says_why() -> None:
    both = Nudge(BEN, 2, 3)
    progress = some_progress(nudges=(*some_progress().nudges, both))

    text = shown(home_view(facilitator_home(progress)))

    assert (
        "*Who might need a nudge*\n"
        "• <@U0ASHA>: 1 overdue action\n"
        "• <@U0DEV>: missed the last 2 meetings\n"
        "• <@U0BEN>: 2 overdue actions and missed the last 3 meetings"
    ) in text


def test_a_set_that_has_not_met_says_so_rather_than_showing_empty_figures() -> None:
    fresh = some_progress(
        held=0, present=0, expected=0, committed=0, reported=0, dropped=0, meetings=(), nudges=()
    )

    text = shown(home_view(facilitator_home(fresh)))

    assert "Attendance: no meetings held yet" in text
    assert "Process reflection: no answers yet" in text
    assert "*Who might need a nudge*\nNo one right now." in text


def test_many_sets_and_actions_stay_within_slacks_100_blocks() -> None:
    busy = some_progress(nudges=tuple(Nudge(f"U0M{i:02d}", i, 2) for i in range(12)))
    cards = tuple(
        a_card(set_id=i, name=f"Set {i}", role=Role.FACILITATOR, progress=busy) for i in range(30)
    )
    actions = tuple(an_action(commitment_id=i, text="word " * 700) for i in range(40))

    view = home_view(HomeView(user_id=FRAN, sets=cards, commitments=actions))

    slack_accepts(view)
    text = shown(view)
    assert f"And {30 - MAX_SETS_SHOWN} more. Type `/set`" in text
    assert f"And {40 - MAX_ACTIONS_SHOWN} more: type `/action`." in text
    assert len(buttons(view)) == 2 * MAX_ACTIONS_SHOWN


def test_typed_text_never_reaches_slack_raw_and_is_escaped_once() -> None:
    card = a_card(name=SNEAKY, theme=SNEAKY, role=Role.FACILITATOR, progress=some_progress())
    action = an_action(set_name=SNEAKY, text=SNEAKY)

    view = home_view(HomeView(user_id=FRAN, sets=(card,), commitments=(action,)))

    text = shown(view)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    assert text.count(ESCAPED) == 4, "the Set's name and theme, and the action's Set and text"
    assert "&amp;lt;" not in text
    slack_accepts(view)


# From the flows to Slack: real records, a real Home, Slack's checks.


@pytest.fixture
def team(store: Store, clock: ManualClock, slack: SlackEmulator) -> str:
    """A Set met in February; Asha came and committed to an action, Dev sent apologies."""
    for user in (FRAN, ASHA, BEN, DEV, OUTSIDER):
        slack.add_user(user, name=user[3:].lower())
    draft = SetDraft(
        name="New team leaders",
        theme="Leading through change",
        facilitators=(FRAN,),
        members=(ASHA, BEN, DEV),
        cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
        first_at=FEBRUARY,
        timezone="Europe/London",
    )
    team_id = slack.team_id
    form_set(store, clock, team_id=team_id, created_by=FRAN, draft=draft, channel_id=CHANNEL)
    clock.set(FEBRUARY)
    card = meetings.start_meeting(store, clock, in_the_set(team_id, FRAN))
    for user, status in ((ASHA, AttendanceStatus.PRESENT), (DEV, AttendanceStatus.APOLOGIES)):
        meetings.check_in(
            store, clock, team_id=team_id, meeting_id=card.meeting_id, user_id=user, status=status
        )
    commitments.commit(
        store, clock, in_the_set(team_id, ASHA), text=ONE_TO_ONES, due_on=date(2027, 2, 20)
    )
    clock.advance(timedelta(hours=2))
    meetings.end_meeting(store, clock, in_the_set(team_id, FRAN))
    return team_id


def in_the_set(team_id: str, user: str) -> Caller:
    return Caller(team_id=team_id, user_id=user, channel_id=CHANNEL)


def publish(slack: SlackEmulator, user: str, view: dict[str, Any]) -> str:
    """Publish through the emulator, which refuses any layout Slack would; the view's id."""
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    return str(client.views_publish(user_id=user, view=view)["view"]["id"])


@pytest.mark.parametrize("user", [FRAN, ASHA, OUTSIDER], ids=["facilitator", "member", "none"])
def test_a_home_built_from_the_records_is_one_slack_accepts(
    user: str, store: Store, clock: ManualClock, slack: SlackEmulator, team: str
) -> None:
    view = home_view(home_for(store, clock, team_id=team, user_id=user))

    slack_accepts(view)
    publish(slack, user, view)


def test_report_back_pressed_on_home_opens_the_report_modal_and_records_it(
    store: Store, clock: ManualClock, slack: SlackEmulator, driver: SlackDriver, team: str
) -> None:
    home_id = publish(slack, ASHA, home_view(home_for(store, clock, team_id=team, user_id=ASHA)))

    driver.block_action(actions_ui.REPORT_BACK, user=ASHA, view=home_id)
    slack.wait_for("views.open")
    driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=ASHA,
        answers={actions_ui.HAPPENED_BLOCK: "Four of five happened"},
    )
    slack.wait_for(
        "chat.postMessage", where=lambda c: "Thank you for reporting back" in c.args["text"]
    )

    assert home_for(store, clock, team_id=team, user_id=ASHA).commitments == ()
