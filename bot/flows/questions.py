"""Asking or telling? A plain, rule-based reading of what a member says while others ask.

In the questions phase the Set helps the presenter most by asking: L = P + Q, learning is
programmed knowledge plus questions. Advice, even advice dressed as a question ("Have you
tried…?", "Why don't you…?"), hands the presenter someone else's answer, so it earns a
private, gentle hint. The rules are tables of phrases a facilitator can read and argue
with, not a model: each rule carries an example of what it is for.

How a message is read:

1. Slack markup is removed (`plain_text`), along with quoted lines, which are someone
   else's words.
2. The rest is split into sentences; each sentence is read from the start, skipping
   lead-ins such as "So," or "Just curious,". If the start says nothing, the part after
   each comma (or "but"/"so") is tried: "That sounds hard, what did you try?".
3. The message takes the strongest kind among its sentences: advice, then an open
   question, then a closed one, then a statement. A story followed by a question is a
   question; advice followed by "What do you think?" is still advice, because the
   question doesn't take the suggestion back.
"""

from __future__ import annotations

import html
import re
import unicodedata
from enum import StrEnum
from typing import NamedTuple

from bot.flows.question_bank import ALL_QUESTIONS


class Kind(StrEnum):
    """What a contribution does for the presenter, in words a facilitator uses."""

    OPEN_QUESTION = "open_question"
    CLOSED_QUESTION = "closed_question"
    ADVICE = "advice"
    STATEMENT = "statement"


# The strongest kind in a message wins: see the module docstring for why advice comes first.
PRECEDENCE: tuple[Kind, ...] = (
    Kind.ADVICE,
    Kind.OPEN_QUESTION,
    Kind.CLOSED_QUESTION,
    Kind.STATEMENT,
)


# --- Slack markup -------------------------------------------------------------------------

_SLACK_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_EMOJI_CODE = re.compile(r"(?<!\d):[a-z0-9_+'-]+:", re.IGNORECASE)
_EMOTICON = re.compile(r"(?<!\S)(?:[:;=]-?[()dpo/|\\\[\]]|<3|xd)(?!\S)", re.IGNORECASE)
_FORMATTING = re.compile(r"(?<!\w)[*_~]+|[*_~]+(?!\w)|`+")
# Skin tones, zero-width joiners and variation selectors: the glue inside emoji.
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f\u20e3" + "".join(map(chr, range(0x1F3FB, 0x1F400))))


def _slack_token(match: re.Match[str]) -> str:
    """Mentions address people rather than say anything; links and channels read as words."""
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "!")):
        return ""
    if target.startswith("#"):
        return "#" + (label or "channel")
    # A bare URL becomes one word, so a "?" in its query string can't look like a question.
    return label or "link"


def _is_emoji(char: str) -> bool:
    return char in _EMOJI_GLUE or unicodedata.category(char) == "So"


def plain_text(text: str) -> str:
    """What the member wrote themselves: no markup, mentions, emoji or quoted lines.

    Tokens like `<@U1>` are read before `&lt;`/`&gt;` are decoded, so text a member typed
    can never turn into a mention. Quoted lines (`> …`) are dropped: they are usually the
    presenter's words, quoted back before a reply, and shouldn't count as the member's.
    """
    text = html.unescape(_SLACK_TOKEN.sub(_slack_token, text))
    text = _QUOTED_LINE.sub("", text)
    text = _EMOJI_CODE.sub(" ", text)
    text = "".join(" " if _is_emoji(char) else char for char in text)
    text = _EMOTICON.sub(" ", _FORMATTING.sub("", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def word_count(text: str) -> int:
    """How much someone said, for a round's stats: words with a letter or digit in them."""
    return sum(1 for token in plain_text(text).split() if any(c.isalnum() for c in token))


# --- Vocabulary: regex pieces the rules share ---------------------------------------------

YOU = r"(?:you|u)"
AUX = (
    r"(?:do|does|did|is|are|was|were|am|have|has|had|can|could|will|would|should|shall|may"
    r"|might|must|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|weren'?t|haven'?t|hasn'?t"
    r"|can'?t|couldn'?t|won'?t|wouldn'?t|shouldn'?t)"
)
# Who a question can be about. Without a "?", "Did you…" is a question but "Did the same"
# is a story with the "I" left out, so only these words count as a subject.
PERSONAL = (
    r"(?:i|you|u|we|they|he|she|it|there|this|that|these|those|your|my|his|her|their|our"
    r"|its|anyone|anybody|someone|somebody|everyone|everybody|people)"
)
WH = r"(?:(?:in|on|at|for|with|from|to|by|about) )?(?:what|how|why|where|when|who|whom|whose|which)"
# Verbs that tell someone what to do when they start a sentence: "Try…", "Talk to HR".
ACTION = (
    r"(?:try|talk|speak|ask|tell|consider|go|get|give|take|stop|start|write|book|put|find|keep"
    r"|send|call|ping|raise|escalate|delegate|prioriti[sz]e|remember|push|say|use|read|look"
    r" (?:into|at|for)|reach out|follow up|organi[sz]e|practi[sc]e|learn|avoid|quit|leave"
    r"|ignore|forget|sleep on it|walk away|make|have a (?:word|chat|look|think|go|conversation"
    r"|talk|break|rest)|apologi[sz]e|accept|decline|pause|rethink|simplify|wait|breathe|relax"
    r"|let(?= (?!me\b))|bring|involve|mention|set|see (?:if|whether|what)|check|focus on|trust"
    r" (?:your|yourself)|think (?:about|of)|step back|document|challenge|negotiate|share)"
    r"(?![\w'-])"
)
# Asking the presenter to say more is a question in all but grammar: "Tell me more".
INVITE = (
    r"(?:tell (?:me|us)|(?:say|share) (?:a (?:bit|little) |some )?more|(?:talk|walk|take)"
    r" (?:me|us) through|help (?:me|us) (?:to )?understand|describe|elaborate|expand on"
    r"|unpack|explain (?:more|a bit|what|how|why|to (?:me|us))|give (?:me|us) (?:an|some)"
    r" examples?)\b"
)
WONDER = (
    r"(?:i wonder|i'm wondering|i am wondering|i was wondering|i'm curious|i am curious"
    r"|curious|i(?:'d| would) (?:love|like) to (?:know|hear|understand)"
    r"|i'd be (?:curious|interested) to (?:know|hear)|(?:would )?love to (?:know|hear))"
)

# Words people put before the real start of a sentence. Those in the first group are
# also verbs ("Look into it"), so they only count as lead-ins with punctuation after them.
_LEAD_IN = re.compile(
    r"(?:(?:look|listen|wait|sure|no|just curious|curious|i'm curious|i am curious)[,.!]+"
    r"|(?:so|and|but|or|also|then|ok|okay|right|yes|yeah|well|oh|ah|hm+|um+|hi|hey|hello"
    r"|please|i think|i feel like|i guess|i suppose|i reckon|i'd say|i would say|honestly"
    r"|personally|to be honest|tbh|imo|imho|in my experience|out of (?:curiosity|interest)"
    r"|just (?:wondering|checking|asking)|just to (?:check|clarify|confirm|be clear|understand)"
    r"|(?:a )?(?:quick|genuine|honest|silly) question|(?:can|could|may) i ask(?: you)?"
    r"(?: this| something)?|if i may ask|if you don't mind me asking|let me ask(?: you)?"
    r"(?: this| something)?|thanks(?: for sharing(?: that| this)?)?"
    r"|thank you(?: for sharing(?: that| this)?)?)(?:[,.!]+|\s|$))\s*"
)


class Rule(NamedTuple):
    """A phrase to look for, what it makes a sentence, and an example a facilitator can check."""

    kind: Kind
    pattern: re.Pattern[str]
    example: str
    needs_question_mark: bool = False


def _rule(kind: Kind, pattern: str, example: str, *, needs_question_mark: bool = False) -> Rule:
    return Rule(kind, re.compile(pattern), example, needs_question_mark)


# --- The rules ----------------------------------------------------------------------------

# Phrases that give advice wherever they appear in a sentence.
ADVICE_ANYWHERE: tuple[Rule, ...] = (
    _rule(Kind.ADVICE, r"\bif i (?:were|was) you\b", "If I were you, I'd quit."),
    _rule(Kind.ADVICE, r"\bif it (?:were|was) me\b", "Honestly, if it was me I'd go."),
    # "…in your position, I'd…" advises; "What would you tell a friend in your position?" asks.
    _rule(Kind.ADVICE, r"\bin your (?:shoes|position|place),? i\b", "In your shoes I'd say no."),
    _rule(Kind.ADVICE, r"\b(?:my|one) (?:advice|suggestion|tip|recommendation)\b", "My advice?"),
    _rule(Kind.ADVICE, r"\bi(?:'d| would)? (?:suggest|recommend|advise|urge)\b", "I'd suggest…"),
    # "Just"/"simply" put a ready-made answer inside an otherwise open question.
    _rule(Kind.ADVICE, rf"\bif {YOU} (?:just|simply)\b", "What would happen if you just left?"),
    _rule(Kind.ADVICE, rf"\b{YOU} (?:just|simply) (?:need|have) to\b", "You just need to ask."),
    _rule(Kind.ADVICE, r"(?:\b(?:might|may|could|would)|'d) be worth\b", "It'd be worth a chat."),
    _rule(Kind.ADVICE, r"\bworth a (?:try|shot|go)\b", "Worth a try?"),
    _rule(Kind.ADVICE, r"\bwhat (?:worked|helped) (?:for me|me|was|is)\b", "What worked for me…"),
)

# How a sentence starts, checked in this order; the first rule that fits decides.
OPENINGS: tuple[Rule, ...] = (
    # Invitations to say more come first: "Tell me more" is not advice to tell someone.
    _rule(
        Kind.OPEN_QUESTION,
        rf"(?:(?:could|can|would|will) {YOU} (?:please )?)?{INVITE}",
        "Could you say a bit more about that?",
    ),
    _rule(
        Kind.OPEN_QUESTION,
        rf"{WONDER} (?:if|whether) {YOU} (?:could|would|can) {INVITE}",
        "I was wondering if you could talk us through it.",
    ),
    _rule(
        Kind.OPEN_QUESTION,
        r"(?:any )?thoughts\?$|(?:such as|like what|for example)\?$",
        "Any thoughts?",
    ),
    # "I wonder if you could…" offers the wonderer's own answer.
    _rule(
        Kind.ADVICE,
        rf"{WONDER} (?:if|whether) (?:{YOU}(?:'d| could| should| might"
        r"| need| ought| can)|it (?:would|might|could) (?:help|be))",
        "I wonder if you could ask for help?",
    ),
    # "I wonder what would happen if you…" asks the presenter to imagine, so it is open;
    # "…if you just…" above turns it into advice.
    _rule(
        Kind.OPEN_QUESTION,
        rf"{WONDER}(?: about| more| {WH}\b)",
        "I wonder what would happen if you talked to her.",
    ),
    _rule(Kind.CLOSED_QUESTION, rf"{WONDER} (?:if|whether)\b", "I wonder whether she knows."),
    # Advice dressed as a question.
    _rule(
        Kind.ADVICE,
        rf"(?:have|had|did) {YOU} (?:ever )?(?:tried|try|considered|consider"
        r"|thought (?:about|of)|think (?:about|of)|looked (?:into|at)|look (?:into|at)"
        r"|explored|had a (?:go|think|word|chat))\b",
        "Have you tried talking to HR?",
    ),
    _rule(
        Kind.ADVICE,
        rf"why (?:don'?t|wouldn'?t|won'?t) {YOU}\b|why not \w"
        rf"|why (?:can'?t|couldn'?t) {YOU} just\b",
        "Why don't you just ask her?",
    ),
    _rule(
        Kind.ADVICE,
        r"(?:would|wouldn'?t|could|might|will) it (?:not )?(?:be (?:better"
        r"|easier|best|good|wise|smarter|simpler|worth|a good idea|an idea|helpful|useful"
        r"|sensible)|help|make sense)\b",
        "Wouldn't it be better to wait?",
    ),
    _rule(
        Kind.ADVICE,
        r"(?:isn'?t it|is it not) (?:time|better|worth|easier|a good idea)\b",
        "Isn't it time you moved on?",
    ),
    _rule(
        Kind.ADVICE,
        rf"(?:wouldn'?t|couldn'?t|can'?t|shouldn'?t) {YOU}\b",
        "Can't you just ignore it?",
    ),
    _rule(
        Kind.ADVICE,
        rf"(?:could|can|would) {YOU} (?:not|just|simply|maybe|perhaps|try"
        r"|consider)\b",
        "Could you just say no?",
    ),
    _rule(Kind.ADVICE, r"don'?t you think\b", "Don't you think you should tell her?"),
    _rule(
        Kind.ADVICE,
        r"what about (?!(?:some|no|any|every)thing\b)\w+ing\b",
        "What about talking to your manager?",
    ),
    _rule(Kind.ADVICE, rf"how about (?!{YOU}\b|yourself\b)", "How about a weekly check-in?"),
    # "What if you…" proposes; "What would happen if you…" (an open question) imagines.
    _rule(Kind.ADVICE, rf"what if {YOU}\b", "What if you told her how you feel?"),
    # Advice said straight.
    _rule(
        Kind.ADVICE,
        rf"(?:what )?(?:i(?:'?d| would)|{YOU} (?:could|should|need to|might"
        r"|can)) do is\b",
        "What you could do is ask for help.",
    ),
    _rule(
        Kind.ADVICE,
        rf"{YOU} (?:could(?! be\b)|should|might (?:want|wish|like) to"
        r"|may want to|might (?:try|consider)|need to|ought to|have to|'d better|had better"
        r"|'d be better off|would be better off|must(?! be\b| have\b|'ve\b)"
        r"|can (?:always|just|try|also)|gotta|got to)",
        "You should speak to your manager.",
    ),
    _rule(
        Kind.ADVICE,
        rf"i(?:'?d| would)(?: (?:just|probably|definitely|personally|honestly"
        rf"|first|also|really|then|still|actually))* {ACTION}",
        "I'd go straight to HR.",
    ),
    _rule(
        Kind.ADVICE,
        rf"(?:maybe|perhaps|possibly) (?:just |simply )?(?:{ACTION}|{YOU}"
        r" (?:could|should|can|might|need|ought|may)\b|it(?:'d| would| might| could| may)"
        r" (?:help|be (?:worth|better|good)))",
        "Maybe just tell her?",
    ),
    _rule(
        Kind.ADVICE,
        r"(?:it|that)(?:'d| would| might| may| could| will| can)? (?:be (?:good"
        r"|better|best|helpful|wise|useful|smart|sensible|an idea|a good idea) to"
        r"|helps? (?:to|if you))\b",
        "It might help to write it down.",
    ),
    _rule(
        Kind.ADVICE,
        r"it'?s (?:always |often )?(?:worth (?!it\b)|best to|better to"
        r"|a good idea|wise to)",
        "It's worth asking HR.",
    ),
    _rule(
        Kind.ADVICE,
        r"(?:a|an|one|another) (?:good |simple |easy |quick )?(?:option|idea"
        r"|approach|thing to try) (?:is|would be|might be|could be)\b",
        "One option would be to push back.",
    ),
    _rule(
        Kind.ADVICE,
        r"the (?:best thing|trick|key|answer|solution|fix|best way)"
        r" (?:is|would be|might be)\b",
        "The trick is to say no early.",
    ),
    # Telling someone what to do: "Try…", "Just…", "Don't…", "Let's…", "Be honest…".
    _rule(Kind.ADVICE, rf"(?:just |simply )?{ACTION}", "Try talking to HR."),
    _rule(
        Kind.ADVICE,
        rf"(?:don'?t|do not) (?!{YOU}\b|know\b|think\b|mind\b|get me wrong\b)",
        "Don't give up!",
    ),
    _rule(
        Kind.ADVICE,
        r"let's\b|be (?:careful|honest|kind|clear|firm|patient|brave|direct"
        r"|yourself|gentle|open|upfront|assertive)\b",
        "Be honest with her.",
    ),
    # Stories that start like questions. This only stops the question rules below for this
    # start; the part after a comma is still read.
    _rule(
        Kind.STATEMENT,
        r"what (?:happened|matters) (?:was|is)\b|which (?:is|was) why\b",
        "What happened was she left.",
    ),
    # Questions. A "?" settles it; without one, the sentence must start like a question.
    _rule(
        Kind.OPEN_QUESTION,
        rf"{WH}(?:'(?:s|re|d|ve|ll)|s)?\b",
        "What's stopping you?",
        needs_question_mark=True,
    ),
    _rule(Kind.OPEN_QUESTION, rf"{WH}(?:'(?:s|re|d|ve|ll)|s)\b", "whats stopping you"),
    _rule(
        Kind.OPEN_QUESTION,
        rf"(?:{WH} |(?:what|which|whose|how) (?!{PERSONAL}\b)[\w']+ )"
        rf"{AUX}\b",
        "what did you try",
    ),
    _rule(
        Kind.OPEN_QUESTION,
        r"(?:what|who) (?:happened|happens|helped|helps|worked|works"
        r"|matters|changed|changes|stops|stopped|worries|scares|excites|else|if|about)\b"
        r"|how come\b",
        "what happened next",
    ),
    # "Had the same last year" is a story, so "had" is left out here.
    _rule(Kind.CLOSED_QUESTION, rf"(?!had\b){AUX} {PERSONAL}\b", "did your manager know"),
)

# With a "?" but no opening that fits, a question word anywhere makes it open:
# "So you're saying what, exactly?"
_WH_ANYWHERE = re.compile(rf"\b{WH}\b")
# Sentences end at . ! ? and newlines; dashes (em, en or a spaced hyphen), ";" and ": "
# also start a new one: "Just curious — what did you try?".
_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=[?!])(?=[a-z])|\n|\s-+\s|\s?[\u2014\u2013;]\s?|:\s")
_TAIL_BREAK = re.compile(r",\s?|\s(?=(?:but|so) )")
_WORD_CHAR = re.compile(r"\w")
# Curly quotes and apostrophes (don\u2019t), the acute accent some keyboards use as one,
# full-width and interrobang question marks, and the ellipsis character.
_TYPOGRAPHY = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201b\u00b4", "'")
    | dict.fromkeys("\u201c\u201d", '"')
    | dict.fromkeys("\uff1f\u203d", "?")
    | {"\u2026": "..."}
)


def _sentences(text: str) -> list[str]:
    """Lowercased sentences, each ending in a single "?" if it asked, else no punctuation."""
    normal = plain_text(text).translate(_TYPOGRAPHY).lower()
    sentences: list[str] = []
    for part in _CLAUSE_BREAK.split(normal):
        # Find the last word character from the end, so a run of punctuation is read once.
        last = _WORD_CHAR.search(part[::-1])
        if last is not None:
            end = len(part) - last.start()
            sentences.append(part[:end].strip() + ("?" if "?" in part[end:] else ""))
    return sentences


def _skip_lead_ins(sentence: str, start: int) -> int:
    while (lead_in := _LEAD_IN.match(sentence, start)) and lead_in.end() > start:
        start = lead_in.end()
    return start


def _opening(sentence: str, start: int) -> Kind | None:
    asks = sentence.endswith("?")
    start = _skip_lead_ins(sentence, start)
    for rule in OPENINGS:
        if (asks or not rule.needs_question_mark) and rule.pattern.match(sentence, start):
            return rule.kind
    return None


def _sentence_kind(sentence: str) -> Kind:
    """Advice anywhere; else the first opening that fits, from the start or after a comma.

    Trying the part after each comma catches "That sounds hard, what did you try?" without
    splitting "What, if anything, have you tried?" into a disguised "have you tried".
    """
    if any(rule.pattern.search(sentence) for rule in ADVICE_ANYWHERE):
        return Kind.ADVICE
    starts = [0, *(found.end() for found in _TAIL_BREAK.finditer(sentence))]
    for start in starts:
        kind = _opening(sentence, start)
        if kind is not None and kind is not Kind.STATEMENT:
            return kind
    if not sentence.endswith("?"):
        return Kind.STATEMENT
    return Kind.OPEN_QUESTION if _WH_ANYWHERE.search(sentence) else Kind.CLOSED_QUESTION


def classify(text: str) -> Kind:
    """What a Slack message does for the presenter; nothing readable is a STATEMENT."""
    kinds = {_sentence_kind(sentence) for sentence in _sentences(text)}
    return next((kind for kind in PRECEDENCE if kind in kinds), Kind.STATEMENT)


def is_question(text: str) -> bool:
    """A genuine question, open or closed: what a contribution record keeps of a message."""
    return classify(text) in (Kind.OPEN_QUESTION, Kind.CLOSED_QUESTION)


# --- Coaching -----------------------------------------------------------------------------

# Open questions that fit almost any problem, rotated so a member sees different ones.
# The hint offers one question from the bank of open questions, in turn.
EXAMPLE_QUESTIONS: tuple[str, ...] = ALL_QUESTIONS

# Closed questions are genuine questions, so they get no hint: nudging every "Did your
# manager know?" would nag people who are already asking.
HINTS: dict[Kind, str] = {
    Kind.ADVICE: (
        "Thanks for jumping in! That sounds like a suggestion. Could you turn it into an open "
        "question instead? For example: “{example}”"
    ),
    Kind.STATEMENT: (
        "Thanks for sharing. Right now the presenter gets the most from open questions. "
        "For example: “{example}”"
    ),
}


def coaching_hint(kind: Kind, *, seed: int = 0) -> str | None:
    """A private nudge towards an open question, or None when the member is asking already.

    `seed` picks the example question (e.g. how many times this member has spoken), so the
    same person isn't shown the same example every time.
    """
    template = HINTS.get(kind)
    if template is None:
        return None
    return template.format(example=EXAMPLE_QUESTIONS[seed % len(EXAMPLE_QUESTIONS)])
