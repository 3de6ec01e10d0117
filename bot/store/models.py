"""The tables behind an Action Learning Set.

Every row carries the Slack team it belongs to, so one database can serve many
workspaces and no query can cross between them by accident. Round threads are
confidential: contributions keep who, when and what kind — never the words.
Times are aware UTC (see `UtcDateTime`); local times are worked out from a Set's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint, false, true
from sqlmodel import Field, SQLModel

from bot.store import installations  # noqa: F401  (Slack's install tables, same metadata)
from bot.store.types import UtcDateTime

DEFAULT_SESSION_MINUTES = 120


def _when(*, index: bool = False, nullable: bool = True) -> datetime | None:
    """A UTC timestamp column (SQLModel needs a fresh FieldInfo per column)."""
    return Field(default=None, sa_type=UtcDateTime, index=index, nullable=nullable)


def _status(default: StrEnum) -> StrEnum:
    """Statuses are stored as plain strings: adding one later needs no enum migration."""
    return Field(default=default, sa_type=String(16))


class SetStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Role(StrEnum):
    FACILITATOR = "facilitator"
    MEMBER = "member"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    ENDED = "ended"
    SKIPPED = "skipped"


class MeetingMode(StrEnum):
    """Live: the Set meets at one time. Asynchronous: in writing, over a window of days."""

    LIVE = "live"
    ASYNC = "async"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"


class CommitmentStatus(StrEnum):
    OPEN = "open"
    WORKING = "working"
    REPORTED = "reported"
    DROPPED = "dropped"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Workspace(SQLModel, table=True):
    """A Slack team that has installed setbot."""

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    installed_at: datetime | None = _when()


class LearningSet(SQLModel, table=True):
    """A Set: members and facilitators around one problem area and training theme."""

    __tablename__ = "learning_set"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    name: str = Field(max_length=80)
    theme: str = Field(default="", max_length=200)
    problem_area: str = Field(default="", max_length=500)
    channel_id: str | None = Field(default=None, index=True, max_length=32)
    # RFC 5545 recurrence (e.g. "FREQ=MONTHLY;BYDAY=1TU;COUNT=3") read in `timezone`.
    cadence: str = Field(default="", max_length=500)
    first_meeting_at: datetime | None = _when()
    timezone: str = Field(default="Europe/London", max_length=64)
    session_minutes: int = DEFAULT_SESSION_MINUTES
    status: SetStatus = _status(SetStatus.ACTIVE)
    ground_rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    coaching_hints: bool = True
    # How the Set usually meets; a single meeting may differ (Meeting.mode).
    meeting_mode: MeetingMode = Field(
        default=MeetingMode.LIVE, sa_type=String(16), sa_column_kwargs={"server_default": "live"}
    )
    # An asynchronous meeting's window, in working days.
    async_window_days: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    # Whether rounds have an ideas phase after the questions (the method's default: yes).
    ideas_phase: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # When the Set is reminded (bot.flows.reminder_timing); empty means the defaults.
    reminder_timing: dict[str, object] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    created_by: str = Field(default="", max_length=32)
    created_at: datetime | None = _when()
    closed_at: datetime | None = _when()


class Membership(SQLModel, table=True):
    """Someone's place in a Set; kept after they leave so past records still add up."""

    __table_args__ = (UniqueConstraint("set_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    set_id: int = Field(foreign_key="learning_set.id", index=True)
    user_id: str = Field(max_length=32)
    role: Role = _status(Role.MEMBER)
    joined_at: datetime | None = _when()
    left_at: datetime | None = _when()
    ground_rules_agreed_at: datetime | None = _when()
    # Their own Slack time zone (IANA, users.info `tz`), so private messages reach them in
    # waking hours; None until Slack has told us, and then the Set's zone stands in.
    timezone: str | None = Field(default=None, max_length=64)


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    set_id: int = Field(foreign_key="learning_set.id", index=True)
    scheduled_at: datetime | None = _when(index=True)
    session_minutes: int = DEFAULT_SESSION_MINUTES
    status: MeetingStatus = _status(MeetingStatus.SCHEDULED)
    started_at: datetime | None = _when()
    ended_at: datetime | None = _when()
    started_by: str | None = Field(default=None, max_length=32)
    # Slack ts of the meeting card, so it can be updated in place.
    card_ts: str | None = Field(default=None, max_length=32)
    # Presenters in order, as agreed at the start (user ids).
    turn_order: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mode: MeetingMode = Field(
        default=MeetingMode.LIVE, sa_type=String(16), sa_column_kwargs={"server_default": "live"}
    )
    # An asynchronous meeting: when its window closes, and whether its rounds run side by
    # side (all open at once) rather than one after another.
    window_ends_at: datetime | None = _when()
    side_by_side: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Minutes the Set agreed for a member's round at the start, where not an equal share.
    round_minutes: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(max_length=32)
    status: AttendanceStatus = _status(AttendanceStatus.PRESENT)
    at: datetime | None = _when()


class Round(SQLModel, table=True):
    """One member's turn: a threaded conversation under a root message."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    presenter_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, index=True, max_length=32)
    phase: str = Field(default="", max_length=32)
    slot_minutes: int = 0
    # The phases this round runs through, in order (`phases_for`), fixed when it opens.
    route: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    opened_at: datetime | None = _when()
    phase_started_at: datetime | None = _when()
    # An asynchronous round's phase ends by itself at this instant (through the outbox).
    phase_due_at: datetime | None = _when()
    # A paused round keeps how long its phase had left, and resumes with that much.
    paused_at: datetime | None = _when()
    paused_seconds_left: int | None = None
    closed_at: datetime | None = _when()
    duration_seconds: int | None = None


class RoundPresence(SQLModel, table=True):
    """That a member has looked at a round, or said they are thinking: never what they thought."""

    __tablename__ = "round_presence"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id", index=True)
    user_id: str = Field(max_length=32)
    seen_at: datetime | None = _when()
    thinking_at: datetime | None = _when()


class PhaseMove(SQLModel, table=True):
    """A round moved from one phase to the next, kept so the move can be undone briefly."""

    __tablename__ = "phase_move"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id", index=True)
    from_phase: str = Field(max_length=32)
    to_phase: str = Field(max_length=32)
    from_started_at: datetime | None = _when()
    from_due_at: datetime | None = _when()
    moved_by: str | None = Field(default=None, max_length=32)
    moved_at: datetime | None = _when()
    # The thread note with the Undo button, so undoing can update it.
    note_ts: str | None = Field(default=None, max_length=32)
    undone_at: datetime | None = _when()


class RoundOutline(SQLModel, table=True):
    """A presenter's private draft of their problem, posted when their round opens, then deleted."""

    __tablename__ = "round_outline"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(max_length=32)
    text: str = Field(max_length=3000)
    saved_at: datetime | None = _when()


class Contribution(SQLModel, table=True):
    """That someone spoke in a round, and how: never what they said."""

    __table_args__ = (UniqueConstraint("round_id", "message_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id", index=True)
    user_id: str = Field(max_length=32)
    phase: str = Field(max_length=32)
    is_question: bool = False
    # open_question, closed_question, advice or statement (bot.flows.questions.Kind);
    # None for what was heard before the kind was kept.
    kind: str | None = Field(default=None, max_length=16)
    word_count: int = 0
    message_ts: str = Field(max_length=32)
    at: datetime | None = _when()


class Commitment(SQLModel, table=True):
    """An action a presenter commits to, and what they report back about it."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    set_id: int = Field(foreign_key="learning_set.id", index=True)
    user_id: str = Field(index=True, max_length=32)
    round_id: int | None = Field(default=None, foreign_key="round.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    text: str = Field(max_length=3000)
    success_measure: str = Field(default="", max_length=3000)
    due_on: date | None = None
    status: CommitmentStatus = _status(CommitmentStatus.OPEN)
    report_text: str | None = Field(default=None, max_length=3000)
    learned_text: str | None = Field(default=None, max_length=3000)
    drop_reason: str | None = Field(default=None, max_length=3000)
    share_consent: bool = False
    # What a shared learning is for the organisation (bot.flows.sharing.ShareTag).
    share_tag: str | None = Field(default=None, max_length=16)
    # The facilitator kept it out of the organisation report, and told the member why.
    withheld_reason: str | None = Field(default=None, max_length=500)
    withheld_at: datetime | None = _when()
    created_at: datetime | None = _when()
    reported_at: datetime | None = _when()
    # The round this action was last brought back to the Set in, so a report made
    # between meetings is shown once, in the presenter's next round.
    shown_in_round_id: int | None = Field(default=None, foreign_key="round.id")


class ProcessReflection(SQLModel, table=True):
    """A member's view, after a meeting, of how well the Set's process worked."""

    __tablename__ = "process_reflection"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(max_length=32)
    score: int
    helped: str = Field(default="", max_length=3000)
    change: str = Field(default="", max_length=3000)
    share_consent: bool = False
    at: datetime | None = _when()


class LearningEntry(SQLModel, table=True):
    """What a member learned at a meeting, in their own private log.

    Only its writer reads it, unless they chose to share it anonymously with the
    organisation; the facilitator may then withhold it from the report, with a reason.
    """

    __tablename__ = "learning_entry"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    set_id: int = Field(foreign_key="learning_set.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(index=True, max_length=32)
    about_issue: str = Field(default="", max_length=3000)
    about_learning: str = Field(default="", max_length=3000)
    share_consent: bool = False
    share_tag: str | None = Field(default=None, max_length=16)
    withheld_reason: str | None = Field(default=None, max_length=500)
    withheld_at: datetime | None = _when()
    written_at: datetime | None = _when()


class Resource(SQLModel, table=True):
    """A good-practice example the facilitator can signpost: the P in L = P + Q."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    set_id: int = Field(foreign_key="learning_set.id", index=True)
    title: str = Field(max_length=150)
    url: str = Field(max_length=2000)
    note: str = Field(default="", max_length=500)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    added_by: str = Field(default="", max_length=32)
    added_at: datetime | None = _when()


class Signpost(SQLModel, table=True):
    """That a resource was pointed out in a round."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    resource_id: int = Field(foreign_key="resource.id", index=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    by: str = Field(default="", max_length=32)
    at: datetime | None = _when()


class OrgLead(SQLModel, table=True):
    """Someone a workspace admin asked to see learning across all of its Sets."""

    __tablename__ = "org_lead"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    granted_by: str = Field(default="", max_length=32)
    granted_at: datetime | None = _when()


class ReminderPreference(SQLModel, table=True):
    """How one person wants setbot to reach them privately, across all their Sets.

    No row means the defaults: every kind, between 08:00 and 19:00 in their own zone.
    """

    __tablename__ = "reminder_preference"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    # Minutes after local midnight between which private reminders may arrive.
    reach_from_minute: int = 8 * 60
    reach_until_minute: int = 19 * 60
    # Kinds of private reminder they have stopped (bot.flows.reminder_preferences).
    muted: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Away: private reminders and their rounds wait until this day (in their own zone).
    away_until: date | None = None
    updated_at: datetime | None = _when()


class SeenEvent(SQLModel, table=True):
    """A Slack event or interaction already handled, so a retry of it does nothing twice.

    Rows older than a day are swept: Slack retries within minutes.
    """

    __tablename__ = "seen_event"

    team_id: str = Field(primary_key=True, max_length=32)
    event_id: str = Field(primary_key=True, max_length=128)
    seen_at: datetime | None = _when(index=True)


class OutboxMessage(SQLModel, table=True):
    """A message owed at a time: the durable source of truth for every reminder.

    The dedupe key names the purpose (`meeting:42:T-24h`), so writing the same
    reminder twice is a no-op and moving a meeting moves its row.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        # The dispatcher asks "what is pending and due?": that scan must not grow with the future.
        Index("ix_outbox_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    kind: str = Field(max_length=48)
    target: str = Field(max_length=64)
    due_at: datetime | None = _when(nullable=False)
    dedupe_key: str = Field(max_length=200)
    status: OutboxStatus = _status(OutboxStatus.PENDING)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    payload: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    claimed_until: datetime | None = _when()
    sent_at: datetime | None = _when()
