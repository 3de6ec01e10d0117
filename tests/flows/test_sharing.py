"""Sharing with eyes open: a member sees what would go out, consents, and the facilitator reads it.

The New team leaders Set meets; afterwards Asha writes in her learning log and Ben reports
back on his action. Each shares something, names and all, and the story checks what the
preview, the facilitator, the Set's learning summary and the organisation's list of shared
items each see, and what happens when Fran keeps one out of the report.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.flows import commitments, learning, learning_log, meetings, sharing
from bot.flows.sharing import (
    Question,
    SharedItem,
    SharedPart,
    ShareReview,
    ShareTag,
    Source,
    Withheld,
)
from bot.store.db import Store
from bot.store.models import AttendanceStatus, LearningEntry
from tests.factories import TEAM
from tests.flows.test_learning import (
    ASHA,
    BEN,
    CARA,
    FACILITATOR,
    NAMES,
    a_set,
    caller,
)

ABOUT_MY_ISSUE = "Ben Okafor and <@U0BEN> showed me the rota is a symptom; U0CARA agreed"
ABOUT_HOW_I_LEARN = "I listen better when I write things down"


@pytest.fixture
def meeting_id(store: Store, clock: ManualClock) -> int:
    """Today's meeting of the Set has ended: Asha and Ben were there, Cara sent apologies."""
    a_set(store, clock)
    meeting = meetings.start_meeting(store, clock, caller()).meeting_id
    for who, how in ((ASHA, "present"), (BEN, "present"), (CARA, "apologies")):
        meetings.check_in(
            store,
            clock,
            team_id=TEAM,
            meeting_id=meeting,
            user_id=who,
            status=AttendanceStatus(how),
        )
    clock.advance(timedelta(hours=2))
    meetings.end_meeting(store, clock, caller())
    return meeting


def ashas_entry(
    store: Store, clock: ManualClock, meeting_id: int, *, tag: ShareTag | None = None
) -> int:
    """Asha writes in her learning log, privately."""
    saved = learning_log.write_entry(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        meeting_id=meeting_id,
        about_issue=ABOUT_MY_ISSUE,
        about_learning=ABOUT_HOW_I_LEARN,
        tag=tag,
    )
    return saved.entry_id


def share(
    store: Store, who: str, source: Source, item_id: int, tag: ShareTag | None = None
) -> ShareReview:
    return sharing.share(
        store,
        team_id=TEAM,
        user_id=who,
        source=source,
        item_id=item_id,
        tag=tag,
        names=NAMES,
    )


def withhold(store: Store, clock: ManualClock, who: str, item_id: int, reason: str) -> Withheld:
    return sharing.withhold(
        store,
        clock,
        team_id=TEAM,
        user_id=who,
        source=Source.LOG,
        item_id=item_id,
        reason=reason,
    )


def items(store: Store) -> list[SharedItem]:
    with store.session() as session:
        return sharing.shared_items(session, TEAM, names=NAMES)


def summary_text(store: Store) -> str:
    return learning.to_markdown(learning.learning_summary(store, caller(), names=NAMES))


def test_the_preview_shows_the_words_with_names_mentions_and_ids_taken_out(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)

    preview = sharing.anonymised_preview(
        store,
        team_id=TEAM,
        user_id=ASHA,
        source=Source.LOG,
        item_id=entry,
        tag=ShareTag.TRAINING,
        names=NAMES,
    )

    assert preview.parts == (
        SharedPart(
            question=Question.ABOUT_ISSUE,
            text="A member and a member showed me the rota is a symptom; a member agreed",
        ),
        SharedPart(question=Question.ABOUT_LEARNING, text=ABOUT_HOW_I_LEARN),
    )
    assert (preview.set_name, preview.tag) == ("New team leaders", ShareTag.TRAINING)


def test_the_writer_is_asked_whose_names_to_look_up_and_no_one_else_is(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)

    people = sharing.people_to_name(
        store, team_id=TEAM, user_id=ASHA, source=Source.LOG, item_id=entry
    )

    assert set(people) == {FACILITATOR, ASHA, BEN, CARA, "U0DEV"}
    with pytest.raises(sharing.Refusal) as refused:
        sharing.people_to_name(store, team_id=TEAM, user_id=BEN, source=Source.LOG, item_id=entry)
    assert refused.value.template == sharing.NOT_YOURS


def test_an_entry_stays_private_until_its_writer_consents_to_the_preview(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id, tag=ShareTag.TRAINING)
    assert items(store) == [] and "rota is a symptom" not in summary_text(store)

    review = share(store, ASHA, Source.LOG, entry, ShareTag.TRAINING)

    assert review.facilitators == (FACILITATOR,) and review.writer == ASHA
    assert review.parts[0].text.startswith("A member and a member showed me")
    assert "A member and a member showed me the rota is a symptom" in summary_text(store)
    assert "· A training need" in summary_text(store)
    assert [(i.question, i.tag, i.meeting_on) for i in items(store)] == [
        (Question.ABOUT_ISSUE, ShareTag.TRAINING, clock.now().date()),
        (Question.ABOUT_LEARNING, ShareTag.TRAINING, clock.now().date()),
    ]


def test_no_one_can_preview_or_share_another_members_words(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)

    with pytest.raises(sharing.Refusal) as refused:
        share(store, BEN, Source.LOG, entry)

    assert refused.value.template == sharing.NOT_YOURS
    assert items(store) == []


def test_a_withheld_learning_leaves_the_summary_and_the_organisations_list(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)

    withheld = withhold(store, clock, FACILITATOR, entry, "It could identify the rota team")

    assert (withheld.writer, withheld.reason) == (ASHA, "It could identify the rota team")
    assert withheld.parts[0].text == ABOUT_MY_ISSUE, "she is reminded of her own words"
    assert items(store) == []
    assert "rota is a symptom" not in summary_text(store)
    with store.session() as session:
        kept = session.exec(select(LearningEntry)).one()
    assert kept.about_issue == ABOUT_MY_ISSUE, "it stays in her own log"


def test_once_withheld_the_same_words_cannot_be_offered_again_but_new_ones_can(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)
    withhold(store, clock, FACILITATOR, entry, "It could identify the rota team")

    ashas_entry(store, clock, meeting_id)
    with pytest.raises(sharing.Refusal) as refused:
        share(store, ASHA, Source.LOG, entry)
    assert refused.value.template == sharing.KEPT_OUT

    learning_log.write_entry(
        store,
        clock,
        team_id=TEAM,
        user_id=ASHA,
        meeting_id=meeting_id,
        about_issue="The rota is a symptom of how change is announced",
        about_learning="",
        tag=None,
    )
    share(store, ASHA, Source.LOG, entry)
    assert [i.text for i in items(store)] == ["The rota is a symptom of how change is announced"]


@pytest.mark.parametrize("who", [ASHA, BEN, "U0OUTSIDE"], ids=["writer", "member", "outsider"])
def test_only_a_facilitator_of_the_set_can_withhold(
    store: Store, clock: ManualClock, meeting_id: int, who: str
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)

    with pytest.raises(sharing.Refusal) as refused:
        withhold(store, clock, who, entry, "Not for the report")

    assert refused.value.template == sharing.NOT_A_FACILITATOR
    assert len(items(store)) == 2, "nothing changed"


@pytest.mark.parametrize(
    ("reason", "problem"),
    [("  ", sharing.NO_REASON), ("x" * 501, sharing.REASON_TOO_LONG)],
    ids=["empty", "too long"],
)
def test_withholding_needs_a_short_reason(
    store: Store, clock: ManualClock, meeting_id: int, reason: str, problem: str
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)

    with pytest.raises(sharing.Refusal) as refused:
        withhold(store, clock, FACILITATOR, entry, reason)

    assert refused.value.template == problem
    assert len(items(store)) == 2


def test_an_item_is_withheld_once_and_only_while_shared(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    with pytest.raises(sharing.Refusal) as refused:
        withhold(store, clock, FACILITATOR, entry, "Too soon")
    assert refused.value.template == sharing.NO_LONGER_SHARED

    share(store, ASHA, Source.LOG, entry)
    withhold(store, clock, FACILITATOR, entry, "Too soon")
    with pytest.raises(sharing.Refusal) as again:
        withhold(store, clock, FACILITATOR, entry, "Again")
    assert again.value.template == sharing.ALREADY_WITHHELD


def test_shared_items_hold_report_backs_and_log_entries_by_set_day_and_tag(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    action = commitments.commit(store, clock, caller(BEN), text="Ask HR", due_on=None)
    clock.advance(timedelta(days=3))
    commitments.report_back(
        store,
        clock,
        team_id=TEAM,
        user_id=BEN,
        commitment_id=action.commitment_id,
        happened="HR said <@U0ASHA> should ask",
        learned="",
        share=False,
        tag=ShareTag.POLICY,
    )
    share(store, BEN, Source.REPORT, action.commitment_id, ShareTag.POLICY)
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry, ShareTag.PRACTICE)

    found = items(store)

    written_on = clock.now().date()
    assert [(i.source, i.question, i.tag, i.meeting_on, i.text) for i in found] == [
        (
            Source.LOG,
            Question.ABOUT_ISSUE,
            ShareTag.PRACTICE,
            (clock.now() - timedelta(days=3)).date(),
            "A member and a member showed me the rota is a symptom; a member agreed",
        ),
        (
            Source.LOG,
            Question.ABOUT_LEARNING,
            ShareTag.PRACTICE,
            (clock.now() - timedelta(days=3)).date(),
            ABOUT_HOW_I_LEARN,
        ),
        (
            Source.REPORT,
            Question.HAPPENED,
            ShareTag.POLICY,
            written_on,
            "HR said a member should ask",
        ),
    ]
    with store.session() as session:
        assert sharing.shared_items(session, TEAM, since=written_on) == found[-1:]
        assert sharing.shared_items(session, TEAM, set_ids=[999]) == []
        assert sharing.shared_items(session, "T0OTHER") == []


def test_without_names_shared_items_still_take_out_mentions_and_ids(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)

    with store.session() as session:
        texts = [i.text for i in sharing.shared_items(session, TEAM)]

    assert "U0BEN" not in str(texts) and "U0CARA" not in str(texts)


def test_tags_come_only_from_the_three_known_ones() -> None:
    assert [t.label for t in ShareTag] == [
        "For our practice",
        "A training need",
        "A policy or procedure issue",
    ]
    assert sharing.tag_of("training") == ShareTag.TRAINING
    assert sharing.tag_of("gossip") is None and sharing.tag_of(None) is None


def test_the_day_is_the_meetings_in_the_sets_time_zone(
    store: Store, clock: ManualClock, meeting_id: int
) -> None:
    entry = ashas_entry(store, clock, meeting_id)
    share(store, ASHA, Source.LOG, entry)

    assert {i.meeting_on for i in items(store)} == {date(2027, 1, 5)}
