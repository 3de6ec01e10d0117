"""The demo's conversation as each person would see it, in time order, in the terminal.

The emulator keeps every message and every click; this module turns them into timed
entries (time in the Set's zone, where, who, private or not, what was shown) once, so the
terminal and the HTML page tell the same story.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.text import Text

from bot.sim import Message
from bot.sim.transcript import _blocks, _heading, _mentions  # the emulator's own flattening
from bot.sim.workspace import Json, Note, Workspace

INDENT = "    "
# Slack's `<!date^…|fallback>` and `<#C123>`: a reader sees the fallback and the channel name.
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_CHANNEL = re.compile(r"<#(C[A-Z0-9]+)(?:\|[^>]*)?>")
_SUBMITTED = re.compile(r"submits '([^']*)': ")
# Slack mrkdwn a reader sees as styling, not as marks: *bold*, _italic_, `code`.
MRKDWN = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?!\w)|(?<!\w)_([^_\n]+)_(?!\w)|`([^`\n]+)`")
# How the emulator lists a form's picked values: `['U0ASHA', 'U0BEN']`, `['share']`.
_PICKED = re.compile(r"^\[(.*)\]$")


@dataclass(frozen=True)
class Entry:
    """One thing that appeared: a message, or something a person did that shows no message."""

    when: datetime | None
    where: str
    who: str
    lines: tuple[str, ...]
    # Who alone sees it ("@asha"), for ephemerals and DMs; None when the whole channel does.
    only: str | None = None
    in_thread: bool = False
    is_action: bool = False


@dataclass(frozen=True)
class Edit:
    """A message the bot changed in place (`chat.update`): what it said from then on."""

    after: int  # the newest sequence number when the change was seen: it happened after that
    seq: int
    when: datetime
    text: str
    blocks: list[Json]
    before: tuple[str, list[Json]]


@dataclass
class History:
    """What the emulator keeps only in its final state: when things appeared, and edits."""

    times: dict[int, datetime] = field(default_factory=dict)
    first: dict[int, tuple[str, list[Json]]] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)

    def see(self, ws: Workspace, now: datetime) -> None:
        """Stamp what is new with `now`; keep a first version of messages and each edit."""
        latest = max((item.seq for item in [*ws.messages, *ws.notes]), default=0)
        for note in ws.notes:
            self.times.setdefault(note.seq, now)
        for message in ws.messages:
            said = (message.text, copy.deepcopy(message.blocks))
            if message.seq not in self.times:
                self.times[message.seq] = now
                self.first[message.seq] = said
            elif message.edited and said != (last := self._last(message.seq)):
                self.edits.append(Edit(latest, message.seq, now, *said, before=last))

    def _last(self, seq: int) -> tuple[str, list[Json]]:
        edits = [(edit.text, edit.blocks) for edit in self.edits if edit.seq == seq]
        return edits[-1] if edits else self.first[seq]


def entries_from(ws: Workspace, history: History, zone: str) -> list[Entry]:
    """Everything in the workspace in the order it happened, stamped in `zone`."""
    local = ZoneInfo(zone)
    items: list[tuple[float, Message | Note | Edit]] = [
        *((item.seq, item) for item in [*ws.messages, *ws.notes]),
        *((edit.after + 0.5, edit) for edit in history.edits),
    ]
    entries: list[Entry] = []
    forms: dict[str, list[tuple[str, str]]] = {}  # user → (block_id, label) of their open modal
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, Edit):
            entries += _edit(ws, item, item.when.astimezone(local))
            continue
        when = history.times.get(item.seq)
        stamp = when.astimezone(local) if when else None
        if not isinstance(item, Note):
            text, blocks = history.first.get(item.seq, (item.text, item.blocks))
            entries.append(_message(ws, replace(item, text=text, blocks=blocks), stamp))
        elif item.action.startswith("sees"):
            forms[item.user] = _inputs(item)  # shown once filled in, with the values typed
        else:
            entries.append(_note(ws, item, stamp, entries, forms.get(item.user, [])))
    return entries


def _edit(ws: Workspace, edit: Edit, when: datetime) -> list[Entry]:
    """An edit reads as its first line and the lines that changed, as a reader spots them."""
    message = next(m for m in ws.messages if m.seq == edit.seq)
    old = _message(ws, replace(message, text=edit.before[0], blocks=edit.before[1]), when)
    new = _message(ws, replace(message, text=edit.text, blocks=edit.blocks), when)
    changed = [line for line in new.lines[1:] if line not in old.lines]
    if not changed and new.lines[0] == old.lines[0]:
        return []
    who = f"{new.who} (updated a message above)"
    return [replace(new, who=who, lines=(new.lines[0], *changed))]


def readable(ws: Workspace, line: str) -> str:
    """A line of mrkdwn as Slack shows it: names for mentions and channels, dates as text."""
    line = _DATE.sub(lambda match: match.group(1), _mentions(ws, line))
    return _CHANNEL.sub(lambda match: "#" + _channel_name(ws, match.group(1)), line)


def _channel_name(ws: Workspace, channel_id: str) -> str:
    channel = ws.channels.get(channel_id)
    return channel.name if channel is not None else channel_id


def _picked(ws: Workspace, line: str) -> str:
    """`| Members: ['U0ASHA', 'U0BEN']` as `| Members: @asha, @ben`; ticked boxes as ✓ …."""
    label, _, value = line.partition(": ")
    listed = _PICKED.match(value)
    if not line.startswith("| ") or listed is None:
        return line
    picked = [item.strip(" '") for item in listed.group(1).split(",")]
    shown = [ws.display(item) if item in ws.users else f"✓ {item}" for item in picked]
    return f"{label}: {', '.join(shown)}"


def _inputs(note: Note) -> list[tuple[str, str]]:
    return [
        (str(block.get("block_id")), str(block["label"]["text"]))
        for block in note.blocks
        if block.get("type") == "input"
    ]


def _form_lines(action: str, form: list[tuple[str, str]]) -> list[str]:
    """`submits 'T': a=1, b=2` as the form a person filled in: one `| Label: value` a field."""
    title = _SUBMITTED.match(action)
    if title is None or not form:
        return [action]
    said = action[title.end() :]
    ids = "|".join(re.escape(block_id) for block_id, _ in form)
    parts = re.split(rf"(?:^|, )({ids})=", said)[1:]
    values = dict(zip(parts[::2], parts[1::2], strict=True))
    lines = [f"fills in the form {title.group(1)!r} and submits it"]
    for block_id, label in form:
        value = values.get(block_id, "")
        if value not in ("", "[]", "None"):
            first, *rest = value.splitlines()
            lines += [f"| {label}: {first}", *(f"|   {more}" for more in rest)]
    return lines


def _message(ws: Workspace, message: Message, when: datetime | None) -> Entry:
    lines = _blocks(message.blocks) or message.text.splitlines() or [""]
    lines = [readable(ws, line) for line in lines]
    lines += [f"[file: {file['name']}]" for file in message.files]
    channel = ws.channels.get(message.channel)
    only = message.ephemeral_to
    if channel is not None and channel.is_im and only is None:
        only = next((m for m in channel.members if m != ws.bot_user_id), None)
    return Entry(
        when=when,
        where=_heading(ws, message.channel),
        who=ws.display(message.user),
        lines=tuple(lines),
        only=ws.display(only) if only else None,
        in_thread=message.thread_ts not in (None, message.ts),
    )


def _note(
    ws: Workspace,
    note: Note,
    when: datetime | None,
    before: list[Entry],
    form: list[tuple[str, str]],
) -> Entry:
    """A click, command or form; a click right after a thread reply belongs to that thread."""
    where = _heading(ws, note.channel)
    previous = before[-1] if before else None
    follows_thread = bool(previous and previous.where == where and previous.in_thread)
    return Entry(
        when=when,
        where=where,
        who=ws.display(note.user),
        lines=tuple(_picked(ws, readable(ws, line)) for line in _form_lines(note.action, form)),
        in_thread=follows_thread and not note.action.startswith("runs"),
        is_action=True,
    )


def show(entries: Iterable[Entry], console: Console, *, speed: float = 0.0) -> None:
    """Print the story; with `speed`, one entry every 1/speed seconds, for a live showing."""
    where, day = "", ""
    for entry in entries:
        if entry.when and entry.when.strftime("%a %-d %b %Y") != day:
            day = entry.when.strftime("%a %-d %b %Y")
            console.print(Text(f"\n══ {day} ══", style="bold magenta"))
        if entry.where != where:
            where = entry.where
            console.print(Text(f"\n{where}", style="bold cyan"))
        console.print(_entry_text(entry))
        if speed > 0:
            time.sleep(1.0 / speed)


def _entry_text(entry: Entry) -> Text:
    indent = INDENT * (2 if entry.in_thread else 1)
    clock = entry.when.strftime("%H:%M %Z") if entry.when else "--:--"
    text = Text()  # a style given here would fall on every span appended after
    text.append(f"{clock} ", style="dim")
    text.append(indent + ("↳ " if entry.in_thread else ""))
    if entry.is_action:
        text.append(f"[{entry.who} {entry.lines[0]}]", style="italic yellow")
        rest = entry.lines[1:]
    else:
        text.append(entry.who, style="bold green" if entry.who.startswith("@setbot") else "bold")
        if entry.only:
            text.append(f" (private: only {entry.only} sees)", style="red")
        text.append(": ")
        text.append_text(_styled(entry.lines[0]))
        rest = entry.lines[1:]
    pad = " " * (len(clock) + 1) + indent + INDENT
    for line in rest:
        text.append(f"\n{pad}")
        text.append_text(_styled(line))
    return text


def _styled(line: str) -> Text:
    """A line of mrkdwn with its marks turned into bold, italic and code styles."""
    text, start = Text(), 0
    for match in MRKDWN.finditer(line):
        text.append(line[start : match.start()])
        bold, italic, code = match.groups()
        style = "bold" if bold else "italic" if italic else "cyan"
        text.append(bold or italic or code, style=style)
        start = match.end()
    text.append(line[start:])
    return text


def as_text(entries: Iterable[Entry]) -> str:
    """The story as plain text: what tests read, and what a pipe gets."""
    console = Console(record=True, width=120, color_system=None, file=_Discard(), soft_wrap=True)
    show(entries, console)
    return console.export_text()


class _Discard:
    """A file that keeps nothing: the recording console keeps the text instead."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None
