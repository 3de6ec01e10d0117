"""The one place member text is made safe for Slack, and people are named."""

from __future__ import annotations

from bot.ui.mrkdwn import clip, escape, mention, mentions, quote_back


def test_typed_text_cannot_ping_the_channel_or_forge_a_link() -> None:
    assert escape("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"


def test_echoed_commands_are_short_single_line_and_safe() -> None:
    echoed = quote_back("add\n<@U1>   `rm`" + "x" * 100)
    assert "\n" not in echoed and "`" not in echoed and "<@" not in echoed
    assert len(echoed) <= 60


def test_clipping_marks_the_cut() -> None:
    assert clip("abcdef", 4) == "abc…" and clip("abc", 4) == "abc"


def test_someone_forgotten_is_never_mentioned() -> None:
    assert mention("U0ASHA") == "<@U0ASHA>"
    assert mention("U-forgotten-1a2b3c") == "a former member"
    assert mentions([]) == "no one"
