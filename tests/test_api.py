"""The REST API under /api/v1/: what each endpoint answers, who may do what, status changes, and
errors in the requester's language. Filters and query counts: test_api_filters.py; monitoring
visits: test_api_visits.py; the OpenAPI schema: test_api_schema.py."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from projects.models import (
    FollowUp,
    Kehriz,
    Observation,
    Project,
    RestorationWork,
    Status,
    StatusEvent,
    Village,
)
from projects.services import record_initial_status
from tests.factories import (
    AGDAM_TOWN,
    GORANBOY_TOWN,
    HOROVLU,
    QAZAX_TOWN,
    FollowUpFactory,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    PersonMetFactory,
    ProjectFactory,
    RestorationWorkFactory,
    VillageFactory,
    point,
)

pytestmark = pytest.mark.django_db

D = datetime.date
JSON = "application/json"


def url(name, *args):
    return reverse(f"projects:api-{name}", args=args)


def post(client, path, data, **extra):
    return client.post(path, data, content_type=JSON, **extra)


def patch(client, path, data, **extra):
    return client.patch(path, data, content_type=JSON, **extra)


def put(client, path, data, **extra):
    return client.put(path, data, content_type=JSON, **extra)


def token_client(user, language="en"):
    """A script's client: ``Authorization: Token <key>``, no session, no CSRF cookie."""
    token, _created = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE=language)


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json() if response.content else None


def today():
    return timezone.localdate()


# --- Records -------------------------------------------------------------------------------------


@pytest.fixture
def koica(agdam, goranboy, qazax, cebrayil):
    project = ProjectFactory(
        code="iom-koica-kehriz",
        name="Azərbaycanda kəhriz su sistemlərinin bərpası",
        name_en="Integrated rural development through restoration of kəhriz",
        donor="KOICA",
        implementing_agency="IOM",
    )
    project.districts.set([agdam, goranboy, qazax, cebrayil])
    return project


@pytest.fixture
def horovlu(cebrayil):
    return VillageFactory(name="Horovlu", district=cebrayil, location=point(HOROVLU))


@pytest.fixture
def qaradagli(goranboy):
    return VillageFactory(name="Qaradağlı", district=goranboy, is_idp_settlement=True)


@pytest.fixture
def karvansara(goranboy, qaradagli, koica):
    """A Goranboy kəhriz: inside the field officer's district."""
    kehriz = KehrizFactory(
        name="Karvansara",
        code="GOR-QAR-01",
        district=goranboy,
        village=qaradagli,
        status=Status.IDENTIFIED,
        status_changed_on=D(2024, 1, 10),
    )
    kehriz.projects.add(koica)
    record_initial_status(kehriz=kehriz, on_date=D(2024, 1, 10))
    return kehriz


@pytest.fixture
def agbulaq(agdam):
    """An Ağdam kəhriz: outside the field officer's district."""
    kehriz = KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam, status_changed_on=D(2024, 1, 10))
    record_initial_status(kehriz=kehriz, on_date=D(2024, 1, 10))
    return kehriz


@pytest.fixture
def asger(cebrayil, horovlu, koica):
    kehriz = KehrizFactory(
        name="Əsgər",
        code="CAB-HOR-01",
        district=cebrayil,
        village=horovlu,
        outlet=point(HOROVLU),
        status=Status.HANDED_OVER,
    )
    kehriz.projects.add(koica)
    return kehriz


@pytest.fixture
def draft(qazax):
    """An unpublished kəhriz: hidden from anonymous visitors."""
    return KehrizFactory(name="Şıxlı", code="QAZ-01", district=qazax, is_published=False)


@pytest.fixture
def records(karvansara, agbulaq, asger, draft, koica, data_manager):
    """One of everything: a visit with observations, people met and follow-ups, works, events."""
    visit = MonitoringVisitFactory(title="IOM and KOICA monitoring visit", recorded_by=data_manager)
    observation = ObservationFactory(visit=visit, kehriz=karvansara, observed_on=D(2024, 3, 14))
    ObservationFactory(visit=visit, kehriz=asger, observed_on=D(2024, 3, 13), discharge_lps=Decimal("12"))
    PersonMetFactory(observation=observation, name="Kankan Əli")
    follow_up = FollowUpFactory(observation=observation, action="Line shaft 3 with concrete rings")
    work = RestorationWorkFactory(kehriz=karvansara, project=koica)
    return {
        "visit": visit,
        "observation": observation,
        "follow_up": follow_up,
        "work": work,
        "event": karvansara.status_events.get(),
    }


# --- Response shapes -------------------------------------------------------------------------------

PAGINATED = ["villages", "projects", "status-events", "works", "visits", "observations", "follow-ups"]


@pytest.mark.parametrize("name", PAGINATED)
def test_lists_are_paginated_with_a_count(manager_client, records, name):
    body = ok(manager_client.get(url(f"{name[:-1] if name.endswith('s') else name}-list")))
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == len(body["results"]) >= 1
    assert body["next"] is None and body["previous"] is None
    assert all("id" in row for row in body["results"])


def test_the_kehriz_list_is_a_paginated_geojson_feature_collection(manager_client, records):
    body = ok(manager_client.get(url("kehriz-list")))
    assert body["type"] == "FeatureCollection"
    assert {"count", "next", "previous", "features"} <= set(body)
    assert body["count"] == 4 == len(body["features"])
    feature = next(f for f in body["features"] if f["properties"]["code"] == "CAB-HOR-01")
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": list(HOROVLU)}
    assert feature["properties"]["name"] == "Əsgər"
    assert feature["properties"]["district"] == "cebrayil-rayonu"
    assert feature["properties"]["village_name"] == "Horovlu"
    assert feature["properties"]["projects"] == ["iom-koica-kehriz"]
    assert feature["properties"]["status"] == "handed_over"


def test_the_district_list_is_a_geojson_feature_collection_of_boundaries(manager_client):
    body = ok(manager_client.get(url("district-list") + "?is_programme=true"))
    assert body["type"] == "FeatureCollection"
    assert {"count", "next", "previous", "features"} <= set(body)
    assert body["count"] == 4
    slugs = {f["properties"]["slug"] for f in body["features"]}
    assert slugs == {"agdam-rayonu", "cebrayil-rayonu", "goranboy-rayonu", "qazax-rayonu"}
    assert {f["geometry"]["type"] for f in body["features"]} == {"MultiPolygon"}


def test_a_district_is_retrieved_by_slug(manager_client, goranboy):
    body = ok(manager_client.get(url("district-detail", "goranboy-rayonu")))
    assert body["type"] == "Feature"
    assert body["id"] == goranboy.pk
    assert body["properties"]["name_az"] == "Goranboy rayonu"
    assert body["properties"]["is_programme"] is True
    assert body["geometry"]["type"] == "MultiPolygon"
    assert manager_client.get(url("district-detail", "atlantis")).status_code == 404


def test_a_kehriz_is_retrieved_as_a_feature(manager_client, records, karvansara):
    body = ok(manager_client.get(url("kehriz-detail", karvansara.pk)))
    assert body["type"] == "Feature"
    assert body["id"] == karvansara.pk
    assert body["geometry"] == {"type": "Point", "coordinates": list(GORANBOY_TOWN)}
    properties = body["properties"]
    assert properties["code"] == "GOR-QAR-01"
    assert properties["village"] == karvansara.village_id
    assert properties["village_name"] == "Qaradağlı"
    assert properties["district"] == "goranboy-rayonu"
    assert properties["status"] == "identified"
    assert properties["status_changed_on"] == "2024-01-10"
    assert manager_client.get(url("kehriz-detail", 999999)).status_code == 404


@pytest.mark.parametrize(
    ("name", "key", "expected"),
    [
        (
            "village",
            "village",
            {"name": "Qaradağlı", "district": "goranboy-rayonu", "is_idp_settlement": True},
        ),
        ("project", "project", {"code": "iom-koica-kehriz", "donor": "KOICA"}),
        (
            "status-event",
            "event",
            {"from_status": "", "to_status": "identified", "kehriz_code": "GOR-QAR-01"},
        ),
        ("work", "work", {"done_by": "kankan_team", "project": "iom-koica-kehriz", "cost": "25000.00"}),
        ("visit", "visit", {"title": "IOM and KOICA monitoring visit", "recorded_by": "manager"}),
        ("observation", "observation", {"kehriz_code": "GOR-QAR-01", "discharge_lps": "9.50"}),
        ("follow-up", "follow_up", {"action": "Line shaft 3 with concrete rings", "done": False}),
    ],
)
def test_each_record_is_retrieved_by_its_id(manager_client, records, koica, qaradagli, name, key, expected):
    obj = {"village": qaradagli, "project": koica, **records}[key]
    lookup = obj.code if name == "project" else obj.pk
    body = ok(manager_client.get(url(f"{name}-detail", lookup)))
    assert body["id"] == obj.pk
    assert {k: body[k] for k in expected} == expected
    missing = "no-such-project" if name == "project" else 999999
    assert manager_client.get(url(f"{name}-detail", missing)).status_code == 404


def test_observations_carry_people_met_and_follow_ups(manager_client, records):
    body = ok(manager_client.get(url("observation-detail", records["observation"].pk)))
    assert body["people_met"] == [
        {"role": "kankan", "name": "Kankan Əli", "organisation": "", "count": None, "is_woman": None}
    ]
    assert [f["action"] for f in body["follow_ups"]] == ["Line shaft 3 with concrete rings"]


def test_the_discharge_series_of_a_kehriz_oldest_first(manager_client, karvansara):
    for day, lps in [(D(2024, 6, 1), "8.00"), (D(2023, 9, 1), "3.50"), (D(2024, 1, 5), None)]:
        ObservationFactory(
            kehriz=karvansara,
            visit=MonitoringVisitFactory(start_date=day, end_date=day),
            observed_on=day,
            discharge_lps=lps and Decimal(lps),
            discharge_method="weir" if lps else "",
        )
    body = ok(manager_client.get(url("kehriz-discharge", karvansara.pk)))
    assert [(row["observed_on"], row["discharge_lps"], row["discharge_method"]) for row in body] == [
        ("2023-09-01", "3.50", "weir"),
        ("2024-06-01", "8.00", "weir"),
    ]
    assert all(isinstance(row["visit"], int) for row in body)


# --- Writing ------------------------------------------------------------------------------------------


def test_a_data_manager_creates_updates_and_deletes_a_village(manager_client, goranboy):
    created = ok(
        post(
            manager_client,
            url("village-list"),
            {
                "name": "Qaradağlı",
                "district": "goranboy-rayonu",
                "location": {"type": "Point", "coordinates": list(GORANBOY_TOWN)},
                "is_idp_settlement": True,
            },
        ),
        201,
    )
    village = Village.objects.get(pk=created["id"])
    assert (village.name, village.district, village.is_idp_settlement) == ("Qaradağlı", goranboy, True)
    assert created["location"] == {"type": "Point", "coordinates": list(GORANBOY_TOWN)}

    ok(patch(manager_client, url("village-detail", village.pk), {"location_source": "OSM"}))
    village.refresh_from_db()
    assert village.location_source == "OSM"

    full = {"name": "Qaradağlı kəndi", "district": "goranboy-rayonu", "location": None}
    assert ok(put(manager_client, url("village-detail", village.pk), full))["location"] is None
    village.refresh_from_db()
    assert (village.name, village.location) == ("Qaradağlı kəndi", None)

    ok(manager_client.delete(url("village-detail", village.pk)), 204)
    assert not Village.objects.filter(pk=village.pk).exists()


def test_a_village_far_outside_its_district_is_refused(manager_client, goranboy):
    response = post(
        manager_client,
        url("village-list"),
        {
            "name": "Typo",
            "district": "goranboy-rayonu",
            "location": {"type": "Point", "coordinates": [45.36, 41.09]},
        },
    )
    assert response.status_code == 400
    assert "outside Goranboy rayonu" in response.json()["location"][0]
    assert not Village.objects.exists()


def test_a_data_manager_creates_updates_and_deletes_a_project(manager_client, goranboy, cebrayil):
    body = {
        "code": "koica-2025",
        "name": "Kəhriz layihəsi",
        "donor": "KOICA",
        "start_date": "2025-01-01",
        "budget": "500000.00",
        "currency": "USD",
        "districts": ["goranboy-rayonu", "cebrayil-rayonu"],
    }
    created = ok(post(manager_client, url("project-list"), body), 201)
    project = Project.objects.get(code="koica-2025")
    assert created["id"] == project.pk
    assert set(project.districts.all()) == {goranboy, cebrayil}

    ok(patch(manager_client, url("project-detail", "koica-2025"), {"districts": ["goranboy-rayonu"]}))
    assert list(project.districts.all()) == [goranboy]

    ok(manager_client.delete(url("project-detail", "koica-2025")), 204)
    assert not Project.objects.exists()


def test_a_budget_without_currency_is_refused(manager_client):
    response = post(manager_client, url("project-list"), {"code": "x", "name": "X", "budget": "10.00"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Give the currency of the budget."]}


def test_a_data_manager_creates_a_kehriz_as_a_geojson_feature(manager_client, horovlu, koica):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(HOROVLU)},
        "properties": {
            "name": "Şığı",
            "code": "CAB-HOR-03",
            "village": horovlu.pk,
            "projects": ["iom-koica-kehriz"],
            "status": "restored",
            "shaft_count": 17,
            "households_served": 40,
            "idp_households_served": 25,
        },
    }
    created = ok(post(manager_client, url("kehriz-list"), feature), 201)
    kehriz = Kehriz.objects.get(code="CAB-HOR-03")
    assert created["id"] == kehriz.pk
    # The district comes from the village; the status starts its history.
    assert created["properties"]["district"] == "cebrayil-rayonu"
    assert kehriz.district.slug == "cebrayil-rayonu"
    assert list(kehriz.projects.values_list("code", flat=True)) == ["iom-koica-kehriz"]
    assert list(kehriz.status_events.values_list("from_status", "to_status")) == [("", "restored")]


def test_a_kehriz_whose_district_comes_from_its_outlet(manager_client, agdam):
    created = ok(
        post(
            manager_client,
            url("kehriz-list"),
            {"name": "Qarğı", "code": "AGD-02", "outlet": {"type": "Point", "coordinates": list(AGDAM_TOWN)}},
        ),
        201,
    )
    assert created["properties"]["district"] == "agdam-rayonu"
    assert created["geometry"] == {"type": "Point", "coordinates": list(AGDAM_TOWN)}


def test_a_kehriz_outlet_far_outside_its_district_is_refused(manager_client, agdam):
    response = post(
        manager_client,
        url("kehriz-list"),
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(QAZAX_TOWN)},
            "properties": {"name": "Wrong", "code": "AGD-99", "district": "agdam-rayonu"},
        },
    )
    assert response.status_code == 400
    message = response.json()["outlet"][0]
    assert "outside Ağdam rayonu" in message and "Qazax" in message
    assert not Kehriz.objects.exists()


def test_a_duplicate_kehriz_code_is_refused(manager_client, karvansara):
    response = post(
        manager_client,
        url("kehriz-list"),
        {"name": "Again", "code": "GOR-QAR-01", "district": "goranboy-rayonu"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == ["Another kəhriz already has this code."]


def test_a_data_manager_updates_a_kehriz(manager_client, karvansara):
    body = ok(
        patch(
            manager_client,
            url("kehriz-detail", karvansara.pk),
            {"name": "Karvansara kəhrizi", "shaft_count": 17, "committee_members": 7, "committee_women": 3},
        )
    )
    assert body["properties"]["name"] == "Karvansara kəhrizi"
    karvansara.refresh_from_db()
    assert (karvansara.name, karvansara.shaft_count, karvansara.committee_women) == (
        "Karvansara kəhrizi",
        17,
        3,
    )


def test_a_data_manager_replaces_a_kehriz(manager_client, karvansara):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [46.8, 40.6]},
        "properties": {
            "name": "Karvansara kəhrizi",
            "code": "GOR-QAR-01",
            "district": "goranboy-rayonu",
            "village": None,
            "status": "identified",
        },
    }
    body = ok(put(manager_client, url("kehriz-detail", karvansara.pk), feature))
    assert body["geometry"] == {"type": "Point", "coordinates": [46.8, 40.6]}
    assert (body["properties"]["name"], body["properties"]["village"]) == ("Karvansara kəhrizi", None)
    karvansara.refresh_from_db()
    assert (karvansara.outlet.x, karvansara.outlet.y, karvansara.village) == (46.8, 40.6, None)
    incomplete = put(manager_client, url("kehriz-detail", karvansara.pk), {"name": "No code"})
    assert incomplete.status_code == 400
    assert incomplete.json() == {"code": ["This field is required."]}


def test_a_kehriz_update_breaking_a_rule_is_refused(manager_client, karvansara):
    response = patch(
        manager_client, url("kehriz-detail", karvansara.pk), {"committee_members": 2, "committee_women": 5}
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The committee cannot have more women than members."]}
    karvansara.refresh_from_db()
    assert karvansara.committee_members is None


def test_status_cannot_be_changed_by_patching_the_kehriz(manager_client, karvansara):
    response = patch(manager_client, url("kehriz-detail", karvansara.pk), {"status": "assessed"})
    assert response.status_code == 400
    assert "POST …/kehriz/{id}/status/" in response.json()["status"][0]
    karvansara.refresh_from_db()
    assert karvansara.status == Status.IDENTIFIED
    assert karvansara.status_events.count() == 1
    # Sending the current status unchanged is harmless.
    ok(patch(manager_client, url("kehriz-detail", karvansara.pk), {"status": "identified", "notes": "ok"}))


def test_a_data_manager_deletes_a_kehriz_with_its_status_history(manager_client, agbulaq):
    ok(manager_client.delete(url("kehriz-detail", agbulaq.pk)), 204)
    assert not Kehriz.objects.filter(pk=agbulaq.pk).exists()
    assert not StatusEvent.objects.filter(kehriz_id=agbulaq.pk).exists()


@pytest.mark.parametrize("what", ["kehriz with observations", "village with kehriz", "project with works"])
def test_deleting_a_record_others_depend_on_is_refused_with_a_message(manager_client, records, what):
    """Observations protect their kəhriz, kəhriz their village, works their project: the API must
    say so (400/409 with a message), not crash."""
    manager_client.raise_request_exception = False
    target = {
        "kehriz with observations": ("kehriz-detail", records["observation"].kehriz.pk, Kehriz),
        "village with kehriz": ("village-detail", records["observation"].kehriz.village_id, Village),
        "project with works": ("project-detail", records["work"].project.code, Project),
    }[what]
    name, lookup, model = target
    response = manager_client.delete(url(name, lookup))
    assert response.status_code in (400, 409), (response.status_code, response.content[:300])
    assert response["Content-Type"] == JSON
    assert "cannot be deleted" in response.json()["detail"]
    assert model.objects.filter(**{"code" if model is Project else "pk": lookup}).exists()


def test_a_data_manager_creates_updates_and_deletes_works(manager_client, karvansara, koica):
    body = {
        "kehriz": karvansara.pk,
        "project": "iom-koica-kehriz",
        "done_by": "kankan_team",
        "team_name": "Məmmədov kankan ailəsi",
        "start_date": "2024-04-01",
        "end_date": "2024-06-30",
        "gallery_cleaned_m": "1037.0",
        "shafts_rehabilitated": 17,
        "rings_installed": 40,
        "cost": "30000.00",
        "currency": "AZN",
    }
    created = ok(post(manager_client, url("work-list"), body), 201)
    work = RestorationWork.objects.get(pk=created["id"])
    assert (work.kehriz, work.project, work.shafts_rehabilitated) == (karvansara, koica, 17)

    ok(patch(manager_client, url("work-detail", work.pk), {"rings_installed": 45}))
    work.refresh_from_db()
    assert work.rings_installed == 45

    ok(manager_client.delete(url("work-detail", work.pk)), 204)
    assert not RestorationWork.objects.exists()


def test_works_ending_before_they_start_are_refused(manager_client, karvansara):
    response = post(
        manager_client,
        url("work-list"),
        {
            "kehriz": karvansara.pk,
            "done_by": "contractor",
            "start_date": "2024-06-01",
            "end_date": "2024-05-01",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The end date cannot be before the start date."]}
    assert not RestorationWork.objects.exists()


def test_a_data_manager_creates_updates_and_deletes_follow_ups(manager_client, records):
    observation = records["observation"]
    created = ok(
        post(
            manager_client,
            url("follow-up-list"),
            {"observation": observation.pk, "action": "Fence the outlet pool", "due_date": "2024-07-01"},
        ),
        201,
    )
    assert created["kehriz"] == observation.kehriz_id
    follow_up = FollowUp.objects.get(pk=created["id"])

    ok(patch(manager_client, url("follow-up-detail", follow_up.pk), {"done": True, "done_on": "2024-06-20"}))
    follow_up.refresh_from_db()
    assert (follow_up.done, follow_up.done_on) == (True, D(2024, 6, 20))

    refused = patch(manager_client, url("follow-up-detail", follow_up.pk), {"done": False})
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["A completion date needs the action to be marked done."]}

    ok(manager_client.delete(url("follow-up-detail", follow_up.pk)), 204)
    assert not FollowUp.objects.filter(pk=follow_up.pk).exists()


@pytest.mark.parametrize(
    ("name", "key"),
    [("district", "district"), ("status-event", "event"), ("observation", "observation")],
)
def test_read_only_lists_refuse_writes_even_for_a_data_manager(manager_client, records, goranboy, name, key):
    """405 where the role has the model permission, 403 where it has not (status events are
    never edited): refused either way, and nothing changes."""
    obj = {"district": goranboy, **records}[key]
    lookup = obj.slug if name == "district" else obj.pk
    before = _counts()
    assert post(manager_client, url(f"{name}-list"), {}).status_code in (403, 405)
    assert patch(manager_client, url(f"{name}-detail", lookup), {"note": "x"}).status_code in (403, 405)
    assert manager_client.delete(url(f"{name}-detail", lookup)).status_code in (403, 405)
    assert _counts() == before
    assert type(obj).objects.filter(pk=obj.pk).exists()


# --- Permissions ---------------------------------------------------------------------------------------

LOGIN_ONLY_LISTS = [
    "district",
    "village",
    "project",
    "status-event",
    "work",
    "visit",
    "observation",
    "follow-up",
]


@pytest.mark.parametrize("name", LOGIN_ONLY_LISTS)
def test_anonymous_requests_need_a_login(client, records, name):
    response = client.get(url(f"{name}-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"] == JSON
    assert "detail" in response.json()


def test_the_api_root_needs_a_login_and_lists_every_endpoint(client, manager_client):
    response = client.get("/api/v1/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    root = ok(manager_client.get("/api/v1/"))
    assert set(root) == {
        "districts",
        "villages",
        "projects",
        "kehriz",
        "status-events",
        "works",
        "visits",
        "observations",
        "follow-ups",
        "photos",
    }


@pytest.mark.parametrize(
    ("name", "key"),
    [("village", "observation"), ("status-event", "event"), ("work", "work"), ("visit", "visit")],
)
def test_anonymous_requests_for_one_record_need_a_login(client, records, name, key):
    lookup = records[key].kehriz.village_id if name == "village" else records[key].pk
    response = client.get(url(f"{name}-detail", lookup))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_visitors_read_published_kehriz_only(client, records, karvansara, draft):
    body = ok(client.get(url("kehriz-list")))
    assert body["count"] == 3
    assert "QAZ-01" not in {f["properties"]["code"] for f in body["features"]}
    assert ok(client.get(url("kehriz-detail", karvansara.pk)))["id"] == karvansara.pk
    assert isinstance(ok(client.get(url("kehriz-discharge", karvansara.pk))), list)
    assert client.get(url("kehriz-detail", draft.pk)).status_code == 404
    assert client.get(url("kehriz-discharge", draft.pk)).status_code == 404


def test_anonymous_visitors_cannot_write_kehriz(client, karvansara):
    for response in [
        post(client, url("kehriz-list"), {"name": "X", "code": "X-1", "district": "goranboy-rayonu"}),
        patch(client, url("kehriz-detail", karvansara.pk), {"name": "Vandalised"}),
        client.delete(url("kehriz-detail", karvansara.pk)),
        post(client, url("kehriz-change-status", karvansara.pk), {"to_status": "assessed"}),
    ]:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    karvansara.refresh_from_db()
    assert (karvansara.name, karvansara.status) == ("Karvansara", "identified")


def test_a_token_authenticates_reads_and_writes_without_csrf(data_manager, karvansara):
    client = token_client(data_manager)
    assert ok(client.get(url("visit-list")))["count"] == 0
    ok(patch(client, url("kehriz-detail", karvansara.pk), {"notes": "Seen from the road."}))
    karvansara.refresh_from_db()
    assert karvansara.notes == "Seen from the road."


def test_a_wrong_token_is_refused(karvansara):
    client = Client(HTTP_AUTHORIZATION="Token not-a-real-key", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(url("visit-list"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_a_browser_session_write_needs_the_csrf_token(data_manager, karvansara):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(data_manager)
    response = patch(client, url("kehriz-detail", karvansara.pk), {"name": "Forged"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    karvansara.refresh_from_db()
    assert karvansara.name == "Karvansara"


ALL_LISTS = ["kehriz", *LOGIN_ONLY_LISTS]


@pytest.mark.parametrize("name", ALL_LISTS)
def test_a_viewer_reads_everything(viewer_client, records, name):
    body = ok(viewer_client.get(url(f"{name}-list")))
    assert body["count"] >= 1


def test_a_viewer_sees_unpublished_kehriz(viewer_client, draft):
    assert ok(viewer_client.get(url("kehriz-detail", draft.pk)))["properties"]["code"] == "QAZ-01"


def _writes(records, karvansara, koica):
    observation, visit = records["observation"], records["visit"]
    return [
        ("post", url("village-list"), {"name": "New", "district": "goranboy-rayonu"}),
        ("patch", url("village-detail", karvansara.village_id), {"name": "Renamed"}),
        ("delete", url("village-detail", karvansara.village_id), None),
        ("post", url("project-list"), {"code": "new", "name": "New"}),
        ("patch", url("project-detail", koica.code), {"donor": "Nobody"}),
        ("delete", url("project-detail", koica.code), None),
        ("post", url("kehriz-list"), {"name": "New", "code": "NEW-1", "district": "goranboy-rayonu"}),
        ("patch", url("kehriz-detail", karvansara.pk), {"name": "Renamed"}),
        ("delete", url("kehriz-detail", karvansara.pk), None),
        ("post", url("kehriz-change-status", karvansara.pk), {"to_status": "assessed"}),
        ("post", url("work-list"), {"kehriz": karvansara.pk, "done_by": "contractor"}),
        ("patch", url("work-detail", records["work"].pk), {"rings_installed": 1}),
        ("delete", url("work-detail", records["work"].pk), None),
        ("post", url("visit-list"), {"title": "New", "start_date": "2024-03-13"}),
        ("patch", url("visit-detail", visit.pk), {"title": "Renamed"}),
        ("delete", url("visit-detail", visit.pk), None),
        ("post", url("follow-up-list"), {"observation": observation.pk, "action": "New"}),
        ("patch", url("follow-up-detail", records["follow_up"].pk), {"done": True}),
        ("delete", url("follow-up-detail", records["follow_up"].pk), None),
    ]


def _counts():
    models = [Village, Project, Kehriz, StatusEvent, RestorationWork, Observation, FollowUp]
    return {model.__name__: model.objects.count() for model in models}


def test_a_viewer_writes_nothing(viewer_client, records, karvansara, koica):
    before = _counts()
    for method, path, data in _writes(records, karvansara, koica):
        response = getattr(viewer_client, method)(path, data, content_type=JSON)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert _counts() == before
    karvansara.refresh_from_db()
    assert (karvansara.name, karvansara.status) == ("Karvansara", "identified")


def test_a_data_manager_may_do_everything(manager_client, records, karvansara, koica):
    """The viewer's writes, done by a data manager. Deletes of records that others depend on are
    in test_deleting_a_record_others_depend_on_is_refused_with_a_message."""
    writes = _writes(records, karvansara, koica)
    for method, path, data in [w for w in writes if w[0] != "delete"]:
        response = getattr(manager_client, method)(path, data, content_type=JSON)
        assert response.status_code in (200, 201), (method, path, response.content[:500])
    for name, key in [("follow-up", "follow_up"), ("work", "work"), ("visit", "visit")]:
        assert manager_client.delete(url(f"{name}-detail", records[key].pk)).status_code == 204
    assert not FollowUp.objects.filter(pk=records["follow_up"].pk).exists()
    assert not Observation.objects.filter(visit_id=records["visit"].pk).exists()


# Field officers (assigned to Goranboy only).


def test_a_field_officer_updates_a_kehriz_in_their_district(officer_client, karvansara):
    body = ok(patch(officer_client, url("kehriz-detail", karvansara.pk), {"shaft_count": 17}))
    assert body["properties"]["shaft_count"] == 17
    karvansara.refresh_from_db()
    assert karvansara.shaft_count == 17


def test_a_field_officer_cannot_update_a_kehriz_outside_their_district(officer_client, agbulaq):
    response = patch(officer_client, url("kehriz-detail", agbulaq.pk), {"shaft_count": 17})
    assert response.status_code == 403
    agbulaq.refresh_from_db()
    assert agbulaq.shaft_count is None


def test_a_field_officer_cannot_move_a_kehriz_out_of_their_district(officer_client, karvansara):
    response = patch(
        officer_client,
        url("kehriz-detail", karvansara.pk),
        {
            "district": "agdam-rayonu",
            "village": None,
            "outlet": {"type": "Point", "coordinates": list(AGDAM_TOWN)},
        },
    )
    assert response.status_code == 403
    assert response.json()["district"] == ["You may only record kəhriz in your own districts."]
    karvansara.refresh_from_db()
    assert karvansara.district.slug == "goranboy-rayonu"


def test_a_field_officer_cannot_create_or_delete_kehriz(officer_client, karvansara):
    created = post(
        officer_client, url("kehriz-list"), {"name": "New", "code": "GOR-9", "district": "goranboy-rayonu"}
    )
    assert created.status_code == 403
    assert officer_client.delete(url("kehriz-detail", karvansara.pk)).status_code == 403
    assert list(Kehriz.objects.values_list("code", flat=True)) == ["GOR-QAR-01"]


def test_a_field_officer_records_a_status_change_in_their_district(officer_client, karvansara):
    """The brief of the role: field officers record status changes of their district's kəhriz
    (the admin lets them). The API must too."""
    response = post(
        officer_client,
        url("kehriz-change-status", karvansara.pk),
        {"to_status": "assessed", "on_date": "2024-02-01"},
    )
    body = ok(response, 201)
    assert (body["from_status"], body["to_status"], body["changed_by"]) == (
        "identified",
        "assessed",
        "officer",
    )
    karvansara.refresh_from_db()
    assert karvansara.status == Status.ASSESSED


def test_a_field_officer_cannot_change_status_outside_their_district(officer_client, agbulaq):
    response = post(officer_client, url("kehriz-change-status", agbulaq.pk), {"to_status": "assessed"})
    assert response.status_code == 403
    agbulaq.refresh_from_db()
    assert agbulaq.status == Status.IDENTIFIED
    assert agbulaq.status_events.count() == 1


def test_a_field_officer_records_works_in_their_district_only(officer_client, karvansara, agbulaq):
    body = {"done_by": "kankan_team", "start_date": "2024-04-01"}
    ok(post(officer_client, url("work-list"), {**body, "kehriz": karvansara.pk}), 201)
    refused = post(officer_client, url("work-list"), {**body, "kehriz": agbulaq.pk})
    assert refused.status_code == 403
    assert refused.json() == {"kehriz": ["You may only record works in your own districts."]}
    assert list(RestorationWork.objects.values_list("kehriz__code", flat=True)) == ["GOR-QAR-01"]


def test_a_field_officer_adds_follow_ups_in_their_district(officer_client, records):
    observation = records["observation"]  # Karvansara, Goranboy
    ok(
        post(
            officer_client, url("follow-up-list"), {"observation": observation.pk, "action": "Clean shaft 4"}
        ),
        201,
    )


def test_a_field_officer_cannot_add_follow_ups_outside_their_district(officer_client, agbulaq):
    """Field officers write only in their districts: a follow-up on an Ağdam observation must be
    refused like works and visits are."""
    observation = ObservationFactory(kehriz=agbulaq)
    response = post(
        officer_client, url("follow-up-list"), {"observation": observation.pk, "action": "Meddle"}
    )
    assert response.status_code in (400, 403), response.content
    assert not FollowUp.objects.exists()


def test_a_field_officer_cannot_add_villages_or_projects(officer_client, goranboy):
    assert (
        post(officer_client, url("village-list"), {"name": "N", "district": "goranboy-rayonu"}).status_code
        == 403
    )
    assert post(officer_client, url("project-list"), {"code": "n", "name": "N"}).status_code == 403
    assert not Village.objects.exists() and not Project.objects.exists()


# --- Status changes --------------------------------------------------------------------------------------


def test_the_next_step_is_recorded_as_an_event(manager_client, karvansara):
    response = post(
        manager_client,
        url("kehriz-change-status", karvansara.pk),
        {"to_status": "assessed", "on_date": "2024-02-01", "note": "Survey by IOM engineers"},
    )
    body = ok(response, 201)
    event = StatusEvent.objects.get(pk=body["id"])
    assert body == {
        "id": event.pk,
        "kehriz": karvansara.pk,
        "kehriz_code": "GOR-QAR-01",
        "from_status": "identified",
        "to_status": "assessed",
        "changed_on": "2024-02-01",
        "changed_by": "manager",
        "is_correction": False,
        "note": "Survey by IOM engineers",
        "created_at": body["created_at"],
    }
    karvansara.refresh_from_db()
    assert (karvansara.status, karvansara.status_changed_on) == ("assessed", D(2024, 2, 1))
    listed = ok(manager_client.get(url("status-event-list") + f"?kehriz={karvansara.pk}"))
    assert [e["to_status"] for e in listed["results"]] == ["identified", "assessed"]


def test_the_date_defaults_to_today(manager_client, karvansara):
    body = ok(
        post(manager_client, url("kehriz-change-status", karvansara.pk), {"to_status": "assessed"}), 201
    )
    assert body["changed_on"] == today().isoformat()


def test_a_skipped_step_is_refused_and_nothing_changes(manager_client, karvansara):
    response = post(manager_client, url("kehriz-change-status", karvansara.pk), {"to_status": "restored"})
    assert response.status_code == 400
    assert response.json() == {
        "to_status": [
            "A kəhriz cannot go from identified to restored directly. The next step is assessed. "
            "To put a mistake right, record it as a correction with a reason."
        ]
    }
    karvansara.refresh_from_db()
    assert (karvansara.status, karvansara.status_changed_on) == ("identified", D(2024, 1, 10))
    assert karvansara.status_events.count() == 1


def test_a_correction_with_a_reason_may_skip(manager_client, karvansara):
    response = post(
        manager_client,
        url("kehriz-change-status", karvansara.pk),
        {
            "to_status": "restored",
            "correction": True,
            "note": "Restored in 2023; entered late from the IOM report.",
        },
    )
    body = ok(response, 201)
    assert (body["from_status"], body["to_status"], body["is_correction"]) == ("identified", "restored", True)
    karvansara.refresh_from_db()
    assert karvansara.status == Status.RESTORED


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"to_status": "restored", "correction": True}, "note", "Say why this correction is made."),
        ({"to_status": "identified"}, "to_status", "The kəhriz is already identified."),
        ({"to_status": "lost"}, "to_status", '"lost" is not a valid choice.'),
        ({"to_status": "assessed", "on_date": "2099-01-01"}, "on_date", "cannot be in the future"),
        (
            {"to_status": "assessed", "on_date": "2023-12-31"},
            "on_date",
            "before the last recorded change (2024-01-10)",
        ),
        ({"on_date": "2024-02-01"}, "to_status", "This field is required."),
    ],
)
def test_bad_status_changes_say_what_is_wrong(manager_client, karvansara, data, field, message):
    response = post(manager_client, url("kehriz-change-status", karvansara.pk), data)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert message in errors[field][0]
    karvansara.refresh_from_db()
    assert karvansara.status == Status.IDENTIFIED
    assert karvansara.status_events.count() == 1


def test_status_of_a_missing_kehriz_is_404(manager_client):
    assert (
        post(manager_client, url("kehriz-change-status", 999999), {"to_status": "assessed"}).status_code
        == 404
    )


# --- Errors in the requester's language --------------------------------------------------------------------


def message(errors):
    """The first message of a field (a list of messages; tolerates a bare string)."""
    return errors if isinstance(errors, str) else errors[0]


def _in(language, client, method, path, data):
    return getattr(client, method)(path, data, content_type=JSON, HTTP_ACCEPT_LANGUAGE=language)


def test_a_refused_status_change_is_explained_in_the_requesters_language(manager_client, karvansara):
    path = url("kehriz-change-status", karvansara.pk)
    english = _in("en", manager_client, "post", path, {"to_status": "planned"})
    azerbaijani = _in("az", manager_client, "post", path, {"to_status": "planned"})
    assert english.status_code == azerbaijani.status_code == 400
    assert english["Content-Type"] == azerbaijani["Content-Type"] == JSON
    en, az = english.json()["to_status"][0], azerbaijani.json()["to_status"][0]
    assert en != az
    assert en.startswith("A kəhriz cannot go from identified to planned directly.")
    assert "birbaşa" in az
    assert english["Content-Language"] == "en" and azerbaijani["Content-Language"] == "az"


def test_missing_fields_are_named_in_the_requesters_language(manager_client):
    english = _in("en", manager_client, "post", url("work-list"), {})
    azerbaijani = _in("az", manager_client, "post", url("work-list"), {})
    assert english.status_code == azerbaijani.status_code == 400
    assert set(english.json()) == set(azerbaijani.json()) == {"kehriz", "done_by"}
    assert english.json()["kehriz"] == ["This field is required."]
    assert azerbaijani.json()["kehriz"] != english.json()["kehriz"]


def test_model_rules_are_explained_in_the_requesters_language(manager_client, karvansara):
    path = url("kehriz-detail", karvansara.pk)
    data = {"committee_members": 2, "committee_women": 5}
    en = _in("en", manager_client, "patch", path, data).json()["non_field_errors"][0]
    az = _in("az", manager_client, "patch", path, data).json()["non_field_errors"][0]
    assert en == "The committee cannot have more women than members."
    assert az != en and "komitə" in az.lower()


@pytest.fixture
def api_messages(karvansara, agbulaq, field_officer):
    """Requests refused with a message the API itself writes (serializers.py, filters.py)."""
    officer = Client()
    officer.force_login(field_officer)
    return {
        "status by PATCH": (
            None,
            "patch",
            url("kehriz-detail", karvansara.pk),
            {"status": "assessed"},
            "status",
        ),
        "works outside the district": (
            officer,
            "post",
            url("work-list"),
            {"kehriz": agbulaq.pk, "done_by": "contractor"},
            "kehriz",
        ),
        "a malformed point": (None, "get", url("kehriz-list") + "?near=somewhere", None, "near"),
        "a malformed box": (None, "get", url("kehriz-list") + "?in_bbox=1,2", None, "in_bbox"),
    }


@pytest.mark.parametrize(
    "case", ["status by PATCH", "works outside the district", "a malformed point", "a malformed box"]
)
def test_the_apis_own_messages_are_translated(manager_client, api_messages, case):
    client, method, path, data, field = api_messages[case]
    client = client or manager_client
    if method == "get":
        en = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        az = client.get(path, HTTP_ACCEPT_LANGUAGE="az")
    else:
        en, az = _in("en", client, method, path, data), _in("az", client, method, path, data)
    # A write outside the officer's districts is refused (403); the others are bad requests.
    expected = 403 if case == "works outside the district" else 400
    assert en.status_code == az.status_code == expected
    assert message(en.json()[field]) != message(az.json()[field]), az.json()


# --- Photos ------------------------------------------------------------------------------------------


def jpeg(name="outlet.jpg"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


PHOTO_UUID = "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b"


def photo_body(observation, **changes):
    return {
        "uuid": PHOTO_UUID,
        "observation": observation.pk,
        "image": jpeg(),
        "caption": "Outlet pool",
        **changes,
    }


@pytest.mark.usefixtures("media_in_tmp")
def test_a_field_officer_uploads_a_photo_once_even_when_the_phone_sends_it_twice(officer_client, karvansara):
    from projects.models import Photo

    observation = ObservationFactory(kehriz=karvansara)
    first = officer_client.post(url("photo-list"), photo_body(observation))
    assert first.status_code == 201, first.content
    again = officer_client.post(url("photo-list"), photo_body(observation, caption="Sent again"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    photo = Photo.objects.get()
    assert (photo.caption, str(photo.uuid), photo.observation_id) == (
        "Outlet pool",
        PHOTO_UUID,
        observation.pk,
    )
    assert photo.image.read()[:2] == b"\xff\xd8"  # the JPEG arrived whole


@pytest.mark.usefixtures("media_in_tmp")
def test_a_photo_of_another_districts_observation_is_refused(officer_client, agbulaq):
    from projects.models import Photo

    observation = ObservationFactory(kehriz=agbulaq)
    response = officer_client.post(url("photo-list"), photo_body(observation))
    assert response.status_code == 403
    assert response.json()["observation"] == [
        "Ağ bulaq (AGD-01) is not in your districts: you cannot add photos to it."
    ]
    assert not Photo.objects.exists()


@pytest.mark.usefixtures("media_in_tmp")
def test_a_file_that_is_not_an_image_is_refused_by_field(officer_client, karvansara):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import Photo

    observation = ObservationFactory(kehriz=karvansara)
    text = SimpleUploadedFile("notes.jpg", b"not a picture", content_type="image/jpeg")
    response = officer_client.post(url("photo-list"), photo_body(observation, image=text))
    assert response.status_code == 400
    assert "image" in response.json()
    assert not Photo.objects.exists()


@pytest.mark.usefixtures("media_in_tmp")
def test_viewers_and_anonymous_users_cannot_upload_photos(client, viewer_client, karvansara):
    from projects.models import Photo

    observation = ObservationFactory(kehriz=karvansara)
    assert client.post(url("photo-list"), photo_body(observation)).status_code == 401
    assert viewer_client.post(url("photo-list"), photo_body(observation)).status_code == 403
    assert not Photo.objects.exists()
