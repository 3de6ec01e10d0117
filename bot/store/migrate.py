"""Alembic, driven from code: the only way the schema is created or changed.

There is no alembic.ini to keep in step; `setbot db upgrade` and start-up both call
`upgrade`, and developers make a new revision with `setbot db revision -m "..."`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# The advisory lock every setbot process takes to migrate: any number, the same for all.
MIGRATION_LOCK = 5_770_007


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is a ConfigParser: a "%" (a percent-encoded password, a libpq option)
    # must be doubled or it is read as an interpolation and start-up fails.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; processes starting together on PostgreSQL take turns.

    Three processes deployed at once would otherwise all create the same tables, and all
    but one fail. A PostgreSQL advisory lock lets the first migrate while the others wait,
    then find nothing left to do. SQLite serves one process, so needs no turn-taking.
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a revision from the difference between the models and the database."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)
