"""Run a Bolt app in Socket Mode against the emulator, as `setbot run` does with SLACK_APP_TOKEN.

The app connects with Bolt's SocketModeHandler, that is slack_sdk's built-in client, the
one bot/serve.py starts. Two settings differ from serve.py, both only for speed:

- the client notices a connection Slack closed only at its next ping (Bolt's default is
  every 10 s), so here it pings every second and reconnects within about a second;
- closing the client waits for its blocked socket read (up to 3 s) unless Slack's end
  closes too, so the emulator drops the connection once the client has begun to close.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.sim import SlackEmulator
from tests.polling import eventually

# Seconds between the client's pings: how soon it reconnects after a drop.
RECONNECT_WITHIN = 1.0


@contextmanager
def in_socket_mode(app: App, emulator: SlackEmulator) -> Iterator[SocketModeHandler]:
    """`app` connected over the emulator's WebSocket for the length of the block."""
    handler = SocketModeHandler(app, emulator.app_token, ping_interval=RECONNECT_WITHIN)
    handler.connect()
    emulator.socket_mode.wait_for_connection()
    try:
        yield handler
    finally:
        closing = threading.Thread(target=handler.close, name="socket-mode-close")
        closing.start()
        eventually(lambda: _assert_closing(handler))
        emulator.socket_mode.drop()
        closing.join(timeout=10)
        assert not closing.is_alive(), "the Socket Mode client did not close"


def _assert_closing(handler: SocketModeHandler) -> None:
    assert handler.client.closed, "the client has not begun to close"
