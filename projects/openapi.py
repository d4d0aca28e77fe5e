"""The API's OpenAPI contract: what a client generator (openapi-python-client) and a fuzzer
(schemathesis) read.

- ``ApiSchema``, every view's schema class: each operation lists every error it can answer with
  its body (400 and 403 with messages by field, 401/404/409/412/415/429 with ``detail``).
- ``ConditionalWritesSchema``, the model viewsets': their ETag, If-Match and 412.
- Postprocessing hooks: nullable GeoJSON geometries, and names that do not depend on the
  request's language (no translated ``title`` for a generator to name a class after)."""

import re

from django.core.validators import RegexValidator
from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# GeoJSON features whose geometry may be null (GeoJSON allows it): a kəhriz whose outlet has not
# been located yet. drf-spectacular's djangorestframework-gis support always describes an object.
NULLABLE_GEOMETRIES = ["Kehriz", "KehrizRequest", "PatchedKehrizRequest"]


class GeoFeatureSchema(GeoFeatureModelSerializerExtension):
    """drf-spectacular's GeoJSON Feature schema, for requests too: a Feature sent to the API has
    no ``id`` (the server gives it), which the stock extension expects to find."""

    priority = 1

    def map_serializer(self, auto_schema, direction):
        id_field = self.target.Meta.id_field
        if direction != "request" or not id_field:
            return super().map_serializer(auto_schema, direction)
        base_schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        base_schema["properties"].setdefault(id_field, {})
        # The stock extension drops which properties are required: a client generated from the
        # schema then sends a kəhriz without a name or code, which the server refuses.
        geo_field = self.target.Meta.geo_field
        required = [name for name in base_schema.get("required", []) if name not in (id_field, geo_field)]
        schema = self.map_geo_feature_model_serializer(self.target, base_schema)
        schema["properties"].pop("id", None)
        if required:
            schema["properties"]["properties"]["required"] = required
            schema["required"] = ["properties"]
        return schema


# A GeoJSON position as the API takes it: longitude, latitude in degrees (WGS 84), no altitude (the
# geometries are stored in two dimensions). OpenAPI 3.0 has one schema for every item of an array,
# so the ±90 of a latitude cannot be said: a latitude beyond it is a 400.
POSITION = {
    "type": "array",
    "items": {"type": "number", "minimum": -180, "maximum": 180},
    "minItems": 2,
    "maxItems": 2,
    "example": [47.09, 39.40],
}


def _geojson_geometries(node):
    """Every GeoJSON geometry object (``{"type": {"enum": ["Point"]}, "coordinates": …}``) with the
    members GeoJSON requires, and positions as POSITION. drf-spectacular's required neither, so a
    geometry without coordinates (``{}``) was valid for a client and refused by the server."""
    if isinstance(node, list):
        for value in node:
            _geojson_geometries(value)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict) and {"type", "coordinates"} <= set(properties):
        kinds = properties["type"].get("enum", [])
        if kinds == ["Point"]:
            properties["coordinates"] = dict(POSITION)
        elif kinds == ["LineString"]:
            properties["coordinates"] = {
                "type": "array",
                "items": dict(POSITION),
                "minItems": 2,
                "example": [[47.09, 39.40], [47.10, 39.41]],
            }
        node["required"] = ["type", "coordinates"]
        return
    for value in node.values():
        _geojson_geometries(value)


def nullable_geometries(result, generator, request, public):
    """GeoJSON geometries: the kəhriz's may be null (see NULLABLE_GEOMETRIES), and every geometry
    says what the API takes (_geojson_geometries)."""
    schemas = result.get("components", {}).get("schemas", {})
    _geojson_geometries(schemas)
    for name in NULLABLE_GEOMETRIES:
        geometry = schemas.get(name, {}).get("properties", {}).get("geometry")
        if geometry is not None:
            geometry["nullable"] = True
    return result


SCHEMA_KEYS = {"type", "$ref", "allOf", "oneOf", "anyOf", "enum"}


def language_free_names(result, generator, request, public):
    """The schema has the same structure and names whatever the request's language; only
    descriptions are translated. drf-spectacular gives a field its verbose name (translated) as
    ``title`` where it differs from the field's name, which generators turn into class and module
    names (``V1KehrizListBəRpaStatusu``), and then wraps a reference in ``allOf`` to hold it. Drop
    every schema's title (the document's own stays) and unwrap what only held one."""

    def clean(node):
        if isinstance(node, list):
            return [clean(value) for value in node]
        if not isinstance(node, dict):
            return node
        node = {key: clean(value) for key, value in node.items()}
        if isinstance(node.get("title"), str) and SCHEMA_KEYS & set(node):
            del node["title"]
        if set(node) == {"allOf"} and len(node["allOf"]) == 1:
            return node["allOf"][0]
        return node

    result["paths"] = clean(result.get("paths", {}))
    result["components"] = clean(result.get("components", {}))
    # Messages by field: any field name, each with its messages (or nested errors by position).
    schemas = result.get("components", {}).get("schemas", {})
    if "FieldErrors" in schemas:
        schemas["FieldErrors"]["additionalProperties"] = {}
    return result


# --- Errors -------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """An error answer: what went wrong, in the request's language."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """Messages by field, in the request's language: ``{"field": ["message", …]}``; nested
    records' errors by position (``{"observations": {"0": {"kehriz": ["…"]}}}``); errors not
    tied to a field under ``non_field_errors``; a body that could not be read under ``detail``."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class FilterErrorsSerializer(serializers.Serializer):
    """The map layers' and exports' answer to filters they did not understand: by parameter, each
    message named by the filter's label (``{"errors": {"status": [{"message": "…", "code": "…"}]}}``)."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)
BODY_METHODS = ("POST", "PUT", "PATCH")
ERRORS = {
    "400": OpenApiResponse(
        FieldErrorsSerializer,
        description="Not valid (a field, a filter, or a body that is not JSON): messages by field.",
    ),
    "401": OpenApiResponse(
        ErrorSerializer,
        description="Not signed in, or the token is not valid (WWW-Authenticate names the scheme).",
    ),
    "403": OpenApiResponse(
        FieldErrorsSerializer,
        description=(
            "Your role does not allow this: `detail` says why. A field officer's write for a kəhriz "
            "outside their districts answers the messages by field, like a 400."
        ),
    ),
    "404": OpenApiResponse(ErrorSerializer, description="No such record (or page) that you may see."),
    "409": OpenApiResponse(
        ErrorSerializer,
        description="The record cannot be deleted while other records depend on it: `detail` names them.",
    ),
    "415": OpenApiResponse(
        ErrorSerializer, description="The body is not in a media type this operation takes."
    ),
    "429": OpenApiResponse(
        ErrorSerializer, description="Too many requests: wait as long as Retry-After says, then resend."
    ),
}


# --- What DRF's fields take, said in the schema ---------------------------------------------------

# DRF's text fields refuse a NUL character (PostgreSQL cannot store one), and a required text
# field refuses what is only whitespace (it is trimmed first, then found blank). Python's ``\s`` is
# what ``str.strip()`` trims.
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


def _decimal_pattern(field):
    """A decimal as text the way DRF's DecimalField reads it: at least one digit, at most
    ``max_digits - decimal_places`` before the point and ``decimal_places`` after it, and a minus
    sign only where the field takes negative numbers. drf-spectacular's pattern also matched "",
    "." and "-", and a minus sign on fields whose minimum is 0."""
    whole, places = field.max_whole_digits, field.decimal_places
    minimum = field.min_value
    sign = "" if minimum is not None and minimum >= 0 else "-?"
    if places == 0:
        digits = rf"\d{{1,{whole}}}"
    elif whole == 0:
        digits = rf"0?\.\d{{1,{places}}}|0"
    else:
        digits = rf"\d{{1,{whole}}}(\.\d{{0,{places}}})?|\.\d{{1,{places}}}"
    return rf"^{sign}({digits})$"


def _slug_pattern(field):
    """The pattern of the slug a SlugRelatedField names (a district's slug, a project's code)."""
    try:
        model_field = field.get_queryset().model._meta.get_field(field.slug_field)
    except Exception:  # noqa: BLE001 - not a model field: no pattern to give
        return None
    for validator in model_field.validators:
        if isinstance(validator, RegexValidator) and not validator.inverse_match:
            return validator.regex.pattern.replace(r"\Z", "$").replace(r"\A", "^")
    return None


FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class ApiSchema(AutoSchema):
    """Every operation documents every error it can answer, with its body, so that a generated
    client can read each one and a fuzzer can tell an undocumented answer from a documented one.
    Query parameters and request fields say what the server takes (see _map_serializer_field)."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # An empty query parameter is no parameter, as an HTML form sends it: ``?status=``
            # is any status, ``?visited_after=`` no date (projects.filters.StrictFilterSet).
            if parameter.get("in") == "query":
                parameter["allowEmptyValue"] = True
        return parameters

    def _takes_forms_only(self):
        return all(media_type in FORM_MEDIA_TYPES for media_type in self.map_parsers())

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(schema, dict)
            and schema.get("nullable")
            and self._takes_forms_only()
        ):
            # A form has no null: a part is sent, or left out. (DRF reads an empty part as null;
            # a part "null" or "None" is not a date.)
            del schema["nullable"]
        if not isinstance(schema, dict) or schema.get("type") != "string" or {"enum", "$ref"} & set(schema):
            return schema
        if isinstance(field, serializers.DecimalField) and field.max_whole_digits is not None:
            schema["pattern"] = _decimal_pattern(field)
        elif direction != "request":
            pass  # what the server sends is described as stored
        elif isinstance(field, serializers.SlugRelatedField):
            pattern = _slug_pattern(field)
            if pattern:
                schema["pattern"] = pattern
        elif (
            isinstance(field, serializers.CharField)
            and not {"pattern", "format"} & set(schema)
            and not any(isinstance(validator, RegexValidator) for validator in field.validators)
        ):
            schema["pattern"] = NO_NUL if field.allow_blank else NOT_BLANK
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # drf-spectacular makes a text field that may be blank and has a pattern a ``oneOf`` with
        # "" (a union type in a generated client); NO_NUL matches "" already: one plain string.
        one_of = schema.get("oneOf")
        if (
            one_of
            and len(one_of) == 2
            and one_of[1] == {"type": "string", "maxLength": 0}
            and one_of[0].get("pattern") == NO_NUL
            and not {"format", "minLength"} & set(one_of[0])
        ):
            schema.update(schema.pop("oneOf")[0])

    def _error_codes(self):
        view = self.view
        codes = ["401", "429"]  # a wrong token on any route; the throttles on every route
        has_body = self.method in BODY_METHODS
        if has_body or getattr(view, "filter_backends", None):
            codes.append("400")
        if not all(isinstance(permission, AllowAny) for permission in view.get_permissions()):
            codes.append("403")
        paginated = self._is_list_view() and getattr(view, "pagination_class", None)
        if "{" in self.path or paginated:
            codes.append("404")  # a missing record, or a page beyond the last
        if self.method == "DELETE":
            codes.append("409")
        if has_body:
            codes.append("415")
        return codes

    def get_operation_id(self):
        # Identifiers a generator can use as they are: ``v1_exports_retrieve``, not ``v1_exports_._retrieve``.
        return re.sub(r"_+", "_", re.sub(r"\W", "_", super().get_operation_id()))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ERRORS[code], code, direction=direction)
        return responses

    def get_override_parameters(self):
        return [*super().get_override_parameters(), RETRY_AFTER]

    def get_auth(self):
        # Views that anyone may read (published kəhriz, the map layers) say so: no credentials
        # is one of their security options.
        auths = super().get_auth()
        public = getattr(self.view, "public_read", False) or any(
            isinstance(permission, AllowAny) for permission in self.view.get_permissions()
        )
        if public and self.method in ("GET", "HEAD") and {} not in auths:
            auths.append({})
        return auths


# --- Conditional writes (ETag / If-Match, projects.views.api.ConditionalWritesMixin) ----------------

CONDITIONAL_WRITES = ("update", "partial_update", "destroy")
VERSIONED_ANSWERS = ("retrieve", "update", "partial_update")

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=(
        "The ETag of the record as you last read it (GET). The change is made only if the record is "
        "still that version; otherwise the answer is 412 and nothing is written. Optional, so that "
        "older clients keep working, but send it: without it, a change made by someone else since "
        "you read the record is silently overwritten."
    ),
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    required=True,
    description="The record's current version: send it back in If-Match with your next change.",
)
PRECONDITION_FAILED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "If-Match did not name the record's current version: someone changed it after you read it. "
        "Nothing was written; read it again and resend your change with its new ETag."
    ),
)


class ConditionalWritesSchema(ApiSchema):
    """The model viewsets' schema: their detail answers carry an ETag; their PUT, PATCH and
    DELETE take If-Match and may answer 412 Precondition Failed."""

    def _action(self):
        return getattr(self.view, "action", None)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._action() in CONDITIONAL_WRITES:
            parameters.append(IF_MATCH)
        if self._action() in VERSIONED_ANSWERS:
            parameters.append(ETAG)
        return parameters

    def get_response_serializers(self):
        serializers = super().get_response_serializers()
        if self._action() not in CONDITIONAL_WRITES or isinstance(serializers, dict):
            return serializers
        success = 204 if self.method == "DELETE" else 200
        return {success: None if success == 204 else serializers, 412: PRECONDITION_FAILED}
