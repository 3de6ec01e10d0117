"""Learning across all of a workspace's Sets, for the organisation.

"The learning from the Sets is shared with the agency as a means of informing them of the
current issues/challenges at practice level. This may act as a catalyst for further
training, or development of policy and procedure." So an organisation lead sees every
Set of the workspace at once, grouped by training theme and then problem area, and the
report ends with what should reach the organisation's training and policy people: the
training needs and the policy and procedure issues the Sets raised.

What it holds, and what it never does:
- Figures per group and overall: Sets, meetings held, members, attendance rate, actions
  committed and completed, and the process-reflection trend (the average score at the
  Sets' first meetings against their latest).
- The words members agreed to share (a report-back or a learning-log entry with "share
  anonymously" ticked, and not withheld by the facilitator), with every Slack mention,
  user id, email address and member's name taken out, grouped by what the member said it
  was for. Nothing said in a Set's channel, and no one's name, id or mention, ever.
- The fewer-than-three rule, so no one can be singled out: a figure drawn from fewer than
  three people is shown as "fewer than 3" instead of its value. Precisely:
  - members: the number of distinct members (not facilitators) of the group's Sets;
  - attendance rate: computed over the distinct members expected at the meetings held;
  - actions committed and completed: drawn from the distinct people who committed them;
  - each process-reflection average: over the distinct people who answered at those
    meetings.
  A count of Sets or meetings describes groups, not people, and is always shown.

"Since" counts meetings held, actions committed and words shared from that day on,
among the Sets that had not closed before it.

Formats, all from the same `OrgReport`, as `bot.flows.learning` writes a Set's summary:
Markdown to read, CSV (`section, theme, problem area, topic, value`) to filter, JSON for
other tools.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal, TypeVar

from sqlmodel import Session, col, or_, select

from bot.clock import Clock
from bot.flows.forget import is_forgotten
from bot.flows.learning import IDS_REMOVED, NAMES_REMOVED
from bot.flows.org_leads import check_org_lead
from bot.flows.sharing import Anonymiser, ShareTag, shared_items
from bot.store.db import Store
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    ProcessReflection,
    Role,
)

MIN_PEOPLE: Final = 3
Hidden = Literal["fewer than 3"]
FEWER_THAN_3: Final[Hidden] = "fewer than 3"
FEWER_THAN_3_NOTE = (
    'A figure drawn from fewer than three people is shown as "fewer than 3", so no one can '
    "be singled out."
)
NO_THEME = "No training theme given"
NO_AREA = "No problem area given"

# The report's heading for what members said a shared learning is for, in the report's
# order: it ends with what the organisation's training and policy people need.
TAG_TITLES: Final[dict[ShareTag, str]] = {
    ShareTag.PRACTICE: "Learning for our practice",
    ShareTag.TRAINING: "Training needs the Sets raised",
    ShareTag.POLICY: "Policy and procedure issues the Sets raised",
}


@dataclass(frozen=True, kw_only=True)
class Figures:
    """A group of Sets in numbers. `None` means there is nothing to show yet (no meeting
    held, no one answered); `FEWER_THAN_3` that too few people are behind the figure."""

    sets: int
    meetings_held: int
    members: int | Hidden
    attendance_rate: float | Hidden | None
    actions_committed: int | Hidden
    actions_completed: int | Hidden
    process_first: float | Hidden | None
    process_latest: float | Hidden | None


@dataclass(frozen=True, kw_only=True)
class AreaGroup:
    problem_area: str
    figures: Figures


@dataclass(frozen=True, kw_only=True)
class ThemeGroup:
    theme: str
    figures: Figures
    areas: tuple[AreaGroup, ...]


@dataclass(frozen=True, kw_only=True)
class SharedWords:
    """One answer a member agreed to share, anonymised, with its Set's training theme."""

    tag: ShareTag
    theme: str
    text: str


@dataclass(frozen=True, kw_only=True)
class OrgReport:
    made_on: date
    since: date | None
    overall: Figures
    themes: tuple[ThemeGroup, ...]
    shared: tuple[SharedWords, ...]
    # False when no names were given (the command line), so only mentions and ids went.
    names_removed: bool

    @property
    def anonymity_note(self) -> str:
        return NAMES_REMOVED if self.names_removed else IDS_REMOVED

    def shared_as(self, tag: ShareTag) -> tuple[SharedWords, ...]:
        return tuple(item for item in self.shared if item.tag == tag)


# -- who may see it ---------------------------------------------------------------------


def people_to_name(store: Store, *, team_id: str, user_id: str) -> tuple[str, ...]:
    """Whose names to look up in Slack before `org_report`: everyone any Set has had.

    Checked like the report, so only an organisation lead learns who they are.
    """
    with store.session() as session:
        check_org_lead(session, team_id=team_id, user_id=user_id)
        return tuple(user for user in _everyone(session, team_id) if not is_forgotten(user))


def org_report(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    user_id: str,
    names: Mapping[str, Sequence[str]],
    since: date | None = None,
) -> OrgReport:
    """The report for an organisation lead; `names` are from Slack, for `people_to_name`."""
    with store.session() as session:
        check_org_lead(session, team_id=team_id, user_id=user_id)
        return _report(session, team_id, clock.now().date(), since, names)


def team_org_report(
    store: Store, clock: Clock, *, team_id: str, since: date | None = None
) -> OrgReport:
    """The same report for an operator who holds the database (the command line)."""
    with store.session() as session:
        return _report(session, team_id, clock.now().date(), since, {})


# -- working it out ---------------------------------------------------------------------

_Figure = TypeVar("_Figure", int, float, float | None)


@dataclass(frozen=True, kw_only=True)
class _SetFacts:
    """One Set's share of the figures, with the people behind each, so groups can add up."""

    theme: str
    problem_area: str
    meetings_held: int
    members: frozenset[str]
    present: int
    expected: int
    expected_people: frozenset[str]
    # (who committed, whether they reported back on it)
    actions: tuple[tuple[str, bool], ...]
    # (who answered, their score) at the Set's first meeting held, and at its latest
    first_scores: tuple[tuple[str, int], ...]
    latest_scores: tuple[tuple[str, int], ...]


def _report(
    session: Session,
    team_id: str,
    made_on: date,
    since: date | None,
    names: Mapping[str, Sequence[str]],
) -> OrgReport:
    start = datetime.combine(since, time(), tzinfo=UTC) if since else None
    chosen = _sets(session, team_id, start)
    anonymise = Anonymiser(members=_everyone(session, team_id), names=names)
    facts = [_facts(session, learning_set, start) for learning_set in chosen]
    return OrgReport(
        made_on=made_on,
        since=since,
        overall=_figures(facts),
        themes=_themes(facts, anonymise),
        shared=_shared(session, team_id, chosen, since, names, anonymise),
        names_removed=bool(names),
    )


def _sets(session: Session, team_id: str, start: datetime | None) -> list[LearningSet]:
    """The workspace's Sets, leaving out those that closed before the report's first day."""
    statement = select(LearningSet).where(LearningSet.team_id == team_id)
    if start is not None:
        statement = statement.where(
            or_(col(LearningSet.closed_at).is_(None), col(LearningSet.closed_at) >= start)
        )
    return list(session.exec(statement.order_by(col(LearningSet.id))))


def _everyone(session: Session, team_id: str) -> tuple[str, ...]:
    """Everyone any of the workspace's Sets has had, past members too: their names must go."""
    people = session.exec(
        select(Membership.user_id).where(Membership.team_id == team_id).order_by(col(Membership.id))
    ).all()
    return tuple(dict.fromkeys(people))


def _facts(session: Session, learning_set: LearningSet, start: datetime | None) -> _SetFacts:
    set_id = learning_set.id
    held = sorted(
        (
            m
            for m in session.exec(
                select(Meeting).where(
                    Meeting.set_id == set_id, Meeting.status == MeetingStatus.ENDED
                )
            )
            if start is None or (m.started_at is not None and m.started_at >= start)
        ),
        key=lambda m: (m.started_at or datetime.max.replace(tzinfo=UTC), m.id or 0),
    )
    places = session.exec(select(Membership).where(Membership.set_id == set_id)).all()
    members = [
        p for p in places if p.role == Role.MEMBER and (start is None or not _left_before(p, start))
    ]
    present, expected, expected_people = _attendance(session, held, places)
    actions = session.exec(select(Commitment).where(Commitment.set_id == set_id)).all()
    return _SetFacts(
        theme=" ".join(learning_set.theme.split()),
        problem_area=" ".join(learning_set.problem_area.split()),
        meetings_held=len(held),
        members=frozenset(p.user_id for p in members),
        present=present,
        expected=expected,
        expected_people=expected_people,
        actions=tuple(
            (c.user_id, c.status == CommitmentStatus.REPORTED)
            for c in actions
            if start is None or (c.created_at is not None and c.created_at >= start)
        ),
        first_scores=_scores(session, held[0]) if held else (),
        latest_scores=_scores(session, held[-1]) if len(held) > 1 else (),
    )


def _left_before(place: Membership, start: datetime) -> bool:
    return place.left_at is not None and place.left_at < start


def _attendance(
    session: Session, held: Sequence[Meeting], places: Sequence[Membership]
) -> tuple[int, int, frozenset[str]]:
    """Member places taken, member places there were, and the members those places were for.

    As in a Set's own summary: a member is expected at a meeting they belonged to the Set
    for, and anyone present counts as expected too.
    """
    roles = {p.user_id: p.role for p in places}
    present = expected = 0
    people: set[str] = set()
    for meeting in held:
        here = {
            a.user_id
            for a in session.exec(
                select(Attendance).where(
                    Attendance.meeting_id == meeting.id,
                    Attendance.status == AttendanceStatus.PRESENT,
                )
            )
            if roles.get(a.user_id) == Role.MEMBER
        }
        belonged = {p.user_id for p in places if _belonged(p, meeting.started_at)}
        present += len(here)
        expected += len(belonged | here)
        people |= belonged | here
    return present, expected, frozenset(people)


def _belonged(place: Membership, at: datetime | None) -> bool:
    if place.role != Role.MEMBER:
        return False
    if at is None:
        return True
    joined = place.joined_at is None or place.joined_at <= at
    return joined and (place.left_at is None or place.left_at > at)


def _scores(session: Session, meeting: Meeting) -> tuple[tuple[str, int], ...]:
    answers = session.exec(
        select(ProcessReflection).where(ProcessReflection.meeting_id == meeting.id)
    ).all()
    return tuple((a.user_id, a.score) for a in answers)


def _figures(facts: Sequence[_SetFacts]) -> Figures:
    """A group's figures, each shown only when at least three people are behind it."""
    members = frozenset().union(*(f.members for f in facts))
    expected = sum(f.expected for f in facts)
    rate = sum(f.present for f in facts) / expected if expected else None
    actions = [action for f in facts for action in f.actions]
    committers = {who for who, _ in actions}
    return Figures(
        sets=len(facts),
        meetings_held=sum(f.meetings_held for f in facts),
        members=_enough(len(members), members),
        attendance_rate=_enough(rate, frozenset().union(*(f.expected_people for f in facts))),
        actions_committed=_enough(len(actions), committers),
        actions_completed=_enough(sum(done for _, done in actions), committers),
        process_first=_average([score for f in facts for score in f.first_scores]),
        process_latest=_average([score for f in facts for score in f.latest_scores]),
    )


def _enough(value: _Figure, people: Iterable[str]) -> _Figure | Hidden:
    """The figure, or "fewer than 3" when fewer than three distinct people are behind it."""
    return value if len(set(people)) >= MIN_PEOPLE else FEWER_THAN_3


def _average(scores: Sequence[tuple[str, int]]) -> float | Hidden | None:
    if not scores:
        return None
    mean = round(sum(score for _, score in scores) / len(scores), 1)
    return _enough(mean, (who for who, _ in scores))


def _themes(facts: Sequence[_SetFacts], anonymise: Anonymiser) -> tuple[ThemeGroup, ...]:
    """Sets grouped by training theme, then problem area, as typed (whatever the case)."""
    themes = _grouped(facts, lambda f: f.theme)
    return tuple(
        ThemeGroup(
            theme=anonymise(theme) if theme else NO_THEME,
            figures=_figures(in_theme),
            areas=tuple(
                AreaGroup(
                    problem_area=anonymise(area) if area else NO_AREA, figures=_figures(in_area)
                )
                for area, in_area in _grouped(in_theme, lambda f: f.problem_area)
            ),
        )
        for theme, in_theme in themes
    )


def _grouped(
    facts: Sequence[_SetFacts], key: Callable[[_SetFacts], str]
) -> list[tuple[str, list[_SetFacts]]]:
    """Groups in alphabetical order, the unnamed one last; each named as first typed."""
    groups: dict[str, tuple[str, list[_SetFacts]]] = {}
    for fact in facts:
        name = key(fact)
        groups.setdefault(name.casefold(), (name, []))[1].append(fact)
    return sorted(groups.values(), key=lambda group: (not group[0], group[0].casefold()))


def _theme_names(chosen: Sequence[LearningSet]) -> dict[int | None, str]:
    """Each Set's theme as its group is named: as first typed, whatever the case or spaces."""
    first: dict[str, str] = {}
    for learning_set in chosen:
        theme = " ".join(learning_set.theme.split())
        first.setdefault(theme.casefold(), theme)
    return {s.id: first[" ".join(s.theme.split()).casefold()] for s in chosen}


def _shared(
    session: Session,
    team_id: str,
    chosen: Sequence[LearningSet],
    since: date | None,
    names: Mapping[str, Sequence[str]],
    anonymise: Anonymiser,
) -> tuple[SharedWords, ...]:
    """What members agreed to share and no facilitator withheld, anonymised, with its theme.

    Listed by tag, then theme, then alphabetically, so the order says nothing about who
    wrote them. A learning shared without a tag was shared to inform practice.
    """
    themes = _theme_names(chosen)
    found = shared_items(session, team_id, [i for i in themes if i is not None], since, names=names)
    items = [
        SharedWords(
            tag=item.tag or ShareTag.PRACTICE,
            theme=anonymise(themes[item.set_id]) if themes[item.set_id] else NO_THEME,
            text=" ".join(item.text.split()),
        )
        for item in found
    ]
    order = list(TAG_TITLES)
    return tuple(
        sorted(items, key=lambda i: (order.index(i.tag), i.theme.casefold(), i.text.casefold()))
    )


# -- words for figures, shared by every format and the Slack card -----------------------


def count_words(value: int | Hidden) -> str:
    return str(value)


def rate_words(value: float | Hidden | None) -> str:
    if value is None:
        return "no meetings held yet"
    return value if isinstance(value, str) else f"{value:.0%}"


def score_words(value: float | Hidden | None, *, none: str) -> str:
    if value is None:
        return none
    return value if isinstance(value, str) else f"{value:.1f}"


def figure_lines(figures: Figures) -> list[tuple[str, str]]:
    """Each figure with its label, in the report's order."""
    return [
        ("Sets", str(figures.sets)),
        ("Meetings held", str(figures.meetings_held)),
        ("Members", count_words(figures.members)),
        ("Attendance rate", rate_words(figures.attendance_rate)),
        ("Actions committed", count_words(figures.actions_committed)),
        ("Actions completed", count_words(figures.actions_completed)),
        ("Process score at first meetings (1–5)", _first_score(figures)),
        ("Process score at latest meetings (1–5)", _latest_score(figures)),
    ]


def _first_score(figures: Figures) -> str:
    return score_words(figures.process_first, none="no answers yet")


def _latest_score(figures: Figures) -> str:
    return score_words(figures.process_latest, none="no Set has met twice yet")


def since_words(report: OrgReport) -> str:
    made = _day(report.made_on)
    return f"From {_day(report.since)} to {made}" if report.since else f"All time, to {made}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# -- formats ----------------------------------------------------------------------------


def to_markdown(report: OrgReport) -> str:
    lines = ["# Learning across our Action Learning Sets", "", f"_{since_words(report)}._", ""]
    lines += [f"_{report.anonymity_note} {FEWER_THAN_3_NOTE}_", ""]
    lines += ["## All Sets", "", *_md_figures(report.overall), ""]
    for theme in report.themes:
        lines += [f"## Theme: {_md(theme.theme)}", "", *_md_figures(theme.figures), ""]
        for area in theme.areas:
            lines += [f"### Problem area: {_md(area.problem_area)}", ""]
            lines += [*_md_figures(area.figures), ""]
    for tag, title in TAG_TITLES.items():
        lines += [f"## {title}", "", *_md_shared(report.shared_as(tag)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_figures(figures: Figures) -> list[str]:
    return [f"- {label}: {value}" for label, value in figure_lines(figures)]


def _md_shared(items: Sequence[SharedWords]) -> list[str]:
    if not items:
        return ["None shared yet."]
    return [f"- {_md(item.text)} _({_md(item.theme)})_" for item in items]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
# A line starting "- ", "+ " or "1. " would turn into a list of its own.
_MD_LIST_START = re.compile(r"^(\d*)([-+.)])")


def _md(text: str) -> str:
    """Words as literal Markdown on one line: no markup, lists, links or HTML."""
    flat = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _MD_LIST_START.sub(r"\1\\\2", flat)


def as_dict(report: OrgReport) -> dict[str, Any]:
    """The report as plain data: what `to_json` writes; hidden figures stay "fewer than 3"."""
    return {
        "made_on": report.made_on.isoformat(),
        "since": report.since.isoformat() if report.since else None,
        "anonymised": f"{report.anonymity_note} {FEWER_THAN_3_NOTE}",
        "all_sets": _figures_dict(report.overall),
        "themes": [
            {
                "theme": theme.theme,
                "figures": _figures_dict(theme.figures),
                "problem_areas": [
                    {"problem_area": area.problem_area, "figures": _figures_dict(area.figures)}
                    for area in theme.areas
                ],
            }
            for theme in report.themes
        ],
        "shared": {
            tag: [{"theme": i.theme, "text": i.text} for i in report.shared_as(tag)]
            for tag in TAG_TITLES
        },
    }


def _figures_dict(figures: Figures) -> dict[str, Any]:
    rate = figures.attendance_rate
    return {
        "sets": figures.sets,
        "meetings_held": figures.meetings_held,
        "members": figures.members,
        "attendance_rate": round(rate, 3) if isinstance(rate, float) else rate,
        "actions_committed": figures.actions_committed,
        "actions_completed": figures.actions_completed,
        "process_average_first_meetings": figures.process_first,
        "process_average_latest_meetings": figures.process_latest,
    }


def to_json(report: OrgReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_csv(report: OrgReport) -> str:
    """One table, `section, theme, problem area, topic, value`: `figures` rows (theme and
    problem area empty for all Sets), then one row per shared answer, its section its tag."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "theme", "problem area", "topic", "value"])
    groups = [("", "", report.overall)]
    for theme in report.themes:
        groups.append((theme.theme, "", theme.figures))
        groups += [(theme.theme, area.problem_area, area.figures) for area in theme.areas]
    for theme_name, area_name, figures in groups:
        writer.writerows(
            ["figures", _cell(theme_name), _cell(area_name), label, value]
            for label, value in figure_lines(figures)
        )
    writer.writerows(
        [item.tag, _cell(item.theme), "", TAG_TITLES[item.tag], _cell(item.text)]
        for item in report.shared
    )
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula is kept as text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


FORMATS: dict[str, Callable[[OrgReport], str]] = {
    "md": to_markdown,
    "csv": to_csv,
    "json": to_json,
}


def filename(report: OrgReport, fmt: str) -> str:
    """ "sets-learning-2027-03-01.md": the day it was made, so reports sort in order."""
    return f"sets-learning-{report.made_on.isoformat()}.{fmt}"
