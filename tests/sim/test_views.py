"""Modals and Home tabs: opened with a fresh trigger, validated, updated, published per person."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import SlackEmulator
from tests.sim.conftest import ALICE

TITLE = {"type": "plain_text", "text": "Commit to an action"}
SUBMIT = {"type": "plain_text", "text": "Commit"}
INPUT = {
    "type": "input",
    "block_id": "action",
    "label": {"type": "plain_text", "text": "What will you do?"},
    "element": {"type": "plain_text_input", "action_id": "text"},
}
MODAL = {
    "type": "modal",
    "callback_id": "commit",
    "title": TITLE,
    "submit": SUBMIT,
    "blocks": [INPUT],
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}


def test_a_modal_opens_for_the_person_whose_click_made_the_trigger(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    trigger = emulator.new_trigger_id(user=ALICE, channel=set_channel)

    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]

    assert opened["id"].startswith("V") and opened["callback_id"] == "commit"
    assert opened["state"] == {"values": {}}
    assert "[@alice sees 'Commit to an action']" in emulator.transcript()


def test_a_trigger_opens_one_view_only(client: WebClient, emulator: SlackEmulator) -> None:
    trigger = emulator.new_trigger_id(user=ALICE)
    client.views_open(trigger_id=trigger, view=MODAL)

    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=trigger, view=MODAL)

    assert refused.value.response["error"] == "invalid_trigger_id"


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        ({**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}, "title must be between"),
        ({**MODAL, "submit": None}, "needs a submit button"),
        ({**MODAL, "blocks": [{"type": "input"}]}, "view.blocks[0]"),
        ({**MODAL, "type": "home"}, "view type must be 'modal'"),
        ({**MODAL, "blocks": [INPUT] * 101}, "at most 100"),
    ],
    ids=["title-too-long", "inputs-without-submit", "bad-input", "wrong-type", "101-blocks"],
)
def test_a_modal_slack_would_refuse_is_invalid_blocks(
    client: WebClient, emulator: SlackEmulator, view: dict[str, Any], reason: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=emulator.new_trigger_id(user=ALICE), view=view)

    assert refused.value.response["error"] == "invalid_blocks"
    [error] = emulator.layout_errors
    assert error.startswith("views.open: ") and reason in error


def test_a_modal_is_updated_by_external_id_unless_the_hash_is_stale(
    client: WebClient, emulator: SlackEmulator
) -> None:
    trigger = emulator.new_trigger_id(user=ALICE)
    opened = client.views_open(trigger_id=trigger, view={**MODAL, "external_id": "commit-1"})
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Thank you"}}

    updated = client.views_update(external_id="commit-1", view=changed)["view"]

    assert updated["id"] == opened["view"]["id"] and updated["title"]["text"] == "Thank you"
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=updated["id"], hash=opened["view"]["hash"], view=changed)
    assert conflict.value.response["error"] == "hash_conflict"


def test_updating_a_view_that_does_not_exist_is_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_update(view_id="V0NOPE", view=MODAL)

    assert refused.value.response["error"] == "not_found"


def test_each_person_has_one_home_tab_that_publishing_replaces(
    client: WebClient, emulator: SlackEmulator
) -> None:
    first = client.views_publish(user_id=ALICE, view=HOME)["view"]
    second = client.views_publish(user_id=ALICE, view=HOME)["view"]

    assert first["id"] == second["id"] and first["hash"] != second["hash"]


def test_a_home_tab_is_checked_too(client: WebClient, emulator: SlackEmulator) -> None:
    with pytest.raises(SlackApiError):
        client.views_publish(user_id=ALICE, view={**HOME, "submit": SUBMIT})

    assert "home view cannot have submit and close" in emulator.layout_errors[0]
