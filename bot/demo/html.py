"""`setbot demo --html FILE`: the story as one self-contained page that looks like Slack.

Everything people typed reaches the page through `html.escape`, once, here: a member who
writes `<script>` in a thread sees it printed, never run.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from bot.demo.render import MRKDWN, Entry

TITLE = "setbot demo: a Set's first two meetings"

_STYLE = """
body { font: 15px/1.45 -apple-system, 'Segoe UI', Lato, Helvetica, Arial, sans-serif;
       margin: 0; background: #f8f8f8; color: #1d1c1d; }
main { max-width: 860px; margin: 0 auto; background: #fff; min-height: 100vh; }
header { background: #3f0e40; color: #fff; padding: 14px 20px; font-weight: 700; }
.day { text-align: center; margin: 18px 0 6px; font-weight: 700; font-size: 13px; }
.day span { border: 1px solid #ddd; border-radius: 12px; padding: 2px 12px; background: #fff; }
.where { padding: 8px 20px; font-weight: 700; border-bottom: 1px solid #eee; color: #1264a3; }
.msg { display: flex; gap: 10px; padding: 6px 20px; }
.msg.thread { margin-left: 46px; border-left: 3px solid #e8e8e8; }
.avatar { width: 36px; height: 36px; border-radius: 4px; background: #4a154b; color: #fff;
          flex: none; display: flex; align-items: center; justify-content: center; }
.avatar.bot { background: #2eb67d; }
.who { font-weight: 900; } .time { color: #616061; font-size: 12px; margin-left: 6px; }
.private { color: #616061; font-size: 12px; font-style: italic; }
.msg.only { background: #f4ede4; }
.line { white-space: pre-wrap; }
.action { color: #616061; font-style: italic; padding: 2px 20px 2px 66px; }
.action.thread { margin-left: 46px; }
.form { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 4px 0;
        background: #fafafa; font-style: normal; color: #1d1c1d; }
"""


def write_html(entries: Iterable[Entry], path: Path) -> None:
    """Write the whole story to `path` as one page with its style inline."""
    body = "\n".join(_body(entries))
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(TITLE)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main><header>{escape(TITLE)}</header>\n{body}\n</main></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


def _body(entries: Iterable[Entry]) -> list[str]:
    html: list[str] = []
    where, day = "", ""
    for entry in entries:
        if entry.when and entry.when.strftime("%a %-d %b %Y") != day:
            day = entry.when.strftime("%a %-d %b %Y")
            html.append(f'<div class="day"><span>{escape(day)}</span></div>')
        if entry.where != where:
            where = entry.where
            html.append(f'<div class="where">{escape(where)}</div>')
        html.append(_action(entry) if entry.is_action else _message(entry))
    return html


def _message(entry: Entry) -> str:
    bot = entry.who.startswith("@setbot")
    classes = " ".join(
        ["msg", *(["thread"] if entry.in_thread else []), *(["only"] if entry.only else [])]
    )
    clock = entry.when.strftime("%H:%M %Z") if entry.when else ""
    private = (
        f'<div class="private">Only visible to {escape(entry.only)}</div>' if entry.only else ""
    )
    lines = "".join(f'<div class="line">{_mrkdwn(line)}</div>' for line in entry.lines)
    initial = escape(entry.who.lstrip("@")[:1].upper())
    return (
        f'<div class="{classes}"><div class="avatar{" bot" if bot else ""}">{initial}</div>'
        f'<div>{private}<span class="who">{escape(entry.who)}</span>'
        f'<span class="time">{escape(clock)}</span>{lines}</div></div>'
    )


def _action(entry: Entry) -> str:
    thread = " thread" if entry.in_thread else ""
    said = f"{entry.who} {entry.lines[0]}"
    form = "".join(
        f'<div class="line">{escape(line.lstrip("| "))}</div>' for line in entry.lines[1:]
    )
    block = f'<div class="form">{form}</div>' if form else ""
    return f'<div class="action{thread}">{escape(said)}{block}</div>'


def _mrkdwn(line: str) -> str:
    """A line escaped for HTML, with Slack's *bold*, _italic_ and `code` as tags."""
    html, start = [], 0
    for match in MRKDWN.finditer(line):
        html.append(escape(line[start : match.start()]))
        bold, italic, code = match.groups()
        tag = "b" if bold else "i" if italic else "code"
        html.append(f"<{tag}>{escape(bold or italic or code)}</{tag}>")
        start = match.end()
    html.append(escape(line[start:]))
    return "".join(html)
