"""Small charts drawn on the server as inline SVG: no JavaScript library, readable without
scripts, printable. Pure functions of their input, so they are easy to test."""

import datetime
import math
from html import escape

# Drawing units (the SVG scales to its container through its viewBox, so draw it about the size
# it is shown at: text stays readable).
WIDTH, HEIGHT = 640, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 18, 34, 40
FONT_SIZE = 13
MAX_X_TICKS = 6
MAX_Y_TICKS = 5
# A single date is shown in a window this many days either side of it.
SINGLE_DATE_PAD_DAYS = 15

LINE_COLOUR = "#0b6e99"
MARKER_COLOUR = "#a33b00"
AXIS_COLOUR = "#55606a"
GRID_COLOUR = "#dde3e8"
TEXT_COLOUR = "#1b2a2f"
AFTER_FILL = "#1b7f3b"


def _default_date_label(day, kind):
    if kind == "year":
        return str(day.year)
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def _default_number(value, decimals):
    if decimals is None:
        return f"{value}"
    return f"{value:.{decimals}f}"


def _attr(value):
    return escape(str(value), quote=True)


def _num(value):
    """A coordinate, short and locale-independent."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_step(raw):
    """The smallest of 1, 2, 2.5, 5 × 10^n at least ``raw`` (> 0): (step, decimals to show it)."""
    exponent = math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * 10.0**exponent
        if step >= raw * (1 - 1e-9):
            break
    if factor == 10:
        factor, exponent = 1, exponent + 1
    decimals = max(0, -exponent + (1 if factor == 2.5 else 0))
    return round(step, 10), decimals


def y_ticks(max_value):
    """Ticks from 0 to a round number at or above ``max_value``: (values, decimals to show)."""
    top = max_value if max_value > 0 else 1
    step, decimals = nice_step(top / (MAX_Y_TICKS - 1))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)], decimals


def _month_index(day):
    return day.year * 12 + day.month - 1


def _from_month_index(index):
    return datetime.date(index // 12, index % 12 + 1, 1)


def x_ticks(start, end, dates, max_ticks=MAX_X_TICKS):
    """A few dates to label between ``start`` and ``end``: (dates, label kind)."""
    first, last = _month_index(start), _month_index(end)
    if start.day != 1:
        first += 1
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        aligned = first + (-first) % step
        ticks = [_from_month_index(i) for i in range(aligned, last + 1, step)]
        if len(ticks) <= max_ticks:
            break
    if len(ticks) >= 2:
        kind = "year" if step >= 12 else "month"
        return ticks, kind
    # A short span: label the measured dates themselves (at most a few of them).
    distinct = sorted(set(dates))
    if len(distinct) > 3:
        distinct = [distinct[0], distinct[len(distinct) // 2], distinct[-1]]
    return distinct, "day"


def _text(x, y, content, anchor="middle", extra=""):
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>{escape(str(content))}</text>'


def discharge_chart(
    points,
    marker_date=None,
    *,
    title="Discharge",
    description="",
    unit="L/s",
    marker_label="restored",
    empty_label="No measurements",
    format_date=_default_date_label,
    format_number=_default_number,
    id_prefix="chart",
    width=WIDTH,
    height=HEIGHT,
    font_size=FONT_SIZE,
    max_x_ticks=MAX_X_TICKS,
):
    """An SVG line chart of ``points`` ((date, value) pairs; None values are left out), with a
    vertical line at ``marker_date`` labelled ``marker_label`` and the period after it shaded.

    ``format_date(date, kind)`` labels a date ("year", "month" or "day"); ``format_number(value,
    decimals)`` a number (``decimals`` None: as measured). Every string is escaped here."""
    data = sorted(
        (day, float(value), value) for day, value in points if day is not None and value is not None
    )
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    labelled_by = title_id + (f" {desc_id}" if description else "")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{_attr(labelled_by)}" font-size="{font_size}" '
        f'fill="{TEXT_COLOUR}" font-family="system-ui, sans-serif">'
        f'<title id="{_attr(title_id)}">{escape(str(title))}</title>'
    )
    if description:
        head += f'<desc id="{_attr(desc_id)}">{escape(str(description))}</desc>'
    if not data:
        return head + _text(width / 2, height / 2, empty_label, extra=' class="chart-empty"') + "</svg>"

    dates = [day for day, _value, _raw in data]
    start, end = dates[0], dates[-1]
    if marker_date is not None:
        start, end = min(start, marker_date), max(end, marker_date)
    if start == end:
        pad = datetime.timedelta(days=SINGLE_DATE_PAD_DAYS)
        start, end = start - pad, end + pad
    span = (end - start).days

    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    # Keep points off the axes: a small inset at both ends of the time axis.
    inset = 10

    def x_of(day):
        return left + inset + (day - start).days / span * (right - left - 2 * inset)

    yvalues, decimals = y_ticks(max(value for _day, value, _raw in data))
    ymax = yvalues[-1]

    def y_of(value):
        return bottom - value / ymax * (bottom - top)

    parts = [head]

    # The period after the marker, shaded, then the grid and the axes.
    if marker_date is not None:
        xm = x_of(marker_date)
        parts.append(
            f'<rect class="chart-after" x="{_num(xm)}" y="{top}" width="{_num(right - xm)}" '
            f'height="{bottom - top}" fill="{AFTER_FILL}" fill-opacity="0.07"/>'
        )
    for value in yvalues:
        y = y_of(value)
        if value:
            parts.append(
                f'<line x1="{left}" y1="{_num(y)}" x2="{right}" y2="{_num(y)}" stroke="{GRID_COLOUR}"/>'
            )
        parts.append(
            _text(left - 6, y + font_size * 0.35, format_number(value, decimals), "end", ' class="tick-y"')
        )
    parts.append(_text(left - 6, top - 14, unit, "end", ' class="unit"'))
    parts.append(
        f'<path d="M{left} {top}V{bottom}H{right}" fill="none" stroke="{AXIS_COLOUR}" stroke-width="1.5"/>'
    )
    ticks, kind = x_ticks(start, end, dates, max_x_ticks)
    for day in ticks:
        x = x_of(day)
        parts.append(
            f'<line x1="{_num(x)}" y1="{bottom}" x2="{_num(x)}" y2="{bottom + 5}" stroke="{AXIS_COLOUR}"/>'
        )
        anchor = "start" if x - left < 30 else "end" if right - x < 30 else "middle"
        parts.append(_text(x, bottom + 8 + font_size, format_date(day, kind), anchor, ' class="tick-x"'))

    # The restoration marker.
    if marker_date is not None:
        xm = x_of(marker_date)
        parts.append(
            f'<line class="chart-marker" x1="{_num(xm)}" y1="{top - 6}" x2="{_num(xm)}" y2="{bottom}" '
            f'stroke="{MARKER_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>'
        )
        anchor = "end" if right - xm < 60 else "start" if xm - left < 60 else "middle"
        label = f"{marker_label} ({format_date(marker_date, 'day')})"
        style = f' class="marker-label" fill="{MARKER_COLOUR}" font-weight="600"'
        parts.append(_text(xm, top - 12, label, anchor, style))

    # The measurements: a line through them, and a point (with a tooltip) for each.
    coords = [(x_of(day), y_of(value)) for day, value, _raw in data]
    if len(coords) > 1:
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
        parts.append(
            f'<polyline class="chart-line" points="{path}" fill="none" stroke="{LINE_COLOUR}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    radius = 4 if len(coords) <= 40 else 3
    for (day, _value, raw), (x, y) in zip(data, coords, strict=True):
        tip = f"{format_date(day, 'day')}: {format_number(raw, None)} {unit}"
        parts.append(
            f'<circle class="chart-point" cx="{_num(x)}" cy="{_num(y)}" r="{radius}" fill="{LINE_COLOUR}" '
            f'stroke="#fff" stroke-width="1.5"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
