"""Corrections to the generated OpenAPI schema (drf-spectacular postprocessing hooks)."""

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
