"""Each person's say over how setbot reaches them privately: when, about what, and not while away.

Someone chooses (`/set reminders`, or the App Home) the hours between which private
reminders may arrive, in their own Slack zone; which kinds they want; and a day they are
away until. The choice is one `ReminderPreference` row across all their Sets; no row
means the defaults: every kind, 08:00–19:00.

Preferences are honoured where a reminder is delivered, not where it is planned: the
dispatcher asks `held` about each private row as it falls due. A stopped kind is
cancelled; a row outside their hours, or while they are away, is handed back to the
outbox for the next time they may be reached. Everything stays in the outbox, so a
restart loses nothing, and planning (which runs again whenever a meeting moves) never
has to know about anyone's preferences. Turning a kind back on brings back the
reminders still owed.

Which outbox rows are reminders a person can stop (`REMINDER_KINDS`): the message asking
what they'll bring to a meeting, the prompt to prepare their round, the nudges about
their actions, and the facilitators' digest. Notes a facilitator has to act on (a
meeting the bot closed, extend-or-close, someone away) cannot be stopped, but keep to
the reader's hours and wait while they are away. Channel reminders, and the notes
during a live round, go to everyone and are not anyone's to hold.

Buttons on a reminder carry the outbox row's id, never trust: the presser must be the
person the row was for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Caller, Refusal
from bot.flows.commitments import DUE_KIND, HALFWAY_KIND
from bot.flows.meeting_reminders import (
    FACILITATOR_DIGEST,
    MEETING_AUTOCLOSED,
    MEETING_PREPARE,
    SET_EXTEND_OR_CLOSE,
    facilitators_of,
    next_allowed,
)
from bot.flows.notices import Notice, composer
from bot.store.db import Store
from bot.store.models import (
    LearningSet,
    Membership,
    OutboxMessage,
    ReminderPreference,
    SetStatus,
)
from bot.store.outbox import owe, set_key
from bot.store.sets import current_members, sets_of


class ReminderKind(StrEnum):
    """The kinds of private reminder a person can stop, as kept in `muted`."""

    MEETING = "meeting"
    PREPARE_ROUND = "prepare_round"
    COMMITMENT = "commitment"
    DIGEST = "digest"


# The outbox kind of the prompt to prepare a round (the round-preparation flow owes it).
PREPARE_ROUND_PROMPT = "prepare_round"
MEMBER_AWAY = "member_away"

# Each outbox kind that is a private reminder, by the kind of reminder it is.
REMINDER_KINDS: dict[str, ReminderKind] = {
    MEETING_PREPARE: ReminderKind.MEETING,
    PREPARE_ROUND_PROMPT: ReminderKind.PREPARE_ROUND,
    HALFWAY_KIND: ReminderKind.COMMITMENT,
    DUE_KIND: ReminderKind.COMMITMENT,
    FACILITATOR_DIGEST: ReminderKind.DIGEST,
}
# Private notes that can't be stopped, but keep to the reader's hours and wait while away.
PRIVATE_NOTES = frozenset({MEETING_AUTOCLOSED, SET_EXTEND_OR_CLOSE, MEMBER_AWAY})
# The kinds only facilitators receive, so only they are offered them.
FACILITATOR_KINDS = frozenset({ReminderKind.DIGEST})

DEFAULT_FROM, DEFAULT_UNTIL = 8 * 60, 19 * 60
DAY_MINUTES = 24 * 60
# Reach hours are picked in half hours and span at least two of them, so a reminder
# always has somewhere to land.
STEP_MINUTES = 30
SHORTEST_REACH = 2 * 60
# "Away until" reaches no further than this.
LONGEST_AWAY = timedelta(days=365)
# "Not now" brings a reminder back this much later.
NOT_NOW_DELAY = timedelta(days=1)


class Field(StrEnum):
    """What was chosen in the form, so a problem is shown beside the right input."""

    REACH = "reach"
    AWAY = "away"


class FieldRefusal(Refusal):
    """A refusal about one input of the reminders form."""

    def __init__(self, field: Field, template: str, **names: str) -> None:
        super().__init__(template, **names)
        self.field = field


NO_SETS = (
    "You aren't in an Action Learning Set yet, so I don't send you any reminders. "
    "When a facilitator adds you to one, type `/set reminders` to choose yours."
)
NOT_YOURS = (
    "That reminder was for someone else, so I left it as it was. "
    "Type `/set reminders` to choose your own."
)
_REACH_BACKWARDS = "Choose a 'from' time before the 'until' time."
_REACH_TOO_SHORT = "Leave at least 2 hours between 'from' and 'until'."
_REACH_UNREADABLE = "Pick a time from the list."
_AWAY_PAST = "That day has already passed. Pick today or a later day, or clear it."
_AWAY_TOO_FAR = "Pick a day within a year from today."


@dataclass(frozen=True, kw_only=True)
class ReminderChoice:
    """What someone chose: their hours (minutes after local midnight), kinds, and away day."""

    reach_from: int = DEFAULT_FROM
    reach_until: int = DEFAULT_UNTIL
    receive: frozenset[ReminderKind] = frozenset(ReminderKind)
    away_until: date | None = None


@dataclass(frozen=True, kw_only=True)
class ReminderForm:
    """What the reminders modal starts from: their choice, the kinds offered, their zone."""

    choice: ReminderChoice
    offered: tuple[ReminderKind, ...]
    timezone: str


@dataclass(frozen=True, kw_only=True)
class Saved:
    """A choice stored; `told` names the facilitators who will hear they are away."""

    choice: ReminderChoice
    offered: tuple[ReminderKind, ...]
    timezone: str
    told: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PutOff:
    """A reminder that will come again at `until` (their zone: `timezone`)."""

    kind: ReminderKind
    until: datetime
    timezone: str


@dataclass(frozen=True, kw_only=True)
class Stopped:
    """A kind of reminder someone stopped."""

    kind: ReminderKind


@dataclass(frozen=True, kw_only=True)
class MemberAway:
    """To a facilitator: a member is away, and their reminders wait until then."""

    set_name: str
    user_id: str
    away_until: date


@dataclass(frozen=True)
class Held:
    """Why a private row due now is not sent now: it waits `until`, or (None) it was stopped."""

    until: datetime | None


# -- reading preferences ------------------------------------------------------------------


def preferences_of(session: Session, *, team_id: str, user_id: str) -> ReminderPreference:
    """Their stored row, or (unsaved) the defaults when they never chose."""
    found = session.get(ReminderPreference, (team_id, user_id))
    return found or ReminderPreference(team_id=team_id, user_id=user_id)


def their_zone(session: Session, *, team_id: str, user_id: str, fallback: str) -> str:
    """Their own Slack zone, as any of their Sets knows it; `fallback` when none does."""
    statement = select(Membership.timezone).where(
        Membership.team_id == team_id,
        Membership.user_id == user_id,
        col(Membership.timezone).is_not(None),
    )
    return session.exec(statement.order_by(col(Membership.id))).first() or fallback


def next_reachable(pref: ReminderPreference, zone: str, at: datetime) -> datetime:
    """The first instant from `at` when they may be reached: back from away, within their hours.

    Away until a day means back on the day after, at the start of their hours.
    """
    local = ZoneInfo(zone)
    if pref.away_until is not None and at.astimezone(local).date() <= pref.away_until:
        back = pref.away_until + timedelta(days=1)
        at = datetime.combine(back, time(), tzinfo=local).astimezone(UTC)
    start, end = _clock(pref.reach_from_minute), _clock(pref.reach_until_minute)
    return next_allowed(at, zone, start=start, end=end)


def _clock(minute: int) -> time:
    """Minutes after midnight as a time of day; the end of the day as its last instant."""
    if minute >= DAY_MINUTES:
        return time.max
    return time(minute // 60, minute % 60)


# -- delivery -----------------------------------------------------------------------------


def held(session: Session, row: OutboxMessage, now: datetime) -> Held | None:
    """What the reader's preferences say about a private row due now; None: send it now."""
    kind = REMINDER_KINDS.get(row.kind)
    if kind is None and row.kind not in PRIVATE_NOTES:
        return None
    pref = preferences_of(session, team_id=row.team_id, user_id=row.target)
    if kind is not None and kind in pref.muted:
        return Held(None)
    zone = their_zone(
        session, team_id=row.team_id, user_id=row.target, fallback=_set_zone(session, row)
    )
    when = next_reachable(pref, zone, now)
    return Held(when) if when > now else None


def with_controls(notice: Notice, row: OutboxMessage) -> Notice:
    """A private reminder carries its row, for its "Not now" and "Stop these" buttons."""
    if row.kind in REMINDER_KINDS and notice.user and not notice.channel:
        return replace(notice, reminder_id=row.id)
    return notice


def _set_zone(session: Session, row: OutboxMessage) -> str:
    """The zone of the Set the row belongs to (its key says which), else UTC."""
    prefix, set_id, *_ = [*row.dedupe_key.split(":"), "", ""]
    learning_set = session.get(LearningSet, int(set_id)) if set_id.isdigit() else None
    if prefix != "set" or learning_set is None:
        return "UTC"
    return learning_set.timezone


# -- the form -----------------------------------------------------------------------------


def reminder_form(store: Store, caller: Caller) -> ReminderForm:
    """What the caller chose so far; refused for someone in no Set, who gets no reminders."""
    with store.session() as session:
        offered, zone = _offered_and_zone(session, caller)
        pref = preferences_of(session, team_id=caller.team_id, user_id=caller.user_id)
        return ReminderForm(choice=_choice(pref), offered=offered, timezone=zone)


def check_choice(choice: ReminderChoice, *, today: date) -> dict[Field, str]:
    """Every problem with a choice, by field; `today` is a day in their own zone."""
    problems: dict[Field, str] = {}
    start, end = choice.reach_from, choice.reach_until
    if not all(0 <= m <= DAY_MINUTES and m % STEP_MINUTES == 0 for m in (start, end)):
        problems[Field.REACH] = _REACH_UNREADABLE
    elif start >= end:
        problems[Field.REACH] = _REACH_BACKWARDS
    elif end - start < SHORTEST_REACH:
        problems[Field.REACH] = _REACH_TOO_SHORT
    if choice.away_until is not None:
        if choice.away_until < today:
            problems[Field.AWAY] = _AWAY_PAST
        elif choice.away_until > today + LONGEST_AWAY:
            problems[Field.AWAY] = _AWAY_TOO_FAR
    return problems


def save_choice(store: Store, clock: Clock, caller: Caller, choice: ReminderChoice) -> Saved:
    """Keep the caller's choice; a new away day is told, once, to their Sets' facilitators.

    Kinds not offered to them (the digest, to a member) keep what they were.
    """
    now = clock.now()
    with store.session() as session:
        offered, zone = _offered_and_zone(session, caller)
        problems = check_choice(choice, today=now.astimezone(ZoneInfo(zone)).date())
        if problems:
            field, problem = next(iter(problems.items()))
            raise FieldRefusal(field, problem)
        pref = preferences_of(session, team_id=caller.team_id, user_id=caller.user_id)
        kept = {k for k in pref.muted if k not in offered}
        pref.muted = sorted(kept | {k.value for k in offered if k not in choice.receive})
        pref.reach_from_minute, pref.reach_until_minute = choice.reach_from, choice.reach_until
        newly_away = choice.away_until is not None and choice.away_until != pref.away_until
        pref.away_until, pref.updated_at = choice.away_until, now
        session.add(pref)
        told: tuple[str, ...] = ()
        if newly_away and choice.away_until is not None:
            told = _tell_facilitators_away(session, caller, choice.away_until, now)
        return Saved(choice=_choice(pref), offered=offered, timezone=zone, told=told)


def _offered_and_zone(session: Session, caller: Caller) -> tuple[tuple[ReminderKind, ...], str]:
    """The kinds this person can receive (the digest only if they facilitate), and their zone."""
    mine = [
        s
        for s in sets_of(session, team_id=caller.team_id, user_id=caller.user_id)
        if s.status == SetStatus.ACTIVE
    ]
    if not mine:
        raise Refusal(NO_SETS)
    facilitates = any(
        caller.user_id in facilitators_of(session, set_id=s.id) for s in mine if s.id is not None
    )
    offered = tuple(k for k in ReminderKind if facilitates or k not in FACILITATOR_KINDS)
    zone = their_zone(
        session, team_id=caller.team_id, user_id=caller.user_id, fallback=mine[0].timezone
    )
    return offered, zone


def _choice(pref: ReminderPreference) -> ReminderChoice:
    return ReminderChoice(
        reach_from=pref.reach_from_minute,
        reach_until=pref.reach_until_minute,
        receive=frozenset(k for k in ReminderKind if k.value not in pref.muted),
        away_until=pref.away_until,
    )


def _tell_facilitators_away(
    session: Session, caller: Caller, away_until: date, now: datetime
) -> tuple[str, ...]:
    """Owe each facilitator of the caller's open Sets a note; its key makes it once per day."""
    told: list[str] = []
    for learning_set in sets_of(session, team_id=caller.team_id, user_id=caller.user_id):
        if learning_set.id is None or learning_set.status != SetStatus.ACTIVE:
            continue
        for facilitator in facilitators_of(session, set_id=learning_set.id):
            if facilitator == caller.user_id:
                continue
            owe(
                session,
                team_id=caller.team_id,
                kind=MEMBER_AWAY,
                target=facilitator,
                due_at=now,
                key=set_key(
                    learning_set.id, "away", caller.user_id, away_until.isoformat(), facilitator
                ),
                payload={
                    "set_id": learning_set.id,
                    "user_id": caller.user_id,
                    "away_until": away_until.isoformat(),
                },
            )
            told.append(facilitator)
    return tuple(dict.fromkeys(told))


@composer(MEMBER_AWAY)
def compose_member_away(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """The note, unless they have since changed their away day or the reader left the helm."""
    set_id = row.payload.get("set_id")
    learning_set = session.get(LearningSet, set_id) if isinstance(set_id, int) else None
    user_id = str(row.payload.get("user_id", ""))
    if learning_set is None or learning_set.team_id != row.team_id or learning_set.id is None:
        return None
    if learning_set.status != SetStatus.ACTIVE:
        return None
    if row.target not in facilitators_of(session, set_id=learning_set.id):
        return None
    away_until = preferences_of(session, team_id=row.team_id, user_id=user_id).away_until
    if away_until is None or away_until.isoformat() != row.payload.get("away_until"):
        return None
    if user_id not in {m.user_id for m in current_members(session, set_id=learning_set.id)}:
        return None
    message = MemberAway(set_name=learning_set.name, user_id=user_id, away_until=away_until)
    return Notice(user=row.target, message=message)


# -- "Not now" and "Stop these" -----------------------------------------------------------


def not_now(store: Store, clock: Clock, *, team_id: str, user_id: str, reminder_id: int) -> PutOff:
    """Owe the same reminder again a day from now (or when they may next be reached).

    Its key names the meeting or action it is about, so what cancels that one's reminders
    (apologies sent, an action reported back) cancels this one too; it also names the day
    it comes back, so pressing twice in a day owes it once.
    """
    now = clock.now()
    with store.session() as session:
        row, kind = _their_reminder(session, team_id, user_id, reminder_id)
        pref = preferences_of(session, team_id=team_id, user_id=user_id)
        zone = their_zone(
            session, team_id=team_id, user_id=user_id, fallback=_set_zone(session, row)
        )
        until = next_reachable(pref, zone, now + NOT_NOW_DELAY)
        about = ":".join(row.dedupe_key.split(":")[:4])
        owe(
            session,
            team_id=team_id,
            kind=row.kind,
            target=user_id,
            due_at=until,
            key=f"{about}:later:{row.id}:{until:%Y%m%d}",
            payload=dict(row.payload),
        )
        return PutOff(kind=kind, until=until, timezone=zone)


def stop_these(
    store: Store, clock: Clock, *, team_id: str, user_id: str, reminder_id: int
) -> Stopped:
    """Stop this kind of reminder for them; what is still owed of it is cancelled when due."""
    with store.session() as session:
        _row, kind = _their_reminder(session, team_id, user_id, reminder_id)
        pref = preferences_of(session, team_id=team_id, user_id=user_id)
        if kind.value not in pref.muted:
            pref.muted = sorted({*pref.muted, kind.value})
        pref.updated_at = clock.now()
        session.add(pref)
        return Stopped(kind=kind)


def _their_reminder(
    session: Session, team_id: str, user_id: str, reminder_id: int
) -> tuple[OutboxMessage, ReminderKind]:
    """The reminder row, if it is this team's, a private reminder, and was for the presser."""
    row = session.get(OutboxMessage, reminder_id)
    kind = REMINDER_KINDS.get(row.kind) if row is not None else None
    if row is None or kind is None or row.team_id != team_id or row.target != user_id:
        raise Refusal(NOT_YOURS)
    return row, kind
