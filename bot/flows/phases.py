"""A round's phases as data: the one state machine live and asynchronous rounds share.

The order and purpose of each phase come from the method: the presenter reports back on
last time's action, describes the problem, the others ask questions, then offer ideas,
and the presenter reflects and commits to an action. Time limits are shares of the
round's time (live minutes or asynchronous hours), never minutes wired into handlers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    REPORT_BACK = "report_back"
    DESCRIBE = "describe"
    QUESTIONS = "questions"
    IDEAS = "ideas"
    REFLECT = "reflect"
    CLOSED = "closed"


@dataclass(frozen=True)
class PhaseSpec:
    phase: Phase
    title: str
    # What the thread is told when the phase begins: plain words, and what to do next.
    prompt: str
    # Share of a round's time: a live round's slot in minutes, or an asynchronous round's
    # days; the shares of the phases a round uses are rescaled to 1.
    share: float
    # Whether advice in this phase earns a private coaching hint (only while asking).
    coach_questions: bool = False
    # Whether the presenter may move on too: they know when they have finished speaking,
    # but only the facilitator cuts the Set's questions, ideas or reflection short.
    presenter_moves_on: bool = False


PHASES: tuple[PhaseSpec, ...] = (
    PhaseSpec(
        Phase.REPORT_BACK,
        "Report back",
        "Last time you committed to an action. What happened when you took it?",
        0.15,
        presenter_moves_on=True,
    ),
    PhaseSpec(
        Phase.DESCRIBE,
        "Describe the problem",
        "Tell the Set about your problem as you see it. Everyone else: listen for now.",
        0.2,
        presenter_moves_on=True,
    ),
    PhaseSpec(
        Phase.QUESTIONS,
        "Questions",
        "Everyone else: help by asking open questions. Hold on to advice for now.",
        0.35,
        coach_questions=True,
    ),
    PhaseSpec(
        Phase.IDEAS,
        "Ideas",
        "Now offer ideas and possible solutions. The presenter just listens and notes.",
        0.15,
    ),
    PhaseSpec(
        Phase.REFLECT,
        "Reflect and decide",
        "Presenter: what have you heard, and what action will you commit to?",
        0.15,
    ),
)

SPECS: dict[Phase, PhaseSpec] = {spec.phase: spec for spec in PHASES}

# A live round's gentle time note comes at this share of its slot; at the whole slot,
# the facilitator is told privately.
TIME_NOTE_SHARE = 0.8


def phases_for(*, has_report_back: bool, ideas_phase: bool = True) -> list[Phase]:
    """The phases one round runs through, in order, given the presenter and the Set."""
    skip = set()
    if not has_report_back:
        skip.add(Phase.REPORT_BACK)
    if not ideas_phase:
        skip.add(Phase.IDEAS)
    return [spec.phase for spec in PHASES if spec.phase not in skip]


def next_phase(current: Phase, route: list[Phase]) -> Phase:
    """The phase after `current` on this round's route; the last one leads to closing."""
    if current is Phase.CLOSED:
        return Phase.CLOSED
    position = route.index(current)
    return route[position + 1] if position + 1 < len(route) else Phase.CLOSED


def shares(route: Sequence[Phase]) -> dict[Phase, float]:
    """Each phase's part of a round's time, rescaled so the phases on the route add up to 1."""
    total_share = sum(SPECS[phase].share for phase in route)
    return {phase: SPECS[phase].share / total_share for phase in route}


def phase_minutes(route: list[Phase], slot_minutes: int) -> dict[Phase, int]:
    """Split a live slot among the phases on the route, in whole minutes, at least one each."""
    return {phase: max(1, round(slot_minutes * share)) for phase, share in shares(route).items()}
