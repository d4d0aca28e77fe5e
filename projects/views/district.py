"""A district's page: its map, its counts, and its kəhriz in a sortable, paginated table.

A fixed number of queries whatever the number of kəhriz: the district, one aggregate, and the
paginator's count and page."""

from django.core.paginator import Paginator
from django.db.models import Case, F, Func, IntegerField, TextField, Value, When
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from projects.models import District, Functionality, Status
from projects.views.common import (
    FUNCTIONALITY_COLOURS,
    POPUP_LABELS,
    STATUS_COLOURS,
    functionality_legend,
    status_legend,
    visible_kehriz,
)
from projects.views.dashboard import RESTORED, Cell, fmt, kehriz_aggregates, map_url

PER_PAGE = 100


def _order(field, values):
    """Sort by a vocabulary's own order (identified → handed over), not alphabetically."""
    return Case(
        *[When(**{field: value}, then=Value(index)) for index, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


# Sort key → (column heading, the expression to sort by). Ties are broken by name and code.
COLUMNS = {
    "name": (_("Name"), "name"),
    "village": (_("Village"), "village__name"),
    "status": (_("Restoration status"), "status_order"),
    "functionality": (_("Functionality"), "functionality_order"),
    "last_visit": (_("Last visit"), "last_visit_on"),
    "discharge": (_("Last discharge (L/s)"), "last_discharge_lps"),
    "households": (_("Households"), "households_served"),
}
DEFAULT_SORT = "name"


def parse_sort(value):
    """``"-last_visit"`` → ``("last_visit", True)``; anything unknown → the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in COLUMNS:
        return DEFAULT_SORT, False
    return key, descending


# Names sorted the way people count: "Ağbulaq 9", "Ağbulaq 046", "Ağbulaq 108", not as text
# ("Ağbulaq 108" before "Ağbulaq 46"). By the name without its trailing number, then by the
# number's length without its leading zeros (a longer number is a larger one), then by that number
# as text, then by the whole name. RTRIM/LTRIM(text, characters) and SUBSTR are the same functions
# in SQLite and PostgreSQL.
NATURAL = {"name", "village"}


def natural_keys(field):
    without_number = Func(F(field), Value("0123456789"), function="RTRIM", output_field=TextField())
    number = Func(
        Func(F(field), Length(without_number) + 1, function="SUBSTR", output_field=TextField()),
        Value("0"),
        function="LTRIM",
        output_field=TextField(),
    )
    return [without_number, Length(number), number, F(field)]


def ordering(key, descending):
    field = COLUMNS[key][1]
    keys = natural_keys(field) if key in NATURAL else [F(field)]
    # Empty values (never visited, no village) go last in both directions.
    first = [k.desc(nulls_last=True) if descending else k.asc(nulls_last=True) for k in keys]
    return [*first, *natural_keys("name"), "code", "pk"]


def column_headers(key, descending, base_query):
    headers = []
    for column, (label, _field) in COLUMNS.items():
        active = column == key
        next_sort = f"-{column}" if active and not descending else column
        headers.append(
            {
                "key": column,
                "label": label,
                "active": active,
                "aria_sort": ("descending" if descending else "ascending") if active else None,
                "url": "?" + urlencode({**base_query, "sort": next_sort}),
                "next_descending": next_sort.startswith("-"),
            }
        )
    return headers


def district_detail(request, slug):
    district = get_object_or_404(District, slug=slug)
    kehriz = visible_kehriz(request.user).filter(district=district)
    aggregates, cutoff = kehriz_aggregates()
    totals = kehriz.order_by().aggregate(**aggregates)

    # The map can filter only the programme districts: elsewhere the numbers are not links.
    on_map = district.is_programme

    def link(**params):
        return map_url(district=district.slug, **params) if on_map else None

    statuses = [
        {
            **item,
            "cell": Cell(totals[f"status_{item['value']}"], link(status=item["value"])),
        }
        for item in status_legend()
    ]
    functionalities = [
        {
            **item,
            "cell": Cell(
                totals[f"functionality_{item['value']}"],
                link(status="", functionality=item["value"]),
            ),
        }
        for item in functionality_legend()
    ]
    restored_url = link(status=RESTORED)
    served = [
        {"label": _("households"), "cell": Cell(totals["households"], restored_url)},
        {"label": _("people"), "cell": Cell(totals["people"], restored_url)},
        {"label": _("IDP households"), "cell": Cell(totals["idp_households"], restored_url)},
        {"label": _("hectares irrigated"), "cell": Cell(totals["irrigated_ha"], restored_url, decimals=1)},
    ]

    key, descending = parse_sort(request.GET.get("sort"))
    rows = (
        kehriz.select_related("village")
        .only(
            "pk",
            "name",
            "code",
            "status",
            "functionality",
            "last_visit_on",
            "last_discharge_lps",
            "households_served",
            "is_published",
            "is_synthetic",
            "village__name",
        )
        .annotate(
            status_order=_order("status", Status.values),
            functionality_order=_order("functionality", Functionality.values),
        )
        .order_by(*ordering(key, descending))
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    sort_query = (
        {} if (key, descending) == (DEFAULT_SORT, False) else {"sort": ("-" if descending else "") + key}
    )

    def page_url(number):
        return "?" + urlencode({**sort_query, "page": number})

    # Every status, named: the layer API refuses an empty ``status=`` (it has no "any" value).
    config = {
        "layer": (
            reverse("projects:api-kehriz-map")
            + "?"
            + urlencode({"district": district.slug, "status": Status.values}, doseq=True)
            if on_map
            else None
        ),
        "boundaries": reverse("projects:api-district-boundaries")
        + "?"
        + urlencode({"district": district.slug}),
        "kehrizUrl": reverse("projects:kehriz", args=[0]),
        "statuses": status_legend(),
        "functionalities": functionality_legend(),
        "labels": {key: str(label) for key, label in POPUP_LABELS.items()},
    }
    return render(
        request,
        "projects/district.html",
        {
            "district": district,
            "totals": totals,
            "total": Cell(totals["total"], link(status="")),
            "restored": Cell(totals["restored"], restored_url),
            "handed_over": Cell(totals[f"status_{Status.HANDED_OVER}"], link(status=Status.HANDED_OVER)),
            "statuses": statuses,
            "functionalities": functionalities,
            "served": served,
            "synthetic": totals["synthetic"],
            "synthetic_text": fmt(totals["synthetic"]),
            "on_map": on_map,
            "map_link": link(status=""),
            "page": page,
            "rows": [
                {
                    "kehriz": k,
                    "status_colour": STATUS_COLOURS.get(k.status, "#555"),
                    "functionality_colour": FUNCTIONALITY_COLOURS.get(k.functionality, "#555"),
                    "discharge": fmt(k.last_discharge_lps, 1),
                    "households": fmt(k.households_served),
                }
                for k in page.object_list
            ],
            "headers": column_headers(key, descending, {}),
            "previous_url": page_url(page.previous_page_number()) if page.has_previous() else None,
            "next_url": page_url(page.next_page_number()) if page.has_next() else None,
            "first_url": page_url(1),
            "last_url": page_url(page.paginator.num_pages),
            "config": config,
            "cutoff": cutoff,
        },
    )
