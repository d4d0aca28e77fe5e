from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.filters import KehrizFilterSet, map_filter_data
from projects.models import District
from projects.views.common import POPUP_LABELS, functionality_legend, status_legend, visible_kehriz

DOWNLOADS = [
    ("csv", _("Spreadsheet (CSV)")),
    ("xlsx", _("Excel (XLSX)")),
    ("geojson", "GeoJSON"),
    ("kml", _("Google Earth (KML)")),
    ("gpkg", _("QGIS (GeoPackage)")),
]


def map_page(request):
    """The home page: the programme districts, every kəhriz coloured by status, and filters that
    live in the URL (the same FilterSet as the API, so the map and any export agree)."""
    data = map_filter_data(request.GET)
    filterset = KehrizFilterSet(data, queryset=visible_kehriz(request.user))
    districts = {d.slug: d.short_name for d in District.objects.programme().only("slug", "name_az")}
    config = {
        "layer": reverse("projects:api-kehriz-map"),
        "routes": reverse("projects:api-kehriz-routes"),
        "boundaries": reverse("projects:api-district-boundaries"),
        "kehrizUrl": reverse("projects:kehriz", args=[0]),
        "districtUrl": reverse("projects:district", args=["__slug__"]),
        "statuses": status_legend(),
        "functionalities": functionality_legend(),
        "districts": districts,
        "labels": {key: str(label) for key, label in POPUP_LABELS.items()},
        "routesMinZoom": 13,
    }
    return render(
        request,
        "projects/map.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "query": data.urlencode(),
            "config": config,
            "downloads": DOWNLOADS,
        },
    )


def about(request):
    return render(request, "projects/about.html")
