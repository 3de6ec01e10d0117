"""What every handler is given: built once by the app factory, shared read-only."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.store.db import Store


@dataclass(frozen=True, kw_only=True)
class Deps:
    settings: Settings
    store: Store
    clock: Clock
