"""Store functions for how each person wants to be reached, across all their Sets."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from bot.store.models import ReminderPreference


def is_away(session: Session, *, team_id: str, user_id: str, on: date) -> bool:
    """Whether they said they are away on `on` (a day in their own zone)."""
    said = session.get(ReminderPreference, (team_id, user_id))
    return said is not None and said.away_until is not None and on <= said.away_until
