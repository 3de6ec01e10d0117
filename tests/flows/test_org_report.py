"""The organisation reads what its Sets learned together: figures, training needs, policy issues.

Three Sets in two training themes meet, told through the real flows. Words members
shared carry a code word from the sea or the country; words they kept to themselves, or
a facilitator withheld, or that were never asked to be shared carry an animal. Every
output is searched for both, and for every member's id and names, so a leak fails a
test and so would a report that shared nothing at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.flows import commitments, meetings, org_leads, org_report, reflection, sets
from bot.flows.access import Caller, Refusal
from bot.flows.org_report import FEWER_THAN_3, Figures, OrgReport
from bot.flows.schedule import Cadence
from bot.flows.sharing import ShareTag
from bot.sim.layout import check_blocks, check_text
from bot.store.db import Store
from bot.store.models import AttendanceStatus, Commitment, LearningEntry, Meeting
from bot.ui.org_report import org_report_card
from tests.factories import TEAM

ADMIN, LEAD = "U0ADMIN1", "U0LEAD01"
FRAN, GITA = "U0FRAN01", "U0GITA01"
ASHA, BEN, CARA, DEV = "U0ASHA01", "U0BEN001", "U0CARA01", "U0DEV001"
EMMA, FINN, HANA = "U0EMMA01", "U0FINN01", "U0HANA01"
IVY, JO = "U0IVY001", "U0JO0001"
# Display name, then real name, as Slack would give them.
NAMES = {
    FRAN: ["fran.h", "Fran Hughes"],
    GITA: ["gita", "Gita Rao"],
    ASHA: ["asha.p", "Asha Patel"],
    BEN: ["benjy", "Ben Okafor"],
    CARA: ["cara.n", "Cara Nwosu"],
    DEV: ["devs", "Dev Sharma"],
    EMMA: ["emma.w", "Emma Wilde"],
    FINN: ["finnegan", "Finn Byrne"],
    HANA: ["hana.k", "Hana Kato"],
    IVY: ["ivy.l", "Ivy Lund"],
    JO: ["jo.b", "Jo Brennan"],
}
MEMBERS = (ASHA, BEN, CARA, DEV, EMMA, FINN, HANA, IVY, JO)
SHARED = ("lantern", "coaching", "harbour", "compass", "lighthouse")
UNSHARED = ("okapi", "wombat", "pangolin", "quokka", "narwhal", "tapir")
PRESENT, APOLOGIES = AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES
PRACTICE, TRAINING, POLICY = ShareTag.PRACTICE, ShareTag.TRAINING, ShareTag.POLICY
LEADERS, SAFEGUARDING = "Leading through change", "Safeguarding"


@dataclass(frozen=True)
class Set:
    """One Set of the story, run by its facilitator in its own channel."""

    store: Store
    clock: ManualClock
    channel: str
    facilitator: str

    def caller(self, user: str | None = None) -> Caller:
        return Caller(team_id=TEAM, user_id=user or self.facilitator, channel_id=self.channel)

    def meeting(self, attendance: dict[str, AttendanceStatus], scores: dict[str, int]) -> int:
        """The facilitator starts a meeting, members check in, it ends, present ones reflect."""
        meeting_id = meetings.start_meeting(self.store, self.clock, self.caller()).meeting_id
        for who, how in attendance.items():
            meetings.check_in(
                self.store,
                self.clock,
                team_id=TEAM,
                meeting_id=meeting_id,
                user_id=who,
                status=how,
            )
        self.clock.advance(timedelta(hours=2))
        meetings.end_meeting(self.store, self.clock, self.caller())
        for who, score in scores.items():
            reflection.reflect(
                self.store,
                self.clock,
                team_id=TEAM,
                meeting_id=meeting_id,
                user_id=who,
                score=score,
                helped="the questions",
                change="",
                share=False,
            )
        return meeting_id

    def commit(self, who: str, action: str) -> int:
        made = commitments.commit(
            self.store, self.clock, self.caller(who), text=action, due_on=None
        )
        return made.commitment_id

    def report(
        self,
        who: str,
        commitment_id: int,
        happened: str,
        learned: str,
        *,
        tag: ShareTag | None,
        withheld: str | None = None,
    ) -> None:
        """The member reports back; with a tag they agreed to share it, tagged so."""
        commitments.report_back(
            self.store,
            self.clock,
            team_id=TEAM,
            user_id=who,
            commitment_id=commitment_id,
            happened=happened,
            learned=learned,
            share=tag is not None,
        )
        with self.store.session() as session:
            row = session.get(Commitment, commitment_id)
            assert row is not None
            row.share_tag = tag
            if withheld:
                row.withheld_reason, row.withheld_at = withheld, self.clock.now()
            session.add(row)

    def log(
        self,
        who: str,
        meeting_id: int,
        about_issue: str,
        *,
        tag: ShareTag | None,
        withheld: str | None = None,
    ) -> None:
        """A line in the member's private learning log, shared anonymously if tagged."""
        with self.store.session() as session:
            meeting = session.get(Meeting, meeting_id)
            assert meeting is not None
            session.add(
                LearningEntry(
                    team_id=TEAM,
                    set_id=meeting.set_id,
                    meeting_id=meeting_id,
                    user_id=who,
                    about_issue=about_issue,
                    share_consent=tag is not None,
                    share_tag=tag,
                    withheld_reason=withheld,
                    withheld_at=self.clock.now() if withheld else None,
                    written_at=self.clock.now(),
                )
            )


def form(
    store: Store,
    clock: ManualClock,
    *,
    name: str,
    theme: str,
    area: str,
    channel: str,
    facilitator: str,
    members: tuple[str, ...],
) -> Set:
    sets.form_set(
        store,
        clock,
        team_id=TEAM,
        created_by=facilitator,
        channel_id=channel,
        draft=sets.SetDraft(
            name=name,
            theme=theme,
            problem_area=area,
            facilitators=(facilitator,),
            members=members,
            cadence=Cadence.monthly(ordinal=1, weekday=1, count=3),
            first_at=clock.now().replace(hour=10),
            timezone="Europe/London",
        ),
    )
    return Set(store, clock, channel, facilitator)


def three_sets(store: Store, clock: ManualClock) -> None:
    """Two Sets lead through change, one works on safeguarding; five meetings in all."""
    leaders = form(
        store,
        clock,
        name="New team leaders",
        theme=LEADERS,
        area="Keeping experienced staff",
        channel="C0LEADERS",
        facilitator=FRAN,
        members=(ASHA, BEN, CARA, DEV),
    )
    wards = form(
        store,
        clock,
        name="Ward managers",
        theme="leading through  change",
        area="Rota fairness",
        channel="C0WARDS",
        facilitator=GITA,
        members=(EMMA, FINN, HANA),
    )
    duty = form(
        store,
        clock,
        name="Duty workers",
        theme=SAFEGUARDING,
        area="Thresholds for referral",
        channel="C0DUTY",
        facilitator=FRAN,
        members=(IVY, JO),
    )

    # First meetings: Dev sends apologies; everyone else comes.
    first = leaders.meeting(
        {ASHA: PRESENT, BEN: PRESENT, CARA: PRESENT, DEV: APOLOGIES}, {ASHA: 3, BEN: 4, CARA: 2}
    )
    asha_action = leaders.commit(ASHA, "Protect an hour for quokka planning")
    ben_action = leaders.commit(BEN, "Ask HR about the tapir policy")
    leaders.log(CARA, first, "My pangolin of a manager", tag=None)
    ward_meeting = wards.meeting({EMMA: PRESENT, FINN: PRESENT, HANA: PRESENT}, {EMMA: 2, FINN: 3})
    emma_action = wards.commit(EMMA, "Redraw the rota")
    wards.log(HANA, ward_meeting, "Handover forms duplicate the lighthouse checklist", tag=POLICY)
    wards.log(FINN, ward_meeting, "The wombat on ward 3", tag=PRACTICE, withheld="It names a ward")
    duty.meeting({IVY: PRESENT, JO: PRESENT}, {IVY: 4, JO: 3})
    ivy_action = duty.commit(IVY, "Talk to the referral team")

    clock.advance(timedelta(days=14))
    leaders.report(
        ASHA,
        asha_action,
        "Spoke to Ben Okafor and <@U0BOSS1|Morgan> about the lantern rota",
        "New leaders need coaching on difficult conversations; asha.p agrees",
        tag=TRAINING,
    )
    leaders.report(BEN, ben_action, "The okapi said no", "Keep going", tag=None)
    wards.report(
        EMMA,
        emma_action,
        "The rota policy ignores part-time staff at the harbour site",
        "Policies need a part-time check",
        tag=POLICY,
    )
    duty.report(IVY, ivy_action, "Nobody agrees where the compass points", "Ask", tag=TRAINING)

    # Second meetings, for the leaders and the duty workers; Jo sends apologies.
    leaders.meeting(
        {ASHA: PRESENT, BEN: PRESENT, CARA: PRESENT, DEV: PRESENT},
        {ASHA: 4, BEN: 5, CARA: 5, DEV: 4},
    )
    leaders.commit(DEV, "Map the narwhal process")
    duty.meeting({IVY: PRESENT, JO: APOLOGIES}, {IVY: 5})


@pytest.fixture
def report(store: Store, clock: ManualClock) -> OrgReport:
    three_sets(store, clock)
    return lead_reads_it(store, clock)


def lead_reads_it(store: Store, clock: ManualClock, *, since: date | None = None) -> OrgReport:
    """An admin names the organisation lead, who then reads the report."""
    org_leads.grant(store, clock, team_id=TEAM, by=ADMIN, by_is_admin=True, user_id=LEAD)
    return org_report.org_report(store, clock, team_id=TEAM, user_id=LEAD, names=NAMES, since=since)


def every_output(report: OrgReport) -> dict[str, str]:
    """The report in every form it leaves setbot: the three files and the Slack card."""
    outputs = {fmt: write(report) for fmt, write in org_report.FORMATS.items()}
    card = org_report_card(report)
    outputs["card"] = card.text + json.dumps(card.blocks, ensure_ascii=False)
    return outputs


OUTPUTS = [*org_report.FORMATS, "card"]


def figures(f: Figures) -> tuple[object, ...]:
    return (
        f.sets,
        f.meetings_held,
        f.members,
        f.attendance_rate
        if not isinstance(f.attendance_rate, float)
        else round(f.attendance_rate, 3),
        f.actions_committed,
        f.actions_completed,
        f.process_first,
        f.process_latest,
    )


def test_the_figures_add_up_across_all_sets_by_theme_and_problem_area(report: OrgReport) -> None:
    leaders, safeguarding = report.themes
    staff, rota = leaders.areas

    assert figures(report.overall) == (3, 5, 9, round(13 / 15, 3), 5, 4, 3.0, 4.6)
    assert (leaders.theme, safeguarding.theme) == (LEADERS, SAFEGUARDING)
    assert figures(leaders.figures) == (2, 3, 7, round(10 / 11, 3), 4, 3, 2.8, 4.5)
    assert (staff.problem_area, rota.problem_area) == ("Keeping experienced staff", "Rota fairness")
    assert figures(staff.figures) == (1, 2, 4, 0.875, 3, 2, 3.0, 4.5)
    assert [a.problem_area for a in safeguarding.areas] == ["Thresholds for referral"]


def test_a_figure_drawn_from_fewer_than_three_people_is_shown_as_fewer_than_3(
    report: OrgReport,
) -> None:
    safeguarding = report.themes[1]
    rota = report.themes[0].areas[1]

    # Two members; Ivy and Jo attended, answered and committed: no figure about them shows.
    assert figures(safeguarding.figures) == (1, 2, *[FEWER_THAN_3] * 6)
    # Three members is enough; one person's action and two people's scores are not.
    assert figures(rota.figures) == (1, 1, 3, 1.0, FEWER_THAN_3, FEWER_THAN_3, FEWER_THAN_3, None)
    markdown = org_report.to_markdown(report)
    assert "## Theme: Safeguarding\n\n- Sets: 1\n- Meetings held: 2\n- Members: fewer than 3\n" in (
        markdown
    )
    assert (
        json.loads(org_report.to_json(report))["themes"][1]["figures"]["members"] == "fewer than 3"
    )


@pytest.mark.parametrize("output", OUTPUTS)
def test_only_words_members_agreed_to_share_appear_in_every_output(
    report: OrgReport, output: str
) -> None:
    text = every_output(report)[output].casefold()

    assert [word for word in UNSHARED if word in text] == []
    assert [word for word in SHARED if word not in text] == []


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_members_id_name_or_mention_appears_in_any_output(
    report: OrgReport, output: str
) -> None:
    text = every_output(report)[output]

    people = [FRAN, GITA, ADMIN, LEAD, *MEMBERS, "U0BOSS1"]
    named = [word for names in NAMES.values() for name in names for word in [name, *name.split()]]
    found = [who for who in people if who in text]
    found += [n for n in named if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.I)]
    assert found == []
    assert "<@" not in text and "Morgan" not in text


def test_shared_words_are_grouped_by_what_they_are_for(report: OrgReport) -> None:
    said = {tag: [(i.theme, i.text) for i in report.shared_as(tag)] for tag in ShareTag}

    assert said == {
        PRACTICE: [],
        TRAINING: [
            (LEADERS, "New leaders need coaching on difficult conversations; a member agrees"),
            (LEADERS, "Spoke to a member and a colleague about the lantern rota"),
            (SAFEGUARDING, "Ask"),
            (SAFEGUARDING, "Nobody agrees where the compass points"),
        ],
        POLICY: [
            (LEADERS, "Handover forms duplicate the lighthouse checklist"),
            (LEADERS, "Policies need a part-time check"),
            (LEADERS, "The rota policy ignores part-time staff at the harbour site"),
        ],
    }


def test_the_report_ends_with_training_needs_then_policy_issues(report: OrgReport) -> None:
    markdown = org_report.to_markdown(report)
    card = org_report_card(report)

    headings = re.findall(r"^## (.*)$", markdown, re.M)
    assert headings[-3:] == [
        "Learning for our practice",
        "Training needs the Sets raised",
        "Policy and procedure issues the Sets raised",
    ]
    assert markdown.rstrip().endswith(
        "- The rota policy ignores part-time staff at the harbour site _(Leading through change)_"
    )
    sections = [b["text"]["text"] for b in card.blocks if b["type"] == "section"]
    assert sections[-2].startswith("*Training needs the Sets raised*")
    assert sections[-1].startswith("*Policy and procedure issues the Sets raised*")
    assert check_blocks(card.blocks) is None and check_text(card.text) is None


def test_the_csv_is_one_table_of_figures_then_shared_words(report: OrgReport) -> None:
    rows = list(csv.reader(io.StringIO(org_report.to_csv(report))))

    assert rows[0] == ["section", "theme", "problem area", "topic", "value"]
    assert ["figures", "", "", "Attendance rate", "87%"] in rows
    assert ["figures", SAFEGUARDING, "", "Members", "fewer than 3"] in rows
    assert [r[0] for r in rows if r[0] != "figures"][1:] == ["training"] * 4 + ["policy"] * 3


def test_since_a_day_counts_only_what_happened_from_then(store: Store, clock: ManualClock) -> None:
    three_sets(store, clock)
    second_meetings = (clock.now() - timedelta(days=1)).date()

    report = lead_reads_it(store, clock, since=second_meetings)

    assert (report.overall.sets, report.overall.meetings_held) == (3, 2)
    assert report.overall.actions_committed == FEWER_THAN_3, "only Dev committed since"
    assert org_report.since_words(report).startswith(f"From {second_meetings.day} ")


def test_a_member_cannot_read_the_organisation_report(report: OrgReport, store: Store) -> None:
    clock = ManualClock(datetime(2027, 3, 1, tzinfo=UTC))
    for who in (ASHA, FRAN, ADMIN):
        with pytest.raises(Refusal) as refused:
            org_report.org_report(store, clock, team_id=TEAM, user_id=who, names=NAMES)
        assert refused.value.template == org_leads.NOT_AN_ORG_LEAD
    with pytest.raises(Refusal):
        org_report.people_to_name(store, team_id=TEAM, user_id=ASHA)


def test_only_a_workspace_admin_names_or_removes_a_lead(store: Store, clock: ManualClock) -> None:
    with pytest.raises(Refusal) as refused:
        org_leads.grant(store, clock, team_id=TEAM, by=FRAN, by_is_admin=False, user_id=FRAN)
    assert refused.value.template == org_leads.NOT_AN_ADMIN
    assert org_leads.leads(store, team_id=TEAM, user_id=ADMIN, is_admin=True) == ()

    named = org_leads.grant(store, clock, team_id=TEAM, by=ADMIN, by_is_admin=True, user_id=LEAD)
    again = org_leads.grant(store, clock, team_id=TEAM, by=ADMIN, by_is_admin=True, user_id=LEAD)
    with pytest.raises(Refusal):
        org_leads.revoke(store, team_id=TEAM, by_is_admin=False, user_id=LEAD)

    assert (named.changed, again.changed) == (True, False)
    assert org_leads.leads(store, team_id=TEAM, user_id=LEAD, is_admin=False) == (LEAD,)
    assert org_leads.revoke(store, team_id=TEAM, by_is_admin=True, user_id=LEAD).changed
    assert not org_leads.revoke(store, team_id=TEAM, by_is_admin=True, user_id=LEAD).changed
    with pytest.raises(Refusal) as not_allowed:
        org_leads.leads(store, team_id=TEAM, user_id=LEAD, is_admin=False)
    assert not_allowed.value.template == org_leads.NOT_ALLOWED_TO_LIST


def test_a_lead_of_another_workspace_sees_nothing_of_this_one(
    report: OrgReport, store: Store, clock: ManualClock
) -> None:
    org_leads.grant(store, clock, team_id="T0OTHER", by=ADMIN, by_is_admin=True, user_id=LEAD)

    elsewhere = org_report.org_report(store, clock, team_id="T0OTHER", user_id=LEAD, names={})

    assert (elsewhere.overall.sets, elsewhere.themes, elsewhere.shared) == (0, (), ())
