"""Who is in a Set: facilitators add and remove members and share the facilitation.

Leaving a Set keeps a member's past records (their rounds and actions still add up)
but stops everything the bot still owed them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, Refusal, facilitator_here
from bot.flows.sets import MAX_MEMBERS
from bot.store.db import Store
from bot.store.models import Membership, Role
from bot.store.outbox import cancel_pending
from bot.store.sets import current_members, membership


@dataclass(frozen=True)
class MembershipChange:
    """What changed, for the channel to hear and the facilitator to see."""

    set_name: str
    channel_id: str
    changed: tuple[str, ...]
    unchanged: tuple[str, ...] = ()


# Brings people who join into the Set's channel. Called before their places are stored, so
# a Refusal from it (Slack won't have them there) leaves the Set as it was.
Invite = Callable[[Sequence[str]], None]


def _no_invite(_people: Sequence[str]) -> None:
    """Where no channel invitation is needed (flow tests, a channel managed by hand)."""


def add_members(
    store: Store,
    clock: Clock,
    caller: Caller,
    user_ids: list[str],
    *,
    bot_user_id: str = "",
    invite: Invite = _no_invite,
) -> MembershipChange:
    if not user_ids:
        raise Refusal("Mention the people to add, for example `/set add @Asha @Ben`.")
    if bot_user_id in user_ids:
        raise Refusal("I'm already here to help, so I can't join as a member.")
    with store.session() as session:
        here = facilitator_here(session, caller)
        present = {m.user_id for m in current_members(session, set_id=here.set_id)}
        new = [user for user in dict.fromkeys(user_ids) if user not in present]
        members = [m for m in current_members(session, set_id=here.set_id) if m.role == Role.MEMBER]
        if len(members) + len(new) > MAX_MEMBERS:
            raise Refusal(
                f"A Set can have at most {MAX_MEMBERS} members, and that would make "
                f"{len(members) + len(new)}. Consider forming a second Set."
            )
        if new:
            invite(new)
        for user in new:
            _join(session, here.set_id, caller.team_id, user, Role.MEMBER, clock)
        return MembershipChange(
            here.learning_set.name,
            caller.channel_id,
            tuple(new),
            tuple(u for u in dict.fromkeys(user_ids) if u in present),
        )


def remove_member(store: Store, clock: Clock, caller: Caller, user_id: str) -> MembershipChange:
    with store.session() as session:
        here = facilitator_here(session, caller)
        place = membership(session, set_id=here.set_id, user_id=user_id)
        if place is None or place.left_at is not None:
            raise Refusal(
                "<@{user}> isn't in this Set, so there was no one to remove.", user=user_id
            )
        facilitators = [
            m for m in current_members(session, set_id=here.set_id) if m.role == Role.FACILITATOR
        ]
        if place.role == Role.FACILITATOR and len(facilitators) == 1:
            raise Refusal(
                "A Set needs a facilitator. Make someone else a facilitator first with "
                "`/set facilitator @name`."
            )
        place.left_at = clock.now()
        session.add(place)
        cancel_pending(session, team_id=caller.team_id, set_id=here.set_id, target=user_id)
        return MembershipChange(here.learning_set.name, caller.channel_id, (user_id,))


def make_facilitator(
    store: Store, clock: Clock, caller: Caller, user_id: str, *, invite: Invite = _no_invite
) -> MembershipChange:
    """Share the facilitation: a member becomes a facilitator, or someone new joins as one."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        place = membership(session, set_id=here.set_id, user_id=user_id)
        if place is not None and place.left_at is None and place.role == Role.FACILITATOR:
            return MembershipChange(here.learning_set.name, caller.channel_id, (), (user_id,))
        invite((user_id,))
        if place is not None and place.left_at is None:
            place.role = Role.FACILITATOR
            session.add(place)
        else:
            _join(session, here.set_id, caller.team_id, user_id, Role.FACILITATOR, clock)
        return MembershipChange(here.learning_set.name, caller.channel_id, (user_id,))


def _join(
    session: Session, set_id: int, team_id: str, user_id: str, role: Role, clock: Clock
) -> None:
    """Add someone, or welcome back someone who left (their old row keeps their history)."""
    place = membership(session, set_id=set_id, user_id=user_id)
    if place is None:
        place = Membership(team_id=team_id, set_id=set_id, user_id=user_id)
    place.role, place.joined_at, place.left_at = role, clock.now(), None
    session.add(place)
