"""Every edit leaves a version: who, when, through which door (admin, API, field app, import with
its file name, command) and the fields that changed; a data manager sees them on the record's
history page and reverts to any version, which is itself a version."""

import sys

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from projects.models import Kehriz, MonitoringVisit, Observation, Status, Village
from tests import factories
from tests.helpers import _form_values, admin_form_data, geojson_point
from tests.test_admin_import import GOOD, VILLAGES, token_of, upload
from tests.test_api_visits import karvansara, karvansara_observation, post, visit  # noqa: F401

pytestmark = pytest.mark.django_db


def versions(obj):
    return list(type(obj).history.filter(id=obj.pk).order_by("history_date", "history_id"))


def history_page(client, obj):
    name = type(obj)._meta.model_name
    response = client.get(reverse(f"admin:projects_{name}_history", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def kehriz(goranboy):
    return factories.KehrizFactory(
        name="Karvansara", district=goranboy, households_served=12, status=Status.PLANNED
    )


def test_an_admin_edit_is_a_version_with_its_user_door_and_changed_fields(
    manager_client, data_manager, kehriz
):
    url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    data = admin_form_data(manager_client.get(url))
    data.update(households_served="40")
    assert manager_client.post(url, data).status_code == 302
    last = versions(kehriz)[-1]
    assert (last.history_user, last.history_door, last.history_type) == (data_manager, "admin", "~")
    delta = last.diff_against(last.prev_record)
    assert delta.changed_fields == ["households_served"]
    # The history page, in Azerbaijani, says it: the field's name, old → new, who and the door.
    page = history_page(manager_client, kehriz)
    assert '<span class="old">12</span> &rarr; <span class="new">40</span>' in page
    assert "manager" in page and ">admin</td>" in page


def test_the_history_page_speaks_azerbaijani(data_manager, kehriz):
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(data_manager)
    url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    data = admin_form_data(client.get(url))
    data.update(households_served="40")
    client.post(url, data)
    page = history_page(client, kehriz)
    assert "<strong>Su ilə təmin olunan ev təsərrüfatları:</strong>" in page
    assert '<span class="old">12</span> &rarr; <span class="new">40</span>' in page
    for english in ("Changed by", "Change reason", "Changes", "Through", ">Changed<", "version"):
        assert english not in page, english


def test_an_api_edit_names_the_token_user_and_the_api(data_manager, kehriz):
    token = Token.objects.create(user=data_manager)
    response = Client().patch(
        reverse("projects:api-kehriz-detail", args=[kehriz.pk]),
        {"households_served": 55},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200, response.content
    last = versions(kehriz)[-1]
    assert (last.history_user, last.history_door, last.households_served) == (data_manager, "api", 55)


def test_a_field_app_visit_names_the_field_app(officer_client, field_officer, karvansara):  # noqa: F811
    response = post(
        officer_client, visit(karvansara_observation(karvansara)), HTTP_X_KEHRIZ_CLIENT="field-app"
    )
    assert response.status_code == 201, response.content
    recorded = MonitoringVisit.objects.get()
    (first,) = versions(recorded)
    assert (first.history_user, first.history_door, first.history_type) == (field_officer, "field app", "+")
    (observation,) = versions(Observation.objects.get())
    assert observation.history_door == "field app"


def test_an_import_names_its_file(manager_client, data_manager, cebrayil, goranboy):
    token = token_of(upload(manager_client, VILLAGES, GOOD, name="kəndlər-2026.csv"))
    manager_client.post(VILLAGES, {"action": "confirm", "token": token})
    horovlu = Village.objects.get(name="Horovlu")
    (first,) = versions(horovlu)
    assert (first.history_user, first.history_door) == (data_manager, "import: kəndlər-2026.csv")


def test_a_command_names_itself(monkeypatch, db):
    monkeypatch.setattr(sys, "argv", ["manage.py", "load_sample_data"])
    call_command("load_sample_data", verbosity=0)
    asger = Kehriz.objects.get(code="CAB-HOR-ESGER")
    assert {v.history_door for v in versions(asger)} == {"command: load_sample_data"}


def test_revert_restores_the_values_and_is_itself_a_version(manager_client, data_manager, kehriz):
    url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    data = admin_form_data(manager_client.get(url))
    data.update(households_served="40", notes="Yanlış rəqəm")
    manager_client.post(url, data)
    # Meanwhile the kəhriz moved on in its lifecycle, through its status action (not versioned
    # fields a revert could undo).
    Kehriz.objects.filter(pk=kehriz.pk).update(status=Status.UNDER_RESTORATION)
    original = versions(kehriz)[0]
    revert_url = reverse("admin:projects_kehriz_simple_history", args=[kehriz.pk, original.history_id])
    form = manager_client.get(revert_url)
    assert form.status_code == 200
    response = manager_client.post(revert_url, _form_values(form.context["adminform"].form))
    assert response.status_code == 302, response.content.decode()[:2000]
    kehriz.refresh_from_db()
    assert (kehriz.households_served, kehriz.notes) == (12, "")
    assert kehriz.status == Status.UNDER_RESTORATION  # the status is not reverted
    last = versions(kehriz)[-1]
    assert len(versions(kehriz)) == 3
    assert last.history_user == data_manager and last.history_door == "admin"
    assert last.history_change_reason.startswith("Reverted to the version of")


def test_a_geometry_change_shows_both_geometries(manager_client, kehriz):
    kehriz.outlet = Point(46.80, 40.60, srid=4326)
    kehriz.save()
    url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    data = admin_form_data(manager_client.get(url))
    data["outlet"] = geojson_point(46.81, 40.61)
    assert manager_client.post(url, data).status_code == 302
    page = history_page(manager_client, kehriz)
    assert "POINT (46.8 40.6)" in page and "POINT (46.81 40.61)" in page


def test_a_delete_keeps_the_history_and_says_who(manager_client, data_manager, kehriz):
    pk = kehriz.pk
    response = manager_client.post(reverse("admin:projects_kehriz_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = Kehriz.history.filter(id=pk).latest("history_date")
    assert (deleted.history_type, deleted.history_user) == ("-", data_manager)
    # The record's history can still be read.
    assert manager_client.get(reverse("admin:projects_kehriz_history", args=[pk])).status_code == 200


def test_derived_fields_do_not_make_a_version(kehriz):
    """The current state recomputed from observations is not an edit by anyone."""
    before = len(versions(kehriz))
    factories.ObservationFactory(kehriz=kehriz)
    from projects import services

    services.refresh_current_state([kehriz.pk])
    assert len(versions(kehriz)) == before


def test_many_to_many_changes_from_either_side_are_versions_of_the_owner(goranboy, field_officer, kehriz):
    """A district's field officers and a kəhriz's projects are versioned on the district and the
    kəhriz, whichever side the change is made from (a user's districts, a project's kəhriz)."""
    assert list(goranboy.officers.all()) == [field_officer]
    field_officer.assigned_districts.clear()
    last = versions(goranboy)[-1]
    assert list(last.officers.values_list("user_id", flat=True)) == []
    assert list(last.prev_record.officers.values_list("user_id", flat=True)) == [field_officer.pk]

    project = factories.ProjectFactory()
    project.kehrizes.add(kehriz)
    last = versions(kehriz)[-1]
    assert last.diff_against(last.prev_record).changed_fields == ["projects"]


# --- The API -----------------------------------------------------------------------------------


def test_the_api_lists_a_kehriz_versions_with_their_changes(manager_client, data_manager, kehriz):
    url = reverse("projects:api-kehriz-detail", args=[kehriz.pk])
    assert (
        manager_client.patch(url, {"households_served": 55}, content_type="application/json").status_code
        == 200
    )
    kehriz.refresh_from_db()
    kehriz.outlet = Point(46.81, 40.61, srid=4326)
    kehriz.save()
    answer = manager_client.get(url + "history/")
    assert answer.status_code == 200
    newest, middle, first = answer.json()["results"]
    (change,) = newest["changes"]
    assert (change["field"], change["label"], change["old"]["type"]) == ("outlet", "Outlet", "Point")
    assert change["new"] == {"type": "Point", "coordinates": [46.81, 40.61]}
    assert (middle["action"], middle["user"], middle["through"]) == ("changed", "manager", "api")
    assert middle["changes"] == [
        {"field": "households_served", "label": "Households served", "old": 12, "new": 55}
    ]
    assert (first["action"], first["changes"]) == ("created", [])
    # Versions name people: not for anonymous readers, even of a published kəhriz.
    assert Client().get(url + "history/").status_code in (401, 403)


def test_a_visits_history_in_the_api(manager_client, karvansara):  # noqa: F811
    created = post(manager_client, visit(karvansara_observation(karvansara)))
    url = reverse("projects:api-visit-detail", args=[created.json()["id"]])
    manager_client.patch(url, {"title": "Düzəldilmiş ad"}, content_type="application/json")
    (newest, first) = manager_client.get(url + "history/").json()["results"]
    assert [c["field"] for c in newest["changes"]] == ["title"] and newest["changes"][0][
        "new"
    ] == "Düzəldilmiş ad"


def test_the_history_answers_in_a_bounded_number_of_queries(manager_client, kehriz):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("projects:api-kehriz-detail", args=[kehriz.pk]) + "history/"
    counts = []
    for edits in (1, 30):
        for n in range(edits):
            kehriz.households_served = 100 + n
            kehriz.save()
            kehriz.projects.add(factories.ProjectFactory())
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_an_api_delete_goes_to_the_trash(manager_client, kehriz):
    from projects.models import TrashEntry

    response = manager_client.delete(reverse("projects:api-kehriz-detail", args=[kehriz.pk]))
    assert response.status_code == 204
    assert not Kehriz.objects.filter(pk=kehriz.pk).exists()
    assert TrashEntry.objects.get().label == str(kehriz)


def test_a_reason_given_in_the_admin_or_the_api_is_kept_with_the_version(manager_client, kehriz):
    url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    form = manager_client.get(url)
    assert "history_reason" in form.content.decode()
    data = admin_form_data(form)
    data.update(households_served="40", history_reason="IOM hesabatı, mart 2024")
    assert manager_client.post(url, data).status_code == 302
    assert versions(kehriz)[-1].history_change_reason == "IOM hesabatı, mart 2024"

    response = manager_client.patch(
        reverse("projects:api-kehriz-detail", args=[kehriz.pk]),
        {"households_served": 41},
        content_type="application/json",
        HTTP_X_CHANGE_REASON="S%C9%99hv%20d%C3%BCz%C9%99ldildi",  # "Səhv düzəldildi", percent-encoded
    )
    assert response.status_code == 200
    assert versions(kehriz)[-1].history_change_reason == "Səhv düzəldildi"
