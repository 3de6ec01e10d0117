"""Organisation leads: the people who may read what the workspace's Sets learned, together.

"The learning from the Sets is shared with the agency" — someone in the organisation has
to receive it. A workspace admin (Slack decides who: `is_admin` or `is_owner` in
users.info, looked up by the handler) names them with `/set org-lead @name`. The role
opens one door only: the organisation report, which holds figures and the words members
agreed to share, never a Set's channel or anyone's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Refusal
from bot.store.db import Store
from bot.store.models import OrgLead

NOT_AN_ADMIN = (
    "Only a Slack workspace admin or owner can choose organisation leads, so nothing was "
    "changed. If someone should see the learning across your Sets, ask one of your admins."
)
NOT_ALLOWED_TO_LIST = (
    "Only workspace admins and organisation leads can see who the organisation leads are. "
    "If you need to know, ask one of your workspace admins."
)
NOT_AN_ORG_LEAD = (
    "The organisation report is for organisation leads, so I can't show it to you. "
    "If you need it, ask a workspace admin to make you one with `/set org-lead @you`."
)
MENTION_ONE = (
    "Mention one person: `/set org-lead @name` to make them an organisation lead, or "
    "`/set org-lead remove @name` to stop."
)


@dataclass(frozen=True, kw_only=True)
class LeadChange:
    """What `/set org-lead` did: `changed` is False when there was nothing to do."""

    user_id: str
    added: bool
    changed: bool


def grant(
    store: Store, clock: Clock, *, team_id: str, by: str, by_is_admin: bool, user_id: str
) -> LeadChange:
    """Make `user_id` an organisation lead; asking twice changes nothing and says so."""
    if not by_is_admin:
        raise Refusal(NOT_AN_ADMIN)
    with store.session() as session:
        if _lead(session, team_id=team_id, user_id=user_id) is not None:
            return LeadChange(user_id=user_id, added=True, changed=False)
        session.add(
            OrgLead(team_id=team_id, user_id=user_id, granted_by=by, granted_at=clock.now())
        )
        return LeadChange(user_id=user_id, added=True, changed=True)


def revoke(store: Store, *, team_id: str, by_is_admin: bool, user_id: str) -> LeadChange:
    """Stop someone being an organisation lead; someone who was not one is told so."""
    if not by_is_admin:
        raise Refusal(NOT_AN_ADMIN)
    with store.session() as session:
        found = _lead(session, team_id=team_id, user_id=user_id)
        if found is not None:
            session.delete(found)
        return LeadChange(user_id=user_id, added=False, changed=found is not None)


def leads(store: Store, *, team_id: str, user_id: str, is_admin: bool) -> tuple[str, ...]:
    """Who the organisation leads are, in the order they were named: for admins and leads."""
    with store.session() as session:
        if not is_admin and _lead(session, team_id=team_id, user_id=user_id) is None:
            raise Refusal(NOT_ALLOWED_TO_LIST)
        named = session.exec(
            select(OrgLead.user_id).where(OrgLead.team_id == team_id).order_by(col(OrgLead.id))
        ).all()
        return tuple(named)


def is_org_lead(session: Session, *, team_id: str, user_id: str) -> bool:
    return _lead(session, team_id=team_id, user_id=user_id) is not None


def check_org_lead(session: Session, *, team_id: str, user_id: str) -> None:
    """Refuse anyone who is not an organisation lead of this workspace."""
    if not is_org_lead(session, team_id=team_id, user_id=user_id):
        raise Refusal(NOT_AN_ORG_LEAD)


def _lead(session: Session, *, team_id: str, user_id: str) -> OrgLead | None:
    return session.exec(
        select(OrgLead).where(OrgLead.team_id == team_id, OrgLead.user_id == user_id)
    ).first()
