"""Exports (/api/v1/exports/<kind>.<fmt>) read back by real readers: the csv module, openpyxl, and
GDAL/OGR for GeoJSON, KML and GeoPackage. Exports follow the map's filters and the public sees
only published kəhriz."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from osgeo import gdal, ogr

from projects import services
from projects.tabular import (
    KEHRIZ_COLUMNS,
    OBSERVATION_COLUMNS,
    VILLAGE_COLUMNS,
    VISIT_COLUMNS,
    WORK_COLUMNS,
    names,
)
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ogr.UseExceptions()

D = datetime.date
ROUTE = ((47.09, 39.405), (47.092, 39.402), (47.09472, 39.4))


@pytest.fixture
def data(cebrayil, goranboy, qazax):
    project = factories.ProjectFactory(code="iom-koica-kehriz")
    horovlu = factories.VillageFactory(
        name="Horovlu", district=cebrayil, location=factories.point(factories.HOROVLU), is_idp_settlement=True
    )
    qaradagli = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    asger = factories.KehrizFactory(
        code="CAB-HOR-ESGER",
        name="Əsgər",
        district=cebrayil,
        village=horovlu,
        outlet=factories.point(factories.HOROVLU),
        route=LineString(ROUTE, srid=4326),
        status="restored",
        status_changed_on=D(2024, 6, 1),
        households_served=40,
        people_served=180,
        use_drinking=True,
        committee_name="Horovlu su istifadəçiləri birliyi",
        notes="=SUM(A1)",
    )
    asger.projects.add(project)
    orta = factories.KehrizFactory(
        code="CAB-HOR-ORTA", name="Orta", district=cebrayil, village=horovlu, status="under_restoration"
    )
    karvansara = factories.KehrizFactory(
        code="GOR-QRD-KARVANSARA",
        name="Karvansara",
        district=goranboy,
        village=qaradagli,
        status="handed_over",
    )
    hidden = factories.KehrizFactory(
        code="QAZ-GIZLI", name="Gizli", district=qazax, status="restored", is_published=False
    )
    factories.KehrizFactory(code="GOR-NO-OUTLET", name="Şığı", district=goranboy, outlet=None)
    visit = factories.MonitoringVisitFactory(title="IOM və KOICA monitorinqi")
    factories.ObservationFactory(visit=visit, kehriz=asger, discharge_lps=Decimal("12.50"))
    factories.ObservationFactory(
        visit=visit,
        kehriz=karvansara,
        observed_on=D(2024, 3, 14),
        functionality="low_flow",
        discharge_lps=None,
        discharge_method="",
    )
    factories.ObservationFactory(visit=visit, kehriz=hidden)
    factories.RestorationWorkFactory(kehriz=asger, project=project)
    services.refresh_current_state()
    return {"asger": asger, "orta": orta, "karvansara": karvansara, "hidden": hidden}


def export(client, kind, fmt, query=""):
    return client.get(reverse("projects:api-export", args=[kind, fmt]) + (f"?{query}" if query else ""))


def csv_rows(response):
    body = response.content
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def ogr_open(tmp_path, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    return ogr.Open(str(path))


def features(layer):
    layer.ResetReading()
    return [layer.GetNextFeature() for _ in range(layer.GetFeatureCount())]


# --- CSV ---------------------------------------------------------------------------------------------


def test_public_kehriz_csv_holds_published_kehriz_with_the_template_columns(data):
    response = export(Client(), "kehriz", "csv", "status=")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kehriz-')
    rows = csv_rows(response)
    assert list(rows[0]) == names(KEHRIZ_COLUMNS)
    assert [r["code"] for r in rows] == [
        "CAB-HOR-ESGER",
        "CAB-HOR-ORTA",
        "GOR-NO-OUTLET",
        "GOR-QRD-KARVANSARA",
    ]
    asger = rows[0]
    assert {k: asger[k] for k in ("name", "district", "village", "outlet_lon", "outlet_lat", "status")} == {
        "name": "Əsgər",
        "district": "Cəbrayıl rayonu",
        "village": "Horovlu",
        "outlet_lon": "47.09472",
        "outlet_lat": "39.4",
        "status": "restored",
    }
    assert asger["route_wkt"].startswith("LINESTRING (47.09 39.405")
    assert (asger["households_served"], asger["use_drinking"], asger["projects"]) == (
        "40",
        "yes",
        "iom-koica-kehriz",
    )
    assert (asger["functionality"], asger["last_visit_on"], asger["last_discharge_lps"]) == (
        "functional",
        "2024-03-13",
        "12.50",
    )
    assert asger["committee_name"] == "Horovlu su istifadəçiləri birliyi"
    assert asger["notes"] == "'=SUM(A1)"  # not run as a formula by a spreadsheet


def test_a_signed_in_user_exports_unpublished_kehriz_too(data, viewer_client):
    rows = csv_rows(export(viewer_client, "kehriz", "csv", "status="))
    assert "QAZ-GIZLI" in [r["code"] for r in rows]


@pytest.mark.parametrize(
    "query, codes",
    [
        ("district=cebrayil-rayonu&status=", {"CAB-HOR-ESGER", "CAB-HOR-ORTA"}),
        ("district=cebrayil-rayonu&status=restored", {"CAB-HOR-ESGER"}),
        ("status=handed_over&status=under_restoration", {"CAB-HOR-ORTA", "GOR-QRD-KARVANSARA"}),
        ("q=qaradagli&status=", {"GOR-QRD-KARVANSARA"}),
        ("functionality=low_flow&status=", {"GOR-QRD-KARVANSARA"}),
    ],
)
def test_exports_follow_the_map_filters(data, query, codes):
    assert {r["code"] for r in csv_rows(export(Client(), "kehriz", "csv", query))} == codes


def test_a_filter_that_is_not_understood_is_a_400(data):
    response = export(Client(), "kehriz", "csv", "status=finished")
    assert response.status_code == 400


@pytest.mark.parametrize("kind", ["villages", "visits", "observations", "works"])
def test_anonymous_users_cannot_download_the_other_kinds(data, kind):
    assert export(Client(), kind, "csv").status_code in (401, 403)
    assert export(Client(), "all", "xlsx").status_code in (401, 403)


def test_unknown_kinds_and_formats_are_404(data, viewer_client):
    assert export(viewer_client, "observations", "kml").status_code == 404
    assert export(viewer_client, "kehriz", "pdf").status_code == 404
    assert export(viewer_client, "all", "csv").status_code == 404


def test_villages_observations_visits_and_works_csv(data, viewer_client):
    villages = csv_rows(export(viewer_client, "villages", "csv", "status="))
    assert list(villages[0]) == names(VILLAGE_COLUMNS)
    assert [(v["district"], v["name"], v["is_idp_settlement"]) for v in villages] == [
        ("Cəbrayıl rayonu", "Horovlu", "yes"),
        ("Goranboy rayonu", "Qaradağlı", "no"),
    ]
    observations = csv_rows(export(viewer_client, "observations", "csv", "status="))
    assert list(observations[0]) == names(OBSERVATION_COLUMNS)
    assert [
        (o["kehriz_code"], o["functionality"], o["discharge_lps"], o["discharge_method"])
        for o in observations
    ] == [
        ("CAB-HOR-ESGER", "functional", "12.50", "bucket"),
        ("GOR-QRD-KARVANSARA", "low_flow", "", ""),
        ("QAZ-GIZLI", "functional", "9.50", "bucket"),
    ]
    assert {o["visit_title"] for o in observations} == {"IOM və KOICA monitorinqi"}
    visits = csv_rows(export(viewer_client, "visits", "csv", "status="))
    assert list(visits[0]) == names(VISIT_COLUMNS)
    assert visits[0]["kehriz_codes"] == "CAB-HOR-ESGER;GOR-QRD-KARVANSARA;QAZ-GIZLI"
    assert visits[0]["districts"] == "Cəbrayıl rayonu;Goranboy rayonu;Qazax rayonu"
    works = csv_rows(export(viewer_client, "works", "csv", "status="))
    assert list(works[0]) == names(WORK_COLUMNS)
    assert [(w["kehriz_code"], w["project"], w["cost"], w["currency"]) for w in works] == [
        ("CAB-HOR-ESGER", "iom-koica-kehriz", "25000.00", "AZN")
    ]


def test_filters_narrow_the_observations_too(data, viewer_client):
    rows = csv_rows(export(viewer_client, "observations", "csv", "district=cebrayil-rayonu&status="))
    assert [r["kehriz_code"] for r in rows] == ["CAB-HOR-ESGER"]


# --- XLSX --------------------------------------------------------------------------------------------


def test_xlsx_workbook_has_a_sheet_per_kind_with_the_template_headers(data, viewer_client):
    response = export(viewer_client, "all", "xlsx", "status=")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["kehriz", "villages", "visits", "observations", "works", "about"]
    for sheet, columns in (
        ("kehriz", KEHRIZ_COLUMNS),
        ("villages", VILLAGE_COLUMNS),
        ("visits", VISIT_COLUMNS),
        ("observations", OBSERVATION_COLUMNS),
        ("works", WORK_COLUMNS),
    ):
        assert [c.value for c in workbook[sheet][1]] == names(columns)
    kehriz = {
        row[0]: dict(zip(names(KEHRIZ_COLUMNS), row, strict=True))
        for row in workbook["kehriz"].iter_rows(min_row=2, values_only=True)
    }
    assert set(kehriz) == {
        "CAB-HOR-ESGER",
        "CAB-HOR-ORTA",
        "GOR-NO-OUTLET",
        "GOR-QRD-KARVANSARA",
        "QAZ-GIZLI",
    }
    asger = kehriz["CAB-HOR-ESGER"]
    assert (asger["name"], asger["district"], asger["village"]) == ("Əsgər", "Cəbrayıl rayonu", "Horovlu")
    assert (asger["outlet_lon"], asger["outlet_lat"], asger["households_served"]) == (47.09472, 39.4, 40)
    assert kehriz["GOR-NO-OUTLET"]["name"] == "Şığı"
    villages = [row[:2] for row in workbook["villages"].iter_rows(min_row=2, values_only=True)]
    assert ("Goranboy rayonu", "Qaradağlı") in villages
    assert "OpenStreetMap" in workbook["about"]["A2"].value


def test_one_kind_as_xlsx_is_one_sheet_and_about(data):
    workbook = load_workbook(io.BytesIO(export(Client(), "kehriz", "xlsx", "status=").content))
    assert workbook.sheetnames == ["kehriz", "about"]
    assert workbook["kehriz"].max_row == 1 + 4  # published only


# --- GeoJSON, KML, GeoPackage through GDAL/OGR --------------------------------------------------------


def test_geojson_read_by_ogr(data, tmp_path):
    response = export(Client(), "kehriz", "geojson", "status=")
    assert response["Content-Type"] == "application/geo+json"
    source = ogr_open(tmp_path, "kehriz.geojson", response.content)
    assert source.GetDriver().GetName() == "GeoJSON"
    layer = source.GetLayer(0)
    found = {f.GetField("code"): f for f in features(layer)}
    # Published kəhriz with an outlet: not the hidden one, not the one without an outlet.
    assert set(found) == {"CAB-HOR-ESGER", "CAB-HOR-ORTA", "GOR-QRD-KARVANSARA"}
    asger = found["CAB-HOR-ESGER"]
    point = asger.GetGeometryRef()
    assert (point.GetGeometryName(), round(point.GetX(), 5), round(point.GetY(), 5)) == (
        "POINT",
        47.09472,
        39.4,
    )
    assert (asger.GetField("name"), asger.GetField("district"), asger.GetField("status")) == (
        "Əsgər",
        "Cəbrayıl rayonu",
        "restored",
    )
    assert (asger.GetField("households_served"), asger.GetField("last_discharge_lps")) == (40, 12.5)
    karvansara = found["GOR-QRD-KARVANSARA"].GetGeometryRef()
    assert (round(karvansara.GetX(), 5), round(karvansara.GetY(), 5)) == factories.GORANBOY_TOWN


def test_geojson_follows_the_filters(data, tmp_path):
    body = export(Client(), "kehriz", "geojson", "district=cebrayil-rayonu&status=restored").content
    source = ogr_open(tmp_path, "k.geojson", body)  # keep the source open while its layer is read
    assert [f.GetField("code") for f in features(source.GetLayer(0))] == ["CAB-HOR-ESGER"]


def test_kml_read_by_ogr(data, tmp_path):
    response = export(Client(), "kehriz", "kml", "status=")
    assert response["Content-Type"] == "application/vnd.google-earth.kml+xml"
    source = ogr_open(tmp_path, "kehriz.kml", response.content)
    layer = source.GetLayer(0)
    found = {f.GetField("code"): f for f in features(layer)}
    assert set(found) == {"CAB-HOR-ESGER", "CAB-HOR-ORTA", "GOR-QRD-KARVANSARA"}
    asger = found["CAB-HOR-ESGER"]
    names_field = "Name" if asger.GetFieldIndex("Name") >= 0 else "name"
    assert asger.GetField(names_field) == "Əsgər"
    assert asger.GetField("status") == "restored"
    point = asger.GetGeometryRef()
    assert (round(point.GetX(), 5), round(point.GetY(), 5)) == (47.09472, 39.4)
    assert "Horovlu, Cəbrayıl rayonu" in asger.GetField("description")


def test_kml_of_a_filtered_map_for_the_public_excludes_unpublished(data, tmp_path, viewer_client):
    def codes(source):
        return [
            f.GetField("code") for i in range(source.GetLayerCount()) for f in features(source.GetLayer(i))
        ]

    query = "district=qazax-rayonu&status="
    public = ogr_open(tmp_path, "public.kml", export(Client(), "kehriz", "kml", query).content)
    assert codes(public) == []  # an empty document: OGR sees no placemark layer at all
    signed_in = ogr_open(tmp_path, "signed.kml", export(viewer_client, "kehriz", "kml", query).content)
    assert codes(signed_in) == ["QAZ-GIZLI"]


def test_geopackage_read_by_ogr(data, tmp_path):
    response = export(Client(), "kehriz", "gpkg", "status=")
    assert response["Content-Type"] == "application/geopackage+sqlite3"
    source = ogr_open(tmp_path, "kehriz.gpkg", response.content)
    assert source.GetDriver().GetName() == "GPKG"
    assert sorted(source.GetLayer(i).GetName() for i in range(source.GetLayerCount())) == [
        "kehriz",
        "kehriz_routes",
    ]
    points = source.GetLayerByName("kehriz")
    assert points.GetSpatialRef().GetAuthorityCode(None) == "4326"
    found = {f.GetField("code"): f for f in features(points)}
    assert set(found) == {"CAB-HOR-ESGER", "CAB-HOR-ORTA", "GOR-QRD-KARVANSARA"}
    asger = found["CAB-HOR-ESGER"]
    point = asger.GetGeometryRef()
    assert (round(point.GetX(), 5), round(point.GetY(), 5)) == (47.09472, 39.4)
    assert (asger.GetField("name"), asger.GetField("village"), asger.GetField("people_served")) == (
        "Əsgər",
        "Horovlu",
        180.0,
    )
    assert asger.GetField("gallery_length_m") == float(data["asger"].gallery_length_m)
    routes = source.GetLayerByName("kehriz_routes")
    [route] = features(routes)
    assert route.GetField("code") == "CAB-HOR-ESGER"
    line = route.GetGeometryRef()
    assert line.GetGeometryName() == "LINESTRING"
    assert [(round(x, 5), round(y, 5)) for x, y in line.GetPoints()] == list(ROUTE)


def test_geopackage_follows_the_filters(data, tmp_path):
    body = export(Client(), "kehriz", "gpkg", "district=goranboy-rayonu&status=").content
    source = ogr_open(tmp_path, "g.gpkg", body)
    assert [f.GetField("code") for f in features(source.GetLayerByName("kehriz"))] == ["GOR-QRD-KARVANSARA"]
    assert source.GetLayerByName("kehriz_routes").GetFeatureCount() == 0


def test_geopackage_is_also_readable_from_memory(data):
    body = export(Client(), "kehriz", "gpkg", "status=").content
    gdal.FileFromMemBuffer("/vsimem/kehriz-export.gpkg", body)
    try:
        source = ogr.Open("/vsimem/kehriz-export.gpkg")
        assert source.GetLayerByName("kehriz").GetFeatureCount() == 3
        source = None
    finally:
        gdal.Unlink("/vsimem/kehriz-export.gpkg")
