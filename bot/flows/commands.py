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

HELP = "help"
STATUS = "status"

CATALOGUE: tuple[Subcommand, ...] = (
    Subcommand("/set", "", "How your Set is doing (or, elsewhere, the Sets you belong to)"),
    Subcommand("/set", "new", "Form a new Set: members, theme, schedule, ground rules"),
    Subcommand("/set", "rules", "Read and agree the ground rules (facilitators can edit them)"),
    Subcommand("/set", "schedule", "See the next meetings; facilitators can move or skip one"),
    Subcommand("/set", "calendar", "Get the Set's meetings as a calendar file"),
    Subcommand("/set", "timing", "Choose when the Set is reminded", facilitator_only=True),
    Subcommand("/set", "add", "Add members to the Set", "@name …", facilitator_only=True),
    Subcommand("/set", "remove", "Remove a member; their records are kept", "@name", True),
    Subcommand("/set", "facilitator", "Share the facilitation with someone", "@name", True),
    Subcommand("/set", "close", "Close the Set after its last meeting", facilitator_only=True),
    Subcommand("/set", "learning", "Share what the Set learned, anonymised", "", True),
    Subcommand("/set", "ideas", "Give rounds an ideas phase, or not", "on|off", True),
    Subcommand("/set", "resources", "See the good practice the Set has gathered"),
    Subcommand("/set", "resource", "Add a good-practice example or guide", "add", True),
    Subcommand("/set", "reminders", "Choose when and which private reminders reach you"),
    Subcommand("/set", "forget-me", "Have setbot forget you (here, or everywhere)", "[all]"),
    Subcommand("/set", "org-report", "Learning across all the Sets (organisation leads)"),
    Subcommand("/set", "org-lead", "Name an organisation lead (admins only)", "[remove] @name"),
    Subcommand("/set", "org-leads", "See who the organisation leads are"),
    Subcommand("/set", HELP, "See every command and what it does"),
    Subcommand(
        "/meeting", "start", "Open today's meeting; `async` to meet in writing", "[async]", True
    ),
    Subcommand("/meeting", "end", "Close the meeting with a summary", facilitator_only=True),
    Subcommand("/meeting", "stats", "Who spoke, asked and was heard", facilitator_only=True),
    Subcommand("/meeting", HELP, "See what you can do in a meeting"),
    Subcommand("/round", "open", "Open a member's round in a thread", "[@name]", True),
    Subcommand("/round", "next", "Move the round on to its next phase"),
    Subcommand("/round", "close", "Close the round from any phase", facilitator_only=True),
    Subcommand("/round", "signpost", "Share a good-practice resource in the round", "", True),
    Subcommand("/round", HELP, "See how rounds work"),
    Subcommand("/action", "", "Your actions: report back, carry on, or drop one"),
    Subcommand("/action", "new", "Commit to an action"),
    Subcommand("/action", HELP, "See how to commit to an action and report back"),
)

MINE = "mine"
# What each command does with nothing after it.
BARE = {"/set": STATUS, "/action": MINE}


@dataclass(frozen=True)
class Invocation:
    """A slash command split into its subcommand and the rest of the text."""

    command: str
    name: str
    rest: str


def parse(command: str, text: str) -> Invocation:
    """`/set add @a @b` → Invocation("/set", "add", "@a @b").

    A bare `/set` asks how the Set is doing, a bare `/action` for your actions; any
    other bare command asks for help.
    """
    words = text.strip().split(maxsplit=1)
    if words:
        return Invocation(command, words[0].lower(), words[1] if len(words) > 1 else "")
    return Invocation(command, BARE.get(command, HELP), "")


def find(command: str, name: str) -> Subcommand | None:
    return next((s for s in CATALOGUE if s.command == command and s.name == name), None)


def usage(command: str | None = None) -> list[Subcommand]:
    """Every subcommand, or those of one command, in the order a newcomer meets them."""
    return [s for s in CATALOGUE if command is None or s.command == command]
