"""Sharing with eyes open, the Slack half: names looked up, the preview built, facilitators told.

A preview must take out members' names as well as mentions and ids, and only Slack knows
the names, so each step that anonymises looks them up first (users.info, one call per
member of the item's Set), then asks the flow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows import sharing
from bot.flows.access import Caller, Refusal
from bot.flows.sharing import ShareReview, ShareTag, Source
from bot.handlers.interaction import tell
from bot.handlers.set_channel import slack_names
from bot.ui import sharing as sharing_ui

T = TypeVar("T")


def keep_then_offer(
    ack: Ack,
    keep: Callable[[], T],
    *,
    beside: Callable[[Refusal], str],
    offer: Callable[[T], dict[str, Any]],
) -> T | None:
    """Keep what a modal holds privately, then turn the modal into the preview of sharing it.

    On a refusal the modal stays open with the problem beside its field, as `settle` does.
    """
    try:
        kept = keep()
        preview = offer(kept)
    except Refusal as refusal:
        text = refusal.template.format(**refusal.names).replace("*", "")
        ack(response_action="errors", errors={beside(refusal): text})
        return None
    ack(response_action="update", view=preview)
    return kept


def preview_view(
    client: WebClient,
    deps: Deps,
    caller: Caller,
    *,
    source: Source,
    item_id: int,
    tag: ShareTag | None,
) -> dict[str, Any]:
    """The modal showing exactly what sharing the caller's saved words would send."""
    preview = sharing.anonymised_preview(
        deps.store,
        team_id=caller.team_id,
        user_id=caller.user_id,
        source=source,
        item_id=item_id,
        tag=tag,
        names=_names(client, deps, caller, source, item_id),
    )
    return sharing_ui.share_preview_modal(preview, channel_id=caller.channel_id)


def share(
    client: WebClient,
    deps: Deps,
    caller: Caller,
    *,
    source: Source,
    item_id: int,
    tag: ShareTag | None,
) -> ShareReview:
    """The caller consents to what they saw: their words are marked shared."""
    return sharing.share(
        deps.store,
        team_id=caller.team_id,
        user_id=caller.user_id,
        source=source,
        item_id=item_id,
        tag=tag,
        names=_names(client, deps, caller, source, item_id),
    )


def send_for_review(client: WebClient, review: ShareReview) -> None:
    """The writer hears it is shared; each facilitator gets the anonymised words to read."""
    tell(client, review.writer, sharing_ui.shared_reply(review))
    for facilitator in review.facilitators:
        tell(client, facilitator, sharing_ui.review_message(review))


def _names(
    client: WebClient, deps: Deps, caller: Caller, source: Source, item_id: int
) -> dict[str, list[str]]:
    people = sharing.people_to_name(
        deps.store, team_id=caller.team_id, user_id=caller.user_id, source=source, item_id=item_id
    )
    return slack_names(client, people)
