"""The thread's small Markdown subset, rendered server-side to sanitized HTML."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

#: A bare web address in a message: up to the first space or angle bracket; trailing
#: punctuation and an unbalanced closing bracket belong to the sentence, not the address.
_BARE_URL = re.compile(r"https?://[^\s<>\"]+")
_TRAILING = ".,;:!?'*_"


def _url_end(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _linkify(state: StateCore) -> None:
    """Bare `http(s)://` addresses in text (not in links or code) become links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += 1 if token.type == "link_open" else -1 if token.type == "link_close" else 0
            if token.type != "text" or in_link or "://" not in token.content:
                children.append(token)
                continue
            text, position = token.content, 0
            for match in _BARE_URL.finditer(text):
                url = _url_end(match.group())
                if len(url) <= len("https://"):
                    continue
                if match.start() > position:
                    children.append(_text(text[position:match.start()], token.level))
                opening = Token("link_open", "a", 1, level=token.level)
                opening.attrs = {"href": state.md.normalizeLink(url)}
                children += [opening, _text(url, token.level + 1), Token("link_close", "a", -1, level=token.level)]
                position = match.start() + len(url)
            if position < len(text):
                children.append(_text(text[position:], token.level))
        block.children = children


def _text(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


# Bold, italic, links (and bare addresses), lists, inline code; raw HTML is never passed through.
_markdown = (
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    .enable(["emphasis", "link", "list", "backticks", "newline", "paragraph"])
)
_markdown.core.ruler.push("hub_linkify", _linkify)

# Built once: nh3.clean() would convert these rules again for every message. Links open in a
# new tab, without giving it the thread's window or address.
_sanitizer = nh3.Cleaner(
    tags={"p", "strong", "em", "a", "ul", "ol", "li", "code", "br"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
)


# A one-line body of words, single inner spaces and these punctuation marks is one plain
# paragraph for the parser (no emphasis, link, list, code, break or entity can start), so it is
# rendered without it; it may not start with a digit or list marker. (Same output: tested.)
_PLAIN = re.compile(r"(?!.*://)(?![0-9 +#=-])(?:[^\W_]|[,.;:?!'@%/$()+#=-]|(?<! ) (?! ))+(?<! )")


def render_markdown(body: str) -> str:
    """Sanitized HTML for a message body."""
    if _PLAIN.fullmatch(body):
        return f"<p>{html.escape(body, quote=False)}</p>"
    return _sanitizer.clean(_markdown.render(body)).strip()
