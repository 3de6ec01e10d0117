"""Usage and "I didn't understand" replies for the slash commands."""

from __future__ import annotations

from bot.flows.access import Refusal
from bot.flows.commands import COMMANDS, Subcommand, usage
from bot.ui.blocks import Block, Reply, context, header, section
from bot.ui.mrkdwn import escape, quote_back


def help_reply(command: str | None = None) -> Reply:
    entries = usage(command)
    blocks: list[Block] = [header("setbot: Action Learning in Slack")]
    if command is None:
        blocks.append(
            section(
                "Each member in turn brings a real problem; the others help mostly by "
                "*asking questions*; you commit to an action and report back next time."
            )
        )
    for name in COMMANDS if command is None else [command]:
        lines = [_line(s) for s in entries if s.command == name]
        blocks.append(section(f"*{name}* — {COMMANDS[name]}\n" + "\n".join(lines)))
    blocks.append(context("Facilitator-only commands are marked ★."))
    return Reply(text="Here is what setbot can do.", blocks=blocks)


def unknown_reply(command: str, given: str) -> Reply:
    text = (
        f"Sorry, I don't know `{command} {quote_back(given)}`. "
        f"Try `{command} help` to see what you can do."
    )
    return Reply(text=text, blocks=[section(text)])


def _line(sub: Subcommand) -> str:
    star = " ★" if sub.facilitator_only else ""
    return f"• `{sub.usage}` — {sub.summary}{star}"


def sorry_reply() -> Reply:
    text = (
        "Sorry, something went wrong on my side and nothing was changed. "
        "Please try again in a minute; if it keeps happening, tell your facilitator."
    )
    return Reply(text=text, blocks=[section(text)])


def slack_trouble_reply() -> Reply:
    """When Slack, not setbot, failed: what was saved stays saved, so look before redoing it."""
    text = (
        "Sorry, Slack didn't answer me just now, so this may not all have shown. "
        "Anything I had saved is kept: please check, then try again in a minute."
    )
    return Reply(text=text, blocks=[section(text)])


def introduction() -> Reply:
    """What setbot says when it is added to a channel: who it is and the one next step."""
    text = (
        "Hello! I'm setbot. I help an Action Learning Set run its meetings here: rounds "
        "in threads, actions you commit to, and gentle reminders to report back. "
        "A facilitator can start with `/set new`, and anyone can type `/set help`."
    )
    return Reply(text=text, blocks=[section(text)])


def refusal_reply(refusal: Refusal) -> Reply:
    """Why a request was not carried out; names people typed are escaped here, once."""
    text = refusal.template.format(**{k: escape(v) for k, v in refusal.names.items()})
    return Reply(text=text, blocks=[section(text)])
