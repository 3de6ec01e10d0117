"""Engine and sessions: one engine per process, one session per request.

Bolt runs listeners on worker threads, so nothing here is shared between requests
except the engine's connection pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from bot.store.seen import record_before_commit


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine suited to the database.

    SQLite: foreign keys on, write-ahead logging, and every transaction begun with
    BEGIN IMMEDIATE. Bolt runs listeners on worker threads, so two requests can write at
    once; pysqlite's own deferred BEGIN lets them collide half-way (and breaks
    SAVEPOINT), where IMMEDIATE makes the second wait its turn (up to `timeout`).
    An in-memory database is one connection, so it suits one thread only.

    Parameters are hidden from SQLAlchemy's errors and logs: they hold what members
    wrote, and a failed statement's error is logged with its traceback.
    """
    kwargs.setdefault("hide_parameters", True)
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """The database as the rest of the bot sees it: a source of short transactions."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(engine=make_engine(url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed if the block finishes, rolled back if it raises.

        A Slack event being handled on this thread is recorded in the same commit, so it
        counts as handled exactly when its work is stored (bot.store.seen).
        """
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                record_before_commit(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
