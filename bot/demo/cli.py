"""`setbot demo [--async] [--html FILE] [--speed N]`: a whole Set cycle, no workspace needed.

Exit status 0 only when every step got the reply it expected, so CI can run the demo as
a smoke test; a step that didn't is told in one line on stderr, with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from bot.demo.html import write_html
from bot.demo.render import show
from bot.demo.stage import DemoStepFailed


def add_parser(subparsers: Any) -> None:
    """Add `demo` to `setbot`'s subcommands."""
    demo = subparsers.add_parser(
        "demo", help="play a whole Set cycle against the built-in Slack emulator"
    )
    demo.add_argument("--html", metavar="FILE", type=Path, help="also write the story as HTML")
    demo.add_argument(
        "--speed",
        metavar="N",
        type=float,
        default=0.0,
        help="show N messages a second, for a live showing (default: all at once)",
    )
    demo.add_argument(
        "--async",
        dest="in_writing",
        action="store_true",
        help="play a meeting held in writing, across five time zones, instead",
    )
    demo.set_defaults(command=demo_command)


def demo_command(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Play the story, print it, write the page if asked; 1 if a step missed its reply."""
    from bot.demo.script import run_demo  # the app and emulator load only when a demo runs

    err = err or sys.stderr
    if args.speed < 0:
        print("setbot demo: --speed must be a positive number of messages a second", file=err)
        return 2
    try:
        if getattr(args, "in_writing", False):
            from bot.demo import in_writing

            entries = run_demo(
                in_writing.STEPS_IN_WRITING, people=in_writing.PEOPLE, start=in_writing.START
            )
        else:
            entries = run_demo()
    except DemoStepFailed as failure:
        print(f"setbot demo: a step failed: {failure}", file=err)
        return 1
    # Soft wrap: a pipe or a file gets whole lines; a terminal wraps them itself.
    console = Console(file=out, highlight=False, soft_wrap=True)
    show(entries, console, speed=args.speed)
    if args.html is not None:
        write_html(entries, args.html)
        console.print(f"\nThe same story as a web page: {args.html}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`setbot demo` on its own, for tests and `python -m bot.demo.cli`."""
    parser = argparse.ArgumentParser(prog="setbot")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["demo", *(sys.argv[1:] if argv is None else argv)])
    return int(args.command(args))


if __name__ == "__main__":
    sys.exit(main())
