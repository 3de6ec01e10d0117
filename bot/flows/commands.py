"""The slash commands a Set uses, as data: the one list help, routing and the manifest agree on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    command: str
    name: str
    summary: str
    args: str = ""
    facilitator_only: bool = False

    @property
    def usage(self) -> str:
        return " ".join(part for part in (self.command, self.name, self.args) if part)


# What each command is for, in the words of the method.
COMMANDS: dict[str, str] = {
    "/set": "your Action Learning Set: members, ground rules and schedule",
    "/meeting": "start and end a Set meeting",
    "/round": "run each member's round in a thread",
    "/action": "the actions you commit to, and reporting back on them",
}

CATALOGUE: tuple[Subcommand, ...] = (
    Subcommand("/set", "help", "See every command and what it does"),
    Subcommand("/meeting", "help", "See what you can do in a meeting"),
    Subcommand("/round", "help", "See how rounds work"),
    Subcommand("/action", "help", "See how to commit to an action and report back"),
)

HELP = "help"


@dataclass(frozen=True)
class Invocation:
    """A slash command split into its subcommand and the rest of the text."""

    command: str
    name: str
    rest: str


def parse(command: str, text: str) -> Invocation:
    """`/set add @a @b` → Invocation("/set", "add", "@a @b"); no text means help for now."""
    words = text.strip().split(maxsplit=1)
    name = words[0].lower() if words else HELP
    return Invocation(command, name, words[1] if len(words) > 1 else "")


def find(command: str, name: str) -> Subcommand | None:
    return next((s for s in CATALOGUE if s.command == command and s.name == name), None)


def usage(command: str | None = None) -> list[Subcommand]:
    """Every subcommand, or those of one command, in the order a newcomer meets them."""
    return [s for s in CATALOGUE if command is None or s.command == command]
