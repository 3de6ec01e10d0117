"""The scripted Set: Fran and four members, two meetings a month apart, as steps.

Each step does what a person would do in Slack (a command, a click, a form, a thread
reply) and then checks that the bot answered as it should; a step that does not get its
reply stops the story with `DemoStepFailed`, so `setbot demo` doubles as a smoke test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.demo.render import Entry, entries_from
from bot.demo.stage import DemoStepFailed, Stage, expect, newest, ok, open_stage, private
from bot.flows.sharing import ShareTag
from bot.ui import commitments as actions_ui
from bot.ui import meeting as meeting_ui
from bot.ui import new_set
from bot.ui import reflection as reflection_ui
from bot.ui import resources as resources_ui
from bot.ui import rounds as rounds_ui
from bot.ui import sets as cards
from bot.ui import sharing as sharing_ui

FRAN, ASHA, BEN, CARA, DEV = "U0FRAN", "U0ASHA", "U0BEN", "U0CARA", "U0DEV"
# A workspace admin, and the organisation lead they name: neither is in the Set.
OLU, GITA = "U0OLU", "U0GITA"
MEMBERS = (ASHA, BEN, CARA, DEV)
# user id → (handle, full name, Slack time zone): a Set spread over three continents.
PEOPLE = {
    FRAN: ("fran", "Fran Okafor", "Europe/London"),
    ASHA: ("asha", "Asha Patel", "Europe/London"),
    BEN: ("ben", "Ben Li", "Asia/Kolkata"),
    CARA: ("cara", "Cara Jones", "America/New_York"),
    DEV: ("dev", "Dev Sharma", "Europe/Berlin"),
    OLU: ("olu", "Olu Adeyemi", "Europe/London"),
    GITA: ("gita", "Gita Rao", "Europe/London"),
}
ADMINS = (OLU,)
SET_ZONE = "Europe/London"
LOBBY = "C0LOBBY"
START = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # a Tuesday in January: Fran forms the Set
FIRST = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)  # the first Tuesday of February, 10:00 GMT
SECOND = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # the first Tuesday of March


@dataclass(frozen=True)
class Step:
    """One thing people do, named as the story tells it."""

    name: str
    run: Callable[[Stage], None]


def run_demo(
    steps: list[Step] | None = None,
    *,
    people: dict[str, tuple[str, str, str]] = PEOPLE,
    start: datetime = START,
) -> list[Entry]:
    """Play every step on a fresh stage; the conversation as timed entries for rendering."""
    with open_stage(start) as stage:
        for user, (name, real, zone) in people.items():
            admin = user in ADMINS
            stage.slack.add_user(user, name=name, real_name=real, tz=zone, is_admin=admin)
        for step in STEPS if steps is None else steps:
            with _named(step.name):
                step.run(stage)
            stage.stamp()
        with stage.slack.workspace() as ws:
            return entries_from(ws, stage.history, SET_ZONE)


@contextmanager
def _named(name: str) -> Iterator[None]:
    """Any missing reply inside a step is reported under the step's name."""
    try:
        yield
    except DemoStepFailed:
        raise
    except (AssertionError, LookupError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise DemoStepFailed(f"{name}: {reason}") from error


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """A time on a meeting day (GMT, so also UTC)."""
    return day.replace(hour=hour, minute=minute)


def set_channel(stage: Stage) -> str:
    """The Set's channel: where the welcome card was posted."""
    return str(expect(stage, "Welcome to").args["channel"])


# -- forming the Set --------------------------------------------------------------------------


def form_the_set(stage: Stage) -> None:
    """Fran fills in `/set new` in the lobby: the Set gets its channel and a welcome."""
    form_a_set(
        stage,
        name="New team leaders",
        theme="Leading through change",
        members=MEMBERS,
        first_date="2027-02-02",
    )


def form_a_set(
    stage: Stage, *, name: str, theme: str, members: tuple[str, ...], first_date: str
) -> None:
    """Fran fills in the New Set form in the lobby; the Set's channel welcomes everyone."""
    stage.driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    expect(stage, "", method="views.open")
    reply = stage.driver.submit_form(
        new_set.NEW_SET_VIEW,
        user=FRAN,
        answers={
            new_set.NAME_BLOCK: name,
            new_set.THEME_BLOCK: theme,
            new_set.MEMBERS_BLOCK: list(members),
            new_set.FIRST_DATE_BLOCK: first_date,
        },
    )
    ok(reply, "the New Set form")
    expect(stage, "Welcome to")
    expect(stage, "is ready in")


def agree_ground_rules(stage: Stage) -> None:
    """Everyone presses I agree on the welcome card until the bot says all have."""
    channel = set_channel(stage)
    welcome = newest(stage, channel, "Welcome to")
    for user in (FRAN, *MEMBERS):
        ok(
            stage.driver.block_action(
                cards.AGREE_TO_RULES, user=user, channel=channel, message_ts=welcome.ts
            ),
            "I agree",
        )
    expect(stage, "Everyone", method="response_url")


def see_the_schedule(stage: Stage) -> None:
    """Ben asks what's coming; the first meeting must be on the list."""
    reply = stage.driver.slash_command(
        "/set", "schedule", user_id=BEN, channel_id=set_channel(stage)
    )
    ok(reply, "/set schedule")
    if "Tue 2 Feb 2027" not in str(reply.json):
        raise AssertionError("the schedule does not show the first meeting")


def the_run_up_to_meeting_one(stage: Stage) -> None:
    """The prepare DMs, Fran's digest and the channel reminder arrive."""
    stage.tick_until(FIRST)
    private(stage, ASHA, "What issue will you bring")
    private(stage, FRAN, "report back")
    expect(stage, "meets tomorrow")


# -- meeting 1 ---------------------------------------------------------------------------------


def start_meeting_one(stage: Stage) -> None:
    """Fran starts meeting 1 on the card; every member checks in with a button."""
    channel = set_channel(stage)
    stage.driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    expect(stage, "under way")
    card = newest(stage, channel, "under way")
    for member in MEMBERS:
        stage.driver.block_action(
            meeting_ui.CHECK_IN_PRESENT, user=member, channel=channel, message_ts=card.ts
        )
    stage.tick_until(at(FIRST, 10, 2))


def next_phase(stage: Stage, root: str, who: str) -> None:
    """`who` presses Next on the newest prompt in the round's thread."""
    channel = set_channel(stage)
    prompt = newest(stage, channel, rounds_ui.ROUND_NEXT, thread=root)
    ok(
        stage.driver.block_action(
            rounds_ui.ROUND_NEXT, user=who, channel=channel, message_ts=prompt.ts
        ),
        "Next",
    )


def open_round(stage: Stage, presenter: str) -> str:
    """Fran opens `presenter`'s round; the ts of its thread's root."""
    channel = set_channel(stage)
    name = PEOPLE[presenter][0]
    stage.driver.slash_command(
        "/round", f"open <@{presenter}|{name}>", user_id=FRAN, channel_id=channel
    )
    expect(stage, f"<@{presenter}>'s round")
    return newest(stage, channel, f"<@{presenter}>'s round").ts


def say(stage: Stage, root: str, user: str, text: str) -> None:
    """A reply in the round's thread, as the member types it."""
    stage.driver.message(set_channel(stage), text, user=user, thread_ts=root)


def commit(stage: Stage, root: str, presenter: str, action: str, measure: str) -> None:
    """The presenter presses Commit under the round and fills in the action."""
    channel = set_channel(stage)
    prompt = newest(stage, channel, rounds_ui.COMMIT_ACTION, thread=root)
    stage.driver.block_action(
        rounds_ui.COMMIT_ACTION, user=presenter, channel=channel, message_ts=prompt.ts
    )
    reply = stage.driver.submit_form(
        actions_ui.COMMIT_VIEW,
        user=presenter,
        answers={actions_ui.TEXT_BLOCK: action, actions_ui.MEASURE_BLOCK: measure},
    )
    ok(reply, "the commitment form")
    expect(stage, action)


def signpost(stage: Stage, title: str, link: str) -> None:
    """Fran points the round to an example of good practice: the P in L = P + Q."""
    stage.driver.slash_command("/round", "signpost", user_id=FRAN, channel_id=set_channel(stage))
    expect(stage, "", method="views.open")
    reply = stage.driver.submit_form(
        resources_ui.SIGNPOST_VIEW,
        user=FRAN,
        answers={resources_ui.TITLE_BLOCK: title, resources_ui.LINK_BLOCK: link},
    )
    ok(reply, "the signpost form")
    expect(stage, "Good practice")


def ashas_round(stage: Stage) -> None:
    """A full round: one advice-as-question is coached privately; Asha commits."""
    root = open_round(stage, ASHA)
    say(stage, root, ASHA, "My team resists the new rota & I avoid the <conversation>.")
    stage.tick_until(at(FIRST, 10, 8))
    next_phase(stage, root, ASHA)  # describe → questions
    say(stage, root, BEN, "What have you tried so far?")
    say(stage, root, CARA, "Have you tried just telling them it's final?")
    private(stage, CARA, "open question")
    say(stage, root, DEV, "What would a good conversation look like to you?")
    stage.tick_until(at(FIRST, 10, 15))
    next_phase(stage, root, FRAN)  # ideas
    say(stage, root, CARA, "I wonder if the team could draft the rota with you.")
    signpost(stage, "Rotas people design together", "https://www.example.org/rotas")
    next_phase(stage, root, FRAN)  # reflect and decide
    commit(stage, root, ASHA, "Co-design the rota with two volunteers", "A rota all sign off")
    stage.tick_until(at(FIRST, 10, 25))
    next_phase(stage, root, FRAN)
    expect(stage, "end of <@U0ASHA>'s round")


def bens_round(stage: Stage) -> None:
    """A shorter round that runs over its slot; Ben commits too."""
    root = open_round(stage, BEN)
    say(stage, root, BEN, "I have two new hires and no time to coach them.")
    next_phase(stage, root, BEN)
    say(stage, root, ASHA, "Who else in the team could coach them?")
    next_phase(stage, root, FRAN)
    next_phase(stage, root, FRAN)
    commit(stage, root, BEN, "Ask two peers how they onboard people", "Two conversations held")
    stage.tick_until(at(FIRST, 10, 55))
    next_phase(stage, root, FRAN)
    expect(stage, "end of <@U0BEN>'s round")


def caras_round(stage: Stage) -> None:
    """Fran closes Cara's round early; Cara is asked privately to record an action."""
    root = open_round(stage, CARA)
    say(stage, root, CARA, "My manager changes priorities every week.")
    stage.tick_until(at(FIRST, 11, 20))
    stage.driver.slash_command("/round", "close", user_id=FRAN, channel_id=set_channel(stage))
    expect(stage, "record an action", method="chat.postEphemeral")


def end_meeting_one(stage: Stage) -> None:
    """The summary, Fran's stats and the reflection prompt follow `/meeting end`."""
    stage.tick_until(at(FIRST, 11, 45))
    stage.driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=set_channel(stage))
    expect(stage, "has ended")
    expect(stage, "Reflect on today")


def reflect(stage: Stage) -> None:
    """Two members reflect in the modal; the Set sees only the average."""
    channel = set_channel(stage)
    prompt = newest(stage, channel, "Reflect on today")
    for member, score, helped in ((ASHA, "4", "Ben's questions"), (DEV, "5", "Time to think")):
        stage.driver.block_action(
            reflection_ui.REFLECT, user=member, channel=channel, message_ts=prompt.ts
        )
        reply = stage.driver.submit_form(
            reflection_ui.REFLECT_VIEW,
            user=member,
            answers={reflection_ui.SCORE_BLOCK: score, reflection_ui.HELPED_BLOCK: helped},
        )
        ok(reply, "the reflection form")
    expect(stage, "4.5")


# -- the month between -------------------------------------------------------------------------


def the_month_between(stage: Stage) -> None:
    """Reminders and nudges arrive at their times; Ben reports back from his DM."""
    stage.tick_until(datetime(2027, 2, 20, 9, 0, tzinfo=UTC))
    nudge = private(stage, BEN, actions_ui.REPORT_BACK)
    stage.driver.block_action(
        actions_ui.REPORT_BACK, user=BEN, channel=nudge.channel, message_ts=nudge.ts
    )
    reply = stage.driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=BEN,
        answers={
            actions_ui.HAPPENED_BLOCK: "Both peers pair new hires with a buddy for a month",
            actions_ui.LEARNED_BLOCK: "New leaders need coaching on how to ask for help",
            actions_ui.REPORT_SHARE_BLOCK: [actions_ui.SHARE_VALUE],
            actions_ui.REPORT_TAG_BLOCK: ShareTag.TRAINING.value,
        },
    )
    ok(reply, "the report-back form")
    # He sees exactly what would be shared, without names, and says yes to it.
    ok(stage.driver.submit_form(sharing_ui.SHARE_VIEW, user=BEN, answers={}), "the share preview")


def asha_reports_back(stage: Stage) -> None:
    """Asha uses her `/action` list instead, the week before the meeting."""
    stage.tick_until(datetime(2027, 2, 25, 18, 0, tzinfo=UTC))
    channel = set_channel(stage)
    ok(stage.driver.slash_command("/action", "", user_id=ASHA, channel_id=channel), "/action")
    mine = private(stage, ASHA, actions_ui.REPORT_BACK)
    stage.driver.block_action(
        actions_ui.REPORT_BACK, user=ASHA, channel=channel, message_ts=mine.ts
    )
    reply = stage.driver.submit_form(
        actions_ui.REPORT_VIEW,
        user=ASHA,
        answers={
            actions_ui.HAPPENED_BLOCK: "Two volunteers drafted it; everyone signed off",
            actions_ui.LEARNED_BLOCK: "People own what they help to make",
            actions_ui.REPORT_SHARE_BLOCK: [actions_ui.SHARE_VALUE],
        },
    )
    ok(reply, "the report-back form")
    ok(stage.driver.submit_form(sharing_ui.SHARE_VIEW, user=ASHA, answers={}), "the share preview")


def the_run_up_to_meeting_two(stage: Stage) -> None:
    """Fran's digest says who reported back; the channel is reminded."""
    stage.tick_until(SECOND)
    private(stage, FRAN, "Reported back since the last meeting")
    expect(stage, "meets tomorrow")


# -- meeting 2 ---------------------------------------------------------------------------------


def start_meeting_two(stage: Stage) -> None:
    """Meeting 2: three check in, Dev sends apologies."""
    channel = set_channel(stage)
    stage.driver.slash_command("/meeting", "start", user_id=FRAN, channel_id=channel)
    card = newest(stage, channel, "under way")
    for member in MEMBERS:
        action = meeting_ui.CHECK_IN_APOLOGIES if member == DEV else meeting_ui.CHECK_IN_PRESENT
        stage.driver.block_action(action, user=member, channel=channel, message_ts=card.ts)


def report_back_rounds(stage: Stage) -> None:
    """Ben's and Asha's rounds open with what they reported back."""
    for presenter, words in ((BEN, "buddy for a month"), (ASHA, "everyone signed off")):
        root = open_round(stage, presenter)
        report = newest(stage, set_channel(stage), words, thread=root)
        if report.ts == root:
            raise AssertionError(f"{PEOPLE[presenter][0]}'s round has no report-back reply")
        say(stage, root, presenter, "It went better than I feared, and I'd do it again.")
        say(stage, root, CARA, "What surprised you most?")
        stage.tick_until(stage.clock.now() + timedelta(minutes=20))
        stage.driver.slash_command("/round", "close", user_id=FRAN, channel_id=set_channel(stage))


def stats_for_fran(stage: Stage) -> None:
    """Fran looks at who spoke and asked, mid-meeting, privately."""
    reply = stage.driver.slash_command(
        "/meeting", "stats", user_id=FRAN, channel_id=set_channel(stage)
    )
    ok(reply, "/meeting stats")


def end_meeting_two(stage: Stage) -> None:
    """Meeting 2 ends with its summary."""
    stage.tick_until(at(SECOND, 11, 45))
    stage.driver.slash_command("/meeting", "end", user_id=FRAN, channel_id=set_channel(stage))
    expect(stage, "has ended")


def the_learning_summary(stage: Stage) -> None:
    """Fran's anonymised learning summary carries what members agreed to share."""
    reply = stage.driver.slash_command(
        "/set", "learning", user_id=FRAN, channel_id=set_channel(stage)
    )
    ok(reply, "/set learning")
    if "People own what they help to make" not in str(reply.json):
        raise AssertionError("the learning summary leaves out Asha's shared learning")


def the_organisation_report(stage: Stage) -> None:
    """Olu, a workspace admin, names Gita the organisation lead; she reads across the Sets."""
    stage.driver.slash_command("/set", f"org-lead <@{GITA}|gita>", user_id=OLU, channel_id=LOBBY)
    private(stage, GITA, "/set org-report")
    reply = stage.driver.slash_command("/set", "org-report", user_id=GITA, channel_id=LOBBY)
    ok(reply, "/set org-report")
    if "People own what they help to make" not in str(reply.json):
        raise AssertionError("the organisation report leaves out what Asha agreed to share")
    if "New leaders need coaching" not in str(reply.json):
        raise AssertionError("the organisation report leaves out the training need Ben raised")


STEPS = [
    Step("Fran forms the Set with /set new", form_the_set),
    Step("everyone agrees the ground rules", agree_ground_rules),
    Step("Ben looks at the schedule", see_the_schedule),
    Step("the run-up to meeting 1", the_run_up_to_meeting_one),
    Step("meeting 1 starts and everyone checks in", start_meeting_one),
    Step("Asha's round", ashas_round),
    Step("Ben's round", bens_round),
    Step("Cara's round", caras_round),
    Step("meeting 1 ends", end_meeting_one),
    Step("members reflect on the process", reflect),
    Step("the month between: Ben reports back from his DM", the_month_between),
    Step("Asha reports back from /action", asha_reports_back),
    Step("the run-up to meeting 2", the_run_up_to_meeting_two),
    Step("meeting 2 starts", start_meeting_two),
    Step("rounds open with report-backs", report_back_rounds),
    Step("Fran looks at the stats", stats_for_fran),
    Step("meeting 2 ends", end_meeting_two),
    Step("Fran shares what the Set learned", the_learning_summary),
    Step("the organisation reads the learning across its Sets", the_organisation_report),
]
