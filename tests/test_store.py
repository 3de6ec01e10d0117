"""The store: one schema from the migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from bot.store.db import Store, make_engine
from bot.store.installations import OAUTH_STATES_TABLE
from bot.store.migrate import alembic_config, upgrade
from bot.store.models import LearningSet, OutboxMessage, Workspace


def test_the_migrations_match_the_models(store: Store) -> None:
    command.check(alembic_config(store.engine))


def test_the_migrations_go_down_and_up_again(store: Store) -> None:
    command.downgrade(alembic_config(store.engine), "base")
    assert inspect(store.engine).get_table_names() == ["alembic_version"]
    upgrade(store.engine)
    command.check(alembic_config(store.engine))


def test_every_table_is_scoped_by_slack_team() -> None:
    # An OAuth install attempt's state belongs to no team yet: Slack names the team after.
    before_any_team = {OAUTH_STATES_TABLE}
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in before_any_team:
            assert "team_id" in table.columns, f"{table.name} has no team_id"


def test_times_come_back_aware_and_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    with store.session() as session:
        session.add(Workspace(team_id="T1", installed_at=datetime(2027, 1, 5, 10, tzinfo=paris)))
    with store.session() as session:
        workspace = session.get(Workspace, "T1")
    assert workspace is not None
    assert workspace.installed_at == datetime(2027, 1, 5, 9, tzinfo=UTC)
    assert workspace.installed_at.tzinfo is UTC


def test_a_naive_time_is_refused_rather_than_guessed(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
        session.add(Workspace(team_id="T1", installed_at=datetime(2027, 1, 5, 10)))
        session.flush()


def test_a_failed_unit_of_work_leaves_nothing_half_written(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(LearningSet(team_id="T1", name="Leaders"))
        session.flush()
        raise RuntimeError("the Slack call after the write failed")
    with store.session() as session:
        assert session.exec(select(LearningSet)).all() == []


def outbox_row(team_id: str) -> OutboxMessage:
    return OutboxMessage(
        team_id=team_id,
        kind="meeting_reminder",
        target="U0ALEX",
        due_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
        dedupe_key="meeting:1:T-24h",
    )


def test_the_same_reminder_cannot_be_owed_twice_in_one_team(store: Store) -> None:
    with store.session() as session:
        session.add(outbox_row("T1"))
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(outbox_row("T1"))


def test_two_teams_may_owe_reminders_with_the_same_key(store: Store) -> None:
    with store.session() as session:
        session.add_all([outbox_row("T1"), outbox_row("T2")])
    with store.session() as session:
        assert len(session.exec(select(OutboxMessage)).all()) == 2


def test_a_password_with_percent_encoded_characters_reaches_alembic_intact() -> None:
    """`p@ss#1` is written `p%40ss%231` in DATABASE_URL; Alembic must not read it as `%(...)`."""
    url = "postgresql+psycopg://setbot:p%40ss%231@db.internal/setbot"

    config = alembic_config(make_engine(url))

    assert config.get_main_option("sqlalchemy.url") == url
