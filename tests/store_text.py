"""Every piece of text the store holds, for tests that prove something was never kept."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.store.db import Store


def stored_texts(store: Store) -> Iterator[str]:
    """Each text value in every table, JSON documents (outbox payloads, rules) included."""
    with store.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for cell in row:
                    if isinstance(cell, str):
                        yield cell
                    elif isinstance(cell, dict | list):
                        yield json.dumps(cell, ensure_ascii=False)
