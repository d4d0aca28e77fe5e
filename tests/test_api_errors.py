"""The API answers bad input with a 4xx that says what is wrong, never a 500, and a refused or
failed write leaves the database as it was. A field officer's write for a kəhriz outside their
districts is a 403 with a translated reason (validation problems stay 400)."""

import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from projects import serializers as s
from projects.models import (
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    RestorationWork,
    StatusEvent,
    Village,
)
from tests.factories import (
    AGDAM_TOWN,
    GORANBOY_TOWN,
    KehrizFactory,
    ObservationFactory,
    RestorationWorkFactory,
    VillageFactory,
    point,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"
HUGE = "99999999999999999999"  # more than 64 bits


def url(name, *args):
    return reverse(f"projects:api-{name}", args=args)


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    client.force_login(user)
    return client


def send(client, method, path, data):
    return getattr(client, method)(path, json.dumps(data), content_type=JSON)


def snapshot(instance):
    """Every stored field of a record, as the database has it now."""
    fresh = type(instance).objects.get(pk=instance.pk)
    values = model_to_dict(fresh)
    values.update({f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields})
    return {
        key: str(value) if not isinstance(value, (Model, list)) else value for key, value in values.items()
    }


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Village,
            Kehriz,
            StatusEvent,
            RestorationWork,
            MonitoringVisit,
            Observation,
            FollowUp,
            Photo,
        )
    }


@pytest.fixture
def manager(data_manager):
    return client_for(data_manager)


@pytest.fixture
def bare(agdam):
    """A kəhriz recorded before anyone knew its village or outlet."""
    return KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam, village=None, outlet=None)


# --- Former 500s -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_a_kehriz_without_a_village_answers_with_the_change(manager, bare, method):
    """It answered 500 after committing the change (the answer could not say "no village")."""
    body = {"type": "Feature", "geometry": None, "properties": {"code": "AGD-01", "name": "Ağ bulaq 2"}}
    response = send(manager, method, url("kehriz-detail", bare.pk), body)
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["village_name"] is None
    assert response.json()["properties"]["name"] == "Ağ bulaq 2"
    bare.refresh_from_db()
    assert bare.name == "Ağ bulaq 2"


def test_a_failure_after_the_save_leaves_the_kehriz_as_it_was(manager, bare, monkeypatch):
    """The change and the answer built from it are one transaction: should building the answer
    fail after the save, the save is undone."""
    before = snapshot(bare)

    def broken(self, instance):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(s.KehrizSerializer, "to_representation", broken)
    body = {"properties": {"name": "Changed", "shaft_count": 40}}
    response = send(manager, "patch", url("kehriz-detail", bare.pk), body)
    assert response.status_code == 500
    assert snapshot(bare) == before


def test_a_failure_after_recording_a_visit_leaves_nothing(manager, bare, monkeypatch):
    before = counts()

    def broken(self, instance):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(s.MonitoringVisitSerializer, "to_representation", broken)
    visit = {
        "uuid": str(uuid.uuid4()),
        "title": "Spring check",
        "start_date": "2024-04-10",
        "observations": [{"kehriz": bare.pk, "observed_on": "2024-04-10", "functionality": "functional"}],
    }
    assert send(manager, "post", url("visit-list"), visit).status_code == 500
    assert counts() == before
    bare.refresh_from_db()
    assert bare.last_visit_on is None


COORDINATES = (
    "Longitude must be within ±180 and latitude within ±90 degrees (longitude comes first, then latitude)."
)
OUT_OF_RANGE = [(500, 40), (46.8, 100), (-181, 0), (0, -90.5)]


@pytest.mark.parametrize(("lon", "lat"), OUT_OF_RANGE)
def test_a_village_outside_valid_coordinates_is_a_400(manager, goranboy, lon, lat):
    body = {
        "name": "Yeni",
        "district": "goranboy-rayonu",
        "location": {"type": "Point", "coordinates": [lon, lat]},
    }
    response = send(manager, "post", url("village-list"), body)
    assert response.status_code == 400
    assert response.json()["location"] == [COORDINATES]
    assert not Village.objects.exists()


def test_moving_a_village_outside_valid_coordinates_changes_nothing(goranboy, data_manager):
    village = VillageFactory(name="Qaradağlı", district=goranboy, location=point(GORANBOY_TOWN))
    before = snapshot(village)
    az = client_for(data_manager, "az")
    response = send(
        az,
        "patch",
        url("village-detail", village.pk),
        {"location": {"type": "Point", "coordinates": [47, 95]}},
    )
    assert response.status_code == 400
    with translation.override("az"):
        expected = translation.gettext(COORDINATES)
    assert expected.startswith("Uzunluq")
    assert response.json()["location"] == [expected]
    assert snapshot(village) == before


@pytest.mark.parametrize(
    ("field", "geometry"),
    [
        ("outlet", {"type": "Point", "coordinates": [246.8, 40.6]}),
        ("mother_well", {"type": "Point", "coordinates": [46.8, -140.6]}),
        ("route", {"type": "LineString", "coordinates": [[46.8, 40.6], [346.8, 40.6]]}),
        ("outlet", {"type": "LineString", "coordinates": [[46.8, 40.6], [46.9, 40.6]]}),
        ("outlet", {"type": "Point", "coordinates": []}),
        ("outlet", "somewhere"),
        ("outlet", 12),
    ],
)
def test_a_kehriz_geometry_that_no_map_can_place_is_a_400(manager, goranboy, field, geometry):
    kehriz = KehrizFactory(district=goranboy)
    before = snapshot(kehriz)
    response = send(manager, "patch", url("kehriz-detail", kehriz.pk), {"properties": {field: geometry}})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot(kehriz) == before


def test_an_observer_position_outside_valid_coordinates_refuses_the_visit(manager, bare):
    before = counts()
    visit = {
        "uuid": str(uuid.uuid4()),
        "title": "Spring check",
        "start_date": "2024-04-10",
        "observations": [
            {
                "kehriz": bare.pk,
                "observed_on": "2024-04-10",
                "functionality": "functional",
                "observer_location": {"type": "Point", "coordinates": [46.9, 240]},
            }
        ],
    }
    response = send(manager, "post", url("visit-list"), visit)
    assert response.status_code == 400
    assert "observer_location" in response.json()["observations"]["0"]
    assert counts() == before


def test_a_multipart_body_to_the_kehriz_api_is_refused_as_such(manager, goranboy):
    before = counts()
    feature = {
        "type": "Feature",
        "geometry": json.dumps({"type": "Point", "coordinates": list(GORANBOY_TOWN)}),
    }
    response = manager.post(
        url("kehriz-list"), {**feature, "properties": json.dumps({"code": "GOR-9", "name": "Yeni"})}
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "non_field_errors"),
        ("Feature", "non_field_errors"),
        ({"type": "Feature", "properties": "name=Yeni"}, "properties"),
        ({"type": "Feature", "properties": ["name"]}, "properties"),
        (
            {"type": "Feature", "properties": {"code": "GOR-9", "name": "Yeni"}, "bbox": "everywhere"},
            "district",
        ),
    ],
)
def test_a_kehriz_body_that_is_not_a_feature_is_a_400(manager, goranboy, body, field):
    before = counts()
    response = send(manager, "post", url("kehriz-list"), body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "work-list",
        "visit-list",
        "observation-list",
        "follow-up-list",
        "status-event-list",
    ],
)
@pytest.mark.parametrize("value", [HUGE, "-1", "1.5", str(2**63)])
def test_an_id_filter_beyond_any_id_is_a_400(manager, path, value):
    response = manager.get(url(path) + f"?kehriz={value}")
    assert response.status_code == 400
    assert list(response.json()) == ["kehriz"]


def test_the_largest_id_is_a_valid_filter(manager, bare):
    response = manager.get(url("work-list") + f"?kehriz={2**63 - 1}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "name", ["kehriz-detail", "work-detail", "visit-detail", "kehriz-discharge", "village-detail"]
)
def test_a_path_id_beyond_any_id_is_a_404(manager, name):
    assert manager.get(url(name, HUGE)).status_code == 404


def test_a_related_id_beyond_any_id_is_a_400(manager, bare):
    response = send(manager, "post", url("work-list"), {"kehriz": int(HUGE), "done_by": "kankan_team"})
    assert response.status_code == 400
    assert "kehriz" in response.json()
    assert not RestorationWork.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/projects/ab%00cd/", "/api/v1/districts/goranboy%00-rayonu/"])
def test_a_code_or_slug_with_a_nul_character_in_the_path_is_a_404(manager, goranboy, path):
    """PostgreSQL refuses a NUL character in any text: that was a 500 there."""
    assert manager.get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "name", "body", "field"),
    [
        ("post", "village-list", {"name": "Yeni", "district": "goranboy\x00-rayonu"}, "district"),
        ("post", "project-list", {"code": "P-1", "name": "Yeni", "districts": ["goranboy\x00"]}, "districts"),
        ("post", "work-list", {"done_by": "kankan_team", "project": "iom\x00"}, "project"),
        ("patch", "kehriz-detail", {"properties": {"projects": ["iom\x00"]}}, "projects"),
        ("patch", "kehriz-detail", {"properties": {"district": "agdam\x00-rayonu"}}, "district"),
    ],
)
def test_a_code_or_slug_with_a_nul_character_in_a_body_is_a_400(manager, bare, method, name, body, field):
    before, bare_before = counts(), snapshot(bare)
    if name == "work-list":
        body = {**body, "kehriz": bare.pk}
    path = url(name, bare.pk) if name.endswith("detail") else url(name)
    response = send(manager, method, path, body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert counts() == before
    assert snapshot(bare) == bare_before


def test_a_district_slug_with_a_nul_byte_matches_no_boundary(client):
    response = client.get(reverse("projects:api-district-boundaries") + "?district=ab%00cd")
    assert response.status_code == 200
    assert json.loads(response.content)["features"] == []


# --- Out-of-district writes: 403 with the reason; in-district the same write passes ----------


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile("outlet.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def mine(goranboy):
    return KehrizFactory(name="Karvansara", code="GOR-QAR-01", district=goranboy)


@pytest.fixture
def theirs(agdam):
    return KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam, outlet=point(AGDAM_TOWN))


def visit_body(kehriz):
    return {
        "uuid": str(uuid.uuid4()),
        "title": "Spring check",
        "start_date": "2024-04-10",
        "observations": [
            {
                "kehriz": kehriz.pk,
                "observed_on": "2024-04-10",
                "functionality": "low_flow",
                "discharge_lps": "4.2",
                "discharge_method": "bucket",
            }
        ],
    }


def prepare(kind, kehriz, officer_kehriz):
    """One write of a kind a field officer makes, for ``kehriz``: what it needs is stored first;
    returns (the request, where its answer holds the reason)."""
    if kind == "visit with observations":
        return (lambda c: send(c, "post", url("visit-list"), visit_body(kehriz))), (
            "observations",
            "0",
            "kehriz",
        )
    if kind == "observations of a visit":
        visit = ObservationFactory(kehriz=officer_kehriz).visit  # a visit of the officer's
        body = {"observations": visit_body(kehriz)["observations"]}
        body["observations"][0]["observed_on"] = str(visit.start_date)
        return (lambda c: send(c, "patch", url("visit-detail", visit.pk), body)), (
            "observations",
            "0",
            "kehriz",
        )
    if kind == "work":
        body = {"kehriz": kehriz.pk, "done_by": "kankan_team"}
        return (lambda c: send(c, "post", url("work-list"), body)), ("kehriz",)
    if kind == "work moved to the kəhriz":
        work = RestorationWorkFactory(kehriz=officer_kehriz, project=None)
        return (lambda c: send(c, "patch", url("work-detail", work.pk), {"kehriz": kehriz.pk})), ("kehriz",)
    if kind == "status change":
        body = {"to_status": "assessed"}
        return (lambda c: send(c, "post", url("kehriz-change-status", kehriz.pk), body)), ("detail",)
    if kind == "kəhriz change":
        body = {"properties": {"shaft_count": 17}}
        return (lambda c: send(c, "patch", url("kehriz-detail", kehriz.pk), body)), ("detail",)
    if kind == "follow-up":
        observation = ObservationFactory(kehriz=kehriz)
        body = {"observation": observation.pk, "action": "Line shaft 7"}
        return (lambda c: send(c, "post", url("follow-up-list"), body)), ("observation",)
    if kind == "photo":
        observation = ObservationFactory(kehriz=kehriz)

        def upload(client):
            body = {"uuid": str(uuid.uuid4()), "observation": observation.pk, "image": jpeg(), "caption": ""}
            return client.post(url("photo-list"), body)

        return upload, ("observation",)
    raise ValueError(kind)


WRITES = {
    "visit with observations": (
        201,
        "Ağ bulaq (AGD-01) is not in your districts: you cannot record visits to it.",
    ),
    "observations of a visit": (
        200,
        "Ağ bulaq (AGD-01) is not in your districts: you cannot record visits to it.",
    ),
    "work": (201, "You may only record works in your own districts."),
    "work moved to the kəhriz": (200, "You may only record works in your own districts."),
    "status change": (201, "This record belongs to a kəhriz outside your districts: you cannot change it."),
    "kəhriz change": (200, "This record belongs to a kəhriz outside your districts: you cannot change it."),
    "follow-up": (201, "Ağ bulaq (AGD-01) is not in your districts: you cannot add follow-up actions to it."),
    "photo": (201, "Ağ bulaq (AGD-01) is not in your districts: you cannot add photos to it."),
}


def reason(response, where):
    found = response.json()
    for key in where:
        found = found[key]
    return found if isinstance(found, str) else found[0]


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize("kind", WRITES)
def test_a_field_officer_writing_outside_their_districts_gets_403_and_why(field_officer, mine, theirs, kind):
    request, where = prepare(kind, theirs, mine)
    before, theirs_before = counts(), snapshot(theirs)

    en = request(client_for(field_officer, "en"))
    az = request(client_for(field_officer, "az"))

    assert (en.status_code, az.status_code) == (403, 403), en.content
    assert reason(en, where) == WRITES[kind][1]
    with translation.override("az"):
        template = translation.gettext(WRITES[kind][1].replace("Ağ bulaq (AGD-01)", "%(kehriz)s"))
    assert template != WRITES[kind][1].replace("Ağ bulaq (AGD-01)", "%(kehriz)s")  # translated
    assert reason(az, where) == template.replace("%(kehriz)s", "Ağ bulaq (AGD-01)")
    assert counts() == before
    assert snapshot(theirs) == theirs_before


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize("kind", WRITES)
def test_the_same_write_in_their_district_passes(field_officer, mine, kind):
    request, _where = prepare(kind, mine, mine)
    response = request(client_for(field_officer))
    assert response.status_code == WRITES[kind][0], response.content


def test_a_validation_problem_in_their_district_stays_a_400(field_officer, mine):
    body = visit_body(mine)
    body["observations"][0]["discharge_method"] = ""  # a discharge needs its method
    response = send(client_for(field_officer), "post", url("visit-list"), body)
    assert response.status_code == 400
    assert response.json()["observations"]["0"]["discharge_method"] == ["Say how the discharge was measured."]
    assert not MonitoringVisit.objects.exists()
