"""Committing to an action and reporting back on it: what makes a Set more than a conversation.

A presenter ends their round by deciding what they will do, and the Set holds them to
it kindly: a nudge halfway, another on the day, and at the next meeting the question
"what happened when you took action?". Between meetings `/action` lists what someone
has committed to, so they can report back, say they are still working on it, or drop it.

Buttons and modals carry ids, never trust: every change looks the commitment up within
the caller's team and checks that the caller is its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, Refusal, member_here
from bot.flows.meeting_reminders import next_allowed, zone_of
from bot.flows.notices import Notice, composer
from bot.flows.sharing import ShareTag
from bot.store.commitments import (
    ACTIVE,
    commitment_in_team,
    commitments_with_sets,
    first_scheduled_from,
)
from bot.store.db import Store
from bot.store.meetings import open_meeting_of
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningSet,
    Meeting,
    OutboxMessage,
    Round,
    SetStatus,
)
from bot.store.outbox import cancel_keys, owe, set_key
from bot.store.rounds import round_in_team
from bot.store.sets import membership, set_by_channel, sets_of

# The columns hold 3000 characters, as does a Slack text input.
MAX_TEXT = 3000
# Reminders arrive at the start of the member's working day, in their own zone.
NUDGE_AT = time(9, 0)
HALFWAY_KIND, DUE_KIND = "commitment_nudge", "commitment_due"
# `/action` shows every action still open and the last few finished ones.
MAX_ACTIVE_LISTED, MAX_FINISHED_LISTED = 20, 5

NOT_A_MEMBER = (
    "Only members of *{set}* can commit to an action there. "
    "If you'd like to join, ask the Set's facilitator to add you."
)
SET_CLOSED = "*{set}* has closed, so its actions can't be changed any more."
NO_SETS = (
    "You aren't in an Action Learning Set yet, so there's nowhere to record an action. "
    "Ask a facilitator to add you to one."
)
NO_SUCH_SET = "I can't find that Set any more. Type `/set` to see the Sets you belong to."
NOT_THE_PRESENTER = (
    "Only the member presenting in this round commits to its action. If you'd like to "
    "record an action of your own, type `/action new`."
)
NO_SUCH_ROUND = "I can't find that round any more. Type `/action new` to record your action."
NOT_YOURS = (
    "That action belongs to someone else, so I left it as it was. "
    "Type `/action` to see your own actions."
)
ALREADY_FINISHED = {
    CommitmentStatus.REPORTED: "You've already reported back on that action. Thank you!",
    CommitmentStatus.DROPPED: "You dropped that action earlier, so there's nothing more to do.",
}


class Field(StrEnum):
    """What a person typed or picked, so a problem can be shown beside the right input."""

    SET = "set"
    TEXT = "text"
    DUE_ON = "due_on"
    MEASURE = "success_measure"
    HAPPENED = "happened"
    LEARNED = "learned"
    REASON = "reason"


class FieldRefusal(Refusal):
    """A refusal about one thing in a form: the modal shows it beside that input."""

    def __init__(self, field: Field, template: str, **names: str) -> None:
        super().__init__(template, **names)
        self.field = field


# What to say when a field is left empty or runs too long.
_EMPTY = {
    Field.TEXT: "Say what you will do: one concrete step is plenty.",
    Field.HAPPENED: "Say what happened when you took action, even if it didn't go to plan.",
    Field.REASON: "Say briefly why you're dropping it: it helps you and the Set learn.",
}
_TOO_LONG = "Keep this to 3000 characters or fewer."
_IN_THE_PAST = "That date has already passed. Pick today or a later day."
_PICK_A_SET = "Pick the Set this action is for."


@dataclass(frozen=True)
class SetChoice:
    set_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class CommitmentForm:
    """What the "commit to an action" modal starts from.

    `set_id` is None when the caller is in several Sets and must pick one from `choices`;
    `default_due` is then None too, as each Set has its own next meeting.
    """

    round_id: int | None
    set_id: int | None
    set_name: str
    choices: tuple[SetChoice, ...] = ()
    default_due: date | None


@dataclass(frozen=True)
class Thread:
    """Where a round's messages go: the thread under its root message."""

    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class CommitmentView:
    """One commitment as its owner and the Set see it; `thread` is set only by `commit`."""

    commitment_id: int
    set_id: int
    set_name: str
    set_channel_id: str | None
    user_id: str
    text: str
    success_measure: str
    due_on: date | None
    status: CommitmentStatus
    overdue: bool
    actionable: bool
    report_text: str | None = None
    learned_text: str | None = None
    drop_reason: str | None = None
    share_consent: bool = False
    thread: Thread | None = None


@dataclass(frozen=True, kw_only=True)
class CommitmentReminder:
    """A private nudge about one action: halfway to its date, or on the day itself."""

    commitment: CommitmentView
    due_today: bool


def check_commitment(
    *, text: str, success_measure: str, due_on: date | None = None, today: date | None = None
) -> dict[Field, str]:
    """Every problem with what was typed, by field; the date is checked only given `today`.

    The modal calls this without `today` (it doesn't know the Set's zone); `commit` with it.
    """
    problems = {
        Field.TEXT: _words_problem(Field.TEXT, text),
        Field.MEASURE: _words_problem(Field.MEASURE, success_measure),
        Field.DUE_ON: _IN_THE_PAST if due_on and today and due_on < today else None,
    }
    return {name: problem for name, problem in problems.items() if problem}


def check_report(*, happened: str, learned: str) -> dict[Field, str]:
    problems = {
        Field.HAPPENED: _words_problem(Field.HAPPENED, happened),
        Field.LEARNED: _words_problem(Field.LEARNED, learned),
    }
    return {name: problem for name, problem in problems.items() if problem}


def check_drop(*, reason: str) -> dict[Field, str]:
    problem = _words_problem(Field.REASON, reason)
    return {Field.REASON: problem} if problem else {}


def _words_problem(field: Field, text: str) -> str | None:
    """Empty where an answer is needed, or longer than the column holds."""
    if not text.strip():
        return _EMPTY.get(field)
    return _TOO_LONG if len(text.strip()) > MAX_TEXT else None


def _refuse_first(problems: dict[Field, str]) -> None:
    """Raise the first problem: the modal checks first, but a flow trusts no caller."""
    if problems:
        field, problem = next(iter(problems.items()))
        raise FieldRefusal(field, problem)


def commitment_form(
    store: Store, clock: Clock, caller: Caller, *, round_id: int | None = None
) -> CommitmentForm:
    """Check the caller may commit here before the modal opens, and what to prefill."""
    with store.session() as session:
        round_ = _presenters_round(session, caller, round_id) if round_id is not None else None
        try:
            learning_set = _set_for(session, caller, round_=round_, set_id=None)
        except FieldRefusal as refusal:
            if refusal.field != Field.SET:
                raise
            return _choose_a_set(session, caller, round_id)
        assert learning_set.id is not None
        return CommitmentForm(
            round_id=round_id,
            set_id=learning_set.id,
            set_name=learning_set.name,
            default_due=default_due(session, learning_set, now=clock.now()),
        )


def _choose_a_set(session: Session, caller: Caller, round_id: int | None) -> CommitmentForm:
    choices = tuple(
        SetChoice(s.id, s.name) for s in _open_sets(session, caller) if s.id is not None
    )
    return CommitmentForm(
        round_id=round_id, set_id=None, set_name="", choices=choices, default_due=None
    )


def commit(
    store: Store,
    clock: Clock,
    caller: Caller,
    *,
    round_id: int | None = None,
    set_id: int | None = None,
    text: str,
    due_on: date | None,
    success_measure: str = "",
) -> CommitmentView:
    """Record an action and owe its reminders; says where to post it (the round's thread).

    With a round, only its presenter may commit and the Set is the round's; without
    one, `set_id` (picked in the modal), or else the channel's Set, or else the
    caller's only Set. No date means the day before the Set's next meeting.
    """
    now = clock.now()
    with store.session() as session:
        round_ = _presenters_round(session, caller, round_id) if round_id is not None else None
        learning_set = _set_for(session, caller, round_=round_, set_id=set_id)
        assert learning_set.id is not None
        today = _today(learning_set, now)
        due_on = due_on or default_due(session, learning_set, now=now)
        _refuse_first(
            check_commitment(text=text, success_measure=success_measure, due_on=due_on, today=today)
        )
        commitment = Commitment(
            team_id=caller.team_id,
            set_id=learning_set.id,
            user_id=caller.user_id,
            round_id=round_id,
            meeting_id=_meeting_id(session, learning_set.id, round_),
            text=text.strip(),
            success_measure=success_measure.strip(),
            due_on=due_on,
            created_at=now,
        )
        session.add(commitment)
        session.flush()
        plan_commitment_nudges(session, commitment=commitment, learning_set=learning_set, now=now)
        thread = (
            Thread(round_.channel_id, round_.thread_ts) if round_ and round_.thread_ts else None
        )
        return _view(commitment, learning_set, today=today, thread=thread)


def _meeting_id(session: Session, set_id: int, round_: Round | None) -> int | None:
    """A round's meeting; otherwise the Set's meeting under way, if any."""
    if round_ is not None:
        return round_.meeting_id
    meeting = open_meeting_of(session, set_id=set_id)
    return meeting.id if meeting else None


def _set_for(
    session: Session, caller: Caller, *, round_: Round | None, set_id: int | None
) -> LearningSet:
    """The Set an action belongs to, checking the caller may commit to one there."""
    if round_ is not None:
        meeting = session.get(Meeting, round_.meeting_id)
        if meeting is None:
            raise Refusal(NO_SUCH_ROUND)
        return _member_of(session, caller, meeting.set_id)
    if set_id is not None:
        return _member_of(session, caller, set_id)
    if set_by_channel(session, team_id=caller.team_id, channel_id=caller.channel_id):
        return member_here(session, caller).learning_set
    mine = _open_sets(session, caller)
    if not mine:
        raise Refusal(NO_SETS)
    if len(mine) > 1:
        raise FieldRefusal(Field.SET, _PICK_A_SET)
    return mine[0]


def _presenters_round(session: Session, caller: Caller, round_id: int) -> Round:
    """The round, if it is this team's and the caller presented in it.

    A closed round is fine: a presenter may settle on their action just after it ends.
    """
    round_ = round_in_team(session, team_id=caller.team_id, round_id=round_id)
    if round_ is None:
        raise Refusal(NO_SUCH_ROUND)
    if round_.presenter_id != caller.user_id:
        raise Refusal(NOT_THE_PRESENTER)
    return round_


def _member_of(session: Session, caller: Caller, set_id: int) -> LearningSet:
    """The Set, if it is this team's, open, and the caller is in it now."""
    learning_set = session.get(LearningSet, set_id)
    if learning_set is None or learning_set.team_id != caller.team_id:
        raise Refusal(NO_SUCH_SET)
    place = membership(session, set_id=set_id, user_id=caller.user_id)
    if place is None or place.left_at is not None:
        raise Refusal(NOT_A_MEMBER, set=learning_set.name)
    if learning_set.status == SetStatus.CLOSED:
        raise Refusal(SET_CLOSED, set=learning_set.name)
    return learning_set


def _open_sets(session: Session, caller: Caller) -> list[LearningSet]:
    found = sets_of(session, team_id=caller.team_id, user_id=caller.user_id)
    return [s for s in found if s.status != SetStatus.CLOSED]


def default_due(session: Session, learning_set: LearningSet, *, now: datetime) -> date | None:
    """The day before the Set's next meeting on a later day, in the Set's zone.

    A meeting later today is passed over: the day before it has gone. None when no
    meeting is planned, so the action has no date unless its owner gives one.
    """
    assert learning_set.id is not None
    zone = ZoneInfo(learning_set.timezone)
    tomorrow = _today(learning_set, now) + timedelta(days=1)
    earliest = datetime.combine(tomorrow, time(), tzinfo=zone).astimezone(UTC)
    meeting = first_scheduled_from(session, set_id=learning_set.id, earliest=earliest)
    if meeting is None or meeting.scheduled_at is None:
        return None
    return meeting.scheduled_at.astimezone(zone).date() - timedelta(days=1)


def _today(learning_set: LearningSet, now: datetime) -> date:
    return now.astimezone(ZoneInfo(learning_set.timezone)).date()


def plan_commitment_nudges(
    session: Session, *, commitment: Commitment, learning_set: LearningSet, now: datetime
) -> list[OutboxMessage]:
    """Owe a nudge halfway to the due date and one on the day, each at 09:00 the owner's time.

    The owner's time is their own Slack zone, or the Set's while we don't know theirs.
    Halfway is counted in whole local days from the day of committing; an action due in
    a day or two gets only the nudge on the day, and nothing already past is owed.
    """
    if commitment.due_on is None or commitment.id is None or learning_set.id is None:
        return []
    zone = zone_of(session, learning_set, commitment.user_id)
    made_on = (commitment.created_at or now).astimezone(ZoneInfo(zone)).date()
    halfway = made_on + timedelta(days=(commitment.due_on - made_on).days // 2)
    planned = [(DUE_KIND, "due", _nine_am(commitment.due_on, zone))]
    if made_on < halfway < commitment.due_on:
        planned.insert(0, (HALFWAY_KIND, "half", _nine_am(halfway, zone)))
    return [
        owe(
            session,
            team_id=commitment.team_id,
            kind=kind,
            target=commitment.user_id,
            due_at=due_at,
            key=set_key(learning_set.id, "commitment", commitment.id, label),
            payload={"commitment_id": commitment.id},
        )
        for kind, label, due_at in planned
        if due_at > now
    ]


def _nine_am(day: date, zone: str) -> datetime:
    """NUDGE_AT on `day` in `zone`; were NUDGE_AT moved out of waking hours, the next opening."""
    return next_allowed(datetime.combine(day, NUDGE_AT, tzinfo=ZoneInfo(zone)), zone)


def _nudges_prefix(commitment: Commitment) -> str:
    """Every key of one commitment's nudges; the colon keeps commitment 1 clear of 12."""
    return set_key(commitment.set_id, "commitment", commitment.id) + ":"


def my_commitments(
    store: Store, clock: Clock, *, team_id: str, user_id: str
) -> list[CommitmentView]:
    """What `/action` lists, most pressing first.

    Open and in-progress actions, soonest due first (undated last); then the last few
    finished ones, newest first.
    """
    now = clock.now()
    with store.session() as session:
        rows = commitments_with_sets(session, team_id=team_id, user_id=user_id)
        views = [_view(c, s, today=_today(s, now)) for c, s in rows]
    active = sorted(
        (v for v in views if v.status in ACTIVE),
        key=lambda v: (v.due_on is None, v.due_on or date.max, v.commitment_id),
    )
    finished = [v for v in reversed(views) if v.status not in ACTIVE]
    return active[:MAX_ACTIVE_LISTED] + finished[:MAX_FINISHED_LISTED]


def own_commitment(
    store: Store, clock: Clock, *, team_id: str, user_id: str, commitment_id: int
) -> CommitmentView:
    """The caller's own action, still open: checked before a Report back or Drop modal opens."""
    with store.session() as session:
        commitment, learning_set = _own_active(session, team_id, user_id, commitment_id)
        return _view(commitment, learning_set, today=_today(learning_set, clock.now()))


def report_back(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    user_id: str,
    commitment_id: int,
    happened: str,
    learned: str,
    share: bool,
    tag: ShareTag | None = None,
) -> CommitmentView:
    """Record what happened and what was learned; no more reminders are owed for it.

    In Slack `share` is always False here: the member consents afterwards, once they
    have seen exactly what would be shared (bot/flows/sharing.py).
    """
    now = clock.now()
    with store.session() as session:
        commitment, learning_set = _own_active(session, team_id, user_id, commitment_id)
        _refuse_first(check_report(happened=happened, learned=learned))
        commitment.status = CommitmentStatus.REPORTED
        commitment.report_text, commitment.learned_text = happened.strip(), learned.strip()
        commitment.share_consent, commitment.reported_at = share, now
        commitment.share_tag = tag.value if tag else None
        session.add(commitment)
        cancel_keys(session, team_id=team_id, prefix=_nudges_prefix(commitment))
        return _view(commitment, learning_set, today=_today(learning_set, now))


def still_working(
    store: Store, clock: Clock, *, team_id: str, user_id: str, commitment_id: int
) -> CommitmentView:
    """Mark an action as in progress; its reminders stay, as the date still stands."""
    with store.session() as session:
        commitment, learning_set = _own_active(session, team_id, user_id, commitment_id)
        commitment.status = CommitmentStatus.WORKING
        session.add(commitment)
        return _view(commitment, learning_set, today=_today(learning_set, clock.now()))


def drop(
    store: Store, clock: Clock, *, team_id: str, user_id: str, commitment_id: int, reason: str
) -> CommitmentView:
    """Let an action go, saying why; its reminders are cancelled."""
    with store.session() as session:
        commitment, learning_set = _own_active(session, team_id, user_id, commitment_id)
        _refuse_first(check_drop(reason=reason))
        commitment.status, commitment.drop_reason = CommitmentStatus.DROPPED, reason.strip()
        session.add(commitment)
        cancel_keys(session, team_id=team_id, prefix=_nudges_prefix(commitment))
        return _view(commitment, learning_set, today=_today(learning_set, clock.now()))


def _own_active(
    session: Session, team_id: str, user_id: str, commitment_id: int
) -> tuple[Commitment, LearningSet]:
    """The commitment, if it is this team's, the caller's, still open, in an open Set."""
    commitment = commitment_in_team(
        session, team_id=team_id, commitment_id=commitment_id, for_update=True
    )
    if commitment is None or commitment.user_id != user_id:
        raise Refusal(NOT_YOURS)
    if commitment.status not in ACTIVE:
        raise Refusal(ALREADY_FINISHED[CommitmentStatus(commitment.status)])
    learning_set = session.get(LearningSet, commitment.set_id)
    assert learning_set is not None
    if learning_set.status == SetStatus.CLOSED:
        raise Refusal(SET_CLOSED, set=learning_set.name)
    return commitment, learning_set


def _view(
    commitment: Commitment, learning_set: LearningSet, *, today: date, thread: Thread | None = None
) -> CommitmentView:
    assert commitment.id is not None and learning_set.id is not None
    status = CommitmentStatus(commitment.status)
    active = status in ACTIVE
    return CommitmentView(
        commitment_id=commitment.id,
        set_id=learning_set.id,
        set_name=learning_set.name,
        set_channel_id=learning_set.channel_id,
        user_id=commitment.user_id,
        text=commitment.text,
        success_measure=commitment.success_measure,
        due_on=commitment.due_on,
        status=status,
        overdue=active and commitment.due_on is not None and commitment.due_on < today,
        actionable=active and learning_set.status != SetStatus.CLOSED,
        report_text=commitment.report_text,
        learned_text=commitment.learned_text,
        drop_reason=commitment.drop_reason,
        share_consent=commitment.share_consent,
        thread=thread,
    )


@composer(HALFWAY_KIND)
def compose_halfway(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """Halfway to the date: how is it going?"""
    return _reminder(session, row, now, due_today=False)


@composer(DUE_KIND)
def compose_due(session: Session, row: OutboxMessage, now: datetime) -> Notice | None:
    """On the day: what happened?"""
    return _reminder(session, row, now, due_today=True)


def _reminder(
    session: Session, row: OutboxMessage, now: datetime, *, due_today: bool
) -> Notice | None:
    """A direct message to the owner; None once the action is finished or they have left."""
    commitment_id = row.payload.get("commitment_id")
    if not isinstance(commitment_id, int):
        return None
    commitment = commitment_in_team(session, team_id=row.team_id, commitment_id=commitment_id)
    if commitment is None or commitment.status not in ACTIVE:
        return None
    learning_set = session.get(LearningSet, commitment.set_id)
    place = membership(session, set_id=commitment.set_id, user_id=commitment.user_id)
    if learning_set is None or learning_set.status == SetStatus.CLOSED:
        return None
    if place is None or place.left_at is not None:
        return None
    view = _view(commitment, learning_set, today=_today(learning_set, now))
    # Put off ("Not now") or held while they were away, it may arrive after the day itself.
    owners_day = now.astimezone(ZoneInfo(zone_of(session, learning_set, commitment.user_id)))
    on_the_day = due_today and owners_day.date() == commitment.due_on
    return Notice(
        message=CommitmentReminder(commitment=view, due_today=on_the_day), user=view.user_id
    )
