"""Sharing a member's learning with the organisation: with eyes open, and past the facilitator.

"The learning from the Sets is shared with the agency", but only what a member chose to
share, and only once they have seen exactly what would go out: their words with every
name, Slack mention and user id taken out (`anonymised_preview`). Their words are kept
privately first; consenting (`share`) then marks them shared, with an optional tag saying
what the learning is for the organisation (`ShareTag`).

Each shared item then passes the Set's facilitator, who sees the same anonymised text and
may keep it out of the organisation report with a reason (`withhold`); the member is told
that reason, kindly. A withheld item stays in the member's own log and out of every
report, the Set's learning summary included.

Two kinds of words can be shared: a report back on an action (`Commitment`: what
happened, what they learned) and an entry in a member's learning log (`LearningEntry`:
about their issue, about how they learn). `shared_items` lists both across a team, ready
for the organisation's report.

Buttons and modals carry only a kind and an id: every step looks the item up within the
caller's team and checks the caller may act on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.flows.access import Refusal
from bot.flows.forget import is_forgotten
from bot.store.db import Store
from bot.store.models import (
    Commitment,
    CommitmentStatus,
    LearningEntry,
    LearningSet,
    Meeting,
    Membership,
    Role,
)
from bot.store.sets import current_members, membership

MEMBER, COLLEAGUE = "a member", "a colleague"
MAX_REASON = 500

NO_SUCH_ITEM = (
    "I can't find that learning any more: its writer may have changed it or asked setbot "
    "to forget them."
)
NOT_YOURS = (
    "That learning belongs to someone else, so I left it as it was. "
    "Your own learning log is on setbot's Home tab."
)
NOTHING_TO_SHARE = "There's nothing written there to share yet. Add a line first."
NOT_A_FACILITATOR = (
    "Only the Set's facilitators can keep a shared learning out of the organisation report."
)
NO_LONGER_SHARED = (
    "Its writer has since kept it private, so it won't reach the organisation anyway."
)
ALREADY_WITHHELD = "You've already kept this one out of the organisation report."
KEPT_OUT = (
    "Your facilitator kept this out of the organisation report earlier ({reason}), so it "
    "stays in your own log. If you change what you wrote, you can offer it again."
)
NO_REASON = "Say briefly why. The member is told your reason, so they can learn from it too."
REASON_TOO_LONG = "Keep the reason to 500 characters or fewer."

# Slack's own markup for people, channels and groups, and ids typed bare.
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#[A-Z0-9]+(?:\|[^>]*)?>")
_EVERYONE = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|@(?:channel|here|everyone)\b")
_GROUP = re.compile(r"<!subteam\^[^>]*>")
# Anything else Slack marks with <!…> (dates, say) goes altogether.
_SPECIAL = re.compile(r"<![^>]*>")
# A Slack user id: U or W, then capitals and digits with at least one digit, so ordinary
# words in capitals ("URGENT") are kept. It errs on the side of removing.
_RAW_ID = re.compile(r"(?<![\w-])@?([UW](?=[A-Z0-9]*[0-9])[A-Z0-9]{5,})(?![\w-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class Question(StrEnum):
    """What a shared answer was in reply to; the order here is the order of the report."""

    HAPPENED = "what happened when they took action"
    LEARNED = "what they learned"
    ABOUT_ISSUE = "what they learned about their issue"
    ABOUT_LEARNING = "what they learned about how they learn"
    HELPED = "what helped the process"
    CHANGE = "what should change in the process"


class ShareTag(StrEnum):
    """What a shared learning is for the organisation; stored as the value in `share_tag`."""

    PRACTICE = "practice"
    TRAINING = "training"
    POLICY = "policy"

    @property
    def label(self) -> str:
        return _TAG_LABELS[self]


_TAG_LABELS = {
    ShareTag.PRACTICE: "For our practice",
    ShareTag.TRAINING: "A training need",
    ShareTag.POLICY: "A policy or procedure issue",
}


def tag_of(value: str | None) -> ShareTag | None:
    """A stored or submitted tag; anything unknown counts as no tag."""
    try:
        return ShareTag(value) if value else None
    except ValueError:
        return None


class Source(StrEnum):
    """Where shared words come from: a report back on an action, or a learning-log entry."""

    REPORT = "report"
    LOG = "log"


Item = Commitment | LearningEntry


class Anonymiser:
    """Takes people out of text: mentions, ids, email addresses and the Set's members' names.

    Mentions and ids of the Set's members become "a member", anyone else's "a colleague";
    a name given for a member becomes "a member" wherever it stands as a word, and so does
    each word of a longer name ("Okafor" of "Ben Okafor"), since people refer to colleagues
    by one name. Email addresses go first, as they often hold a name. It errs on the side
    of removing: a member called Will takes every sentence's opening "Will" with them.
    """

    def __init__(self, *, members: Iterable[str], names: Mapping[str, Sequence[str]]) -> None:
        self._members = frozenset(members) | frozenset(names)
        # Members' own ids go wherever they stand, even inside a word: they are known exactly.
        ids = sorted(self._members, key=len, reverse=True)
        self._ids = re.compile("@?(" + "|".join(map(re.escape, ids)) + ")") if ids else None
        self._names = _names_pattern([n for listed in names.values() for n in listed])

    def __call__(self, text: str) -> str:
        text = _USER_MENTION.sub(lambda m: _said(m, self._who(m.group(1))), text)
        text = _CHANNEL_MENTION.sub(lambda m: _said(m, "a channel"), text)
        text = _EVERYONE.sub(lambda m: _said(m, "everyone"), text)
        text = _GROUP.sub(lambda m: _said(m, "a group"), text)
        text = _SPECIAL.sub("", text)
        text = _EMAIL.sub(lambda m: _said(m, "an email address"), text)
        if self._ids is not None:
            text = self._ids.sub(lambda m: _said(m, MEMBER), text)
        text = _RAW_ID.sub(lambda m: _said(m, self._who(m.group(1))), text)
        if self._names is not None:
            text = self._names.sub(lambda m: _said(m, MEMBER), text)
        return text

    def _who(self, user_id: str) -> str:
        return MEMBER if user_id in self._members else COLLEAGUE


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for every name, longest first: full names in any case, single words as
    written or capitalised (a display name "ben" is written "Ben" in a sentence)."""
    given = {n.strip() for n in names if len(n.strip()) > 1}
    phrases = {n for n in given if len(n.split()) > 1}
    words = {w for n in given for w in n.split() if len(w) > 1}
    words |= {w[0].upper() + w[1:] for w in words}
    if not given:
        return None
    alternatives = [f"(?i:{re.escape(p)})" for p in sorted(phrases, key=len, reverse=True)]
    alternatives += [re.escape(w) for w in sorted(words, key=len, reverse=True)]
    return re.compile(rf"(?<![\w@])@?(?:{'|'.join(alternatives)})(?!\w)")


def _said(match: re.Match[str], words: str) -> str:
    """The placeholder, capitalised when it starts a sentence."""
    before = match.string[: match.start()].rstrip(" \t\"'(\u201c\u2018")
    return words[0].upper() + words[1:] if not before or before[-1] in ".!?\n" else words


def set_anonymiser(
    session: Session, *, set_id: int, names: Mapping[str, Sequence[str]] | None = None
) -> Anonymiser:
    """The Anonymiser for words written in one Set: everyone it has had counts as a member."""
    people = session.exec(select(Membership.user_id).where(Membership.set_id == set_id)).all()
    return Anonymiser(members=people, names=names or {})


@dataclass(frozen=True, kw_only=True)
class SharedPart:
    """One answer of a shared item: the question it replied to, and the words."""

    question: Question
    text: str


@dataclass(frozen=True, kw_only=True)
class SharePreview:
    """Exactly what would go out if the member says yes: anonymised, with their tag."""

    source: Source
    item_id: int
    set_name: str
    parts: tuple[SharedPart, ...]
    tag: ShareTag | None


@dataclass(frozen=True, kw_only=True)
class ShareReview:
    """A newly shared item for the Set's facilitators to read: the anonymised words only.

    `writer` is for telling the member it went through; the facilitators are never told it.
    """

    source: Source
    item_id: int
    set_name: str
    parts: tuple[SharedPart, ...]
    tag: ShareTag | None
    writer: str
    facilitators: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class WithholdForm:
    """A shared item a facilitator is about to keep out of the organisation report."""

    source: Source
    item_id: int
    set_name: str


@dataclass(frozen=True, kw_only=True)
class Withheld:
    """A shared item kept out of the report: the member is told why, with their own words."""

    set_name: str
    writer: str
    reason: str
    parts: tuple[SharedPart, ...]


@dataclass(frozen=True, kw_only=True)
class SharedItem:
    """One answer a member agreed to share, anonymised, for the organisation's report.

    `meeting_on` is the day of the meeting it belongs to (in the Set's zone), or the day
    it was written when it belongs to none.
    """

    set_id: int
    source: Source
    item_id: int
    meeting_on: date | None
    tag: ShareTag | None
    question: Question
    text: str


def is_shared(item: Item) -> bool:
    """Consented to and not withheld: only such words ever leave the member's own log."""
    return item.share_consent and item.withheld_at is None


def parts_of(item: Item) -> tuple[tuple[Question, str], ...]:
    """The answers an item holds that could be shared, leaving out empty ones.

    An action's own wording, its success measure and a reason for dropping it are never
    among them: no one was asked to share those.
    """
    if isinstance(item, Commitment):
        found = [(Question.HAPPENED, item.report_text), (Question.LEARNED, item.learned_text)]
    else:
        found = [
            (Question.ABOUT_ISSUE, item.about_issue),
            (Question.ABOUT_LEARNING, item.about_learning),
        ]
    return tuple((question, text.strip()) for question, text in found if text and text.strip())


def people_to_name(
    store: Store, *, team_id: str, user_id: str, source: Source, item_id: int
) -> tuple[str, ...]:
    """Whose names to look up in Slack before a preview: everyone the item's Set has had.

    Only the item's writer may ask, so no one learns a Set's members through it.
    """
    with store.session() as session:
        item = _own(session, team_id, user_id, source, item_id)
        people = session.exec(
            select(Membership.user_id)
            .where(Membership.set_id == item.set_id)
            .order_by(col(Membership.id))
        ).all()
        return tuple(user for user in people if not is_forgotten(user))


def anonymised_preview(
    store: Store,
    *,
    team_id: str,
    user_id: str,
    source: Source,
    item_id: int,
    tag: ShareTag | None,
    names: Mapping[str, Sequence[str]],
) -> SharePreview:
    """What sharing the writer's saved words would send, for them to see before consenting.

    `names` maps each id from `people_to_name` to the names Slack knows them by.
    """
    with store.session() as session:
        item = _own(session, team_id, user_id, source, item_id)
        learning_set = _set_of(session, item)
        return SharePreview(
            source=source,
            item_id=item_id,
            set_name=learning_set.name,
            parts=_anonymised(session, item, names),
            tag=tag,
        )


def share(
    store: Store,
    *,
    team_id: str,
    user_id: str,
    source: Source,
    item_id: int,
    tag: ShareTag | None,
    names: Mapping[str, Sequence[str]],
) -> ShareReview:
    """The writer consents to share what they saw: it goes to the Set's facilitators to read."""
    with store.session() as session:
        item = _own(session, team_id, user_id, source, item_id, for_update=True)
        if item.withheld_at is not None:
            raise Refusal(KEPT_OUT, reason=f"“{item.withheld_reason}”")
        parts = _anonymised(session, item, names)
        item.share_consent, item.share_tag = True, tag.value if tag else None
        session.add(item)
        learning_set = _set_of(session, item)
        assert item.id is not None
        return ShareReview(
            source=source,
            item_id=item.id,
            set_name=learning_set.name,
            parts=parts,
            tag=tag,
            writer=item.user_id,
            facilitators=_facilitators(session, item.set_id),
        )


def withhold_form(
    store: Store, *, team_id: str, user_id: str, source: Source, item_id: int
) -> WithholdForm:
    """Check the presser facilitates the item's Set, and it can still be withheld."""
    with store.session() as session:
        _, learning_set = _to_withhold(session, team_id, user_id, source, item_id)
        return WithholdForm(source=source, item_id=item_id, set_name=learning_set.name)


def check_reason(reason: str) -> str | None:
    """What is wrong with a reason for withholding, if anything."""
    if not reason.strip():
        return NO_REASON
    return REASON_TOO_LONG if len(reason.strip()) > MAX_REASON else None


def withhold(
    store: Store,
    clock: Clock,
    *,
    team_id: str,
    user_id: str,
    source: Source,
    item_id: int,
    reason: str,
) -> Withheld:
    """Keep a shared item out of the organisation report; its writer is told the reason."""
    problem = check_reason(reason)
    if problem:
        raise Refusal(problem)
    with store.session() as session:
        item, learning_set = _to_withhold(
            session, team_id, user_id, source, item_id, for_update=True
        )
        item.withheld_reason, item.withheld_at = reason.strip(), clock.now()
        session.add(item)
        return Withheld(
            set_name=learning_set.name,
            writer=item.user_id,
            reason=reason.strip(),
            parts=tuple(SharedPart(question=q, text=t) for q, t in parts_of(item)),
        )


def shared_items(
    session: Session,
    team_id: str,
    set_ids: Sequence[int] | None = None,
    since: date | None = None,
    *,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[SharedItem]:
    """Every answer members of the team's Sets agreed to share that no facilitator withheld.

    Report backs and learning-log entries, anonymised per Set (with `names`, if given, as
    the members saw in their preview; without, mentions and ids only), one item per answer,
    from meetings on or after `since`. Ordered by Set, day, question and words, so the
    order says nothing about who wrote them.
    """
    reports = select(Commitment).where(
        Commitment.team_id == team_id,
        col(Commitment.share_consent).is_(True),
        col(Commitment.withheld_at).is_(None),
        Commitment.status == CommitmentStatus.REPORTED,
    )
    entries = select(LearningEntry).where(
        LearningEntry.team_id == team_id,
        col(LearningEntry.share_consent).is_(True),
        col(LearningEntry.withheld_at).is_(None),
    )
    if set_ids is not None:
        reports = reports.where(col(Commitment.set_id).in_(set_ids))
        entries = entries.where(col(LearningEntry.set_id).in_(set_ids))
    found: list[Item] = [*session.exec(reports).all(), *session.exec(entries).all()]
    anonymisers: dict[int, Anonymiser] = {}
    items = []
    for item in found:
        assert item.id is not None
        on = _meeting_day(session, item)
        if since is not None and (on is None or on < since):
            continue
        if item.set_id not in anonymisers:
            anonymisers[item.set_id] = set_anonymiser(session, set_id=item.set_id, names=names)
        anonymise = anonymisers[item.set_id]
        items += [
            SharedItem(
                set_id=item.set_id,
                source=_source(item),
                item_id=item.id,
                meeting_on=on,
                tag=tag_of(item.share_tag),
                question=question,
                text=anonymise(text),
            )
            for question, text in parts_of(item)
        ]
    order = list(Question)
    return sorted(
        items,
        key=lambda i: (
            i.set_id,
            i.meeting_on or date.min,
            order.index(i.question),
            i.text.casefold(),
        ),
    )


def _source(item: Item) -> Source:
    return Source.REPORT if isinstance(item, Commitment) else Source.LOG


def _meeting_day(session: Session, item: Item) -> date | None:
    """The day of the item's meeting in its Set's zone, or the day it was written."""
    learning_set = session.get(LearningSet, item.set_id)
    zone = ZoneInfo(learning_set.timezone if learning_set else "UTC")
    meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
    written = item.reported_at if isinstance(item, Commitment) else item.written_at
    when: datetime | None = (meeting.started_at if meeting else None) or written
    return when.astimezone(zone).date() if when else None


def _find(
    session: Session, team_id: str, source: Source, item_id: int, *, for_update: bool = False
) -> Item:
    model: type[Commitment] | type[LearningEntry] = (
        Commitment if source == Source.REPORT else LearningEntry
    )
    statement = select(model).where(model.id == item_id, model.team_id == team_id)
    if for_update:
        statement = statement.with_for_update()
    item = session.exec(statement).first()
    if item is None:
        raise Refusal(NO_SUCH_ITEM)
    return item


def _own(
    session: Session,
    team_id: str,
    user_id: str,
    source: Source,
    item_id: int,
    *,
    for_update: bool = False,
) -> Item:
    """The caller's own item, with words to share."""
    item = _find(session, team_id, source, item_id, for_update=for_update)
    if item.user_id != user_id:
        raise Refusal(NOT_YOURS)
    if not parts_of(item):
        raise Refusal(NOTHING_TO_SHARE)
    return item


def _to_withhold(
    session: Session,
    team_id: str,
    user_id: str,
    source: Source,
    item_id: int,
    *,
    for_update: bool = False,
) -> tuple[Item, LearningSet]:
    """The item, if the caller facilitates its Set now and it is shared and not yet withheld."""
    item = _find(session, team_id, source, item_id, for_update=for_update)
    place = membership(session, set_id=item.set_id, user_id=user_id)
    if place is None or place.left_at is not None or place.role != Role.FACILITATOR:
        raise Refusal(NOT_A_FACILITATOR)
    if not item.share_consent:
        raise Refusal(NO_LONGER_SHARED)
    if item.withheld_at is not None:
        raise Refusal(ALREADY_WITHHELD)
    return item, _set_of(session, item)


def _set_of(session: Session, item: Item) -> LearningSet:
    learning_set = session.get(LearningSet, item.set_id)
    if learning_set is None:
        raise Refusal(NO_SUCH_ITEM)
    return learning_set


def _anonymised(
    session: Session, item: Item, names: Mapping[str, Sequence[str]]
) -> tuple[SharedPart, ...]:
    anonymise = set_anonymiser(session, set_id=item.set_id, names=names)
    return tuple(SharedPart(question=q, text=anonymise(t)) for q, t in parts_of(item))


def _facilitators(session: Session, set_id: int) -> tuple[str, ...]:
    people = current_members(session, set_id=set_id)
    return tuple(m.user_id for m in people if m.role == Role.FACILITATOR)
