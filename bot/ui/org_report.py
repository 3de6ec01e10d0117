"""Learning across the Sets, in Slack: the organisation lead's card, and choosing leads.

The report card is shown only to the organisation lead who asked: figures and the words
members agreed to share, already anonymised by the flow and escaped here, once. It never
mentions anyone. The replies about leads do mention the lead: they go to an admin or a
lead, never into the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.flows.org_leads import LeadChange
from bot.flows.org_report import (
    FEWER_THAN_3_NOTE,
    TAG_TITLES,
    Figures,
    OrgReport,
    SharedWords,
    ThemeGroup,
    count_words,
    rate_words,
    score_words,
    since_words,
)
from bot.ui.blocks import Block, Reply, context, divider, header, section
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT, clip, escape, mention, mentions

# One shared answer at most this long in the card; the files carry every word.
SHARED_PREVIEW = 400
# Blocks the card always has: header, all Sets, divider, three tag sections, the note,
# and room for "…and N more themes".
_FIXED_BLOCKS = 8
MAX_THEME_SECTIONS = BLOCKS_PER_MESSAGE - _FIXED_BLOCKS


def org_report_card(report: OrgReport) -> Reply:
    """The report for the lead's eyes: all Sets, each theme, then what members shared,
    ending with the training needs and the policy and procedure issues."""
    themes = report.themes[:MAX_THEME_SECTIONS]
    blocks: list[Block] = [
        header("Learning across our Action Learning Sets"),
        section(f"*All Sets* · {since_words(report)}\n{_figures(report.overall)}"),
        *(section(_theme(theme)) for theme in themes),
    ]
    if len(report.themes) > len(themes):
        blocks.append(context(f"…and {len(report.themes) - len(themes)} more themes in the file."))
    blocks.append(divider())
    blocks += [section(_shared(title, report.shared_as(tag))) for tag, title in TAG_TITLES.items()]
    blocks.append(
        context(
            f"{escape(report.anonymity_note)} {escape(FEWER_THAN_3_NOTE)} This is only for "
            "you; the document and spreadsheet in your direct messages hold every word."
        )
    )
    return Reply(
        text="Learning across our Action Learning Sets: figures, training needs and "
        "policy issues, anonymised.",
        blocks=blocks,
    )


def report_files_comment() -> str:
    return (
        "Learning across your Action Learning Sets, anonymised and only what members agreed "
        "to share: as a document and as a spreadsheet, ready to pass on."
    )


def _figures(figures: Figures) -> str:
    """Three short lines: the Sets, what their members did, how the process felt."""
    return "\n".join(_figure_parts(figures))


def _figure_parts(figures: Figures, *, bold: str = "*") -> list[str]:
    b = bold
    first = score_words(figures.process_first, none="no answers yet")
    latest = score_words(figures.process_latest, none="no Set has met twice yet")
    return [
        f"Sets {b}{figures.sets}{b} · meetings held {b}{figures.meetings_held}{b} · "
        f"members {b}{count_words(figures.members)}{b}",
        f"Attendance {b}{rate_words(figures.attendance_rate)}{b} · actions committed "
        f"{b}{count_words(figures.actions_committed)}{b}, completed "
        f"{b}{count_words(figures.actions_completed)}{b}",
        f"Process score (1–5): {b}{first}{b} at first meetings → {b}{latest}{b} at the latest",
    ]


def _theme(theme: ThemeGroup) -> str:
    """The theme's figures, then one plain line for each problem area within it."""
    lines = [f"*Theme: {escape(theme.theme)}*", _figures(theme.figures)]
    for area in theme.areas:
        parts = " · ".join(_figure_parts(area.figures, bold=""))
        lines.append(f"• _{escape(area.problem_area)}_: {parts}")
    return "\n".join(lines)


def _shared(title: str, items: Sequence[SharedWords]) -> str:
    """Bullets for one tag, as many as Slack's 3000 characters allow; the files hold all."""
    text = f"*{title}*"
    if not items:
        return text + "\nNone shared yet."
    for shown, item in enumerate(items):
        words = escape(clip(item.text, SHARED_PREVIEW))
        bullet = f"\n• {words} _({escape(item.theme)})_"
        more = f"\n…and {len(items) - shown} more in the document."
        if len(text) + len(bullet) + len(more) > SECTION_TEXT_LIMIT:
            return text + more
        text += bullet
    return text


def lead_changed(change: LeadChange) -> Reply:
    """What the admin hears back after `/set org-lead`."""
    who = mention(change.user_id)
    if change.added and change.changed:
        text = (
            f"Done: {who} is now an organisation lead. They can type `/set org-report` to "
            "see what the Sets learned, anonymised. I've let them know."
        )
    elif change.added:
        text = f"{who} is already an organisation lead, so nothing changed."
    elif change.changed:
        text = f"Done: {who} is no longer an organisation lead."
    else:
        text = (
            f"{who} isn't an organisation lead, so nothing changed. `/set org-leads` shows who is."
        )
    return Reply(text=text, blocks=[section(text)])


def welcome_lead(granted_by: str) -> Reply:
    """The new lead's direct message: what they may now do, and what they will not see."""
    text = (
        f"{mention(granted_by)} has made you an organisation lead for setbot. Type "
        "`/set org-report` in any channel to see what your Action Learning Sets are learning: "
        "figures, training needs and policy issues, anonymised and only what members agreed "
        "to share."
    )
    return Reply(text=text, blocks=[section(text)])


def leads_list(leads: Sequence[str]) -> Reply:
    if not leads:
        text = (
            "There are no organisation leads yet. A workspace admin can name one with "
            "`/set org-lead @name`."
        )
    else:
        text = (
            f"Organisation leads: {mentions(leads)}. A workspace admin can add one with "
            "`/set org-lead @name`, or stop one with `/set org-lead remove @name`."
        )
    return Reply(text=text, blocks=[section(text)])
