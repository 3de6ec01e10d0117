"""Meeting stats for the facilitator, at a glance: text bars in mrkdwn, within Slack's limits.

Only the Set's name is typed by a person, and it is escaped here; everyone else appears
as a mention of their user id. Nothing any member said is shown, because nothing is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.flows.insights import MeetingStats, MemberStats, Noticed, Observation, RoundTiming, percent
from bot.flows.phases import Phase
from bot.flows.schedule import format_local
from bot.store.models import MeetingStatus
from bot.ui.blocks import Block, Reply, context, header, section
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE, escape, mention

BAR_WIDTH = 10
FULL, EMPTY = "▇", "▁"
PHASE_LABELS: dict[Phase, str] = {
    Phase.REPORT_BACK: "Report back",
    Phase.DESCRIBE: "Describe",
    Phase.QUESTIONS: "Questions",
    Phase.IDEAS: "Ideas",
    Phase.REFLECT: "Reflect",
}
# Header, date, summary, observations, "and more" and the closing note: the rest is people.
MAX_PEOPLE_SHOWN = BLOCKS_PER_MESSAGE - 6
# Rounds within this share of their slot ran on time.
ON_TIME = 0.005
# From two hours on, a round was held in writing: its time reads in hours or days.
LONG_MINUTES = 2 * 60

COUNTED_HOW = (
    "Counted from who spoke, in which phase, and whether they asked: never from what was "
    "said. An open question invites the presenter to explore (\u201cWhat have you tried?\u201d); "
    "a closed one asks for a fact. Coaching hints are counted by the rule that gives them."
)


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A share from 0 to 1 as ▇▇▇▁▁…; anything above nothing shows at least one cell."""
    filled = min(width, max(0, int(share * width + 0.5)))
    if share > 0 and filled == 0:
        filled = 1
    return FULL * filled + EMPTY * (width - filled)


def render_stats(stats: MeetingStats) -> Reply:
    """The facilitator's private card: the Set's questioning, observations, then each person."""
    blocks: list[Block] = [
        header(f"Meeting stats: {stats.set_name}"),
        context(_when(stats)),
        section(_summary(stats)),
    ]
    if stats.observations:
        lines = "\n".join(f"• {_observation(o)}" for o in stats.observations)
        blocks.append(section(f"*Worth raising with the Set*\n{lines}"))
    loudest = max((m.talk.words for m in stats.members), default=0)
    shown = stats.members[:MAX_PEOPLE_SHOWN]
    blocks += [section(_person(member, loudest)) for member in shown]
    if len(stats.members) > len(shown):
        blocks.append(context(f"And {len(stats.members) - len(shown)} more people."))
    hints_off = "" if stats.hints_on else " Coaching hints are off for this Set."
    blocks.append(context(COUNTED_HOW + hints_off))
    return Reply(text=f"Meeting stats for {escape(stats.set_name)}.", blocks=blocks)


def _when(stats: MeetingStats) -> str:
    state = "under way" if stats.status == MeetingStatus.OPEN else "ended"
    if stats.started_at is None:
        return f"Meeting {state}"
    return f"Meeting of {format_local(stats.started_at, stats.timezone)} · {state}"


def _summary(stats: MeetingStats) -> str:
    share = stats.question_share
    if share is None:
        asking = "*Questions phase:* no one but the presenter spoke in it."
    else:
        asking = (
            f"*Questions phase:* {stats.asked} of {stats.said} contributions from the Set "
            f"were questions ({percent(share)}%)\n{bar(share)}"
        )
    lines = [asking]
    if stats.most_heard:
        lines.append(
            f"*Most heard:* {_people(stats.most_heard)}  ·  "
            f"*Least heard:* {_people(stats.least_heard)}"
        )
    lines.append(f"*Rounds:* {_rounds(stats)}")
    return "\n".join(lines)


def _rounds(stats: MeetingStats) -> str:
    timed = [r for r in stats.rounds if r.duration_seconds is not None]
    if not timed:
        return "none finished yet."
    took = span(_minutes(sum(r.duration_seconds or 0 for r in timed)))
    planned = span(sum(r.slot_minutes for r in timed))
    plural = "round" if len(timed) == 1 else "rounds"
    against = "" if stats.overrun is None else f" ({_against(stats.overrun)})"
    return f"{len(timed)} {plural} took {took} against {planned} planned{against}"


def _observation(observation: Observation) -> str:
    people, share = observation.people, observation.percent
    if observation.kind is Noticed.SILENT_IN_QUESTIONS:
        return f"{_people(people)} didn't speak in the questions phase."
    if observation.kind is Noticed.QUESTIONS_FROM_FEW and len(people) == 1:
        return f"{_people(people)} asked {share}% of the questions."
    if observation.kind is Noticed.QUESTIONS_FROM_FEW:
        return f"Two members, {_people(people)}, asked {share}% of the questions."
    if observation.kind is Noticed.FEW_QUESTIONS:
        return f"Only {share}% of contributions in the questions phase were questions."
    return f"Rounds ran {share}% over their slots on average."


def _person(member: MemberStats, loudest: int) -> str:
    """One person: a bar of their words against whoever said most, then the detail."""
    talk = member.talk
    role = " · facilitator" if member.is_facilitator else ""
    absent = "" if member.present or member.is_facilitator else " · didn't check in"
    lines = [f"*{mention(member.user_id)}*{role}{absent}"]
    if talk.contributions:
        messages = "message" if talk.contributions == 1 else "messages"
        said = f"{talk.words} words in {talk.contributions} {messages}"
        lines.append(f"{bar(talk.words / loudest if loudest else 0)} {said}")
        phases = (
            f"{label} {member.by_phase[phase].words}"
            for phase, label in PHASE_LABELS.items()
            if phase in member.by_phase
        )
        lines.append("Words by phase: " + " · ".join(phases))
    else:
        lines.append(f"{bar(0)} didn't speak")
    asked = _count(member.questions, "question")
    if member.questions:
        asked += f" ({member.open_questions} open)"
    lines.append(f"Asked {asked} · {_hints(member.hints)}")
    lines += [_presented(r) for r in member.rounds]
    return "\n".join(lines)


def _presented(timing: RoundTiming) -> str:
    slot = f"a slot of {span(timing.slot_minutes)}"
    if timing.duration_seconds is None:
        return f"Presenting now, in {slot}"
    took = f"Presented: {span(_minutes(timing.duration_seconds))} of {slot}"
    return took if timing.overrun is None else f"{took} ({_against(timing.overrun)})"


def _against(overrun: float) -> str:
    if overrun >= ON_TIME:
        return f"{percent(overrun)}% over"
    if overrun <= -ON_TIME:
        return f"{percent(-overrun)}% under"
    return "on time"


def _minutes(seconds: int) -> int:
    """Whole minutes, halves rounded up, as a facilitator would read a clock."""
    return (seconds + 30) // 60


def span(minutes: int) -> str:
    """Minutes for a live round; hours or days for one held in writing."""
    if minutes < LONG_MINUTES:
        return f"{minutes} min"
    if minutes < 2 * 24 * 60:
        return f"{round(minutes / 60)} hours"
    return f"{round(minutes / (24 * 60))} days"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _hints(number: int) -> str:
    return f"{_count(number, 'coaching hint')} received"


def _people(user_ids: Sequence[str]) -> str:
    """Mentions joined as people say them: "A", "A and B", "A, B and C"."""
    names = [mention(u) for u in user_ids]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
