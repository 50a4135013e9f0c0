"""The thread's small Markdown subset, rendered server-side to sanitized HTML."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# Bold, italic, links, lists, inline code; raw HTML is never passed through.
_markdown = (
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    .enable(["emphasis", "link", "list", "backticks", "newline", "paragraph"])
)

# Built once: nh3.clean() would convert these rules again for every message.
_sanitizer = nh3.Cleaner(
    tags={"p", "strong", "em", "a", "ul", "ol", "li", "code", "br"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


# A one-line body of words, single inner spaces and these punctuation marks is one plain
# paragraph for the parser (no emphasis, link, list, code, break or entity can start), so it is
# rendered without it; it may not start with a digit or list marker. (Same output: tested.)
_PLAIN = re.compile(r"(?![0-9 +#=-])(?:[^\W_]|[,.;:?!'@%/$()+#=-]|(?<! ) (?! ))+(?<! )")


def render_markdown(body: str) -> str:
    """Sanitized HTML for a message body."""
    if _PLAIN.fullmatch(body):
        return f"<p>{html.escape(body, quote=False)}</p>"
    return _sanitizer.clean(_markdown.render(body)).strip()
