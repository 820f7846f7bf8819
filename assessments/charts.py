"""Charts drawn by the project itself: server-rendered SVG, no script and nothing from a CDN.

Positions along the bars are percentages of the chart's width and text keeps its pixel size,
so the chart fills a phone's width (390 px) as it fills a desktop's without shrinking the
labels: each department's name sits on its own line above its two bars and the values sit in a
right-hand column. Every bar has a <title> (a tooltip and a screen-reader name); the page shows
the same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR_AREA = 78  # % of the width for the bars; the values are right-aligned in the rest
LABEL_HEIGHT = 18
BAR_HEIGHT = 12
BAR_GAP = 3
GROUP_GAP = 12
LEGEND_HEIGHT = 26
AXIS_HEIGHT = 18
LABEL_MAX_CHARS = 28


@dataclass(frozen=True)
class Bar:
    """One bar: a fraction in [0, 1] (None: nothing to measure) and its visible text."""

    value: float | None
    text: str
    title: str


@dataclass(frozen=True)
class BarGroup:
    """One department: its name and one bar per series, in the order of the series."""

    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str


def percent_text(value: float | None) -> str:
    """0.756 → "75.6%"; None → "—" (no denominator)."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def ratio_bar(*, numerator: int, denominator: int, fraction: float | None, department: str,
              series: str) -> Bar:
    """A bar for "numerator of denominator" with its percentage, e.g. 3/4 · 75%."""
    if not denominator:
        return Bar(value=None, text="—", title=_("%(department)s · %(series)s: none") % {
            "department": department, "series": series})
    text = f"{numerator}/{denominator} · {percent_text(fraction)}"
    return Bar(value=fraction, text=text, title=f"{department} · {series}: {text}")


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX_CHARS else label[:LABEL_MAX_CHARS - 1] + "…"


def grouped_bars_svg(*, groups: list[BarGroup], series: list[Series], title: str,
                     description: str, chart_id: str = "chart") -> SafeString:
    """Horizontal grouped bars (one group per department, one bar per series), scaled 0–100 %.
    All text is escaped; `chart_id` makes the ids of <title>/<desc> unique on the page."""
    group_height = LABEL_HEIGHT + len(series) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    height = LEGEND_HEIGHT + AXIS_HEIGHT + max(len(groups), 1) * group_height
    parts: list[str] = [
        format_html('<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
                    chart_id, title, chart_id, description),
        _legend(series),
        _axis(top=LEGEND_HEIGHT, bottom=height),
    ]
    y = LEGEND_HEIGHT + AXIS_HEIGHT
    for group in groups:
        parts.append(_group(group, series=series, top=y))
        y += group_height
    if not groups:
        parts.append(format_html('<text x="0" y="{}" class="chart__empty">{}</text>',
                                 y + LABEL_HEIGHT - 4, _("No departments to show.")))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--bars" width="100%" '
        'height="{}" role="img" aria-labelledby="{}-title {}-desc" '
        'font-family="inherit" font-size="12">{}</svg>',
        height, chart_id, chart_id, mark_safe("".join(parts)))  # noqa: S308 - parts are built by format_html


def _legend(series: list[Series]) -> str:
    items = []
    for index, item in enumerate(series):
        x = index * 45
        items.append(format_html(
            '<rect x="{}%" y="4" width="12" height="12" class="{}"/>'
            '<text x="{}%" y="15" dx="16">{}</text>', x, item.css_class, x, item.name))
    return format_html('<g class="chart__legend">{}</g>', mark_safe("".join(items)))  # noqa: S308


def _axis(*, top: int, bottom: int) -> str:
    lines = []
    for fraction in (0, 0.5, 1):
        x = fraction * BAR_AREA
        anchor = "start" if fraction == 0 else ("end" if fraction == 1 else "middle")
        lines.append(format_html(
            '<line x1="{}%" x2="{}%" y1="{}" y2="{}" class="chart__grid"/>'
            '<text x="{}%" y="{}" text-anchor="{}" class="chart__tick">{}</text>',
            x, x, top + AXIS_HEIGHT - 4, bottom, x, top + 12, anchor,
            percent_text(fraction)))
    return format_html('<g class="chart__axis" aria-hidden="true">{}</g>',
                       mark_safe("".join(lines)))  # noqa: S308


def _group(group: BarGroup, *, series: list[Series], top: int) -> str:
    bars = []
    y = top + LABEL_HEIGHT
    for item, bar in zip(series, group.bars, strict=True):
        if bar.value is not None:
            width = max(0.0, min(1.0, bar.value)) * BAR_AREA
            bars.append(format_html(
                '<rect x="0" y="{}" width="{}%" height="{}" class="{}"><title>{}</title></rect>',
                y, f"{width:.2f}", BAR_HEIGHT, item.css_class, bar.title))
        bars.append(format_html(
            '<text x="100%" y="{}" text-anchor="end" class="chart__value">'
            '<title>{}</title>{}</text>', y + BAR_HEIGHT - 2, bar.title, bar.text))
        y += BAR_HEIGHT + BAR_GAP
    return format_html(
        '<g class="chart__group"><text x="0" y="{}" class="chart__label"><title>{}</title>{}'
        '</text>{}</g>', top + LABEL_HEIGHT - 5, group.label, _short(group.label),
        format_html_join("", "{}", ((mark_safe(bar),) for bar in bars)))  # noqa: S308
