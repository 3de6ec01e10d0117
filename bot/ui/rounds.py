"""What a Set sees of a round: its root message, the thread's prompts, time notes, closing.

The root message is updated in place as the round moves on; everything said happens
in its thread. Earlier actions and reports are typed by people, so each is escaped
here, once; user ids only ever appear inside mentions.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from bot.flows.phases import SPECS, Phase
from bot.flows.question_bank import QuestionGroup
from bot.flows.rounds import (
    ClosedRound,
    EarlierAction,
    RoundTimeNote,
    RoundTimeUp,
    RoundView,
)
from bot.store.models import CommitmentStatus
from bot.ui.blocks import Block, Reply, actions, button, context, section
from bot.ui.insights import LONG_MINUTES, span
from bot.ui.mrkdwn import clip, escape, mention
from bot.ui.notices import render

ROUND_NEXT = "round_next"
COMMIT_ACTION = "round_commit"
ROUND_ACTIONS = "round_actions"
COMMIT_ACTIONS = "round_commit_actions"
QUESTION_IDEAS = "round_question_ideas"
# In the ideas phase the facilitator may point to good practice (only they can use it).
SIGNPOST = "round_signpost"
ROUND_PRESENCE = "round_presence"
ROUND_SEEN = "round_seen"
ROUND_WHO = "round_who"

# A presenter may have several earlier actions; the thread shows the first few, in full
# enough to recognise, so the message stays within Slack's limits and easy to read.
EARLIER_SHOWN = 5
ACTION_PREVIEW = 500
REPORT_PREVIEW = 500

_STATUS = {
    CommitmentStatus.OPEN: "not reported on yet",
    CommitmentStatus.WORKING: "still working on it",
    CommitmentStatus.REPORTED: "reported back",
    CommitmentStatus.DROPPED: "dropped",
}


def round_root(view: RoundView) -> Reply:
    """The round's message in the Set channel: who, which phase, how long, and the way ahead."""
    who = mention(view.presenter)
    if view.is_closed:
        return _closed_root(view, who)
    now = f"*Now: {view.title}*" + _time_left(view)
    heading = f"*{who}'s round*"
    if view.phase_due_at is None:
        heading += f" · a {view.slot_minutes}-minute slot"
    blocks: list[Block] = [
        section(heading),
        section(f"{now}\n{view.prompt}"),
        context(_progress(view)),
        context("This round happens in its thread: reply there to take part."),
    ]
    if view.phase_due_at is not None:
        blocks.append(actions(ROUND_PRESENCE, _presence_buttons(view)))
    return Reply(text=f"{who}'s round — now: {view.title}. Reply in the thread.", blocks=blocks)


def _time_left(view: RoundView) -> str:
    """About how long a live phase has, or when an asynchronous one closes (in local time)."""
    if view.paused:
        return " · paused by the facilitator"
    if view.phase_due_at is not None:
        return f" · open until {local_time(view.phase_due_at)}"
    return f" · about {_minutes(view.minutes)}" if view.minutes else ""


def local_time(at: datetime) -> str:
    """A moment each reader sees in their own time zone (Slack's date formatting)."""
    fallback = at.astimezone(UTC).strftime("%a %d %b, %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _presence_buttons(view: RoundView) -> list[dict[str, Any]]:
    value = str(view.round_id)
    return [
        button("I've seen it — thinking", action_id=ROUND_SEEN, value=value),
        button("Who's been here?", action_id=ROUND_WHO, value=value),
    ]


def _closed_root(view: RoundView, who: str) -> Reply:
    took = _duration(view.duration_seconds)
    blocks = [
        section(
            f"*{who}'s round* · closed after {took} (its slot was {_minutes(view.slot_minutes)})"
        ),
        context(_progress(view)),
        context("The thread stays here to read back. Thank you, everyone."),
    ]
    return Reply(text=f"{who}'s round has closed after {took}.", blocks=blocks)


def _progress(view: RoundView) -> str:
    """The route as a line: ✔ done · ▶ now · ○ still to come."""
    here = len(view.route) if view.is_closed else view.route.index(view.phase)
    marks = ("✔" if i < here else "▶" if i == here else "○" for i in range(len(view.route)))
    return " · ".join(f"{mark} {SPECS[p].title}" for mark, p in zip(marks, view.route, strict=True))


def phase_prompt(view: RoundView) -> Reply:
    """Posted in the thread as a phase begins: what it is for, and how to move on.

    Takes the round as `open_round` returns it, or a PhaseChange's `round`.
    """
    heading = f"*{view.title}*" + _time_left(view)
    if view.phase is Phase.REPORT_BACK:
        said = f"{heading}\nLast time, {mention(view.presenter)} committed to:"
        blocks = [section(said), *_report_back(view)]
        text = f"{mention(view.presenter)}, what happened when you took action?"
    else:
        blocks = [section(f"{heading}\n{view.prompt}")]
        text = f"{view.title}: {view.prompt}"
    blocks += [actions(ROUND_ACTIONS, _buttons(view)), context(_who_moves_on(view))]
    return Reply(text=text, blocks=blocks)


def _report_back(view: RoundView) -> list[Block]:
    who = mention(view.presenter)
    shown = view.earlier_actions[:EARLIER_SHOWN]
    blocks = [section(_earlier(action)) for action in shown]
    more = len(view.earlier_actions) - len(shown)
    if more:
        blocks.append(context(f"…and {more} more. {who} can see them all with `/action`."))
    blocks.append(section(f"*{who}, what happened when you took action?* What did you learn?"))
    return blocks


def _earlier(action: EarlierAction) -> str:
    lines = [f">{_preview(action.text, ACTION_PREVIEW)}"]
    facts = [f"due {_day(action.due_on)}"] if action.due_on else []
    lines.append("_" + " · ".join([*facts, _STATUS[action.status]]) + "_")
    if action.report:
        lines.append(f"*What happened:* {_preview(action.report, REPORT_PREVIEW)}")
    if action.learned:
        lines.append(f"*What they learned:* {_preview(action.learned, REPORT_PREVIEW)}")
    return "\n".join(lines)


def _buttons(view: RoundView) -> list[dict[str, Any]]:
    after = view.next
    label = "Finish the round" if after is Phase.CLOSED else f"Next: {SPECS[after].title}"
    value = json.dumps({"round": view.round_id, "from": str(view.phase)})
    found = [button(label, action_id=ROUND_NEXT, value=value)]
    if view.phase is Phase.QUESTIONS:
        found.append(button("Question ideas", action_id=QUESTION_IDEAS, value=str(view.round_id)))
    if view.phase is Phase.IDEAS:
        found.append(button("Signpost a resource", action_id=SIGNPOST, value=str(view.round_id)))
    if view.phase is Phase.REFLECT:
        found.append(_commit_button(view.round_id))
    return found


def _commit_button(round_id: int) -> dict[str, Any]:
    return button(
        "Commit to an action", action_id=COMMIT_ACTION, value=str(round_id), style="primary"
    )


def _who_moves_on(view: RoundView) -> str:
    if SPECS[view.phase].presenter_moves_on:
        who = mention(view.presenter)
        return f"When you've finished, {who}, press the button to move on (a facilitator can too)."
    return "A facilitator moves the round on when the time is right."


def read_next(value: str) -> tuple[int, str]:
    """The round and the phase a pressed "next" button showed: (round id, from phase)."""
    pressed = json.loads(value)
    return int(pressed["round"]), str(pressed["from"])


def question_ideas_reply(groups: list[tuple[QuestionGroup, list[str]]]) -> Reply:
    """Only the presser sees this: a few open questions to borrow, under what they explore.

    Short on purpose, so it helps in the moment without pulling anyone out of listening;
    the closing line keeps the questions as prompts, not a script to read out.
    """
    intro = "*Question ideas* · open questions you might ask, grouped by what they explore"
    blocks = [section(intro)]
    for group, questions in groups:
        lines = "\n".join(f"• {escape(question)}" for question in questions)
        blocks.append(section(f"*{group.label}*\n{lines}"))
    blocks.append(
        context(
            "These are ideas, not a script: ask in your own words, and follow what "
            "the presenter says."
        )
    )
    return Reply(text="Some open questions you might ask", blocks=blocks)


def round_closed(closed: ClosedRound) -> Reply:
    """Said in the thread as the round closes: thanks, how long it took, and what's next."""
    view, who = closed.round, mention(closed.round.presenter)
    said = (
        f"That's the end of {who}'s round, after {_duration(view.duration_seconds)}. "
        f"Thank you, {who}, and thank you all for your questions."
    )
    if closed.committed:
        follow = f"{who} has committed to an action: we'll hear how it went next time."
    else:
        follow = f"No action recorded yet. {who} can add one any time with `/action new`."
    after = (
        "The meeting carries on in writing: any other round has its own thread."
        if view.phase_due_at is not None
        else "Next: a facilitator opens the next round with `/round open`."
    )
    blocks = [section(f"{said}\n{follow}"), context(after)]
    return Reply(text=said, blocks=blocks)


def ask_for_commitment(closed: ClosedRound) -> Reply:
    """Private to the presenter when their round closed without an action recorded."""
    text = (
        "Thank you for presenting. Would you like to record an action? Saying what you'll "
        "do, by when, and how you'll know it worked makes it easier to follow through, "
        "and the Set will ask how it went next time."
    )
    blocks = [
        section(text),
        actions(COMMIT_ACTIONS, [_commit_button(closed.round.round_id)]),
        context("No pressure: you can also do it later with `/action new`."),
    ]
    return Reply(text="Would you like to record an action?", blocks=blocks)


@render.register
def time_note(note: RoundTimeNote) -> Reply:
    """In the thread, for everyone: gentle, and a reminder to leave time for deciding."""
    said = f"⏳ About {_minutes(note.minutes_left)} left in this round."
    if note.phase is not Phase.REFLECT:
        said += f" Leave a little time for {mention(note.presenter)} to reflect and decide."
    return Reply(text=said, blocks=[section(said)])


@render.register
def time_up(up: RoundTimeUp) -> Reply:
    """Only the facilitator sees this: what to do with the overrun is their judgement."""
    said = (
        f"{mention(up.presenter)}'s round has reached its time ({_minutes(up.slot_minutes)}); "
        f"it's in *{SPECS[up.phase].title}*. When it feels right, move on with "
        "`/round next`, or close it with `/round close`."
    )
    return Reply(text=said, blocks=[section(said)])


def _minutes(count: int) -> str:
    """Minutes for a live round; hours or days for one held in writing."""
    if count >= LONG_MINUTES:
        return span(count)
    return f"{count} minute" + ("" if count == 1 else "s")


def _duration(seconds: int | None) -> str:
    minutes = round((seconds or 0) / 60)
    return _minutes(minutes) if minutes else "under a minute"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _preview(text: str, limit: int) -> str:
    """Someone's words on one line, shortened, then escaped (so no entity is cut in half)."""
    return escape(clip(" ".join(text.split()), limit))
