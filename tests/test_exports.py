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


# --- KML styled by status -----------------------------------------------------------------------------

KML = "{http://www.opengis.net/kml/2.2}"


def test_kml_is_styled_by_status(data, viewer_client):
    """A Style per status present, each Placemark pointing at its kəhriz's status style, and a
    different colour for each status."""
    import xml.etree.ElementTree as ET

    from projects.models import Kehriz

    document = ET.fromstring(export(viewer_client, "kehriz", "kml", "status=").content).find(f"{KML}Document")
    colours = {
        style.get("id"): style.findtext(f"{KML}IconStyle/{KML}color")
        for style in document.iter(f"{KML}Style")
    }
    status_of = dict(Kehriz.objects.filter(outlet__isnull=False).values_list("code", "status"))
    assert set(status_of.values()) == {"restored", "under_restoration", "handed_over"}
    assert set(status_of.values()) <= set(colours)
    present = {status: colours[status] for status in set(status_of.values())}
    assert all(present.values()) and len(set(present.values())) == len(present), present
    assert len(set(colours.values())) == len(colours)  # every status, not only those present
    placemarks = list(document.iter(f"{KML}Placemark"))
    assert len(placemarks) == len(status_of)
    for placemark in placemarks:
        code = next(d.text for d in placemark.iter(f"{KML}SimpleData") if d.get("name") == "code")
        assert placemark.findtext(f"{KML}styleUrl") == f"#{status_of[code]}", code


def layer_codes(client, query):
    """The codes of the kəhriz the map layer shows for a query (its features carry the id)."""
    from projects.models import Kehriz

    response = client.get(reverse("projects:api-kehriz-map") + f"?{query}")
    assert response.status_code == 200, response.content[:300]
    ids = {feature["id"] for feature in response.json()["features"]}
    return set(Kehriz.objects.filter(pk__in=ids).values_list("code", flat=True))


# --- near / within_m ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"near={factories.HOROVLU[0]},{factories.HOROVLU[1]}&within_m=1000&status=",
        f"near={factories.HOROVLU[0]},{factories.HOROVLU[1]}&within_m=10000&status=",
        f"near={factories.HOROVLU[0]},{factories.HOROVLU[1]}&status=",  # 5 km by default
        f"near={factories.GORANBOY_TOWN[0]},{factories.GORANBOY_TOWN[1]}&within_m=500",
    ],
)
def test_an_export_near_a_point_holds_what_the_api_list_returns(data, viewer_client, tmp_path, query):
    listed = viewer_client.get(reverse("projects:api-kehriz-list") + f"?{query}&page_size=1000")
    assert listed.status_code == 200
    expected = {f["properties"]["code"] for f in listed.json()["features"]}
    assert expected and expected != {
        r["code"] for r in csv_rows(export(viewer_client, "kehriz", "csv", "status="))
    }
    assert {r["code"] for r in csv_rows(export(viewer_client, "kehriz", "csv", query))} == expected
    source = ogr_open(tmp_path, "near.gpkg", export(viewer_client, "kehriz", "gpkg", query).content)
    assert {f.GetField("code") for f in features(source.GetLayerByName("kehriz"))} == expected
    assert layer_codes(viewer_client, query) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("near=somewhere", "near"), ("near=200,100", "near"), ("near=47.09,39.4&within_m=far", "within_m")],
)
def test_an_export_with_a_bad_point_or_distance_is_a_400(data, query, field):
    response = export(Client(), "kehriz", "csv", query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- The map page's download links ---------------------------------------------------------------------


def download_links(html):
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "a" and "download" in (attrs.get("class") or "").split():
                self.hrefs.append(attrs["href"])

    parser = Links()
    parser.feed(html)
    return parser.hrefs


@pytest.mark.parametrize(
    "query",
    [
        "district=cebrayil-rayonu&status=restored",
        "district=cebrayil-rayonu&district=goranboy-rayonu&status=restored&status=handed_over",
        "q=horovlu&status=under_restoration",
        "district=goranboy-rayonu",  # no status: the map's default statuses
    ],
)
def test_the_map_pages_download_links_hold_what_the_map_layer_shows(data, viewer_client, tmp_path, query):
    from urllib.parse import parse_qs, urlsplit

    page = viewer_client.get(reverse("projects:home") + f"?{query}")
    assert page.status_code == 200
    hrefs = download_links(page.content.decode())
    by_format = {urlsplit(href).path.rsplit(".", 1)[1]: href for href in hrefs if "/kehriz." in href}
    assert set(by_format) == {"csv", "xlsx", "geojson", "kml", "gpkg"}
    assert any("/all.xlsx" in href for href in hrefs)  # signed in: the workbook too
    # The links carry the page's filters (and the default statuses when it names none).
    sent = parse_qs(urlsplit(by_format["csv"]).query)
    for key, values in parse_qs(query).items():
        assert sorted(sent[key]) == sorted(values), key
    assert "status" in sent
    # The map layer for the same filters (map.js sends the statuses shown, as the links do).
    shown = layer_codes(viewer_client, urlsplit(by_format["csv"]).query)
    assert shown, query

    def get(href):
        response = viewer_client.get(href)
        assert response.status_code == 200, href
        return response.content

    # CSV and XLSX hold every matching kəhriz, with an outlet or not: these all have one.
    assert {r["code"] for r in csv_rows(type("R", (), {"content": get(by_format["csv"])}))} == shown
    workbook = load_workbook(io.BytesIO(get(by_format["xlsx"])))
    assert {row[0] for row in workbook["kehriz"].iter_rows(min_row=2, values_only=True)} == shown
    for fmt in ("geojson", "kml", "gpkg"):
        source = ogr_open(tmp_path, f"map.{fmt}", get(by_format[fmt]))
        found = {
            f.GetField("code") for i in range(source.GetLayerCount()) for f in features(source.GetLayer(i))
        }
        assert found == shown, fmt
    workbook = load_workbook(io.BytesIO(get(next(href for href in hrefs if "/all.xlsx" in href))))
    assert {row[0] for row in workbook["kehriz"].iter_rows(min_row=2, values_only=True)} == shown


def test_the_public_map_pages_links_leave_out_unpublished_kehriz(data, client):
    page = client.get(reverse("projects:home") + "?district=qazax-rayonu&status=restored")
    hrefs = download_links(page.content.decode())
    assert not any("/all.xlsx" in href for href in hrefs)
    [csv_href] = [href for href in hrefs if "/kehriz.csv" in href]
    assert csv_rows(type("R", (), {"content": client.get(csv_href).content})) == []
    assert layer_codes(client, "district=qazax-rayonu&status=restored") == set()


# --- Admin export actions --------------------------------------------------------------------------------


def admin_action(client, action, *kehrizes):
    return client.post(
        reverse("admin:projects_kehriz_changelist"),
        {"action": action, "_selected_action": [str(k.pk) for k in kehrizes], "index": 0},
    )


def test_admin_exports_the_selected_kehriz_as_csv(data, manager_client):
    response = admin_action(manager_client, "export_csv", data["asger"], data["hidden"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kehriz-')
    rows = csv_rows(response)
    assert list(rows[0]) == names(KEHRIZ_COLUMNS)
    # The selection only, unpublished too (the admin is not the public map).
    assert [r["code"] for r in rows] == ["CAB-HOR-ESGER", "QAZ-GIZLI"]
    assert rows[0]["name"] == "Əsgər"


def test_admin_exports_the_selected_kehriz_as_an_xlsx_workbook(data, manager_client):
    response = admin_action(manager_client, "export_xlsx", data["orta"], data["karvansara"])
    assert response.status_code == 200
    assert response["Content-Type"] == exports_format("xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["kehriz", "villages", "visits", "observations", "works", "about"]
    assert [row[0] for row in workbook["kehriz"].iter_rows(min_row=2, values_only=True)] == [
        "CAB-HOR-ORTA",
        "GOR-QRD-KARVANSARA",
    ]
    observed = list(workbook["observations"].iter_rows(min_row=2, values_only=True))
    assert [row[names(OBSERVATION_COLUMNS).index("kehriz_code")] for row in observed] == [
        "GOR-QRD-KARVANSARA"
    ]
    assert workbook["works"].max_row == 1  # Əsgər's work is not selected


@pytest.mark.parametrize(
    ("action", "fmt"), [("export_geojson", "geojson"), ("export_kml", "kml"), ("export_gpkg", "gpkg")]
)
def test_admin_exports_the_selected_kehriz_as_gis_files(data, manager_client, tmp_path, action, fmt):
    response = admin_action(manager_client, action, data["asger"], data["karvansara"], data["hidden"])
    assert response.status_code == 200
    assert response["Content-Type"] == exports_format(fmt)
    source = ogr_open(tmp_path, f"admin.{fmt}", response.content)
    layer = source.GetLayerByName("kehriz") if fmt == "gpkg" else source.GetLayer(0)
    found = {f.GetField("code"): f for f in features(layer)}
    assert set(found) == {"CAB-HOR-ESGER", "GOR-QRD-KARVANSARA", "QAZ-GIZLI"}
    point = found["CAB-HOR-ESGER"].GetGeometryRef()
    assert (round(point.GetX(), 5), round(point.GetY(), 5)) == factories.HOROVLU
    if fmt == "gpkg":
        assert [f.GetField("code") for f in features(source.GetLayerByName("kehriz_routes"))] == [
            "CAB-HOR-ESGER"
        ]


def test_admin_export_of_one_kehriz_without_an_outlet(data, manager_client):
    from projects.models import Kehriz

    no_outlet = Kehriz.objects.get(code="GOR-NO-OUTLET")
    assert [r["code"] for r in csv_rows(admin_action(manager_client, "export_csv", no_outlet))] == [
        "GOR-NO-OUTLET"
    ]
    body = admin_action(manager_client, "export_geojson", no_outlet).json()
    assert body["features"] == []


def test_the_changelist_offers_the_export_actions(data, manager_client):
    html = manager_client.get(reverse("admin:projects_kehriz_changelist")).content.decode()
    for action in ("export_csv", "export_xlsx", "export_geojson", "export_kml", "export_gpkg"):
        assert f'value="{action}"' in html, action


def exports_format(fmt):
    from projects.exports import FORMATS

    return FORMATS[fmt]
