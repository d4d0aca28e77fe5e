"""The printable report of a project or a district, for all time or a period: what it says, in a
fixed number of queries whatever the number of kəhriz.

The public reads it (anyone may download the PDF), so it shows the same records to everyone:
**published, real** kəhriz only; synthetic demo records and unpublished kəhriz are left out, and
said to be. Monitoring visits show their dates, purpose, organisations, the kəhriz observed and
the *roles* of the people met: never a name (participants and people met are people's names).

A scope is a project, or a district (every project active there, its results counted within the
district), optionally narrowed to a period ``start``–``end`` (both included). What each figure
means is written in :func:`data_note`, from :mod:`projects.results`' rules."""

import datetime
import math
import struct
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.gis.geos import Polygon
from django.db.models import Avg, Count, FloatField, Func, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from projects.charts import discharge_chart
from projects.dashboard_charts import bar_chart_svg
from projects.models import (
    District,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Project,
    Status,
)
from projects.models.results import Reports
from projects.results import RESTORED_STATUSES, project_results
from projects.views.common import FUNCTIONALITY_COLOURS, STATUS_COLOURS
from projects.views.dashboard import chart_month

# At most this many visits are listed (the latest of the period), and this many kəhriz get their
# own discharge chart (those measured most often in the period): the rest are counted and named
# as such, so that a report of 10,000 kəhriz stays a report.
MAX_VISITS = 20
MAX_KEHRIZ_CHARTS = 6
# The monthly discharge chart covers the period's months (the last 24 months without a period),
# at most this many.
MAX_MONTHS = 36
DEFAULT_MONTHS = 24

# The map, in drawing units (about the size it is printed at on A4).
MAP_WIDTH, MAP_HEIGHT, MAP_PAD = 680, 440, 16


def public(queryset, prefix=""):
    """What the public sees: published, real kəhriz (``prefix``: the path to a related kəhriz)."""
    return queryset.filter(**{f"{prefix}is_published": True, f"{prefix}is_synthetic": False})


def localised(az, en):
    return en if (get_language() or "").startswith("en") and en else az


def number(value):
    """A figure as the page's language writes it: grouped, decimals only when it has them."""
    if value is None:
        return "—"
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else 2
    if decimals:
        value = value.quantize(Decimal("0.01"))
        if value == value.quantize(Decimal("0.1")):
            decimals = 1
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def date_range(start, end):
    if start and end:
        return f"{date_format(start)} – {date_format(end)}"
    if start:
        return _("from %(date)s") % {"date": date_format(start)}
    if end:
        return _("until %(date)s") % {"date": date_format(end)}
    return _("all dates")


# --- The scope ----------------------------------------------------------------------------------


@dataclass
class Scope:
    project: Project | None = None
    district: District | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None

    def kehriz(self):
        """Every kəhriz of the scope, published or not (the note counts what is left out)."""
        kehriz = Kehriz.objects.all()
        if self.project is not None:
            kehriz = kehriz.filter(projects=self.project)
        if self.district is not None:
            kehriz = kehriz.filter(district=self.district)
        return kehriz

    def public_kehriz(self):
        return public(self.kehriz())

    def projects(self):
        """The project, or every project active in the district (in the period, when given)."""
        if self.project is not None:
            return [self.project]
        in_district = Q(pk__in=self.district.projects.values("pk")) | Q(
            pk__in=public(Kehriz.objects.filter(district=self.district, projects__isnull=False)).values(
                "projects"
            )
        )
        projects = Project.objects.filter(in_district)
        if self.start:
            projects = projects.filter(Q(end_date__isnull=True) | Q(end_date__gte=self.start))
        if self.end:
            projects = projects.filter(Q(start_date__isnull=True) | Q(start_date__lte=self.end))
        return list(projects.order_by("start_date", "name_az"))

    @property
    def title(self):
        if self.project is not None:
            return self.project.name
        return localised(self.district.name_az, self.district.name_en)

    @property
    def period_text(self):
        return date_range(self.start, self.end)


# --- Status counts ------------------------------------------------------------------------------


def counts(scope):
    """Current status and functionality counts of the scope's public kəhriz, and what the data
    note says is left out or approximate: one query."""
    shown = Q(is_published=True, is_synthetic=False)
    aggregates = {
        "total": Count("pk", filter=shown),
        "synthetic": Count("pk", filter=Q(is_synthetic=True)),
        "unpublished": Count("pk", filter=Q(is_published=False, is_synthetic=False)),
        "figures_approximate": Count("pk", filter=shown & Q(figures_are_approximate=True)),
        "location_approximate": Count("pk", filter=shown & Q(location_is_approximate=True)),
        "unlocated": Count("pk", filter=shown & Q(outlet__isnull=True)),
        "restored": Count("pk", filter=shown & Q(status__in=RESTORED_STATUSES)),
        "households": Sum("households_served", filter=shown & Q(status__in=RESTORED_STATUSES), default=0),
        "people": Sum("people_served", filter=shown & Q(status__in=RESTORED_STATUSES), default=0),
    }
    for value in Status.values:
        aggregates[f"status_{value}"] = Count("pk", filter=shown & Q(status=value))
    for value in Functionality.values:
        aggregates[f"functionality_{value}"] = Count("pk", filter=shown & Q(functionality=value))
    totals = scope.kehriz().order_by().aggregate(**aggregates)
    statuses = [
        {"value": value, "label": label, "colour": STATUS_COLOURS[value], "count": totals[f"status_{value}"]}
        for value, label in Status.choices
    ]
    functionalities = [
        {
            "value": value,
            "label": label,
            "colour": FUNCTIONALITY_COLOURS[value],
            "count": totals[f"functionality_{value}"],
        }
        for value, label in Functionality.choices
    ]
    return totals, statuses, functionalities


# --- The map ------------------------------------------------------------------------------------


class X(Func):
    function = "ST_X"
    output_field = FloatField()


class Y(Func):
    function = "ST_Y"
    output_field = FloatField()


@dataclass
class Projection:
    """Equirectangular, x scaled by cos(latitude) at the middle of the scope: true to shape at
    the scale of a few districts, fitted into the map's box."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self):
        self.cos = math.cos(math.radians((self.south + self.north) / 2))
        width = max((self.east - self.west) * self.cos, 1e-6)
        height = max(self.north - self.south, 1e-6)
        self.scale = min((MAP_WIDTH - 2 * MAP_PAD) / width, (MAP_HEIGHT - 2 * MAP_PAD) / height)
        self.x0 = (MAP_WIDTH - width * self.scale) / 2
        self.y0 = (MAP_HEIGHT - height * self.scale) / 2

    def __call__(self, lon, lat):
        return (
            self.x0 + (lon - self.west) * self.cos * self.scale,
            self.y0 + (self.north - lat) * self.scale,
        )

    @property
    def degrees_per_unit(self):
        return 1 / self.scale

    def viewport(self):
        """The longitude/latitude box the whole map shows (wider than the scope when the scope's
        shape is not the map's)."""
        west = self.west - self.x0 / (self.cos * self.scale)
        east = west + MAP_WIDTH / (self.cos * self.scale)
        north = self.north + self.y0 / self.scale
        south = north - MAP_HEIGHT / self.scale
        return west, south, east, north


def _rings(geometry):
    """The rings of a (multi)polygon as lists of (lon, lat), read from its WKB in one pass (GEOS's
    coordinate accessors cost a call per point)."""
    data = bytes(geometry.wkb)
    offset = 0

    def read(fmt, size):
        nonlocal offset
        values = struct.unpack_from(order + fmt, data, offset)
        offset += size
        return values

    def polygon():
        nonlocal offset
        rings = []
        (count,) = read("I", 4)
        for _ring in range(count):
            (points,) = read("I", 4)
            rings.append(list(struct.iter_unpack(order + "dd", data[offset : offset + 16 * points])))
            offset += 16 * points
        return rings

    def header():
        nonlocal order, offset
        order = "<" if data[offset] == 1 else ">"
        offset += 1
        (kind,) = read("I", 4)
        return kind

    order = "<"
    rings = []
    if header() == 6:  # MultiPolygon
        (count,) = read("I", 4)
        for _polygon in range(count):
            header()
            rings += polygon()
    else:
        rings += polygon()
    return rings


def _path(geometry, project, decimals=1):
    """The (multi)polygon as an SVG path, in map units rounded to ``decimals``."""
    parts = []
    for ring in _rings(geometry):
        points = []
        for lon, lat in ring:
            x, y = project(lon, lat)
            point = f"{x:.{decimals}f} {y:.{decimals}f}"
            if not points or points[-1] != point:
                points.append(point)
        if len(points) >= 3:
            parts.append("M" + "L".join(points) + "Z")
    return "".join(parts)


def _simplified(boundary, tolerance):
    simple = boundary.simplify(tolerance, preserve_topology=True)
    return simple if not simple.empty else boundary


MAP_STATUS_ORDER = list(Status.values)  # later statuses are drawn on top
# Up to this many marks, every outlet is drawn (those on the same map unit and status once);
# beyond, outlets within MARK_CELL map units (about a millimetre printed) are drawn as one smaller
# mark in the status most of them have (the latest on a tie): a map of 10,000 kəhriz stays a
# drawing a PDF renders in a second, not 10,000 circles on top of each other.
MAX_MARKS = 1500
MARK_CELL = 3


def _marks(points, project):
    """([(status order, x, y, approximate)] in drawing order, the marks' radius)."""
    projected = [
        (MAP_STATUS_ORDER.index(status), *project(lon, lat), bool(a)) for lon, lat, status, a in points
    ]
    marks = {(order, round(x), round(y), approximate) for order, x, y, approximate in projected}
    if len(marks) <= MAX_MARKS:
        return sorted(marks), 4
    cells = defaultdict(Counter)
    for order, x, y, approximate in projected:
        cells[(int(x // MARK_CELL), int(y // MARK_CELL))][order, approximate] += 1
    marks = []
    for (cx, cy), counter in cells.items():
        statuses = Counter()
        for (order, _approximate), n in counter.items():
            statuses[order] += n
        # The status most outlets of the spot have, the latest on a tie; approximate only when
        # all of those are.
        order = max(statuses, key=lambda o: (statuses[o], o))
        approximate = not counter[order, False]
        marks.append((order, (cx + 0.5) * MARK_CELL, (cy + 0.5) * MARK_CELL, approximate))
    return sorted(marks), MARK_CELL * 0.6


def scope_map(scope):
    """The map: an inline SVG of the scope's district boundaries (neighbours faint, for context)
    and its public kəhriz outlets coloured by status (an open circle where the location is
    approximate), in three queries; None when there is nothing to draw. Boundaries are simplified
    to the map's resolution; outlets falling on the same spot and status are drawn once."""
    public_kehriz = scope.public_kehriz()
    if scope.district is not None:
        districts = District.objects.filter(pk=scope.district.pk)
    else:
        districts = District.objects.filter(
            Q(pk__in=scope.project.districts.values("pk")) | Q(pk__in=public_kehriz.values("district"))
        )
    districts = list(
        districts.filter(boundary__isnull=False)
        .only("pk", "name_az", "name_en", "boundary")
        .order_by("name_az")
    )
    points = list(
        public_kehriz.filter(outlet__isnull=False)
        .order_by()
        .annotate(lon=X("outlet"), lat=Y("outlet"))
        .values_list("lon", "lat", "status", "location_is_approximate")
    )
    if not districts and not points:
        return None

    extents = [d.boundary.extent for d in districts]
    extents += [(lon, lat, lon, lat) for lon, lat, _s, _a in points]
    west = min(e[0] for e in extents)
    south = min(e[1] for e in extents)
    east = max(e[2] for e in extents)
    north = max(e[3] for e in extents)
    # A single point (or a tiny scope) gets about 10 km around it.
    if east - west < 0.1:
        west, east = (west + east) / 2 - 0.05, (west + east) / 2 + 0.05
    if north - south < 0.1:
        south, north = (south + north) / 2 - 0.05, (south + north) / 2 + 0.05
    project = Projection(west, south, east, north)
    tolerance = project.degrees_per_unit / 2

    neighbours = list(
        District.objects.filter(boundary__bboverlaps=Polygon.from_bbox(project.viewport()))
        .exclude(pk__in=[d.pk for d in districts])
        .only("pk", "boundary")
    )

    title = _("Map of %(scope)s: district boundaries and kəhriz outlets by restoration status") % {
        "scope": scope.title
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-map" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" '
        f'role="img" aria-labelledby="report-map-title">',
        f'<title id="report-map-title">{escape(title)}</title>',
        f'<rect width="{MAP_WIDTH}" height="{MAP_HEIGHT}" fill="#f4f7f9"/>',
    ]
    for neighbour in neighbours:
        parts.append(
            f'<path class="neighbour" d="{_path(_simplified(neighbour.boundary, tolerance), project, 0)}" '
            'fill="#ffffff" stroke="#b8c2cc" stroke-width="0.8" fill-rule="evenodd"/>'
        )
    for district in districts:
        parts.append(
            f'<path class="district" d="{_path(_simplified(district.boundary, tolerance), project)}" '
            'fill="#fbf8ef" stroke="#3d4a55" stroke-width="1.6" fill-rule="evenodd"/>'
        )
    marks, radius = _marks(points, project)
    for order, x, y, approximate in marks:
        colour = STATUS_COLOURS[MAP_STATUS_ORDER[order]]
        centre = f'cx="{x:.1f}" cy="{y:.1f}" r="{radius:g}"'
        if approximate:
            parts.append(f'<circle {centre} fill="#ffffff" stroke="{colour}" stroke-width="{radius / 2:g}"/>')
        else:
            parts.append(f'<circle {centre} fill="{colour}" stroke="#ffffff" stroke-width="{radius / 5:g}"/>')
    # The districts' names above the marks.
    for district in districts:
        centre = district.boundary.point_on_surface
        x, y = project(centre.x, centre.y)
        name = localised(district.name_az, district.name_en)
        label = f'x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="13" font-weight="bold"'
        # A white halo under the name (a text drawn twice: paint-order is not for every renderer).
        parts.append(
            f'<text {label} fill="#ffffff" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">'
            f"{escape(name)}</text>"
        )
        parts.append(f'<text class="district-name" {label} fill="#3d4a55">{escape(name)}</text>')
    parts.append("</svg>")
    # Every text in it is escaped above; the rest is numbers and our own colours.
    return {
        "svg": mark_safe("".join(parts)),  # noqa: S308
        "outlets": len(points),
        "approximate": any(a for *_rest, a in points),
    }


# --- Discharge ----------------------------------------------------------------------------------


def _month_start(day, months_back=0):
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _months(scope, today, measured_months):
    """The months the monthly chart shows: the period's (up to today), else from the first to the
    last month measured; the latest MAX_MONTHS of them."""
    last = _month_start(min(scope.end or today, today))
    if not scope.end and measured_months:
        last = max(measured_months)
    if scope.start:
        first = _month_start(scope.start)
    elif measured_months:
        first = min(measured_months)
    else:
        first = _month_start(last, DEFAULT_MONTHS - 1)
    first = min(first, last)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > MAX_MONTHS:
        first = _month_start(last, MAX_MONTHS - 1)
        count = MAX_MONTHS
    return [_month_start(last, back) for back in range(count - 1, -1, -1)]


def _measurements(scope):
    observations = Observation.objects.filter(discharge_lps__isnull=False, kehriz__in=scope.public_kehriz())
    if scope.start:
        observations = observations.filter(observed_on__gte=scope.start)
    if scope.end:
        observations = observations.filter(observed_on__lte=scope.end)
    return observations


def _chart_date(day, kind):
    return date_format(day, {"year": "Y", "month": "YEAR_MONTH_FORMAT", "day": "DATE_FORMAT"}[kind])


def _chart_number(value, decimals):
    return number_format(value, decimals)


# The dashboard's bar chart is styled by the dashboard's stylesheet; WeasyPrint does not apply a
# page's CSS inside an SVG, so the report's copy carries the same styles in the SVG itself.
BAR_CHART_STYLE = (
    "<style>.bar{fill:#0b6e99}.grid{stroke:#e3e0d8;stroke-width:1}.axis{stroke:#555;stroke-width:1}"
    ".no-data{stroke:#999;stroke-width:2}text{font-family:'DejaVu Sans',sans-serif;font-size:12px;"
    "fill:#333}</style>"
)


def _styled_bar_chart(bars, **options):
    svg = str(bar_chart_svg(bars, **options))
    head_end = svg.index(">") + 1
    # bar_chart_svg escapes every string it is given; the style is ours.
    return mark_safe(svg[:head_end] + BAR_CHART_STYLE + svg[head_end:])  # noqa: S308


def discharge(scope, today=None):
    """The discharge charts that exist elsewhere, for the scope and period: the dashboard's mean
    discharge per month, and the kəhriz page's chart for the kəhriz measured most often (at most
    MAX_KEHRIZ_CHARTS). Three queries."""
    from projects.models.functions import MonthOf

    today = today or datetime.date.today()
    measured = _measurements(scope)
    # One row a month that has measurements (the period's, or every month measured: a few
    # hundred at most over a programme's life).
    monthly = {
        row["month"]: row
        for row in measured.order_by()
        .annotate(month=MonthOf("observed_on"))
        .values("month")
        .annotate(mean=Avg("discharge_lps"), n=Count("pk"))
    }
    months = _months(scope, today, list(monthly))
    monthly = {month: row for month, row in monthly.items() if months[0] <= month <= months[-1]}
    bars = []
    for month in months:
        row = monthly.get(month)
        bars.append((chart_month(month), float(row["mean"]) if row else None))
    monthly_chart = None
    if monthly:
        monthly_chart = _styled_bar_chart(
            bars,
            title=_("Mean discharge per month"),
            description=_("Mean discharge at the outlet (L/s) of all measurements each month, %(months)s.")
            % {"months": date_range(months[0], _month_start(months[-1], -1) - datetime.timedelta(days=1))},
            unit=_("L/s"),
            label_every=max(1, math.ceil(len(months) / 12)),
        )

    # How often each kəhriz was measured (one row a kəhriz measured): the busiest get a chart.
    per_kehriz = sorted(
        measured.order_by().values_list("kehriz").annotate(n=Count("pk")), key=lambda row: (-row[1], row[0])
    )
    measured_kehriz = len(per_kehriz)
    busiest = [{"kehriz": kehriz_id} for kehriz_id, _n in per_kehriz[:MAX_KEHRIZ_CHARTS]]
    ids = [row["kehriz"] for row in busiest]
    charts = []
    if ids:
        kehriz = {
            k.pk: k
            for k in Kehriz.objects.filter(pk__in=ids)
            .annotate(
                restored_on=Min(
                    "status_events__changed_on", filter=Q(status_events__to_status__in=RESTORED_STATUSES)
                )
            )
            .only("pk", "name", "code")
        }
        series = defaultdict(list)
        for kehriz_id, day, value in (
            measured.filter(kehriz__in=ids)
            .order_by("observed_on", "pk")
            .values_list("kehriz", "observed_on", "discharge_lps")
        ):
            series[kehriz_id].append((day, value))
        for index, kehriz_id in enumerate(ids):
            k = kehriz[kehriz_id]
            svg = discharge_chart(
                series[kehriz_id],
                k.restored_on,
                title=_("Discharge at the outlet of %(name)s over time") % {"name": k.name},
                description=_("Discharge measured at the outlet on %(count)s dates, in litres per second.")
                % {"count": len(series[kehriz_id])},
                unit=_("L/s"),
                marker_label=_("restored"),
                empty_label=_("No discharge measured yet"),
                format_date=_chart_date,
                format_number=_chart_number,
                id_prefix=f"report-discharge-{index}",
                width=560,
                height=220,
                max_x_ticks=5,
            )
            # discharge_chart escapes every string it is given.
            charts.append({"kehriz": k, "svg": mark_safe(svg)})  # noqa: S308
    return {
        "monthly": monthly_chart,
        "months": date_range(months[0], _month_start(months[-1], -1) - datetime.timedelta(days=1)),
        "charts": charts,
        "measured_kehriz": measured_kehriz,
        "more": max(measured_kehriz - len(charts), 0),
    }


# --- Visits -------------------------------------------------------------------------------------


@dataclass
class VisitRow:
    start: datetime.date
    end: datetime.date | None
    approximate: bool
    purpose: str
    organisations: str
    kehriz: list = field(default_factory=list)
    roles: list = field(default_factory=list)

    @property
    def dates(self):
        text = date_format(self.start)
        if self.end and self.end != self.start:
            text = f"{text} – {date_format(self.end)}"
        if self.approximate:
            text += " (" + _("approximate") + ")"
        return text


def visits(scope):
    """The monitoring visits of the period that observed the scope's public kəhriz: how many,
    and the latest MAX_VISITS with their dates, purpose, organisations, kəhriz observed and the
    roles of the people met (never their names). Four queries."""
    observations = Observation.objects.filter(kehriz__in=scope.public_kehriz())
    found = MonitoringVisit.objects.filter(is_synthetic=False, pk__in=observations.values("visit"))
    if scope.end:
        found = found.filter(start_date__lte=scope.end)
    if scope.start:
        found = found.alias(last=Coalesce("end_date", "start_date")).filter(last__gte=scope.start)
    total = found.count()
    latest = list(
        found.order_by("-start_date", "-pk").only(
            "pk", "start_date", "end_date", "dates_are_approximate", "purpose", "organisations"
        )[:MAX_VISITS]
    )
    if not latest:
        return {"total": total, "rows": [], "more": 0}
    ids = [v.pk for v in latest]
    observed = defaultdict(list)
    for visit_id, name, code in (
        observations.filter(visit__in=ids)
        .order_by("kehriz__name", "kehriz__code")
        .values_list("visit", "kehriz__name", "kehriz__code")
    ):
        observed[visit_id].append(f"{name} ({code})")
    roles = defaultdict(Counter)
    for row in (
        PersonMet.objects.filter(observation__in=observations.filter(visit__in=ids))
        .order_by()
        .values("observation__visit", "role")
        .annotate(n=Sum(Coalesce("count", 1)))
    ):
        roles[row["observation__visit"]][row["role"]] += row["n"]
    labels = dict(PersonMet.Role.choices)
    rows = []
    for visit in latest:
        met = [
            f"{labels.get(role, role)} × {n}" if n > 1 else str(labels.get(role, role))
            for role, n in sorted(roles[visit.pk].items(), key=lambda item: list(labels).index(item[0]))
        ]
        rows.append(
            VisitRow(
                visit.start_date,
                visit.end_date,
                visit.dates_are_approximate,
                visit.purpose,
                visit.organisations,
                observed[visit.pk],
                met,
            )
        )
    return {"total": total, "rows": rows, "more": max(total - len(rows), 0)}


# --- Results ------------------------------------------------------------------------------------


def results(scope, district_names):
    """[{project, indicators: [{indicator, periods: [...]}]}] for each project of the scope."""
    blocks = []
    for project in scope.projects():
        indicators = []
        for result in project_results(project, scope.district, scope.start, scope.end):
            indicator = result.indicator
            periods = []
            for p in result.periods:
                reported = p.reported
                periods.append(
                    {
                        "dates": date_range(p.period.start, p.period.end),
                        "target": number(p.period.target),
                        "target_comment": p.period.target_comment,
                        "counted": number(p.counted),
                        "reported": number(reported.value) if reported else None,
                        "reported_source": reported.source if reported else "",
                        "reported_approximate": bool(reported and reported.as_of_is_approximate),
                        "reports_reported": p.reports == Reports.REPORTED,
                        "actual": number(p.actual) if p.actual is not None else None,
                        "percent": p.percent,
                        "bar": p.bar_percent,
                        "by_district": [
                            f"{district_names.get(pk, '—')}: {number(value)}" for pk, value in p.by_district
                        ]
                        if scope.district is None and len(p.by_district) > 1
                        else [],
                        "by_sex": p.by_sex,
                    }
                )
            indicators.append(
                {
                    "title": localised(indicator.title_az, indicator.title_en),
                    "unit": str(indicator.unit.label),
                    "baseline": _optional(number, indicator.baseline_value),
                    "baseline_date": _optional(date_format, indicator.baseline_date) or "",
                    "reports": indicator.get_reports_display(),
                    "periods": periods,
                }
            )
        blocks.append(
            {
                "project": project,
                "name": project.name,
                "dates": date_range(project.start_date, project.end_date),
                "indicators": indicators,
            }
        )
    return blocks


def _optional(show, value):
    return None if value is None else show(value)


def district_names():
    """{pk: name in the page's language} of every district (one small query, no boundaries)."""
    return {
        pk: localised(az.removesuffix(" rayonu"), en)
        for pk, az, en in District.objects.order_by().values_list("pk", "name_az", "name_en")
    }


# --- The data note ------------------------------------------------------------------------------

BOUNDARIES_SOURCE = gettext_lazy(
    "District boundaries: OpenStreetMap boundary relations (through the public repository "
    "alschiessl/geonames), simplified for this map; © OpenStreetMap contributors, Open Database "
    "License (ODbL) 1.0, https://www.openstreetmap.org/copyright; this map, derived from them, is under "
    "the same license. Not survey-grade: edges can be off by hundreds of metres."
)


def data_note(scope, totals):
    """What is counted, reported, approximate or synthetic, and the boundaries' license: a list
    of paragraphs (plain text, escaped by the template)."""
    note = [
        _(
            "Counted figures are counted from the records, on published, real kəhriz only. A kəhriz "
            "counts as restored from the first date its status became restored or handed over (and "
            "only while it still is); as handed over from the date it was handed over. Households, "
            "people, IDP households, hectares and water user committees are counted on the kəhriz "
            "restored in the period; metres of gallery cleaned and shafts rehabilitated are summed "
            "over the works that ended in the period."
        ),
        _(
            "Reported figures are what the project reported, with their source: the latest figure "
            "dated in the period. A counted and a reported figure are never added together: both "
            "are shown, and the one the programme reports is marked."
        ),
    ]
    if scope.district is not None:
        note.append(
            _(
                "In a district's report each project's figures are counted within the district; "
                "reported figures are for a whole project, so they are not shown here."
            )
        )
    if scope.start or scope.end:
        note.append(
            _(
                "Period %(period)s: the target periods that overlap it are shown, each with its own "
                "figures; visits and discharge measurements are those of the period; restoration "
                "status counts are today's."
            )
            % {"period": scope.period_text}
        )
    if totals["figures_approximate"]:
        note.append(
            ngettext(
                "The beneficiary figures of %(count)s kəhriz are approximate, as recorded.",
                "The beneficiary figures of %(count)s kəhriz are approximate, as recorded.",
                totals["figures_approximate"],
            )
            % {"count": number(totals["figures_approximate"])}
        )
    if totals["location_approximate"]:
        note.append(
            ngettext(
                "The location of %(count)s kəhriz is approximate (an open circle on the map): "
                "placed at its village, for example, until the outlet is surveyed.",
                "The locations of %(count)s kəhriz are approximate (open circles on the map): "
                "placed at their village, for example, until the outlet is surveyed.",
                totals["location_approximate"],
            )
            % {"count": number(totals["location_approximate"])}
        )
    if totals["unlocated"]:
        note.append(
            ngettext(
                "%(count)s kəhriz has no located outlet yet, so it is not on the map.",
                "%(count)s kəhriz have no located outlet yet, so they are not on the map.",
                totals["unlocated"],
            )
            % {"count": number(totals["unlocated"])}
        )
    synthetic = _("Synthetic demo records are never counted or shown.")
    if totals["synthetic"]:
        synthetic = ngettext(
            "Synthetic demo records are never counted or shown: %(count)s synthetic kəhriz of this "
            "scope is left out.",
            "Synthetic demo records are never counted or shown: %(count)s synthetic kəhriz of this "
            "scope are left out.",
            totals["synthetic"],
        ) % {"count": number(totals["synthetic"])}
    note.append(synthetic + " " + _("Unpublished kəhriz are left out too."))
    note.append(
        _(
            "Monitoring visits are shown with their organisations and the roles of the people met, "
            "never their names."
        )
    )
    note.append(str(BOUNDARIES_SOURCE))
    return note


# --- Everything ---------------------------------------------------------------------------------


def build_report(*, project=None, district=None, start=None, end=None, today=None):
    """Everything the report shows for a project or a district (and a period)."""
    if project is None and district is None:
        raise ValueError("A report is of a project or a district.")
    scope = Scope(project, district, start, end)
    today = today or datetime.date.today()
    totals, statuses, functionalities = counts(scope)
    return {
        "scope": scope,
        "title": scope.title,
        "period": scope.period_text,
        "today": today,
        "totals": {key: number(value) for key, value in totals.items()},
        "statuses": [{**s, "count": number(s["count"])} for s in statuses],
        "functionalities": [{**f, "count": number(f["count"])} for f in functionalities],
        "map": scope_map(scope),
        "results": results(scope, district_names()),
        "discharge": discharge(scope, today),
        "visits": visits(scope),
        "note": data_note(scope, totals),
    }
