"""The Web API methods setbot calls, answering as Slack documents them.

Each method takes the workspace and the request's arguments and returns the fields that
go beside `"ok": true`; an `ApiError` becomes `{"ok": false, "error": ...}`. Only what
setbot uses is here: anything else answers `unknown_method`, so a new call is noticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.sim.workspace import ApiError, Channel, File, Json, Workspace

Method = Callable[[Workspace, Json], Json]

# conversations.create: "lowercase letters, numbers, hyphens and underscores, 80 at most".
CHANNEL_NAME_MAX = 80
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")


def auth_test(ws: Workspace, args: Json) -> Json:
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "team_id": ws.team_id,
        "user": ws.users[ws.bot_user_id].name,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


# -- chat ---------------------------------------------------------------------------------


def chat_post_message(ws: Workspace, args: Json) -> Json:
    channel = _postable(ws, args.get("channel"))
    text, blocks = ws.content(args)
    message = ws.post(
        channel=channel.id,
        user=ws.bot_user_id,
        text=text or "",
        blocks=blocks,
        thread_ts=args.get("thread_ts"),
    )
    return {"channel": channel.id, "ts": message.ts, "message": message.as_payload()}


def chat_post_ephemeral(ws: Workspace, args: Json) -> Json:
    channel = _postable(ws, args.get("channel"))
    user = ws.user(args.get("user"))
    if user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = ws.content(args)
    message = ws.post(
        channel=channel.id,
        user=ws.bot_user_id,
        text=text or "",
        blocks=blocks,
        thread_ts=args.get("thread_ts"),
        ephemeral_to=user.id,
    )
    return {"message_ts": message.ts}


def chat_update(ws: Workspace, args: Json) -> Json:
    channel = ws.channel(args.get("channel"))
    message = ws.find_message(channel.id, str(args.get("ts")))
    if message is None or message.ephemeral_to:
        raise ApiError("message_not_found")
    if message.user != ws.bot_user_id:
        raise ApiError("cant_update_message")
    text, blocks = ws.content(args)
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks
    message.edited = True
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.as_payload(),
    }


def _postable(ws: Workspace, channel_id: object) -> Channel:
    """Where the bot may post: a user id means their DM; other conversations need membership.

    setbot has chat:write without chat:write.public, so a public channel it has not joined
    answers `not_in_channel`, and a private one it is not in does not exist for it at all.
    """
    if isinstance(channel_id, str) and channel_id in ws.users:
        return ws.dm([channel_id])[0]
    channel = ws.channel(channel_id)
    if ws.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


# -- conversations ------------------------------------------------------------------------


def conversations_open(ws: Workspace, args: Json) -> Json:
    user_ids = _split(args.get("users"))
    if not user_ids:
        raise ApiError("users_list_not_supplied")
    for user_id in user_ids:
        ws.user(user_id)
    channel, existed = ws.dm(user_ids)
    return {"channel": {"id": channel.id}, "no_op": existed, "already_open": existed}


def conversations_info(ws: Workspace, args: Json) -> Json:
    channel = ws.channel(args.get("channel"))
    return {"channel": channel.as_payload(viewer=ws.bot_user_id)}


def conversations_members(ws: Workspace, args: Json) -> Json:
    channel = ws.channel(args.get("channel"))
    return {"members": list(channel.members), "response_metadata": {"next_cursor": ""}}


def conversations_create(ws: Workspace, args: Json) -> Json:
    name = str(args.get("name") or "")
    _check_channel_name(name)
    if any(channel.name == name for channel in ws.channels.values()):
        raise ApiError("name_taken")
    is_private = _flag(args.get("is_private"))
    channel = ws.add_channel(name, is_private=is_private, members=[ws.bot_user_id])
    return {"channel": channel.as_payload(viewer=ws.bot_user_id)}


def users_conversations(ws: Workspace, args: Json) -> Json:
    """The channels the caller (setbot) is in, of the types asked for."""
    types = set(_split(args.get("types")) or ["public_channel"])
    wanted = [
        channel
        for channel in ws.channels.values()
        if not channel.is_im
        and ws.bot_user_id in channel.members
        and ("private_channel" if channel.is_private else "public_channel") in types
    ]
    return {
        "channels": [channel.as_payload(viewer=ws.bot_user_id) for channel in wanted],
        "response_metadata": {"next_cursor": ""},
    }


def conversations_invite(ws: Workspace, args: Json) -> Json:
    """Add people; only when every one of them is already in does Slack answer an error."""
    channel = ws.channel(args.get("channel"))
    if ws.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    user_ids = _split(args.get("users"))
    if not user_ids:
        raise ApiError("no_user")
    if ws.bot_user_id in user_ids:
        raise ApiError("cant_invite_self")
    newcomers = [ws.user(user_id).id for user_id in user_ids if user_id not in channel.members]
    if not newcomers:
        raise ApiError("already_in_channel")
    channel.members.extend(dict.fromkeys(newcomers))
    return {"channel": channel.as_payload(viewer=ws.bot_user_id)}


def conversations_join(ws: Workspace, args: Json) -> Json:
    channel = ws.channel(args.get("channel"))
    if channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    answer: Json = {}
    if ws.bot_user_id in channel.members:
        answer["warning"] = "already_in_channel"
    else:
        channel.members.append(ws.bot_user_id)
    return {"channel": channel.as_payload(viewer=ws.bot_user_id), **answer}


def _check_channel_name(name: str) -> None:
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > CHANNEL_NAME_MAX:
        raise ApiError("invalid_name_maxlength")
    if not _CHANNEL_NAME.fullmatch(name):
        raise ApiError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise ApiError("invalid_name_punctuation")


# -- users and views ----------------------------------------------------------------------


def users_info(ws: Workspace, args: Json) -> Json:
    return {"user": ws.user(args.get("user")).as_payload(team_id=ws.team_id)}


def views_open(ws: Workspace, args: Json) -> Json:
    view = ws.checked_view(args.get("view"), kind="modal")
    trigger = ws.use_trigger(args.get("trigger_id"))
    return {"view": ws.show_view(view, user=trigger.user, channel=trigger.channel)}


def views_update(ws: Workspace, args: Json) -> Json:
    """Replace an open view, found by view_id or external_id; a stale hash is a conflict."""
    stored = ws.find_view(view_id=args.get("view_id"), external_id=args.get("external_id"))
    if args.get("hash") and args["hash"] != stored.payload["hash"]:
        raise ApiError("hash_conflict")
    view = ws.checked_view(args.get("view"), kind=stored.payload["type"])
    shown = ws.show_view(view, user=stored.user, channel=stored.channel, view_id=stored.id)
    return {"view": shown}


def views_publish(ws: Workspace, args: Json) -> Json:
    user = ws.user(args.get("user_id"))
    view = ws.checked_view(args.get("view"), kind="home")
    view_id = ws.home_views.get(user.id, "")
    shown = ws.show_view(view, user=user.id, channel=None, view_id=view_id)
    ws.home_views[user.id] = shown["id"]
    return {"view": shown}


# -- files --------------------------------------------------------------------------------


def files_get_upload_url_external(ws: Workspace, args: Json) -> Json:
    """Step one of an upload: an upload URL that leads back to this emulator."""
    filename, length = args.get("filename"), str(args.get("length", ""))
    if not filename or not length.isdigit():
        raise ApiError("invalid_arguments")
    file = File(ws.new_id("F"), str(filename))
    ws.files[file.id] = file
    return {"upload_url": f"{ws.base_url}/upload/{file.id}", "file_id": file.id}


def files_complete_upload_external(ws: Workspace, args: Json) -> Json:
    """Step three: title the uploaded files and share them, with a comment, where asked."""
    entries = args.get("files")
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments")
    files = [_uploaded(ws, entry) for entry in entries]
    channel_ids = _split(args.get("channel_id")) or _split(args.get("channels"))
    for channel in [_postable(ws, channel_id) for channel_id in channel_ids]:
        ws.post(
            channel=channel.id,
            user=ws.bot_user_id,
            text=str(args.get("initial_comment") or ""),
            thread_ts=args.get("thread_ts"),
            files=[file.as_payload() for file in files],
        )
    return {"files": [file.as_payload() for file in files]}


def _uploaded(ws: Workspace, entry: Any) -> File:
    file = ws.files.get(entry.get("id", "")) if isinstance(entry, dict) else None
    if file is None or file.content is None:
        raise ApiError("file_not_found")
    file.title = str(entry.get("title") or file.name)
    return file


# -- arguments ----------------------------------------------------------------------------


def _split(value: object) -> list[str]:
    """A comma-separated list, as WebClient sends `users` and `channels`."""
    if isinstance(value, list):
        return [str(item) for item in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _flag(value: object) -> bool:
    """A boolean argument: form bodies carry "true" or "1", JSON bodies true."""
    return value is True or str(value).lower() in {"true", "1"}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.join": conversations_join,
    "users.info": users_info,
    "users.conversations": users_conversations,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}
