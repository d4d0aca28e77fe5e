"""The map's GeoJSON layers and the map page: filters, caching, visibility, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Status
from tests.factories import AGDAM, CEBRAYIL, KehrizFactory, ObservationFactory, VillageFactory, district

LAYER = reverse("projects:api-kehriz-map")
ROUTES = reverse("projects:api-kehriz-routes")
BOUNDARIES = reverse("projects:api-district-boundaries")


def features(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return response.json()["features"]


@pytest.mark.django_db
def test_layer_has_what_the_popup_needs(client):
    kehriz = KehrizFactory(
        name="Əsgər",
        status=Status.HANDED_OVER,
        village=VillageFactory(name="Horovlu", district=district(CEBRAYIL)),
        district=district(CEBRAYIL),
    )
    (feature,) = features(client.get(LAYER))
    assert feature["id"] == kehriz.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [47.02835, 39.39917]}
    assert feature["properties"] == {
        "name": "Əsgər",
        "status": "handed_over",
        "functionality": "unknown",
        "village": "Horovlu",
        "district": "cebrayil-rayonu",
        "visited": None,
        "lps": None,
        "visited_approximate": False,
        "is_synthetic": False,
    }


@pytest.mark.django_db
def test_layer_takes_the_map_filters(client):
    KehrizFactory(name="Ağ bulaq", district=district(AGDAM), status=Status.RESTORED)
    KehrizFactory(name="Orta", district=district(CEBRAYIL), status=Status.RESTORED)
    KehrizFactory(name="Şığı", district=district(CEBRAYIL), status=Status.PLANNED)

    def names(query):
        return sorted(f["properties"]["name"] for f in features(client.get(LAYER + query)))

    assert names("") == ["Ağ bulaq", "Orta", "Şığı"]
    assert names("?district=cebrayil-rayonu") == ["Orta", "Şığı"]
    assert names("?district=cebrayil-rayonu&status=restored") == ["Orta"]
    assert names("?status=restored&status=planned&district=agdam-rayonu") == ["Ağ bulaq"]
    assert names("?q=SIGI") == ["Şığı"]
    assert names("?q=jabrayil") == ["Orta", "Şığı"]
    assert names("?in_bbox=46.8,39.9,47.0,40.1") == ["Ağ bulaq"]


@pytest.mark.django_db
def test_layer_counts_the_kehriz_it_cannot_draw(client):
    """A kəhriz whose outlet is not located yet is not a feature, but the layer says how many such
    kəhriz match the filters, so the map can say why it shows fewer than the dashboard counts."""
    KehrizFactory(name="Located", district=district(CEBRAYIL), status=Status.RESTORED)
    KehrizFactory(name="Not located", district=district(CEBRAYIL), status=Status.RESTORED, outlet=None)
    KehrizFactory(name="Elsewhere", district=district(AGDAM), status=Status.RESTORED, outlet=None)
    KehrizFactory(name="Hidden", district=district(AGDAM), outlet=None, is_published=False)
    collection = client.get(LAYER).json()
    assert [f["properties"]["name"] for f in collection["features"]] == ["Located"]
    assert collection["unmapped"] == 2
    assert client.get(LAYER + "?district=cebrayil-rayonu").json()["unmapped"] == 1
    none_drawn = client.get(LAYER + "?district=agdam-rayonu").json()
    assert none_drawn["features"] == [] and none_drawn["unmapped"] == 1
    assert client.get(LAYER + "?q=located").json()["unmapped"] == 1  # "Not located" matches too


@pytest.mark.django_db
def test_bad_filters_get_a_json_error_naming_the_field(client):
    response = client.get(LAYER + "?status=lost&in_bbox=1,2")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"status", "in_bbox"}


@pytest.mark.django_db
def test_anonymous_visitors_see_only_published_kehriz(client, manager_client):
    KehrizFactory(name="Public")
    KehrizFactory(name="Draft", is_published=False)
    assert [f["properties"]["name"] for f in features(client.get(LAYER))] == ["Public"]
    assert len(features(manager_client.get(LAYER))) == 2


@pytest.mark.django_db
def test_layer_answers_304_until_something_changes(client):
    kehriz = KehrizFactory()
    first = client.get(LAYER)
    etag = first["ETag"]
    assert client.get(LAYER, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another filter with another answer.
    assert client.get(LAYER + "?status=handed_over", HTTP_IF_NONE_MATCH=etag).status_code == 200
    kehriz.name = "Renamed"
    kehriz.save()
    changed = client.get(LAYER, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["features"][0]["properties"]["name"] == "Renamed"


@pytest.mark.django_db
def test_layer_changes_when_the_village_is_renamed(client):
    kehriz = KehrizFactory()
    kehriz.village = VillageFactory(name="Köhnə kənd", district=kehriz.district)
    kehriz.save()
    etag = client.get(LAYER)["ETag"]
    kehriz.village.name = "Yeni kənd"
    kehriz.village.save()
    response = client.get(LAYER, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["features"][0]["properties"]["village"] == "Yeni kənd"


@pytest.mark.django_db
def test_layer_changes_when_a_status_change_is_recorded(client, data_manager):
    from projects import services

    kehriz = KehrizFactory(status=Status.IDENTIFIED)
    etag = client.get(LAYER)["ETag"]
    services.change_status(kehriz=kehriz, to_status=Status.ASSESSED, user=data_manager)
    response = client.get(LAYER, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["features"][0]["properties"]["status"] == "assessed"


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LAYER, LAYER + "?district=cebrayil-rayonu&q=kehriz", ROUTES, BOUNDARIES])
def test_layers_make_the_same_number_of_queries_for_1_and_100_kehriz_and_visits(client, url):
    from django.contrib.gis.geos import LineString

    def add(n):
        for _ in range(n):
            kehriz = KehrizFactory(
                district=district(CEBRAYIL),
                route=LineString((47.02, 39.40), (47.02835, 39.39917), srid=4326),
            )
            ObservationFactory(kehriz=kehriz)  # with a visit of its own

    add(1)
    one = count_queries(client, url)
    add(99)
    hundred = count_queries(client, url)
    assert one == hundred
    assert one <= 3


@pytest.mark.django_db
def test_boundaries_are_the_programme_districts_with_attribution(client):
    response = client.get(BOUNDARIES)
    body = response.json()
    assert "OpenStreetMap" in body["attribution"]
    assert sorted(f["properties"]["slug"] for f in body["features"]) == [
        "agdam-rayonu",
        "cebrayil-rayonu",
        "goranboy-rayonu",
        "qazax-rayonu",
    ]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


@pytest.mark.django_db
def test_map_page_defaults_to_restored_and_handed_over(client):
    response = client.get(reverse("projects:home"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["status"].value() == ["restored", "handed_over"]
    # An explicit empty status means every status.
    response = client.get(reverse("projects:home") + "?status=&district=agdam-rayonu")
    assert response.context["form"]["status"].value() == []
    assert response.context["form"]["district"].value() == ["agdam-rayonu"]


@pytest.mark.django_db
def test_map_page_serves_its_scripts_from_our_static_files(client):
    html = client.get(reverse("projects:home")).content.decode()
    assert "leaflet.markercluster.js" in html
    assert "projects/map.js" in html
    assert "unpkg" not in html and "cdnjs" not in html and "jsdelivr" not in html
