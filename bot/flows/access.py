"""Who may do what, where: every Set command acts on the Set of the channel it is used in.

A refusal is an ordinary outcome, not an error: it carries the words the person sees,
and nothing has been changed when it is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.store.models import LearningSet, Membership, Role, SetStatus
from bot.store.sets import membership, set_by_channel


class Refusal(Exception):
    """A request the method does not allow, in words for the person who asked.

    Names people typed (a Set's name) are kept apart from the template, so the one
    place that renders text for Slack can escape them.
    """

    def __init__(self, template: str, **names: str) -> None:
        super().__init__(template)
        self.template = template
        self.names = names


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who is asking, from which Slack team and channel."""

    team_id: str
    user_id: str
    channel_id: str


@dataclass(frozen=True)
class InSet:
    """A caller placed in the Set of their channel, with their role there."""

    learning_set: LearningSet
    member: Membership

    @property
    def set_id(self) -> int:
        assert self.learning_set.id is not None
        return self.learning_set.id

    @property
    def is_facilitator(self) -> bool:
        return self.member.role == Role.FACILITATOR

    @property
    def closed(self) -> bool:
        return self.learning_set.status == SetStatus.CLOSED


NOT_A_SET_CHANNEL = (
    "This channel isn't an Action Learning Set's channel. Use this command in your Set's "
    "channel, or type `/set` to see the Sets you belong to."
)


def set_here(session: Session, caller: Caller) -> LearningSet:
    """The Set of the caller's channel, or a refusal saying where to go instead."""
    found = set_by_channel(session, team_id=caller.team_id, channel_id=caller.channel_id)
    if found is None:
        raise Refusal(NOT_A_SET_CHANNEL)
    return found


def member_here(session: Session, caller: Caller, *, open_only: bool = True) -> InSet:
    """The caller as a current member of this channel's Set."""
    learning_set = set_here(session, caller)
    assert learning_set.id is not None
    place = membership(session, set_id=learning_set.id, user_id=caller.user_id)
    if place is None or place.left_at is not None:
        raise Refusal(
            "Only members of *{set}* can do that. "
            "If you'd like to join, ask the Set's facilitator to add you.",
            set=learning_set.name,
        )
    if open_only and learning_set.status == SetStatus.CLOSED:
        raise Refusal(
            "*{set}* has closed, so nothing more can be changed. "
            "Its records are kept; type `/set` to see them.",
            set=learning_set.name,
        )
    return InSet(learning_set, place)


def facilitator_here(session: Session, caller: Caller) -> InSet:
    """The caller as a facilitator of this channel's Set; members get a kind explanation."""
    here = member_here(session, caller)
    if not here.is_facilitator:
        raise Refusal(
            "Only the Set's facilitator can do that, so nothing was changed. "
            "If you think it needs doing, have a word with them."
        )
    return here


def caller_for_set(session: Session, *, team_id: str, user_id: str, set_id: int) -> Caller:
    """Someone acting on a Set from outside its channel (a button in a direct message).

    The Set is found in the caller's own team only; from there every check is the same
    as for a command typed in the Set's channel.
    """
    learning_set = session.get(LearningSet, set_id)
    if learning_set is None or learning_set.team_id != team_id or not learning_set.channel_id:
        raise Refusal("I can't find that Set any more. Type `/set` to see your Sets.")
    return Caller(team_id=team_id, user_id=user_id, channel_id=learning_set.channel_id)
