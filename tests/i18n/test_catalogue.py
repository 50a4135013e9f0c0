"""Every page template string is marked for translation, and every message has its translations."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "hub" / "translations"
# Attributes people read (or hear from a screen reader).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm", "aria-description", "label"}
# Names and codes that stay as they are in every language (examples of codes in placeholders too).
UNTRANSLATED = {"Clearance Hub", "API", "B", "KB", "MB", "Europe/Berlin", "FR", "DE"}
HOLE = "\x00"
LETTER = re.compile(r"[^\W\d_]")


def page_templates() -> list[Path]:
    """Every HTML template except the emails (their own catalogue entries exist)."""
    return sorted(p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts)


def _flatten(source: str) -> str:
    """The template's literal HTML, with each `{{ }}` and `{% %}` replaced by a hole."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    parts = []
    for _line, kind, value in env.lex(source):
        if kind == "data":
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append(HOLE)
    return "".join(parts)


def _unmarked(text: str) -> bool:
    for chunk in text.split(HOLE):
        words = chunk.strip(" \n\t·,:;()—–-→←✓*+/|?!.")
        if words and words not in UNTRANSLATED and LETTER.search(words):
            return True
    return False


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _unmarked(value):
                self.found.append(f'{tag}[{name}="{value.replace(HOLE, "")}"]')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and _unmarked(data):
            self.found.append(data.replace(HOLE, " ").strip())


def unmarked_strings(source: str) -> list[str]:
    """Literal text and read attributes of a template that are not inside `{{ _() }}`."""
    finder = _Finder()
    finder.feed(_flatten(source))
    return finder.found


def test_the_check_sees_an_unmarked_string() -> None:
    assert unmarked_strings('<p title="Open it">{{ _("Hello") }} world</p>') == ['p[title="Open it"]', "world"]
    assert unmarked_strings('<p title="{{ _("Open") }}">{{ _("Hello") }} {{ name }}</p>') == []


@pytest.mark.parametrize("path", page_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_template_string_is_marked(path: Path) -> None:
    assert unmarked_strings(path.read_text()) == []


@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_every_message_is_translated(locale: str) -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id, message.context)
        strings = found.string if found is not None else None
        if found is None or found.fuzzy or not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(message.id)
    assert missing == []
