"""The server-drawn discharge chart: valid SVG for 0, 1 and many points, the restoration marker,
and every given string escaped."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from projects.charts import discharge_chart, nice_step, x_ticks, y_ticks

SVG = "{http://www.w3.org/2000/svg}"
D = datetime.date


def parse(svg):
    """The chart must be well-formed XML (an SVG that a browser draws)."""
    return ET.fromstring(svg)


def texts(root, cls=None):
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if cls is None or t.get("class") == cls]


def points_of(root):
    return root.findall(f".//{SVG}circle[@class='chart-point']")


def test_no_points_gives_a_labelled_svg_with_the_empty_message():
    root = parse(discharge_chart([], title="Discharge", empty_label="No measurements yet"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Discharge"
    assert texts(root) == ["No measurements yet"]
    assert points_of(root) == []
    assert root.find(f".//{SVG}polyline") is None


def test_values_that_are_none_are_left_out():
    root = parse(discharge_chart([(D(2024, 3, 13), None)], empty_label="Nothing"))
    assert texts(root) == ["Nothing"]


def test_one_point_is_drawn_with_its_date_and_value():
    root = parse(discharge_chart([(D(2024, 3, 13), Decimal("9.50"))]))
    circles = points_of(root)
    assert len(circles) == 1
    assert circles[0].find(f"{SVG}title").text == "2024-03-13: 9.50 L/s"
    # No line through a single point, but the date is labelled on the axis.
    assert root.find(f".//{SVG}polyline") is None
    assert texts(root, "tick-x") == ["2024-03-13"]
    # Its value is within the axis: 0 to 10 L/s.
    assert float(texts(root, "tick-y")[0]) == 0
    assert float(texts(root, "tick-y")[-1]) >= 9.5


def test_many_points_are_joined_in_date_order_with_labelled_axes():
    values = [(D(2023, 1, 1) + datetime.timedelta(days=30 * i), Decimal(i % 7 + 2)) for i in range(36)]
    shuffled = values[::2] + values[1::2]
    root = parse(discharge_chart(shuffled))
    circles = points_of(root)
    assert len(circles) == 36
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs), "points are drawn left to right in date order"
    line = root.find(f".//{SVG}polyline")
    assert len(line.get("points").split()) == 36
    # Three years: a few month or year ticks, and L/s ticks from 0 to at least the maximum.
    x_labels = texts(root, "tick-x")
    assert 2 <= len(x_labels) <= 6
    assert all(re.fullmatch(r"20\d\d(-\d\d)?", label) for label in x_labels)
    assert x_labels[0].startswith("2023")
    narrow = parse(discharge_chart(shuffled, max_x_ticks=3))
    assert texts(narrow, "tick-x") == ["2023", "2024", "2025"]
    y_labels = [float(t) for t in texts(root, "tick-y")]
    assert y_labels[0] == 0 and y_labels[-1] >= 8
    assert 3 <= len(y_labels) <= 6
    assert texts(root, "unit") == ["L/s"]
    # Higher values are drawn higher (smaller y).
    by_value = {
        float(c.find(f"{SVG}title").text.split(": ")[1].split()[0]): float(c.get("cy")) for c in circles
    }
    assert by_value[8.0] < by_value[2.0]


def test_marker_is_drawn_between_the_points_before_and_after_it():
    points = [(D(2024, 1, 10), 3), (D(2024, 3, 10), 4), (D(2024, 9, 10), 11), (D(2024, 11, 10), 12)]
    root = parse(discharge_chart(points, D(2024, 6, 30), marker_label="restored"))
    marker = root.find(f".//{SVG}line[@class='chart-marker']")
    assert marker is not None
    xm = float(marker.get("x1"))
    xs = [float(c.get("cx")) for c in points_of(root)]
    assert xs[1] < xm < xs[2]
    assert texts(root, "marker-label") == ["restored (2024-06-30)"]
    # The period after the marker is shaded from the marker to the right edge.
    after = root.find(f".//{SVG}rect[@class='chart-after']")
    assert float(after.get("x")) == xm


def test_marker_outside_the_measured_dates_widens_the_time_axis():
    points = [(D(2024, 9, 10), 11), (D(2024, 11, 10), 12)]
    root = parse(discharge_chart(points, D(2024, 1, 15)))
    xm = float(root.find(f".//{SVG}line[@class='chart-marker']").get("x1"))
    assert xm < min(float(c.get("cx")) for c in points_of(root))
    assert float(root.get("viewBox").split()[2]) > xm > 0


def test_without_marker_there_is_no_marker():
    root = parse(discharge_chart([(D(2024, 1, 10), 3), (D(2024, 3, 10), 4)]))
    assert root.find(f".//{SVG}line[@class='chart-marker']") is None
    assert texts(root, "marker-label") == []


def test_every_given_string_is_escaped():
    nasty = '<script>alert("x")</script> & "quoted"'
    svg = discharge_chart(
        [(D(2024, 1, 10), 3), (D(2024, 3, 10), 4)],
        D(2024, 2, 1),
        title=nasty,
        description=nasty,
        unit=nasty,
        marker_label=nasty,
        format_date=lambda day, kind: nasty,
        format_number=lambda value, decimals: nasty,
        id_prefix='x" onload="alert(1)',
    )
    assert "<script>" not in svg
    assert 'onload="' not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == nasty
    assert root.find(f"{SVG}desc").text == nasty
    assert nasty in texts(root, "unit")
    assert texts(root, "marker-label") == [f"{nasty} ({nasty})"]


def test_empty_chart_escapes_its_message():
    svg = discharge_chart([], title="<b>", empty_label="<i>none</i>")
    assert "<i>" not in svg and "<b>" not in svg
    assert texts(parse(svg)) == ["<i>none</i>"]


def test_the_svg_is_labelled_by_its_title_and_description():
    root = parse(discharge_chart([(D(2024, 1, 10), 3)], title="T", description="D", id_prefix="c1"))
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").get("id") == "c1-desc"


def test_size_options_set_the_view_box_and_the_text_size():
    root = parse(discharge_chart([(D(2024, 1, 10), 3)], width=340, height=240, font_size=12))
    assert root.get("viewBox") == "0 0 340 240"
    assert root.get("font-size") == "12"


def test_formatters_label_dates_and_numbers():
    points = [(D(2024, 1, 10), Decimal("3.25")), (D(2024, 9, 10), Decimal("12.5"))]
    svg = discharge_chart(
        points,
        format_date=lambda day, kind: f"{kind}:{day:%d.%m.%Y}",
        format_number=lambda value, decimals: str(value).replace(".", ","),
    )
    root = parse(svg)
    assert all(label.startswith("month:01.") for label in texts(root, "tick-x"))
    tips = [c.find(f"{SVG}title").text for c in points_of(root)]
    assert tips == ["day:10.01.2024: 3,25 L/s", "day:10.09.2024: 12,5 L/s"]


def test_all_zero_values_still_have_an_axis():
    root = parse(discharge_chart([(D(2024, 1, 10), 0), (D(2024, 2, 10), 0)]))
    cys = {float(c.get("cy")) for c in points_of(root)}
    assert len(cys) == 1
    assert len(texts(root, "tick-y")) >= 2
    assert not any(
        re.search(r"nan|inf", v, re.I)
        for v in re.findall(r'"([^"]*)"', discharge_chart([(D(2024, 1, 10), 0), (D(2024, 2, 10), 0)]))
    )


def test_nice_steps_and_ticks():
    assert nice_step(3.7) == (5, 0)
    assert nice_step(0.3) == (0.5, 1)
    assert nice_step(2.4) == (2.5, 1)
    assert nice_step(24) == (25, 0)
    assert y_ticks(12) == ([0, 5, 10, 15], 0)
    assert y_ticks(9.5)[0][-1] == 10
    ticks, kind = x_ticks(D(2022, 1, 5), D(2025, 9, 1), [])
    assert kind == "year" and ticks == [D(2023, 1, 1), D(2024, 1, 1), D(2025, 1, 1)]
    ticks, kind = x_ticks(D(2024, 3, 13), D(2024, 3, 14), [D(2024, 3, 13)])
    assert kind == "day" and ticks == [D(2024, 3, 13)]
