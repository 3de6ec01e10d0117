"""Filling in a modal as a person does: what they leave alone keeps its initial value.

Builds `view.state.values` exactly as Slack sends it on view_submission, one entry per
input block keyed by its action_id, so a test says only what the person typed or picked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]

# Where each kind of element keeps what was picked, in `view.state.values`.
STATE_KEYS = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "multi_users_select": "selected_users",
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
INITIAL_KEYS = (
    "initial_value",
    "initial_users",
    "initial_user",
    "initial_conversation",
    "initial_channel",
    "initial_date",
    "initial_time",
    "initial_date_time",
)


def fill_in(view: Json, answers: Mapping[str, Any]) -> Json:
    """State values for `view`, with `answers` (by block_id) over the initial values.

    For selects and radio buttons an answer is the chosen option's value, for
    checkboxes a list of values; None clears.
    """
    unknown = set(answers) - {b.get("block_id") for b in view.get("blocks", [])}
    if unknown:
        raise AssertionError(f"the modal has no inputs {sorted(unknown)}")
    values: Json = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        picked = answers[block["block_id"]] if block["block_id"] in answers else _initial(element)
        values[block["block_id"]] = {element["action_id"]: _state(element, picked)}
    return values


def _initial(element: Json) -> Any:
    for key in INITIAL_KEYS:
        if key in element:
            return element[key]
    if "initial_options" in element:
        return [o["value"] for o in element["initial_options"]]
    option = element.get("initial_option")
    return option["value"] if option else None


def _state(element: Json, picked: Any) -> Json:
    kind = element["type"]
    if kind in ("radio_buttons", "static_select"):
        chosen = [o for o in element.get("options", []) if o["value"] == picked]
        return {"type": kind, "selected_option": chosen[0] if chosen else None}
    if kind == "checkboxes":
        ticked = [o for o in element.get("options", []) if o["value"] in (picked or [])]
        return {"type": kind, "selected_options": ticked}
    if kind not in STATE_KEYS:
        raise AssertionError(f"fill_in does not know how a {kind} holds its value")
    if kind == "multi_users_select" and picked is None:
        picked = []
    return {"type": kind, STATE_KEYS[kind]: picked}
