"""No lost updates through the API: a record read with GET carries an ETag; a PUT, PATCH or DELETE
sent with that ETag in If-Match is refused with 412 once someone else has changed the record, and
writes nothing; two writes sent with the same ETag at the same moment cannot both succeed."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from projects import services
from projects.models import FollowUp, Kehriz, MonitoringVisit, Project, RestorationWork, Village
from projects.views.api import ConditionalWritesMixin
from tests.factories import (
    FollowUpFactory,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    ProjectFactory,
    RestorationWorkFactory,
    VillageFactory,
)
from tests.test_api_visits import (
    _in_thread,
    file_database,  # noqa: F401 (a fixture: threads on SQLite)
)

D = datetime.date
JSON = "application/json"


def detail(name, key):
    return reverse(f"projects:api-{name}-detail", args=[key])


def token_client(user, language="en"):
    token, _created = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def api(data_manager):
    return token_client(data_manager)


@pytest.fixture
def karvansara(goranboy):
    return KehrizFactory(name="Karvansara", code="GOR-QAR-01", district=goranboy, notes="Before")


def etag_of(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10  # a strong ETag
    return etag


def patch(client, path, data, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.patch(path, data, content_type=JSON, **headers)


def stored_notes(kehriz):
    return Kehriz.objects.get(pk=kehriz.pk).notes


# --- ETag -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_record_has_an_etag_that_changes_when_it_is_changed(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    first = etag_of(api, path)
    assert etag_of(api, path) == first  # the same version reads the same

    response = patch(api, path, {"notes": "After"})
    assert response.status_code == 200
    assert response["ETag"] != first
    assert response["ETag"] == etag_of(api, path)  # the answer names the version now stored


@pytest.mark.django_db
def test_the_etag_changes_whatever_path_the_change_took(api, data_manager, karvansara):
    path = detail("kehriz", karvansara.pk)
    seen = [etag_of(api, path)]
    # A status change (a service's UPDATE), a visit recorded (the kəhriz's current state is
    # refreshed), a save as the admin and the field app make it.
    services.change_status(kehriz=karvansara, to_status="assessed", user=data_manager)
    seen.append(etag_of(api, path))
    ObservationFactory(kehriz=karvansara, functionality="dry")
    services.refresh_current_state([karvansara.pk])
    seen.append(etag_of(api, path))
    stored = Kehriz.objects.get(pk=karvansara.pk)
    stored.notes = "Saved in the admin"
    stored.save()
    seen.append(etag_of(api, path))
    assert len(set(seen)) == 4, seen


@pytest.mark.django_db
def test_a_visit_changes_version_when_one_of_its_observations_is_changed(api, karvansara):
    visit = MonitoringVisitFactory()
    observation = ObservationFactory(visit=visit, kehriz=karvansara, findings="Clear water")
    path = detail("visit", visit.pk)
    before = etag_of(api, path)
    observation.findings = "Silt at shaft 4"
    observation.save()  # in the observation's own admin page, say
    assert etag_of(api, path) != before
    # The visit sent back with the old version would drop that finding: refused.
    response = patch(api, path, {"title": "Spring check"}, before)
    assert response.status_code == 412
    assert MonitoringVisit.objects.get(pk=visit.pk).title != "Spring check"


# --- If-Match -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_patch_with_a_stale_etag_is_refused_and_writes_nothing(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    stale = etag_of(api, path)
    assert patch(api, path, {"notes": "Someone else's"}).status_code == 200

    response = patch(api, path, {"notes": "Mine", "name": "Renamed"}, stale)
    assert response.status_code == 412
    assert response["Content-Type"].startswith(JSON)
    assert "changed after you read it" in response.json()["detail"]
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.notes, stored.name) == ("Someone else's", "Karvansara")


@pytest.mark.django_db
def test_the_refusal_is_in_the_language_of_the_request(data_manager, karvansara):
    api = token_client(data_manager, language="az")
    path = detail("kehriz", karvansara.pk)
    stale = etag_of(api, path)
    patch(api, path, {"notes": "Someone else's"})
    response = patch(api, path, {"notes": "Mine"}, stale)
    assert response.status_code == 412
    detail_az = response.json()["detail"]
    assert "ETag" in detail_az and "If-Match" in detail_az
    assert "changed after you read it" not in detail_az
    assert "dəyiş" in detail_az  # Azerbaijani: "changed"


@pytest.mark.django_db
def test_a_patch_with_the_current_etag_is_saved(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    response = patch(api, path, {"notes": "After"}, etag_of(api, path))
    assert response.status_code == 200, response.content[:500]
    assert stored_notes(karvansara) == "After"


@pytest.mark.django_db
def test_a_put_with_a_stale_etag_is_refused_and_with_the_current_one_saved(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    stale = etag_of(api, path)
    body = api.get(path).json()
    patch(api, path, {"notes": "Someone else's"})

    body["properties"]["notes"] = "Mine"
    response = api.put(path, body, content_type=JSON, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert stored_notes(karvansara) == "Someone else's"

    response = api.put(path, body, content_type=JSON, HTTP_IF_MATCH=etag_of(api, path))
    assert response.status_code == 200, response.content[:500]
    assert stored_notes(karvansara) == "Mine"


@pytest.mark.django_db
def test_a_delete_with_a_stale_etag_is_refused_and_with_the_current_one_done(api, karvansara):
    work = RestorationWorkFactory(kehriz=karvansara, team_name="Kankan team")
    path = detail("work", work.pk)
    stale = etag_of(api, path)
    patch(api, path, {"team_name": "Kankan team of Əli"})

    response = api.delete(path, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert RestorationWork.objects.filter(pk=work.pk, team_name="Kankan team of Əli").exists()

    response = api.delete(path, HTTP_IF_MATCH=etag_of(api, path))
    assert response.status_code == 204
    assert not RestorationWork.objects.filter(pk=work.pk).exists()


@pytest.mark.django_db
def test_without_if_match_a_write_goes_through_as_before(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    etag_of(api, path)
    patch(api, path, {"notes": "Someone else's"})
    assert patch(api, path, {"notes": "Mine"}).status_code == 200
    assert stored_notes(karvansara) == "Mine"
    # ``*`` matches any version of a record that exists.
    assert patch(api, path, {"notes": "Any"}, "*").status_code == 200
    assert stored_notes(karvansara) == "Any"


@pytest.mark.django_db
def test_a_weak_or_foreign_etag_does_not_match(api, karvansara):
    path = detail("kehriz", karvansara.pk)
    etag = etag_of(api, path)
    assert patch(api, path, {"notes": "Mine"}, f"W/{etag}").status_code == 412
    assert (
        patch(api, path, {"notes": "Mine"}, etag_of(api, detail("kehriz", KehrizFactory().pk))).status_code
        == 412
    )
    assert stored_notes(karvansara) == "Before"
    # One of a list is enough.
    assert patch(api, path, {"notes": "Mine"}, f'"nope", {etag}').status_code == 200


def _village(goranboy):
    return VillageFactory(name="Qaradağlı", district=goranboy)


def _project(goranboy):
    return ProjectFactory(code="iom-koica", donor="KOICA")


def _follow_up(goranboy):
    return FollowUpFactory(observation=ObservationFactory(kehriz=KehrizFactory(district=goranboy)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "key", "field", "model"),
    [
        ("village", _village, "pk", "name", Village),
        ("project", _project, "code", "donor", Project),
        ("follow-up", _follow_up, "pk", "responsible", FollowUp),
    ],
)
def test_every_kind_of_record_refuses_a_stale_write(api, goranboy, name, make, key, field, model):
    record = make(goranboy)
    path = detail(name, getattr(record, key))
    stale = etag_of(api, path)
    assert patch(api, path, {field: "First"}).status_code == 200
    assert patch(api, path, {field: "Second"}, stale).status_code == 412
    assert getattr(model.objects.get(pk=record.pk), field) == "First"
    assert patch(api, path, {field: "Second"}, etag_of(api, path)).status_code == 200
    assert getattr(model.objects.get(pk=record.pk), field) == "Second"


@pytest.mark.django_db
def test_every_writable_viewset_checks_if_match():
    """A model viewset added later with PUT, PATCH or DELETE gets the check too."""
    from projects.urls import router

    for prefix, viewset, _basename in router.registry:
        if {"update", "destroy"} & set(dir(viewset)):
            assert issubclass(viewset, ConditionalWritesMixin), prefix


# --- At the same moment -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_patches_sent_with_the_same_etag_at_once_cannot_both_succeed(
    data_manager, goranboy, monkeypatch, request
):
    """The first request has checked the version and is about to write when the second arrives
    with the same ETag: the second waits for the first and is refused, rather than checking the
    old version too and overwriting the first's change."""
    karvansara = KehrizFactory(name="Karvansara", district=goranboy, notes="Before")
    token = Token.objects.create(user=data_manager)
    path = detail("kehriz", karvansara.pk)
    etag = Client(HTTP_AUTHORIZATION=f"Token {token.key}").get(path)["ETag"]
    request.getfixturevalue("file_database")  # after the rows above exist

    first_checked = threading.Event()
    original = ConditionalWritesMixin.perform_update

    def slow_update(self, serializer):
        if not first_checked.is_set():
            first_checked.set()
            time.sleep(1)  # the second request arrives now
        return original(self, serializer)

    monkeypatch.setattr(ConditionalWritesMixin, "perform_update", slow_update)
    responses = {}

    def send(notes):
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
        try:
            responses[notes] = patch(client, path, {"notes": notes}, etag)
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("First",))
    first.start()
    assert first_checked.wait(20)
    second = threading.Thread(target=send, args=("Second",))
    second.start()
    first.join(60)
    second.join(60)

    statuses = {notes: response.status_code for notes, response in responses.items()}
    assert statuses == {"First": 200, "Second": 412}, {n: r.content[:300] for n, r in responses.items()}
    assert _in_thread(lambda: Kehriz.objects.get(pk=karvansara.pk).notes) == "First"
