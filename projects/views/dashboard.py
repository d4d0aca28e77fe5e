"""The programme dashboard: headline numbers, overall, per district and per project.

Every number is counted in the database (a fixed number of grouped queries, whatever the number of
kəhriz) and links to what it counts:

* kəhriz counts, beneficiaries and functionality link to the public map, filtered with the
  KehrizFilterSet parameters (``/?status=handed_over&district=agdam-rayonu``);
* what the map cannot filter links to the data-entry (admin) lists, which need a login:
  metres cleaned, shafts and rings → restoration works (``?district=<pk>``,
  ``?project__id__exact=<pk>``); open and overdue follow-ups → follow-up actions
  (``?done__exact=0``, ``&due_date__lt=<today>``); committees with women and with a woman chair,
  kəhriz not visited lately and synthetic records → kəhriz (``?committee_women__gt=0``,
  ``?committee_chair_is_woman__exact=1``, ``?last_visit_on__isnull=True``,
  ``?last_visit_on__lt=<date>``, ``?is_synthetic__exact=1``); monthly discharge → observations
  (``?observed_on__gte=…&observed_on__lt=…``). The admin lists show unpublished records too.

Reported figures (what a project said, with its source) are shown apart from the counts.
"""

import datetime
import hashlib
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Q, Sum
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.dashboard_charts import bar_chart_svg
from projects.models import (
    District,
    FollowUp,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    Project,
    ReportedFigure,
    RestorationWork,
    Status,
    StatusEvent,
    Village,
)
from projects.models.functions import MonthOf, YearOf
from projects.views.common import FUNCTIONALITY_COLOURS, STATUS_COLOURS, visible_kehriz, visible_through

RESTORED = [Status.RESTORED, Status.HANDED_OVER]
NOT_VISITED_DAYS = 90
TREND_MONTHS = 24


# --- Links ------------------------------------------------------------------------------------


def _url(base, params):
    query = urlencode([(k, v) for k, v in params if v is not None], doseq=True)
    return f"{base}?{query}" if query else base


def map_url(*, status=None, functionality=None, district=None, project=None, handed_over_year=None):
    """The public map filtered to what a number counts.

    ``status`` is a status, a list of statuses, or ``""`` for any status (the map shows restored
    and handed-over kəhriz when the URL says nothing about status)."""
    params = []
    if status is not None:
        for value in [status] if isinstance(status, str) else status:
            params.append(("status", value))
    if functionality:
        params.append(("functionality", functionality))
    if district:
        params.append(("district", district))
    if project:
        params.append(("project", project))
    if handed_over_year:
        params.append(("handed_over_year", handed_over_year))
    return _url(reverse("projects:home"), params)


def admin_url(model, **params):
    return _url(reverse(f"admin:projects_{model}_changelist"), list(params.items()))


# --- Numbers ----------------------------------------------------------------------------------


def kehriz_aggregates(today=None):
    """The aggregates of a kəhriz queryset that the dashboard and district pages show."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=NOT_VISITED_DAYS)
    restored = Q(status__in=RESTORED)
    aggregates = {
        "total": Count("pk"),
        "restored": Count("pk", filter=restored),
        "synthetic": Count("pk", filter=Q(is_synthetic=True)),
        "households": Sum("households_served", filter=restored, default=0),
        "people": Sum("people_served", filter=restored, default=0),
        "idp_households": Sum("idp_households_served", filter=restored, default=0),
        "irrigated_ha": Sum("irrigated_area_ha", filter=restored, default=Decimal(0)),
        "committees_with_women": Count("pk", filter=Q(committee_women__gt=0)),
        "committees_woman_chair": Count("pk", filter=Q(committee_chair_is_woman=True)),
        "never_visited": Count("pk", filter=Q(last_visit_on__isnull=True)),
        "visited_long_ago": Count("pk", filter=Q(last_visit_on__lt=cutoff)),
    }
    for value in Status.values:
        aggregates[f"status_{value}"] = Count("pk", filter=Q(status=value))
    for value in Functionality.values:
        aggregates[f"functionality_{value}"] = Count("pk", filter=Q(functionality=value))
    return aggregates, cutoff


KEHRIZ_FIELDS = [
    "total",
    "restored",
    "synthetic",
    "households",
    "people",
    "idp_households",
    "irrigated_ha",
    "committees_with_women",
    "committees_woman_chair",
    "never_visited",
    "visited_long_ago",
    *[f"status_{v}" for v in Status.values],
    *[f"functionality_{v}" for v in Functionality.values],
]
WORK_FIELDS = ["cleaned_m", "shafts", "rings"]
FOLLOW_UP_FIELDS = ["open", "overdue"]


def _empty():
    row = dict.fromkeys(KEHRIZ_FIELDS + WORK_FIELDS + FOLLOW_UP_FIELDS, 0)
    row["irrigated_ha"] = row["cleaned_m"] = Decimal(0)
    row["years"] = {}
    return row


def _add(target, source, fields):
    for field in fields:
        target[field] += source[field] or 0


def fmt(value, decimals=0):
    if value is None:
        return "—"
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


class Cell(dict):
    """A number as the template shows it: text, link, and (for tests) the value."""

    def __init__(self, value, url=None, decimals=0, note=""):
        admin = bool(url) and url.startswith(reverse("admin:index"))
        super().__init__(value=value, text=fmt(value, decimals), url=url, note=note, admin=admin)


# --- The page ---------------------------------------------------------------------------------


def _month_start(day, months_back=0):
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def collect(user, today=None):
    """Everything the dashboard counts, in a fixed number of queries."""
    today = today or timezone.localdate()
    kehriz = visible_kehriz(user)
    aggregates, cutoff = kehriz_aggregates(today)

    # 1. Programme districts (rows even when they have no kəhriz yet).
    districts = {
        d.pk: {"pk": d.pk, "slug": d.slug, "name": d.short_name, "is_programme": True, **_empty()}
        for d in District.objects.programme().only("pk", "slug", "name_az")
    }
    # 2. Projects.
    projects = {
        p.pk: {"pk": p.pk, "code": p.code, "name": str(p), **_empty()}
        for p in Project.objects.only("pk", "code", "name_az", "name_en")
    }
    # 3. Kəhriz, by district.
    for row in (
        kehriz.order_by()
        .values("district", "district__slug", "district__name_az", "district__is_programme")
        .annotate(**aggregates)
    ):
        target = districts.get(row["district"])
        if target is None:
            name = row["district__name_az"]
            for suffix in (" rayonu", " şəhəri"):
                name = name.removesuffix(suffix)
            target = districts[row["district"]] = {
                "pk": row["district"],
                "slug": row["district__slug"],
                "name": name,
                "is_programme": row["district__is_programme"],
                **_empty(),
            }
        _add(target, row, KEHRIZ_FIELDS)
    # 4. Kəhriz, by project (a kəhriz may be in several projects, or none).
    for row in kehriz.filter(projects__isnull=False).order_by().values("projects").annotate(**aggregates):
        if row["projects"] in projects:
            _add(projects[row["projects"]], row, KEHRIZ_FIELDS)
    # 5–6. Restoration works, by the kəhriz's district and by the work's project.
    works = RestorationWork.objects.filter(visible_through(user, "kehriz")).order_by()
    work_sums = {
        "cleaned_m": Sum("gallery_cleaned_m", default=Decimal(0)),
        "shafts": Sum("shafts_rehabilitated", default=0),
        "rings": Sum("rings_installed", default=0),
    }
    for row in works.values("kehriz__district").annotate(**work_sums):
        if row["kehriz__district"] in districts:
            _add(districts[row["kehriz__district"]], row, WORK_FIELDS)
    for row in works.filter(project__isnull=False).values("project").annotate(**work_sums):
        if row["project"] in projects:
            _add(projects[row["project"]], row, WORK_FIELDS)
    # 7–8. Handed over, by year of the handed-over event (kəhriz still handed over: what the map's
    # handed_over_year filter with status=handed_over shows).
    handed_over = (
        StatusEvent.objects.filter(
            visible_through(user, "kehriz"), to_status=Status.HANDED_OVER, kehriz__status=Status.HANDED_OVER
        )
        .order_by()
        .annotate(year=YearOf("changed_on"))
    )
    for row in handed_over.values("kehriz__district", "year").annotate(n=Count("kehriz", distinct=True)):
        if row["kehriz__district"] in districts:
            districts[row["kehriz__district"]]["years"][row["year"]] = row["n"]
    for row in (
        handed_over.filter(kehriz__projects__isnull=False)
        .values("kehriz__projects", "year")
        .annotate(n=Count("kehriz", distinct=True))
    ):
        if row["kehriz__projects"] in projects:
            projects[row["kehriz__projects"]]["years"][row["year"]] = row["n"]
    # 9. Open and overdue follow-up actions, by district (the admin list, where they link, cannot
    # filter them by project, so the project rows do not show them).
    follow_ups = FollowUp.objects.filter(visible_through(user, "observation__kehriz"), done=False).order_by()
    follow_up_counts = {"open": Count("pk"), "overdue": Count("pk", filter=Q(due_date__lt=today))}
    for row in follow_ups.values("observation__kehriz__district").annotate(**follow_up_counts):
        if row["observation__kehriz__district"] in districts:
            _add(districts[row["observation__kehriz__district"]], row, FOLLOW_UP_FIELDS)
    # 10. Monthly discharge over the last two years (from observation_month_idx alone: the month
    # is filtered on, not the day, so that the index is read in month order).
    first_month = _month_start(today, TREND_MONTHS - 1)
    monthly = {
        row["month"]: row
        for row in Observation.objects.filter(visible_through(user, "kehriz"), discharge_lps__isnull=False)
        .order_by()
        .annotate(month=MonthOf("observed_on"))
        .filter(month__gte=first_month)
        .values("month")
        .annotate(mean=Avg("discharge_lps"), n=Count("pk"), kehriz=Count("kehriz", distinct=True))
    }
    # 11–12. Reported figures, with their districts.
    figures = list(
        ReportedFigure.objects.select_related("project")
        .prefetch_related("districts")
        .order_by("project__name_az", "indicator", "-as_of")
    )

    overall = _empty()
    for row in districts.values():
        _add(overall, row, KEHRIZ_FIELDS + WORK_FIELDS + FOLLOW_UP_FIELDS)
        for year, n in row["years"].items():
            overall["years"][year] = overall["years"].get(year, 0) + n

    trend = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        month = _month_start(today, back)
        row = monthly.get(month)
        trend.append(
            {
                "month": month,
                "next": _month_start(today, back - 1),
                "mean": float(row["mean"]) if row and row["mean"] is not None else None,
                "n": row["n"] if row else 0,
                "kehriz": row["kehriz"] if row else 0,
            }
        )
    return {
        "today": today,
        "cutoff": cutoff,
        "overall": overall,
        "districts": sorted(districts.values(), key=lambda d: (not d["is_programme"], d["name"])),
        "projects": sorted(projects.values(), key=lambda p: p["name"]),
        "trend": trend,
        "figures": figures,
    }


# --- Presentation -----------------------------------------------------------------------------


def _years(row, **scope):
    return [
        Cell(n, map_url(status=Status.HANDED_OVER, handed_over_year=year, **scope), note=str(year))
        for year, n in sorted(row["years"].items())
    ]


def _scopes(data):
    """Each table row: its name, its numbers, and how each kind of link narrows to it.

    ``map`` holds KehrizFilterSet parameters (``None``: the map cannot show this row, e.g. a
    district outside the programme); ``works``, ``kehriz`` and ``follow_ups`` hold the admin
    lists' filters (``None``: that list cannot be narrowed to this row)."""
    yield (
        "all",
        None,
        {
            "name": _("All kəhriz"),
            "row": data["overall"],
            "url": None,
            "map": {},
            "works": {},
            "kehriz": {},
            "follow_ups": {},
        },
    )
    for d in data["districts"]:
        yield (
            "district",
            _("By district"),
            {
                "name": d["name"],
                "row": d,
                "url": reverse("projects:district", args=[d["slug"]]),
                "map": {"district": d["slug"]} if d["is_programme"] else None,
                "works": {"district": d["pk"]},
                "kehriz": {"district": d["pk"]},
                "follow_ups": {"district": d["pk"]},
            },
        )
    for p in data["projects"]:
        yield (
            "project",
            _("By project"),
            {
                "name": p["name"],
                "row": p,
                "url": reverse("projects:project", args=[p["code"]]),
                "map": {"project": p["code"]},
                "works": {"project__id__exact": p["pk"]},
                "kehriz": {"projects__id__exact": p["pk"]},
                "follow_ups": None,
            },
        )


def table_rows(data):
    """The rows of the three topic tables: all kəhriz, then each district, then each project."""
    cutoff = data["cutoff"].isoformat()
    today = data["today"].isoformat()
    groups = {}
    for key, heading, scope in _scopes(data):
        row, on_map, follow_ups = scope["row"], scope["map"], scope["follow_ups"]

        def on(_scope=on_map, **params):
            return map_url(**params, **_scope) if _scope is not None else None

        if follow_ups is None:
            follow_up_cells = [Cell(None), Cell(None)]
        else:
            follow_up_cells = [
                Cell(row["open"], admin_url("followup", done__exact=0, **follow_ups)),
                Cell(row["overdue"], admin_url("followup", done__exact=0, due_date__lt=today, **follow_ups)),
            ]
        kehriz_scope, works = scope["kehriz"], admin_url("restorationwork", **scope["works"])
        built = {
            "name": scope["name"],
            "url": scope["url"],
            "restoration": [
                Cell(row["total"], on(status="")),
                Cell(row[f"status_{Status.UNDER_RESTORATION}"], on(status=Status.UNDER_RESTORATION)),
                Cell(row["restored"], on(status=RESTORED)),
                Cell(row[f"status_{Status.HANDED_OVER}"], on(status=Status.HANDED_OVER)),
                Cell(row["cleaned_m"], works, decimals=1),
                Cell(row["shafts"], works),
                Cell(row["rings"], works),
            ],
            "years": _years(row, **on_map) if on_map is not None else [],
            "benefits": [
                Cell(row["households"], on(status=RESTORED)),
                Cell(row["people"], on(status=RESTORED)),
                Cell(row["idp_households"], on(status=RESTORED)),
                Cell(row["irrigated_ha"], on(status=RESTORED), decimals=1),
                Cell(
                    row["committees_with_women"], admin_url("kehriz", committee_women__gt=0, **kehriz_scope)
                ),
                Cell(
                    row["committees_woman_chair"],
                    admin_url("kehriz", committee_chair_is_woman__exact=1, **kehriz_scope),
                ),
            ],
            "monitoring": [
                *follow_up_cells,
                Cell(row["never_visited"], admin_url("kehriz", last_visit_on__isnull="True", **kehriz_scope)),
                Cell(row["visited_long_ago"], admin_url("kehriz", last_visit_on__lt=cutoff, **kehriz_scope)),
                *[
                    Cell(row[f"functionality_{value}"], on(status="", functionality=value))
                    for value in Functionality.values
                ],
            ],
        }
        groups.setdefault(key, {"key": key, "heading": heading, "rows": []})["rows"].append(built)
    return list(groups.values())


def headline_cards(data):
    """The headline numbers, in three groups of cards."""
    o = data["overall"]
    restored_url = map_url(status=RESTORED)
    works_url = admin_url("restorationwork")
    cutoff = data["cutoff"]
    card = dict
    return [
        {
            "heading": _("Restoration"),
            "cards": [
                card(
                    label=_("kəhriz restored (including handed over)"), cell=Cell(o["restored"], restored_url)
                ),
                card(
                    label=_("kəhriz handed over to the community"),
                    cell=Cell(o[f"status_{Status.HANDED_OVER}"], map_url(status=Status.HANDED_OVER)),
                ),
                card(
                    label=_("kəhriz under restoration"),
                    cell=Cell(
                        o[f"status_{Status.UNDER_RESTORATION}"], map_url(status=Status.UNDER_RESTORATION)
                    ),
                ),
                card(label=_("metres of gallery cleaned"), cell=Cell(o["cleaned_m"], works_url, decimals=1)),
                card(label=_("shafts rehabilitated"), cell=Cell(o["shafts"], works_url)),
                card(label=_("concrete rings installed"), cell=Cell(o["rings"], works_url)),
            ],
        },
        {
            "heading": _("Who benefits"),
            "note": _("Served by the restored and handed-over kəhriz."),
            "cards": [
                card(label=_("households"), cell=Cell(o["households"], restored_url)),
                card(label=_("people"), cell=Cell(o["people"], restored_url)),
                card(label=_("IDP households"), cell=Cell(o["idp_households"], restored_url)),
                card(label=_("hectares irrigated"), cell=Cell(o["irrigated_ha"], restored_url, decimals=1)),
            ],
        },
        {
            "heading": _("Management and monitoring"),
            "cards": [
                card(
                    label=_("water user committees with women members"),
                    cell=Cell(o["committees_with_women"], admin_url("kehriz", committee_women__gt=0)),
                ),
                card(
                    label=_("committees chaired by a woman"),
                    cell=Cell(
                        o["committees_woman_chair"], admin_url("kehriz", committee_chair_is_woman__exact=1)
                    ),
                ),
                card(
                    label=_("open follow-up actions"),
                    cell=Cell(o["open"], admin_url("followup", done__exact=0)),
                    parts=[
                        card(
                            label=_("overdue"),
                            cell=Cell(
                                o["overdue"],
                                admin_url("followup", done__exact=0, due_date__lt=data["today"].isoformat()),
                            ),
                        )
                    ],
                ),
                card(
                    label=_("kəhriz not visited in the last %(days)d days") % {"days": NOT_VISITED_DAYS},
                    cell=Cell(
                        o["never_visited"] + o["visited_long_ago"],
                        admin_url("kehriz", not_visited_since=cutoff.isoformat(), o=_last_visit_ordering()),
                    ),
                    parts=[
                        card(
                            label=_("never visited"),
                            cell=Cell(o["never_visited"], admin_url("kehriz", last_visit_on__isnull="True")),
                        ),
                        card(
                            label=_("last visited before %(date)s") % {"date": date_format(cutoff)},
                            cell=Cell(
                                o["visited_long_ago"],
                                admin_url("kehriz", last_visit_on__lt=cutoff.isoformat()),
                            ),
                        ),
                    ],
                ),
            ],
        },
    ]


def _last_visit_ordering():
    """The admin list's ``o`` parameter that sorts kəhriz by last visit, oldest first."""
    from django.contrib import admin

    from projects.models import Kehriz

    model_admin = admin.site._registry.get(Kehriz)
    columns = list(getattr(model_admin, "list_display", []))
    return str(columns.index("last_visit_on") + 1) if "last_visit_on" in columns else None


def status_cells(overall):
    return [
        {
            "label": label,
            "colour": STATUS_COLOURS[value],
            "cell": Cell(overall[f"status_{value}"], map_url(status=value)),
        }
        for value, label in Status.choices
    ]


def functionality_cells(overall):
    return [
        {
            "label": label,
            "colour": FUNCTIONALITY_COLOURS[value],
            "cell": Cell(overall[f"functionality_{value}"], map_url(status="", functionality=value)),
        }
        for value, label in Functionality.choices
    ]


# A month under a chart's bar, short enough for every third bar on a phone: "mar 24" as
# Azerbaijani writes it (lower case, our catalogue's short forms), "Mar 24" in English.
CHART_MONTH_FORMATS = {"az": "b y"}


def chart_month(month):
    return date_format(month, CHART_MONTH_FORMATS.get(get_language(), "M y"))


def trend_context(trend):
    rows = [
        {
            "label": date_format(point["month"], "YEAR_MONTH_FORMAT"),
            "short": chart_month(point["month"]),
            "mean": Cell(point["mean"], decimals=1),
            "n": Cell(
                point["n"],
                admin_url(
                    "observation",
                    observed_on__gte=point["month"].isoformat(),
                    observed_on__lt=point["next"].isoformat(),
                    discharge_lps__isnull="False",
                ),
            ),
            "kehriz": Cell(point["kehriz"]),
        }
        for point in trend
    ]
    measured = [p for p in trend if p["mean"] is not None]
    chart = None
    if measured:
        chart = bar_chart_svg(
            [(row["short"], point["mean"]) for row, point in zip(rows, trend, strict=True)],
            title=str(_("Mean discharge per month")),
            description=str(
                _("Mean discharge at the outlet (L/s) of all measurements each month, last 24 months.")
            ),
            unit=str(_("L/s")),
            label_every=3,
        )
    return {"rows": rows, "chart": chart, "any": bool(measured)}


def reported_by(figure):
    """'Reported by the project “…”, as of about March 2024 (approximate date).'"""
    text = _("Reported by the project “%(project)s”") % {"project": figure.project}
    if figure.as_of and figure.as_of_is_approximate:
        text += ", " + _("as of about %(date)s (approximate date)") % {
            "date": date_format(figure.as_of, "YEAR_MONTH_FORMAT")
        }
    elif figure.as_of:
        text += ", " + _("as of %(date)s") % {"date": date_format(figure.as_of)}
    return text + "."


def dashboard_context(request):
    data = collect(request.user)
    overall = data["overall"]
    figures = [
        {
            "figure": figure,
            "value": fmt(figure.value, 0 if figure.value == figure.value.to_integral() else 2),
            "districts": ", ".join(d.short_name for d in figure.districts.all()),
            "reported_by": reported_by(figure),
        }
        for figure in data["figures"]
    ]
    context = {
        "overall": overall,
        "years": _years(overall),
        "cards": headline_cards(data),
        "statuses": status_cells(overall),
        "functionalities": functionality_cells(overall),
        "tables": table_rows(data),
        "trend": trend_context(data["trend"]),
        "figures": figures,
        "synthetic": overall["synthetic"],
        "synthetic_text": fmt(overall["synthetic"]),
        "synthetic_url": admin_url("kehriz", is_synthetic__exact=1),
        "today": data["today"],
        "cutoff": data["cutoff"],
        "days": NOT_VISITED_DAYS,
    }
    return context


# The dashboard is read far more often than the data changes: its content is kept in the cache
# under a key that changes with the data (row counts and latest change of every table it counts),
# the day (the 90-day and overdue counts move with it), the language and what the reader may see.
# A cached copy is never served after a change; CACHE_SECONDS only bounds what an unusual change
# that touches no counted table's rows (none is known) could leave showing.
CACHE_SECONDS = 600
VERSIONED = [
    District,
    Village,
    Project,
    ReportedFigure,
    Kehriz,
    Kehriz.projects.through,
    StatusEvent,
    RestorationWork,
    MonitoringVisit,
    Observation,
    FollowUp,
]


def data_version():
    """One query: how many rows each counted table has and when the latest changed.

    Each number is a subquery of its own: SQLite then counts the pages of the smallest index and
    reads the last entry of an ``updated_at`` index, without reading the rows (``COUNT(*), MAX(…)``
    in one select would read every row). The large tables index ``updated_at`` for this."""
    parts = []
    for model in VERSIONED:
        table = connection.ops.quote_name(model._meta.db_table)
        latest = "NULL"
        if any(f.name == "updated_at" for f in model._meta.fields):
            latest = f"(SELECT MAX(updated_at) FROM {table})"
        parts.append(f"SELECT (SELECT COUNT(*) FROM {table}), {latest}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return cursor.fetchall()


def dashboard(request):
    key = (
        "dashboard:"
        + hashlib.sha1(
            repr(
                (
                    get_language(),
                    request.user.is_authenticated,
                    timezone.localdate().isoformat(),
                    data_version(),
                )
            ).encode()
        ).hexdigest()
    )
    body = cache.get(key)
    if body is None:
        body = render_to_string("projects/dashboard_body.html", dashboard_context(request), request=request)
        cache.set(key, body, CACHE_SECONDS)
    # ``body`` is dashboard_body.html rendered with autoescaping (every name in it escaped there),
    # kept in the cache as a string: it holds no per-request nonce and no script.
    return render(request, "projects/dashboard.html", {"body": mark_safe(body)})  # noqa: S308
