"""The workspace as a person would read it afterwards: who said what, where, in which thread.

When an end-to-end test fails, the transcript is the first thing to print: one section
per conversation in the order it became active, replies indented under their parent,
ephemeral messages marked, and the commands, clicks and modals Slack shows no message for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.sim.workspace import Json, Message, Note, Workspace

INDENT = "    "
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def render(ws: Workspace) -> str:
    """Every conversation in the workspace, as text."""
    channels = dict.fromkeys(item.channel for item in _timeline(ws))
    sections = ["\n".join(_section(ws, channel)) for channel in channels]
    return "\n\n".join(sections) + "\n" if sections else "(nothing happened)\n"


def _timeline(ws: Workspace) -> list[Message | Note]:
    return sorted([*ws.messages, *ws.notes], key=lambda item: item.seq)


def _section(ws: Workspace, channel: str | None) -> Iterator[str]:
    yield _heading(ws, channel)
    for item in _timeline(ws):
        if item.channel != channel:
            continue
        if isinstance(item, Note):
            yield from _note(ws, item)
        elif item.thread_ts in (None, item.ts):
            yield from _message(ws, item, depth=1)
            yield from _replies(ws, item)


def _heading(ws: Workspace, channel_id: str | None) -> str:
    channel = ws.channels.get(channel_id or "")
    if channel_id is None:
        return "Outside any channel (Home tab, modals)"
    if channel is None:
        return f"#{channel_id}"
    if channel.is_im or channel.is_mpim:
        others = [ws.display(m) for m in channel.members if m != ws.bot_user_id]
        return f"Direct message with {', '.join(others)}"
    return f"#{channel.name}" + (" (private)" if channel.is_private else "")


def _replies(ws: Workspace, parent: Message) -> Iterator[str]:
    for message in ws.messages:
        in_thread = message.channel == parent.channel and message.thread_ts == parent.ts
        if in_thread and message.ts != parent.ts:
            yield from _message(ws, message, depth=2, marker="↳ ")


def _message(ws: Workspace, message: Message, *, depth: int, marker: str = "") -> Iterator[str]:
    who = ws.display(message.user)
    if message.ephemeral_to:
        who += f" (only {ws.display(message.ephemeral_to)} sees)"
    lines = _blocks(message.blocks) or message.text.splitlines()
    lines = [_mentions(ws, line) for line in lines]
    lines = [*lines, *(f"[file: {file['name']}]" for file in message.files)] or [""]
    edited = " (edited)" if message.edited else ""
    yield f"{INDENT * depth}{marker}{who}: {lines[0]}{edited}"
    yield from (f"{INDENT * (depth + 1)}{line}" for line in lines[1:])


def _mentions(ws: Workspace, line: str) -> str:
    """`<@U123>` as the name a reader would see in Slack."""
    return _MENTION.sub(lambda match: ws.display(match.group(1)), line)


def _note(ws: Workspace, note: Note) -> Iterator[str]:
    yield f"{INDENT}[{ws.display(note.user)} {note.action}]"
    yield from (f"{INDENT * 2}| {line}" for line in _blocks(list(note.blocks)))


def _blocks(blocks: list[Json]) -> list[str]:
    """Block Kit flattened to what a reader sees: texts, and controls as [labels]."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("---")
        elif kind == "input":
            lines.append(f"{_text(block.get('label'))}: [{block['element'].get('type')}]")
        elif kind == "rich_text":
            lines.append(_rich_text(block))
        else:
            parts = [_text(block.get("text")), *map(_text, block.get("fields", []))]
            parts += [_control(e) for e in [*block.get("elements", []), block.get("accessory")]]
            lines += " ".join(part for part in parts if part).splitlines()
    return [line for line in lines if line.strip()]


def _control(element: Json | None) -> str:
    if not element:
        return ""
    if element.get("type") == "image":
        return f"[image: {element.get('alt_text')}]"
    if "action_id" not in element:
        return _text(element)
    label = _text(element.get("text")) or _text(element.get("placeholder")) or element["type"]
    return f"[{label}]"


def _text(obj: object) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return obj if isinstance(obj, str) else ""


def _rich_text(block: Json) -> str:
    words: list[str] = []
    stack = list(reversed(block.get("elements", [])))
    while stack:
        element = stack.pop()
        words.append(element.get("text") or element.get("url") or "")
        if element.get("type") == "user":
            words[-1] = f"<@{element['user_id']}>"
        stack.extend(reversed(element.get("elements", [])))
    return "".join(words)
