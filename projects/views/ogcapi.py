"""OGC API – Features views under ``/ogc/`` (read-only; see projects/ogcapi.py).

DRF views for DRF's authentication (token or session, so a token in QGIS or GDAL sees what its
user sees), its throttles and its 401/429 answers; their bodies are the OGC documents, whatever
the client's Accept header. They are left out of ``/api/schema/``: the OGC API describes itself
at ``/ogc/api`` (the landing page's service-desc).
"""

import json

from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from projects import ogcapi
from projects.filters import MAX_ID


class FirstRenderer(BaseContentNegotiation):
    """Answers (and DRF's own 401/429) in JSON whatever the client accepts: GDAL asks for
    application/geo+json, QGIS for application/json, browsers for text/html."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _answer(body, content_type):
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = HttpResponse(
        text, content_type=f"{content_type}; charset=utf-8" if "version" not in content_type else content_type
    )
    # What an answer holds depends on who asks (published kəhriz only for the public).
    patch_vary_headers(response, ["Cookie", "Authorization", "Accept-Language"])
    return response


def _bad_request(error):
    return JsonResponse(
        {"code": "InvalidParameterValue", "description": error.description},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


def _collection(collection_id):
    try:
        return ogcapi.COLLECTIONS[collection_id]
    except KeyError:
        raise Http404(collection_id) from None


@extend_schema(exclude=True)
class OGCView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer
    http_method_names = ["get", "head", "options"]


class LandingPage(OGCView):
    def get(self, request):
        return _answer(ogcapi.landing_page(request), ogcapi.JSON)


class Conformance(OGCView):
    def get(self, request):
        return _answer({"conformsTo": ogcapi.CONFORMANCE}, ogcapi.JSON)


class OpenAPI(OGCView):
    def get(self, request):
        return _answer(ogcapi.openapi_document(request), ogcapi.OPENAPI_JSON)


class Collections(OGCView):
    def get(self, request):
        return _answer(ogcapi.collections_document(request), ogcapi.JSON)


class CollectionView(OGCView):
    def get(self, request, collection_id):
        return _answer(ogcapi.collection_document(request, _collection(collection_id)), ogcapi.JSON)


class Queryables(OGCView):
    def get(self, request, collection_id):
        return _answer(ogcapi.queryables_document(request, _collection(collection_id)), ogcapi.SCHEMA_JSON)


class Items(OGCView):
    def get(self, request, collection_id):
        collection = _collection(collection_id)
        try:
            return _answer(ogcapi.items_document(request, collection), ogcapi.GEOJSON)
        except ogcapi.BadRequest as error:
            return _bad_request(error)


class Item(OGCView):
    def get(self, request, collection_id, feature_id):
        collection = _collection(collection_id)
        body = ogcapi.item_document(request, collection, feature_id) if feature_id <= MAX_ID else None
        if body is None:
            raise Http404(feature_id)
        return _answer(body, ogcapi.GEOJSON)


# Paths as the standard writes them (no trailing slash), under ``/ogc/``.
urlpatterns = [
    path("", LandingPage.as_view(), name="ogc-landing"),
    path("api", OpenAPI.as_view(), name="ogc-openapi"),
    path("conformance", Conformance.as_view(), name="ogc-conformance"),
    path("collections", Collections.as_view(), name="ogc-collections"),
    path("collections/<slug:collection_id>", CollectionView.as_view(), name="ogc-collection"),
    path("collections/<slug:collection_id>/queryables", Queryables.as_view(), name="ogc-queryables"),
    path("collections/<slug:collection_id>/items", Items.as_view(), name="ogc-items"),
    path(
        "collections/<slug:collection_id>/items/<int:feature_id>",
        Item.as_view(),
        name="ogc-item",
    ),
]
