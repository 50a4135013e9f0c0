"""Charts drawn on the server as SVG: horizontal bars people read at a glance, no script, no
inline style (colours come from hub.css classes, so the page's CSP holds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_ROW = 26
_LABEL_W = 210
_BAR_W = 380
_VALUE_W = 110


@dataclass(frozen=True)
class Bar:
    """One row: a label, its main value and an optional second value drawn behind it (a p90
    behind a median), and the text shown at its end."""

    label: str
    value: float
    behind: float | None = None
    text: str = ""


def _short(label: str, most: int = 26) -> str:
    """A label that fits left of the bars (the table under the chart has it whole)."""
    return label if len(label) <= most else label[: most - 1] + "…"


def bar_chart(title: str, bars: Sequence[Bar], kind: str = "plain") -> Markup:
    """An accessible SVG bar chart (`role="img"` with a title; the table under it has the numbers)."""
    width = _LABEL_W + _BAR_W + _VALUE_W
    height = max(1, len(bars)) * _ROW + 8
    top = max([b.value for b in bars] + [b.behind or 0 for b in bars] + [0])
    scale = _BAR_W / top if top > 0 else 0
    parts = [f'<svg class="chart chart-{escape(kind)}" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    if not bars:
        parts.append(f'<text class="chart-empty" x="0" y="{_ROW - 8}">—</text>')
    for index, bar in enumerate(bars):
        y = index * _ROW + 4
        parts.append(f'<text class="chart-label" x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">'
                     f"{escape(_short(bar.label))}</text>")
        if bar.behind is not None:
            parts.append(f'<rect class="chart-bar-behind" x="{_LABEL_W}" y="{y + 2}" '
                         f'width="{bar.behind * scale:.1f}" height="{_ROW - 8}" rx="3"/>')
        parts.append(f'<rect class="chart-bar" x="{_LABEL_W}" y="{y + 5}" width="{bar.value * scale:.1f}" '
                     f'height="{_ROW - 14}" rx="2"/>')
        end = _LABEL_W + max(bar.value, bar.behind or 0) * scale + 6
        parts.append(f'<text class="chart-value" x="{end:.1f}" y="{y + 15}">{escape(bar.text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
