"""Databases the size a busy workspace reaches, written fast with SQLAlchemy core.

The flows write one row at a time, as people act; a benchmark needs years of Sets in
seconds, so these helpers build plain row dicts with ids chosen here and insert them in
large batches. Every row is one the bot itself could have written: the same columns,
statuses and dedupe keys, so the flows read it exactly as they would their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.flows.schedule import Cadence, to_rfc5545
from bot.store.models import (
    Attendance,
    AttendanceStatus,
    Commitment,
    CommitmentStatus,
    Contribution,
    LearningSet,
    Meeting,
    MeetingStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Role,
    Round,
)
from bot.store.outbox import set_key

TEAM = "T0SETBOT"
# Rows per INSERT batch: big enough to amortise the round trip, small enough for memory.
CHUNK = 5_000
ROUND_PHASES = ("report_back", "describe", "questions", "reflect")
Row = dict[str, Any]


def facilitator_of(set_number: int) -> str:
    return f"UF{set_number:07d}"


def member_of(set_number: int, seat: int) -> str:
    return f"UM{set_number:07d}{seat}"


@dataclass
class Rows:
    """Rows to insert, by table, with the next free id of each table."""

    by_table: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def add(self, table: str, **values: Any) -> int:
        row_id = self.next_id[table]
        self.next_id[table] += 1
        self.by_table[table].append({"id": row_id, **values})
        return row_id

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_table.values())


@dataclass(frozen=True, kw_only=True)
class History:
    """What one Set has been through: how many months of meetings, and how busy they were."""

    members: int = 8
    months: int = 12
    # Meetings still to come after the history, each owed a channel reminder.
    upcoming: int = 1
    # Contributions each member makes to each round (0: rounds without contributions).
    contributions_per_member: int = 0


def a_set_with_history(
    rows: Rows, *, set_number: int, channel_id: str, history: History, now: datetime
) -> int:
    """One monthly Set whose first meeting was `history.months` months before `now`.

    Every past meeting ended with a round for each member, each of whom committed to an
    action and reported back on it; the last meeting's actions are still open.
    """
    facilitator = facilitator_of(set_number)
    members = [member_of(set_number, seat) for seat in range(history.members)]
    # The next meeting is a week away, so its reminder is still worth sending.
    first = (now - timedelta(days=30 * history.months - 7)).replace(microsecond=0)
    total = history.months + history.upcoming
    set_id = rows.add(
        LearningSet.__tablename__,
        team_id=TEAM,
        name=f"Set {set_number:05d}",
        theme="Leading through change",
        channel_id=channel_id,
        cadence=to_rfc5545(Cadence.monthly(ordinal=1, weekday=1, count=total)),
        first_meeting_at=first,
        ground_rules=[],
        created_by=facilitator,
        created_at=first - timedelta(days=14),
    )
    for person, role in [(facilitator, Role.FACILITATOR), *((m, Role.MEMBER) for m in members)]:
        rows.add(
            Membership.__tablename__,
            team_id=TEAM,
            set_id=set_id,
            user_id=person,
            role=role,
            joined_at=first - timedelta(days=14),
            ground_rules_agreed_at=first - timedelta(days=7),
        )
    for month in range(total):
        at = first + timedelta(days=30 * month)
        if month < history.months:
            _a_meeting_held(
                rows,
                set_id=set_id,
                channel_id=channel_id,
                members=members,
                at=at,
                history=history,
                last=month == history.months - 1,
            )
        else:
            _a_meeting_to_come(rows, set_id=set_id, channel_id=channel_id, at=at, now=now)
    return set_id


def _a_meeting_held(
    rows: Rows,
    *,
    set_id: int,
    channel_id: str,
    members: list[str],
    at: datetime,
    history: History,
    last: bool,
) -> None:
    meeting_id = rows.add(
        Meeting.__tablename__,
        team_id=TEAM,
        set_id=set_id,
        scheduled_at=at,
        status=MeetingStatus.ENDED,
        started_at=at,
        ended_at=at + timedelta(hours=2),
        turn_order=members,
    )
    for seat, presenter in enumerate(members):
        rows.add(
            Attendance.__tablename__,
            team_id=TEAM,
            meeting_id=meeting_id,
            user_id=presenter,
            status=AttendanceStatus.PRESENT,
            at=at,
        )
        opened = at + timedelta(minutes=12 * seat)
        round_id = rows.add(
            Round.__tablename__,
            team_id=TEAM,
            meeting_id=meeting_id,
            presenter_id=presenter,
            channel_id=channel_id,
            thread_ts=f"{opened.timestamp():.6f}",
            phase="closed",
            slot_minutes=12,
            opened_at=opened,
            closed_at=opened + timedelta(minutes=12),
            duration_seconds=720,
        )
        for speaker_seat, speaker in enumerate(members):
            for turn in range(history.contributions_per_member):
                said = opened + timedelta(seconds=10 * turn + speaker_seat)
                rows.add(
                    Contribution.__tablename__,
                    team_id=TEAM,
                    round_id=round_id,
                    user_id=speaker,
                    phase=ROUND_PHASES[turn % len(ROUND_PHASES)],
                    is_question=turn % 2 == 0,
                    kind="open_question" if turn % 2 == 0 else "statement",
                    word_count=12,
                    message_ts=f"{said.timestamp():.6f}",
                    at=said,
                )
        rows.add(
            Commitment.__tablename__,
            team_id=TEAM,
            set_id=set_id,
            user_id=presenter,
            round_id=round_id,
            meeting_id=meeting_id,
            text="Hold a one-to-one with each of my team",
            due_on=(at + timedelta(days=28)).date(),
            status=CommitmentStatus.OPEN if last else CommitmentStatus.REPORTED,
            report_text=None if last else "Four of five happened",
            created_at=opened,
            reported_at=None if last else at + timedelta(days=20),
        )


def _a_meeting_to_come(
    rows: Rows, *, set_id: int, channel_id: str, at: datetime, now: datetime
) -> None:
    """A scheduled meeting, and its channel reminder: already due, as after a quiet night."""
    meeting_id = rows.add(
        Meeting.__tablename__,
        team_id=TEAM,
        set_id=set_id,
        scheduled_at=at,
        status=MeetingStatus.SCHEDULED,
        turn_order=[],
    )
    rows.add(
        OutboxMessage.__tablename__,
        **meeting_reminder(
            set_id=set_id,
            meeting_id=meeting_id,
            channel_id=channel_id,
            starts_at=at,
            due_at=now - timedelta(minutes=1),
        ),
    )


def meeting_reminder(
    *,
    set_id: int,
    meeting_id: int,
    channel_id: str,
    starts_at: datetime,
    due_at: datetime,
    kind: str = "meeting_reminder",
) -> Row:
    """An outbox row as `plan_meeting_reminders` owes it: the channel, a day ahead."""
    return {
        "team_id": TEAM,
        "kind": kind,
        "target": channel_id,
        "due_at": due_at,
        "dedupe_key": set_key(set_id, "meeting", meeting_id, "T-24h"),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "payload": {"meeting_id": meeting_id, "starts_at": starts_at.isoformat(), "lead": "T-24h"},
    }


def write(engine: Engine, rows: Rows) -> int:
    """Insert everything, parents first, in batches; returns how many rows were written."""
    tables = {table.name: table for table in SQLModel.metadata.sorted_tables}
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for alike in _same_columns(rows.by_table.get(table.name, [])):
                for batch in chunks(alike, CHUNK):
                    connection.execute(insert(table), batch)
    advance_sequences(engine, [tables[name] for name in rows.by_table])
    return len(rows)


def _same_columns(rows: list[Row]) -> list[list[Row]]:
    """Rows grouped by the columns they give: one INSERT takes one set of columns."""
    groups: dict[frozenset[str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[frozenset(row)].append(row)
    return list(groups.values())


def insert_many(engine: Engine, table: Table, rows: Iterable[Row]) -> int:
    """Insert a stream of rows in batches, one transaction per batch; returns the count."""
    written = 0
    for batch in chunks(rows, CHUNK):
        with engine.begin() as connection:
            connection.execute(insert(table), batch)
        written += len(batch)
    return written


def advance_sequences(engine: Engine, tables: Iterable[Table]) -> None:
    """PostgreSQL: move each id sequence past the ids chosen here, so the bot's own
    inserts after the seed don't collide with them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in tables:
            if "id" in table.c:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1))'
                    )
                )


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
