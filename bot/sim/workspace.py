"""What the emulated Slack workspace knows: people, channels, messages, views, files.

Plain in-memory records. The emulator holds one lock around every read and write, so
nothing here locks; the Web API methods (`methods.py`) and the driver change it only
through these operations, which raise `ApiError` with Slack's own error codes.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sim.layout import check_blocks, check_text, check_view

# Slack's trigger_id lives three seconds: open the modal before doing slow work.
TRIGGER_LIFETIME = 3.0
# Message timestamps start here, so they read like real ones ("1700000000.000100").
EPOCH = 1_700_000_000

Json = dict[str, Any]


class ApiError(Exception):
    """A Web API error as Slack names it; `layout` carries why a layout was refused."""

    def __init__(self, error: str, *, layout: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.layout = layout


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str
    is_bot: bool
    # Workspace admins and owners: who may make someone an organisation lead.
    is_admin: bool = False
    is_owner: bool = False

    def as_payload(self, *, team_id: str) -> Json:
        """The `user` object users.info answers with."""
        offset = datetime.now(UTC).astimezone(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": self.is_bot,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "deleted": False,
            "profile": {"display_name": self.name, "real_name": self.real_name},
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    members: list[str]
    is_im: bool = False
    is_mpim: bool = False

    def as_payload(self, *, viewer: str) -> Json:
        """The `channel` object conversations.* answer with, as `viewer` sees it."""
        payload: Json = {
            "id": self.id,
            "is_channel": not (self.is_im or self.is_mpim),
            "is_group": False,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private,
            "is_archived": False,
            "is_member": viewer in self.members,
            "num_members": len(self.members),
        }
        if self.is_im:
            payload["user"] = next((m for m in self.members if m != viewer), viewer)
        else:
            payload["name"] = self.name
        return payload


@dataclass
class Message:
    """One message as the channel holds it; `ephemeral_to` names the only person who sees it."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[Json] = field(default_factory=list)
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    files: list[Json] = field(default_factory=list)
    bot_id: str | None = None
    edited: bool = False
    seq: int = 0

    def as_payload(self) -> Json:
        """The message object Slack returns from chat.* and puts in block_actions payloads."""
        payload: Json = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        optional = {
            "blocks": self.blocks,
            "thread_ts": self.thread_ts,
            "bot_id": self.bot_id,
            "files": self.files,
        }
        payload.update({key: value for key, value in optional.items() if value})
        return payload


@dataclass
class StoredView:
    """A modal or Home tab the bot showed; `channel` is where the click that opened it was."""

    id: str
    user: str
    payload: Json
    channel: str | None = None
    is_open: bool = True


@dataclass
class File:
    id: str
    name: str
    content: bytes | None = None
    title: str = ""

    def as_payload(self) -> Json:
        return {"id": self.id, "name": self.name, "title": self.title or self.name}


@dataclass(frozen=True)
class Trigger:
    user: str
    channel: str | None
    issued_at: float


@dataclass(frozen=True)
class Hook:
    """Where a response_url leads: the channel and person it answers, and the message clicked."""

    channel: str | None
    user: str | None
    message_ts: str | None


@dataclass(frozen=True)
class Note:
    """Something a person did that Slack shows no message for: a command, a click, a modal."""

    seq: int
    user: str
    channel: str | None
    action: str
    blocks: tuple[Json, ...] = ()


class Workspace:
    """One team's state. Every operation expects the caller to hold the emulator's lock."""

    def __init__(
        self, *, team_id: str, team_name: str, bot_user_id: str, bot_id: str, bot_name: str
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.base_url = ""
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.views: dict[str, StoredView] = {}
        self.home_views: dict[str, str] = {}
        self.files: dict[str, File] = {}
        self.triggers: dict[str, Trigger] = {}
        self.hooks: dict[str, Hook] = {}
        self.notes: list[Note] = []
        self.layout_errors: list[str] = []
        self._serial = itertools.count(1)
        self.add_user(bot_user_id, name=bot_name, is_bot=True)

    @property
    def team_domain(self) -> str:
        """The workspace's subdomain, as Slack derives it from the name."""
        return re.sub(r"[^a-z0-9]+", "-", self.team_name.lower()).strip("-")

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._serial):08d}"

    def new_ts(self) -> tuple[int, str]:
        """A sequence number and the message ts made from it: unique and always increasing."""
        seq = next(self._serial)
        return seq, f"{EPOCH + seq // 10_000}.{seq % 10_000 * 100:06d}"

    # -- people and conversations -------------------------------------------------------

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
    ) -> User:
        ZoneInfo(tz)  # an unknown zone fails here, where the test seeded it
        user = User(user_id, name, real_name or name, tz, is_bot, is_admin, is_owner)
        self.users[user_id] = user
        return user

    def add_channel(self, name: str, *, is_private: bool, members: list[str]) -> Channel:
        channel = Channel(self.new_id("C"), name, is_private, list(dict.fromkeys(members)))
        self.channels[channel.id] = channel
        return channel

    def user(self, user_id: object) -> User:
        if not isinstance(user_id, str) or user_id not in self.users:
            raise ApiError("user_not_found")
        return self.users[user_id]

    def channel(self, channel_id: object) -> Channel:
        """A conversation the bot can see: private ones it is not in are hidden, as in Slack."""
        channel = self.channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise ApiError("channel_not_found")
        return channel

    def dm(self, user_ids: list[str]) -> tuple[Channel, bool]:
        """The bot's DM (or group DM) with these people, and whether it already existed."""
        members = [*dict.fromkeys(user_ids), self.bot_user_id]
        for channel in self.channels.values():
            if (channel.is_im or channel.is_mpim) and set(channel.members) == set(members):
                return channel, True
        is_im = len(members) == 2
        channel = Channel(self.new_id("D" if is_im else "G"), "", True, members, is_im, not is_im)
        self.channels[channel.id] = channel
        return channel, False

    def known_user(self, user_id: str) -> User:
        """Slack only speaks for people who exist: one first seen in a request joins the team."""
        return self.users.get(user_id) or self.add_user(user_id, name=user_id.lower())

    def known_channel(self, channel_id: str, *, member: str) -> Channel:
        """Likewise for channels: an unseeded one is public, with the person who spoke in it."""
        channel = self.channels.get(channel_id)
        if channel is None:
            if channel_id.startswith("D"):
                channel = Channel(channel_id, "", True, [member, self.bot_user_id], is_im=True)
            else:
                channel = Channel(channel_id, channel_id.lower(), False, [member])
            self.channels[channel_id] = channel
        return channel

    def display(self, user_id: str | None) -> str:
        user = self.users.get(user_id or "")
        return f"@{user.name}" if user else f"@{user_id}"

    # -- messages -----------------------------------------------------------------------

    def post(
        self,
        *,
        channel: str,
        user: str,
        text: str,
        blocks: list[Json] | None = None,
        thread_ts: str | None = None,
        ephemeral_to: str | None = None,
        files: list[Json] | None = None,
        ts: str | None = None,
    ) -> Message:
        """Store a message; a reply to a reply joins its thread, as Slack files it."""
        seq, new_ts = self.new_ts()
        message = Message(
            channel=channel,
            ts=ts or new_ts,
            user=user,
            text=text,
            blocks=blocks or [],
            thread_ts=self.thread_root(channel, thread_ts),
            ephemeral_to=ephemeral_to,
            files=files or [],
            bot_id=self.bot_id if user == self.bot_user_id else None,
            seq=seq,
        )
        self.messages.append(message)
        return message

    def find_message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def thread_root(self, channel: str, thread_ts: str | None) -> str | None:
        if not thread_ts:
            return None
        parent = self.find_message(channel, thread_ts)
        if parent is None or parent.ephemeral_to:
            raise ApiError("invalid_thread_ts")
        return parent.thread_ts or parent.ts

    def content(self, args: Json, *, require: bool = True) -> tuple[str | None, list[Json] | None]:
        """The text and blocks of a message the bot sends, refused the way Slack refuses them."""
        text, blocks = args.get("text"), args.get("blocks")
        if blocks is not None:
            problem = check_blocks(blocks)
            if problem:
                raise ApiError("invalid_blocks", layout=problem)
        if text is not None and (problem := check_text(text)):
            raise ApiError("msg_too_long", layout=problem)
        if require and not text and not blocks:
            raise ApiError("no_text")
        return text, blocks

    def refuse(self, source: str, error: ApiError) -> None:
        """Keep why a layout was refused, so a test fixture can fail on it."""
        if error.layout:
            self.layout_errors.append(f"{source}: {error.layout}")

    def deliver(self, hook: Hook, body: Json) -> None:
        """Show what the bot sent to a response_url, or returned in a command's ack."""
        text, blocks = self.content(body, require=False)
        original = self.find_message(hook.channel or "", hook.message_ts or "")
        if original and body.get("delete_original"):
            self.messages.remove(original)
        elif original and body.get("replace_original"):
            original.text, original.blocks, original.edited = text or "", blocks or [], True
        elif hook.channel and (text or blocks):
            in_channel = body.get("response_type") == "in_channel"
            self.post(
                channel=hook.channel,
                user=self.bot_user_id,
                text=text or "",
                blocks=blocks,
                thread_ts=body.get("thread_ts"),
                ephemeral_to=None if in_channel else hook.user,
            )

    # -- views, triggers, notes -----------------------------------------------------------

    def new_trigger(self, *, user: str, channel: str | None) -> str:
        trigger_id = f"{next(self._serial)}.{self.team_id}.sim"
        self.triggers[trigger_id] = Trigger(user, channel, time.monotonic())
        return trigger_id

    def use_trigger(self, trigger_id: object) -> Trigger:
        """A trigger opens one view, within three seconds of the click that made it."""
        trigger = self.triggers.pop(trigger_id, None) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if time.monotonic() - trigger.issued_at > TRIGGER_LIFETIME:
            raise ApiError("expired_trigger_id")
        return trigger

    def checked_view(self, view: object, *, kind: str) -> Json:
        problem = check_view(view, kind=kind)
        if problem or not isinstance(view, dict):
            raise ApiError("invalid_blocks", layout=problem)
        return view

    def show_view(self, view: Json, *, user: str, channel: str | None, view_id: str = "") -> Json:
        """Store a modal or Home tab with the fields Slack adds, and note it for the transcript."""
        view_id = view_id or self.new_id("V")
        payload = {
            "callback_id": "",
            "external_id": "",
            "private_metadata": "",
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "bot_id": self.bot_id,
            "root_view_id": view_id,
            "previous_view_id": None,
            "state": {"values": {}},
            "hash": f"{next(self._serial)}.sim",
        }
        change = " change" if view_id in self.views else ""
        self.views[view_id] = StoredView(view_id, user, payload, channel)
        self.note(user, channel, f"sees {_view_label(view)}{change}", blocks=view["blocks"])
        return payload

    def answer_submission(self, stored: StoredView, ack: Json) -> None:
        """What the bot's ack to a view_submission does to the modal, as Slack applies it.

        `errors` keeps it open beside the fields, `update` replaces it, `push` stacks a new
        one on top, `clear` closes every modal the person has open; anything else closes it.
        """
        action = ack.get("response_action")
        if action == "errors":
            self.note(stored.user, stored.channel, f"sees errors: {ack.get('errors')}")
        elif action in ("update", "push"):
            view = self.checked_view(ack.get("view"), kind="modal")
            view_id = stored.id if action == "update" else ""
            self.show_view(view, user=stored.user, channel=stored.channel, view_id=view_id)
        else:
            closing = [stored]
            if action == "clear":
                closing = [shown for shown in self.views.values() if shown.user == stored.user]
            for shown in closing:
                if shown.payload["type"] == "modal":
                    shown.is_open = False

    def find_view(self, *, view_id: object = None, external_id: object = None) -> StoredView:
        for stored in self.views.values():
            wanted = (view_id and stored.id == view_id) or (
                external_id and stored.payload.get("external_id") == external_id
            )
            if wanted and stored.is_open:
                return stored
        raise ApiError("not_found")

    def note(
        self, user: str, channel: str | None, action: str, *, blocks: Sequence[Json] = ()
    ) -> None:
        self.notes.append(Note(next(self._serial), user, channel, action, tuple(blocks)))


def _view_label(view: Json) -> str:
    """How a reader names a view: a modal by its title, a Home tab as such."""
    if view["type"] == "home":
        return "their Home tab"
    return repr(view["title"]["text"])
