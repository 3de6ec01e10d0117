"""The baseline for acknowledgement latency: a bare Bolt app that acks and does nothing.

Served exactly as setbot is (bot.web.HttpServer: waitress, the same threads and path),
with Bolt's settings as setbot has them, so the difference between the two is setbot's
own work: its database, its flows and the Slack calls it makes before answering.

    PORT=3001 SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ \\
        .venv/bin/python -m bench.bare_bolt
"""

from __future__ import annotations

import os
import re
import signal

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.store.db import Store
from bot.web import HttpServer

# Anything: every command, action and message lands on the one trivial listener.
ANYTHING = re.compile(".*")


def bare_app(*, signing_secret: str, bot_token: str, api_url: str) -> App:
    app = App(
        client=WebClient(token=bot_token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    def trivial(ack: Ack) -> None:
        ack()

    app.command(ANYTHING)(trivial)
    app.action(ANYTHING)(trivial)
    app.event("message")(trivial)
    return app


def main() -> int:
    app = bare_app(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        bot_token=os.environ["SLACK_BOT_TOKEN"],
        api_url=os.environ["SLACK_API_URL"],
    )
    # The health check needs a database to ask; this one is in memory and holds nothing.
    server = HttpServer(
        app, Store.from_url("sqlite://"), host="127.0.0.1", port=int(os.environ["PORT"])
    )
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    server.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
