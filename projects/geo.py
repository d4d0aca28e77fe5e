"""Geometry rules shared by commands and migrations."""

from django.contrib.gis.geos import LinearRing, MultiPolygon, Polygon


def _ring(ring, counterclockwise):
    if ring.is_counterclockwise == counterclockwise:
        return ring
    return LinearRing(list(reversed(ring.coords)))


def rfc7946_wound(geometry):
    """The (multi)polygon with its rings wound as RFC 7946 §3.1.6 says: exterior rings
    counterclockwise, holes clockwise, so that GeoJSON readers that follow the right-hand rule
    (d3, some validators) draw the area and not the rest of the world. The same shape."""
    polygons = [
        Polygon(_ring(polygon.exterior_ring, True), *(_ring(hole, False) for hole in list(polygon)[1:]))
        for polygon in (geometry if geometry.geom_type == "MultiPolygon" else [geometry])
    ]
    if geometry.geom_type == "MultiPolygon":
        return MultiPolygon(*polygons, srid=geometry.srid)
    polygons[0].srid = geometry.srid
    return polygons[0]
