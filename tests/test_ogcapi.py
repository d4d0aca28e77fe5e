"""OGC API – Features under /ogc/: read by GDAL's own OGC API – Features driver (what QGIS and
ogr2ogr use) against the live server, with the map's visibility rules and filters."""

from contextlib import contextmanager

import pytest
from django.contrib.gis.geos import LineString
from django.core.signals import request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from osgeo import gdal
from rest_framework.authtoken.models import Token

from projects.models import Status
from tests.factories import AGDAM, AGDAM_TOWN, CEBRAYIL, CEBRAYIL_TOWN, GORANBOY, KehrizFactory, district

LANDING = reverse("projects:ogc-landing")


def items_url(collection, **query):
    from urllib.parse import urlencode

    url = reverse("projects:ogc-items", args=[collection])
    return url + ("?" + urlencode(query, doseq=True) if query else "")


@pytest.fixture
def gdal_errors_raise():
    gdal.UseExceptions()
    yield


@pytest.fixture
def requests_seen():
    """The paths and queries the live server was asked for (GDAL's own requests)."""
    seen = []

    def record(sender, environ, **kwargs):
        seen.append(environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", ""))

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


@contextmanager
def config_options(options):
    """GDAL configuration options for the duration (gdal.config_options is GDAL ≥ 3.7)."""
    before = {key: gdal.GetConfigOption(key) for key in options}
    for key, value in options.items():
        gdal.SetConfigOption(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            gdal.SetConfigOption(key, value)


def open_ogc(live_server, page_size=None, headers=None):
    options = [f"PAGE_SIZE={page_size}"] if page_size else []
    with config_options({"GDAL_HTTP_HEADERS": headers, "GDAL_HTTP_TIMEOUT": "30"}):
        dataset = gdal.OpenEx("OAPIF:" + live_server.url + LANDING, gdal.OF_VECTOR, open_options=options)
    assert dataset is not None
    return dataset


def read_all(layer, headers=None):
    """Every feature of a layer as (id, properties, geometry WKT), following the pages."""
    with config_options({"GDAL_HTTP_HEADERS": headers}):
        layer.ResetReading()
        return [
            (feature.GetFID(), feature.items(), feature.GetGeometryRef().ExportToWkt())
            for feature in iter(layer.GetNextFeature, None)
        ]


@pytest.mark.django_db(transaction=True)
def test_gdal_lists_the_three_collections_with_their_geometries(live_server, gdal_errors_raise):
    dataset = open_ogc(live_server)
    layers = {dataset.GetLayer(i).GetName(): dataset.GetLayer(i) for i in range(dataset.GetLayerCount())}
    assert sorted(layers) == ["districts", "kehriz", "kehriz-routes"]
    districts = read_all(layers["districts"])
    assert sorted(properties["slug"] for _, properties, _ in districts) == [
        "agdam-rayonu",
        "cebrayil-rayonu",
        "goranboy-rayonu",
        "qazax-rayonu",
    ]
    assert all(wkt.startswith("MULTIPOLYGON") for _, _, wkt in districts)


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_every_page_of_a_filtered_collection_and_never_an_unpublished_kehriz(
    live_server, gdal_errors_raise, requests_seen
):
    cebrayil = district(CEBRAYIL)
    restored = [
        KehrizFactory(name=f"Bərpa {n:02}", code=f"CB-{n:02}", district=cebrayil, status=Status.RESTORED)
        for n in range(7)
    ]
    KehrizFactory(name="Gizli", code="CB-HID", district=cebrayil, status=Status.RESTORED, is_published=False)
    KehrizFactory(name="Planlı", code="CB-PLN", district=cebrayil, status=Status.PLANNED)
    KehrizFactory(name="Ağdamda", code="AG-01", district=district(AGDAM), status=Status.RESTORED)
    KehrizFactory(name="Yerisiz", code="CB-NOW", district=cebrayil, status=Status.RESTORED, outlet=None)

    dataset = open_ogc(live_server, page_size=3)  # kept: a layer dies with its dataset
    layer = dataset.GetLayerByName("kehriz")
    layer.SetAttributeFilter("status = 'restored' AND district = 'cebrayil-rayonu'")
    features = read_all(layer)
    assert sorted(properties["name"] for _, properties, _ in features) == [k.name for k in restored]
    assert sorted(fid for fid, _, _ in features) == sorted(k.pk for k in restored)
    assert all(wkt.startswith("POINT") for _, _, wkt in features)
    # The filter went to the server, and the 7 kəhriz came in pages of 3 (following "next").
    pages = [url for url in requests_seen if "/items?" in url and "status=restored" in url]
    assert len(pages) >= 3 and all("limit=3" in url for url in pages), requests_seen
    (first,) = [properties for fid, properties, _ in features if fid == restored[0].pk]
    assert first["code"] == "CB-00" and first["district_name"] == "Cəbrayıl rayonu"
    assert first["url"] == live_server.url + f"/kehriz/{restored[0].pk}/"

    dataset = open_ogc(live_server, page_size=2)
    everything = dataset.GetLayerByName("kehriz")
    names = {properties["name"] for _, properties, _ in read_all(everything)}
    assert names == {k.name for k in restored} | {"Planlı", "Ağdamda"}  # no "Gizli", nor "Yerisiz"
    assert everything.GetFeatureCount() == 9


@pytest.mark.django_db(transaction=True)
def test_gdal_with_a_token_sees_unpublished_kehriz(live_server, gdal_errors_raise, data_manager):
    KehrizFactory(name="Açıq", district=district(GORANBOY))
    KehrizFactory(name="Gizli", district=district(GORANBOY), is_published=False)
    token = Token.objects.create(user=data_manager)
    headers = f"Authorization: Token {token.key}"
    signed_in = open_ogc(live_server, page_size=1, headers=headers)
    layer = signed_in.GetLayerByName("kehriz")
    assert {properties["name"] for _, properties, _ in read_all(layer, headers)} == {"Açıq", "Gizli"}
    anonymous = open_ogc(live_server)
    public = anonymous.GetLayerByName("kehriz")
    assert {properties["name"] for _, properties, _ in read_all(public)} == {"Açıq"}


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_gallery_routes_in_a_box(live_server, gdal_errors_raise):
    for name, osm_id, (x, y) in (("Cəbrayıl", CEBRAYIL, CEBRAYIL_TOWN), ("Ağdam", AGDAM, AGDAM_TOWN)):
        KehrizFactory(
            name=name, district=district(osm_id), route=LineString((x - 0.01, y + 0.01), (x, y), srid=4326)
        )
    KehrizFactory(name="Xəritəsiz", district=district(CEBRAYIL))  # no route: not in the collection
    dataset = open_ogc(live_server)
    layer = dataset.GetLayerByName("kehriz-routes")
    layer.SetSpatialFilterRect(46.9, 39.3, 47.2, 39.5)
    features = read_all(layer)
    assert [properties["name"] for _, properties, _ in features] == ["Cəbrayıl"]
    assert features[0][2].startswith("LINESTRING")


# --- The documents, as the standard describes them ---------------------------------------------


@pytest.mark.django_db
def test_landing_page_links_what_the_standard_requires(client):
    page = client.get(LANDING, HTTP_ACCEPT_LANGUAGE="az")
    assert page.status_code == 200 and page["Content-Type"].startswith("application/json")
    links = {link["rel"]: link for link in page.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    assert page.json()["title"] == "Kəhriz: canlı laylar"

    conformance = client.get(links["conformance"]["href"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    api = client.get(links["service-desc"]["href"])
    assert api["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/collections/{collectionId}/items" in api.json()["paths"]

    collections = client.get(links["data"]["href"], HTTP_ACCEPT_LANGUAGE="az").json()["collections"]
    assert [c["title"] for c in collections] == [
        "Kəhriz çıxışları",
        "Kəhriz qalereyalarının trassları",
        "Proqram rayonları",
    ]
    english = client.get(links["data"]["href"], HTTP_ACCEPT_LANGUAGE="en").json()["collections"]
    assert english[0]["title"] == "Kəhriz outlets"


@pytest.mark.django_db
def test_queryables_are_the_map_filters(client):
    queryables = client.get(reverse("projects:ogc-queryables", args=["kehriz"]))
    assert queryables["Content-Type"].startswith("application/schema+json")
    properties = queryables.json()["properties"]
    assert {"status", "district", "functionality", "project", "q"} <= set(properties)
    assert "restored" in properties["status"]["enum"]


@pytest.mark.django_db
def test_items_page_with_next_link_and_counts(client):
    for n in range(5):
        KehrizFactory(name=f"K{n}", district=district(AGDAM))
    page = client.get(items_url("kehriz", limit=2, offset=2))
    assert page["Content-Type"].startswith("application/geo+json")
    body = page.json()
    assert (body["numberMatched"], body["numberReturned"]) == (5, 2)
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "offset=4" in links["next"] and "offset=0" in links["prev"]
    last = client.get(links["next"]).json()
    assert last["numberReturned"] == 1 and "next" not in {link["rel"] for link in last["links"]}
    assert client.get(items_url("kehriz", q="k3")).json()["features"][0]["properties"]["name"] == "K3"


@pytest.mark.django_db
def test_a_misspelt_or_bad_filter_is_a_400_not_everything(client):
    KehrizFactory(district=district(AGDAM))
    for query in ({"statuss": "restored"}, {"status": "nonsense"}, {"bbox": "1,2,3"}, {"limit": "x"}):
        answer = client.get(items_url("kehriz", **query))
        assert answer.status_code == 400, query
        assert answer.json()["code"] == "InvalidParameterValue"
    assert client.get(items_url("nothing")).status_code == 404
    assert client.get(reverse("projects:ogc-item", args=["kehriz", 2**63])).status_code == 404


@pytest.mark.django_db
def test_one_feature_and_an_unpublished_one_is_not_found(client, viewer_client):
    shown = KehrizFactory(name="Açıq", district=district(AGDAM))
    hidden = KehrizFactory(name="Gizli", district=district(AGDAM), is_published=False)
    feature = client.get(reverse("projects:ogc-item", args=["kehriz", shown.pk])).json()
    assert feature["type"] == "Feature" and feature["properties"]["name"] == "Açıq"
    assert client.get(reverse("projects:ogc-item", args=["kehriz", hidden.pk])).status_code == 404
    assert viewer_client.get(reverse("projects:ogc-item", args=["kehriz", hidden.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("collection", ["kehriz", "kehriz-routes"])
def test_a_page_costs_the_same_queries_for_1_and_100_kehriz(client, collection):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(items_url(collection, limit=1000, status="identified"))
        assert answer.status_code == 200
        return len(captured), answer.json()["numberReturned"]

    route = LineString((46.9, 40.0), AGDAM_TOWN, srid=4326)
    KehrizFactory(district=district(AGDAM), route=route)
    one, returned = queries()
    assert returned == 1
    KehrizFactory.create_batch(99, district=district(AGDAM), route=route)
    hundred, returned = queries()
    assert returned == 100
    assert hundred == one


@pytest.mark.django_db
def test_not_in_the_rest_api_schema(client, data_manager):
    client.force_login(data_manager)
    schema = client.get(reverse("projects:api-schema"), HTTP_ACCEPT="application/json").json()
    assert not [path for path in schema["paths"] if path.startswith("/ogc")]
