"""Small server-drawn SVG charts for the dashboard: no JavaScript, no library, readable on a phone.

The SVG is a picture of a table that the page also shows, so it is marked ``role="img"`` with a
title and a description; screen readers get the numbers from the table."""

import math

from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import mark_safe


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ that is ≥ ``value`` (the top of the y axis)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return top
    return 10 ** (exponent + 1)  # pragma: no cover (the loop always returns)


def _number(value):
    """One decimal at most, as the page's language writes it: "1,5" in Azerbaijani, "2" for 2.0."""
    return str(floatformat(value, -1))


def bar_chart_svg(bars, *, title, description, unit="", width=600, height=220, label_every=1):
    """An inline SVG bar chart.

    ``bars`` is a list of ``(label, value)``; ``value`` may be ``None`` (no data: no bar, a small
    tick on the axis instead). Labels are shown under every ``label_every``-th bar. Returns safe
    HTML; every text is escaped."""
    left, right, top, bottom = 44, 8, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _label, v in bars if v is not None]
    y_max = nice_ceiling(max(values, default=0))
    parts = [
        f'<svg class="bar-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    # Horizontal grid lines and y-axis labels: 0, ¼, ½, ¾ and the top.
    for i in range(5):
        value = y_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
            f'<text class="y-label" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value))}</text>"
        )
    if unit:
        parts.append(f'<text class="unit" x="4" y="{top - 2}">{escape(unit)}</text>')
    count = max(len(bars), 1)
    slot = plot_w / count
    bar_w = max(slot * 0.7, 1)
    for index, (label, value) in enumerate(bars):
        x = left + slot * index + (slot - bar_w) / 2
        centre = left + slot * index + slot / 2
        if value is None:
            parts.append(
                f'<line class="no-data" x1="{centre:.1f}" y1="{top + plot_h - 3:.1f}" '
                f'x2="{centre:.1f}" y2="{top + plot_h:.1f}"/>'
            )
        else:
            bar_h = plot_h * value / y_max if y_max else 0
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" '
                f'width="{bar_w:.1f}" height="{bar_h:.1f}">'
                f"<title>{escape(label)}: {escape(_number(value))} {escape(unit)}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text class="x-label" x="{centre:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
