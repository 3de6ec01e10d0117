"""Every call is recorded, faults are chosen by one switch, and tests wait instead of sleeping."""

from __future__ import annotations

import http.client
import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.sim import Call, SlackEmulator
from tests.sim.conftest import ALICE


def test_an_unknown_method_answers_unknown_method_and_is_recorded(
    client: WebClient, emulator: SlackEmulator
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.api_call("reactions.add", params={"name": "tada"})

    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "unknown_method"
    assert emulator.calls == [Call("reactions.add", {"name": "tada"}, ok=False)]


@pytest.mark.parametrize(
    ("token", "error"), [("xoxb-someone-else", "invalid_auth"), (None, "not_authed")]
)
def test_a_call_without_setbots_token_is_refused(
    emulator: SlackEmulator, token: str | None, error: str
) -> None:
    stranger = WebClient(token=token, base_url=emulator.api_url)

    with pytest.raises(SlackApiError) as refused:
        stranger.auth_test()

    assert refused.value.response["error"] == error


def test_auth_test_names_the_team_and_the_bot(client: WebClient, emulator: SlackEmulator) -> None:
    answer = client.auth_test()

    assert answer["team_id"] == emulator.team_id
    assert (answer["user_id"], answer["bot_id"]) == (emulator.bot_user_id, emulator.bot_id)


def test_a_chosen_fault_fails_the_next_calls_then_clears(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.fail("users.info", error="fatal_error", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            client.users_info(user=ALICE)
        assert failed.value.response["error"] == "fatal_error"
    assert client.users_info(user=ALICE)["user"]["name"] == "alice"

    assert [call.ok for call in emulator.calls_to("users.info")] == [False, False, True]


def test_a_rate_limit_is_retried_after_slacks_pause(emulator: SlackEmulator) -> None:
    patient = WebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    emulator.fail("conversations.open", status=429, retry_after=0)

    opened = patient.conversations_open(users=ALICE)

    assert opened["channel"]["id"].startswith("D")
    assert [call.ok for call in emulator.calls_to("conversations.open")] == [False, True]


def test_a_rate_limit_without_a_retry_handler_reaches_the_caller(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.fail("auth.test", status=429, retry_after=30)

    with pytest.raises(SlackApiError) as limited:
        client.auth_test()

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "30"


def test_json_text_inside_a_form_body_is_decoded(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    blocks = '[{"type": "divider"}]'

    client.api_call("chat.postMessage", params={"channel": set_channel, "blocks": blocks})

    assert emulator.calls[-1].args["blocks"] == [{"type": "divider"}]
    assert emulator.calls[-1].ok


def test_wait_for_returns_a_call_made_while_it_waits(
    client: WebClient, emulator: SlackEmulator, set_channel: str
) -> None:
    later = threading.Thread(
        target=lambda: client.chat_postMessage(channel=set_channel, text="Round 2 opens")
    )
    later.start()

    call = emulator.wait_for("chat.postMessage", where=lambda c: "Round 2" in c.args["text"])

    later.join()
    assert call.args["channel"] == set_channel


def test_wait_for_lists_the_calls_it_saw_when_none_match(
    client: WebClient, emulator: SlackEmulator
) -> None:
    client.users_info(user=ALICE)

    with pytest.raises(AssertionError, match=r"no chat.postMessage call .*\n  users.info ok"):
        emulator.wait_for("chat.postMessage", within=0.05)


def test_wait_for_skips_calls_without_the_argument_it_looks_at(
    client: WebClient, emulator: SlackEmulator
) -> None:
    client.users_info(user=ALICE)

    with pytest.raises(AssertionError):
        emulator.wait_for("users.info", where=lambda c: c.args["include_locale"], within=0.05)


def test_reset_calls_forgets_what_was_recorded(client: WebClient, emulator: SlackEmulator) -> None:
    client.auth_test()

    emulator.reset_calls()

    assert emulator.calls == []


def test_a_response_url_post_is_recorded_and_shown_to_the_person(
    emulator: SlackEmulator, set_channel: str
) -> None:
    url = emulator.new_response_url(channel=set_channel, user=ALICE)

    answer = WebhookClient(url).send(text="Only you can see this")

    assert answer.status_code == 200
    assert emulator.calls_to("response_url") == [
        Call("response_url", {"text": "Only you can see this"}, ok=True)
    ]
    assert "(only @alice sees): Only you can see this" in emulator.transcript()


def test_a_response_url_post_can_go_to_the_whole_channel(
    emulator: SlackEmulator, set_channel: str
) -> None:
    url = emulator.new_response_url(channel=set_channel, user=ALICE)

    WebhookClient(url).send(text="Alice opened round 1", response_type="in_channel")

    [message] = emulator.messages(set_channel)
    assert message.ephemeral_to is None and message.user == emulator.bot_user_id


def test_a_dropped_connection_gets_no_answer_and_does_nothing(emulator: SlackEmulator) -> None:
    no_second_try = WebClient(
        token=emulator.bot_token, base_url=emulator.api_url, retry_handlers=[]
    )
    general = emulator.add_channel("general", members=[emulator.bot_user_id])
    emulator.fail("chat.postMessage", drop=True)

    with pytest.raises(http.client.RemoteDisconnected):
        no_second_try.chat_postMessage(channel=general, text="Hello")

    assert [call.ok for call in emulator.calls_to("chat.postMessage")] == [False]
    assert emulator.messages(general) == []


def test_a_stalled_answer_outlasts_the_clients_timeout(emulator: SlackEmulator) -> None:
    impatient = WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=0.2)
    emulator.fail("users.info", stall=0.6)

    with pytest.raises(TimeoutError):
        impatient.users_info(user=ALICE)

    assert impatient.users_info(user=ALICE)["user"]["name"] == "alice"


def test_a_rate_limited_channel_refuses_a_second_message_within_the_second_but_others_go_on(
    client: WebClient, emulator: SlackEmulator
) -> None:
    general = emulator.add_channel("general", members=[emulator.bot_user_id])
    leaders = emulator.add_channel("leaders", members=[emulator.bot_user_id])
    emulator.limit_rate("chat.postMessage", per_channel_per_second=1)

    client.chat_postMessage(channel=general, text="Hello")
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel=general, text="Hello again")
    client.chat_postMessage(channel=leaders, text="Meanwhile")

    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] in ("1", ["1"])
    assert [message.text for message in emulator.messages(general)] == ["Hello"]
    assert [call.ok for call in emulator.calls_to("chat.postMessage")] == [True, False, True]
