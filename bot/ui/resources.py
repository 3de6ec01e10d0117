"""Good practice in Slack: the add and signpost modals, the Set's list, the card in a thread.

Titles, notes and tags are typed by the facilitator and escaped here, once; a link is
only ever an http or https address (checked in bot.flows.resources) and is shown as
Slack's `<address|title>`, with the title escaped inside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.flows.resources import (
    NOTE_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    AddedResource,
    Field,
    ResourceList,
    ResourceView,
    Signposted,
    SignpostForm,
    times_signposted,
)
from bot.ui.blocks import Block, Reply, context, divider, section
from bot.ui.forms import input_block, modal, option, read_choice, read_text
from bot.ui.mrkdwn import BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT, clip, escape, mention

ADD_VIEW = "resource_add_view"
SIGNPOST_VIEW = "round_signpost_view"
TITLE_BLOCK, LINK_BLOCK = "resource_title", "resource_link"
NOTE_BLOCK, TAGS_BLOCK = "resource_note", "resource_tags"
PICK_BLOCK = "resource_pick"
BLOCKS: dict[Field, str] = {
    Field.TITLE: TITLE_BLOCK,
    Field.LINK: LINK_BLOCK,
    Field.NOTE: NOTE_BLOCK,
    Field.TAGS: TAGS_BLOCK,
    Field.PICK: PICK_BLOCK,
}
# A static select holds at most 100 options; the latest resources come first.
MAX_OPTIONS = 100
# The list leaves room in a message for its heading and closing line.
MAX_LISTED = BLOCKS_PER_MESSAGE - 4
WHY = "Shared by the facilitator as an example of good practice."


def resource_modal(*, channel_id: str) -> dict[str, Any]:
    """`/set resource add`: a title, a link, a short note and a few tags."""
    blocks: list[Block] = [
        section(
            "Add a good-practice example, guide or tool to the Set's list. You can then "
            "signpost it in a round with `/round signpost`."
        ),
        *_fields(optional=False),
    ]
    return modal(ADD_VIEW, "Add good practice", "Add it", blocks, {"channel": channel_id})


def signpost_modal(form: SignpostForm, *, channel_id: str) -> dict[str, Any]:
    """Pick one of the Set's resources for the round open now, or add a new one."""
    who = mention(form.presenter)
    blocks: list[Block] = [section(f"Share good practice in {who}'s round. It goes in the thread.")]
    if form.resources:
        options = [
            option(resource.title, str(resource.resource_id))
            for resource in form.resources[:MAX_OPTIONS]
        ]
        blocks += [
            input_block(
                PICK_BLOCK,
                "From the Set's list",
                {"type": "static_select", "options": options},
                optional=True,
            ),
            divider(),
            section("*Or add a new one* (it joins the Set's list too)"),
        ]
    blocks += _fields(optional=bool(form.resources))
    metadata = {"channel": channel_id, "round": form.round_id}
    return modal(SIGNPOST_VIEW, "Signpost a resource", "Share it", blocks, metadata)


def _fields(*, optional: bool) -> list[Block]:
    return [
        input_block(TITLE_BLOCK, "Title", _text(TITLE_LIMIT), optional=optional),
        input_block(
            LINK_BLOCK,
            "Link",
            _text(URL_LIMIT),
            hint="A web address starting http:// or https://",
            optional=optional,
        ),
        input_block(
            NOTE_BLOCK,
            "Why it's worth a look",
            {**_text(NOTE_LIMIT), "multiline": True},
            optional=True,
        ),
        input_block(
            TAGS_BLOCK,
            "Tags",
            _text(200),
            hint="Up to 5, separated by commas: supervision, rotas",
            optional=True,
        ),
    ]


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "plain_text_input", "max_length": max_length}


def read_resource(values: Mapping[str, Any]) -> dict[str, str]:
    """What was typed, by field name, for `check_resource` or `choose_signpost`."""
    return {
        "title": read_text(values, TITLE_BLOCK),
        "link": read_text(values, LINK_BLOCK),
        "note": read_text(values, NOTE_BLOCK),
        "tags": read_text(values, TAGS_BLOCK),
    }


def read_pick(values: Mapping[str, Any]) -> int | None:
    chosen = read_choice(values, PICK_BLOCK)
    return int(chosen) if chosen and chosen.isdigit() else None


def round_of(private_metadata: str) -> int:
    return int(json.loads(private_metadata)["round"])


def beside_fields(problems: Mapping[Field, str]) -> dict[str, str]:
    """Problems keyed by block id, so Slack shows each beside its own field."""
    return {BLOCKS[name]: said for name, said in problems.items()}


def link(resource: ResourceView) -> str:
    """The title as a link; the address was checked to be http(s) with nothing to break out."""
    return f"<{escape(resource.url)}|{escape(resource.title)}>"


def line(resource: ResourceView, budget: int) -> str:
    """One resource on a line; a link too long for `budget` shows its title alone."""
    linked = link(resource)
    return linked if len(linked) <= budget else escape(clip(resource.title, budget))


def resource_added(added: AddedResource) -> Reply:
    before = f"Added to *{escape(added.set_name)}*'s good practice: "
    after = (
        ". Signpost it in a round with `/round signpost`; anyone can see the list "
        "with `/set resources`."
    )
    text = before + line(added.resource, _room(before + after)) + after
    return Reply(text=text, blocks=[section(text)])


def resource_list(found: ResourceList) -> Reply:
    """Private to whoever asked: the Set's resources, latest first."""
    name = escape(found.set_name)
    if not found.resources:
        more = (
            "Add the first with `/set resource add`."
            if found.is_facilitator
            else "Your facilitator can add examples of good practice with `/set resource add`."
        )
        text = f"*{name}* has no good-practice resources yet. {more}"
        return Reply(text=text, blocks=[section(text)])
    blocks: list[Block] = [section(f"*Good practice for {name}*, latest first")]
    shown = found.resources[:MAX_LISTED]
    blocks += [section(_entry(resource)) for resource in shown]
    if len(found.resources) > len(shown):
        blocks.append(context(f"…and {len(found.resources) - len(shown)} older ones."))
    if found.is_facilitator:
        blocks.append(
            context(
                "Add another with `/set resource add`; share one in a round with `/round signpost`."
            )
        )
    return Reply(text=f"Good practice for {name}", blocks=blocks)


def _entry(resource: ResourceView) -> str:
    below = [escape(resource.note)] if resource.note else []
    facts = [", ".join(escape(tag) for tag in resource.tags)] if resource.tags else []
    if resource.times_signposted:
        facts.append(times_signposted(resource.times_signposted))
    if facts:
        below.append("_" + " · ".join(facts) + "_")
    return _headed(resource, below)


def signpost_card(signposted: Signposted) -> Reply:
    """Posted in the round's thread: the link, the facilitator's note, and why it is there."""
    resource = signposted.resource
    said = _headed(resource, [escape(resource.note)] if resource.note else [])
    blocks = [section(said), context(WHY)]
    return Reply(text=f"Good practice: {escape(resource.title)}", blocks=blocks)


def _headed(resource: ResourceView, below: list[str]) -> str:
    """The linked title in bold over the lines below it, all within one section."""
    rest = "".join("\n" + text for text in below)
    return f"*{line(resource, _room(rest) - 2)}*{rest}"


def _room(beside: str) -> int:
    """What a section has left for a link once `beside` is in it."""
    return SECTION_TEXT_LIMIT - len(beside)


def good_practice_text(resources: Sequence[ResourceView]) -> str:
    """A few resources as lines that fit one section, for the App Home."""
    budget = SECTION_TEXT_LIMIT // (len(resources) + 1)
    lines = "\n".join(f"• {line(resource, budget)}" for resource in resources)
    return f"*Good practice*\n{lines}"
