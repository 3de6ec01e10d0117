"""The Slack side of delivery: a Notice becomes a Web API call; a refusal, a DeliveryError.

The WebClient given is expected to carry slack_sdk's RateLimitErrorRetryHandler (the
app's client does): short rate limits are waited out there. Only when it gives up does a
429 reach us, and the dispatcher then reschedules the row for after Retry-After.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.notices import Notice
from bot.flows.outbox import TELL_FACILITATORS, DeliveryError
from bot.ui.blocks import Reply
from bot.ui.notices import render
from bot.ui.reminder_preferences import with_reminder_controls

# Modules whose import registers renderers for the messages the outbox delivers.
RENDERER_MODULES: tuple[str, ...] = (
    "bot.ui.reminders",
    "bot.ui.commitments",
    "bot.ui.rounds",
    "bot.ui.learning_log",
    "bot.ui.async_rounds",
    "bot.ui.announcements",
    "bot.ui.reminder_preferences",
)
# Slack errors that the same request will always meet again: no retry can help.
PERMANENT_ERRORS = TELL_FACILITATORS | {
    "invalid_blocks",
    "invalid_arguments",
    "invalid_thread_ts",
    "msg_too_long",
    "no_text",
    "user_not_in_channel",
    "cannot_dm_bot",
    "messages_tab_disabled",
    "restricted_action",
}
# When a 429 comes without Retry-After (Slack always sends one), wait this many seconds.
DEFAULT_RETRY_AFTER = 30.0


def load_renderers(modules: tuple[str, ...] = RENDERER_MODULES) -> None:
    for name in modules:
        importlib.import_module(name)


class SlackMessenger:
    """Delivers notices with the bot's WebClient: in a channel, in a thread, or privately."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        load_renderers()

    def deliver(self, notice: Notice) -> str | None:
        try:
            reply = with_reminder_controls(render(notice.message), notice.reminder_id)
        except TypeError as error:
            raise DeliveryError(str(error), permanent=True) from error
        try:
            return self._post(notice, reply)
        except SlackApiError as error:
            raise slack_refusal(error) from error
        except (SlackClientError, OSError) as error:
            raise DeliveryError(f"cannot reach Slack ({type(error).__name__})") from error

    def _post(self, notice: Notice, reply: Reply) -> str | None:
        """Channel and user: only they see it. Channel: everyone. User: a direct message.

        Returns the ts of a message posted for all to see (an ephemeral one has none).
        """
        text, blocks = reply.text, reply.blocks
        if notice.channel and notice.replace_ts:
            self._client.chat_update(
                channel=notice.channel, ts=notice.replace_ts, text=text, blocks=blocks
            )
            return notice.replace_ts
        if notice.channel and notice.user:
            self._client.chat_postEphemeral(
                channel=notice.channel,
                user=notice.user,
                thread_ts=notice.thread_ts,
                text=text,
                blocks=blocks,
            )
            return None
        if notice.channel:
            posted = self._client.chat_postMessage(
                channel=notice.channel, thread_ts=notice.thread_ts, text=text, blocks=blocks
            )
            return str(posted["ts"])
        if notice.user:
            opened = self._client.conversations_open(users=notice.user)
            posted = self._client.chat_postMessage(
                channel=opened["channel"]["id"], text=text, blocks=blocks
            )
            return str(posted["ts"])
        raise DeliveryError("the notice names neither a channel nor a person", permanent=True)


def slack_refusal(error: SlackApiError) -> DeliveryError:
    """Slack's error code as a DeliveryError: rate limited, permanent or worth retrying."""
    response = error.response
    code = str(response.get("error") or f"http_{response.status_code}")
    if response.status_code == 429 or code == "ratelimited":
        return DeliveryError("ratelimited", retry_after=_retry_after(response.headers))
    return DeliveryError(code, permanent=code in PERMANENT_ERRORS)


def _retry_after(headers: Mapping[str, object]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return float(str(raw))
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER
