"""A Slack event counts as handled exactly when its work is stored, and is forgotten a day later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.store.db import Store
from bot.store.models import SeenEvent, Workspace
from bot.store.seen import (
    AlreadyHandled,
    first_sighting,
    nothing_to_record,
    record_with_the_work,
    sweep_sightings,
)

TEAM = "T0SETBOT"


@pytest.fixture(autouse=True)
def nothing_left_on_this_thread() -> None:
    nothing_to_record()


def test_an_event_is_recorded_in_the_same_commit_as_its_work(
    store: Store, clock: ManualClock
) -> None:
    record_with_the_work(team_id=TEAM, key="Ev01", now=clock.now())

    with store.session() as session:
        session.add(Workspace(team_id="T0FIRST"))

    with store.session() as session:
        assert [row.event_id for row in session.exec(select(SeenEvent))] == ["Ev01"]


def test_an_event_whose_work_fails_is_not_recorded(store: Store, clock: ManualClock) -> None:
    record_with_the_work(team_id=TEAM, key="Ev01", now=clock.now())

    with pytest.raises(RuntimeError), store.session() as session:
        session.add(Workspace(team_id="T0FIRST"))
        raise RuntimeError("the database went away")

    with store.session() as session:
        assert session.exec(select(SeenEvent)).all() == []
        assert session.exec(select(Workspace)).all() == []


def test_a_copy_handled_at_the_same_moment_has_its_work_rolled_back(
    store: Store, clock: ManualClock
) -> None:
    record_with_the_work(team_id=TEAM, key="Ev01", now=clock.now())
    with store.session() as session:
        session.add(Workspace(team_id="T0FIRST"))

    record_with_the_work(team_id=TEAM, key="Ev01", now=clock.now())
    with pytest.raises(AlreadyHandled), store.session() as session:
        session.add(Workspace(team_id="T0AGAIN"))

    with store.session() as session:
        assert [w.team_id for w in session.exec(select(Workspace))] == ["T0FIRST"]


def test_an_interaction_is_seen_once(store: Store, clock: ManualClock) -> None:
    with store.session() as session:
        first = first_sighting(session=session, team_id=TEAM, key="command:1.sim", now=clock.now())
        again = first_sighting(session=session, team_id=TEAM, key="command:1.sim", now=clock.now())

    assert (first, again) == (True, False)


def test_deliveries_older_than_a_day_are_swept(store: Store, clock: ManualClock) -> None:
    with store.session() as session:
        first_sighting(session=session, team_id=TEAM, key="Ev01", now=clock.now())
        first_sighting(
            session=session, team_id=TEAM, key="Ev02", now=clock.now() + timedelta(hours=2)
        )

    with store.session() as session:
        swept = sweep_sightings(session=session, now=clock.now() + timedelta(days=1, hours=1))

    with store.session() as session:
        assert swept == 1
        assert [row.event_id for row in session.exec(select(SeenEvent))] == ["Ev02"]
