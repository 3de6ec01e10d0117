"""Wait for something to become true, up to a deadline: tests never sleep a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(attempt: Callable[[], T], *, within: float = 2.0, every: float = 0.02) -> T:
    """Call `attempt` until it returns without raising; re-raise its last error at the deadline."""
    deadline = time.monotonic() + within
    while True:
        try:
            return attempt()
        except Exception:
            if time.monotonic() >= deadline:
                raise
            time.sleep(every)
