"""Channels a Set lives in, the people in them, and the files shared there."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import SlackEmulator
from tests.sim.conftest import ALICE, BOB


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Leaders-Set", "invalid_name_specials"),
        ("leaders set", "invalid_name_specials"),
        ("leaders.set", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("--_", "invalid_name_punctuation"),
    ],
    ids=["uppercase", "space", "dot", "81-characters", "empty", "only-punctuation"],
)
def test_a_channel_name_must_follow_slacks_rules(client: WebClient, name: str, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.conversations_create(name=name, is_private=True)

    assert refused.value.response["error"] == error


def test_a_created_channel_is_private_with_setbot_in_it(
    client: WebClient, emulator: SlackEmulator
) -> None:
    created = client.conversations_create(name="leaders_set-2027", is_private=True)["channel"]

    info = client.conversations_info(channel=created["id"])["channel"]

    assert (info["name"], info["is_private"], info["is_member"]) == ("leaders_set-2027", True, True)
    assert client.conversations_members(channel=created["id"])["members"] == [emulator.bot_user_id]


def test_a_name_already_in_use_is_name_taken(client: WebClient, emulator: SlackEmulator) -> None:
    emulator.add_channel("leaders-set", members=[ALICE])

    with pytest.raises(SlackApiError) as refused:
        client.conversations_create(name="leaders-set")

    assert refused.value.response["error"] == "name_taken"


def test_an_invite_adds_newcomers_and_fails_only_when_everyone_is_in(
    client: WebClient, set_channel: str, emulator: SlackEmulator
) -> None:
    emulator.add_user("U0CHIDI", name="chidi")

    client.conversations_invite(channel=set_channel, users=[ALICE, "U0CHIDI"])
    with pytest.raises(SlackApiError) as refused:
        client.conversations_invite(channel=set_channel, users=[ALICE, BOB])

    assert refused.value.response["error"] == "already_in_channel"
    members = client.conversations_members(channel=set_channel)["members"]
    assert members == [emulator.bot_user_id, ALICE, BOB, "U0CHIDI"]


def test_inviting_someone_unknown_is_user_not_found(client: WebClient, set_channel: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.conversations_invite(channel=set_channel, users="U0NOBODY")

    assert refused.value.response["error"] == "user_not_found"


def test_setbot_joins_public_channels_only(client: WebClient, emulator: SlackEmulator) -> None:
    public = emulator.add_channel("general", is_private=False, members=[ALICE])
    private = emulator.add_channel("secret", is_private=True, members=[ALICE])

    joined = client.conversations_join(channel=public)["channel"]
    with pytest.raises(SlackApiError) as refused:
        client.conversations_info(channel=private)

    assert joined["is_member"]
    assert refused.value.response["error"] == "channel_not_found"


def test_the_same_person_always_gets_the_same_direct_message(client: WebClient) -> None:
    first = client.conversations_open(users=[ALICE])
    second = client.conversations_open(users=ALICE)

    assert first["channel"]["id"] == second["channel"]["id"]
    assert second["already_open"]


def test_users_info_gives_name_and_time_zone(client: WebClient) -> None:
    alice = client.users_info(user=ALICE)["user"]

    assert (alice["name"], alice["real_name"], alice["tz"]) == ("alice", "Alice Ng", "Europe/Paris")
    assert alice["tz_offset"] in (3600, 7200) and alice["profile"]["display_name"] == "alice"
    assert not alice["is_bot"]


def test_users_info_on_a_stranger_is_user_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.users_info(user="U0NOBODY")

    assert refused.value.response["error"] == "user_not_found"


def test_an_uploaded_file_is_kept_and_shared_in_its_thread(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    parent = client.chat_postMessage(channel=set_channel, text="Meeting dates")["ts"]
    calendar = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    uploaded = client.files_upload_v2(
        channel=set_channel,
        content=calendar,
        filename="set.ics",
        title="Set calendar",
        initial_comment="Import these into your calendar",
        thread_ts=parent,
    )

    assert emulator.file_content(uploaded["file"]["id"]) == calendar
    [_, shared] = emulator.messages(set_channel, thread_ts=parent)
    assert shared.text == "Import these into your calendar"
    assert shared.files == [
        {"id": uploaded["file"]["id"], "name": "set.ics", "title": "Set calendar"}
    ]
    assert "[file: set.ics]" in emulator.transcript()


def test_completing_an_upload_that_never_arrived_is_refused(client: WebClient) -> None:
    step_one = client.files_getUploadURLExternal(filename="set.ics", length=10)

    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(files=[{"id": step_one["file_id"], "title": "x"}])

    assert refused.value.response["error"] == "file_not_found"
