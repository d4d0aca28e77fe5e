"""Cross-origin reads (django-cors-headers): another site's page may read the public layers, the
public exports and the OGC API, never what needs a login or writes."""

import pytest
from django.urls import reverse

from tests.factories import AGDAM, KehrizFactory, district

ORIGIN = "https://maps.example.org"
PUBLIC = [
    "/api/v1/kehriz/map/",
    "/api/v1/kehriz/routes/?in_bbox=46,39,48,41",
    "/api/v1/districts/boundaries/",
    "/api/v1/exports/kehriz.geojson",
    "/ogc/",
    "/ogc/collections/kehriz/items?limit=5",
]
PRIVATE = [
    "/api/v1/visits/",
    "/api/v1/kehriz/",
    "/api/v1/exports/visits.csv",
    "/admin/",
    "/admin/login/",
    "/field/kehriz.json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC)
def test_another_site_may_read_the_public_layers(client, url):
    KehrizFactory(name="Açıq", district=district(AGDAM))
    answer = client.get(url, HTTP_ORIGIN=ORIGIN)
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer
    # The Content-Security-Policy is still there on the same answer.
    assert "default-src 'self'" in answer["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_preflight_allows_reading_only(client):
    answer = client.options(
        reverse("projects:api-kehriz-map"), HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert set(answer["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.django_db
def test_an_etag_is_readable_cross_origin_so_a_script_can_revalidate(client):
    answer = client.get(reverse("projects:api-kehriz-map"), HTTP_ORIGIN=ORIGIN)
    assert "etag" in answer["Access-Control-Expose-Headers"].lower()


@pytest.mark.django_db
@pytest.mark.parametrize("url", PRIVATE)
def test_another_site_may_not_read_what_needs_a_login(client, manager_client, url):
    for reader in (client, manager_client):
        answer = reader.get(url, HTTP_ORIGIN=ORIGIN)
        assert "Access-Control-Allow-Origin" not in answer, (url, answer.status_code)


@pytest.mark.django_db
def test_no_preflight_for_writes(client):
    answer = client.options("/api/v1/visits/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in answer
    assert "Access-Control-Allow-Methods" not in answer
