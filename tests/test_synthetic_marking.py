"""Synthetic demo records are marked wherever a kəhriz is (map layer, every export, the API), the
map layer says how many kəhriz its status filter hides, and a last visit whose dates are
approximate says so."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from osgeo import ogr

from projects import services
from projects.models import Status
from tests.factories import CEBRAYIL, KehrizFactory, MonitoringVisitFactory, ObservationFactory, district

pytestmark = pytest.mark.django_db
ogr.UseExceptions()

LAYER = reverse("projects:api-kehriz-map")


@pytest.fixture
def two(db):
    real = KehrizFactory(code="REAL-1", name="Real", district=district(CEBRAYIL), status=Status.RESTORED)
    demo = KehrizFactory(
        code="DEMO-1", name="Demo", district=district(CEBRAYIL), status=Status.RESTORED, is_synthetic=True
    )
    return real, demo


def export(fmt):
    return Client().get(reverse("projects:api-export", args=["kehriz", fmt]) + "?status=")


# --- Map layer --------------------------------------------------------------------------------------


def test_layer_marks_each_feature_synthetic_or_not(client, two):
    found = {f["properties"]["name"]: f["properties"] for f in client.get(LAYER).json()["features"]}
    assert found["Real"]["is_synthetic"] is False
    assert found["Demo"]["is_synthetic"] is True


def test_layer_counts_the_kehriz_its_status_filter_hides(client):
    cebrayil = district(CEBRAYIL)
    KehrizFactory(name="Done", district=cebrayil, status=Status.RESTORED)
    for name in ("Works Birinci", "Works Ikinci"):
        KehrizFactory(name=name, district=cebrayil, status=Status.UNDER_RESTORATION)
    KehrizFactory(name="Works, no outlet", district=cebrayil, status=Status.UNDER_RESTORATION, outlet=None)
    KehrizFactory(name="Unpublished", district=cebrayil, status=Status.PLANNED, is_published=False)

    # The map's default statuses: the three under restoration are hidden (and so counted); the
    # unpublished one is not the public's to count.
    collection = client.get(LAYER + "?status=restored&status=handed_over").json()
    assert [f["properties"]["name"] for f in collection["features"]] == ["Done"]
    assert collection["hidden_by_status"] == 3
    assert collection["unmapped"] == 0
    # The other filters still apply to the count.
    assert client.get(LAYER + "?status=restored&q=ikinci").json()["hidden_by_status"] == 1
    # Any status: nothing hidden, and the one without an outlet is counted as unmapped.
    every = client.get(LAYER + "?status=").json()
    assert (len(every["features"]), every["hidden_by_status"], every["unmapped"]) == (3, 0, 1)
    assert client.get(LAYER).json()["hidden_by_status"] == 0


def test_layer_says_when_the_last_visits_dates_are_approximate(client):
    cebrayil = district(CEBRAYIL)
    guessed = KehrizFactory(name="Guessed", district=cebrayil, status=Status.RESTORED)
    known = KehrizFactory(name="Known", district=cebrayil, status=Status.RESTORED)
    ObservationFactory(
        kehriz=guessed,
        visit=MonitoringVisitFactory(start_date=datetime.date(2024, 3, 13), dates_are_approximate=True),
    )
    ObservationFactory(kehriz=known, visit=MonitoringVisitFactory(start_date=datetime.date(2024, 3, 13)))
    services.refresh_current_state()
    found = {f["properties"]["name"]: f["properties"] for f in client.get(LAYER).json()["features"]}
    assert found["Guessed"]["visited"] == "2024-03-13"
    assert found["Guessed"]["visited_approximate"] is True
    assert found["Known"]["visited_approximate"] is False


# --- Exports ----------------------------------------------------------------------------------------


def test_csv_has_the_synthetic_column(two):
    body = export("csv").content.decode("utf-8-sig")
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(body, newline=""))}
    assert (rows["REAL-1"]["is_synthetic"], rows["DEMO-1"]["is_synthetic"]) == ("no", "yes")


def test_xlsx_has_the_synthetic_column(two):
    sheet = load_workbook(io.BytesIO(export("xlsx").content))["kehriz"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[header.index("code")]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    column = header.index("is_synthetic")
    assert (rows["REAL-1"][column], rows["DEMO-1"][column]) == ("no", "yes")


@pytest.mark.parametrize("fmt", ["geojson", "kml", "gpkg"])
def test_map_formats_have_the_synthetic_property(two, tmp_path, fmt):
    path = tmp_path / f"kehriz.{fmt}"
    path.write_bytes(export(fmt).content)
    source = ogr.Open(str(path))
    layer = source.GetLayerByName("kehriz") if fmt == "gpkg" else source.GetLayer(0)
    layer.ResetReading()
    found = {f.GetField("code"): f.GetField("is_synthetic") for f in layer}
    # A boolean field: GeoJSON true/false, a GeoPackage boolean; KML's bool SimpleField is read by
    # GDAL as an integer 1/0.
    if fmt != "kml":
        assert layer.GetLayerDefn().GetFieldDefn(
            layer.GetLayerDefn().GetFieldIndex("is_synthetic")
        ).GetSubType() == (ogr.OFSTBoolean)
    assert found == {"REAL-1": False, "DEMO-1": True}


def test_api_kehriz_says_synthetic_and_will_not_take_it(two, manager_client):
    real, demo = two
    body = manager_client.get(reverse("projects:api-kehriz-detail", args=[demo.pk])).json()
    assert body["properties"]["is_synthetic"] is True
    response = manager_client.patch(
        reverse("projects:api-kehriz-detail", args=[real.pk]),
        {"is_synthetic": True},
        content_type="application/json",
    )
    assert response.status_code in (200, 400)
    real.refresh_from_db()
    assert real.is_synthetic is False


def test_flagging_a_visits_dates_as_approximate_reaches_the_map_and_the_page(manager_client):
    """A data manager who marks a visit's dates approximate through the API (no observations sent)
    sees the flag on the map's popup data and on the kəhriz page at once."""
    kehriz = KehrizFactory(name="Flagged", district=district(CEBRAYIL), status=Status.RESTORED)
    visit = MonitoringVisitFactory(start_date=datetime.date(2024, 3, 13))
    ObservationFactory(kehriz=kehriz, visit=visit)
    services.refresh_current_state()
    response = manager_client.patch(
        reverse("projects:api-visit-detail", args=[visit.pk]),
        {"dates_are_approximate": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    (feature,) = Client().get(LAYER).json()["features"]
    assert feature["properties"]["visited_approximate"] is True
    page = Client().get(reverse("projects:kehriz", args=[kehriz.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "(approximate)" in page.content.decode()
