"""When a Set is reminded, as its facilitator chose: the defaults suit a monthly Set.

Kept on the Set as a small mapping; what is not there takes the default, so a Set that
never changed anything needs nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# The channel reminders a facilitator can pick, by the label their dedupe keys end with.
# Whole days count on the Set's wall clock; an hour is elapsed time.
CHANNEL_LEADS: dict[str, timedelta] = {
    "T-7d": timedelta(days=7),
    "T-2d": timedelta(days=2),
    "T-24h": timedelta(days=1),
    "T-1h": timedelta(hours=1),
}
CHANNEL_LEAD_WORDS = {
    "T-7d": "A week before",
    "T-2d": "Two days before",
    "T-24h": "The day before",
    "T-1h": "An hour before",
}
DEFAULT_CHANNEL = ("T-24h", "T-1h")
DEFAULT_PREPARE_DAYS = 2
PREPARE_DAY_CHOICES = (0, 1, 2, 3, 5, 7)


@dataclass(frozen=True)
class ReminderTiming:
    """Channel reminders before each meeting, how many days ahead members are asked what
    they will bring (0: not at all), and whether facilitators get the digest."""

    channel: tuple[str, ...] = DEFAULT_CHANNEL
    prepare_days: int = DEFAULT_PREPARE_DAYS
    digest: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.channel) - set(CHANNEL_LEADS)
        if unknown or self.prepare_days not in PREPARE_DAY_CHOICES:
            raise ValueError(f"not a reminder timing: {self}")
        ordered = tuple(label for label in CHANNEL_LEADS if label in self.channel)
        object.__setattr__(self, "channel", ordered)

    @property
    def leads(self) -> tuple[tuple[str, timedelta], ...]:
        return tuple((label, CHANNEL_LEADS[label]) for label in self.channel)

    @property
    def prepare_lead(self) -> timedelta | None:
        return timedelta(days=self.prepare_days) if self.prepare_days else None

    def stored(self) -> dict[str, Any]:
        return {
            "channel": list(self.channel),
            "prepare_days": self.prepare_days,
            "digest": self.digest,
        }


def timing_from(stored: dict[str, Any] | None) -> ReminderTiming:
    """What a Set stored, read leniently: anything unreadable falls back to the default."""
    stored = stored or {}
    try:
        return ReminderTiming(
            channel=tuple(stored.get("channel", DEFAULT_CHANNEL)),
            prepare_days=int(stored.get("prepare_days", DEFAULT_PREPARE_DAYS)),
            digest=bool(stored.get("digest", True)),
        )
    except (TypeError, ValueError):
        return ReminderTiming()
