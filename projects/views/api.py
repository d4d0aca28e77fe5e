"""The JSON API.

- The map layers (``/api/v1/kehriz/map/``, routes, boundaries): one request each, a constant
  number of queries whatever the number of kəhriz, and cacheable (ETag; 304 when unchanged).
- The REST API (``/api/v1/`` router): viewsets over the models, with the map's FilterSets, the
  roles of projects/roles.py, idempotent visit creation, and no lost updates: records carry an
  ETag, and PUT/PATCH/DELETE with a stale If-Match answer 412 and write nothing."""

import hashlib
import json
import re

import django_filters.rest_framework as df_rest
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Prefetch, ProtectedError, RestrictedError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import filters as drf_filters
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_gis.pagination import GeoJsonPagination

from projects import exports, history, maplayer, roles, services, throttling, trash
from projects import serializers as s
from projects.filters import (
    DistrictFilterSet,
    FollowUpFilterSet,
    KehrizFilterSet,
    ObservationFilterSet,
    PhotoFilterSet,
    ProjectFilterSet,
    StatusEventFilterSet,
    VillageFilterSet,
    VisitFilterSet,
    WorkFilterSet,
)
from projects.models import (
    District,
    FollowUp,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
    Project,
    RestorationWork,
    StatusEvent,
    Village,
)
from projects.openapi import ERRORS, ConditionalWritesSchema, FilterErrorsSerializer
from projects.permissions import RolePermission, StatusChangePermission
from projects.views.common import visible_kehriz

GEOJSON = "application/geo+json"


def _etag(request, *parts):
    key = "|".join([request.get_full_path(), str(request.user.is_authenticated), *map(str, parts)])
    return '"' + hashlib.sha1(key.encode()).hexdigest() + '"'


def _cached(request, etag, build):
    """Answer 304 when the client's copy is current, else build the body."""
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(build(), content_type=GEOJSON)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # always revalidate: cheap, and never stale
    patch_vary_headers(response, ["Cookie"])
    return response


def _filtered(request, errors=None):
    """The kəhriz of the request's filters, or the 400 that lists every filter not understood
    (with ``errors``, the view's own parameters' errors, in the same shape)."""
    filterset = KehrizFilterSet(request.GET, queryset=visible_kehriz(request.user))
    errors = {**(filterset.form.labelled_errors() if not filterset.is_valid() else {}), **(errors or {})}
    if errors:
        return None, JsonResponse({"errors": errors}, status=400)
    return filterset.qs, None


def _version(queryset):
    return queryset.order_by().aggregate(
        n=Count("pk"), changed=Max("updated_at"), villages=Max("village__updated_at")
    )


LAYER_RESPONSES = {
    (200, GEOJSON): OpenApiTypes.OBJECT,
    304: OpenApiResponse(description="Not modified since the ETag sent in If-None-Match"),
    400: OpenApiResponse(
        FilterErrorsSerializer, description="A filter was not understood: the errors by parameter"
    ),
}


class _Layer(GenericAPIView):
    permission_classes = [AllowAny]
    filter_backends = [df_rest.DjangoFilterBackend]
    filterset_class = KehrizFilterSet
    pagination_class = None

    def get_queryset(self):
        return visible_kehriz(self.request.user)


@extend_schema(
    summary="Map layer: kəhriz outlets as a GeoJSON FeatureCollection",
    description=(
        "Every kəhriz with an outlet matching the filters, with what the map's popup shows, and "
        "`unmapped`: how many kəhriz match but have no outlet yet (not drawn). "
        "Not paginated; a constant number of queries; answers 304 to a matching If-None-Match."
    ),
    responses=LAYER_RESPONSES,
    filters=True,  # not a list view to drf-spectacular: describe KehrizFilterSet's parameters
)
class KehrizMapLayer(_Layer):
    """The map's markers: every kəhriz with an outlet, with what its popup shows."""

    def get(self, request):
        queryset, error = _filtered(request)
        if error:
            return error
        # The rows are those of every filter but the status; the status picks which are drawn, so
        # that the layer can say how many the status filter hides (one query all the same).
        statuses = request.GET.getlist("status")
        others = request.GET.copy()
        others.pop("status", None)
        queryset = KehrizFilterSet(others, queryset=visible_kehriz(request.user)).qs
        # The ETag is the body's own digest: one query builds the layer, and the tag changes
        # exactly when what the map would show changes (a renamed village or district too). A 304
        # still costs that query, and saves the transfer, which is what a field connection feels.
        body = maplayer.feature_collection(queryset, [status for status in statuses if status])
        etag = '"' + hashlib.sha1(body.encode()).hexdigest() + '"'
        return _cached(request, etag, lambda: body)


@extend_schema(
    summary="Map layer: gallery routes as a GeoJSON FeatureCollection (use in_bbox)",
    responses=LAYER_RESPONSES,
    filters=True,
)
class KehrizRouteLayer(_Layer):
    """Gallery routes (mother well → outlet), for the map when zoomed in; use in_bbox."""

    def get(self, request):
        queryset, error = _filtered(request)
        if error:
            return error
        queryset = queryset.filter(route__isnull=False)
        version = _version(queryset)

        def build():
            rows = (
                queryset.order_by("pk")
                .annotate(geojson=AsGeoJSON("route", precision=5))
                .values_list("pk", "geojson")[:5000]
            )
            features = ",".join(
                f'{{"type":"Feature","id":{pk},"geometry":{geometry},"properties":{{}}}}'
                for pk, geometry in rows
            )
            return f'{{"type":"FeatureCollection","features":[{features}]}}'

        return _cached(request, _etag(request, *version.values()), build)


@extend_schema(
    summary="Map layer: programme district boundaries (GeoJSON; © OpenStreetMap contributors, ODbL)",
    parameters=[OpenApiParameter("district", str, description="one district's slug")],
    responses={(200, GEOJSON): OpenApiTypes.OBJECT, 304: LAYER_RESPONSES[304]},
)
class DistrictBoundaryLayer(GenericAPIView):
    """The programme districts' boundaries (© OpenStreetMap contributors, ODbL)."""

    permission_classes = [AllowAny]
    pagination_class = None
    filter_backends = []

    def get(self, request):
        districts = District.objects.programme()
        slug = request.GET.get("district")
        if slug:
            # Not a slug (e.g. a NUL byte, which PostgreSQL refuses): no district has it.
            valid = re.fullmatch(r"[-\w]+", slug)
            districts = District.objects.filter(slug=slug) if valid else District.objects.none()
        version = districts.order_by().aggregate(n=Count("pk"), changed=Max("updated_at"))

        def build():
            rows = districts.annotate(geojson=AsGeoJSON("boundary", precision=4)).values_list(
                "pk", "slug", "name_az", "name_en", "geojson"
            )
            features = ",".join(
                json.dumps(
                    {
                        "type": "Feature",
                        "id": pk,
                        "properties": {"slug": slug, "name": name_az, "name_en": name_en},
                    },
                    ensure_ascii=False,
                )[:-1]
                + f',"geometry":{geometry}}}'
                for pk, slug, name_az, name_en, geometry in rows
                if geometry
            )
            return (
                '{"type":"FeatureCollection","attribution":"© OpenStreetMap contributors, ODbL 1.0",'
                f'"features":[{features}]}}'
            )

        return _cached(request, _etag(request, *version.values()), build)


# --- REST API (api/v1/) -------------------------------------------------------------------------


def _out_of_district(detail):
    """Whether DRF error details hold a field officer's write outside their districts."""
    if isinstance(detail, dict):
        return any(_out_of_district(value) for value in detail.values())
    if isinstance(detail, list):
        return any(_out_of_district(value) for value in detail)
    return getattr(detail, "code", None) == s.OUT_OF_DISTRICT


def exception_handler(exc, context):
    """Model and service validation errors become 400s with field messages, like DRF's own; a
    field officer's write for a kəhriz outside their districts is refused with 403 (with the same
    messages by field); deleting a record that others depend on becomes a 409 that says which
    records hold it."""
    if isinstance(exc, DjangoValidationError):
        exc = s.as_drf_error(exc)
    if isinstance(exc, Throttled):
        exc = throttling.translate(exc)  # 429 with Retry-After, in the request's language
    if isinstance(exc, ValidationError) and _out_of_district(exc.detail):
        response = drf_exception_handler(exc, context)
        response.status_code = status.HTTP_403_FORBIDDEN
        return response
    if isinstance(exc, (ProtectedError, RestrictedError)):
        holders = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in holders})
        message = _("This record cannot be deleted while other records depend on it (%(kinds)s).") % {
            "kinds": ", ".join(kinds)
        }
        return Response({"detail": message}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


class NullsLastOrdering(drf_filters.OrderingFilter):
    """``ordering=`` with empty values last in both directions, on SpatiaLite and PostGIS alike
    (PostgreSQL puts NULLs first when descending): "latest visit first" lists the never-visited
    after every visited kəhriz.

    Strict, and described: a field the list cannot be ordered by is a 400 naming those it can
    (DRF drops it, and ``?ordering=nmae`` came in the default order without a word); the schema
    lists them (``name``, ``-name``, …; comma-separated)."""

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param, "")
        if not param:
            return self.get_default_ordering(view)
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term.strip() for term in param.split(",")]
        if not all(term.removeprefix("-") in valid for term in terms):
            message = _(
                "Order by one or more of %(fields)s, separated by commas; a minus sign first "
                "reverses the order."
            ) % {"fields": ", ".join(valid)}
            raise ValidationError({self.ordering_param: [message]})
        return terms

    def get_schema_operation_parameters(self, view):
        (parameter,) = super().get_schema_operation_parameters(view)
        fields = getattr(view, "documented_ordering_fields", None) or view.ordering_fields
        parameter.update(
            schema={
                "type": "array",
                "items": {"type": "string", "enum": [*fields, *(f"-{f}" for f in fields)]},
            },
            style="form",
            explode=False,
            description="Order by these fields, comma-separated; a minus sign first reverses the order.",
        )
        return [parameter]

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(
            *(
                F(term[1:]).desc(nulls_last=True) if term.startswith("-") else F(term).asc(nulls_last=True)
                for term in ordering
            )
        )


@csrf_exempt  # it writes nothing: a DELETE to a path no route takes is a 404, not a CSRF 403
def not_found(request, *args, **kwargs):
    """A path under /api/ that no route takes: the API's JSON 404, in the reader's language."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


class StrictPageSizeMixin:
    """``page_size``: a whole number from 1; more than ``max_page_size`` (1000) sends that many, as
    the schema says. What is not a page size is a 400 that says so: DRF's own paginator quietly
    sent 100 rows for ``?page_size=abc`` or ``?page_size=0``, so a client never learnt that it was
    not getting what it asked for. Empty (``?page_size=``) is the default, like every parameter."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "")
        if not value:
            return self.page_size
        if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give the page size as a whole number, 1 or more (at most %(max)d are sent).")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page (default {self.page_size}); more than {self.max_page_size} "
                    f"sends {self.max_page_size}."
                )
        return parameters


class Pagination(StrictPageSizeMixin, PageNumberPagination):
    pass


class GeoPagination(StrictPageSizeMixin, GeoJsonPagination):
    def get_paginated_response_schema(self, schema):
        # ``schema`` is the FeatureCollection of the list; a page adds count, next and previous.
        # (djangorestframework-gis's own version keeps DRF's required "results" and nests the
        # collection inside "features", which no real answer matches.)
        page = super(GeoJsonPagination, self).get_paginated_response_schema(schema)
        links = {key: page["properties"][key] for key in ("count", "next", "previous")}
        return {"allOf": [schema, {"type": "object", "required": ["count"], "properties": links}]}


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "Precondition failed."
    default_code = "precondition_failed"


def record_etag(obj):
    """A record's version as a strong ETag: its primary key and ``updated_at``, which every write
    path touches (admin and API saves, the field app, imports, and the services' UPDATEs). A visit
    is written with its observations, people met and follow-ups nested: their count and latest
    change are part of its version, so an observation changed in the admin changes the visit's."""
    parts = [obj._meta.label, obj.pk, obj.updated_at.isoformat()]
    if isinstance(obj, MonitoringVisit):
        for rows in (
            Observation.objects.filter(visit=obj.pk),
            PersonMet.objects.filter(observation__visit=obj.pk),
            FollowUp.objects.filter(observation__visit=obj.pk),
        ):
            parts += rows.order_by().aggregate(n=Count("pk"), last=Max("updated_at")).values()
    return '"' + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest() + '"'


class ConditionalWritesMixin:
    """Optimistic locking on the detail routes: ``GET`` and the answers to ``PUT``/``PATCH`` carry
    the record's ``ETag``; ``PUT``, ``PATCH`` and ``DELETE`` with ``If-Match`` write only if the
    record is still that version, else answer 412 and write nothing. Without ``If-Match`` a write
    goes through as before (older clients).

    The check and the write are one transaction, and the row is claimed (a no-op UPDATE) before
    it is read: on PostgreSQL a second writer waits for the first to commit and then sees its
    version; on SQLite the claim takes the database's write lock first. Two writes sent with the
    same ETag cannot both succeed."""

    conditional_actions = ("update", "partial_update", "destroy")

    def _if_match(self):
        header = self.request.headers.get("If-Match", "").strip()
        return [tag.strip() for tag in header.split(",") if tag.strip()] if header else None

    def _claim(self):
        if self._if_match() is None:
            return
        lookup = self.lookup_url_kwarg or self.lookup_field
        # Not get_queryset(), which may read (a user's roles): on SQLite the claim must be the
        # transaction's first statement, or a reader waiting to write could be refused at once.
        model = self.get_serializer_class().Meta.model
        try:
            rows = model._base_manager.filter(**{self.lookup_field: self.kwargs[lookup]})
            rows.update(updated_at=F("updated_at"))
        except (ValueError, TypeError, DjangoValidationError):
            pass  # not a valid id: get_object() answers 404

    def get_object(self):
        obj = super().get_object()
        tags = self._if_match() if self.action in self.conditional_actions else None
        if tags is not None and "*" not in tags and record_etag(obj) not in tags:
            raise PreconditionFailed(
                _(
                    "This record was changed after you read it, so your change was not saved. "
                    "Read it again (GET), check it, and send your change with its new ETag in If-Match."
                )
            )
        return obj

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": record_etag(instance)})

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._written = serializer.instance

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            self._claim()
            response = super().update(request, *args, **kwargs)
            written = getattr(self, "_written", None)
            if written is not None and response.status_code == status.HTTP_200_OK:
                # The stored version: services may have touched the row after the save.
                written.refresh_from_db(fields=["updated_at"])
                response["ETag"] = record_etag(written)
        return response

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self._claim()
            return super().destroy(request, *args, **kwargs)


class AtomicWritesMixin:
    """Each write, and the answer built from what it wrote, in one transaction: a failure after
    the save (serializing the answer, a service call) leaves the database as it was."""

    def create(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)


# A slug or code in the path: DRF's default without the NUL character, which PostgreSQL refuses
# in any text it is given (an error, not "no such record").
TEXT_LOOKUP = r"[^/.\x00]+"


class RoleViewSet(ConditionalWritesMixin, AtomicWritesMixin, viewsets.ModelViewSet):
    schema = ConditionalWritesSchema()  # documents If-Match, ETag and 412 (projects/openapi.py)
    permission_classes = [RolePermission]
    pagination_class = Pagination
    filter_backends = [df_rest.DjangoFilterBackend, NullsLastOrdering]
    # JSON bodies (the API's own and the field app's); photos, which are files, add multipart.
    parser_classes = [JSONParser]

    def district_ids_of(self, obj):
        raise NotImplementedError

    def perform_destroy(self, instance):
        # A kəhriz, visit or photo goes to the trash (restorable in the admin), with what hangs on
        # it; the kəhriz a deleted visit observed get their current state from what is left.
        if type(instance) in trash.KINDS:
            trash.move_to_trash(instance, self.request.user)
        else:
            instance.delete()


class HistoryMixin:
    """``GET …/{id}/history/``: the record's versions, newest first (signed-in users)."""

    @extend_schema(
        summary="The record's versions, newest first: who, when, through which door, what changed",
        responses=s.VersionSerializer(many=True),
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[IsAuthenticated],
        pagination_class=Pagination,
        filter_backends=[],
    )
    def history(self, request, *args, **kwargs):
        record = self.get_object()
        versions = history.versions_of(record)
        page = self.paginate_queryset(versions)
        data = s.VersionSerializer(history.versions_data(page, versions), many=True).data
        return self.get_paginated_response(data)


@extend_schema_view(
    list=extend_schema(summary="Districts with boundaries (GeoJSON; © OpenStreetMap contributors, ODbL)")
)
class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [RolePermission]
    queryset = District.objects.all()
    serializer_class = s.DistrictSerializer
    pagination_class = GeoPagination
    filter_backends = [df_rest.DjangoFilterBackend, NullsLastOrdering]
    filterset_class = DistrictFilterSet
    ordering_fields = ["name_az", "slug"]
    lookup_field = "slug"
    lookup_value_regex = TEXT_LOOKUP


class VillageViewSet(RoleViewSet):
    queryset = Village.objects.with_district()
    serializer_class = s.VillageSerializer
    filterset_class = VillageFilterSet
    ordering_fields = ["name", "district__name_az"]

    def district_ids_of(self, obj):
        return {obj.district_id}


class ProjectViewSet(RoleViewSet):
    # ``?ordering=name`` still works: the Azerbaijani name, as before the names were split.
    queryset = Project.objects.prefetch_related("districts").alias(name=F("name_az"))
    serializer_class = s.ProjectSerializer
    filterset_class = ProjectFilterSet
    ordering_fields = ["name", "name_az", "name_en", "start_date"]
    lookup_field = "code"
    lookup_value_regex = TEXT_LOOKUP

    def district_ids_of(self, obj):
        return set()


@extend_schema_view(list=extend_schema(summary="Kəhriz (GeoJSON FeatureCollection, paginated with a count)"))
class KehrizViewSet(HistoryMixin, RoleViewSet):
    """Published kəhriz are public; everything else needs a login. Status changes go through
    ``POST …/{id}/status/`` so that every change is a recorded event."""

    public_read = True
    serializer_class = s.KehrizSerializer
    pagination_class = GeoPagination
    filterset_class = KehrizFilterSet
    ordering = ["name", "code"]

    ORDERING = ["name", "code", "status", "last_visit_on", "district__name_az"]
    # ``distance`` exists only with ``near``: without it, ordering by it is a 400.
    documented_ordering_fields = [*ORDERING, "distance"]

    @property
    def ordering_fields(self):
        return self.documented_ordering_fields if self.request.query_params.get("near") else self.ORDERING

    def get_queryset(self):
        queryset = (
            visible_kehriz(self.request.user)
            .with_places()
            .prefetch_related(Prefetch("projects", queryset=Project.objects.only("id", "code")))
        )
        # ``near``/``within_m`` are KehrizFilterSet filters: the map layers and the exports take
        # them too, so an export of an API query holds the same kəhriz.
        return queryset

    def district_ids_of(self, obj):
        return {obj.district_id}

    @extend_schema(request=s.StatusChangeSerializer, responses={201: s.StatusEventSerializer})
    @action(detail=True, methods=["post"], url_path="status", permission_classes=[StatusChangePermission])
    def change_status(self, request, pk=None):
        kehriz = self.get_object()
        serializer = s.StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["backdated"] and not roles.can_edit_everything(request.user):
            raise PermissionDenied(_("Only data managers record back-dated status changes."))
        with transaction.atomic():
            event = services.change_status(kehriz=kehriz, user=request.user, **serializer.validated_data)
            data = s.StatusEventSerializer(event).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.DischargeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def discharge(self, request, pk=None):
        """The discharge series of one kəhriz, oldest first (observations with a measurement)."""
        kehriz = self.get_object()
        series = kehriz.observations.filter(discharge_lps__isnull=False).order_by("observed_on", "id")
        return Response(s.DischargeSerializer(series, many=True).data)


class StatusEventViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [RolePermission]
    queryset = StatusEvent.objects.select_related("kehriz", "changed_by")
    serializer_class = s.StatusEventSerializer
    pagination_class = Pagination
    filter_backends = [df_rest.DjangoFilterBackend, NullsLastOrdering]
    filterset_class = StatusEventFilterSet
    ordering_fields = ["changed_on"]


class RestorationWorkViewSet(RoleViewSet):
    queryset = RestorationWork.objects.select_related("kehriz", "project")
    serializer_class = s.RestorationWorkSerializer
    filterset_class = WorkFilterSet
    ordering_fields = ["start_date", "end_date", "cost"]

    def district_ids_of(self, obj):
        return {obj.kehriz.district_id}


class IdempotentCreateMixin:
    """``POST`` with the client's own ``uuid``: a resend answers 200 with the stored record and
    creates nothing, also when two copies arrive at the same moment."""

    def create(self, request, *args, **kwargs):
        uuid = request.data.get("uuid") if hasattr(request.data, "get") else None
        existing = self._existing(uuid)
        if existing is not None:
            return existing
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                instance = self.perform_idempotent_create(serializer)
                data = self.get_serializer(instance).data
        except IntegrityError:
            # The same record arrived twice at once: the other request stored it.
            existing = self._existing(serializer.validated_data.get("uuid"))
            if existing is not None:
                return existing
            raise
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_idempotent_create(self, serializer):
        return serializer.save()

    def _existing(self, uuid):
        if not uuid:
            return None
        try:
            instance = self.get_queryset().filter(uuid=uuid).first()
        except DjangoValidationError:
            return None  # not a UUID: the serializer will say so
        if instance is None:
            return None
        return Response(self.get_serializer(instance).data, status=status.HTTP_200_OK)


def idempotent_create_schema(serializer, what):
    return extend_schema_view(
        create=extend_schema(
            responses={
                201: OpenApiResponse(serializer, description=f"The {what} was stored."),
                200: OpenApiResponse(
                    serializer,
                    description=f"A {what} with this uuid was already stored: returned, nothing created.",
                ),
            }
        )
    )


@idempotent_create_schema(s.MonitoringVisitSerializer, "visit")
class MonitoringVisitViewSet(HistoryMixin, IdempotentCreateMixin, RoleViewSet):
    """Monitoring visits with their observations nested. ``POST`` is idempotent: send the visit's
    own ``uuid``; sending it again returns the stored visit (200) and creates nothing."""

    serializer_class = s.MonitoringVisitSerializer
    filterset_class = VisitFilterSet
    ordering_fields = ["start_date", "created_at"]
    queryset = MonitoringVisit.objects.select_related("recorded_by").prefetch_related(
        Prefetch(
            "observations",
            queryset=Observation.objects.select_related("kehriz").prefetch_related(
                Prefetch("people_met", queryset=PersonMet.objects.order_by("id")),
                Prefetch("follow_ups", queryset=FollowUp.objects.order_by("id")),
            ),
        )
    )

    def district_ids_of(self, obj):
        return set(obj.observations.values_list("kehriz__district_id", flat=True))

    def perform_idempotent_create(self, serializer):
        return serializer.save(recorded_by=self.request.user)


class FollowUpViewSet(RoleViewSet):
    queryset = FollowUp.objects.select_related("observation__kehriz")
    serializer_class = s.FollowUpSerializer
    filterset_class = FollowUpFilterSet
    ordering_fields = ["due_date", "done"]

    def district_ids_of(self, obj):
        return {obj.observation.kehriz.district_id}


# A photo is a file: its writes take multipart only (``image`` as a file part), and say so, with
# the image formats the part may be in (projects/photos.py).
PHOTO_UPLOAD = {
    "multipart/form-data": OpenApiRequest(
        s.PhotoSerializer, encoding={"image": {"contentType": "image/jpeg, image/png, image/webp"}}
    )
}


@idempotent_create_schema(s.PhotoSerializer, "photo")
@extend_schema_view(
    create=extend_schema(request=PHOTO_UPLOAD),
    update=extend_schema(request=PHOTO_UPLOAD),
    partial_update=extend_schema(request=PHOTO_UPLOAD),
)
class PhotoViewSet(IdempotentCreateMixin, RoleViewSet):
    """Photos of observations (multipart upload: ``uuid``, ``observation``, ``image``,
    ``caption``, ``taken_at``). Upload after the visit is stored, with the observation's id."""

    queryset = Photo.objects.select_related("observation__kehriz")
    serializer_class = s.PhotoSerializer
    parser_classes = [MultiPartParser]
    filterset_class = PhotoFilterSet
    ordering_fields = ["taken_at", "created_at"]

    def district_ids_of(self, obj):
        return {obj.observation.kehriz.district_id}


class ObservationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Observations across visits (read-only here: write them within their visit)."""

    permission_classes = [RolePermission]
    queryset = Observation.objects.select_related("kehriz").prefetch_related("people_met", "follow_ups")
    serializer_class = s.ObservationSerializer
    pagination_class = Pagination
    filter_backends = [df_rest.DjangoFilterBackend, NullsLastOrdering]
    filterset_class = ObservationFilterSet
    ordering_fields = ["observed_on", "discharge_lps"]


@extend_schema(
    summary="Export the filtered kəhriz, or their villages, visits, observations or works",
    description=(
        "Formats: csv (any kind), xlsx (any kind, or `all` for one workbook with a sheet each), "
        "geojson, kml (Google Earth, styled by status) and gpkg (GeoPackage for QGIS) for kəhriz. "
        "Takes the same filters as the map, so an export holds exactly what the map shows. "
        "Kəhriz exports are public (published kəhriz); the other kinds need a login. The CSV and "
        "XLSX columns are those of the import templates."
    ),
    parameters=[
        OpenApiParameter(
            "kind",
            str,
            OpenApiParameter.PATH,
            enum=sorted({kind for kinds in exports.KINDS_BY_FORMAT.values() for kind in kinds}),
            description="What to export: kəhriz, or what hangs off them (`all`: xlsx only)",
        ),
        OpenApiParameter(
            "fmt",
            str,
            OpenApiParameter.PATH,
            enum=list(exports.FORMATS),
            description="The file format (geojson, kml and gpkg: kind `kehriz` only)",
        ),
        OpenApiParameter(
            "hxl",
            bool,
            description="CSV: add the HXL hashtag row under the header (README, *Exports*)",
        ),
    ],
    responses={
        **{
            (200, media_type.split(";")[0]): OpenApiResponse(
                # GeoJSON is JSON: a client (and schemathesis) reads it as an object, not bytes.
                OpenApiTypes.OBJECT if fmt == "geojson" else OpenApiTypes.BINARY,
                description=f"{fmt} file",
            )
            for fmt, media_type in exports.FORMATS.items()
        },
        400: LAYER_RESPONSES[400],
        401: OpenApiResponse(ERRORS["401"].response, description="Kinds other than kəhriz need a login"),
        404: OpenApiResponse(ERRORS["404"].response, description="No such kind in this format"),
    },
    filters=True,
)
class ExportView(_Layer):
    throttle_scope = "exports"  # a stricter rate on top of the anonymous and per-user ones

    def get(self, request, kind, fmt):
        from django.http import Http404

        if kind not in exports.KINDS_BY_FORMAT.get(fmt, []):
            raise Http404(_("No %(kind)s export in %(fmt)s.") % {"kind": kind, "fmt": fmt})
        if kind not in exports.PUBLIC_KINDS and not request.user.is_authenticated:
            raise NotAuthenticated()
        # A yes/no like the filters' own: ``?hxl=yes`` was read as "no", without a word.
        hxl = request.GET.get("hxl", "")
        errors = {}
        if hxl not in ("", "true", "false", "1", "0"):
            message = _("%(label)s: %(message)s") % {"label": "HXL", "message": _("Give true or false.")}
            errors["hxl"] = [{"message": message, "code": "invalid"}]
        queryset, error = _filtered(request, errors)
        if error:
            return error
        body = exports.render(fmt, kind, queryset, hxl=hxl in ("true", "1"))
        response = HttpResponse(body, content_type=exports.FORMATS[fmt])
        stamp = timezone.localdate().isoformat()
        name = "kehriz" if kind == "kehriz" else f"kehriz-{kind}"
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
        return response
