"""A member's private learning log: what they learned at each meeting, for their eyes only.

Action Learning asks members to "reflect on what has been learned about the issue and the
process of learning". So after each meeting, every member who was there is asked
privately "What did you learn today — about your issue, and about how you learn?". It is
optional, and writing again for the same meeting updates the entry.

Only its writer reads an entry: not the facilitator, not the Set. The member's own log
(`my_log`) gathers their report backs, their process reflections and these entries, for
the App Home. An entry reaches anyone else only if its writer shares it anonymously,
after seeing exactly what would go out (bot/flows/sharing.py): writing it always keeps
it private first, and sharing is a separate, confirmed step.

When a meeting ends with `/meeting end`, the handler asks everyone there at once; when
the bot closes a meeting nobody ended, the question is owed in the outbox instead
(`owe_log_prompts`), so it reaches each member in their own waking hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Refusal
from bot.flows.meeting_reminders import next_allowed, zone_of
from bot.flows.meetings import MeetingSummary
from bot.flows.notices import Notice, composer
from bot.flows.sharing import ShareTag, tag_of
from bot.store.commitments import lock_meeting
from bot.store.db import Store
from bot.store.meetings import attendance_of, meeting_in_team
from bot.store.models import (
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    LearningEntry,
    LearningSet,
    Meeting,
    MeetingStatus,
    OutboxMessage,
    ProcessReflection,
    Role,
)
from bot.store.outbox import owe, set_key
from bot.store.sets import current_members, membership

LOG_PROMPT = "learning_log_prompt"
MAX_TEXT = 3000
# The App Home shows this many of the newest things in someone's log.
LOG_SHOWN = 10
_NEVER = datetime.min.replace(tzinfo=UTC)

NO_SUCH_MEETING = "I can't find that meeting any more. Type `/set` to see your Sets."
NOT_ENDED = "That meeting hasn't ended yet. Your log for it opens once it has."
NOT_PRESENT = (
    "Your learning log has a page for each meeting you were at, and this isn't one of them. "
    "If you were there, ask your facilitator to check you were marked present."
)
NOTHING_WRITTEN = "Write a line in either box, or close this if today isn't the day."
TOO_LONG = "Keep each answer to 3000 characters or fewer."


@dataclass(frozen=True, kw_only=True)
class LogPrompt:
    """To one member who was at a meeting: what did you learn today?"""

    meeting_id: int
    set_name: str
    user_id: str


@dataclass(frozen=True, kw_only=True)
class LogForm:
    """What the learning-log modal starts from: the member's entry so far, if any."""

    meeting_id: int
    set_name: str
    held_at: datetime | None
    timezone: str
    about_issue: str = ""
    about_learning: str = ""
    tag: ShareTag | None = None


@dataclass(frozen=True, kw_only=True)
class SavedEntry:
    """An entry kept privately; `updated` when it replaced an earlier one."""

    entry_id: int
    set_id: int
    set_name: str
    updated: bool


@dataclass(frozen=True, kw_only=True)
class LoggedReport:
    """A report back on an action, as its owner's log shows it."""

    set_name: str
    at: datetime
    timezone: str
    action: str
    happened: str
    learned: str
    shared: bool
    withheld_reason: str | None


@dataclass(frozen=True, kw_only=True)
class LoggedReflection:
    """A process reflection, as its writer's log shows it."""

    set_name: str
    at: datetime
    timezone: str
    score: int
    helped: str
    change: str
    shared: bool


@dataclass(frozen=True, kw_only=True)
class LoggedLearning:
    """A learning-log entry; `meeting_id` lets its writer open it again to change it."""

    set_name: str
    at: datetime
    timezone: str
    meeting_id: int
    about_issue: str
    about_learning: str
    shared: bool
    tag: ShareTag | None
    withheld_reason: str | None


LogItem = LoggedReport | LoggedReflection | LoggedLearning


def log_prompts(store: Store, *, team_id: str, meeting_id: int) -> tuple[LogPrompt, ...]:
    """Everyone to ask after a meeting ends: its members who were there, in the Set's order."""
    with store.session() as session:
        meeting = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
        learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
        if meeting is None or learning_set is None:
            return ()
        return tuple(
            LogPrompt(meeting_id=meeting_id, set_name=learning_set.name, user_id=user)
            for user in _present_members(session, meeting)
        )


def owe_log_prompts(
    session: Session, *, summary: MeetingSummary, now: datetime
) -> list[OutboxMessage]:
    """Ask each member who was at a meeting the bot closed, in their own waking hours."""
    learning_set = session.get(LearningSet, summary.set_id)
    meeting = session.get(Meeting, summary.meeting_id)
    if learning_set is None or meeting is None:
        return []
    payload: dict[str, object] = {"set_id": summary.set_id, "meeting_id": summary.meeting_id}
    return [
        owe(
            session,
            team_id=learning_set.team_id,
            kind=LOG_PROMPT,
            target=user,
            due_at=next_allowed(now, zone_of(session, learning_set, user)),
            key=set_key(summary.set_id, "meeting", summary.meeting_id, "log", user),
            payload=payload,
        )
        for user in _present_members(session, meeting)
    ]


@composer(LOG_PROMPT)
def compose_log_prompt(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The question, unless they have left the Set or already written for that meeting."""
    meeting_id = row.payload.get("meeting_id")
    meeting = session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None or meeting.team_id != row.team_id or meeting.id is None:
        return None
    learning_set = session.get(LearningSet, meeting.set_id)
    place = membership(session, set_id=meeting.set_id, user_id=row.target)
    if learning_set is None or place is None or place.left_at is not None:
        return None
    if _entry(session, meeting.id, row.target) is not None:
        return None
    prompt = LogPrompt(meeting_id=meeting.id, set_name=learning_set.name, user_id=row.target)
    return Notice(user=row.target, message=prompt)


def log_form(store: Store, *, team_id: str, user_id: str, meeting_id: int) -> LogForm:
    """Check the presser was at the meeting before the modal opens; prefill their own entry.

    The entry is found by meeting and presser, so no button can open anyone else's.
    """
    with store.session() as session:
        meeting, learning_set = _attended(session, team_id, user_id, meeting_id)
        assert meeting.id is not None
        entry = _entry(session, meeting.id, user_id)
        return LogForm(
            meeting_id=meeting.id,
            set_name=learning_set.name,
            held_at=meeting.started_at,
            timezone=learning_set.timezone,
            about_issue=entry.about_issue if entry else "",
            about_learning=entry.about_learning if entry else "",
            tag=tag_of(entry.share_tag) if entry else None,
        )


def check_entry(*, about_issue: str, about_learning: str) -> str | None:
    """What is wrong with an entry as typed, if anything: at least one answer is needed."""
    if not about_issue.strip() and not about_learning.strip():
        return NOTHING_WRITTEN
    if max(len(about_issue.strip()), len(about_learning.strip())) > MAX_TEXT:
        return TOO_LONG
    return None


def write_entry(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    user_id: str,
    meeting_id: int,
    about_issue: str,
    about_learning: str,
    tag: ShareTag | None,
) -> SavedEntry:
    """Keep (or replace) the member's entry for a meeting, privately.

    Sharing is never implied by writing: a shared entry written again is private until
    its writer confirms sharing the new words. New words also lift an earlier withholding,
    as the facilitator will read them afresh if they are shared.
    """
    problem = check_entry(about_issue=about_issue, about_learning=about_learning)
    if problem:
        raise Refusal(problem)
    with store.session() as session:
        if lock_meeting(session, team_id=team_id, meeting_id=meeting_id) is None:
            raise Refusal(NO_SUCH_MEETING)
        meeting, learning_set = _attended(session, team_id, user_id, meeting_id)
        assert meeting.id is not None and learning_set.id is not None
        entry = _entry(session, meeting.id, user_id)
        updated = entry is not None
        if entry is None:
            entry = LearningEntry(
                team_id=team_id, set_id=learning_set.id, meeting_id=meeting.id, user_id=user_id
            )
        words = (about_issue.strip(), about_learning.strip())
        if words != (entry.about_issue, entry.about_learning):
            entry.withheld_reason, entry.withheld_at = None, None
        entry.about_issue, entry.about_learning = words
        entry.share_consent, entry.share_tag = False, tag.value if tag else None
        entry.written_at = clock.now()
        session.add(entry)
        session.flush()
        assert entry.id is not None
        return SavedEntry(
            entry_id=entry.id, set_id=learning_set.id, set_name=learning_set.name, updated=updated
        )


def my_log(session: Session, *, team_id: str, user_id: str) -> tuple[LogItem, ...]:
    """Someone's own log, newest first: report backs, process reflections, learning entries.

    Only ever called with the reader's own id: the rows are theirs and nobody else's.
    """
    sets = session.exec(select(LearningSet).where(LearningSet.team_id == team_id)).all()
    zones = {s.id: (s.name, s.timezone) for s in sets}
    reports = session.exec(
        select(Commitment).where(
            Commitment.team_id == team_id,
            Commitment.user_id == user_id,
            Commitment.status == CommitmentStatus.REPORTED,
        )
    ).all()
    reflections = session.exec(
        select(ProcessReflection, Meeting.set_id)
        .join(Meeting, col(Meeting.id) == ProcessReflection.meeting_id)
        .where(ProcessReflection.team_id == team_id, ProcessReflection.user_id == user_id)
    ).all()
    entries = session.exec(
        select(LearningEntry).where(
            LearningEntry.team_id == team_id, LearningEntry.user_id == user_id
        )
    ).all()
    items: list[LogItem] = [
        LoggedReport(
            set_name=zones[c.set_id][0],
            timezone=zones[c.set_id][1],
            at=c.reported_at or _NEVER,
            action=c.text,
            happened=c.report_text or "",
            learned=c.learned_text or "",
            shared=c.share_consent,
            withheld_reason=c.withheld_reason,
        )
        for c in reports
    ]
    items += [
        LoggedReflection(
            set_name=zones[set_id][0],
            timezone=zones[set_id][1],
            at=r.at or _NEVER,
            score=r.score,
            helped=r.helped,
            change=r.change,
            shared=r.share_consent,
        )
        for r, set_id in reflections
    ]
    items += [
        LoggedLearning(
            set_name=zones[e.set_id][0],
            timezone=zones[e.set_id][1],
            at=e.written_at or _NEVER,
            meeting_id=e.meeting_id,
            about_issue=e.about_issue,
            about_learning=e.about_learning,
            shared=e.share_consent,
            tag=tag_of(e.share_tag),
            withheld_reason=e.withheld_reason,
        )
        for e in entries
    ]
    return tuple(sorted(items, key=lambda item: item.at, reverse=True)[:LOG_SHOWN])


def _attended(
    session: Session, team_id: str, user_id: str, meeting_id: int
) -> tuple[Meeting, LearningSet]:
    """A meeting of this team that has ended, if the caller was at it as a member."""
    meeting = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
    learning_set = session.get(LearningSet, meeting.set_id) if meeting else None
    if meeting is None or learning_set is None:
        raise Refusal(NO_SUCH_MEETING)
    if meeting.status != MeetingStatus.ENDED:
        raise Refusal(NOT_ENDED)
    if user_id not in _present_members(session, meeting):
        raise Refusal(NOT_PRESENT)
    return meeting, learning_set


def _present_members(session: Session, meeting: Meeting) -> list[str]:
    """Current members (not facilitators) of the meeting's Set who were marked present."""
    assert meeting.id is not None
    came = attendance_of(session, meeting_id=meeting.id)
    return [
        m.user_id
        for m in current_members(session, set_id=meeting.set_id)
        if m.role == Role.MEMBER and came.get(m.user_id) == AttendanceStatus.PRESENT
    ]


def _entry(session: Session, meeting_id: int, user_id: str) -> LearningEntry | None:
    statement = select(LearningEntry).where(
        LearningEntry.meeting_id == meeting_id, LearningEntry.user_id == user_id
    )
    return session.exec(statement).first()
