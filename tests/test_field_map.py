"""The field app's map, server side: the officer's district boundaries (simplified, their own
districts only), the map's settings in the page, and the service worker's part that keeps the
viewed tiles (with the tile server allowed in its connect-src)."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import roles
from projects.views import field, field_map
from tests.factories import KehrizFactory, UserFactory

DISTRICTS = reverse("projects:field-districts")
SW = reverse("projects:field-service-worker")
APP = reverse("projects:field")


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def vertices(geometry):
    count = 0
    for polygon in geometry["coordinates"]:
        for ring in polygon:
            count += len(ring)
    return count


@pytest.mark.django_db
def test_an_officer_gets_the_boundaries_of_their_own_districts_simplified(field_officer, goranboy, agdam):
    KehrizFactory(district=goranboy)
    KehrizFactory(district=agdam)  # not the officer's
    client = client_for(field_officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DISTRICTS)
    assert response.status_code == 200
    assert len(queries) <= 6  # the session and user, the groups, then two
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["features"]] == ["Goranboy"]
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    # Simplified (fewer points than stored), rounded to 5 decimals, still around the district.
    assert vertices(feature["geometry"]) <= goranboy.boundary.num_points
    point = feature["geometry"]["coordinates"][0][0][0]
    assert all(len(str(value).split(".")[1]) <= 5 for value in point)
    assert goranboy.boundary.extent[0] - 0.01 <= point[0] <= goranboy.boundary.extent[2] + 0.01
    assert response["Cache-Control"] == "no-cache"
    assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_an_officer_without_kehriz_yet_still_sees_their_district(goranboy):
    officer = UserFactory(username="new-officer", roles=[roles.FIELD_OFFICER])
    goranboy.officers.add(officer)
    names = [f["properties"]["name"] for f in client_for(officer).get(DISTRICTS).json()["features"]]
    assert names == ["Goranboy"]


@pytest.mark.django_db
def test_a_data_manager_gets_every_district_with_kehriz(data_manager, goranboy, agdam, qazax):
    KehrizFactory(district=goranboy)
    KehrizFactory(district=agdam)
    names = [f["properties"]["name"] for f in client_for(data_manager).get(DISTRICTS).json()["features"]]
    assert sorted(names) == ["Ağdam", "Goranboy"]


@pytest.mark.django_db
def test_boundaries_need_a_field_officer_or_data_manager(viewer):
    assert Client().get(DISTRICTS).status_code == 401
    response = client_for(viewer).get(DISTRICTS)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only field officers and data managers record visits."


@pytest.mark.django_db
def test_the_page_has_the_map_settings_from_the_site_tile_server(field_officer, settings):
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = client_for(field_officer, "az").get(APP)
    config = json.loads(response.context["config"] and json.dumps(response.context["config"]))
    assert config["map"]["tiles"]["url"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["map"]["districts"] == DISTRICTS
    assert config["map"]["tilesKept"] == field_map.TILES_KEPT
    assert config["map"]["leaflet"]["js"].endswith("leaflet.js")
    body = response.content.decode()
    assert 'id="open-map"' in body and 'id="picker-map"' in body and 'id="field-map"' in body
    assert "https://tiles.example.org" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_service_worker_keeps_leaflet_and_the_viewed_tiles(field_officer, settings):
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = client_for(field_officer).get(SW)
    body = response.content.decode()
    config = json.loads(body.split("self.FIELD_SW = ", 1)[1].split(";\n", 1)[0])
    assert config["map"] == {
        "tiles": "https://tiles.example.org/{z}/{x}/{y}.png",
        "tilesKept": field_map.TILES_KEPT,
        "districts": DISTRICTS,
    }
    assert any(url.endswith("leaflet.js") for url in config["static"])
    assert any(url.endswith("map.js") for url in config["static"])
    assert "kehriz-map-tiles" in body  # tiles-sw.js is part of the worker
    # The worker may fetch tiles from the tile server (to keep them), and nowhere else new.
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip()
    )
    assert policy["connect-src"].split() == ["'self'", "https://tiles.example.org"]


@pytest.mark.django_db
def test_the_service_worker_version_changes_with_the_map_files(field_officer, monkeypatch):
    client = client_for(field_officer)

    def version():
        body = client.get(SW).content.decode()
        return json.loads(body.split("self.FIELD_SW = ", 1)[1].split(";\n", 1)[0])["version"]

    before = version()
    original = field._read_static

    def changed(path):
        data = original(path)
        return data + b"\n// changed" if path == field_map.TILES_SCRIPT else data

    monkeypatch.setattr(field, "_read_static", changed)
    assert version() != before
