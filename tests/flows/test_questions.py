"""Asking or telling: the labelled sentences a facilitator would agree with, as one table."""

# Curly apostrophes are part of what is under test here.
# ruff: noqa: RUF001

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.questions import (
    ADVICE_ANYWHERE,
    EXAMPLE_QUESTIONS,
    OPENINGS,
    Kind,
    Rule,
    classify,
    coaching_hint,
    is_question,
    plain_text,
    word_count,
)

OPEN, CLOSED = Kind.OPEN_QUESTION, Kind.CLOSED_QUESTION
ADVICE, STATEMENT = Kind.ADVICE, Kind.STATEMENT

# Judgement calls, decided once here rather than by bending a rule for one sentence:
# - Advice plus a genuine question is ADVICE: "Talk to HR. What do you think?" still hands
#   over an answer. A story or remark plus a question is a question.
# - "Have you tried / thought about / considered…?" is advice in disguise; "Have you talked
#   to HR?" is a CLOSED question: it asks what happened rather than proposing something.
# - "I wonder what would happen if you…" is OPEN: the presenter does the imagining. It turns
#   into advice with a ready-made answer in it ("…if you just…", "I wonder if you could…").
# - "What if you…?" proposes (ADVICE); "What would happen if you…?" imagines (OPEN).
# - Invitations ("Tell me more", "Talk me through it") are OPEN questions in all but grammar.
# - A story of what the member did ("When this happened to me, I went to HR") is a
#   STATEMENT; "What worked for me was…" recommends, so it is ADVICE.
# - Quoted lines ("> …") are someone else's words and are ignored.
# - Without a "?", a closed question has to start like one with a person or thing after
#   it ("did your manager know"); "Had the same thing" is a story with the "I" left out.
# - Nothing readable (empty, an emoji, a mention, a lone "?") is a STATEMENT.
TABLE = [
    # Open questions.
    pytest.param("What have you tried so far?", OPEN, id="open-tried-so-far"),
    pytest.param("How do you feel about it?", OPEN, id="open-feel"),
    pytest.param("What would success look like?", OPEN, id="open-success"),
    pytest.param("What's stopping you?", OPEN, id="open-stopping"),
    pytest.param("Why does this matter to you?", OPEN, id="open-why-matters"),
    pytest.param("Who else is involved?", OPEN, id="open-who-else"),
    pytest.param("Where do you think the resistance comes from?", OPEN, id="open-where"),
    pytest.param("When did you first notice it?", OPEN, id="open-when"),
    pytest.param("Which option feels right to you?", OPEN, id="open-which"),
    pytest.param("How come it landed on you?", OPEN, id="open-how-come"),
    pytest.param("What else?", OPEN, id="open-what-else"),
    pytest.param("What, if anything, have you tried?", OPEN, id="open-if-anything"),
    pytest.param("What would happen if you did nothing?", OPEN, id="open-would-happen-if"),
    pytest.param("What do you think you should do?", OPEN, id="open-their-own-should"),
    pytest.param("Why not?", OPEN, id="open-why-not-alone"),
    pytest.param("How about you?", OPEN, id="open-how-about-you"),
    pytest.param("What about the budget?", OPEN, id="open-what-about-a-thing"),
    pytest.param("To what extent is this in your control?", OPEN, id="open-to-what-extent"),
    pytest.param("So you're saying what, exactly?", OPEN, id="open-question-word-inside"),
    pytest.param("Can I ask what you tried?", OPEN, id="open-can-i-ask"),
    pytest.param("Any thoughts?", OPEN, id="open-any-thoughts"),
    pytest.param(
        "What would you tell a friend in your position?", OPEN, id="open-in-your-position"
    ),
    # Invitations to say more.
    pytest.param("Tell me more about that.", OPEN, id="invite-tell-me-more"),
    pytest.param("Could you say a bit more about the deadline?", OPEN, id="invite-say-more"),
    pytest.param("Talk me through what happened.", OPEN, id="invite-talk-through"),
    pytest.param("I was wondering if you could talk us through it.", OPEN, id="invite-polite"),
    pytest.param("I'd love to hear more about your team.", OPEN, id="invite-love-to-hear"),
    # Question-ish forms.
    pytest.param("I wonder what would happen if you talked to her.", OPEN, id="wonder-happen"),
    pytest.param("I wonder what's really going on for you.", OPEN, id="wonder-what"),
    pytest.param("I wonder whether your manager knows.", CLOSED, id="wonder-whether"),
    pytest.param("I wonder if you could ask for help?", ADVICE, id="wonder-if-you-could"),
    pytest.param("What would happen if you just said no?", ADVICE, id="wonder-if-you-just"),
    pytest.param("Just curious — what did you try?", OPEN, id="just-curious-dash"),
    pytest.param("Just curious, how long has this been going on?", OPEN, id="just-curious-comma"),
    pytest.param("curious what your manager said", OPEN, id="curious-no-qmark"),
    # No question mark, lowercase, shouting.
    pytest.param("what did you try", OPEN, id="noqmark-what-did"),
    pytest.param("how do you feel about it", OPEN, id="noqmark-how"),
    pytest.param("what happened next", OPEN, id="noqmark-happened-next"),
    pytest.param("whats stopping you", OPEN, id="noqmark-no-apostrophe"),
    pytest.param("how long has this been going on", OPEN, id="noqmark-how-long"),
    pytest.param("WHAT WOULD SUCCESS LOOK LIKE", OPEN, id="noqmark-shouting"),
    pytest.param("did your manager know", CLOSED, id="noqmark-closed"),
    pytest.param("how you feel matters", STATEMENT, id="noqmark-wh-clause-statement"),
    pytest.param("what you could do is ask for help", ADVICE, id="noqmark-what-you-could-do"),
    # Closed questions.
    pytest.param("Did your manager know?", CLOSED, id="closed-manager-knew"),
    pytest.param("Is the deadline fixed?", CLOSED, id="closed-deadline"),
    pytest.param("Do you feel supported?", CLOSED, id="closed-supported"),
    pytest.param("Was that the first time?", CLOSED, id="closed-first-time"),
    pytest.param("Are there other people involved?", CLOSED, id="closed-others"),
    pytest.param("Have you talked to HR about it?", CLOSED, id="closed-talked-to-hr"),
    pytest.param("Can you say no?", CLOSED, id="closed-can-you-say-no"),
    pytest.param("Quick question: is the deadline fixed?", CLOSED, id="closed-quick-question"),
    pytest.param("The deadline is fixed?", CLOSED, id="closed-echo"),
    pytest.param("That must be hard, isn't it?", CLOSED, id="closed-tag"),
    # Advice dressed as a question.
    pytest.param("Have you tried talking to HR?", ADVICE, id="disguise-have-you-tried"),
    pytest.param("Have you thought about delegating?", ADVICE, id="disguise-thought-about"),
    pytest.param("Have you considered that she might be scared?", ADVICE, id="disguise-considered"),
    pytest.param("Did you try turning it off and on again?", ADVICE, id="disguise-did-you-try"),
    pytest.param("Why don't you just ask her?", ADVICE, id="disguise-why-dont-you"),
    pytest.param("Why not ask for help?", ADVICE, id="disguise-why-not"),
    pytest.param("Wouldn't it be better to wait?", ADVICE, id="disguise-wouldnt-it-be-better"),
    pytest.param("Could you just say no?", ADVICE, id="disguise-could-you-just"),
    pytest.param("Can't you just ignore it?", ADVICE, id="disguise-cant-you"),
    pytest.param("Shouldn't you talk to HR first?", ADVICE, id="disguise-shouldnt-you"),
    pytest.param("Don't you think you should tell her?", ADVICE, id="disguise-dont-you-think"),
    pytest.param("What about talking to your manager?", ADVICE, id="disguise-what-about-ing"),
    pytest.param("How about a weekly check-in?", ADVICE, id="disguise-how-about"),
    pytest.param("What if you told her how you feel?", ADVICE, id="disguise-what-if-you"),
    pytest.param("Would it help to write it down?", ADVICE, id="disguise-would-it-help"),
    pytest.param("Isn't it time you moved on?", ADVICE, id="disguise-isnt-it-time"),
    pytest.param("Would you consider delegating?", ADVICE, id="disguise-would-you-consider"),
    pytest.param("You could always ask for an extension?", ADVICE, id="disguise-you-could"),
    pytest.param("Maybe just tell her?", ADVICE, id="disguise-maybe-just"),
    pytest.param("have u tried yoga", ADVICE, id="disguise-text-speak"),
    # Advice said straight.
    pytest.param("Try talking to HR.", ADVICE, id="advice-try"),
    pytest.param("Talk to HR.", ADVICE, id="advice-talk-to"),
    pytest.param("You should speak to your manager.", ADVICE, id="advice-you-should"),
    pytest.param("I'd go straight to HR.", ADVICE, id="advice-id"),
    pytest.param("Personally I would escalate it.", ADVICE, id="advice-i-would"),
    pytest.param("If I were you, I'd quit.", ADVICE, id="advice-if-i-were-you"),
    pytest.param("In your shoes I'd say no.", ADVICE, id="advice-in-your-shoes"),
    pytest.param("My advice: sleep on it.", ADVICE, id="advice-my-advice"),
    pytest.param("I would suggest talking to her first.", ADVICE, id="advice-i-suggest"),
    pytest.param("Consider delegating.", ADVICE, id="advice-consider"),
    pytest.param("Just tell her how you feel.", ADVICE, id="advice-just"),
    pytest.param("Make sure you document everything.", ADVICE, id="advice-make-sure"),
    pytest.param("It might be worth talking to HR.", ADVICE, id="advice-worth"),
    pytest.param("Perhaps you could delegate some of it?", ADVICE, id="advice-perhaps"),
    pytest.param("Let's brainstorm some options.", ADVICE, id="advice-lets"),
    pytest.param("Have a word with your manager.", ADVICE, id="advice-have-a-word"),
    pytest.param("One option would be to push back.", ADVICE, id="advice-one-option"),
    pytest.param("The key is to stay calm.", ADVICE, id="advice-the-key-is"),
    pytest.param("I think you need to set boundaries.", ADVICE, id="advice-i-think-you-need"),
    pytest.param("Be honest with her.", ADVICE, id="advice-be-honest"),
    pytest.param("Don't give up!", ADVICE, id="advice-dont"),
    pytest.param("Sleep on it.", ADVICE, id="advice-sleep-on-it"),
    pytest.param("What worked for me was writing it all down.", ADVICE, id="advice-worked-for-me"),
    # Curly apostrophes, British and American spelling.
    pytest.param("What’s getting in the way?", OPEN, id="curly-open"),
    pytest.param("Why don’t you just ask her?", ADVICE, id="curly-why-dont"),
    pytest.param("I’d talk to HR.", ADVICE, id="curly-id"),
    pytest.param("Don’t give up!", ADVICE, id="curly-dont"),
    pytest.param("Prioritise the urgent work.", ADVICE, id="spelling-prioritise"),
    pytest.param("Prioritize the urgent work.", ADVICE, id="spelling-prioritize"),
    pytest.param("Organise a meeting with them.", ADVICE, id="spelling-organise"),
    pytest.param("Have you had a word with HR?", ADVICE, id="british-had-a-word"),
    pytest.param("Would it be an idea to ask HR?", ADVICE, id="british-an-idea"),
    pytest.param("Have you got support at home?", CLOSED, id="british-have-you-got"),
    # Statements and stories.
    pytest.param("That sounds really hard.", STATEMENT, id="statement-empathy"),
    pytest.param("Thanks for sharing.", STATEMENT, id="statement-thanks"),
    pytest.param("I had the same problem last year.", STATEMENT, id="story-same-problem"),
    pytest.param(
        "Last year my team went through something similar and it was tough.",
        STATEMENT,
        id="story-last-year",
    ),
    pytest.param(
        "When this happened to me, I went straight to HR.", STATEMENT, id="story-what-i-did"
    ),
    pytest.param("What happened was she left.", STATEMENT, id="story-what-happened-was"),
    pytest.param("Had the same thing at my last job.", STATEMENT, id="story-dropped-subject"),
    pytest.param("You must be exhausted.", STATEMENT, id="statement-must-be"),
    pytest.param("I'd feel the same.", STATEMENT, id="statement-id-feel"),
    pytest.param("I'd be furious.", STATEMENT, id="statement-id-be"),
    pytest.param("I think that's really brave.", STATEMENT, id="statement-i-think"),
    pytest.param("Look, I get it.", STATEMENT, id="statement-look-lead-in"),
    pytest.param("Can't wait to hear how it goes!", STATEMENT, id="statement-cant-wait"),
    pytest.param("Makes sense.", STATEMENT, id="statement-makes-sense"),
    pytest.param("Good luck!", STATEMENT, id="statement-good-luck"),
    pytest.param("Me too!", STATEMENT, id="statement-me-too"),
    pytest.param("+1", STATEMENT, id="statement-plus-one"),
    # Several sentences in one message.
    pytest.param(
        "I had the same problem. What did your manager say?", OPEN, id="multi-story-then-open"
    ),
    pytest.param("That sounds hard. Did your manager know?", CLOSED, id="multi-then-closed"),
    pytest.param("Talk to HR. What do you think?", ADVICE, id="multi-advice-then-question"),
    pytest.param("What have you tried? Maybe talk to HR.", ADVICE, id="multi-question-then-advice"),
    pytest.param(
        "Is the deadline fixed? What happens if it slips?", OPEN, id="multi-closed-then-open"
    ),
    pytest.param("That sounds hard, what did you try?", OPEN, id="multi-comma-splice"),
    pytest.param("I hear you, but what do you want?", OPEN, id="multi-but"),
    pytest.param("Thanks for sharing! How are you feeling now?", OPEN, id="multi-thanks-then"),
    pytest.param("I know it's hard, but you should tell her.", ADVICE, id="multi-but-advice"),
    pytest.param("That's tough, have you tried yoga?", ADVICE, id="multi-comma-disguise"),
    pytest.param("Same here.\nHow did the team react?", OPEN, id="multi-newline"),
    # Slack markup.
    pytest.param("<@U012AB3CD> what did you try?", OPEN, id="slack-mention"),
    pytest.param(
        "<@U012AB3CD> have you tried talking to <@U045EF6GH>?", ADVICE, id="slack-mentions"
    ),
    pytest.param(
        "Have you looked at <https://example.com/guide?id=1|this guide>?",
        ADVICE,
        id="slack-link-label",
    ),
    pytest.param("Check out <https://example.com/guide>", ADVICE, id="slack-bare-link"),
    pytest.param(
        "I wrote about this here <https://blog.example.com/post?id=7>",
        STATEMENT,
        id="slack-link-query-is-not-a-question",
    ),
    pytest.param("*What* have you tried so far?", OPEN, id="slack-bold"),
    pytest.param("_Why don't you_ ask her?", ADVICE, id="slack-italic"),
    pytest.param("~Silly question~ what's stopping you?", OPEN, id="slack-strike"),
    pytest.param("`git blame` shows who changed it.", STATEMENT, id="slack-code"),
    pytest.param("Q&amp;A: what did you learn?", OPEN, id="slack-entity"),
    pytest.param("&gt; What should I do?\nHave you tried yoga?", ADVICE, id="slack-quote-advice"),
    pytest.param(
        "&gt; I don't know where to start\nWhat options can you see?", OPEN, id="slack-quote-open"
    ),
    pytest.param("&gt; Should I quit?", STATEMENT, id="slack-only-a-quote"),
    pytest.param("What did you try? :thinking_face:", OPEN, id="emoji-trailing"),
    pytest.param(":thinking_face: what did you try", OPEN, id="emoji-leading"),
    pytest.param("What’s stopping you 🤔", OPEN, id="emoji-unicode"),
    pytest.param("Have you tried yoga? :sweat_smile:", ADVICE, id="emoji-after-advice"),
    pytest.param("Thanks :pray::skin-tone-3:", STATEMENT, id="emoji-skin-tone"),
    pytest.param("Nice :)", STATEMENT, id="emoji-emoticon"),
    # Nothing to read.
    pytest.param("", STATEMENT, id="empty"),
    pytest.param("   ", STATEMENT, id="whitespace"),
    pytest.param("\n\t", STATEMENT, id="newline-and-tab"),
    pytest.param(":+1:", STATEMENT, id="only-emoji-code"),
    pytest.param("🙂", STATEMENT, id="only-unicode-emoji"),
    pytest.param("👍🏽", STATEMENT, id="only-emoji-with-skin-tone"),
    pytest.param("<@U012AB3CD>", STATEMENT, id="only-a-mention"),
    pytest.param("<!here>", STATEMENT, id="only-here"),
    pytest.param("?", STATEMENT, id="only-a-question-mark"),
    pytest.param("...", STATEMENT, id="only-dots"),
]


@pytest.mark.parametrize(("text", "kind"), TABLE)
def test_classify(text: str, kind: Kind) -> None:
    assert classify(text) is kind


def test_the_table_is_big_enough_to_trust() -> None:
    assert len(TABLE) >= 80
    assert {param.values[1] for param in TABLE} == set(Kind)


@pytest.mark.parametrize(
    "rule", [*ADVICE_ANYWHERE, *OPENINGS], ids=lambda rule: rule.example.lower()
)
def test_every_rule_is_true_to_its_example(rule: Rule) -> None:
    assert classify(rule.example) is rule.kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("What have you tried so far?", True, id="open"),
        pytest.param("Did your manager know?", True, id="closed"),
        pytest.param("Have you tried talking to HR?", False, id="advice-in-disguise"),
        pytest.param("I had the same problem.", False, id="statement"),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert is_question(text) is expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        pytest.param("What have you tried so far?", 6, id="plain"),
        pytest.param("<@U012AB3CD> what did you *really* try? :thinking_face:", 5, id="markup"),
        pytest.param("Read <https://example.com/a?b=1|this book> &amp; tell me", 5, id="link"),
        pytest.param("Check <https://example.com>", 2, id="bare-link-is-one-word"),
        pytest.param("<#C012AB3CD|leaders> is quiet", 3, id="channel"),
        pytest.param("don’t stop — ever 🙂", 3, id="punctuation-and-emoji"),
        pytest.param("&gt; quoted words\nmine", 1, id="quote-not-counted"),
        pytest.param("&lt;@U1&gt; typed", 2, id="escaped-text-is-not-a-mention"),
        pytest.param(":+1: 🙂 <@U1> <!channel>", 0, id="nothing-but-markup"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_word_count(text: str, count: int) -> None:
    assert word_count(text) == count


def test_plain_text_keeps_the_words_and_drops_the_markup() -> None:
    slack = "<@U1> *Have* you read <https://example.com|_this_>? :book: &amp; `that`"
    assert plain_text(slack) == "Have you read this? & that"


@pytest.mark.parametrize("kind", [OPEN, CLOSED])
def test_questions_get_no_hint(kind: Kind) -> None:
    assert coaching_hint(kind) is None


@pytest.mark.parametrize("kind", [ADVICE, STATEMENT])
def test_hints_are_short_plain_and_point_at_an_open_question(kind: Kind) -> None:
    for seed in range(-3, 2 * len(EXAMPLE_QUESTIONS)):
        hint = coaching_hint(kind, seed=seed)
        assert hint is not None and len(hint) < 200
        assert "open question" in hint and any(q in hint for q in EXAMPLE_QUESTIONS)


@pytest.mark.parametrize("kind", [ADVICE, STATEMENT])
def test_hints_rotate_their_example_by_seed(kind: Kind) -> None:
    seeds = range(len(EXAMPLE_QUESTIONS))
    hints = [coaching_hint(kind, seed=seed) for seed in seeds]

    assert len(set(hints)) == len(EXAMPLE_QUESTIONS)
    assert hints == [coaching_hint(kind, seed=seed) for seed in seeds]
    assert coaching_hint(kind, seed=len(EXAMPLE_QUESTIONS)) == coaching_hint(kind, seed=0)


@pytest.mark.parametrize("question", EXAMPLE_QUESTIONS)
def test_the_hints_practise_what_they_preach(question: str) -> None:
    assert classify(question) is OPEN


SLACKISH = st.sampled_from(
    [
        "<@U1>",
        "<http://x.io?a=1|x>",
        "<#C1>",
        "<!here>",
        ":smile:",
        "&gt;",
        "&amp;",
        "*",
        "_",
        "~",
        "`",
        "?",
        "’",
        "—",
        ",",
        "\n",
        "> ",
        "🙂",
        "👍🏽",
        "what",
        "you",
        "just",
        "if",
        "try",
    ]
)


@settings(max_examples=300)
@given(st.text() | st.lists(SLACKISH | st.text(max_size=5)).map(" ".join))
def test_any_text_is_read_without_crashing(text: str) -> None:
    assert classify(text) in set(Kind)
    assert word_count(text) >= 0
    assert is_question(text) is (classify(text) in (OPEN, CLOSED))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("what, " * 6000 + "?", id="many-commas"),
        pytest.param("why" + "!?" * 20000, id="long-punctuation"),
        pytest.param(":a" * 20000, id="half-an-emoji-code"),
        pytest.param("*_~" * 13000 + "x", id="formatting-run"),
        pytest.param("have you " * 4000 + " " * 4000 + ";", id="long-sentence"),
    ],
)
def test_a_message_at_slacks_size_limit_is_read_quickly(text: str) -> None:
    started = time.perf_counter()
    classify(text)
    assert time.perf_counter() - started < 2
