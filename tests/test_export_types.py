"""Other tools read our files without a hand fix (issue 15): every export read back with the reader
a user would open it with. openpyxl sees date and number cells and formula-looking text as plain
text; GDAL sees typed KML fields and 6-decimal GeoJSON coordinates; every district ring served as
GeoJSON is wound as RFC 7946 says; libhxl reads the HXL rows of the CSV exports."""

import datetime
import importlib
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import hxl
import pytest
from django.apps import apps
from django.contrib.gis.geos import LinearRing, MultiPolygon, Polygon
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from osgeo import gdal, ogr

from projects.models import District, Kehriz
from projects.tabular import KEHRIZ_COLUMNS, OBSERVATION_COLUMNS, VILLAGE_COLUMNS, VISIT_COLUMNS, WORK_COLUMNS
from tests import factories, test_exports
from tests.test_exports import csv_rows, export, features, ogr_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ogr.UseExceptions()

ROOT = Path(__file__).resolve().parents[1]


# The records of tests/test_exports.py: kəhriz in three districts, a visit, a work (a fixture).
data = test_exports.data

CSV_KINDS = {
    "kehriz": KEHRIZ_COLUMNS,
    "villages": VILLAGE_COLUMNS,
    "visits": VISIT_COLUMNS,
    "observations": OBSERVATION_COLUMNS,
    "works": WORK_COLUMNS,
}


# --- XLSX ----------------------------------------------------------------------------------------


def sheet_rows(workbook, name, key=0):
    sheet = workbook[name]
    header = [cell.value for cell in sheet[1]]
    return {row[key].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}


def test_xlsx_has_date_cells_number_cells_and_formula_looking_text_as_text(data, viewer_client):
    body = export(viewer_client, "all", "xlsx", "status=").content
    workbook = load_workbook(io.BytesIO(body))
    asger = sheet_rows(workbook, "kehriz")["CAB-HOR-ESGER"]

    # Dates are date cells with a date format: Excel sorts and filters them as dates.
    changed = asger["status_changed_on"]
    assert changed.is_date and changed.value == datetime.datetime(2024, 6, 1)
    assert changed.number_format == "yyyy-mm-dd"
    assert asger["last_visit_on"].is_date and asger["last_visit_on"].value.date() == datetime.date(
        2024, 3, 13
    )
    # Numbers are number cells.
    for column, value in (
        ("households_served", 40),
        ("people_served", 180),
        ("outlet_lon", 47.09472),
        ("outlet_lat", 39.4),
        ("last_discharge_lps", 12.5),
    ):
        assert (asger[column].data_type, asger[column].value) == ("n", value), column
    # Unknown is an empty cell, not an empty text.
    assert asger["mother_well_depth_m"].value is None
    # Text that looks like a formula is text, shown as written (no ', no quote prefix), not a formula.
    notes = asger["notes"]
    assert (notes.data_type, notes.value) == ("s", "=SUM(A1)")
    assert not notes.quotePrefix
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)

    observed = sheet_rows(workbook, "observations", key=5)["CAB-HOR-ESGER"]
    assert observed["observed_on"].is_date and observed["visit_start_date"].is_date
    assert (observed["discharge_lps"].data_type, observed["discharge_lps"].value) == ("n", 12.5)
    [work] = sheet_rows(workbook, "works").values()
    assert work["start_date"].is_date
    assert (work["cost"].data_type, work["cost"].value) == ("n", 25000)
    [visit] = sheet_rows(workbook, "visits").values()
    assert visit["start_date"].is_date and visit["start_date"].number_format == "yyyy-mm-dd"


def test_formula_looking_text_of_every_kind_is_never_a_formula(data, viewer_client):
    factories.KehrizFactory(
        code="CAB-FORMULA", name="+994 kəhriz", district=data["asger"].district, notes="@cmd"
    )
    workbook = load_workbook(io.BytesIO(export(viewer_client, "kehriz", "xlsx", "status=").content))
    row = sheet_rows(workbook, "kehriz")["CAB-FORMULA"]
    assert (row["name"].data_type, row["name"].value) == ("s", "+994 kəhriz")
    assert (row["notes"].data_type, row["notes"].value) == ("s", "@cmd")
    # CSV has no cell types: the ' guard stays there.
    [csv_row] = [
        r for r in csv_rows(export(viewer_client, "kehriz", "csv", "status=")) if r["code"] == "CAB-FORMULA"
    ]
    assert (csv_row["name"], csv_row["notes"]) == ("'+994 kəhriz", "'@cmd")


# --- GeoJSON and KML through GDAL ------------------------------------------------------------------

PRECISE = (47.0947212345678, 39.4000987654321)


@pytest.fixture
def precise(data):
    asger = data["asger"]
    Kehriz.objects.filter(pk=asger.pk).update(outlet=factories.point(PRECISE))
    return asger


def decimals(number):
    return max(0, -Decimal(number).as_tuple().exponent)


def test_geojson_coordinates_have_6_decimals_as_the_csv(precise, tmp_path):
    body = export(Client(), "kehriz", "geojson", "status=").content
    collection = json.loads(body, parse_float=str)
    for feature in collection["features"]:
        assert all(decimals(c) <= 6 for c in feature["geometry"]["coordinates"]), feature
    source = ogr_open(tmp_path, "kehriz.geojson", body)
    found = {f.GetField("code"): f for f in features(source.GetLayer(0))}  # keep features alive
    point = found["CAB-HOR-ESGER"].GetGeometryRef()
    assert (point.GetX(), point.GetY()) == (47.094721, 39.400099)
    [row] = [
        r for r in csv_rows(export(Client(), "kehriz", "csv", "status=")) if r["code"] == "CAB-HOR-ESGER"
    ]
    assert (row["outlet_lon"], row["outlet_lat"]) == ("47.094721", "39.400099")


def test_geojson_properties_are_typed(data, tmp_path):
    source = ogr_open(tmp_path, "kehriz.geojson", export(Client(), "kehriz", "geojson", "status=").content)
    layer = source.GetLayer(0)
    definition = layer.GetLayerDefn()
    types = {
        definition.GetFieldDefn(i).GetName(): definition.GetFieldDefn(i)
        for i in range(definition.GetFieldCount())
    }
    assert types["households_served"].GetType() == ogr.OFTInteger
    assert types["last_discharge_lps"].GetType() == ogr.OFTReal
    assert types["last_visit_on"].GetType() == ogr.OFTDate
    assert types["is_synthetic"].GetSubType() == ogr.OFSTBoolean


def read_kml(tmp_path, body):
    path = tmp_path / "kehriz.kml"
    path.write_bytes(body)
    return gdal.OpenEx(str(path), allowed_drivers=["LIBKML"])


def test_kml_fields_are_typed_for_gdal(precise, tmp_path):
    village = precise.village
    village.name = "Horovlu & Bağ"
    village.save()
    source = read_kml(tmp_path, export(Client(), "kehriz", "kml", "status=").content)
    layer = source.GetLayer(0)
    definition = layer.GetLayerDefn()
    types = {
        definition.GetFieldDefn(i).GetName(): definition.GetFieldDefn(i).GetType()
        for i in range(definition.GetFieldCount())
    }
    assert {name: types[name] for name in ("code", "households_served", "people_served")} == {
        "code": ogr.OFTString,
        "households_served": ogr.OFTInteger,
        "people_served": ogr.OFTInteger,
    }
    assert types["gallery_length_m"] == types["last_discharge_lps"] == ogr.OFTReal
    assert types["is_synthetic"] == ogr.OFTInteger  # KML's bool: GDAL reads 1/0
    found = {f.GetField("code"): f for f in features(layer)}
    asger = found["CAB-HOR-ESGER"]
    assert (asger.GetField("households_served"), asger.GetField("last_discharge_lps")) == (40, 12.5)
    assert asger.GetField("is_synthetic") == 0
    assert asger.GetField("last_visit_on") == "2024-03-13"
    # The description is plain text: what a reader shows is the text itself, no entities.
    assert asger.GetField("description") == "Horovlu & Bağ, Cəbrayıl rayonu · restored"
    point = asger.GetGeometryRef()
    assert (point.GetX(), point.GetY()) == (47.094721, 39.400099)


# --- District boundaries: RFC 7946 winding -----------------------------------------------------------


def signed_area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def wound_as_rfc7946(geometry):
    """The rings of a GeoJSON (Multi)Polygon that break RFC 7946 §3.1.6."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    wrong = []
    for p, polygon in enumerate(polygons):
        for r, ring in enumerate(polygon):
            if (signed_area(ring) > 0) != (r == 0):
                wrong.append((p, r))
    return wrong


def served_boundaries(client):
    listed = client.get(reverse("projects:api-district-list") + "?page_size=1000").json()
    geometries = {f["properties"]["slug"]: f["geometry"] for f in listed["features"]}
    assert len(geometries) == District.objects.count() == 79
    layer = client.get(reverse("projects:api-district-boundaries")).json()
    assert len(layer["features"]) == 4
    for feature in layer["features"]:
        geometries[f"layer:{feature['properties']['slug']}"] = feature["geometry"]
    qubadli = District.objects.exclude(is_programme=True).order_by("slug").first()
    [one] = client.get(reverse("projects:api-district-boundaries") + f"?district={qubadli.slug}").json()[
        "features"
    ]
    geometries[f"layer:{qubadli.slug}"] = one["geometry"]
    return geometries


def test_every_served_district_ring_is_wound_as_rfc7946_says(viewer_client):
    geometries = served_boundaries(viewer_client)
    holes = sum(len(polygon) - 1 for g in geometries.values() for polygon in g["coordinates"])
    assert holes > 0  # the check meets holes too (enclaves)
    wrong = {slug: rings for slug, g in geometries.items() if (rings := wound_as_rfc7946(g))}
    assert wrong == {}


def test_the_shipped_boundaries_are_wound_as_rfc7946_says():
    shipped = json.loads(
        (ROOT / "projects/data/azerbaijan_districts_osm.geojson").read_text(encoding="utf-8")
    )
    wrong = {
        f["properties"]["name_az"]: w for f in shipped["features"] if (w := wound_as_rfc7946(f["geometry"]))
    }
    assert wrong == {}


def clockwise(geometry):
    """The same shape wound the other way (as the shared file and OSM exports have it)."""
    return MultiPolygon(
        *(Polygon(*(LinearRing(list(reversed(ring.coords))) for ring in polygon)) for polygon in geometry),
        srid=geometry.srid,
    )


def test_load_districts_winds_a_file_wound_the_other_way(tmp_path, viewer_client):
    agdam = District.objects.get(osm_id=factories.AGDAM)
    feature = {
        "type": "Feature",
        "properties": {"osm_id": agdam.osm_id, "name_az": agdam.name_az, "name_en": agdam.name_en},
        "geometry": json.loads(clockwise(agdam.boundary).json),
    }
    assert wound_as_rfc7946(feature["geometry"])
    path = tmp_path / "clockwise.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    call_command("load_districts", str(path), verbosity=0)
    served = viewer_client.get(reverse("projects:api-district-detail", args=[agdam.slug])).json()
    assert wound_as_rfc7946(served["geometry"]) == []
    agdam.refresh_from_db()
    assert agdam.boundary.equals(District.objects.get(pk=agdam.pk).boundary)


def test_a_boundary_drawn_the_other_way_is_stored_wound_as_rfc7946_says(viewer_client):
    """A data manager who redraws a district in the admin may draw it clockwise."""
    qazax = District.objects.get(osm_id=factories.QAZAX)
    qazax.boundary = clockwise(qazax.boundary)
    qazax.save()
    url = reverse("projects:api-district-boundaries") + f"?district={qazax.slug}"
    assert wound_as_rfc7946(viewer_client.get(url).json()["features"][0]["geometry"]) == []


def test_the_migration_rewinds_boundaries_stored_the_other_way(viewer_client):
    migration = importlib.import_module("projects.migrations.0015_district_boundaries_rfc7946_winding")
    cebrayil = District.objects.get(osm_id=factories.CEBRAYIL)
    before = cebrayil.updated_at
    District.objects.filter(pk=cebrayil.pk).update(boundary=clockwise(cebrayil.boundary))
    url = reverse("projects:api-district-boundaries") + f"?district={cebrayil.slug}"
    assert wound_as_rfc7946(viewer_client.get(url).json()["features"][0]["geometry"])
    migration.rewind(apps, None)
    assert wound_as_rfc7946(viewer_client.get(url).json()["features"][0]["geometry"]) == []
    cebrayil.refresh_from_db()
    assert cebrayil.updated_at > before  # the layer's ETag changes: caches fetch the new rings
    assert cebrayil.boundary.equals(clockwise(cebrayil.boundary))


# --- HXL -----------------------------------------------------------------------------------------------


def documented_hashtags():
    """The README's table: {(export, column): hashtag}."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| `(#[^`]+)` \|$", readme, flags=re.MULTILINE)
    return {(kind, column): tag for kind, column, tag in rows}


def test_the_readme_documents_a_hashtag_for_every_column_of_every_csv_export():
    documented = documented_hashtags()
    assert set(documented) == {(kind, c.name) for kind, columns in CSV_KINDS.items() for c in columns}
    for kind, columns in CSV_KINDS.items():
        assert [documented[kind, c.name] for c in columns] == [c.hxl for c in columns], kind
        tags = [c.hxl for c in columns]
        assert len(set(tags)) == len(tags), kind  # each column found by its own hashtag


@pytest.mark.parametrize("kind", list(CSV_KINDS))
def test_libhxl_reads_the_hxl_csv_and_finds_each_documented_hashtag(data, viewer_client, kind):
    plain = export(viewer_client, kind, "csv", "status=").content
    body = export(viewer_client, kind, "csv", "status=&hxl=1").content
    assert not plain.decode("utf-8-sig").split("\r\n")[1].startswith("#")  # only when asked for
    assert body.decode("utf-8-sig").split("\r\n")[1].startswith("#")  # right after the header
    dataset = hxl.data(io.BytesIO(body)).cache()
    # The header keeps the BOM that Excel needs; HXL tools go by the hashtags.
    columns = {column.header.lstrip("\ufeff"): column.display_tag for column in dataset.columns}
    documented = {column: tag for (k, column), tag in documented_hashtags().items() if k == kind}
    assert columns == documented
    # libhxl finds every column by its hashtag, with the values of the plain CSV.
    rows = list(dataset)
    expected = csv_rows(type("R", (), {"content": plain}))
    assert len(rows) == len(expected) > 0
    for column, tag in documented.items():
        assert [row.get(tag) or "" for row in rows] == [row[column] for row in expected], tag
    # HXL's own checks (dates are dates, #reached is a number, …) find no error.
    report = hxl.validate(dataset)
    assert [issue for issue in report["issues"] if issue["severity"] == "error"] == []


def test_libhxl_finds_kehriz_by_district_and_households(data, viewer_client):
    body = export(viewer_client, "kehriz", "csv", "status=&hxl=1").content
    rows = {row.get("#loc+code"): row for row in hxl.data(io.BytesIO(body))}
    asger = rows["CAB-HOR-ESGER"]
    assert (asger.get("#adm2+name"), asger.get("#loc+name"), asger.get("#loc+name+village")) == (
        "Cəbrayıl rayonu",
        "Əsgər",
        "Horovlu",
    )
    assert (asger.get("#geo+lat"), asger.get("#geo+lon"), asger.get("#reached+hh")) == (
        "39.4",
        "47.09472",
        "40",
    )
    assert asger.get("#date+status") == "2024-06-01"
