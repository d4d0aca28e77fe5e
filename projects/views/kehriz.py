"""The kəhriz page: the whole story of one kəhriz (where it is, what it serves, its restoration
status history, the works, every visit, and its discharge over time) in a fixed number of
queries, however many visits it has had."""

import json
import statistics
from dataclasses import dataclass

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects import roles
from projects.charts import discharge_chart
from projects.models import (
    FollowUp,
    Observation,
    PersonMet,
    Photo,
    Project,
    RestorationWork,
    Status,
    StatusEvent,
)
from projects.views.common import FUNCTIONALITY_COLOURS, STATUS_COLOURS, visible_kehriz

MAP_LABELS = {
    "map": _("Map of the kəhriz"),
    "route": _("Gallery route"),
    "outlet": _("Outlet"),
    "mother_well": _("Mother well"),
    "village": _("Village (approximate position of the kəhriz)"),
    "district": _("District boundary"),
}

DATE_FORMATS = {"year": "Y", "month": "YEAR_MONTH_FORMAT", "day": "DATE_FORMAT"}


def _geometry(geom):
    return json.loads(geom.json)


def map_data(kehriz):
    """The geometries the page's map draws, embedded in the page (no request for data)."""
    features = []
    for kind in ("route", "mother_well", "outlet"):
        geom = getattr(kehriz, kind)
        if geom is not None:
            features.append({"type": "Feature", "geometry": _geometry(geom), "properties": {"kind": kind}})
    village = kehriz.village
    if not features and village is not None and village.location is not None:
        features.append(
            {"type": "Feature", "geometry": _geometry(village.location), "properties": {"kind": "village"}}
        )
    boundary = kehriz.district.boundary if kehriz.district_id else None
    return {
        "features": {"type": "FeatureCollection", "features": features},
        "district": _geometry(boundary) if boundary is not None else None,
        "labels": {key: str(label) for key, label in MAP_LABELS.items()},
    }


def coordinates(kehriz):
    """The outlet's and the mother well's latitude and longitude, for a phone's maps app."""
    points = []
    for kind in ("outlet", "mother_well"):
        point = getattr(kehriz, kind)
        if point is not None:
            points.append({"label": MAP_LABELS[kind], "lat": f"{point.y:.5f}", "lon": f"{point.x:.5f}"})
    return points


def restoration_date(events):
    """The date of the first change to "restored" or, failing that, to "handed over"."""
    for target in (Status.RESTORED, Status.HANDED_OVER):
        for event in events:
            if event.to_status == target:
                return event.changed_on
    return None


def _format_date(day, kind):
    return date_format(day, DATE_FORMATS[kind])


def _format_number(value, decimals):
    return number_format(value, decimals)


def _median(values):
    return statistics.median(values) if values else None


@dataclass
class DischargeSummary:
    measurements: list
    restored_on: object
    before: list
    after: list

    @property
    def median_before(self):
        return _median([o.discharge_lps for o in self.before])

    @property
    def median_after(self):
        return _median([o.discharge_lps for o in self.after])

    @property
    def change_ratio(self):
        before, after = self.median_before, self.median_after
        if before and after is not None:
            return after / before
        return None


def discharge_summary(observations, restored_on):
    measured = sorted(
        (o for o in observations if o.discharge_lps is not None), key=lambda o: (o.observed_on, o.pk)
    )
    before = [o for o in measured if restored_on and o.observed_on < restored_on]
    after = [o for o in measured if restored_on and o.observed_on >= restored_on]
    return DischargeSummary(measured, restored_on, before, after)


# The chart is drawn twice, each about the size it is shown at (CSS shows one): text in an SVG
# scaled down to a phone's width would be too small to read.
CHART_SIZES = {
    "wide": {"width": 560, "height": 260, "font_size": 13, "max_x_ticks": 5},
    "narrow": {"width": 340, "height": 240, "font_size": 12, "max_x_ticks": 3},
}


def discharge_svgs(summary):
    """The discharge chart, wide and narrow: {"wide": svg, "narrow": svg} ({} without data)."""
    if not summary.measurements:
        return {}
    description = _("Discharge measured at the outlet on %(count)s dates, in litres per second.") % {
        "count": len(summary.measurements)
    }
    charts = {}
    for name, size in CHART_SIZES.items():
        svg = discharge_chart(
            [(o.observed_on, o.discharge_lps) for o in summary.measurements],
            summary.restored_on,
            title=_("Discharge at the outlet over time"),
            description=description,
            unit=_("L/s"),
            marker_label=_("restored"),
            empty_label=_("No discharge measured yet"),
            format_date=_format_date,
            format_number=_format_number,
            id_prefix=f"discharge-chart-{name}",
            **size,
        )
        # discharge_chart escapes every string it is given.
        charts[name] = mark_safe(svg)  # noqa: S308
    return charts


def _total(values):
    """The sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _project_name(project):
    if (get_language() or "").startswith("en") and project.name_en:
        return project.name_en
    return project.name


def kehriz_detail(request, pk):
    observations = (
        Observation.objects.select_related("visit")
        .prefetch_related(
            Prefetch("people_met", queryset=PersonMet.objects.order_by("role", "name", "id")),
            Prefetch("follow_ups", queryset=FollowUp.objects.order_by("done", "due_date", "id")),
            Prefetch("photos", queryset=Photo.objects.order_by("taken_at", "id")),
        )
        .order_by("-observed_on", "-visit__start_date", "-id")
    )
    queryset = (
        visible_kehriz(request.user)
        .select_related("village", "district")
        .prefetch_related(
            Prefetch("projects", queryset=Project.objects.order_by("name_az")),
            Prefetch(
                "status_events",
                queryset=StatusEvent.objects.order_by("changed_on", "created_at", "id"),
                to_attr="events",
            ),
            Prefetch(
                "works",
                queryset=RestorationWork.objects.select_related("project").order_by(
                    "start_date", "end_date", "id"
                ),
                to_attr="work_list",
            ),
            Prefetch("observations", queryset=observations, to_attr="observation_list"),
        )
    )
    kehriz = get_object_or_404(queryset, pk=pk)

    today = timezone.localdate()
    for observation in kehriz.observation_list:
        observation.functionality_colour = FUNCTIONALITY_COLOURS.get(observation.functionality)
        for follow_up in observation.follow_ups.all():
            follow_up.is_overdue = (
                not follow_up.done and follow_up.due_date is not None and follow_up.due_date < today
            )
    open_follow_ups = sum(1 for o in kehriz.observation_list for f in o.follow_ups.all() if not f.done)

    summary = discharge_summary(kehriz.observation_list, restoration_date(kehriz.events))
    works = kehriz.work_list
    project_ids = [p.pk for p in kehriz.projects.all()]
    for work in works:
        # The project is worth repeating only when it is not the kəhriz's one project.
        work.show_project = work.project is not None and project_ids != [work.project_id]
    work_totals = None
    if len(works) > 1:
        costs = {}
        for work in works:
            if work.cost is not None:
                costs[work.currency] = costs.get(work.currency, 0) + work.cost
        work_totals = {
            field: _total(getattr(w, field) for w in works)
            for field in ("gallery_cleaned_m", "shafts_rehabilitated", "rings_installed")
        }
        work_totals["costs"] = sorted(costs.items())

    user = request.user
    admin_link = None
    may_open_admin = user.has_perm("projects.view_kehriz") or user.has_perm("projects.change_kehriz")
    if user.is_authenticated and user.is_staff and may_open_admin:
        can_edit = user.has_perm("projects.change_kehriz") and roles.can_edit_in_district(
            user, kehriz.district_id
        )
        admin_link = {"can_edit": can_edit}

    has_geometry = any(g is not None for g in (kehriz.outlet, kehriz.mother_well, kehriz.route))
    context = {
        "kehriz": kehriz,
        "projects": [
            {"name": _project_name(p), "donor": p.donor, "code": p.code} for p in kehriz.projects.all()
        ],
        "events": kehriz.events,
        "works": works,
        "work_totals": work_totals,
        "observations": kehriz.observation_list,
        "open_follow_ups": open_follow_ups,
        "summary": summary,
        "charts": discharge_svgs(summary),
        "map_data": map_data(kehriz),
        "has_geometry": has_geometry,
        "village_located": kehriz.village is not None and kehriz.village.location is not None,
        "status_colour": STATUS_COLOURS.get(kehriz.status),
        "functionality_colour": FUNCTIONALITY_COLOURS.get(kehriz.functionality),
        "coordinates": coordinates(kehriz),
        "admin_link": admin_link,
        "today": today,
    }
    return render(request, "projects/kehriz_detail.html", context)
