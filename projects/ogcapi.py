"""OGC API – Features (read-only) over three collections: kəhriz outlets (points), gallery routes
(lines) and the programme districts (polygons).

What GIS programs (QGIS, GDAL/ogr2ogr, ArcGIS) need to read our data live, without a file in
between: OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and the queryables of Part 3.
The rules are those of the map: ``visible_kehriz`` decides who sees which kəhriz (published ones
for the public; all for a signed-in user or a token), and the kəhriz filters of the map
(``KehrizFilterSet``) are the collections' queryables, so a layer in QGIS, the map and an export
with the same filters hold the same kəhriz.

Each page of items costs two queries whatever its size and whatever the number of kəhriz: the
count (``numberMatched``) and the page itself, with the geometry as GeoJSON text from the
database and the names of village and district joined in.
"""

import datetime
import json
from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.filters import KehrizFilterSet
from projects.models import District, Functionality, Status
from projects.views.common import visible_kehriz

LIMIT_DEFAULT = 100
LIMIT_MAX = 1000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# Where to zoom when a collection is empty: Azerbaijan.
AZERBAIJAN = [44.76, 38.39, 50.89, 41.91]

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]

# Parameters every items request takes (``f``: only JSON, named for clients that send it).
COMMON_PARAMETERS = {"limit", "offset", "bbox", "datetime", "f"}


class BadRequest(Exception):
    """A parameter the server does not know or cannot read: 400 with the OGC exception body."""

    def __init__(self, description):
        super().__init__(description)
        self.description = description


# The kəhriz filters of the map that the collections take as queryables, with their JSON Schema.
# (``in_bbox`` is ``bbox`` here, the last visit is ``datetime``; ``near`` is left to the REST API.)
def _kehriz_queryables():
    return {
        "status": {
            "title": _("Restoration status"),
            "type": "string",
            "enum": list(Status.values),
            "description": _("Repeat the parameter for several statuses."),
        },
        "functionality": {
            "title": _("Functionality"),
            "type": "string",
            "enum": list(Functionality.values),
            "description": _("Repeat the parameter for several values."),
        },
        "district": {
            "title": _("District"),
            "type": "string",
            "description": _("A programme district's slug, e.g. cebrayil-rayonu."),
        },
        "project": {"title": _("Project"), "type": "string", "description": _("A project's code.")},
        "donor": {"title": _("Donor"), "type": "string", "description": _("Words of a donor's name.")},
        "handed_over_year": {
            "title": _("Handed over in (year)"),
            "type": "integer",
            "minimum": 1900,
            "maximum": 2100,
        },
        "q": {
            "title": _("Search"),
            "type": "string",
            "description": _("Name, code, village or district; Azerbaijani letters are optional."),
        },
    }


KEHRIZ_QUERYABLES = ("status", "functionality", "district", "project", "donor", "handed_over_year", "q")


def _page_url(request, **changes):
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = str(value)
    return request.build_absolute_uri(request.path + "?" + query.urlencode())


def _kehriz_url(request, pk):
    return request.build_absolute_uri(reverse("projects:kehriz", args=[pk]))


def _number(value):
    return None if value is None else float(value)


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    geometry_field: str
    geometry_type: str
    queryables: tuple = ()
    datetime_field: str | None = None

    # --- the rows ------------------------------------------------------------------------------

    def visible(self, request):
        """Every row this reader may see, unfiltered."""
        if self.id == "districts":
            return District.objects.programme()
        return visible_kehriz(request.user)

    def filtered(self, request, params):
        """The rows of ``params`` (queryables, bbox, datetime) that this reader may see."""
        rows = self.visible(request)
        if self.queryables:
            data = QueryDict(mutable=True)
            for key in self.queryables:
                if key in params:
                    data.setlist(key, params.getlist(key))
            filterset = KehrizFilterSet(data, queryset=rows)
            if not filterset.is_valid():
                raise BadRequest(" ".join(filterset.form.labelled_messages()))
            rows = filterset.qs
        rows = rows.filter(**{f"{self.geometry_field}__isnull": False})
        box = parse_bbox(params.get("bbox"))
        if box is not None:
            rows = rows.filter(**{f"{self.geometry_field}__intersects": box})
        when = parse_datetime(params.get("datetime"))
        if when is not None and self.datetime_field:
            start, end = when
            if start:
                rows = rows.filter(**{f"{self.datetime_field}__gte": start})
            if end:
                rows = rows.filter(**{f"{self.datetime_field}__lte": end})
        return rows

    def extent(self, request):
        box = self.visible(request).aggregate(box=Extent(self.geometry_field))["box"]
        return [round(value, 5) for value in box] if box else AZERBAIJAN

    # --- the features --------------------------------------------------------------------------

    FIELDS = {
        "kehriz": (
            "name",
            "code",
            "status",
            "functionality",
            "village__name",
            "district__slug",
            "district__name_az",
            "last_visit_on",
            "last_discharge_lps",
            "is_synthetic",
        ),
        "districts": ("slug", "name_az", "name_en"),
    }

    def features(self, request, rows, offset=0, limit=LIMIT_MAX):
        """(id, properties, geometry as GeoJSON text) of ``rows[offset:offset + limit]`` in id
        order: one query."""
        fields = self.FIELDS["districts" if self.id == "districts" else "kehriz"]
        precision = 5 if self.id == "districts" else 6
        values = rows.order_by("pk").annotate(
            geometry_json=AsGeoJSON(self.geometry_field, precision=precision)
        )
        for row in values.values("pk", "geometry_json", *fields)[offset : offset + limit]:
            yield row["pk"], self.properties(request, row), row["geometry_json"]

    def properties(self, request, row):
        if self.id == "districts":
            return {"slug": row["slug"], "name": row["name_az"], "name_en": row["name_en"]}
        visited = row["last_visit_on"]
        return {
            "name": row["name"],
            "code": row["code"],
            "status": row["status"],
            "functionality": row["functionality"],
            "village": row["village__name"] or "",
            "district": row["district__slug"],
            "district_name": row["district__name_az"],
            "last_visit_on": visited.isoformat() if visited else None,
            "last_discharge_lps": _number(row["last_discharge_lps"]),
            "is_synthetic": row["is_synthetic"],
            "url": _kehriz_url(request, row["pk"]),
        }

    def property_schema(self):
        """The feature properties as JSON Schema (the collection's describedby document)."""
        if self.id == "districts":
            names = {"slug": "string", "name": "string", "name_en": "string"}
            return {name: {"type": kind} for name, kind in names.items()}
        return {
            "name": {"type": "string"},
            "code": {"type": "string"},
            "status": {"type": "string", "enum": list(Status.values)},
            "functionality": {"type": "string", "enum": list(Functionality.values)},
            "village": {"type": "string"},
            "district": {"type": "string"},
            "district_name": {"type": "string"},
            "last_visit_on": {"type": ["string", "null"], "format": "date"},
            "last_discharge_lps": {"type": ["number", "null"]},
            "is_synthetic": {"type": "boolean"},
            "url": {"type": "string", "format": "uri"},
        }


COLLECTIONS = {
    collection.id: collection
    for collection in (
        Collection(
            id="kehriz",
            title=gettext_lazy("Kəhriz outlets"),
            description=gettext_lazy(
                "Where each kəhriz's water comes out, with its restoration status, functionality, "
                "village, district, last visit and last measured discharge. Anonymous readers see "
                "published kəhriz only."
            ),
            geometry_field="outlet",
            geometry_type="Point",
            queryables=KEHRIZ_QUERYABLES,
            datetime_field="last_visit_on",
        ),
        Collection(
            id="kehriz-routes",
            title=gettext_lazy("Kəhriz gallery routes"),
            description=gettext_lazy(
                "The underground gallery of each kəhriz, drawn from the mother well to the outlet "
                "(where it has been mapped), with the same properties and filters as the outlets."
            ),
            geometry_field="route",
            geometry_type="LineString",
            queryables=KEHRIZ_QUERYABLES,
            datetime_field="last_visit_on",
        ),
        Collection(
            id="districts",
            title=gettext_lazy("Programme districts"),
            description=gettext_lazy(
                "The boundaries of the districts of the restoration programme. © OpenStreetMap "
                "contributors, ODbL 1.0."
            ),
            geometry_field="boundary",
            geometry_type="MultiPolygon",
        ),
    )
}


# --- Parameters ---------------------------------------------------------------------------------


def check_parameters(params, collection):
    """400 for a parameter the items of ``collection`` do not take (OGC API – Features 1.0,
    /req/core/query-param-unknown), so a misspelt filter never silently returns everything."""
    allowed = COMMON_PARAMETERS | set(collection.queryables)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise BadRequest(
            _("Unknown parameter: %(names)s. This collection takes: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
        )
    if params.get("f", "json") not in ("json", "geojson"):
        raise BadRequest(_("Only f=json is offered."))


def _integer(params, name, default, minimum):
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise BadRequest(_("%(name)s must be a whole number from %(min)d.") % {"name": name, "min": minimum})
    return number


def parse_paging(params):
    """(limit, offset): a limit above the most is the most, as the standard asks."""
    limit = min(_integer(params, "limit", LIMIT_DEFAULT, 1), LIMIT_MAX)
    return limit, _integer(params, "offset", 0, 0)


def parse_bbox(value):
    """``minx,miny,maxx,maxy`` (or six numbers, heights ignored) in CRS84, as a polygon."""
    if not value:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise BadRequest(_("Give bbox as four numbers: west,south,east,north (degrees)."))
    west, south, east, north = numbers
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest(_("The bbox must have west ≤ east within ±180 and south ≤ north within ±90."))
    return (
        Polygon.from_bbox((west, south, east, north))
        if (west, south) != (east, north)
        else _point_box(west, south)
    )


def _point_box(x, y):
    tiny = 1e-9
    return Polygon.from_bbox((x - tiny, y - tiny, x + tiny, y + tiny))


def _date(text):
    if text in ("", ".."):
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError as error:
        raise BadRequest(
            _("Give datetime as a date or an interval: 2024-03-13, 2024-01-01/.., ../2024-12-31.")
        ) from error


def parse_datetime(value):
    """(start, end) dates of a ``datetime`` instant or interval; None when absent."""
    if not value:
        return None
    if "/" in value:
        start, end = value.split("/", 1)
        return _date(start), _date(end)
    day = _date(value)
    return day, day


# --- Documents ----------------------------------------------------------------------------------


def url(request, name, *args):
    return request.build_absolute_uri(reverse(f"projects:{name}", args=args))


def landing_page(request):
    return {
        "title": _("Kəhriz: live layers"),
        "description": _(
            "Kəhriz (qanat) restoration in Azerbaijan as OGC API – Features: kəhriz outlets, "
            "gallery routes and programme districts, for QGIS and other GIS programs."
        ),
        "links": [
            {"rel": "self", "type": JSON, "title": _("This document"), "href": url(request, "ogc-landing")},
            {
                "rel": "service-desc",
                "type": OPENAPI_JSON,
                "title": _("The API definition (OpenAPI 3.0)"),
                "href": url(request, "ogc-openapi"),
            },
            {
                "rel": "conformance",
                "type": JSON,
                "title": _("Conformance classes"),
                "href": url(request, "ogc-conformance"),
            },
            {"rel": "data", "type": JSON, "title": _("Collections"), "href": url(request, "ogc-collections")},
        ],
    }


def collection_document(request, collection):
    href = url(request, "ogc-collection", collection.id)
    return {
        "id": collection.id,
        "title": str(collection.title),
        "description": str(collection.description),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [collection.extent(request)], "crs": CRS84}},
        "links": [
            {"rel": "self", "type": JSON, "title": str(collection.title), "href": href},
            {
                "rel": "items",
                "type": GEOJSON,
                "title": _("The features"),
                "href": url(request, "ogc-items", collection.id),
            },
            {
                "rel": REL_QUERYABLES,
                "type": SCHEMA_JSON,
                "title": _("Queryables"),
                "href": url(request, "ogc-queryables", collection.id),
            },
        ],
    }


def collections_document(request):
    return {
        "links": [{"rel": "self", "type": JSON, "href": url(request, "ogc-collections")}],
        "collections": [collection_document(request, collection) for collection in COLLECTIONS.values()],
    }


def queryables_document(request, collection):
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url(request, "ogc-queryables", collection.id),
        "type": "object",
        "title": str(collection.title),
        "properties": {
            name: schema for name, schema in _kehriz_queryables().items() if name in collection.queryables
        },
        "additionalProperties": False,
    }


def _feature_text(collection_id, pk, properties, geometry, links=None):
    head = {"type": "Feature", "id": pk, "properties": properties}
    if links:
        head["links"] = links
    return json.dumps(head, ensure_ascii=False)[:-1] + f',"geometry":{geometry or "null"}}}'


def items_document(request, collection):
    """One page of a collection's features (GeoJSON text): two queries."""
    params = request.GET
    check_parameters(params, collection)
    limit, offset = parse_paging(params)
    rows = collection.filtered(request, params)
    matched = rows.count()
    features = [
        _feature_text(collection.id, pk, properties, geometry)
        for pk, properties, geometry in collection.features(request, rows, offset, limit)
    ]
    links = [
        {"rel": "self", "type": GEOJSON, "href": _page_url(request)},
        {"rel": "collection", "type": JSON, "href": url(request, "ogc-collection", collection.id)},
    ]
    if offset + len(features) < matched:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON,
                "title": _("Next page"),
                "href": _page_url(request, offset=offset + limit),
            }
        )
    if offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON,
                "title": _("Previous page"),
                "href": _page_url(request, offset=max(offset - limit, 0)),
            }
        )
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    return json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(features) + "]}"


def item_document(request, collection, pk):
    """One feature (GeoJSON text), or None when this reader may not see it or it has no geometry."""
    rows = collection.visible(request).filter(pk=pk, **{f"{collection.geometry_field}__isnull": False})
    for feature_id, properties, geometry in collection.features(request, rows):
        links = [
            {"rel": "self", "type": GEOJSON, "href": url(request, "ogc-item", collection.id, feature_id)},
            {"rel": "collection", "type": JSON, "href": url(request, "ogc-collection", collection.id)},
        ]
        return _feature_text(collection.id, feature_id, properties, geometry, links)
    return None


def _parameter(name, where, schema, description, **extra):
    return {"name": name, "in": where, "schema": schema, "description": description, **extra}


def _response(description, media_type, schema=None):
    return {"description": description, "content": {media_type: {"schema": schema or {"type": "object"}}}}


def openapi_document(request):
    """The API definition (OpenAPI 3.0, the service-desc of the landing page)."""
    queryables = _kehriz_queryables()
    collection_ids = list(COLLECTIONS)
    collection_id = _parameter(
        "collectionId", "path", {"type": "string", "enum": collection_ids}, _("Collection"), required=True
    )
    error = _response(_("A parameter was not understood"), JSON)
    json_page = lambda summary: {"get": {"summary": summary, "responses": {"200": _response(summary, JSON)}}}  # noqa: E731
    items_parameters = [
        collection_id,
        _parameter(
            "limit",
            "query",
            {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
            _("Features a page holds at most."),
            style="form",
            explode=False,
        ),
        _parameter(
            "offset", "query", {"type": "integer", "minimum": 0, "default": 0}, _("Features to skip.")
        ),
        _parameter(
            "bbox",
            "query",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            _("west,south,east,north in degrees (CRS84)."),
            style="form",
            explode=False,
        ),
        _parameter(
            "datetime",
            "query",
            {"type": "string"},
            _(
                "Kəhriz last visited on this date or in this interval (2024-01-01/..); "
                "districts are not restricted."
            ),
            style="form",
            explode=False,
        ),
        *(
            _parameter(name, "query", schema, str(schema.get("description", schema["title"])))
            for name, schema in queryables.items()
        ),
    ]
    paths = {
        "/": json_page(_("Landing page")),
        "/conformance": json_page(_("Conformance classes")),
        "/collections": json_page(_("Collections")),
        "/collections/{collectionId}": {
            "get": {
                "summary": _("A collection"),
                "parameters": [collection_id],
                "responses": {"200": _response(_("A collection"), JSON), "404": error},
            }
        },
        "/collections/{collectionId}/queryables": {
            "get": {
                "summary": _("Queryables"),
                "parameters": [collection_id],
                "responses": {"200": _response(_("Queryables"), SCHEMA_JSON), "404": error},
            }
        },
        "/collections/{collectionId}/items": {
            "get": {
                "summary": _("The features"),
                "description": _("Kəhriz filters apply to the kəhriz collections only."),
                "parameters": items_parameters,
                "responses": {"200": _response(_("The features"), GEOJSON), "400": error, "404": error},
            }
        },
        "/collections/{collectionId}/items/{featureId}": {
            "get": {
                "summary": _("A feature"),
                "parameters": [
                    collection_id,
                    _parameter("featureId", "path", {"type": "integer"}, _("Feature"), required=True),
                ],
                "responses": {"200": _response(_("A feature"), GEOJSON), "404": error},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("Kəhriz: live layers"),
            "version": "1.0",
            "description": _("OGC API – Features over the kəhriz, their routes and the programme districts."),
        },
        "servers": [{"url": url(request, "ogc-landing").rstrip("/")}],
        "paths": paths,
    }
