"""Slack's side of the conversation: signed requests to the bot, shaped as Slack sends them.

A test speaks as people do in Slack — runs a command, posts in a thread, clicks a button,
submits a modal — and the driver sends the request Slack would send to the bot's request
URL, signed with the app's signing secret. It keeps the emulator in step, so what a person
did appears in `emulator.transcript()` and a click can only reach a button the bot showed.
With `transport="socket"` the same payloads go to a bot in Socket Mode as envelopes over
its WebSocket (bot/sim/socket_mode.py), and each answer is the bot's ack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message as Headers
from typing import Any, Literal
from urllib.parse import urlencode

from bot.sim.forms import fill_in
from bot.sim.layout import elements
from bot.sim.server import SlackEmulator
from bot.sim.socket_mode import EVENTS_API, INTERACTIVE, SLASH_COMMANDS
from bot.sim.workspace import ApiError, Channel, Json, StoredView, Workspace

FORM = "application/x-www-form-urlencoded"
# How long a request waits for the bot's answer: the HTTP response, or the socket's ack.
ANSWER_TIMEOUT = 10.0
# The legacy verification token Slack still puts in payloads; Bolt ignores it.
VERIFICATION_TOKEN = "sim-verification-token"
# Loopback needs no proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Response:
    """The bot's answer to one request: the ack Slack would have received."""

    status: int
    body: str
    json: dict[str, Any] | None
    headers: Mapping[str, str]


class SlackDriver:
    """Sends the bot what Slack would, for one workspace the emulator plays."""

    def __init__(
        self,
        *,
        url: str = "",
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str | None = None,
        api_app_id: str = "A0SETBOT",
        transport: Literal["http", "socket"] = "http",
    ) -> None:
        # The request URL under Event Subscriptions, Interactivity and Slash Commands.
        self.url = url
        # Socket Mode → on: Slack sends envelopes over the app's WebSocket, not to `url`.
        self.transport = transport
        if transport == "http" and not url:
            raise ValueError("an HTTP driver needs the bot's request url")
        # Basic Information → App Credentials → Signing Secret; the bot verifies with it.
        self._signing_secret = signing_secret
        self.emulator = emulator
        self.team_id = team_id or emulator.team_id
        # Basic Information → App ID.
        self.api_app_id = api_app_id

    # -- the wire ---------------------------------------------------------------------------

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """POST `body` signed as Slack signs it; `timestamp` or `signature` forge a bad one.

        An empty `signature` sends no signature header at all.
        """
        sent_at = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.sign(body, sent_at) if signature is None else signature
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": sent_at,
            **(headers or {}),
        }
        if signature:
            all_headers["X-Slack-Signature"] = signature
        request = urllib.request.Request(
            self.url, data=body.encode(), headers=all_headers, method="POST"
        )
        try:
            with _OPENER.open(request, timeout=ANSWER_TIMEOUT) as answer:
                return _response(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as error:
            return _response(error.code, error.read(), error.headers)

    def sign(self, body: str, timestamp: str) -> str:
        """Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}" with the secret."""
        base = f"v0:{timestamp}:{body}".encode()
        digest = hmac.new(self._signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return f"v0={digest}"

    def _deliver(
        self, kind: str, payload: Json, *, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Hand the bot `payload` as Slack would: a signed HTTP request, or a socket envelope.

        Over the socket the answer is the ack's payload, shaped like the HTTP response body,
        so a story reads the same either way.
        """
        if self.transport == "socket":
            return self._over_socket(kind, payload, headers or {})
        if kind == EVENTS_API:
            return self.send(json.dumps(payload), "application/json", headers=headers)
        if kind == SLASH_COMMANDS:
            return self.send(urlencode(payload), FORM)
        return self.send(urlencode({"payload": json.dumps(payload)}), FORM)

    def _over_socket(self, kind: str, payload: Json, headers: Mapping[str, str]) -> Response:
        """Send an envelope (Slack's retry headers become its retry fields) and await its ack."""
        socket_mode = self.emulator.socket_mode
        envelope = socket_mode.send(
            kind,
            payload,
            retry_attempt=int(headers.get("X-Slack-Retry-Num", 0)),
            retry_reason=headers.get("X-Slack-Retry-Reason", ""),
        )
        answer = socket_mode.wait_for_ack(envelope, within=ANSWER_TIMEOUT)
        return Response(200, json.dumps(answer) if answer else "", answer, {})

    # -- slash commands ---------------------------------------------------------------------

    def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        channel_name: str | None = None,
    ) -> Response:
        """Run `command text` as `user_id` in `channel_id`; the ack shows as Slack shows it."""
        with self.emulator.workspace() as ws:
            user = ws.known_user(user_id)
            channel = ws.known_channel(channel_id, member=user_id)
            trigger_id = ws.new_trigger(user=user_id, channel=channel_id)
            ws.note(user_id, channel_id, f"runs {command} {text}".rstrip())
            team_domain = ws.team_domain
        response_url = self.emulator.new_response_url(channel=channel_id, user=user_id)
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or _channel_name(channel),
            "user_id": user_id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        response = self._deliver(SLASH_COMMANDS, form)
        if response.status == 200 and response.json:
            self.emulator.show_ack(response_url, response.json, source=f"ack of {command}")
        return response

    # -- events -----------------------------------------------------------------------------

    def event(
        self, event: Json, *, event_id: str | None = None, retry_num: int | None = None
    ) -> Response:
        """Deliver `event` in an event_callback envelope; `retry_num` makes it Slack's retry."""
        with self.emulator.workspace() as ws:
            event_id = event_id or ws.new_id("Ev")
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        retry: dict[str, str] = {}
        if retry_num is not None:
            retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self._deliver(EVENTS_API, envelope, headers=retry)

    def message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        ts: str | None = None,
    ) -> Response:
        """`user` posts `text` (in a thread, given `thread_ts`); the bot hears the message event.

        Passing the `ts` of a message already posted replays it without posting it twice.
        """
        with self.emulator.workspace() as ws:
            ws.known_user(user)
            conversation = ws.known_channel(channel, member=user)
            posted = ws.find_message(channel, ts) if ts else None
            posted = posted or ws.post(
                channel=channel, user=user, text=text, thread_ts=thread_ts, ts=ts
            )
            parent = ws.find_message(channel, posted.thread_ts or "")
        event: Json = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": posted.ts,
            "event_ts": posted.ts,
            "channel_type": _channel_type(conversation),
            "team": self.team_id,
        }
        if parent is not None:
            event.update(thread_ts=parent.ts, parent_user_id=parent.user)
        if subtype:
            event["subtype"] = subtype
        return self.event(event)

    def app_home_opened(self, user: str) -> Response:
        """`user` opens setbot's Home tab; the event carries the view published for them."""
        with self.emulator.workspace() as ws:
            ws.known_user(user)
            dm, _ = ws.dm([user])
            home = ws.views.get(ws.home_views.get(user, ""))
            ws.note(user, None, "opens the Home tab")
            event_ts = ws.new_ts()[1]
        event: Json = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm.id,
            "tab": "home",
            "event_ts": event_ts,
        }
        if home is not None:
            event["view"] = home.payload
        return self.event(event)

    def member_joined_channel(self, user: str, channel: str) -> Response:
        """`user` joins `channel` (setbot too, by its bot_user_id); the bot hears of it."""
        with self.emulator.workspace() as ws:
            ws.known_user(user)
            conversation = ws.known_channel(channel, member=user)
            if user not in conversation.members:
                conversation.members.append(user)
            ws.note(user, channel, "joins the channel")
            event_ts = ws.new_ts()[1]
        return self.event(
            {
                "type": "member_joined_channel",
                "user": user,
                "channel": channel,
                "channel_type": "G" if conversation.is_private else "C",
                "team": self.team_id,
                "event_ts": event_ts,
            }
        )

    # -- interactivity ----------------------------------------------------------------------

    def block_action(
        self,
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        block_id: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
        view: str | None = None,
        selected_option: Json | str | None = None,
    ) -> Response:
        """`user` uses the element `action_id` on a message (`channel`, `message_ts`) or a view.

        Given where it is, the element must be one the bot showed there: its type, block_id
        and a button's value come from it, and `selected_option` may name an option's value.
        """
        with self.emulator.workspace() as ws:
            ws.known_user(user)
            where = _ActionSource.find(
                ws, user=user, channel=channel, message_ts=message_ts, view_id=view
            )
            found_block_id, element = where.element(action_id, block_id)
            action = _action(element, value=value, selected_option=selected_option)
            action.update(
                action_id=action_id,
                block_id=block_id or found_block_id or ws.new_id("B"),
                action_ts=ws.new_ts()[1],
            )
            trigger_id = ws.new_trigger(user=user, channel=where.channel)
            ws.note(user, where.channel, f"uses {_label(element, action_id)}")
        payload = self._interaction("block_actions", user=user, trigger_id=trigger_id)
        payload.update(container=where.container, actions=[action], **where.parts)
        if where.channel and where.container["type"] == "message":
            payload["response_url"] = self.emulator.new_response_url(
                channel=where.channel, user=user, message_ts=message_ts
            )
        return self._deliver(INTERACTIVE, payload)

    def view_submission(
        self,
        callback_id: str,
        *,
        user: str,
        values: Json,
        private_metadata: str = "",
        view_id: str | None = None,
    ) -> Response:
        """`user` submits a modal with `values` as Slack puts them in `view.state.values`.

        The modal is `view_id`, else the one the bot last opened for `user` with this
        callback_id (whose fields `values` must name), else a bare modal made up for the test.
        A non-empty `private_metadata` overrides what the bot stored in the view.
        """
        with self.emulator.workspace() as ws:
            ws.known_user(user)
            stored = _open_modal(ws, callback_id, user, view_id)
            if stored.payload["blocks"]:
                _check_values(stored, values)
            view = {**stored.payload, "state": {"values": values}}
            view["private_metadata"] = private_metadata or view.get("private_metadata", "")
            title = (view.get("title") or {}).get("text", callback_id)
            ws.note(user, stored.channel, f"submits {title!r}: {_shown(values)}")
            trigger_id = ws.new_trigger(user=user, channel=stored.channel)
        payload = self._interaction("view_submission", user=user, trigger_id=trigger_id)
        payload.update(view=view, response_urls=[])
        response = self._deliver(INTERACTIVE, payload)
        if response.status == 200:
            self._answer_submission(stored, response.json or {})
        return response

    def submit_form(self, callback_id: str, *, user: str, answers: Json) -> Response:
        """`user` fills in the modal the bot last opened for them and presses its submit button.

        `answers` are by block_id; every input left out keeps the value the bot put there.
        """
        with self.emulator.workspace() as ws:
            stored = _open_modal(ws, callback_id, user, None)
            values = fill_in(stored.payload, answers)
        return self.view_submission(callback_id, user=user, values=values, view_id=stored.id)

    def _interaction(self, kind: str, *, user: str, trigger_id: str) -> Json:
        """The fields every interaction payload starts with: who, in which team and app."""
        with self.emulator.workspace() as ws:
            person = ws.known_user(user)
            team_domain = ws.team_domain
        return {
            "type": kind,
            "user": {
                "id": user,
                "username": person.name,
                "name": person.name,
                "team_id": self.team_id,
            },
            "team": {"id": self.team_id, "domain": team_domain},
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _answer_submission(self, stored: StoredView, ack: Json) -> None:
        with self.emulator.workspace() as ws:
            try:
                ws.answer_submission(stored, ack)
            except ApiError as error:
                ws.refuse(f"view_submission ack ({ack.get('response_action')})", error)


@dataclass(frozen=True)
class _ActionSource:
    """Where a click happened, and the fields Slack's block_actions payload has for that place."""

    channel: str | None
    blocks: list[Json] | None  # None: the test named no place, so any action_id goes
    container: Json
    parts: Json
    label: str

    @classmethod
    def find(
        cls,
        ws: Workspace,
        *,
        user: str,
        channel: str | None,
        message_ts: str | None,
        view_id: str | None,
    ) -> _ActionSource:
        if view_id:
            return cls._in_view(ws, view_id)
        if channel and message_ts:
            return cls._on_message(ws, user, channel, message_ts)
        container = {"type": "message", "channel_id": channel} if channel else {}
        return cls(channel, None, container, {"channel": {"id": channel}} if channel else {}, "")

    @classmethod
    def _in_view(cls, ws: Workspace, view_id: str) -> _ActionSource:
        stored = ws.views.get(view_id)
        if stored is None or not stored.is_open:
            raise AssertionError(f"view {view_id} is not open, so nothing in it can be used")
        container = {"type": "view", "view_id": view_id}
        blocks = stored.payload["blocks"]
        return cls(stored.channel, blocks, container, {"view": stored.payload}, f"view {view_id}")

    @classmethod
    def _on_message(cls, ws: Workspace, user: str, channel: str, ts: str) -> _ActionSource:
        message = ws.find_message(channel, ts)
        if message is None:
            raise AssertionError(f"there is no message {ts} in {channel} to use")
        if message.ephemeral_to not in (None, user):
            raise AssertionError(f"only {ws.display(message.ephemeral_to)} sees message {ts}")
        conversation = ws.channels.get(channel)
        name = _channel_name(conversation) if conversation else channel
        container = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": message.ephemeral_to is not None,
        }
        parts: Json = {"channel": {"id": channel, "name": name}, "state": {"values": {}}}
        if message.ephemeral_to is None:
            parts["message"] = message.as_payload()
        return cls(channel, message.blocks, container, parts, f"message {ts} in {channel}")

    def element(self, action_id: str, block_id: str | None) -> tuple[str | None, Json]:
        """The element a person can actually use here, with the block_id it sits in."""
        if self.blocks is None:
            return None, {}
        for found_block_id, element in elements(self.blocks):
            if element["action_id"] == action_id and block_id in (None, found_block_id):
                return found_block_id, element
        shown = [element["action_id"] for _, element in elements(self.blocks)]
        raise AssertionError(f"{self.label} has no element {action_id!r}; it shows {shown}")


def _action(element: Json, *, value: str | None, selected_option: Json | str | None) -> Json:
    """One entry of `actions`: a button sends its own value, a select the option picked."""
    default = "static_select" if selected_option is not None else "button"
    action: Json = {"type": element.get("type", default)}
    if "text" in element:
        action["text"] = element["text"]
    value = element.get("value") if value is None else value
    if value is not None:
        action["value"] = value
    if selected_option is not None:
        action["selected_option"] = _option(element, selected_option)
    return action


def _option(element: Json, wanted: Json | str) -> Json:
    if isinstance(wanted, dict):
        return wanted
    groups = element.get("option_groups", [])
    options = [*element.get("options", []), *(o for g in groups for o in g.get("options", []))]
    for option in options:
        if option.get("value") == wanted:
            return dict(option)
    if not element:
        return {"text": {"type": "plain_text", "text": wanted}, "value": wanted}
    offered = [option.get("value") for option in options]
    raise AssertionError(f"{element['action_id']!r} offers no option {wanted!r}; it has {offered}")


def _label(element: Json, action_id: str) -> str:
    text = element.get("text") or element.get("placeholder") or {}
    return f"[{text.get('text', action_id)}]"


def _open_modal(ws: Workspace, callback_id: str, user: str, view_id: str | None) -> StoredView:
    """The modal being submitted: the one named, the last one the bot opened, or a bare one."""
    if view_id:
        stored = ws.views.get(view_id)
        if stored is None or not stored.is_open:
            raise AssertionError(f"view {view_id} is not open, so it cannot be submitted")
        return stored
    opened = [
        stored
        for stored in ws.views.values()
        if stored.is_open and stored.user == user and stored.payload["type"] == "modal"
    ]
    latest = [stored for stored in opened if stored.payload.get("callback_id") == callback_id]
    if latest:
        return latest[-1]
    made_up = ws.new_id("V")
    title = {"type": "plain_text", "text": callback_id[:24]}
    payload = {"id": made_up, "type": "modal", "callback_id": callback_id, "title": title}
    stored = StoredView(made_up, user, {**payload, "blocks": [], "team_id": ws.team_id})
    ws.views[made_up] = stored
    return stored


def _check_values(stored: StoredView, values: Json) -> None:
    """A person can only fill in the inputs the modal has."""
    fields = elements(stored.payload["blocks"])
    inputs = {(block_id, element["action_id"]) for block_id, element in fields}
    for block_id, actions in values.items():
        for action_id in actions:
            if (block_id, action_id) not in inputs:
                has = sorted(inputs, key=str)
                raise AssertionError(
                    f"modal {stored.id} has no input {block_id}/{action_id}: {has}"
                )


def _shown(values: Json) -> str:
    """State values in a line, for the transcript: `goal=Delegate more, due=2027-01-12`."""
    shown = [
        f"{block_id}={_state_value(state)}"
        for block_id, actions in values.items()
        for state in actions.values()
    ]
    return ", ".join(shown) or "(nothing)"


def _state_value(state: Json) -> str:
    for key in ("value", "selected_date", "selected_time", "selected_user", "selected_users"):
        if state.get(key) is not None:
            return str(state[key])
    if state.get("selected_option"):
        return _option_shown(state["selected_option"])
    return ", ".join(_option_shown(o) for o in state.get("selected_options", []))


def _option_shown(option: Json) -> str:
    """An option as the person saw it: its text, not the value behind it."""
    return str((option.get("text") or {}).get("text") or option.get("value"))


def _channel_name(channel: Channel) -> str:
    """What slash commands report as channel_name: DMs have no name of their own."""
    if channel.is_im:
        return "directmessage"
    return "mpdm" if channel.is_mpim else channel.name


def _channel_type(channel: Channel) -> str:
    """A message event's channel_type: private channels are still "group" in events."""
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "group" if channel.is_private else "channel"


def _response(status: int, raw: bytes, headers: Headers) -> Response:
    body = raw.decode()
    try:
        parsed = json.loads(body) if body else None
    except json.JSONDecodeError:
        parsed = None
    return Response(
        status, body, parsed if isinstance(parsed, dict) else None, dict(headers.items())
    )
