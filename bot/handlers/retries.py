"""Every Slack delivery is handled once, however many times it arrives.

Slack sends an event again when it did not hear back within three seconds (with the
headers `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`), and a request can arrive twice
after a dropped connection or a reconnecting socket. Before any listener runs, this
middleware looks the delivery up; a copy of one already handled is answered "ok" and
does nothing (bot.store.seen says how each kind is recorded).

An event is recorded with its work, so one whose handling failed or was cut short by a
crash is handled again when Slack retries it. Interactions and commands are keyed by the
trigger id Slack makes fresh for every click, command and modal submission, and recorded
as they arrive: a modal that stays open beside a refusal is submitted again with a new
trigger id (but the same view id and hash), so the person's corrected answer is heard.
When their work fails, `let_it_come_again` forgets them, so the person can try again. A
modal submission is also recorded by its view, with its work (`submission_key`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.store.db import Store
from bot.store.seen import (
    already_seen,
    first_sighting,
    forget_sighting,
    nothing_to_record,
    record_with_the_work,
)

log = logging.getLogger("setbot.retries")

# Where an interaction's recorded key waits in the request's context, for `let_it_come_again`.
CLAIM = "setbot_delivery_key"


def register(app: App, deps: Deps) -> None:
    app.use(_once_only(deps))


def delivery_key(body: dict[str, Any]) -> str | None:
    """What names this delivery, or None for requests that change nothing (url_verification)."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return str(body["event_id"])
    trigger_id = body.get("trigger_id")
    if not trigger_id:
        return None
    kind = body.get("type") or ("command" if "command" in body else "request")
    return f"{kind}:{trigger_id}"


def submission_key(body: dict[str, Any]) -> str | None:
    """A modal's content as submitted: stored once its work is, so a resubmission after a
    crash (a fresh trigger id, the same view) does not do the work twice.

    A modal left open beside a refusal stored nothing, so its corrected answer is heard;
    one updated to a next step (a preview) has a new hash, so that step is heard too.
    """
    view = body.get("view") or {}
    if body.get("type") != "view_submission" or not view.get("id"):
        return None
    return f"view:{view['id']}:{view.get('hash', '')}"


def _once_only(deps: Deps) -> Callable[..., BoltResponse | None]:
    def once_only(
        body: dict[str, Any], context: BoltContext, request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        nothing_to_record()  # whatever an earlier request on this thread left
        key = delivery_key(body)
        if key is None:
            next()
            return None
        team_id, now = _team(context), deps.clock.now()
        submitted = submission_key(body)
        with deps.store.session() as session:
            if body.get("type") == "event_callback":
                first = not already_seen(session=session, team_id=team_id, key=key)
            elif submitted and already_seen(session=session, team_id=team_id, key=submitted):
                first = False
            else:
                first = first_sighting(session=session, team_id=team_id, key=key, now=now)
        retry_num, reason = _retry_headers(request)
        if not first:
            log.debug("already handled %s (retry %s, %s): nothing to do", key, retry_num, reason)
            return BoltResponse(status=200, body="")
        if retry_num is not None:
            log.debug(
                "retry %s of %s (%s) is the first to arrive: handling it", retry_num, key, reason
            )
        if body.get("type") == "event_callback":
            record_with_the_work(team_id=team_id, key=key, now=now)
        else:
            context[CLAIM] = (team_id, key)
            if submitted:
                record_with_the_work(team_id=team_id, key=submitted, now=now, with_a_change=True)
        next()
        return None

    return once_only


def let_it_come_again(context: BoltContext | None, store: Store) -> None:
    """After a failure: forget an interaction's delivery, so trying again is heard.

    An event needs nothing: its record was rolled back with its work, or never made.
    """
    nothing_to_record()
    claimed = (context or {}).get(CLAIM)
    if claimed is None:
        return
    team_id, key = claimed
    with store.session() as session:
        forget_sighting(session=session, team_id=team_id, key=key)


def _team(context: BoltContext) -> str:
    return context.team_id or context.enterprise_id or ""


def _retry_headers(request: BoltRequest) -> tuple[str | None, str | None]:
    """Slack's retry number and reason; both None on a first delivery."""

    def first(name: str) -> str | None:
        values = request.headers.get(name) or []
        return values[0] if values else None

    return first("x-slack-retry-num"), first("x-slack-retry-reason")
