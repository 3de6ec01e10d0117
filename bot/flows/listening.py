"""Hearing a round's thread: who spoke, in which phase, asking or telling — never the words.

The store keeps only the shape of each contribution, so what is said in a Set stays in
the Set; the words are read once, here, to count them and to coach.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.flows.phases import SPECS, Phase
from bot.flows.questions import Kind, classify, coaching_hint, word_count
from bot.store.db import Store
from bot.store.models import Contribution
from bot.store.rounds import contributions_by, record_contribution, round_in_thread


@dataclass(frozen=True, kw_only=True)
class ThreadMessage:
    team_id: str
    channel_id: str
    thread_ts: str
    ts: str
    user_id: str
    text: str


def hear(store: Store, clock: Clock, message: ThreadMessage) -> str | None:
    """Record a message in a round's thread; return a private coaching hint if one is due."""
    with store.session() as session:
        found = round_in_thread(
            session,
            team_id=message.team_id,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
        )
        if found is None:
            return None
        round_, learning_set = found
        assert round_.id is not None
        kind, words = classify(message.text), word_count(message.text)
        earlier = contributions_by(session, round_id=round_.id, user_id=message.user_id)
        heard = record_contribution(
            session,
            contribution=Contribution(
                team_id=message.team_id,
                round_id=round_.id,
                user_id=message.user_id,
                phase=round_.phase,
                is_question=kind in (Kind.OPEN_QUESTION, Kind.CLOSED_QUESTION),
                kind=kind,
                word_count=words,
                message_ts=message.ts,
                at=clock.now(),
            ),
        )
        coaching = (
            heard
            and words > 0
            and learning_set.coaching_hints
            and message.user_id != round_.presenter_id
            and _coaches_questions(round_.phase)
        )
        return coaching_hint(kind, seed=earlier) if coaching else None


def _coaches_questions(phase: str) -> bool:
    return phase in SPECS and SPECS[Phase(phase)].coach_questions
