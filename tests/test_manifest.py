"""manifest.yml creates the app Slack needs, and says exactly what the code listens for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.handlers import SURFACES, errors

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT.parent / "shared" / "slack-specs"
SCHEMA_URL = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"

# Each event needs a subscription; message events come per kind of channel.
SUBSCRIPTIONS_FOR = {"message": {"message.channels", "message.groups"}}


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    if not SPECS.is_dir():
        pytest.skip(f"Slack's manifest schema is not here ({SPECS}); it ships in ../shared")
    resources = [
        (SCHEMA_URL + name, Resource.from_contents(json.loads((SPECS / name).read_text()), DRAFT7))
        for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")
    ]
    root = json.loads((SPECS / "manifest.schema.json").read_text())
    return Draft7Validator(root, registry=Registry().with_resources(resources))


def test_slacks_own_examples_prove_the_validator(validator: Draft7Validator) -> None:
    assert validator.is_valid(json.loads((SPECS / "manifest.valid.json").read_text()))
    assert not validator.is_valid(json.loads((SPECS / "manifest.invalid.json").read_text()))


def test_manifest_is_valid_against_slacks_schema(validator: Draft7Validator) -> None:
    errors_found = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest())]
    assert errors_found == []


class RecordingApp:
    """Stands in for Bolt's App to note what each surface registers."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.events: set[str] = set()

    def command(self, name: str) -> Any:
        self.commands.add(name)
        return lambda listener: listener

    def event(self, event: str | dict[str, Any], **_: Any) -> Any:
        self.events.add(event if isinstance(event, str) else event["type"])
        return lambda listener: listener

    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: lambda listener: listener


def registered() -> RecordingApp:
    app = RecordingApp()
    for surface in (*SURFACES, errors):
        surface.register(app, None)  # type: ignore[arg-type]
    return app


def test_every_registered_command_is_declared_and_vice_versa() -> None:
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert registered().commands == declared


def test_every_registered_event_is_subscribed_and_vice_versa() -> None:
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    needed: set[str] = set()
    for event in registered().events:
        needed |= SUBSCRIPTIONS_FOR.get(event, {event})
    assert needed == subscribed


def test_interactivity_and_the_home_tab_are_on() -> None:
    assert manifest()["settings"]["interactivity"]["is_enabled"]
    assert manifest()["features"]["app_home"]["home_tab_enabled"]
