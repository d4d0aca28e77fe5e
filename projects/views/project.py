"""A project's public page (``/projects/<code>/``): who funds and implements it, where, its
results against targets, its latest monitoring visits and photos, and its sources; and the list
of records behind each counted figure (``/projects/<code>/results/<indicator>/<period>/``).

The public sees what the rest of the site shows it: published kəhriz only; visits by their
dates, purpose and organisations, never the names of the people who took part or were met.
A fixed number of queries whatever the number of kəhriz, visits or photos."""

import json

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from projects.models import (
    District,
    MonitoringVisit,
    Observation,
    Project,
    ReportedFigure,
    ResultIndicator,
    ResultPeriod,
    Status,
)
from projects.photos import visible_photos
from projects.results import counted_rows, project_results
from projects.text import az_sort_key
from projects.views.common import POPUP_LABELS, functionality_legend, status_legend, visible_kehriz
from projects.views.dashboard import fmt

LATEST_VISITS = 5
PHOTOS = 8


def _district_names(ids):
    return {
        d.pk: d.short_name for d in District.objects.filter(pk__in=ids).only("name_az", "name_en", "slug")
    }


def indicator_rows(project, results):
    """The results as the page and the report show them: numbers formatted, districts named."""
    district_ids = {row.district_id for r in results for p in r.periods for row in p.rows}
    names = _district_names(district_ids) if district_ids else {}
    rows = []
    for result in results:
        indicator = result.indicator
        decimals = 1 if indicator.unit in ("ha", "m") else 0
        periods = []
        for p in result.periods:
            periods.append(
                {
                    "period": p.period,
                    "target": fmt(p.period.target, decimals),
                    "counted": fmt(p.counted, decimals),
                    "counted_url": reverse(
                        "projects:project-result-rows", args=[project.code, indicator.pk, p.period.pk]
                    ),
                    "reported": p.reported,
                    "reported_text": fmt(p.reported.value, decimals) if p.reported else None,
                    "actual": fmt(p.actual, decimals) if p.actual is not None else None,
                    "percent": p.percent,
                    "bar_percent": p.bar_percent,
                    "reports_counted": p.reports == "counted",
                    "by_district": [
                        (names.get(pk, "—"), fmt(value, decimals)) for pk, value in p.by_district
                    ],
                    "by_sex": p.by_sex,
                }
            )
        rows.append(
            {
                "indicator": indicator,
                "unit": indicator.get_indicator_display(),
                "baseline": fmt(indicator.baseline_value, decimals),
                "periods": periods,
            }
        )
    return rows


def _map_config(project, user, districts):
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(d.geojson), "properties": {"name": d.short_name}}
            for d in districts
            if d.geojson
        ],
    }
    return {
        "layer": reverse("projects:api-kehriz-map")
        + "?"
        + urlencode({"project": project.code, "status": Status.values}, doseq=True),
        "boundaryData": boundaries,
        "kehrizUrl": reverse("projects:kehriz", args=[0]),
        "statuses": status_legend(),
        "functionalities": functionality_legend(),
        "labels": {key: str(label) for key, label in POPUP_LABELS.items()},
    }


def project_detail(request, code):
    project = get_object_or_404(Project, code=code)
    kehriz = visible_kehriz(request.user).filter(projects=project)
    counts = kehriz.order_by().aggregate(
        total=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in Status.values}
    )
    districts = list(
        project.districts.annotate(geojson=AsGeoJSON("boundary", precision=4)).order_by("name_az")
    )
    visible = visible_kehriz(request.user)
    visits = (
        MonitoringVisit.objects.filter(observations__kehriz__in=kehriz.values("pk"))
        .distinct()
        .only("pk", "title", "start_date", "end_date", "dates_are_approximate", "purpose", "organisations")
        .order_by("-start_date", "-pk")
        .prefetch_related(
            Prefetch(
                "observations",
                queryset=Observation.objects.filter(kehriz__in=visible.values("pk"))
                .select_related("kehriz")
                .only("pk", "visit_id", "kehriz__id", "kehriz__name", "kehriz__code")
                .order_by("kehriz__name"),
            )
        )[:LATEST_VISITS]
    )
    visits = list(visits)
    for visit in visits:
        visit.observed = sorted(visit.observations.all(), key=lambda o: az_sort_key(o.kehriz.name))
    photos = (
        visible_photos(request.user)
        .filter(observation__kehriz__projects=project)
        .select_related("observation__kehriz")
        .only("uuid", "caption", "taken_at", "observation__kehriz__name", "observation__kehriz__id")
        .order_by("-observation__visit__start_date", "-pk")[:PHOTOS]
    )
    figures = ReportedFigure.objects.filter(project=project).order_by("-as_of")
    sources = [project.source] if project.source else []
    for figure in figures:
        if figure.source and figure.source not in sources:
            sources.append(figure.source)
    statuses = [{**item, "count": fmt(counts[item["value"]])} for item in status_legend()]
    return render(
        request,
        "projects/project.html",
        {
            "project": project,
            "districts": districts,
            "total": fmt(counts["total"]),
            "statuses": statuses,
            "indicators": indicator_rows(project, project_results(project)),
            "visits": visits,
            "photos": photos,
            "sources": sources,
            "config": _map_config(project, request.user, districts),
            "links": [
                {
                    "url": reverse("projects:project-report", args=[project.code]),
                    "label": _("Printable report"),
                },
                {
                    "url": reverse("projects:project-report-pdf", args=[project.code]),
                    "label": _("Report (PDF)"),
                    "download": False,
                },
                {
                    "url": reverse("projects:project-iati", args=[project.code]),
                    "label": _("IATI activity (XML)"),
                },
            ],
        },
    )


def result_rows(request, code, indicator, period):
    """The records one counted figure counts: its total is the figure on the project page."""
    project = get_object_or_404(Project, code=code)
    indicator = get_object_or_404(
        ResultIndicator.objects.select_related("project"), pk=indicator, project=project
    )
    period = get_object_or_404(ResultPeriod, pk=period, indicator=indicator)
    rows = counted_rows(indicator, period)
    names = _district_names({row.district_id for row in rows})
    decimals = 1 if indicator.unit in ("ha", "m") else 0
    total = sum((row.value for row in rows), 0)
    return render(
        request,
        "projects/project_result_rows.html",
        {
            "project": project,
            "indicator": indicator,
            "period": period,
            "rows": [
                {"row": row, "district": names.get(row.district_id, "—"), "value": fmt(row.value, decimals)}
                for row in rows
            ],
            "total": fmt(total, decimals),
            "by_works": indicator.indicator in ("gallery_cleaned_m", "shafts_rehabilitated"),
            "unit": indicator.get_indicator_display(),
            "note": _("Published kəhriz only; synthetic demo records are never counted."),
        },
    )
