"""Sharing learning and forgetting, in Slack: the facilitator's summary card, "forget me".

The learning card is sent to the facilitator privately: it is what the organisation would
see, for them to read before passing it on (with the CSV file the handler uploads). The
words in it were anonymised by the flow; they are escaped here, once.

Forgetting cannot be undone, so it is asked about first: the confirmation says what
goes and what stays, and only its button does it.
"""

from __future__ import annotations

from bot.flows.access import Refusal
from bot.flows.forget import ALL, ForgetPlan, Forgotten, Records, Scope
from bot.flows.learning import (
    LearningSummary,
    MeetingTrend,
    SharedLearning,
    attendance_words,
    grouped,
    held_on_words,
    meeting_words,
    score_words,
    tag_words,
)
from bot.flows.resources import times_signposted
from bot.ui.blocks import Block, Reply, actions, button, context, divider, header, section
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT, clip, escape
from bot.ui.resources import line as resource_line

FORGET_CONFIRM = "set_forget_confirm"
FORGET_BLOCK = "forget"
# One shared answer at most this long in the card; the files carry every word.
LEARNING_PREVIEW = 600
# The card lists the resources signposted most often; the document lists them all.
GOOD_PRACTICE_SHOWN = 10
# The card's other blocks take 8 of Slack's 50: header, 3 sections, divider, the shared
# answers' title, "…and N more", and the closing note.
MAX_LEARNING_SECTIONS = BLOCKS_PER_MESSAGE - 8
_BAD_SCOPE = "I couldn't tell what to forget. Type `/set forget-me` to start again."


def learning_card(summary: LearningSummary) -> Reply:
    """The summary for the facilitator's eyes: figures, meeting by meeting, shared words."""
    blocks: list[Block] = [
        header(f"What {summary.set_name} learned"),
        section(_about(summary)),
        section(_figures(summary)),
        section(_trend(summary.trend)),
        *_good_practice(summary),
        divider(),
        *_learning_blocks(summary.learnings),
        context(
            f"{escape(summary.anonymity_note)} This is only for you: read it before "
            "passing it on to the organisation. The CSV file holds the same."
        ),
    ]
    return Reply(
        text=f"What {escape(summary.set_name)} learned, ready to share with the organisation.",
        blocks=blocks,
    )


def _good_practice(summary: LearningSummary) -> list[Block]:
    """The facilitator's resources the Set was pointed to, most often first."""
    shown = summary.good_practice[:GOOD_PRACTICE_SHOWN]
    if not shown:
        return []
    # Room for each line's link, less what "signposted N times" takes after it.
    budget = SECTION_TEXT_LIMIT // (len(shown) + 1) - 30
    lines = "\n".join(
        f"• {resource_line(r, budget)}: {times_signposted(r.times_signposted)}" for r in shown
    )
    more = len(summary.good_practice) - len(shown)
    if more:
        lines += f"\n…and {more} more, in the document."
    return [section(f"*Good practice signposted*\n{lines}")]


def _about(summary: LearningSummary) -> str:
    lines = [f"*{escape(summary.set_name)}*" + (" (closed)" if summary.closed else "")]
    if summary.theme:
        lines.append(f"*Theme:* {escape(summary.theme)}")
    if summary.problem_area:
        lines.append(f"*Problem area:* {escape(summary.problem_area)}")
    return "\n".join(lines)


def _figures(summary: LearningSummary) -> str:
    a = summary.actions
    return (
        f"*Meetings held:* {summary.meetings_held} of {summary.meetings_planned} planned"
        f"  ·  *Rounds:* {summary.rounds}\n"
        f"*Attendance:* {attendance_words(summary)}\n"
        f"*Actions:* {a.committed} committed — {a.reported} reported back, "
        f"{a.dropped} dropped, {a.open} still open"
    )


def _trend(trend: tuple[MeetingTrend, ...]) -> str:
    """One line a meeting; a long-lived Set's lines are clipped by `section`, the files keep all."""
    if not trend:
        return "*Meeting by meeting*\nNo meetings have been held yet."
    lines = [
        f"Meeting {t.number} · {held_on_words(t.held_on)} · {t.present} of {t.expected} here"
        f" · process {_score(t.average)}"
        for t in trend
    ]
    return "*Meeting by meeting* (how well the process worked, 1–5)\n" + "\n".join(lines)


def _score(average: float | None) -> str:
    """Five marks filled to the average, so the trend reads at a glance, then the number."""
    if average is None:
        return score_words(average)
    filled = round(average)
    return "▰" * filled + "▱" * (5 - filled) + f" {score_words(average)}"


def _learning_blocks(learnings: tuple[SharedLearning, ...]) -> list[Block]:
    """Shared answers under their question, as many as fit; the rest are in the files."""
    title = "*What members agreed to share*"
    if not learnings:
        return [section(f"{title}\nNo member has agreed to share anything yet.")]
    packed = [
        part
        for question, group in grouped(learnings)
        for part in _packed(f"*{question.capitalize()}*", group)
    ]
    kept = packed[:MAX_LEARNING_SECTIONS]
    blocks = [section(title), *(section(text) for text, _ in kept)]
    left = len(learnings) - sum(count for _, count in kept)
    if left:
        blocks.append(context(f"…and {left} more in the CSV file."))
    return blocks


def _packed(title: str, group: list[SharedLearning]) -> list[tuple[str, int]]:
    """Bullets packed into as few sections as Slack's 3000 characters allow, with their counts."""
    packed: list[tuple[str, int]] = []
    current, count = title, 0
    for learning in group:
        words = escape(clip(" ".join(learning.text.split()), LEARNING_PREVIEW))
        bullet = f"\n• {words}{meeting_words(learning.meeting)}{tag_words(learning.tag)}"
        if len(current) + len(bullet) > SECTION_TEXT_LIMIT:
            packed.append((current, count))
            current, count = title + " (continued)", 0
        current, count = current + bullet, count + 1
    return [*packed, (current, count)]


def scope_value(scope: Scope) -> str:
    """What the confirm button carries: a Set's id, or "all"."""
    return str(scope)


def read_scope(value: str) -> Scope:
    """The button's value back; the flow checks the Set is the presser's team's."""
    if value == ALL:
        return ALL
    if value.isdigit():
        return int(value)
    raise Refusal(_BAD_SCOPE)


def forget_confirmation(plan: ForgetPlan) -> Reply:
    """Are you sure? What goes, what stays, and the one button that does it."""
    where = _where(plan.set_names, plan.scope)
    text = " ".join(
        part
        for part in (
            f"Forget you in {where}? This deletes {_deleted(plan.records)}.",
            _kept(plan.records),
            f"You'll leave {_the_sets(plan.set_names)}. This can't be undone.",
        )
        if part
    )
    return Reply(
        text=f"Forget you in {where}? This can't be undone.",
        blocks=[
            section(text),
            actions(
                FORGET_BLOCK,
                [
                    button(
                        "Forget me",
                        action_id=FORGET_CONFIRM,
                        value=scope_value(plan.scope),
                        style="danger",
                    )
                ],
            ),
            context(
                "Want a copy first? Ask whoever runs setbot for your data "
                "(`setbot export member`). Otherwise, just ignore this message."
            ),
        ],
    )


def forgotten_reply(forgotten: Forgotten) -> Reply:
    """Done: said plainly, with what was removed."""
    records = forgotten.records
    text = (
        f"Done: setbot has forgotten you in {_names(forgotten.set_names)}. It deleted "
        f"{_deleted(records)}, and withdrew {_count(forgotten.reminders, 'reminder')}"
        + (", and your reminder settings. " if forgotten.settings_forgotten else ". ")
        + _kept(records)
    ).strip()
    return Reply(text="Done: setbot has forgotten you.", blocks=[section(text)])


def _where(set_names: tuple[str, ...], scope: Scope) -> str:
    if scope == ALL and len(set_names) > 1:
        return f"all your Sets ({_names(set_names)})"
    return _names(set_names)


def _names(set_names: tuple[str, ...]) -> str:
    return ", ".join(f"*{escape(name)}*" for name in set_names)


def _the_sets(set_names: tuple[str, ...]) -> str:
    return "the Set" if len(set_names) == 1 else "those Sets"


def _deleted(records: Records) -> str:
    return (
        f"{_count(records.contributions, 'contribution')} to rounds (that you spoke, never "
        f"what you said), {_count(records.commitments, 'action')} with what you reported, "
        f"{_count(records.reflections, 'process reflection')} "
        f"and {_count(records.learning_entries, 'learning log entry', 'learning log entries')}"
    )


def _kept(records: Records) -> str:
    kept = []
    if records.attendance:
        kept.append("your attendance")
    if records.rounds:
        kept.append("the rounds you presented")
    if not kept:
        return ""
    return (
        f"The Set's totals keep {' and '.join(kept)}, with your name taken off, so they "
        "still add up."
    )


def _count(number: int, thing: str, things: str = "") -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {things or thing + 's'}"
