"""Sharing a Set's learning with the organisation, without breaking the Set's confidentiality.

The organisation learns what is happening at practice level from its Sets; the Set's
ground rule is that what is said in the Set stays in the Set. Both hold because the
summary carries only figures (counts, rates, averages) and the words members explicitly
agreed to share — what happened and what they learned when reporting back on an action,
what they wrote in their learning log, what helped and what should change when
reflecting on the process — each with every Slack mention, raw user id and member's name
taken out (bot/flows/sharing.py), and each with the tag its writer gave it. An action's
own wording, its success measure and a reason for dropping it are never shared: no one
was asked. Whatever a facilitator withheld from the organisation stays out too.

A process score is shown per meeting only once two people have answered (as in the
channel), so no one's score stands alone. Shared words are listed by question, then
meeting, then alphabetically, so their order says nothing about who wrote them.

Formats, all from the same `LearningSummary`:
- Markdown: a report to read or paste into a document.
- CSV: one table with the columns `section, meeting, topic, value`, so it opens in any
  spreadsheet and filters by section: `figures` (the Set as a whole), `meeting` (one row
  per meeting and measure), `learning` (one row per shared answer, its topic the question
  and any tag: "what they learned · A training need"). Cells a spreadsheet
  would run as a formula are prefixed with an apostrophe.
- JSON: the same as a document, for other tools.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.flows.access import Caller, InSet, Refusal, member_here
from bot.flows.forget import is_forgotten
from bot.flows.reflection import MIN_ANSWERS_SHOWN
from bot.flows.resources import ResourceView, signposted_in_set, times_signposted
from bot.flows.sharing import (
    Anonymiser,
    Question,
    ShareTag,
    is_shared,
    parts_of,
    tag_of,
)
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningEntry,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    ProcessReflection,
    Role,
    Round,
    SetStatus,
)

_UNSTARTED = datetime.max.replace(tzinfo=UTC)
NOT_A_FACILITATOR = (
    "Only the Set's facilitators can share its learning with the organisation. "
    "If there's something you'd like shared, have a word with them."
)
NO_SUCH_SET = "I can't find that Set any more."
NAMES_REMOVED = (
    "Anonymised: members' names, Slack mentions and user ids are removed. Only what "
    "members agreed to share appears."
)
IDS_REMOVED = (
    "Anonymised in part: Slack mentions and user ids are removed, but members' names were "
    "not available here, so read the shared words for names before passing this on. Only "
    "what members agreed to share appears."
)


@dataclass(frozen=True, kw_only=True)
class Actions:
    """Actions committed to in the Set and where each one got to."""

    committed: int
    reported: int
    dropped: int
    open: int


@dataclass(frozen=True, kw_only=True)
class MeetingTrend:
    """One meeting held: who came, and how well the process worked for those who answered.

    `average` is None when fewer than two answered, so no one's score stands alone.
    """

    number: int
    held_on: date | None
    present: int
    expected: int
    answered: int
    average: float | None


@dataclass(frozen=True, kw_only=True)
class SharedLearning:
    """One answer a member agreed to share, anonymised; `meeting` is its meeting's number.

    `tag` is what the member said it is for the organisation, if they said.
    """

    question: Question
    meeting: int | None
    text: str
    tag: ShareTag | None = None


@dataclass(frozen=True, kw_only=True)
class LearningSummary:
    """What the organisation may see of a Set: figures, and only the words shared with consent."""

    set_name: str
    theme: str
    problem_area: str
    closed: bool
    meetings_held: int
    meetings_planned: int
    rounds: int
    # Member places at meetings held, and how many of them were taken.
    present: int
    expected: int
    actions: Actions
    trend: tuple[MeetingTrend, ...]
    learnings: tuple[SharedLearning, ...]
    # False when no names were given (the command line), so only mentions and ids went.
    names_removed: bool
    # The facilitator's resources pointed to in rounds: their words, so they may be shared.
    good_practice: tuple[ResourceView, ...] = ()

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def anonymity_note(self) -> str:
        return NAMES_REMOVED if self.names_removed else IDS_REMOVED


def people_to_name(store: Store, caller: Caller) -> tuple[str, ...]:
    """Whose names to look up in Slack before `learning_summary`: everyone the Set has had.

    Past members too, as others may have written about them; forgotten ones have no id
    left to look up. Checked like the summary, so only a facilitator learns who they are.
    """
    with store.session() as session:
        here = _facilitator_of(session, caller)
        people = session.exec(
            select(Membership.user_id)
            .where(Membership.set_id == here.set_id)
            .order_by(col(Membership.id))
        ).all()
        return tuple(user for user in people if not is_forgotten(user))


def learning_summary(
    store: Store, caller: Caller, *, names: Mapping[str, Sequence[str]]
) -> LearningSummary:
    """The summary of the caller's channel's Set, for a facilitator of it (closed Sets too).

    `names` maps each user id from `people_to_name` to the names Slack knows them by
    (display and real name), looked up by the caller, so they are taken out of the words.
    """
    with store.session() as session:
        here = _facilitator_of(session, caller)
        return _summarise(session, here.learning_set, names)


def _facilitator_of(session: Session, caller: Caller) -> InSet:
    """A facilitator of the channel's Set, open or closed: a closed Set's learning matters most."""
    here = member_here(session, caller, open_only=False)
    if not here.is_facilitator:
        raise Refusal(NOT_A_FACILITATOR)
    return here


def set_learning_summary(
    store: Store, *, set_id: int, names: Mapping[str, Sequence[str]] | None = None
) -> LearningSummary:
    """The same summary for an operator who holds the database (the command line)."""
    with store.session() as session:
        learning_set = session.get(LearningSet, set_id)
        if learning_set is None:
            raise Refusal(NO_SUCH_SET)
        return _summarise(session, learning_set, names or {})


def _summarise(
    session: Session, learning_set: LearningSet, names: Mapping[str, Sequence[str]]
) -> LearningSummary:
    set_id = learning_set.id
    meetings = session.exec(select(Meeting).where(Meeting.set_id == set_id)).all()
    held = sorted(
        (m for m in meetings if m.status == MeetingStatus.ENDED),
        key=lambda m: (m.started_at or _UNSTARTED, m.id or 0),
    )
    held_ids = [m.id for m in held]
    people = session.exec(select(Membership).where(Membership.set_id == set_id)).all()
    came = session.exec(select(Attendance).where(col(Attendance.meeting_id).in_(held_ids))).all()
    answers = session.exec(
        select(ProcessReflection).where(col(ProcessReflection.meeting_id).in_(held_ids))
    ).all()
    commitments = session.exec(select(Commitment).where(Commitment.set_id == set_id)).all()
    entries = session.exec(select(LearningEntry).where(LearningEntry.set_id == set_id)).all()
    rounds = session.exec(select(Round.id).where(col(Round.meeting_id).in_(held_ids))).all()
    trend = _trend(held, people, came, answers, learning_set.timezone)
    anonymise = Anonymiser(members=(p.user_id for p in people), names=names)
    return LearningSummary(
        set_name=learning_set.name,
        theme=anonymise(learning_set.theme),
        problem_area=anonymise(learning_set.problem_area),
        closed=learning_set.status == SetStatus.CLOSED,
        meetings_held=len(held),
        meetings_planned=sum(m.status != MeetingStatus.SKIPPED for m in meetings),
        rounds=len(rounds),
        present=sum(t.present for t in trend),
        expected=sum(t.expected for t in trend),
        actions=_actions(commitments),
        trend=trend,
        learnings=_learnings(
            [*commitments, *entries], answers, {m.id: n for n, m in enumerate(held, 1)}, anonymise
        ),
        names_removed=bool(names),
        good_practice=signposted_in_set(session, set_id=learning_set.id or 0),
    )


def _trend(
    held: Sequence[Meeting],
    people: Sequence[Membership],
    came: Sequence[Attendance],
    answers: Sequence[ProcessReflection],
    timezone: str,
) -> tuple[MeetingTrend, ...]:
    """Meeting by meeting: members present of those in the Set then, and the process score."""
    roles = {p.user_id: p.role for p in people}
    trend = []
    for number, meeting in enumerate(held, 1):
        here = {
            a.user_id
            for a in came
            if a.meeting_id == meeting.id
            and a.status == AttendanceStatus.PRESENT
            and roles.get(a.user_id) == Role.MEMBER
        }
        belonged = {p.user_id for p in people if _belonged(p, meeting.started_at)}
        scores = [r.score for r in answers if r.meeting_id == meeting.id]
        shown = len(scores) >= MIN_ANSWERS_SHOWN
        started = meeting.started_at
        trend.append(
            MeetingTrend(
                number=number,
                held_on=started.astimezone(ZoneInfo(timezone)).date() if started else None,
                present=len(here),
                expected=len(belonged | here),
                answered=len(scores),
                average=round(sum(scores) / len(scores), 1) if shown else None,
            )
        )
    return tuple(trend)


def _belonged(place: Membership, at: datetime | None) -> bool:
    """A member (not a facilitator) of the Set when a meeting started."""
    if place.role != Role.MEMBER:
        return False
    if at is None:
        return True
    joined = place.joined_at is None or place.joined_at <= at
    return joined and (place.left_at is None or place.left_at > at)


def _actions(commitments: Sequence[Commitment]) -> Actions:
    statuses = [CommitmentStatus(c.status) for c in commitments]
    return Actions(
        committed=len(statuses),
        reported=statuses.count(CommitmentStatus.REPORTED),
        dropped=statuses.count(CommitmentStatus.DROPPED),
        open=statuses.count(CommitmentStatus.OPEN) + statuses.count(CommitmentStatus.WORKING),
    )


def _learnings(
    written: Sequence[Commitment | LearningEntry],
    answers: Sequence[ProcessReflection],
    numbers: Mapping[int | None, int],
    anonymise: Anonymiser,
) -> tuple[SharedLearning, ...]:
    """Only the answers whose author ticked "may be shared", and only the asked-for ones.

    Report backs and learning-log entries a facilitator withheld from the organisation
    stay out, with their tags kept on the rest.
    """
    found = [
        (question, item.meeting_id, text, tag_of(item.share_tag))
        for item in written
        if is_shared(item)
        for question, text in parts_of(item)
    ]
    found += [(Question.HELPED, r.meeting_id, r.helped, None) for r in answers if r.share_consent]
    found += [(Question.CHANGE, r.meeting_id, r.change, None) for r in answers if r.share_consent]
    shared = [
        SharedLearning(
            question=question, meeting=numbers.get(meeting), text=anonymise(text), tag=tag
        )
        for question, meeting, text, tag in found
        if text and text.strip()
    ]
    order = list(Question)
    return tuple(
        sorted(shared, key=lambda s: (order.index(s.question), s.meeting or 0, s.text.casefold()))
    )


def as_dict(summary: LearningSummary) -> dict[str, Any]:
    """The summary as plain data: what `to_json` writes."""
    return {
        "set": {
            "name": summary.set_name,
            "theme": summary.theme,
            "problem_area": summary.problem_area,
            "closed": summary.closed,
        },
        "anonymised": summary.anonymity_note,
        "meetings": {"held": summary.meetings_held, "planned": summary.meetings_planned},
        "rounds": summary.rounds,
        "attendance": {
            "present": summary.present,
            "expected": summary.expected,
            "rate": _rounded(summary.attendance_rate),
        },
        "actions": asdict(summary.actions),
        "trend": [
            {
                "meeting": t.number,
                "held_on": t.held_on.isoformat() if t.held_on else None,
                "present": t.present,
                "expected": t.expected,
                "process_answers": t.answered,
                "process_average": t.average,
            }
            for t in summary.trend
        ],
        "shared_learning": [
            {
                "question": str(s.question),
                "meeting": s.meeting,
                "tag": s.tag.value if s.tag else None,
                "text": s.text,
            }
            for s in summary.learnings
        ],
        "good_practice_signposted": [
            {"title": r.title, "url": r.url, "times_signposted": r.times_signposted}
            for r in summary.good_practice
        ],
    }


def _rounded(rate: float | None) -> float | None:
    return round(rate, 3) if rate is not None else None


def to_json(summary: LearningSummary) -> str:
    return json.dumps(as_dict(summary), indent=2, ensure_ascii=False) + "\n"


def to_csv(summary: LearningSummary) -> str:
    """One table: `section, meeting, topic, value` (see the module's docstring)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "meeting", "topic", "value"])
    writer.writerows(["figures", "", topic, _cell(value)] for topic, value in _figures(summary))
    for t in summary.trend:
        writer.writerows(["meeting", t.number, topic, value] for topic, value in _meeting(t))
    writer.writerows(
        ["learning", s.meeting or "", str(s.question) + tag_words(s.tag), _cell(s.text)]
        for s in summary.learnings
    )
    return buffer.getvalue()


def _figures(summary: LearningSummary) -> list[tuple[str, str]]:
    rate = summary.attendance_rate
    a = summary.actions
    return [
        ("set", summary.set_name),
        ("theme", summary.theme),
        ("problem area", summary.problem_area),
        ("closed", "yes" if summary.closed else "no"),
        ("meetings held", str(summary.meetings_held)),
        ("meetings planned", str(summary.meetings_planned)),
        ("rounds", str(summary.rounds)),
        ("member places at meetings held", str(summary.expected)),
        ("members present", str(summary.present)),
        ("attendance rate", f"{rate:.0%}" if rate is not None else ""),
        ("actions committed", str(a.committed)),
        ("actions reported back", str(a.reported)),
        ("actions dropped", str(a.dropped)),
        ("actions still open", str(a.open)),
        ("anonymised", summary.anonymity_note),
    ]


def _meeting(trend: MeetingTrend) -> list[tuple[str, str]]:
    return [
        ("held on", trend.held_on.isoformat() if trend.held_on else ""),
        ("members present", str(trend.present)),
        ("member places", str(trend.expected)),
        ("process answers", str(trend.answered)),
        ("process average", f"{trend.average:.1f}" if trend.average is not None else ""),
    ]


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula is kept as text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_markdown(summary: LearningSummary) -> str:
    lines = [f"# What {_md(summary.set_name)} learned", ""]
    if summary.theme:
        lines.append(f"**Theme:** {_md(summary.theme)}  ")
    if summary.problem_area:
        lines.append(f"**Problem area:** {_md(summary.problem_area)}  ")
    lines += ["", "## The Set's work in figures", "", *_md_figures(summary), ""]
    lines += ["## Meeting by meeting", "", *_md_trend(summary.trend), ""]
    lines += ["## What members agreed to share", "", *_md_learnings(summary.learnings)]
    if summary.good_practice:
        lines += ["", "## Good practice signposted", ""]
        lines += [
            f"- [{_md(r.title)}](<{r.url}>): {times_signposted(r.times_signposted)}"
            for r in summary.good_practice
        ]
    lines += ["", f"_{summary.anonymity_note}_"]
    return "\n".join(lines) + "\n"


def _md_figures(summary: LearningSummary) -> list[str]:
    a = summary.actions
    return [
        f"- Meetings held: {summary.meetings_held} of {summary.meetings_planned} planned"
        + (" (the Set has closed)" if summary.closed else ""),
        f"- Rounds: {summary.rounds}",
        f"- Attendance: {attendance_words(summary)}",
        f"- Actions: {a.committed} committed — {a.reported} reported back, "
        f"{a.dropped} dropped, {a.open} still open",
    ]


def attendance_words(summary: LearningSummary) -> str:
    """ "7 of 8 member places (88%)", or that no meeting has been held yet."""
    rate = summary.attendance_rate
    if rate is None:
        return "no meetings held yet"
    return f"{summary.present} of {summary.expected} member places ({rate:.0%})"


def _md_trend(trend: Sequence[MeetingTrend]) -> list[str]:
    if not trend:
        return ["No meetings have been held yet."]
    rows = [
        "| Meeting | Held on | Members present | Process score (1–5) | Answers |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {t.number} | {held_on_words(t.held_on)} | {t.present} of {t.expected} "
        f"| {score_words(t.average)} | {t.answered} |"
        for t in trend
    ]
    return rows


def held_on_words(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else "—"


def score_words(average: float | None) -> str:
    return f"{average:.1f}" if average is not None else "too few answers to show"


def _md_learnings(learnings: Sequence[SharedLearning]) -> list[str]:
    if not learnings:
        return ["No member has agreed to share anything yet."]
    lines: list[str] = []
    for question, group in grouped(learnings):
        lines += [f"### {question.capitalize()}", ""]
        lines += [f"- {_md(s.text)}{meeting_words(s.meeting)}{tag_words(s.tag)}" for s in group]
        lines.append("")
    return lines[:-1]


def grouped(learnings: Sequence[SharedLearning]) -> list[tuple[Question, list[SharedLearning]]]:
    """Shared answers by question, in the report's order, leaving out empty questions."""
    return [
        (question, [s for s in learnings if s.question == question])
        for question in Question
        if any(s.question == question for s in learnings)
    ]


def meeting_words(meeting: int | None) -> str:
    return f" (meeting {meeting})" if meeting else ""


def tag_words(tag: ShareTag | None) -> str:
    """ " · A training need", or nothing for an untagged learning."""
    return f" · {tag.label}" if tag else ""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
# A line starting "- ", "+ " or "1. " would turn into a list of its own.
_MD_LIST_START = re.compile(r"^(\d*)([-+.)])")


def _md(text: str) -> str:
    """Members' words as literal Markdown on one line: no markup, lists, links or HTML."""
    flat = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _MD_LIST_START.sub(r"\1\\\2", flat)


FORMATS: dict[str, Callable[[LearningSummary], str]] = {
    "md": to_markdown,
    "csv": to_csv,
    "json": to_json,
}


def filename(summary: LearningSummary, fmt: str) -> str:
    """A file name from the Set's name: "new-team-leaders-learning.csv"."""
    slug = "-".join(re.findall(r"[a-z0-9]+", summary.set_name.casefold())) or "set"
    return f"{slug}-learning.{fmt}"
