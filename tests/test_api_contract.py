"""What the OpenAPI schema says a parameter or a field takes is what the server takes: a value the
schema allows is answered, one it forbids is refused with a 400 that says why, in Azerbaijani
first. (tests/test_api_schema.py::test_schemathesis checks the same with generated requests; these
are the cases a person meets.)"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from projects.models import MonitoringVisit, Photo
from tests.factories import (
    HOROVLU,
    KehrizFactory,
    ObservationFactory,
    StatusEventFactory,
    VillageFactory,
    point,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"
SCHEMA = "/api/schema/?format=json"


def url(name, *args):
    return reverse(f"projects:api-{name}", args=args)


@pytest.fixture
def manager(data_manager):
    """A data manager reading Azerbaijani, the site's language."""
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(data_manager)
    return client


@pytest.fixture
def schema(client):
    return client.get(SCHEMA).json()


def query_parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def request_properties(schema, component):
    return schema["components"]["schemas"][component]["properties"]


# --- Paging ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "2e1"])
def test_a_page_size_that_is_not_one_says_so_in_azerbaijani(manager, goranboy, value):
    """``?page_size=abc`` quietly sent 100 rows: a client never learnt it was not getting what it
    asked for."""
    response = manager.get(url("village-list"), {"page_size": value})
    assert response.status_code == 400
    assert response.json() == {
        "page_size": [
            "Səhifə ölçüsünü 1 və ya daha böyük tam ədədlə göstərin (ən çoxu 1000 sətir göndərilir)."
        ]
    }


def test_the_page_size_message_in_english(manager_client, goranboy):
    response = manager_client.get(url("kehriz-list"), {"page_size": "all"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "page_size": ["Give the page size as a whole number, 1 or more (at most 1000 are sent)."]
    }


def test_a_page_size_is_a_whole_number_from_1_and_more_than_1000_sends_1000(manager, schema, goranboy):
    for village in ("Qaradağlı", "Ağcayazı", "Tap Qaraqoyunlu"):
        VillageFactory(name=village, district=goranboy)
    listed = manager.get(url("village-list"), {"page_size": "2"}).json()
    assert (listed["count"], len(listed["results"])) == (3, 2)
    assert len(manager.get(url("village-list"), {"page_size": "5000"}).json()["results"]) == 3
    # Empty, as a form sends it, is the default.
    assert len(manager.get(url("village-list"), {"page_size": ""}).json()["results"]) == 3
    for path in ("/api/v1/villages/", "/api/v1/kehriz/", "/api/v1/kehriz/{id}/history/"):
        parameters = query_parameters(schema, path)
        assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}, path
        assert "1000" in parameters["page_size"]["description"]
        assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}, path


# --- Ordering ------------------------------------------------------------------------------------------


def test_an_order_the_list_cannot_take_names_those_it_can(manager, schema, goranboy):
    """``?ordering=nmae`` came in the default order, without a word."""
    response = manager.get(url("village-list"), {"ordering": "nmae"})
    assert response.status_code == 400
    assert response.json() == {
        "ordering": [
            "Bunlardan birinə və ya bir neçəsinə görə, vergüllə ayıraraq sıralayın: name, "
            "district__name_az; qarşıdakı mənfi işarəsi sıranı tərsinə çevirir."
        ]
    }
    VillageFactory(name="Ağcayazı", district=goranboy)
    VillageFactory(name="Qaradağlı", district=goranboy)
    names = [row["name"] for row in manager.get(url("village-list"), {"ordering": "-name"}).json()["results"]]
    assert names == ["Qaradağlı", "Ağcayazı"]
    ordering = query_parameters(schema, "/api/v1/villages/")["ordering"]
    assert (ordering["style"], ordering["explode"]) == ("form", False)
    assert ordering["schema"]["items"]["enum"] == ["name", "district__name_az", "-name", "-district__name_az"]


def test_ordering_by_distance_needs_a_point(manager, schema, cebrayil):
    """The schema lists ``distance`` for the kəhriz; it is an order only with ``near``."""
    KehrizFactory(district=cebrayil, outlet=point(HOROVLU))
    assert "distance" in query_parameters(schema, "/api/v1/kehriz/")["ordering"]["schema"]["items"]["enum"]
    assert manager.get(url("kehriz-list"), {"ordering": "distance", "near": "47.09,39.40"}).status_code == 200
    response = manager.get(url("kehriz-list"), {"ordering": "distance"})
    assert response.status_code == 400 and list(response.json()) == ["ordering"]


# --- Empty parameters -------------------------------------------------------------------------------


def test_every_query_parameter_may_be_empty_as_a_form_sends_it(manager, schema, agdam):
    """``?to_status=`` and ``?functionality=`` answered 400 on the status history and the
    observations, where ``?status=`` means "any status" on the kəhriz list; now an empty parameter is
    no parameter everywhere, and the schema says so (``allowEmptyValue``)."""
    StatusEventFactory(kehriz=KehrizFactory(district=agdam))
    for path, operations in schema["paths"].items():
        parameters = [p for p in operations.get("get", {}).get("parameters", []) if p["in"] == "query"]
        for parameter in parameters:
            assert parameter.get("allowEmptyValue") is True, (path, parameter["name"])
        if "{" in path:
            continue
        response = manager.get(path, {parameter["name"]: "" for parameter in parameters})
        assert response.status_code == 200, (path, response.content[:300])
    assert manager.get(url("status-event-list"), {"to_status": ""}).json()["count"] == 1


# --- The map's filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/kehriz/", "/api/v1/kehriz/map/"])
def test_a_box_is_four_plain_numbers_in_order_as_the_schema_says(client, schema, path):
    pattern = re.compile(query_parameters(schema, path)["in_bbox"]["schema"]["pattern"])
    for allowed in ("46.5,39.2,47.5,40.9", "-180,-90,180,90", "46, 39, 47, 40"):
        assert pattern.match(allowed)
        assert client.get(path, {"in_bbox": allowed}).status_code == 200, allowed
    # An exponent, a longitude beyond 180, three numbers: neither the schema nor the server takes them.
    for refused in ("4.6e1,39,47,40", "181,39,182,40", "46,39,47", "nan,39,47,40"):
        assert not pattern.match(refused)
        assert client.get(path, {"in_bbox": refused}).status_code == 400, refused
    # West of east and south of north: the one rule the pattern cannot hold.
    assert pattern.match("47,39,46,40")
    response = client.get(path, {"in_bbox": "47,39,46,40"})
    assert response.status_code == 400
    assert "qərb < şərq" in str(response.json())


def test_the_distance_from_a_point_says_its_bounds(client, schema):
    within = query_parameters(schema, "/api/v1/kehriz/")["within_m"]["schema"]
    assert within == {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 500000}
    for refused in ("0", "-1", "500001"):
        response = client.get(url("kehriz-list"), {"near": "47.09,39.40", "within_m": refused})
        assert response.status_code == 400
        assert response.json() == {"within_m": ["Məsafəni metrlə göstərin: 0-dan böyük və ən çoxu 500000."]}


def test_a_district_or_project_is_named_by_its_slug(schema):
    for path in ("/api/v1/kehriz/", "/api/v1/kehriz/map/", "/api/v1/exports/{kind}.{fmt}"):
        parameters = query_parameters(schema, path)
        assert parameters["district"]["schema"]["items"]["pattern"] == "^[-a-zA-Z0-9_]+$"
        assert parameters["project"]["schema"]["pattern"] == "^[-a-zA-Z0-9_]+$"


# --- Ids in filters ------------------------------------------------------------------------------------


def test_a_visit_or_observation_filter_takes_an_id_like_the_kehriz_filter(manager, schema, media_in_tmp):
    """``?visit=`` answered 400 "not one of the available choices" for an id with no visit, where
    ``?kehriz=`` finds nothing: both are ids now, and the schema says which numbers are ids."""
    observation = ObservationFactory()
    mine = manager.get(url("observation-list"), {"visit": observation.visit_id}).json()
    assert [row["id"] for row in mine["results"]] == [observation.pk]
    assert manager.get(url("observation-list"), {"visit": "999999"}).json()["count"] == 0
    assert manager.get(url("photo-list"), {"observation": "999999"}).json()["count"] == 0
    for name, parameter in (("observation-list", "visit"), ("photo-list", "observation")):
        response = manager.get(url(name), {parameter: "0"})
        assert response.status_code == 400
        assert response.json() == {
            parameter: ["Bu qiymətin 1-(y)a/ə bərabər və ya ondan böyük olduğunu yoxlayın."]
        }
    assert query_parameters(schema, "/api/v1/observations/")["visit"]["schema"]["minimum"] == 1
    assert query_parameters(schema, "/api/v1/photos/")["observation"]["schema"]["minimum"] == 1


# --- Exports -------------------------------------------------------------------------------------------


def test_the_hxl_switch_refuses_what_is_neither_yes_nor_no(client, agdam):
    """``?hxl=yes`` was read as "no": the export came without its hashtag row, without a word."""
    KehrizFactory(district=agdam, is_published=True)
    export = url("export", "kehriz", "csv")
    response = client.get(export, {"hxl": "yes"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"hxl": [{"message": "HXL: true (bəli) və ya false (xeyr) yazın.", "code": "invalid"}]}
    }
    assert b"#loc+name" in client.get(export, {"hxl": "true"}).content
    for no in ("false", "0", ""):
        response = client.get(export, {"hxl": no})
        assert response.status_code == 200 and b"#loc+name" not in response.content, no


# --- Request bodies ------------------------------------------------------------------------------------


def test_a_geometry_says_what_it_must_hold(schema):
    location = request_properties(schema, "VillageRequest")["location"]
    assert location["required"] == ["type", "coordinates"]
    assert location["properties"]["coordinates"] == {
        "type": "array",
        "items": {"type": "number", "minimum": -180, "maximum": 180},
        "minItems": 2,
        "maxItems": 2,
        "example": [47.09, 39.40],
    }
    route = request_properties(schema, "KehrizRequest")["properties"]["properties"]["route"]
    assert route["properties"]["coordinates"]["items"]["maxItems"] == 2
    assert route["properties"]["coordinates"]["minItems"] == 2


@pytest.mark.parametrize(
    ("location", "message"),
    [
        # An altitude was a database error (a 500) on SpatiaLite.
        (
            {"type": "Point", "coordinates": [47.09, 39.40, 120]},
            "Hər nöqtəni uzunluq, en şəklində göstərin: hündürlük olmadan.",
        ),
        # GDAL's words, in English ("Invalid geometry pointer returned from …").
        ({"type": "Point"}, "GeoJSON həndəsəsi göndərin."),
        ({}, "GeoJSON həndəsəsi göndərin."),
    ],
)
def test_a_geometry_the_api_cannot_take_is_refused_in_azerbaijani(manager, cebrayil, location, message):
    village = VillageFactory(district=cebrayil, location=point(HOROVLU))
    response = manager.patch(url("village-detail", village.pk), {"location": location}, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"location": [message]}
    village.refresh_from_db()
    assert village.location == point(HOROVLU)


def test_text_fields_say_they_take_no_nul_and_required_ones_no_blank(manager, schema, cebrayil):
    village = request_properties(schema, "VillageRequest")
    name, source = re.compile(village["name"]["pattern"]), re.compile(village["location_source"]["pattern"])
    for refused in ("   ", "Horov\x00lu", ""):
        assert not name.match(refused)
        response = manager.post(
            url("village-list"), {"name": refused, "district": "cebrayil-rayonu"}, content_type=JSON
        )
        assert response.status_code == 400 and "name" in response.json(), refused
    assert name.match(" Horovlu ") and source.match("") and not source.match("GPS\x00")
    # A district is named by its slug, as the model's slug field takes it.
    assert village["district"]["pattern"] == "^[-a-zA-Z0-9_]+$"


def test_decimals_say_how_many_digits_and_whether_they_may_be_negative(manager, schema, cebrayil):
    """drf-spectacular's pattern also matched "", "." and "-5" for a length that cannot be negative."""
    work = request_properties(schema, "RestorationWorkRequest")
    cleaned = re.compile(work["gallery_cleaned_m"]["pattern"])
    for allowed in ("450", "450.5", "0.5", ".5", "1234567.8"):
        assert cleaned.match(allowed), allowed
    for refused in ("", ".", "-", "-5", "12345678", "4.55", "1e3"):
        assert not cleaned.match(refused), refused
    kehriz = KehrizFactory(district=cebrayil)
    for value, status in (("-5", 400), (".", 400), ("450.5", 201)):
        response = manager.post(
            url("work-list"),
            {"kehriz": kehriz.pk, "done_by": "kankan_team", "gallery_cleaned_m": value},
            content_type=JSON,
        )
        assert response.status_code == status, (value, response.content)


def test_a_person_met_counts_at_least_one(manager, schema, cebrayil):
    person = schema["components"]["schemas"]["PersonMetRequest"]["properties"]
    assert person["count"]["minimum"] == 1
    kehriz = KehrizFactory(district=cebrayil)
    visit = {
        "title": "Monitorinq",
        "start_date": "2024-03-13",
        "observations": [
            {"kehriz": kehriz.pk, "observed_on": "2024-03-13", "people_met": [{"role": "kankan", "count": 0}]}
        ],
    }
    response = manager.post(url("visit-list"), visit, content_type=JSON)
    assert response.status_code == 400
    # The model's own message, on the field, as before the schema said it.
    assert response.json() == {
        "observations": {"0": {"people_met": {"0": {"count": ["Ən azı bir nəfər olmalıdır."]}}}}
    }


def test_text_and_decimals_come_as_json_strings(manager, cebrayil):
    """DRF took a number for a text (``"action": 5`` stored "5") and a binary float for a decimal;
    the schema says "string" for both, and now so does the server."""
    observation = ObservationFactory()
    response = manager.post(
        url("follow-up-list"), {"observation": observation.pk, "action": 5}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json() == {"action": ["Burada mətn (JSON sətri) göndərin."]}
    kehriz = KehrizFactory(district=cebrayil)
    work = {"kehriz": kehriz.pk, "done_by": "kankan_team", "cost": 1500.1, "currency": "AZN"}
    response = manager.post(url("work-list"), work, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"cost": ['Ədədi mətn kimi göndərin, məsələn, "12.50".']}
    response = manager.post(url("work-list"), {**work, "cost": "1500.10"}, content_type=JSON)
    assert response.status_code == 201 and response.json()["cost"] == "1500.10"


def test_a_kehriz_sent_as_geojson_is_a_feature(manager, cebrayil):
    kehriz = KehrizFactory(district=cebrayil)
    response = manager.patch(
        url("kehriz-detail", kehriz.pk),
        {"type": "FeatureCollection", "properties": {"name": "Orta"}},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json() == {"type": ['GeoJSON Feature obyektinin type dəyəri "Feature" olmalıdır.']}
    kehriz.refresh_from_db()
    assert kehriz.name != "Orta"
    feature = {"type": "Feature", "properties": {"name": "Orta"}}
    assert manager.patch(url("kehriz-detail", kehriz.pk), feature, content_type=JSON).status_code == 200


def _png():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(out, format="PNG")
    return SimpleUploadedFile("outlet.png", out.getvalue(), content_type="image/png")


def test_a_photo_upload_says_which_images_it_takes_and_has_no_null(schema):
    body = schema["paths"]["/api/v1/photos/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["encoding"] == {"image": {"contentType": "image/jpeg, image/png, image/webp"}}
    # A form has no null: a client that sent one sent the text "null" (or "None"), not a date.
    assert "nullable" not in request_properties(schema, "PhotoRequest")["taken_at"]
    assert schema["components"]["schemas"]["Photo"]["properties"]["taken_at"]["nullable"] is True


def test_a_photo_from_before_1924_is_dated_in_utc(manager, media_in_tmp):
    """Baku kept local mean time (+03:19:24) before 1924: an answer with that offset is no RFC 3339
    date-time, so the time is given in UTC."""
    observation = ObservationFactory()
    response = manager.post(
        url("photo-list"),
        {"observation": observation.pk, "image": _png(), "taken_at": "1900-01-21T18:18:01Z"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["taken_at"] == "1900-01-21T18:18:01Z"
    photo = Photo.objects.get()
    later = manager.get(url("photo-detail", photo.pk)).json()["taken_at"]
    assert later == "1900-01-21T18:18:01Z"
    # A time of this century keeps Baku's offset, as before.
    Photo.objects.filter(pk=photo.pk).update(taken_at="2024-03-13T08:00:00Z")
    assert manager.get(url("photo-detail", photo.pk)).json()["taken_at"] == "2024-03-13T12:00:00+04:00"


def test_a_visit_in_the_future_is_refused_with_its_reason(manager):
    """A rule the schema cannot hold (a date has no maximum in OpenAPI 3.0): a 400 naming it."""
    response = manager.post(
        url("visit-list"), {"title": "Sabah", "start_date": "2999-01-01"}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json() == {"start_date": ["Səfər gələcək tarixdə başlaya bilməz."]}
    assert not MonitoringVisit.objects.filter(title="Sabah").exists()


def test_the_schema_documents_these_refusals(schema):
    for method, path in (
        ("post", "/api/v1/visits/"),
        ("post", "/api/v1/kehriz/{id}/status/"),
        ("get", "/api/v1/kehriz/"),
    ):
        assert "400" in schema["paths"][path][method]["responses"], (method, path)
