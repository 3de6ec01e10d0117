"""The Set agrees how time will be used: the facilitator sets each member's minutes at the start.

Equal shares are the default (bot.flows.time_plan), but the method leaves the use of
time to the Set: someone with a knotty problem may need longer, someone checking in
on progress less. The facilitator gives each member expected today a number of
minutes; together they must leave the reflection reserve (and any break) untouched,
so the Set never loses its time to reflect on how it worked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.flows.access import Refusal
from bot.flows.meetings import MeetingCard, facilitator_card, meeting_card
from bot.flows.time_plan import break_length, reflection_reserve
from bot.store.db import Store
from bot.store.meetings import meeting_in_team

# A round shorter than this can't hold a problem and a question about it; longer than
# this is most of a morning, for one member.
MIN_ROUND_MINUTES, MAX_ROUND_MINUTES = 5, 120


class MinutesProblem(Refusal):
    """Minutes the Set can't agree as typed, told beside the member whose field it is."""

    def __init__(self, template: str, *, presenter: str) -> None:
        super().__init__(template)
        self.presenter = presenter


@dataclass(frozen=True, kw_only=True)
class TimeForm:
    """What the facilitator adjusts: each member expected today, in turn order."""

    meeting_id: int
    channel_id: str | None
    set_name: str
    presenters: tuple[str, ...]
    # Each member's minutes as the plan has them now (0 for someone with no time today).
    minutes: Mapping[str, int]
    session_minutes: int
    reflection_minutes: int
    break_minutes: int

    @property
    def free_minutes(self) -> int:
        """The minutes rounds may use: the session less the reflection reserve and any break."""
        return self.session_minutes - self.reflection_minutes - self.break_minutes


def time_form(store: Store, *, team_id: str, meeting_id: int, user_id: str) -> TimeForm:
    """The minutes to adjust, for a facilitator of the meeting under way; others are refused."""
    return _form(facilitator_card(store, team_id=team_id, meeting_id=meeting_id, user_id=user_id))


def agree_minutes(
    store: Store, *, team_id: str, meeting_id: int, user_id: str, typed: Mapping[str, str]
) -> MeetingCard:
    """Keep the minutes the Set agreed for each member, if they fit; the card then shows them.

    Every member on the form needs a whole number from MIN_ROUND_MINUTES to
    MAX_ROUND_MINUTES, and together they must fit in the free minutes. Nothing is kept
    unless all of it is right.
    """
    form = time_form(store, team_id=team_id, meeting_id=meeting_id, user_id=user_id)
    agreed = {presenter: _minutes(presenter, typed.get(presenter)) for presenter in form.presenters}
    total = sum(agreed.values())
    if form.presenters and total > form.free_minutes:
        raise MinutesProblem(
            f"That adds up to {total} minutes, but {form.free_minutes} are free for rounds "
            f"after {_kept_back(form)}. Take {total - form.free_minutes} off somewhere.",
            presenter=form.presenters[0],
        )
    with store.session() as session:
        meeting = meeting_in_team(session, team_id=team_id, meeting_id=meeting_id)
        assert meeting is not None  # time_form has just found it
        meeting.round_minutes = agreed
        session.add(meeting)
    return meeting_card(store, team_id=team_id, meeting_id=meeting_id)


def _minutes(presenter: str, typed: str | None) -> int:
    within = f"from {MIN_ROUND_MINUTES} to {MAX_ROUND_MINUTES}"
    text = (typed or "").strip()
    if not text.isdigit() or not MIN_ROUND_MINUTES <= int(text) <= MAX_ROUND_MINUTES:
        raise MinutesProblem(f"Give a whole number of minutes, {within}.", presenter=presenter)
    return int(text)


def _kept_back(form: TimeForm) -> str:
    kept = f"{form.reflection_minutes} for reflecting on the process"
    if form.break_minutes:
        kept += f" and a {form.break_minutes}-minute break"
    return kept


def _form(card: MeetingCard) -> TimeForm:
    assert card.plan is not None  # a meeting under way has started, so it has a plan
    plan = card.plan
    session_minutes = int((plan.ends_at - plan.starts_at).total_seconds() // 60)
    planned = {slot.presenter: slot.minutes for slot in plan.slots}
    presenters = tuple(p for p in card.turn_order if p in planned or p in plan.left_out)
    return TimeForm(
        meeting_id=card.meeting_id,
        channel_id=card.channel_id,
        set_name=card.set_name,
        presenters=presenters,
        minutes={p: planned.get(p, 0) for p in presenters},
        session_minutes=session_minutes,
        reflection_minutes=reflection_reserve(session_minutes),
        break_minutes=break_length(session_minutes),
    )
