"""Data rights: a member may have setbot forget them, and may have a copy of what it holds.

Forgetting deletes what is personal: their contributions (that they spoke in a round),
their actions with what they reported, their process reflections, their learning log,
and the reminders owed to or about them; once they are in no Set of the team any more,
their reminder settings too. What the Set did together stays, so its totals still add up, but
no longer carries their id: attendance (deleting it would change every past attendance
rate), the rounds they presented (the meeting's shape and timings), their place in the
Set (now left, and without their own time zone), meetings they started, the Set they
formed, and turn orders.

Those rows get a tombstone, `U-forgotten-` and a random suffix, in place of the user id.
The columns are NOT NULL, and Attendance (meeting, user) and Membership (Set, user) are
unique, so one fixed tombstone would collide as soon as two people in one Set were
forgotten. The suffix is drawn once per request and kept nowhere: it ties the anonymised
rows to each other (so "member places" and "present" still match up) and to no one.

Two things wait rather than happen: forgetting while a meeting of the Set is under way
(the live card and round would lose their people mid-meeting), and the only facilitator
of an open Set forgetting themselves (a Set needs a facilitator; hand over first).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, Literal

from sqlalchemy import delete, func, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, and_, col, select

from bot.clock import Clock
from bot.flows.access import Caller, Refusal
from bot.store.db import Store
from bot.store.meetings import lock_set, open_meeting_of
from bot.store.models import (
    Attendance,
    Commitment,
    Contribution,
    LearningEntry,
    LearningSet,
    Meeting,
    Membership,
    OutboxMessage,
    ProcessReflection,
    ReminderPreference,
    Role,
    Round,
    SetStatus,
)
from bot.store.outbox import set_key
from bot.store.sets import current_members, set_by_channel, sets_of

ALL: Final = "all"
Scope = int | Literal["all"]
FORGOTTEN_PREFIX = "U-forgotten-"

NOTHING_HELD = "setbot holds no records of you there, so there is nothing to forget."
NOTHING_HELD_ANYWHERE = "setbot holds no records of you in any Set, so there is nothing to forget."
NO_SUCH_SET = "I can't find that Set any more. Type `/set` to see your Sets."
MEETING_UNDER_WAY = (
    "A meeting of *{set}* is under way. Ask again once it has ended, and I'll forget you then."
)
ONLY_FACILITATOR = (
    "You're the only facilitator of *{set}*, and a Set needs one. Make someone else a "
    "facilitator first with `/set facilitator @name`, then ask again."
)


def is_forgotten(user_id: str) -> bool:
    """Whether an id is a tombstone: show "a former member", never a mention."""
    return user_id.startswith(FORGOTTEN_PREFIX)


@dataclass(frozen=True, kw_only=True)
class Records:
    """How many of someone's rows there are, by kind: the first four are deleted."""

    contributions: int = 0
    commitments: int = 0
    reflections: int = 0
    learning_entries: int = 0
    attendance: int = 0
    rounds: int = 0
    memberships: int = 0

    def __add__(self, other: Records) -> Records:
        return Records(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, kw_only=True)
class ForgetPlan:
    """What forgetting would do, to confirm first; `scope` goes on the confirm button."""

    scope: Scope
    set_names: tuple[str, ...]
    records: Records


@dataclass(frozen=True, kw_only=True)
class Forgotten:
    """What was done: rows deleted or anonymised, reminders withdrawn, settings deleted."""

    set_names: tuple[str, ...]
    records: Records
    reminders: int
    # Their reminder settings, deleted once they are in no Set of the team any more.
    settings_forgotten: bool = False


def forget_plan(store: Store, caller: Caller, *, everywhere: bool = False) -> ForgetPlan:
    """What `/set forget-me` would remove: in a Set's channel that Set, elsewhere every Set.

    Checked before the confirmation is shown, so a refusal comes before "are you sure?".
    """
    with store.session() as session:
        found = (
            None
            if everywhere
            else set_by_channel(session, team_id=caller.team_id, channel_id=caller.channel_id)
        )
        scope: Scope = found.id if found is not None and found.id is not None else ALL
        held = _held(session, caller.team_id, caller.user_id, scope)
        _may_forget(session, [s for s, _ in held], caller.user_id)
        return ForgetPlan(
            scope=scope,
            set_names=tuple(s.name for s, _ in held),
            records=sum((r for _, r in held), Records()),
        )


def forget_me(
    store: Store, clock: Clock, *, team_id: str, user_id: str, set_id: Scope
) -> Forgotten:
    """Forget someone in one Set of their team, or in every one (`ALL`), after they confirmed.

    Each Set is locked first, so no meeting can start between the check and the change.
    """
    tombstone = FORGOTTEN_PREFIX + secrets.token_hex(6)
    with store.session() as session:
        held = _held(session, team_id, user_id, set_id)
        for learning_set, _ in held:
            lock_set(session, set_id=_id(learning_set))
        _may_forget(session, [s for s, _ in held], user_id)
        done = [_forget_in(session, s, user_id, tombstone, clock.now()) for s, _ in held]
        return Forgotten(
            set_names=tuple(s.name for s, _ in held),
            records=sum((records for records, _ in done), Records()),
            reminders=sum(reminders for _, reminders in done),
            settings_forgotten=_forget_settings(session, team_id, user_id),
        )


def _forget_settings(session: Session, team_id: str, user_id: str) -> bool:
    """Delete how someone asked to be reminded, unless they are still in one of the team's Sets.

    The settings are one row across all their Sets, so forgetting one Set keeps them.
    """
    if sets_of(session, team_id=team_id, user_id=user_id):
        return False
    found = session.get(ReminderPreference, (team_id, user_id))
    if found is None:
        return False
    session.delete(found)
    return True


def _held(
    session: Session, team_id: str, user_id: str, scope: Scope
) -> list[tuple[LearningSet, Records]]:
    """The Sets in scope where someone has records, with how many; refused when none."""
    if scope == ALL:
        candidates = session.exec(
            select(LearningSet).where(LearningSet.team_id == team_id).order_by(col(LearningSet.id))
        ).all()
    else:
        found = session.get(LearningSet, scope)
        if found is None or found.team_id != team_id:
            raise Refusal(NO_SUCH_SET)
        candidates = [found]
    held = [(s, _count(session, _id(s), user_id)) for s in candidates]
    held = [(s, records) for s, records in held if not records.empty]
    if not held:
        raise Refusal(NOTHING_HELD_ANYWHERE if scope == ALL else NOTHING_HELD)
    return held


def _may_forget(session: Session, sets: Sequence[LearningSet], user_id: str) -> None:
    for learning_set in sets:
        if open_meeting_of(session, set_id=_id(learning_set)) is not None:
            raise Refusal(MEETING_UNDER_WAY, set=learning_set.name)
        if learning_set.status == SetStatus.CLOSED:
            continue
        facilitators = [
            m.user_id
            for m in current_members(session, set_id=_id(learning_set))
            if m.role == Role.FACILITATOR
        ]
        if facilitators == [user_id]:
            raise Refusal(ONLY_FACILITATOR, set=learning_set.name)


def _meetings_of(set_id: int) -> Any:
    return select(Meeting.id).where(Meeting.set_id == set_id)


def _rounds_of(set_id: int) -> Any:
    return select(Round.id).where(col(Round.meeting_id).in_(_meetings_of(set_id)))


def _rows(set_id: int, user_id: str) -> dict[str, tuple[type[SQLModel], ColumnElement[bool]]]:
    """Where someone's rows of each kind are, within one Set, by the name `Records` counts."""
    return {
        "contributions": (
            Contribution,
            and_(
                col(Contribution.round_id).in_(_rounds_of(set_id)), Contribution.user_id == user_id
            ),
        ),
        "commitments": (
            Commitment,
            and_(Commitment.set_id == set_id, Commitment.user_id == user_id),
        ),
        "reflections": (
            ProcessReflection,
            and_(
                col(ProcessReflection.meeting_id).in_(_meetings_of(set_id)),
                ProcessReflection.user_id == user_id,
            ),
        ),
        "learning_entries": (
            LearningEntry,
            and_(LearningEntry.set_id == set_id, LearningEntry.user_id == user_id),
        ),
        "attendance": (
            Attendance,
            and_(
                col(Attendance.meeting_id).in_(_meetings_of(set_id)), Attendance.user_id == user_id
            ),
        ),
        "rounds": (
            Round,
            and_(col(Round.meeting_id).in_(_meetings_of(set_id)), Round.presenter_id == user_id),
        ),
        "memberships": (
            Membership,
            and_(Membership.set_id == set_id, Membership.user_id == user_id),
        ),
    }


def _count(session: Session, set_id: int, user_id: str) -> Records:
    return Records(
        **{
            name: session.exec(select(func.count()).select_from(model).where(where)).one()
            for name, (model, where) in _rows(set_id, user_id).items()
        }
    )


def _forget_in(
    session: Session, learning_set: LearningSet, user_id: str, tombstone: str, now: datetime
) -> tuple[Records, int]:
    """Delete and anonymise one Set's rows of someone: what was done, and reminders withdrawn."""
    where = {name: condition for name, (_, condition) in _rows(_id(learning_set), user_id).items()}
    commitment_ids = session.exec(select(Commitment.id).where(where["commitments"])).all()
    reminders = _forget_reminders(session, learning_set, user_id, commitment_ids)
    done = {
        "contributions": delete(Contribution).where(where["contributions"]),
        "commitments": delete(Commitment).where(where["commitments"]),
        "reflections": delete(ProcessReflection).where(where["reflections"]),
        "learning_entries": delete(LearningEntry).where(where["learning_entries"]),
        "attendance": update(Attendance).where(where["attendance"]).values(user_id=tombstone),
        "rounds": update(Round).where(where["rounds"]).values(presenter_id=tombstone),
    }
    counts = {name: session.execute(statement).rowcount or 0 for name, statement in done.items()}
    places = session.exec(select(Membership).where(where["memberships"])).all()
    for place in places:
        place.user_id, place.left_at = tombstone, place.left_at or now
        place.timezone = None
        session.add(place)
    _replace_elsewhere(session, learning_set, user_id, tombstone)
    return Records(**counts, memberships=len(places)), reminders


def _replace_elsewhere(
    session: Session, learning_set: LearningSet, user_id: str, tombstone: str
) -> None:
    """The id where it is one field among others: who started a meeting, turn orders, the Set."""
    for meeting in session.exec(select(Meeting).where(Meeting.set_id == learning_set.id)):
        if meeting.started_by == user_id or user_id in meeting.turn_order:
            if meeting.started_by == user_id:
                meeting.started_by = tombstone
            meeting.turn_order = [tombstone if u == user_id else u for u in meeting.turn_order]
            session.add(meeting)
    if learning_set.created_by == user_id:
        learning_set.created_by = tombstone
        session.add(learning_set)


def _forget_reminders(
    session: Session, learning_set: LearningSet, user_id: str, commitment_ids: Sequence[int | None]
) -> int:
    """Delete the Set's outbox rows to or about someone, whatever their state.

    Their nudges, reminders sent to them, and notes naming them (a key or a payload
    holding their id). Rows already sent go too: they name the person, and a deleted
    commitment's id must not find an old "already sent" row if it is ever reused.
    """
    set_id = _id(learning_set)
    prefixes = tuple(set_key(set_id, "commitment", c) + ":" for c in commitment_ids)
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.team_id == learning_set.team_id,
            col(OutboxMessage.dedupe_key).startswith(set_key(set_id) + ":"),
        )
    ).all()
    about = [
        row.id
        for row in rows
        if row.target == user_id
        or user_id in row.dedupe_key.split(":")
        or row.payload.get("target") == user_id
        or row.dedupe_key.startswith(prefixes)
    ]
    if about:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(about)))
    return len(about)


@dataclass(frozen=True)
class _Kind:
    """One kind of row holding someone's id: which column, how it leads to a Set, what to give."""

    key: str
    model: Any
    who: str
    # "id" or "set_id" name the Set itself; "meeting_id" and "round_id" lead to it.
    via: str
    kept: tuple[str, ...]


_EXPORTED = (
    _Kind("sets_formed", LearningSet, "created_by", "id", ("name", "theme", "created_at")),
    _Kind(
        "memberships",
        Membership,
        "user_id",
        "set_id",
        ("role", "joined_at", "left_at", "ground_rules_agreed_at", "timezone"),
    ),
    _Kind("meetings_started", Meeting, "started_by", "set_id", ("id", "started_at", "ended_at")),
    _Kind("attendance", Attendance, "user_id", "meeting_id", ("meeting_id", "status", "at")),
    _Kind(
        "rounds_presented",
        Round,
        "presenter_id",
        "meeting_id",
        ("id", "meeting_id", "slot_minutes", "opened_at", "closed_at", "duration_seconds"),
    ),
    _Kind(
        "contributions",
        Contribution,
        "user_id",
        "round_id",
        ("round_id", "phase", "is_question", "word_count", "message_ts", "at"),
    ),
    _Kind(
        "commitments",
        Commitment,
        "user_id",
        "set_id",
        (
            "id",
            "meeting_id",
            "text",
            "success_measure",
            "due_on",
            "status",
            "report_text",
            "learned_text",
            "drop_reason",
            "share_consent",
            "share_tag",
            "withheld_reason",
            "withheld_at",
            "created_at",
            "reported_at",
        ),
    ),
    _Kind(
        "process_reflections",
        ProcessReflection,
        "user_id",
        "meeting_id",
        ("meeting_id", "score", "helped", "change", "share_consent", "at"),
    ),
    _Kind(
        "learning_log",
        LearningEntry,
        "user_id",
        "set_id",
        (
            "meeting_id",
            "about_issue",
            "about_learning",
            "share_consent",
            "share_tag",
            "withheld_reason",
            "withheld_at",
            "written_at",
        ),
    ),
)


def export_member(store: Store, *, team_id: str, user_id: str) -> dict[str, Any]:
    """Everything setbot holds about someone in one team, as plain data, and nothing of others.

    Each row names the Set it belongs to; the rounds they presented say when and for how
    long, never who else spoke. Empty lists mean nothing of that kind is held.
    """
    with store.session() as session:
        sets = {
            s.id: s.name
            for s in session.exec(select(LearningSet).where(LearningSet.team_id == team_id))
        }
        meetings = {
            m.id: m.set_id for m in session.exec(select(Meeting).where(Meeting.team_id == team_id))
        }
        rounds = {
            r.id: meetings.get(r.meeting_id)
            for r in session.exec(select(Round).where(Round.team_id == team_id))
        }
        to_set = {
            "id": sets.get,
            "set_id": sets.get,
            "meeting_id": lambda m: sets.get(meetings.get(m)),
            "round_id": lambda r: sets.get(rounds.get(r)),
        }
        export: dict[str, Any] = {"team_id": team_id, "user_id": user_id}
        for kind in _EXPORTED:
            found = session.exec(
                select(kind.model)
                .where(kind.model.team_id == team_id, getattr(kind.model, kind.who) == user_id)
                .order_by(kind.model.id)
            )
            export[kind.key] = [
                {"set": to_set[kind.via](getattr(row, kind.via)), **_plain(row, kind.kept)}
                for row in found
            ]
        settings = session.get(ReminderPreference, (team_id, user_id))
        # One row across all their Sets, so it names none.
        export["reminder_settings"] = (
            [{"set": None, **_plain(settings, _SETTINGS)}] if settings else []
        )
        return export


# How someone asked to be reminded: one row across all their Sets.
_SETTINGS = ("reach_from_minute", "reach_until_minute", "muted", "away_until", "updated_at")


def holds_records(export: dict[str, Any]) -> bool:
    """Whether an export found anything at all (a mistyped id finds nothing)."""
    return any(isinstance(rows, list) and rows for rows in export.values())


def _plain(row: SQLModel, kept: Sequence[str]) -> dict[str, Any]:
    """The named columns as JSON-ready values: times and dates in ISO 8601, enums as text."""
    out: dict[str, Any] = {}
    for name in kept:
        value = getattr(row, name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        out[name] = value
    return out


def _id(learning_set: LearningSet) -> int:
    assert learning_set.id is not None
    return learning_set.id
