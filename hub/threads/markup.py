"""The thread's small Markdown subset, rendered server-side to sanitized HTML."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Bold, italic, links, lists, inline code; raw HTML is never passed through.
_markdown = (
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    .enable(["emphasis", "link", "list", "backticks", "newline", "paragraph"])
)

_ALLOWED_TAGS = {"p", "strong", "em", "a", "ul", "ol", "li", "code", "br"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(body: str) -> str:
    """Sanitized HTML for a message body."""
    html = _markdown.render(body)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
