"""Plain bodies skip the Markdown parser but render exactly as the parser would."""

from __future__ import annotations

import random

import pytest

from hub.threads import markup


def _parsed(body: str) -> str:
    """The full path: Markdown parser, then the sanitizer (what every body went through)."""
    return markup._sanitizer.clean(markup._markdown.render(body)).strip()


PLAIN = ["Hello", "Container is at the port, ETA Tuesday.", "ping @li.wei: ok?", "Now 50% done; see /docs!",
         "Ärger über Zölle 税关", "it's $40", "a.b@c.example", "Update (3.14) - ok", "a+b=c #1"]
MARKED = ["**bold**", "_it_", "a *b* c", "[x](http://e.com)", "`code`", "- item", "1. one", "3) three",
          "two\nlines", "two  spaces", " leading", "trailing ", "<b>x</b>", "a & b", 'say "hi"', "a\\b",
          "+ plus", "# title", "-1", "= x", "(1) x]", "x_y_z", "a\u00a0b", "tab\there", "", "   "]


@pytest.mark.parametrize("body", PLAIN)
def test_plain_bodies_take_the_short_path_with_the_same_html(body):
    assert markup._PLAIN.fullmatch(body)
    assert markup.render_markdown(body) == _parsed(body)


@pytest.mark.parametrize("body", MARKED)
def test_bodies_with_markup_go_through_the_parser(body):
    assert not markup._PLAIN.fullmatch(body)
    assert markup.render_markdown(body) == _parsed(body)


def test_random_bodies_render_as_the_parser_renders_them():
    rng = random.Random(7)
    alphabet = "ab Z9 0 1.,;:?!'@%/$_*-+#=()[]<>&\"`\\\n\tÄ税\u00a0"
    for _ in range(20000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        assert markup.render_markdown(body) == _parsed(body), repr(body)


@pytest.mark.parametrize(("body", "href"), [
    ("see https://example.com/a?b=1.", "https://example.com/a?b=1"),
    ("x (https://e.com/p_(q)) y", "https://e.com/p_(q)"),
    ("**https://bold.example**", "https://bold.example"),
    ("http://plain.example/track/123", "http://plain.example/track/123"),
])
def test_bare_addresses_become_links_that_open_in_a_new_tab(body, href):
    html = markup.render_markdown(body)
    assert f'<a href="{href}" target="_blank" rel="noopener noreferrer nofollow">' in html
    assert html == _parsed(body)


def test_written_links_open_in_a_new_tab_and_code_is_left_alone():
    assert 'target="_blank" rel="noopener noreferrer' in markup.render_markdown("[docs](https://e.com)")
    assert "<a" not in markup.render_markdown("`https://code.example`")
    assert "<a" not in markup.render_markdown("javascript://x")
