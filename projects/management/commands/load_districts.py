import json
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from projects.geo import rfc7946_wound
from projects.models import District
from projects.text import fold

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "azerbaijan_districts_osm.geojson"

# The programme districts (OSM relation ids) and the other spellings people type for them.
PROGRAMME_DISTRICTS = {
    3795445: "Agdam, Aghdam, Ağdam",
    3795446: "Goranboy, Geranboy",
    3963560: "Qazax, Gazakh, Kazakh, Qazakh",
    7861847: "Cəbrayıl, Jabrayil, Jebrail, Jabrail, Cabrayil",
}


class Command(BaseCommand):
    help = _(
        "Load Azerbaijan's district boundaries (OpenStreetMap, ODbL) from the file shipped with "
        "the project, or from a GeoJSON file given. Running it again updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help=_("GeoJSON file"))

    def handle(self, *args, path, **options):
        features = self.read_features(Path(path))
        created = updated = 0
        with transaction.atomic():
            for number, feature in enumerate(features, start=1):
                props = feature.get("properties") or {}
                try:
                    osm_id = int(props["osm_id"])
                    name_az = props["name_az"].strip()
                    geometry = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    raise CommandError(
                        _(
                            "Feature %(number)d is not a district with osm_id, name_az "
                            "and a geometry: %(error)s"
                        )
                        % {"number": number, "error": error}
                    ) from error
                if geometry.geom_type == "Polygon":
                    geometry = MultiPolygon(geometry, srid=4326)
                if geometry.geom_type != "MultiPolygon":
                    raise CommandError(
                        _("Feature %(number)d (%(name)s) is a %(type)s, not a polygon.")
                        % {"number": number, "name": name_az, "type": geometry.geom_type}
                    )
                if not geometry.valid:
                    geometry = geometry.make_valid()
                    if geometry.geom_type == "Polygon":
                        geometry = MultiPolygon(geometry, srid=4326)
                # Rings as RFC 7946 winds them (exterior counterclockwise), whatever the file's
                # order: the API and the map layers serve the stored rings as they are.
                geometry = rfc7946_wound(geometry)
                defaults = {
                    "name_az": name_az,
                    "name_en": (props.get("name_en") or "").strip(),
                    "boundary": geometry,
                    "is_programme": osm_id in PROGRAMME_DISTRICTS,
                }
                district = District.objects.filter(osm_id=osm_id).first()
                if district is None:
                    district = District(osm_id=osm_id, slug=self.unique_slug(name_az))
                    created += 1
                else:
                    updated += 1
                for field, value in defaults.items():
                    setattr(district, field, value)
                if osm_id in PROGRAMME_DISTRICTS and not district.aliases:
                    district.aliases = PROGRAMME_DISTRICTS[osm_id]
                district.full_clean()
                district.save()
        self.stdout.write(
            self.style.SUCCESS(
                _("Districts: %(created)d created, %(updated)d updated (%(programme)d programme districts).")
                % {
                    "created": created,
                    "updated": updated,
                    "programme": District.objects.programme().count(),
                }
            )
        )

    def read_features(self, path):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise CommandError(_("No such file: %(path)s") % {"path": path}) from error
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CommandError(
                _("%(path)s is not GeoJSON: %(error)s") % {"path": path, "error": error}
            ) from error
        features = data.get("features") if isinstance(data, dict) else None
        if not features:
            raise CommandError(_("%(path)s holds no features.") % {"path": path})
        return features

    def unique_slug(self, name):
        base = slugify(fold(name)) or "district"
        slug, n = base, 2
        while District.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug
