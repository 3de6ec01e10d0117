"""The messages a change to a round or a meeting owes the Set, written with the change.

Opening a round, moving it on or closing it, and starting or ending a meeting change
what the Set sees. Each such change owes its messages in the outbox in the same
transaction, so the store and the channel cannot disagree: the request that made the
change sends them at once (`outbox.dispatch_now`), and if its process dies first,
any process's ticker does. Keys sit under the round's or meeting's own prefix, which is
what the request dispatches.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.store.models import LearningSet, Meeting, Round
from bot.store.outbox import owe, set_key

ROUND_POST = "round_post"
FIRST_PROMPT = "round_first_prompt"
PHASE_PROMPT = "round_phase_prompt"
ROOT_REFRESH = "round_root_refresh"
ROUND_CLOSED = "round_closed_note"
ASK_COMMIT = "round_ask_commit"
WELCOME = "set_welcome"
MEETING_CARD = "meeting_card"
MEETING_SUMMARY = "meeting_summary"
REFLECT_PROMPT = "meeting_reflect_prompt"


def round_prefix(set_id: int, round_id: int) -> str:
    """What a round says; its time notes and reminders live beside it, not under it."""
    return set_key(set_id, "round", round_id, "say") + ":"


def meeting_prefix(set_id: int, meeting_id: int) -> str:
    return set_key(set_id, "meeting", meeting_id, "say") + ":"


def set_prefix(set_id: int) -> str:
    return set_key(set_id, "say") + ":"


def owe_welcome(session: Session, learning_set: LearningSet, now: datetime) -> None:
    """A new Set's welcome card: its next meetings and its ground rules, to agree."""
    assert learning_set.id is not None
    owe(
        session,
        team_id=learning_set.team_id,
        kind=WELCOME,
        target=learning_set.channel_id or "",
        due_at=now,
        key=set_prefix(learning_set.id) + "welcome",
        payload={"set_id": learning_set.id},
    )


def owe_round_post(session: Session, set_id: int, round_: Round, now: datetime) -> None:
    """The round's root message, whose ts becomes its thread; then its first prompt."""
    _owe_for_round(session, set_id, round_, ROUND_POST, "post", now)


def owe_first_prompt(session: Session, set_id: int, round_: Round, now: datetime) -> None:
    _owe_for_round(session, set_id, round_, FIRST_PROMPT, "first-prompt", now)


def owe_phase_change(
    session: Session, set_id: int, round_: Round, move_id: int, now: datetime
) -> None:
    """The root shows the new phase, and the thread hears what it is for."""
    _owe_for_round(session, set_id, round_, ROOT_REFRESH, f"root:{move_id}", now)
    _owe_for_round(session, set_id, round_, PHASE_PROMPT, f"phase:{move_id}", now, move=move_id)


def owe_round_closed(
    session: Session, set_id: int, round_: Round, now: datetime, *, ask_for_action: bool
) -> None:
    """The root shows the round closed, the thread thanks everyone, and a presenter with
    no action recorded is asked privately whether they would like to record one."""
    _owe_for_round(session, set_id, round_, ROOT_REFRESH, "root:closed", now)
    _owe_for_round(session, set_id, round_, ROUND_CLOSED, "closed", now)
    if ask_for_action:
        _owe_for_round(session, set_id, round_, ASK_COMMIT, "ask-commit", now)


def owe_meeting_card(session: Session, meeting: Meeting, channel_id: str, now: datetime) -> None:
    _owe_for_meeting(session, meeting, channel_id, MEETING_CARD, "card", now)


def owe_meeting_ended(session: Session, meeting: Meeting, channel_id: str, now: datetime) -> None:
    """The summary for everyone, then the invitation to reflect on the process."""
    _owe_for_meeting(session, meeting, channel_id, MEETING_SUMMARY, "summary", now)
    _owe_for_meeting(session, meeting, channel_id, REFLECT_PROMPT, "reflect", now)


def _owe_for_round(
    session: Session,
    set_id: int,
    round_: Round,
    kind: str,
    label: str,
    now: datetime,
    **extra: object,
) -> None:
    assert round_.id is not None
    owe(
        session,
        team_id=round_.team_id,
        kind=kind,
        target=round_.channel_id,
        due_at=now,
        key=round_prefix(set_id, round_.id) + label,
        payload={"round": round_.id, **extra},
    )


def _owe_for_meeting(
    session: Session, meeting: Meeting, channel_id: str, kind: str, label: str, now: datetime
) -> None:
    assert meeting.id is not None
    owe(
        session,
        team_id=meeting.team_id,
        kind=kind,
        target=channel_id,
        due_at=now,
        key=meeting_prefix(meeting.set_id, meeting.id) + label,
        payload={"meeting_id": meeting.id},
    )
