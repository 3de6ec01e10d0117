"""A Slack Web API on loopback, so the bot's real WebClient is what the tests exercise.

Bound to port 0 in a daemon thread; `WebClient(base_url=emulator.api_url)` talks to it over
HTTP exactly as it would to slack.com. It keeps the workspace in memory, records every
call, refuses layouts Slack would refuse, fails a method on request (`fail`) and holds a
method to Slack's per-channel rate limit (`limit_rate`), so a test chooses a fault with
one switch instead of patching the client.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from bot.sim import transcript
from bot.sim.methods import METHODS
from bot.sim.oauth import OAUTH_ACCESS, SlackApp
from bot.sim.socket_mode import SocketModeServer
from bot.sim.workspace import ApiError, Hook, Json, Message, Workspace

# Arguments WebClient may send as JSON text inside a form body; decoded before anything else.
JSON_FIELDS = ("blocks", "view", "files", "attachments")
# How often the server loop looks up from the socket: stop() waits up to this long, per test.
STOP_POLL_INTERVAL = 0.02
# Socket Mode's one Web API method: answered with the app-level token, outside the lock.
CONNECTIONS_OPEN = "apps.connections.open"


@dataclass(frozen=True)
class Call:
    """One request the bot made: a Web API method, or "response_url" for a response URL post."""

    method: str
    args: dict[str, Any]
    ok: bool
    # The token it was made with (a bearer token, or a `token` argument): whose bot spoke.
    # Left out of comparisons, so a test names a call by what it asked.
    token: str | None = field(default=None, compare=False)


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int | None
    remaining: int
    drop: bool = False
    stall: float = 0.0


@dataclass(frozen=True)
class _Request:
    path: str
    query: str
    body: bytes
    headers: Headers


@dataclass(frozen=True)
class _Reply:
    status: int
    body: Json | str
    headers: dict[str, str] = field(default_factory=dict)
    # Faults on the wire: hang up without answering, or answer only after `stall` seconds.
    drop: bool = False
    stall: float = 0.0

    @property
    def ok(self) -> bool:
        return self.body.get("ok", False) if isinstance(self.body, dict) else self.status == 200


class SlackEmulator:
    """Slack's Web API for one workspace, with setbot installed as its bot user.

    `add_workspace` adds more workspaces at the same address, for installing the app
    through OAuth (bot/sim/oauth.py) into several.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0SETBOT",
        team_name: str = "Setbot Test Workspace",
        bot_user_id: str = "U0SETBOT",
        bot_id: str = "B0SETBOT",
        bot_token: str = "xoxb-sim-token",
        bot_name: str = "setbot",
        app_token: str = "xapp-sim-token",
        app_id: str = "A0SETBOT",
    ) -> None:
        # The ids auth.test reports, as Bolt reads them at start-up.
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # OAuth & Permissions → Bot User OAuth Token; any other token is `invalid_auth`.
        self.bot_token = bot_token
        # Basic Information → App-Level Token, for apps.connections.open (Socket Mode).
        self.app_token = app_token
        self.app_id = app_id
        self._ws = Workspace(
            team_id=team_id,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            bot_name=bot_name,
        )
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, _Fault] = {}
        # Seconds a channel must wait between calls of a rate-limited method (`limit_rate`).
        self._intervals: dict[str, float] = {}
        self._last_accepted: dict[tuple[str, str], float] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket_mode: SocketModeServer | None = None
        # The app as Slack registered it: installs, bot tokens and their rotation (oauth.py).
        self.slack_app = SlackApp(app_id=app_id)
        # Every workspace served at this address, by team id; `_host` serves a guest's.
        self._workspaces: dict[str, SlackEmulator] = {team_id: self}
        self._host: SlackEmulator | None = None

    def add_workspace(
        self, *, team_id: str, team_name: str, bot_user_id: str, bot_id: str
    ) -> SlackEmulator:
        """Another workspace the same app can be installed in, served at this running address.

        The bot has one Web API address for every workspace: calls are told apart by their
        token, as on slack.com. The new workspace is seeded and driven like this one; its
        bot token comes only from installing the app there (`authorize_install`).
        """
        guest = SlackEmulator(
            team_id=team_id,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            bot_token="",
            app_id=self.app_id,
        )
        # One Slack: one lock around every workspace, as they share the app's tokens.
        guest._lock = self._lock
        guest.slack_app = self.slack_app
        guest._workspaces = self._workspaces
        guest._host = self
        guest._ws.base_url = guest.base_url
        self._workspaces[team_id] = guest
        return guest

    def authorize_install(self, url: str, *, user: str) -> str:
        """`user` approves installing the app here on Slack's page at `url` (the link the
        bot's /slack/install offers): the redirect URL, with a code and the bot's `state`."""
        with self._lock:
            return self.slack_app.authorize(url, team_id=self.team_id, user=user)

    def expire_tokens(self) -> None:
        """This workspace's installed bot tokens reach the end of their life: Slack now
        answers `token_expired` to them until the app refreshes them."""
        with self._lock:
            self.slack_app.expire_tokens(self.team_id)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler, dispatch=self._dispatch)
        self._ws.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_INTERVAL},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._socket_mode is not None:
            self._socket_mode.stop()
            self._socket_mode = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._host is not None:
            return f"{self._host.base_url}/team/{self.team_id}"
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """What WebClient takes as base_url: method names are appended to it."""
        return f"{self.base_url}/api/"

    # -- seeding ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> str:
        """Someone in the workspace; `is_admin` or `is_owner` makes them a workspace admin."""
        with self._lock:
            return self._ws.add_user(
                user_id,
                name=name,
                real_name=real_name,
                tz=tz,
                is_bot=is_bot,
                is_admin=is_admin,
                is_owner=is_owner,
            ).id

    def add_channel(
        self, name: str, *, is_private: bool = True, members: Iterable[str] = ()
    ) -> str:
        """A channel that already exists; put `bot_user_id` in `members` for setbot to be in it."""
        with self._lock:
            return self._ws.add_channel(name, is_private=is_private, members=list(members)).id

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> str:
        """A message a person posted before the test begins; returns its ts.

        To have the bot hear a message as it is posted, use the driver's `message` instead.
        """
        with self._lock:
            posted = self._ws.post(
                channel=channel, user=user, text=text, thread_ts=thread_ts, ts=ts
            )
            return posted.ts

    def messages(self, channel: str, *, thread_ts: str | None = None) -> list[Message]:
        """A channel's top-level messages, or one thread parent first, as Slack lists them."""
        with self._lock:
            picked = [
                message
                for message in self._ws.messages
                if message.channel == channel and _in_view(message, thread_ts)
            ]
            return [replace(message) for message in picked]

    def file_content(self, file_id: str) -> bytes:
        """The bytes the bot uploaded, for asserting on what a file said."""
        with self._lock:
            file = self._ws.files.get(file_id)
        if file is None or file.content is None:
            raise KeyError(f"no upload arrived for file {file_id}")
        return file.content

    def transcript(self) -> str:
        with self._lock:
            return transcript.render(self._ws)

    # -- faults and recording -------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
        drop: bool = False,
        stall: float = 0.0,
    ) -> None:
        """The next `times` calls of `method` answer `error` (HTTP `status`, 200 by default).

        `status=429` with `retry_after` is Slack's rate limit: slack_sdk's
        RateLimitErrorRetryHandler waits that many seconds and tries again. `drop` hangs
        up without answering, as a connection lost mid-request; `stall` answers only after
        that many seconds, so a client with a shorter timeout hears nothing. Either way
        the call does nothing. `method` may also be "response_url". Failed calls are
        recorded like any other.
        """
        with self._lock:
            self._faults[method] = _Fault(
                error, status or 200, retry_after, times, drop=drop, stall=stall
            )

    def limit_rate(self, method: str, *, per_channel_per_second: float = 1.0) -> None:
        """From now on `method` takes `per_channel_per_second` calls a second in each channel.

        As Slack limits chat.postMessage: a call that comes too soon after the last one
        accepted in its channel is answered HTTP 429 `ratelimited`, with Retry-After in
        whole seconds (rounded up), and recorded as a failed call.
        """
        with self._lock:
            self._intervals[method] = 1.0 / per_channel_per_second

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def layout_errors(self) -> list[str]:
        """Why Slack would have refused a layout: one line per refusal, naming the method."""
        with self._lock:
            return list(self._ws.layout_errors)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(
        self, method: str, *, where: Callable[[Call], bool] | None = None, within: float = 2.0
    ) -> Call:
        """The first call of `method` that `where` accepts, waiting up to `within` seconds.

        The bot answers Slack first and acts after, so a test waits for the call it expects
        instead of sleeping. A `where` that looks up a missing argument simply does not match.
        """

        def match() -> Call | None:
            return next((c for c in self._calls if c.method == method and _accepts(where, c)), None)

        with self._lock:
            found = self._lock.wait_for(match, timeout=within)
            seen = "\n".join(f"  {_describe(call)}" for call in self._calls) or "  (none)"
        if found is None:
            wanted = f"{method} call" + (" matching `where`" if where else "")
            raise AssertionError(f"no {wanted} within {within}s; calls seen:\n{seen}")
        return found

    # -- what the driver hands out --------------------------------------------------------

    def new_response_url(
        self, *, channel: str | None = None, user: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response_url for a command or click: posts to it land in `channel` for `user`."""
        with self._lock:
            hook_id = self._ws.new_id("H")
            self._ws.hooks[hook_id] = Hook(channel, user, message_ts)
        return f"{self.base_url}/response/{hook_id}"

    def new_trigger_id(self, *, user: str, channel: str | None = None) -> str:
        """A trigger_id, as a click or command by `user` gives: views.open needs a fresh one."""
        with self._lock:
            return self._ws.new_trigger(user=user, channel=channel)

    def show_ack(self, response_url: str, body: Json, *, source: str) -> None:
        """Show a command's ack as Slack does, like a post to its response_url.

        It is no `Call`: the bot answered the request, it called nothing. A layout Slack
        would refuse is kept in `layout_errors` under `source`.
        """
        hook_id = response_url.rsplit("/", 1)[-1]
        with self._lock:
            try:
                self._ws.deliver(self._ws.hooks[hook_id], body)
            except ApiError as error:
                self._ws.refuse(source, error)

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's end of Socket Mode (apps.connections.open's WebSocket), started on first use."""
        with self._lock:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer(
                    app_token=self.app_token, app_id=self.app_id
                ).start()
            return self._socket_mode

    @contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """The workspace under the emulator's lock: how the driver reads and changes it."""
        with self._lock:
            yield self._ws

    # -- serving --------------------------------------------------------------------------

    def _dispatch(self, request: _Request) -> _Reply:
        route, _, rest = request.path.lstrip("/").partition("/")
        if route == "team":  # a guest workspace's response URLs and uploads
            team_id, _, path = rest.partition("/")
            guest = self._workspaces.get(team_id)
            return guest._dispatch(replace(request, path=path)) if guest else _Reply(404, "")
        if route == "api":
            return self._api(rest, request)
        if route == "upload":
            return self._upload(rest, request.body)
        if route == "response":
            return self._response_url(rest, request.body)
        return _Reply(404, "not found")

    def _api(self, method: str, request: _Request) -> _Reply:
        args = _parse_args(request)
        token = _bearer(request.headers) or args.get("token")
        args.pop("token", None)
        if method == CONNECTIONS_OPEN:
            return self._connections_open(token)
        owner = self._owner(args, token)
        if owner is not self:
            return owner._api(method, request)
        if method == OAUTH_ACCESS:
            return self._oauth_access(args, request.headers.get("Authorization"))
        with self._lock:
            reply = self._answer(method, args, token)
            self._record(Call(method, args, reply.ok, token if isinstance(token, str) else None))
        return reply

    def _owner(self, args: Json, token: object) -> SlackEmulator:
        """The workspace a call is for: the one whose code, refresh token or bot token it has."""
        with self._lock:
            team_id = self.slack_app.team_of(args, token)
        for workspace in self._workspaces.values():
            if team_id == workspace.team_id or (token and token == workspace.bot_token):
                return workspace
        return self

    def _oauth_access(self, args: Json, authorization: str | None) -> _Reply:
        """oauth.v2.access: the app's own credentials, not a bot token, authorise it."""
        with self._lock:
            reply = self._take_fault(OAUTH_ACCESS)
            if reply is None:
                try:
                    answer = self.slack_app.access(self._ws, args, authorization)
                    reply = _Reply(200, {"ok": True, **answer})
                except ApiError as error:
                    reply = _error(error.error)
            self._record(Call(OAUTH_ACCESS, args, reply.ok))
        return reply

    def _connections_open(self, token: object) -> _Reply:
        """A WebSocket URL for the app-level token; in an outage the answer waits for its end."""
        with self._lock:
            reply = self._take_fault(CONNECTIONS_OPEN)
        if reply is None:
            try:
                reply = _Reply(200, {"ok": True, "url": self.socket_mode.open_link(token)})
            except ApiError as error:
                reply = _error(error.error)
        with self._lock:
            self._record(Call(CONNECTIONS_OPEN, {}, reply.ok))
        return reply

    def _answer(self, method: str, args: Json, token: object) -> _Reply:
        fault = self._take_fault(method) or self._over_rate(method, args)
        if fault is not None:
            return fault
        if method not in METHODS:
            return _error("unknown_method")
        if not token:
            return _error("not_authed")
        try:
            if token != self.bot_token:
                self.slack_app.check(str(token), team_id=self.team_id)
            return _Reply(200, {"ok": True, **METHODS[method](self._ws, args)})
        except ApiError as error:
            self._ws.refuse(method, error)
            return _error(error.error)

    def _over_rate(self, method: str, args: Json) -> _Reply | None:
        interval = self._intervals.get(method)
        if interval is None:
            return None
        key, now = (method, str(args.get("channel"))), time.monotonic()
        wait = self._last_accepted.get(key, -math.inf) + interval - now
        if wait > 0:
            headers = {"Retry-After": str(math.ceil(wait))}
            return _Reply(429, {"ok": False, "error": "ratelimited"}, headers)
        self._last_accepted[key] = now
        return None

    def _take_fault(self, method: str) -> _Reply | None:
        fault = self._faults.get(method)
        if fault is None or fault.remaining <= 0:
            return None
        fault.remaining -= 1
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        body = {"ok": False, "error": fault.error}
        return _Reply(fault.status, body, headers, drop=fault.drop, stall=fault.stall)

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._lock.notify_all()

    def _upload(self, file_id: str, content: bytes) -> _Reply:
        """Step two of an upload: the raw bytes, posted to the URL step one handed out."""
        with self._lock:
            file = self._ws.files.get(file_id)
            if file is None:
                return _Reply(404, "file_not_found")
            file.content = content
        return _Reply(200, f"OK - {len(content)}")

    def _response_url(self, hook_id: str, raw: bytes) -> _Reply:
        """A post to a response_url: JSON, as Bolt's respond() and WebhookClient send it."""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return _Reply(400, "invalid_payload")
        with self._lock:
            reply = self._take_fault("response_url") or self._respond(hook_id, body)
            self._record(Call("response_url", body, reply.ok))
        return reply

    def _respond(self, hook_id: str, body: Json) -> _Reply:
        hook = self._ws.hooks.get(hook_id)
        if hook is None:
            return _Reply(404, "no_active_hooks")
        try:
            self._ws.deliver(hook, body)
        except ApiError as error:
            self._ws.refuse("response_url", error)
            return _Reply(400, error.error)
        return _Reply(200, "ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        dispatch: Callable[[_Request], _Reply],
    ) -> None:
        super().__init__(address, handler)
        self.dispatch = dispatch


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.dispatch(_Request(url.path, url.query, body, self.headers))
        if reply.stall:
            time.sleep(reply.stall)  # this request's own thread: nothing else waits
        if reply.drop:
            self.close_connection = True
            return
        is_json = isinstance(reply.body, dict)
        payload = (json.dumps(reply.body) if is_json else str(reply.body)).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json" if is_json else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        with contextlib.suppress(ConnectionError):  # a stalled reply's client has gone
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing per request: a failing test's output should be its story, not a log."""


def _parse_args(request: _Request) -> Json:
    """Query string, then a form or JSON body; JSON text inside form fields is decoded."""
    args: Json = dict(parse_qsl(request.query, keep_blank_values=True))
    body = request.body.decode()
    content_type = request.headers.get_content_type()
    if content_type == "application/json" and body:
        args.update(json.loads(body))
    elif content_type == "application/x-www-form-urlencoded":
        args.update(parse_qsl(body, keep_blank_values=True))
    return {key: _decoded(key, value) for key, value in args.items()}


def _decoded(key: str, value: Any) -> Any:
    if key not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # left as text, so validation names what is wrong with it


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def _error(code: str) -> _Reply:
    """Slack answers most errors with HTTP 200 and `ok: false`."""
    return _Reply(200, {"ok": False, "error": code})


def _in_view(message: Message, thread_ts: str | None) -> bool:
    if thread_ts is None:
        return message.thread_ts in (None, message.ts)
    return thread_ts in (message.ts, message.thread_ts)


def _accepts(where: Callable[[Call], bool] | None, call: Call) -> bool:
    try:
        return where is None or where(call)
    except LookupError:
        return False


def _describe(call: Call) -> str:
    args = json.dumps(call.args, default=str)
    return f"{call.method} {'ok' if call.ok else 'FAILED'} {args[:200]}"
