"""District boundaries loaded before RFC 7946 winding: rings re-wound in place (exterior rings
counterclockwise, holes clockwise), as load_districts now stores them. Same shapes."""

from django.contrib.gis.geos import LinearRing, MultiPolygon, Polygon
from django.db import migrations
from django.utils import timezone


def _ring(ring, counterclockwise):
    return ring if ring.is_counterclockwise == counterclockwise else LinearRing(list(reversed(ring.coords)))


def rewind(apps, schema_editor):
    District = apps.get_model("projects", "District")
    for district in District.objects.filter(boundary__isnull=False).only("pk", "boundary"):
        boundary = district.boundary
        wound = MultiPolygon(
            *(
                Polygon(_ring(p.exterior_ring, True), *(_ring(hole, False) for hole in list(p)[1:]))
                for p in boundary
            ),
            srid=boundary.srid,
        )
        if wound.coords != boundary.coords:
            # A new updated_at, so that the boundary layer's ETag changes and caches fetch it again;
            # update(): the shape is the same, no history version.
            District.objects.filter(pk=district.pk).update(boundary=wound, updated_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("projects", "0014_trash")]

    operations = [migrations.RunPython(rewind, migrations.RunPython.noop)]
