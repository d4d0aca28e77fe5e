"""Corrections to the generated OpenAPI schema (drf-spectacular postprocessing hooks), and the
schema class of the model viewsets, which documents their conditional writes."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

# GeoJSON features whose geometry may be null (GeoJSON allows it): a kəhriz whose outlet has not
# been located yet. drf-spectacular's djangorestframework-gis support always describes an object.
NULLABLE_GEOMETRIES = ["Kehriz"]


def nullable_geometries(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name in NULLABLE_GEOMETRIES:
        geometry = schemas.get(name, {}).get("properties", {}).get("geometry")
        if geometry is not None:
            geometry["nullable"] = True
    return result


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
    {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    description=(
        "If-Match did not name the record's current version: someone changed it after you read it. "
        "Nothing was written; read it again and resend your change with its new ETag."
    ),
)


class ConditionalWritesSchema(AutoSchema):
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
