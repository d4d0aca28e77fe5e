"""The field app's map: the officer's districts' boundaries, and what the phone needs to draw them
with the kəhriz and the officer's position, offline (projects/static/projects/field/map.js).

- ``districts``: ``/field/districts.json``, the boundaries of the districts whose kəhriz the user
  may record (an officer's assigned districts; every district with kəhriz for a data manager),
  simplified to about 50 m and rounded to 5 decimals, as GeoJSON; two queries;
- ``map_config``: the page's map settings: the configured tile server (``MAP_TILES_URL``, as every
  map of the site), how many viewed tiles the phone keeps (``TILES_KEPT``), the Leaflet files the
  service worker keeps, and the map's words;
- ``TILES_SCRIPT``: the service worker's part that keeps the viewed tiles and the boundaries
  (``tiles-sw.js``, added to the worker by ``projects.views.field.service_worker``)."""

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import roles
from projects.models import District, Kehriz

# The most map tiles the phone keeps (the oldest go first): about 30 MB of OpenStreetMap's tiles.
TILES_KEPT = 2000
# Boundaries are drawn simplified to this (degrees: about 50 m), with coordinates rounded to 5
# decimals (about 1 m): a district is a few kilobytes on the phone.
SIMPLIFY_DEGREES = 0.0005
LEAFLET_STATIC = ["leaflet/leaflet.css", "leaflet/leaflet.js", "projects/field/map.css"]
TILES_SCRIPT = "projects/field/tiles-sw.js"

MAP_LABELS = {
    "start": gettext_lazy("Start an observation here"),
    "you": gettext_lazy("You are here (± %(accuracy)s m)"),
    "offlineTiles": gettext_lazy(
        "No connection: the map shows the places you have viewed before; the kəhriz are all there."
    ),
    "noKehriz": gettext_lazy("No kəhriz with a known position in your districts."),
    "failed": gettext_lazy("The map could not be opened on this phone."),
    "count": gettext_lazy("kəhriz on the map: %(count)s"),
}


def map_config():
    """The map's settings for the page (``cfg.map``)."""
    return {
        "tiles": {
            "url": settings.MAP_TILES_URL,
            # The site's own setting (trusted, may hold a link), shown by Leaflet as on every map.
            "attribution": settings.MAP_TILES_ATTRIBUTION,
            "maxZoom": 18,
        },
        "tilesKept": TILES_KEPT,
        "districts": reverse("projects:field-districts"),
        "leaflet": {"css": static("leaflet/leaflet.css"), "js": static("leaflet/leaflet.js")},
        "css": static("projects/field/map.css"),
        "labels": {key: str(label) for key, label in MAP_LABELS.items()},
    }


def service_worker_config():
    """What the service worker's tile part needs (``self.FIELD_SW.map``)."""
    return {
        "tiles": settings.MAP_TILES_URL,
        "tilesKept": TILES_KEPT,
        "districts": reverse("projects:field-districts"),
    }


def _district_ids(user):
    ids = set(Kehriz.objects.editable_by(user).order_by().values_list("district_id", flat=True).distinct())
    if roles.is_field_officer(user):
        ids |= roles.district_ids(user)
    return ids


def _rounded(coordinates):
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], 5), round(coordinates[1], 5)]
    return [_rounded(part) for part in coordinates]


def districts(request):
    from projects.views.field import can_record

    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Sign in to see your kəhriz.")}, status=401)
    if not can_record(request.user):
        return JsonResponse({"detail": _("Only field officers and data managers record visits.")}, status=403)
    features = []
    rows = District.objects.filter(pk__in=_district_ids(request.user), boundary__isnull=False).order_by(
        "name_az"
    )
    for district in rows.only("pk", "name_az", "name_en", "slug", "boundary"):
        shape = district.boundary.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
        if isinstance(shape, Polygon):
            shape = MultiPolygon(shape)  # one kind of geometry for the phone, as stored
        features.append(
            {
                "type": "Feature",
                "id": district.pk,
                "properties": {"name": district.short_name},
                "geometry": {"type": shape.geom_type, "coordinates": _rounded(shape.coords)},
            }
        )
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features},
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response
