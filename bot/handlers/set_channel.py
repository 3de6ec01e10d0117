"""The Slack side of forming a Set: a private channel of its own, or one the facilitator picked.

Done before anything is stored, so a Set is never saved without a channel to meet in.
Once people are in it, their Slack time zones are looked up for their private reminders.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.access import Refusal

log = logging.getLogger("setbot.handlers")

# Slack's rule for channel names: lowercase letters, digits, hyphens and underscores, ≤ 80.
CHANNEL_NAME_LIMIT = 80
NAME_TRIES = 9


def channel_name(set_name: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "-", set_name.lower()).strip("-_")
    return ("set-" + slug)[: CHANNEL_NAME_LIMIT - 3].rstrip("-_") or "set"


def create_set_channel(client: WebClient, set_name: str, *, is_free: Callable[[str], bool]) -> str:
    """A new private channel named after the Set; a number is added if the name is taken.

    A channel of that name setbot made for an attempt that never finished (the bot was
    stopped half-way, and the form sent again) is no Set's yet: it is used, not doubled.
    """
    base = channel_name(set_name)
    for attempt in range(1, NAME_TRIES + 1):
        name = base if attempt == 1 else f"{base}-{attempt}"
        try:
            created = client.conversations_create(name=name, is_private=True)
        except SlackApiError as error:
            if error.response.get("error") == "name_taken":
                left = _left_over(client, name, is_free)
                if left is not None:
                    return left
                continue
            raise Refusal(
                "Slack wouldn't let me create a channel for the Set ({reason}). Nothing was "
                "saved: pick an existing channel instead, or ask your Slack admin.",
                reason=str(error.response.get("error")),
            ) from error
        return str(created["channel"]["id"])
    raise Refusal(
        "Channels named like *{name}* already exist. Nothing was saved: give the Set a more "
        "distinctive name, or pick an existing channel.",
        name=base,
    )


def _left_over(client: WebClient, name: str, is_free: Callable[[str], bool]) -> str | None:
    """setbot's own private channel called `name`, if no Set uses it."""
    try:
        mine = client.users_conversations(
            types="private_channel", exclude_archived=True, limit=1000
        )
    except SlackApiError:
        return None
    found = next((c["id"] for c in mine.get("channels", []) if c.get("name") == name), None)
    return found if found is not None and is_free(found) else None


def use_existing_channel(client: WebClient, channel_id: str) -> str:
    """Join a public channel; a private one must have invited setbot already."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        raise Refusal(
            "I can't see that channel. If it's private, invite me first (type `/invite @setbot` "
            "in it), then form the Set again. Nothing was saved."
        ) from error
    if not info.get("is_member"):
        client.conversations_join(channel=channel_id)
    return channel_id


def invite(client: WebClient, channel_id: str, user_ids: list[str], bot_user_id: str) -> None:
    """Invite people to the Set's channel; those already in it are no problem."""
    others = [user for user in user_ids if user != bot_user_id]
    if not others:
        return
    try:
        client.conversations_invite(channel=channel_id, users=",".join(others))
    except SlackApiError as error:
        if error.response.get("error") != "already_in_channel":
            raise


def invite_or_refuse(
    client: WebClient, channel_id: str, user_ids: Sequence[str], bot_user_id: str
) -> None:
    """Invite people before their places in the Set are stored; if Slack won't have someone
    in the channel (a guest kept to other channels, a deactivated account), refuse instead."""
    try:
        invite(client, channel_id, list(user_ids), bot_user_id)
    except SlackApiError as error:
        raise Refusal(
            "Slack wouldn't let me invite everyone you mentioned to this channel ({reason}), "
            "so nothing changed. Guests kept to other channels and deactivated accounts can't "
            "join: check the names, then try again.",
            reason=str(error.response.get("error")),
        ) from error


def slack_names(client: WebClient, user_ids: Sequence[str]) -> dict[str, list[str]]:
    """The names Slack shows for each person, so an export can remove every one of them."""
    names: dict[str, list[str]] = {}
    for user in dict.fromkeys(user_ids):
        try:
            person = client.users_info(user=user)["user"]
        except (SlackClientError, OSError) as error:
            log.warning("no names for %s: users.info failed (%s)", user, error)
            continue
        profile = person.get("profile") or {}
        found = [profile.get("display_name"), profile.get("real_name"), person.get("real_name")]
        names[user] = [str(n) for n in [*found, person.get("name")] if n]
    return names


def slack_time_zones(client: WebClient, user_ids: Sequence[str]) -> dict[str, str]:
    """Each person's Slack time zone (users.info `tz`), by user id.

    Someone Slack won't describe is left out, and the Set's zone stands in for theirs:
    a missing zone must never undo a Set being formed or people being added.
    """
    zones: dict[str, str] = {}
    for user in dict.fromkeys(user_ids):
        try:
            zone = client.users_info(user=user)["user"].get("tz")
        except (SlackClientError, OSError) as error:
            log.warning("no time zone for %s: users.info failed (%s)", user, error)
            continue
        if zone:
            zones[user] = str(zone)
    return zones
