"""Ground rules: the Set agrees them at the start, and each member says so for themselves.

When a facilitator changes the rules, everyone is asked again: agreeing to rules you
have not read is not agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, Refusal, facilitator_here, member_here
from bot.flows.sets import MAX_RULES
from bot.store.db import Store
from bot.store.models import LearningSet
from bot.store.sets import current_members, membership


@dataclass(frozen=True)
class RulesCard:
    set_id: int
    set_name: str
    rules: tuple[str, ...]
    agreed: tuple[str, ...]
    not_yet: tuple[str, ...]
    # Whether the person looking may edit the rules.
    editable: bool = False


def rules_card(store: Store, caller: Caller) -> RulesCard:
    """The Set's rules and who has agreed, for any member."""
    with store.session() as session:
        here = member_here(session, caller, open_only=False)
        card = _card(session, here.learning_set)
        return replace(card, editable=here.is_facilitator and not here.closed)


def agree(store: Store, clock: Clock, caller: Caller, *, set_id: int) -> RulesCard:
    """Record that the caller agrees; pressing twice keeps the first time they agreed."""
    with store.session() as session:
        learning_set = session.get(LearningSet, set_id)
        place = membership(session, set_id=set_id, user_id=caller.user_id)
        if learning_set is None or learning_set.team_id != caller.team_id:
            raise Refusal("I can't find that Set any more.")
        if place is None or place.left_at is not None:
            raise Refusal(
                "These are the ground rules of *{set}*, and you're not a member of it.",
                set=learning_set.name,
            )
        if place.ground_rules_agreed_at is None:
            place.ground_rules_agreed_at = clock.now()
            session.add(place)
            session.flush()
        return _card(session, learning_set)


def change_rules(store: Store, caller: Caller, rules: list[str]) -> RulesCard:
    """Replace the rules (facilitators only); everyone is asked to agree to the new ones."""
    rules = [" ".join(rule.split()) for rule in rules if rule.strip()]
    if not rules:
        raise Refusal("Keep at least one ground rule: the Set agrees them at the start.")
    if len(rules) > MAX_RULES:
        raise Refusal(f"Keep to {MAX_RULES} ground rules at most, so everyone can remember them.")
    with store.session() as session:
        here = facilitator_here(session, caller)
        here.learning_set.ground_rules = rules
        session.add(here.learning_set)
        for place in current_members(session, set_id=here.set_id):
            place.ground_rules_agreed_at = None
            session.add(place)
        session.flush()
        return _card(session, here.learning_set)


def _card(session: Session, learning_set: LearningSet) -> RulesCard:
    assert learning_set.id is not None
    people = current_members(session, set_id=learning_set.id)
    return RulesCard(
        set_id=learning_set.id,
        set_name=learning_set.name,
        rules=tuple(learning_set.ground_rules),
        agreed=tuple(m.user_id for m in people if m.ground_rules_agreed_at is not None),
        not_yet=tuple(m.user_id for m in people if m.ground_rules_agreed_at is None),
    )
