"""Monitoring visits through the REST API: one visit, several kəhriz, observations with the people
met and follow-ups nested; idempotent on the visit's uuid, also when a device retries at once."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from projects.models import FollowUp, Functionality, Kehriz, MonitoringVisit, Observation, PersonMet
from projects.views.api import MonitoringVisitViewSet
from tests.factories import (
    HOROVLU,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    point,
)

D = datetime.date
JSON = "application/json"
VISITS = reverse("projects:api-visit-list")


def detail(visit_id):
    return reverse("projects:api-visit-detail", args=[visit_id])


def post(client, data, **extra):
    return client.post(VISITS, data, content_type=JSON, **extra)


def counts():
    return {
        "visits": MonitoringVisit.objects.count(),
        "observations": Observation.objects.count(),
        "people": PersonMet.objects.count(),
        "follow_ups": FollowUp.objects.count(),
    }


NOTHING = {"visits": 0, "observations": 0, "people": 0, "follow_ups": 0}


def state(kehriz):
    kehriz.refresh_from_db()
    return (kehriz.functionality, kehriz.last_visit_on, kehriz.last_discharge_lps)


UNVISITED = (Functionality.UNKNOWN, None, None)


@pytest.fixture
def asger(cebrayil):
    return KehrizFactory(name="Əsgər", code="CAB-HOR-01", district=cebrayil, outlet=point(HOROVLU))


@pytest.fixture
def orta(cebrayil):
    return KehrizFactory(name="Orta", code="CAB-HOR-02", district=cebrayil)


@pytest.fixture
def karvansara(goranboy):
    return KehrizFactory(name="Karvansara", code="GOR-QAR-01", district=goranboy)


@pytest.fixture
def agbulaq(agdam):
    return KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam)


def asger_observation(kehriz, **changes):
    return {
        "kehriz": kehriz.pk,
        "observed_on": "2024-03-13",
        "functionality": "functional",
        "discharge_lps": "12.50",
        "discharge_method": "bucket",
        "works_progress": "Shafts 3 to 5 lined with concrete rings.",
        "findings": "Clear water at the outlet pool.",
        "observer_location": {"type": "Point", "coordinates": list(HOROVLU)},
        "people_met": [
            {"role": "engineer", "name": "Rauf Məmmədov", "organisation": "IOM", "is_woman": False},
            {"role": "kankan", "count": 4},
        ],
        "follow_ups": [
            {
                "action": "Line shaft 6 before the spring floods",
                "responsible": "IOM engineer",
                "due_date": "2024-05-01",
            }
        ],
        **changes,
    }


def karvansara_observation(kehriz, **changes):
    return {
        "kehriz": kehriz.pk,
        "observed_on": "2024-03-14",
        "functionality": "low_flow",
        "discharge_lps": "4.20",
        "discharge_method": "weir",
        "people_met": [{"role": "committee", "name": "Gülnarə Əliyeva", "is_woman": True}],
        "follow_ups": [],
        **changes,
    }


def visit(*observations, visit_uuid=None, **changes):
    return {
        "uuid": str(visit_uuid or uuid.uuid4()),
        "title": "IOM and KOICA monitoring visit to Cəbrayıl and Goranboy",
        "start_date": "2024-03-13",
        "end_date": "2024-03-14",
        "purpose": "See the restoration works and meet the engineers and kankans.",
        "organisations": "IOM, KOICA",
        "observations": list(observations),
        **changes,
    }


# --- Creating -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visit_with_two_kehriz_people_met_and_follow_ups(manager_client, asger, karvansara):
    body = visit(asger_observation(asger), karvansara_observation(karvansara))
    response = post(manager_client, body)
    assert response.status_code == 201, response.content
    created = response.json()
    stored = MonitoringVisit.objects.get()
    assert created["id"] == stored.pk
    assert created["uuid"] == body["uuid"] == str(stored.uuid)
    assert created["recorded_by"] == "manager"
    assert created["title"] == stored.title == body["title"]
    # Newest observation first.
    assert [o["kehriz_code"] for o in created["observations"]] == ["GOR-QAR-01", "CAB-HOR-01"]
    second, first = created["observations"]
    assert first["kehriz_name"] == "Əsgər"
    assert first["discharge_lps"] == "12.50"
    assert first["people_met"] == [
        {
            "role": "engineer",
            "name": "Rauf Məmmədov",
            "organisation": "IOM",
            "count": None,
            "is_woman": False,
        },
        {"role": "kankan", "name": "", "organisation": "", "count": 4, "is_woman": None},
    ]
    assert [(f["action"], f["due_date"], f["done"]) for f in first["follow_ups"]] == [
        ("Line shaft 6 before the spring floods", "2024-05-01", False)
    ]
    assert isinstance(first["follow_ups"][0]["id"], int)
    assert second["people_met"][0]["is_woman"] is True
    assert first["needs_review"] is False  # recorded at the outlet
    assert counts() == {"visits": 1, "observations": 2, "people": 3, "follow_ups": 1}
    # The stored visit reads back the same.
    assert manager_client.get(detail(stored.pk)).json() == created


@pytest.mark.django_db
def test_a_visit_updates_each_kehriz_current_state(manager_client, asger, karvansara, orta):
    response = post(manager_client, visit(asger_observation(asger), karvansara_observation(karvansara)))
    assert response.status_code == 201
    assert state(asger) == ("functional", D(2024, 3, 13), Decimal("12.50"))
    assert state(karvansara) == ("low_flow", D(2024, 3, 14), Decimal("4.20"))
    assert state(orta) == UNVISITED
    feature = manager_client.get(reverse("projects:api-kehriz-detail", args=[asger.pk])).json()
    assert feature["properties"]["functionality"] == "functional"
    assert feature["properties"]["last_visit_on"] == "2024-03-13"
    assert feature["properties"]["last_discharge_lps"] == "12.50"


@pytest.mark.django_db
def test_an_older_visit_recorded_later_does_not_overwrite_the_current_state(manager_client, asger):
    assert post(manager_client, visit(asger_observation(asger))).status_code == 201
    older = visit(
        asger_observation(
            asger, observed_on="2023-08-01", functionality="dry", discharge_lps=None, discharge_method=""
        ),
        start_date="2023-08-01",
        end_date=None,
    )
    assert post(manager_client, older).status_code == 201
    assert state(asger) == ("functional", D(2024, 3, 13), Decimal("12.50"))


@pytest.mark.django_db
def test_a_dry_visit_keeps_the_last_measured_discharge(manager_client, asger):
    assert post(manager_client, visit(asger_observation(asger))).status_code == 201
    later = visit(
        asger_observation(
            asger, observed_on="2024-08-01", functionality="dry", discharge_lps=None, discharge_method=""
        ),
        start_date="2024-08-01",
        end_date=None,
    )
    assert post(manager_client, later).status_code == 201
    assert state(asger) == ("dry", D(2024, 8, 1), Decimal("12.50"))


@pytest.mark.django_db
def test_a_visit_without_a_uuid_gets_one(manager_client, karvansara):
    body = visit(karvansara_observation(karvansara))
    del body["uuid"]
    response = post(manager_client, body)
    assert response.status_code == 201
    assert uuid.UUID(response.json()["uuid"]) == MonitoringVisit.objects.get().uuid


@pytest.mark.django_db
def test_a_field_officer_records_a_visit_in_their_district(officer_client, field_officer, karvansara):
    response = post(officer_client, visit(karvansara_observation(karvansara)))
    assert response.status_code == 201, response.content
    assert response.json()["recorded_by"] == "officer"
    assert MonitoringVisit.objects.get().recorded_by == field_officer
    assert state(karvansara) == ("low_flow", D(2024, 3, 14), Decimal("4.20"))


@pytest.mark.django_db
def test_a_field_officer_visit_to_a_kehriz_outside_their_district_is_refused(officer_client, agbulaq):
    response = post(officer_client, visit(asger_observation(agbulaq)))
    assert response.status_code == 403
    errors = observation_errors(response.json()["observations"], 0)["kehriz"]
    assert errors == ["Ağ bulaq (AGD-01) is not in your districts: you cannot record visits to it."]
    assert counts() == NOTHING
    assert state(agbulaq) == UNVISITED


@pytest.mark.django_db
def test_one_kehriz_outside_the_district_refuses_the_whole_visit(officer_client, karvansara, agbulaq):
    response = post(officer_client, visit(karvansara_observation(karvansara), asger_observation(agbulaq)))
    assert response.status_code == 403
    errors = response.json()["observations"]
    assert observation_errors(errors, 0) == {}
    assert "Ağ bulaq (AGD-01)" in observation_errors(errors, 1)["kehriz"][0]
    assert counts() == NOTHING
    assert state(karvansara) == UNVISITED


@pytest.mark.django_db
def test_a_viewer_cannot_record_a_visit(viewer_client, karvansara):
    response = post(viewer_client, visit(karvansara_observation(karvansara)))
    assert response.status_code == 403
    assert counts() == NOTHING


@pytest.mark.django_db
def test_anonymous_cannot_record_a_visit(client, karvansara):
    response = post(client, visit(karvansara_observation(karvansara)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert counts() == NOTHING


# --- Idempotency --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sending_the_same_visit_again_returns_the_stored_one(manager_client, asger, karvansara):
    body = visit(asger_observation(asger), karvansara_observation(karvansara))
    first = post(manager_client, body)
    assert first.status_code == 201
    stored = counts()
    again = post(manager_client, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert counts() == stored == {"visits": 1, "observations": 2, "people": 3, "follow_ups": 1}


@pytest.mark.django_db
def test_a_resend_with_other_content_changes_nothing(manager_client, asger, karvansara):
    body = visit(asger_observation(asger))
    first = post(manager_client, body).json()
    changed = {**body, "title": "Edited on the phone", "observations": [karvansara_observation(karvansara)]}
    again = post(manager_client, changed)
    assert again.status_code == 200
    assert again.json() == first
    assert MonitoringVisit.objects.get().title == body["title"]
    assert list(Observation.objects.values_list("kehriz__code", flat=True)) == ["CAB-HOR-01"]
    assert state(karvansara) == UNVISITED


@pytest.mark.django_db
def test_a_resend_by_token_from_another_device(data_manager, manager_client, karvansara):
    body = visit(karvansara_observation(karvansara))
    first = post(manager_client, body).json()
    token = Token.objects.create(user=data_manager)
    device = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    again = post(device, body)
    assert (again.status_code, again.json()["id"]) == (200, first["id"])
    assert counts()["visits"] == 1


@pytest.fixture
def file_database(tmp_path):
    """On SQLite the test database lives in memory with a shared cache, where a second writer is
    refused at once ("database table is locked") instead of waiting for the first as it does on a
    database file (the app sets a 20 s timeout). Copy the test database to a file, and point new
    connections (the threads') at it for the duration of the test. Nothing to do on PostGIS."""
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "concurrent.sqlite3"
    import sqlite3

    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        settings_dict["NAME"] = original


def _in_thread(function):
    """Run ``function`` in a thread of its own (its own database connection) and return its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return result["value"]


@pytest.mark.django_db(transaction=True)
def test_a_retry_arriving_while_the_first_is_stored_makes_one_visit(
    data_manager, asger, karvansara, monkeypatch, request
):
    """Two requests with the same uuid at the same time. Both look for the uuid before either has
    stored it (a barrier in the lookup makes sure of that), both try to store it: one stores it
    (201), the other finds it stored (200); one visit, two observations."""
    token = Token.objects.create(user=data_manager)
    body = visit(asger_observation(asger), karvansara_observation(karvansara))
    request.getfixturevalue("file_database")  # after the rows above exist

    lookups = threading.Barrier(2, timeout=20)
    start = threading.Barrier(2, timeout=20)
    first_lookup = threading.local()
    original = MonitoringVisitViewSet._existing

    def existing(self, visit_uuid):
        found = original(self, visit_uuid)
        if not getattr(first_lookup, "done", False):
            first_lookup.done = True
            assert found is None
            lookups.wait()  # neither request has stored the visit yet
        return found

    monkeypatch.setattr(MonitoringVisitViewSet, "_existing", existing)
    responses = [None, None]

    def send(index):
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
        try:
            start.wait()
            responses[index] = client.post(VISITS, body, content_type=JSON)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 201], [(r.status_code, r.content[:300]) for r in responses]
    first, second = (r.json() for r in responses)
    assert first["id"] == second["id"]
    assert first == second

    def stored():
        return (
            list(MonitoringVisit.objects.values_list("uuid", flat=True)),
            Observation.objects.filter(visit_id=first["id"]).count(),
            Observation.objects.count(),
            PersonMet.objects.count(),
            FollowUp.objects.count(),
            state(asger),
        )

    visits, own, observations, people, follow_ups, asger_state = _in_thread(stored)
    assert visits == [uuid.UUID(body["uuid"])]
    assert (own, observations, people, follow_ups) == (2, 2, 3, 1)
    assert asger_state == ("functional", D(2024, 3, 13), Decimal("12.50"))


# --- Invalid visits -------------------------------------------------------------------------------------


def tomorrow():
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


INVALID = {
    "negative discharge": (
        {"discharge_lps": "-1.00"},
        ("observations", 0, "discharge_lps"),
        "Ensure this value is greater than or equal to 0.",
    ),
    "dated in the future": (
        {"observed_on": "FUTURE"},
        ("observations", 0, "observed_on"),
        "An observation cannot be dated in the future.",
    ),
    "discharge without method": (
        {"discharge_method": ""},
        ("observations", 0, "discharge_method"),
        "Say how the discharge was measured.",
    ),
    "outside the visit's dates": (
        {"observed_on": "2024-03-20"},
        ("observations", 0, "observed_on"),
        "The observation date must fall within the visit (2024-03-13 – 2024-03-14).",
    ),
    "unknown functionality": (
        {"functionality": "wet"},
        ("observations", 0, "functionality"),
        '"wet" is not a valid choice.',
    ),
    "unknown kəhriz": (
        {"kehriz": 999999},
        ("observations", 0, "kehriz"),
        'Invalid pk "999999" - object does not exist.',
    ),
    "a group of no people": (
        {"people_met": [{"role": "kankan", "count": 0}]},
        None,
        "At least one person.",
    ),
    "a follow-up done on a date but not done": (
        {"follow_ups": [{"action": "Fence the pool", "done_on": "2024-03-14"}]},
        None,
        "A completion date needs the action to be marked done.",
    ),
}


def observation_errors(errors, index):
    """The errors of ``observations[index]``: keyed by position, failing items only (``{"1": {...}}``),
    whether DRF or the model's checks found them (test_observation_errors_have_one_shape)."""
    return errors.get(str(index), {})


def _find(errors, path):
    for key in path:
        errors = observation_errors(errors, key) if isinstance(key, int) else errors[key]
    return errors


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_observation_refuses_the_visit_and_writes_nothing(manager_client, asger, karvansara, case):
    changes, path, message = INVALID[case]
    changes = {k: (tomorrow() if v == "FUTURE" else v) for k, v in changes.items()}
    manager_client.raise_request_exception = False
    observation = {**asger_observation(asger), **changes}
    body = visit(observation, karvansara_observation(karvansara))
    response = post(manager_client, body)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"] == JSON
    assert message in str(response.json()), response.json()
    if path:  # where the message is: under the observation's field
        assert message in str(_find(response.json(), path)), response.json()
    assert counts() == NOTHING
    assert state(asger) == state(karvansara) == UNVISITED


@pytest.mark.django_db
def test_an_invalid_second_observation_says_which_one(manager_client, asger, karvansara):
    body = visit(asger_observation(asger), karvansara_observation(karvansara, discharge_method=""))
    response = post(manager_client, body)
    assert response.status_code == 400
    assert response.json() == {
        "observations": {"1": {"discharge_method": ["Say how the discharge was measured."]}}
    }
    assert counts() == NOTHING
    assert state(asger) == UNVISITED


@pytest.mark.django_db
def test_observation_errors_have_one_shape(manager_client, asger, karvansara):
    """A client shows each observation's errors next to it: they must be found the same way
    whether the serializer (a negative discharge) or the model (no method) refused it."""
    by_serializer = post(
        manager_client,
        visit(karvansara_observation(karvansara), asger_observation(asger, discharge_lps="-1")),
    ).json()["observations"]
    by_model = post(
        manager_client,
        visit(karvansara_observation(karvansara), asger_observation(asger, discharge_method="")),
    ).json()["observations"]
    assert type(by_serializer) is type(by_model), (by_serializer, by_model)


@pytest.mark.django_db
def test_the_same_kehriz_twice_in_one_visit_is_refused(manager_client, asger):
    body = visit(asger_observation(asger), asger_observation(asger, observed_on="2024-03-14"))
    response = post(manager_client, body)
    assert response.status_code == 400
    assert response.json() == {
        "observations": ["Əsgər (CAB-HOR-01) appears twice: one observation per kəhriz per visit."]
    }
    assert counts() == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field may not be blank."),
        ({"start_date": None}, "start_date", "This field may not be null."),
        ({"start_date": "13 March"}, "start_date", "Date has wrong format."),
        ({"end_date": "2024-03-01"}, "non_field_errors", "The end date cannot be before the start date."),
        ({"uuid": "not-a-uuid"}, "uuid", "Must be a valid UUID."),
    ],
)
def test_an_invalid_visit_is_refused_with_the_field_named(
    manager_client, karvansara, changes, field, message
):
    response = post(manager_client, visit(karvansara_observation(karvansara), **changes))
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert counts() == NOTHING


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_refused(manager_client):
    manager_client.raise_request_exception = False
    for body in ([], [{"title": "x"}], "visit"):
        response = post(manager_client, body)
        assert response.status_code == 400, (body, response.status_code)
        assert response["Content-Type"] == JSON
    assert counts() == NOTHING


@pytest.mark.django_db
def test_visit_errors_in_the_requesters_language(manager_client, karvansara):
    body = visit(karvansara_observation(karvansara, discharge_method=""))
    english = post(manager_client, body, HTTP_ACCEPT_LANGUAGE="en")
    azerbaijani = post(manager_client, body, HTTP_ACCEPT_LANGUAGE="az")
    assert english.status_code == azerbaijani.status_code == 400
    en = observation_errors(english.json()["observations"], 0)["discharge_method"][0]
    az = observation_errors(azerbaijani.json()["observations"], 0)["discharge_method"][0]
    assert en == "Say how the discharge was measured."
    assert az != en
    assert "sərf" in az
    assert counts() == NOTHING


@pytest.mark.django_db
def test_the_refusal_of_another_districts_kehriz_in_azerbaijani(field_officer, agbulaq):
    officer = Client(HTTP_ACCEPT_LANGUAGE="az")
    officer.force_login(field_officer)
    english = post(officer, visit(asger_observation(agbulaq)), HTTP_ACCEPT_LANGUAGE="en")
    azerbaijani = post(officer, visit(asger_observation(agbulaq)))
    en = observation_errors(english.json()["observations"], 0)["kehriz"][0]
    az = observation_errors(azerbaijani.json()["observations"], 0)["kehriz"][0]
    assert "Ağ bulaq (AGD-01)" in az
    assert az != en


# --- Reading, changing, deleting -------------------------------------------------------------------------


@pytest.fixture
def stored_visit(manager_client, asger, karvansara):
    response = post(manager_client, visit(asger_observation(asger), karvansara_observation(karvansara)))
    assert response.status_code == 201
    return MonitoringVisit.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_a_data_manager_corrects_a_visit(manager_client, stored_visit):
    response = manager_client.patch(
        detail(stored_visit.pk), {"title": "Monitoring visit, March 2024"}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Monitoring visit, March 2024"
    assert len(response.json()["observations"]) == 2  # untouched
    assert counts() == {"visits": 1, "observations": 2, "people": 3, "follow_ups": 1}


@pytest.mark.django_db
def test_replacing_the_observations_of_a_visit_refreshes_every_kehriz(
    manager_client, stored_visit, asger, orta
):
    observation = {"kehriz": orta.pk, "observed_on": "2024-03-13", "functionality": "collapsed"}
    response = manager_client.patch(
        detail(stored_visit.pk), {"observations": [observation]}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert [o["kehriz_code"] for o in response.json()["observations"]] == ["CAB-HOR-02"]
    assert state(orta) == ("collapsed", D(2024, 3, 13), None)
    assert state(asger) == UNVISITED  # its only observation was removed


@pytest.mark.django_db
def test_correcting_an_observation_keeps_its_photos_people_and_follow_ups(
    manager_client, stored_visit, asger, karvansara
):
    """A PATCH that corrects one observation's discharge once deleted and recreated every
    observation of the visit, and with them their photos, people met and follow-ups."""
    from projects.models import Photo, TrashEntry
    from tests.factories import PhotoFactory

    first = stored_visit.observations.get(kehriz=asger)
    photo = PhotoFactory(observation=first)
    people, follow_ups = first.people_met.count(), first.follow_ups.count()
    assert people and follow_ups
    body = {"observations": [{"kehriz": asger.pk, "discharge_lps": "13.10"}]}
    response = manager_client.patch(detail(stored_visit.pk), body, content_type=JSON)
    assert response.status_code == 200, response.content
    again = stored_visit.observations.get(kehriz=asger)
    assert again.pk == first.pk and again.discharge_lps == Decimal("13.10")
    assert again.functionality == first.functionality  # what was not sent stays
    assert list(again.photos.all()) == [photo] and Photo.objects.count() == 1
    assert (again.people_met.count(), again.follow_ups.count()) == (people, follow_ups)
    assert state(asger)[2] == Decimal("13.10")
    # Karvansara's observation was left out of the list: in the trash, restorable, not lost.
    assert not stored_visit.observations.filter(kehriz=karvansara).exists()
    assert TrashEntry.objects.get().kind == "observation"


@pytest.mark.django_db
def test_deleting_a_visit_removes_its_observations_and_refreshes_the_kehriz(
    manager_client, stored_visit, asger
):
    """The admin refreshes each kəhriz's current state when a visit is deleted; the API must too,
    or the map keeps showing what a deleted visit found."""
    assert state(asger) == ("functional", D(2024, 3, 13), Decimal("12.50"))
    assert manager_client.delete(detail(stored_visit.pk)).status_code == 204
    assert counts() == NOTHING
    assert state(asger) == UNVISITED


@pytest.mark.django_db
def test_a_field_officer_corrects_their_districts_visit_only(
    officer_client, manager_client, karvansara, agbulaq
):
    own = post(officer_client, visit(karvansara_observation(karvansara))).json()
    other = post(manager_client, visit(asger_observation(agbulaq))).json()
    assert (
        officer_client.patch(detail(own["id"]), {"purpose": "Checked"}, content_type=JSON).status_code == 200
    )
    refused = officer_client.patch(detail(other["id"]), {"purpose": "Meddled"}, content_type=JSON)
    assert refused.status_code == 403
    assert MonitoringVisit.objects.get(pk=other["id"]).purpose == visit()["purpose"]
    assert officer_client.delete(detail(own["id"])).status_code == 403  # no delete permission


@pytest.mark.django_db
def test_a_field_officer_cannot_add_another_districts_kehriz_to_their_visit(
    officer_client, karvansara, agbulaq
):
    own = post(officer_client, visit(karvansara_observation(karvansara))).json()
    response = officer_client.patch(
        detail(own["id"]),
        {"observations": [karvansara_observation(karvansara), asger_observation(agbulaq)]},
        content_type=JSON,
    )
    assert response.status_code == 403
    assert "Ağ bulaq (AGD-01)" in observation_errors(response.json()["observations"], 1)["kehriz"][0]
    assert list(Observation.objects.values_list("kehriz__code", flat=True)) == ["GOR-QAR-01"]


# --- Visit filters --------------------------------------------------------------------------------------


@pytest.fixture
def visits(asger, karvansara, agbulaq):
    march = MonitoringVisitFactory(
        title="IOM and KOICA monitoring visit", organisations="IOM, KOICA", start_date=D(2024, 3, 13)
    )
    ObservationFactory(visit=march, kehriz=asger)
    ObservationFactory(visit=march, kehriz=karvansara, observed_on=D(2024, 3, 14))
    june = MonitoringVisitFactory(
        title="Ağdam yoxlaması",
        organisations="Ağdam Rayon İcra Hakimiyyəti",
        start_date=D(2024, 6, 2),
        end_date=None,
    )
    ObservationFactory(visit=june, kehriz=agbulaq)
    empty = MonitoringVisitFactory(
        title="Planning trip", organisations="", start_date=D(2023, 11, 5), end_date=None
    )
    return {"march": march, "june": june, "empty": empty}


def visit_keys(client, query, visits):
    response = client.get(VISITS + query)
    assert response.status_code == 200, (query, response.status_code)
    body = response.json()
    ids = [v["id"] for v in body["results"]]
    assert body["count"] == len(ids)
    return sorted(key for key, v in visits.items() if v.pk in ids)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["empty", "june", "march"]),
        ("?district=cebrayil-rayonu", ["march"]),
        ("?district=goranboy-rayonu", ["march"]),
        ("?district=agdam-rayonu", ["june"]),
        ("?district=qazax-rayonu", []),
        ("?kehriz=KARVANSARA", ["march"]),
        ("?started_after=2024-01-01", ["june", "march"]),
        ("?started_before=2024-03-13", ["empty", "march"]),
        ("?started_after=2024-03-14&started_before=2024-12-31", ["june"]),
        ("?uuid=MARCH", ["march"]),
        (f"?uuid={uuid.UUID(int=1)}", []),
        ("?is_synthetic=false", ["empty", "june", "march"]),
    ],
)
def test_visit_filters(manager_client, visits, karvansara, query, expected):
    query = query.replace("KARVANSARA", str(karvansara.pk)).replace("MARCH", str(visits["march"].uuid))
    assert visit_keys(manager_client, query, visits) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [("koica", ["march"]), ("AGDAM", ["june"]), ("icra hakimiyyeti", ["june"]), ("planning", ["empty"])],
)
def test_visit_search(manager_client, visits, q, expected):
    manager_client.raise_request_exception = False
    assert visit_keys(manager_client, f"?q={q.replace(' ', '+')}", visits) == expected


@pytest.mark.django_db
def test_visits_newest_first_and_ordering(manager_client, visits):
    newest_first = manager_client.get(VISITS).json()["results"]
    assert [v["start_date"] for v in newest_first] == ["2024-06-02", "2024-03-13", "2023-11-05"]
    oldest_first = manager_client.get(VISITS + "?ordering=start_date").json()["results"]
    assert [v["start_date"] for v in oldest_first] == ["2023-11-05", "2024-03-13", "2024-06-02"]


@pytest.mark.django_db
def test_a_visit_lists_its_observations_in_any_district_for_every_reader(viewer_client, visits):
    body = viewer_client.get(detail(visits["march"].pk)).json()
    assert sorted(o["kehriz_code"] for o in body["observations"]) == ["CAB-HOR-01", "GOR-QAR-01"]


@pytest.mark.django_db
def test_kehriz_state_is_not_changed_by_a_refused_visit(officer_client, karvansara, agbulaq):
    Kehriz.objects.filter(pk=karvansara.pk).update(functionality="dry", last_visit_on=D(2023, 1, 1))
    post(officer_client, visit(karvansara_observation(karvansara), asger_observation(agbulaq)))
    assert state(karvansara) == ("dry", D(2023, 1, 1), None)
