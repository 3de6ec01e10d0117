"""Good practice the facilitator signposts: the P, programmed knowledge, in L = P + Q.

A Set learns mostly by questioning, but the facilitator "may be able to provide or
signpost to good practice examples". They gather a short list of resources for the
Set (a title, a link, a note on why it is worth reading, a few tags) and, in a round,
point to one; it is posted in the round's thread and counted. Resources are the
facilitator's words, not members', so the Set's learning summary may list them.

Only http and https links are kept: anything else (`javascript:`, a bare
`example.com`, `ftp://`) could not be opened safely from Slack, or at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import Caller, Refusal, facilitator_here, member_here
from bot.flows.meetings import NOTHING_UNDER_WAY
from bot.flows.rounds import NO_ROUND_OPEN, NO_SUCH_ROUND
from bot.store.db import Store
from bot.store.meetings import open_meeting_of
from bot.store.models import Meeting, Resource, Round, Signpost
from bot.store.resources import resource_in_set, resources_of, signpost_counts
from bot.store.rounds import open_round_in, round_in_team

# The columns' own limits (bot.store.models.Resource), and a few tags of a word or two.
TITLE_LIMIT = 150
URL_LIMIT = 2000
NOTE_LIMIT = 500
MAX_TAGS = 5
TAG_LIMIT = 30
# The App Home shows the latest few; `/set resources` shows them all.
HOME_SHOWN = 5

LINK_SCHEMES = ("http", "https")
# Characters a link can't hold without breaking Slack's <link|title> markup.
_NOT_IN_LINKS = frozenset("<>|\"'` ")

ROUND_OVER = (
    "That round has closed, so nothing was posted. Signpost in the next round's thread, "
    "or anyone can see the Set's list with `/set resources`."
)
NO_SUCH_RESOURCE = (
    "I can't find that resource in this Set's list any more. Pick another, or add it again below."
)


class Field(StrEnum):
    """The parts of a resource someone types, so a problem is shown beside the right one."""

    TITLE = "title"
    LINK = "link"
    NOTE = "note"
    TAGS = "tags"
    # In the signpost modal: the resource picked from the Set's list.
    PICK = "pick"


@dataclass(frozen=True, kw_only=True)
class ResourceDraft:
    """A resource as typed and checked, not yet kept."""

    title: str
    url: str
    note: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ResourceView:
    """A resource of the Set, with how many times it has been signposted in a round."""

    resource_id: int
    title: str
    url: str
    note: str
    tags: tuple[str, ...]
    added_at: datetime | None
    times_signposted: int = 0


@dataclass(frozen=True, kw_only=True)
class ResourceList:
    """The Set's good practice, latest first, for anyone in it."""

    set_name: str
    resources: tuple[ResourceView, ...]
    is_facilitator: bool


@dataclass(frozen=True, kw_only=True)
class SignpostForm:
    """What the facilitator picks from, for the round open now."""

    set_name: str
    round_id: int
    presenter: str
    resources: tuple[ResourceView, ...]


@dataclass(frozen=True, kw_only=True)
class Signposted:
    """A resource just pointed to in a round, and the thread it goes to.

    `added` says it was new, so the Set's list (and its members' Homes) changed too.
    """

    set_id: int
    resource: ResourceView
    channel_id: str
    thread_ts: str | None
    added: bool


def check_resource(
    *, title: str, link: str, note: str = "", tags: str = ""
) -> tuple[ResourceDraft | None, dict[Field, str]]:
    """A draft from what was typed, or a kind word for each field that needs changing."""
    title = " ".join(title.split())
    link, note = link.strip(), note.strip()
    problems: dict[Field, str] = {}
    if not title:
        problems[Field.TITLE] = "Give the resource a title, so the Set knows what it is."
    elif len(title) > TITLE_LIMIT:
        problems[Field.TITLE] = f"Keep the title to {TITLE_LIMIT} characters or fewer."
    link_problem = _link_problem(link)
    if link_problem:
        problems[Field.LINK] = link_problem
    if len(note) > NOTE_LIMIT:
        problems[Field.NOTE] = f"Keep the note to {NOTE_LIMIT} characters or fewer."
    tag_list, tags_problem = _tags(tags)
    if tags_problem:
        problems[Field.TAGS] = tags_problem
    if problems:
        return None, problems
    return ResourceDraft(title=title, url=link, note=note, tags=tag_list), {}


def _link_problem(link: str) -> str | None:
    """Why a link can't be kept, or None: only a web address with a host will do."""
    example = "for example https://www.example.org/guide"
    if not link:
        return f"Add the link people can open, {example}."
    if len(link) > URL_LIMIT:
        return f"That link is longer than {URL_LIMIT} characters. Is there a shorter one?"
    if any(character in _NOT_IN_LINKS or character.isspace() for character in link):
        return "A link can't have spaces or quotes in it. Paste the address on its own."
    wrong = f"Links need to start with http:// or https://, {example}."
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:  # e.g. a malformed [IPv6] host
        return wrong
    return wrong if parts.scheme.lower() not in LINK_SCHEMES or not host else None


def _tags(typed: str) -> tuple[tuple[str, ...], str | None]:
    """Comma-separated tags, trimmed and lower-cased, each once, at most MAX_TAGS of them."""
    tags = tuple(
        dict.fromkeys(t for t in (" ".join(p.split()).lower() for p in typed.split(",")) if t)
    )
    if len(tags) > MAX_TAGS:
        return tags, f"Up to {MAX_TAGS} tags, please: you gave {len(tags)}."
    if any(len(tag) > TAG_LIMIT for tag in tags):
        return tags, f"Keep each tag to {TAG_LIMIT} characters or fewer."
    return tags, None


def choose_signpost(
    picked: int | None, *, title: str, link: str, note: str, tags: str, has_list: bool
) -> tuple[int | None, ResourceDraft | None, dict[Field, str]]:
    """What the signpost modal asks for: a resource from the list, or a new one, never both."""
    typed_new = any(part.strip() for part in (title, link, note, tags))
    if picked is not None and typed_new:
        where = Field.PICK
        return None, None, {where: "Pick one from the list or add a new one below, not both."}
    if picked is not None:
        return picked, None, {}
    if not typed_new:
        where = Field.PICK if has_list else Field.TITLE
        said = (
            "Pick a resource from the list, or add a new one below."
            if has_list
            else "Give the resource a title and a link, to signpost it."
        )
        return None, None, {where: said}
    draft, problems = check_resource(title=title, link=link, note=note, tags=tags)
    return None, draft, problems


@dataclass(frozen=True, kw_only=True)
class AddedResource:
    """A resource just kept, and the Set whose list (and members' Homes) it joined."""

    set_id: int
    set_name: str
    resource: ResourceView


def may_add_resource(store: Store, caller: Caller) -> str:
    """The Set's name, if the caller may add to its list: asked before the modal opens."""
    with store.session() as session:
        return facilitator_here(session, caller).learning_set.name


def add_resource(store: Store, clock: Clock, caller: Caller, draft: ResourceDraft) -> AddedResource:
    """Keep a resource on the Set's list (facilitators only: it is their good practice)."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        resource = _keep(session, here.set_id, caller, draft, at=clock.now())
        return AddedResource(
            set_id=here.set_id, set_name=here.learning_set.name, resource=_view(resource)
        )


def list_resources(store: Store, caller: Caller) -> ResourceList:
    """The Set's resources, for anyone in it (a closed Set's list can still be read)."""
    with store.session() as session:
        here = member_here(session, caller, open_only=False)
        return ResourceList(
            set_name=here.learning_set.name,
            resources=resources_with_counts(session, set_id=here.set_id),
            is_facilitator=here.is_facilitator,
        )


def signpost_form(store: Store, caller: Caller) -> SignpostForm:
    """What the facilitator may point the round open now to; they may also add a new one."""
    with store.session() as session:
        here = facilitator_here(session, caller)
        meeting = open_meeting_of(session, set_id=here.set_id)
        if meeting is None or meeting.id is None:
            raise Refusal(NOTHING_UNDER_WAY)
        round_ = open_round_in(session, meeting_id=meeting.id)
        if round_ is None or round_.id is None:
            raise Refusal(NO_ROUND_OPEN)
        return SignpostForm(
            set_name=here.learning_set.name,
            round_id=round_.id,
            presenter=round_.presenter_id,
            resources=resources_with_counts(session, set_id=here.set_id),
        )


def signpost(
    store: Store,
    clock: Clock,
    caller: Caller,
    *,
    round_id: int,
    resource_id: int | None = None,
    draft: ResourceDraft | None = None,
) -> Signposted:
    """Point a round to one of the Set's resources, or to a new one kept on the list too.

    The round must still be open and in the caller's Set: a signpost belongs to a
    conversation that is still going on.
    """
    if (resource_id is None) == (draft is None):
        raise ValueError("signpost either a resource on the list or a new one, not both")
    now = clock.now()
    with store.session() as session:
        here = facilitator_here(session, caller)
        round_ = _open_round(session, here.set_id, caller.team_id, round_id)
        if draft is not None:
            resource = _keep(session, here.set_id, caller, draft, at=now)
        else:
            assert resource_id is not None
            found = resource_in_set(session, set_id=here.set_id, resource_id=resource_id)
            if found is None:
                raise Refusal(NO_SUCH_RESOURCE)
            resource = found
        assert resource.id is not None and round_.id is not None
        session.add(
            Signpost(
                team_id=caller.team_id,
                resource_id=resource.id,
                round_id=round_.id,
                by=caller.user_id,
                at=now,
            )
        )
        session.flush()
        times = signpost_counts(session, set_id=here.set_id).get(resource.id, 0)
        return Signposted(
            set_id=here.set_id,
            resource=_view(resource, times),
            channel_id=round_.channel_id,
            thread_ts=round_.thread_ts,
            added=draft is not None,
        )


def resources_with_counts(
    session: Session, *, set_id: int, limit: int | None = None
) -> tuple[ResourceView, ...]:
    """The Set's resources, latest first, each with the times it was signposted."""
    counts = signpost_counts(session, set_id=set_id)
    return tuple(
        _view(r, counts.get(r.id or 0, 0))
        for r in resources_of(session, set_id=set_id, limit=limit)
    )


def signposted_in_set(session: Session, *, set_id: int) -> tuple[ResourceView, ...]:
    """Resources pointed to in the Set's rounds, most often first, for its learning summary."""
    shown = [r for r in resources_with_counts(session, set_id=set_id) if r.times_signposted]
    return tuple(sorted(shown, key=lambda r: -r.times_signposted))


def times_signposted(count: int) -> str:
    return "signposted once" if count == 1 else f"signposted {count} times"


def _open_round(session: Session, set_id: int, team_id: str, round_id: int) -> Round:
    round_ = round_in_team(session, team_id=team_id, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ else None
    if round_ is None or meeting is None or meeting.set_id != set_id:
        raise Refusal(NO_SUCH_ROUND)
    if round_.closed_at is not None:
        raise Refusal(ROUND_OVER)
    return round_


def _keep(
    session: Session, set_id: int, caller: Caller, draft: ResourceDraft, *, at: datetime
) -> Resource:
    resource = Resource(
        team_id=caller.team_id,
        set_id=set_id,
        title=draft.title,
        url=draft.url,
        note=draft.note,
        tags=list(draft.tags),
        added_by=caller.user_id,
        added_at=at,
    )
    session.add(resource)
    session.flush()
    return resource


def _view(resource: Resource, times_signposted: int = 0) -> ResourceView:
    assert resource.id is not None
    return ResourceView(
        resource_id=resource.id,
        title=resource.title,
        url=resource.url,
        note=resource.note,
        tags=tuple(resource.tags),
        added_at=resource.added_at,
        times_signposted=times_signposted,
    )
