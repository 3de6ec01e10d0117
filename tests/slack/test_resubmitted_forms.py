"""A form sent twice does its work once: Slack kept it open after a crash, Fran pressed again.

When the bot dies after storing a form's work but before answering, Slack shows the form
still open; pressing Submit again sends the same view with a fresh trigger id. The view
was recorded with its work, so the second press stores nothing more. A form refused
beside a field stored nothing, so its corrected answer still counts.
"""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select

from bot.sim import SlackDriver, SlackEmulator
from bot.sim.workspace import StoredView
from bot.store.db import Store
from bot.store.models import LearningSet
from bot.ui import new_set

FRAN, ASHA, BEN = "U0FRAN", "U0ASHA", "U0BEN"
LOBBY = "C0LOBBY"
ANSWERS = {
    new_set.NAME_BLOCK: "New team leaders",
    new_set.THEME_BLOCK: "Leading through change",
    new_set.MEMBERS_BLOCK: [ASHA, BEN],
    new_set.FIRST_DATE_BLOCK: "2027-02-02",
}


@pytest.fixture(autouse=True)
def people(slack: SlackEmulator) -> None:
    for user, name in ((FRAN, "fran"), (ASHA, "asha"), (BEN, "ben")):
        slack.add_user(user, name=name)


def sets_formed(store: Store) -> list[str]:
    with store.session() as session:
        return [s.name for s in session.exec(select(LearningSet))]


def still_open(slack: SlackEmulator, callback_id: str) -> None:
    """As Slack shows a form whose answer never came: open, exactly as it was."""
    with slack.workspace() as ws:
        [sent] = [v for v in ws.views.values() if v.payload.get("callback_id") == callback_id]
        ws.views[sent.id] = StoredView(
            sent.id, sent.user, copy.deepcopy(sent.payload), sent.channel, is_open=True
        )


def test_a_new_set_form_pressed_again_forms_one_set(
    store: Store, slack: SlackEmulator, driver: SlackDriver
) -> None:
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    first = driver.submit_form(new_set.NEW_SET_VIEW, user=FRAN, answers=ANSWERS)
    assert first.status == 200 and not (first.json or {}).get("errors")

    still_open(slack, new_set.NEW_SET_VIEW)
    again = driver.submit_form(new_set.NEW_SET_VIEW, user=FRAN, answers=ANSWERS)

    assert again.status == 200 and not (again.json or {}).get("errors")
    assert sets_formed(store) == ["New team leaders"]


def test_a_form_refused_beside_a_field_still_takes_the_corrected_answer(
    store: Store, slack: SlackEmulator, driver: SlackDriver
) -> None:
    driver.slash_command("/set", "new", user_id=FRAN, channel_id=LOBBY)
    refused = driver.submit_form(
        new_set.NEW_SET_VIEW, user=FRAN, answers={**ANSWERS, new_set.MEMBERS_BLOCK: []}
    )
    assert (refused.json or {}).get("errors")
    assert sets_formed(store) == []

    corrected = driver.submit_form(new_set.NEW_SET_VIEW, user=FRAN, answers=ANSWERS)

    assert not (corrected.json or {}).get("errors")
    assert sets_formed(store) == ["New team leaders"]
