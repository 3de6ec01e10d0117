"""Forming a Set and looking after it: members, facilitators, ground rules, closing.

A Set is a small group (about 4 to 8 members, at most 12 here) with one or more
facilitators, tied to a problem area and a training theme, meeting on a schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.flows.access import Caller, Refusal, facilitator_here
from bot.flows.meeting_reminders import plan_set_reminders
from bot.flows.owed_posts import owe_welcome
from bot.flows.reminder_timing import ReminderTiming, timing_from
from bot.flows.schedule import (
    Cadence,
    Pattern,
    all_meetings,
    first_meeting_error,
    first_meeting_fit_error,
    from_rfc5545,
    meetings_after,
    session_minutes_error,
    timezone_error,
    to_rfc5545,
)
from bot.store.db import Store
from bot.store.models import (
    DEFAULT_SESSION_MINUTES,
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    Role,
    Round,
    SetStatus,
)
from bot.store.outbox import cancel_pending
from bot.store.sets import current_members, set_by_channel

MAX_MEMBERS = 12
MAX_RULES = 12
DEFAULT_GROUND_RULES = (
    "What is said in the Set stays in the Set.",
    "We come to every meeting, or send apologies in good time.",
    "We listen while others are speaking.",
    "Each of us takes action and reports back on what happened.",
)


@dataclass(frozen=True, kw_only=True)
class SetDraft:
    """What a facilitator filled in to form a Set, before anything is stored."""

    name: str
    theme: str
    problem_area: str = ""
    facilitators: tuple[str, ...]
    members: tuple[str, ...]
    cadence: Cadence
    first_at: datetime
    timezone: str
    session_minutes: int = DEFAULT_SESSION_MINUTES
    ground_rules: tuple[str, ...] = DEFAULT_GROUND_RULES


class DraftField:
    """Names of the draft's fields, so the modal can show each problem beside its input."""

    NAME = "name"
    MEMBERS = "members"
    FIRST_AT = "first_at"
    TIMEZONE = "timezone"
    SESSION = "session_minutes"
    RULES = "ground_rules"


def check_draft(draft: SetDraft, *, now: datetime) -> dict[str, str]:
    """Every problem with a draft, by field; empty when the Set can be formed."""
    problems: dict[str, str | None] = {
        DraftField.NAME: None if draft.name.strip() else "Give the Set a name.",
        DraftField.MEMBERS: _members_problem(draft),
        DraftField.TIMEZONE: timezone_error(draft.timezone),
        DraftField.SESSION: session_minutes_error(draft.session_minutes),
        DraftField.RULES: _rules_problem(draft.ground_rules),
    }
    problems[DraftField.FIRST_AT] = first_meeting_error(draft.first_at, now=now)
    if not problems[DraftField.TIMEZONE] and not problems[DraftField.FIRST_AT]:
        problems[DraftField.FIRST_AT] = first_meeting_fit_error(
            draft.cadence, first_at=draft.first_at, timezone=draft.timezone
        )
    return {name: problem for name, problem in problems.items() if problem}


def _members_problem(draft: SetDraft) -> str | None:
    members = set(draft.members) - set(draft.facilitators)
    if not members:
        return "Add the Set's members: a Set needs people to bring their problems."
    if len(members) > MAX_MEMBERS:
        return (
            f"That's {len(members)} members; a Set works best with 4 to 8 and can have at most "
            f"{MAX_MEMBERS}. Consider forming two Sets."
        )
    return None


def _rules_problem(rules: tuple[str, ...]) -> str | None:
    if not rules:
        return "Keep at least one ground rule: the Set agrees them at the start."
    if len(rules) > MAX_RULES:
        return f"Keep to {MAX_RULES} ground rules at most, so everyone can remember them."
    return None


@dataclass(frozen=True)
class FormedSet:
    learning_set: LearningSet
    meetings: list[datetime]
    members: list[Membership] = field(default_factory=list)


def form_set(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    created_by: str,
    draft: SetDraft,
    channel_id: str,
    zones: Mapping[str, str] | None = None,
    welcome: bool = False,
) -> FormedSet:
    """Store the Set, its people (in their own Slack zones) and every meeting date in one
    unit of work; with `welcome`, also the welcome card its new channel is owed."""
    now = clock.now()
    starts = all_meetings(
        cadence=to_rfc5545(draft.cadence), first_at=draft.first_at, timezone=draft.timezone
    )
    with store.session() as session:
        learning_set = LearningSet(
            team_id=team_id,
            name=draft.name.strip(),
            theme=draft.theme.strip(),
            problem_area=draft.problem_area.strip(),
            channel_id=channel_id,
            cadence=to_rfc5545(draft.cadence),
            first_meeting_at=draft.first_at,
            timezone=draft.timezone,
            session_minutes=draft.session_minutes,
            ground_rules=list(draft.ground_rules),
            created_by=created_by,
            created_at=now,
        )
        session.add(learning_set)
        session.flush()
        assert learning_set.id is not None
        people = _people(draft)
        zones = zones or {}
        members = [
            Membership(
                team_id=team_id,
                set_id=learning_set.id,
                user_id=user,
                role=role,
                joined_at=now,
                timezone=_known_zone(zones.get(user)),
            )
            for user, role in people.items()
        ]
        session.add_all(members)
        session.add_all(
            Meeting(
                team_id=team_id,
                set_id=learning_set.id,
                scheduled_at=start,
                session_minutes=draft.session_minutes,
            )
            for start in starts
        )
        session.flush()
        plan_set_reminders(session, learning_set=learning_set, now=now)
        if welcome:
            owe_welcome(session, learning_set, now)
    return FormedSet(learning_set, starts, members)


def _known_zone(zone: str | None) -> str | None:
    """Someone's Slack zone if the tz database knows it; else the Set's stands in."""
    return zone if zone and timezone_error(zone) is None else None


def _people(draft: SetDraft) -> dict[str, Role]:
    """Facilitators first; someone picked as both is a facilitator."""
    people = {user: Role.FACILITATOR for user in draft.facilitators}
    for user in draft.members:
        people.setdefault(user, Role.MEMBER)
    return people


@dataclass(frozen=True)
class SetTotals:
    """What a Set did over its life, for the closing card."""

    name: str
    channel_id: str | None
    members: int
    meetings_held: int
    rounds: int
    actions_committed: int
    actions_reported: int


def set_to_close(store: Store, caller: Caller) -> tuple[str, int]:
    """Check, before asking "are you sure?", that the caller may close this Set."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        return here.learning_set.name, here.set_id


def close_set(store: Store, clock: Clock, caller: Caller) -> SetTotals:
    """End the Set (facilitators only): no more meetings or reminders; every record kept."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        learning_set = here.learning_set
        learning_set.status, learning_set.closed_at = SetStatus.CLOSED, clock.now()
        session.add(learning_set)
        session.execute(
            update(Meeting)
            .where(
                col(Meeting.set_id) == here.set_id,
                col(Meeting.status) == MeetingStatus.SCHEDULED,
            )
            .values(status=MeetingStatus.SKIPPED)
        )
        cancel_pending(session, team_id=caller.team_id, set_id=here.set_id)
        return _totals(session, learning_set)


def _totals(session: Session, learning_set: LearningSet) -> SetTotals:
    set_id = learning_set.id
    commitments = session.exec(select(Commitment).where(Commitment.set_id == set_id)).all()
    rounds = session.exec(
        select(func.count())
        .select_from(Round)
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .where(Meeting.set_id == set_id)
    ).one()
    held = session.exec(
        select(func.count()).where(Meeting.set_id == set_id, Meeting.status == MeetingStatus.ENDED)
    ).one()
    return SetTotals(
        name=learning_set.name,
        channel_id=learning_set.channel_id,
        members=sum(m.role == Role.MEMBER for m in current_members(session, set_id=set_id or 0)),
        meetings_held=int(held),
        rounds=int(rounds),
        actions_committed=len(commitments),
        actions_reported=sum(c.status == CommitmentStatus.REPORTED for c in commitments),
    )


CHANNEL_IN_USE = (
    "Another Set already meets in that channel. Pick a different one, or a new channel."
)


def channel_problem(store: Store, *, team_id: str, channel_id: str) -> str | None:
    """One channel, one open Set: commands act on the Set of the channel they're used in."""
    with store.session() as session:
        found = set_by_channel(session, team_id=team_id, channel_id=channel_id)
    return CHANNEL_IN_USE if found is not None and found.status != SetStatus.CLOSED else None


EXTEND_BY = 3


@dataclass(frozen=True)
class Extension:
    set_name: str
    timezone: str
    added: list[datetime]


def extend_set(
    store: Store, clock: Clock, caller: Caller, *, meetings: int = EXTEND_BY
) -> Extension:
    """Add more meetings on the Set's own pattern, after its last planned one.

    A Set that met on chosen dates has no pattern to continue, so the facilitator is
    told to reschedule instead of being given dates nobody agreed.
    """
    with store.session() as session:
        here = facilitator_here(session, caller)
        learning_set = here.learning_set
        cadence = from_rfc5545(learning_set.cadence) if learning_set.cadence else None
        if cadence is None or cadence.pattern is Pattern.DATES:
            raise Refusal(
                "*{set}* met on dates you chose, so there is no pattern to continue. "
                "Form a new Set for the next series of meetings.",
                set=learning_set.name,
            )
        planned = session.exec(
            select(func.max(Meeting.scheduled_at)).where(Meeting.set_id == here.set_id)
        ).one()
        after = max(filter(None, [planned, clock.now()]))
        ongoing = replace(cadence, count=None, until=None)
        starts = meetings_after(
            cadence=to_rfc5545(ongoing),
            first_at=learning_set.first_meeting_at or after,
            timezone=learning_set.timezone,
            after=after,
            count=meetings,
        )
        session.add_all(
            Meeting(
                team_id=learning_set.team_id,
                set_id=here.set_id,
                scheduled_at=start,
                session_minutes=learning_set.session_minutes,
            )
            for start in starts
        )
        if starts:
            last_day = starts[-1].astimezone(ZoneInfo(learning_set.timezone)).date()
            learning_set.cadence = to_rfc5545(replace(cadence, count=None, until=last_day))
            session.add(learning_set)
        session.flush()
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())
        return Extension(learning_set.name, learning_set.timezone, starts)


def reminder_timing(store: Store, caller: Caller) -> ReminderTiming:
    """The Set's reminder timing, for its facilitator to change."""
    with store.session() as session:
        return timing_from(facilitator_here(session, caller).learning_set.reminder_timing)


def choose_reminder_timing(
    store: Store, clock: Clock, caller: Caller, timing: ReminderTiming
) -> ReminderTiming:
    """Keep the facilitator's choice and re-plan every coming reminder to match it."""
    with store.session() as session:
        learning_set = facilitator_here(session, caller).learning_set
        learning_set.reminder_timing = timing.stored()
        session.add(learning_set)
        session.flush()
        plan_set_reminders(session, learning_set=learning_set, now=clock.now())
        return timing


@dataclass(frozen=True)
class IdeasPhase:
    """Whether the Set's rounds offer ideas after the questions, and whether that just changed."""

    set_name: str
    on: bool
    changed: bool


IDEAS_CHOICES = {"on": True, "off": False}
IDEAS_USAGE = (
    "Say `/set ideas on` to give rounds an ideas phase after the questions, "
    "or `/set ideas off` to go straight from the questions to reflecting. Nothing was changed."
)


def choose_ideas_phase(store: Store, caller: Caller, choice: str) -> IdeasPhase:
    """Switch the ideas phase on or off for rounds opened from now on; blank shows the setting.

    A round keeps the route it opened with, so a switch mid-round never skips a phase the
    Set is already in.
    """
    wanted = choice.strip().lower()
    if wanted and wanted not in IDEAS_CHOICES:
        raise Refusal(IDEAS_USAGE)
    with store.session() as session:
        learning_set = facilitator_here(session, caller).learning_set
        if not wanted or IDEAS_CHOICES[wanted] == learning_set.ideas_phase:
            return IdeasPhase(learning_set.name, learning_set.ideas_phase, changed=False)
        learning_set.ideas_phase = IDEAS_CHOICES[wanted]
        session.add(learning_set)
        return IdeasPhase(learning_set.name, learning_set.ideas_phase, changed=True)
