"""Roles: viewers read, field officers edit in their own districts, data managers edit all."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from projects import roles
from projects.models import FollowUp, Kehriz, MonitoringVisit, Observation, Photo, StatusEvent
from projects.services import record_initial_status
from tests import factories
from tests.helpers import admin_form_data, geojson_point, inline_prefix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date
STATUS_URL = reverse("admin:projects_kehriz_change_status")


def change_url(obj):
    return reverse(f"admin:projects_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def karvansara(goranboy):
    """A kəhriz in Goranboy, the field officer's district."""
    k = factories.KehrizFactory(name="Karvansara", code="GOR-QRD-01", district=goranboy)
    record_initial_status(kehriz=k, on_date=D(2024, 1, 10))
    return k


@pytest.fixture
def asger(cebrayil):
    """A kəhriz in Cəbrayıl, outside the field officer's districts."""
    k = factories.KehrizFactory(name="Əsgər", code="CAB-HOR-01", district=cebrayil)
    record_initial_status(kehriz=k, on_date=D(2024, 1, 10))
    return k


# --- Viewer ------------------------------------------------------------------------------------


def test_a_viewer_can_read(viewer_client, karvansara):
    response = viewer_client.get(reverse("admin:projects_kehriz_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [karvansara]
    response = viewer_client.get(change_url(karvansara))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


def test_a_viewer_cannot_change(viewer_client, manager_client, karvansara):
    data = admin_form_data(manager_client.get(change_url(karvansara)))
    data["name"] = "Renamed by a viewer"
    response = viewer_client.post(change_url(karvansara), data)
    assert response.status_code == 403
    karvansara.refresh_from_db()
    assert karvansara.name == "Karvansara"


@pytest.mark.parametrize("model_name", ["kehriz", "monitoringvisit", "observation", "village", "project"])
def test_a_viewer_cannot_open_add_pages(viewer_client, model_name):
    assert viewer_client.get(reverse(f"admin:projects_{model_name}_add")).status_code == 403


def test_a_viewer_cannot_add_by_posting(viewer_client, goranboy):
    response = viewer_client.post(
        reverse("admin:projects_kehriz_add"),
        {"name": "Sınaq", "code": "V-01", "district": goranboy.pk, "status": "identified"},
    )
    assert response.status_code == 403
    assert not Kehriz.objects.filter(code="V-01").exists()


def test_a_viewer_cannot_change_status(viewer_client, karvansara):
    assert viewer_client.get(f"{STATUS_URL}?ids={karvansara.pk}").status_code == 403
    response = viewer_client.post(
        f"{STATUS_URL}?ids={karvansara.pk}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    assert response.status_code == 403
    karvansara.refresh_from_db()
    assert karvansara.status == "identified"


def test_a_viewer_is_not_offered_the_status_action(viewer_client, karvansara):
    response = viewer_client.get(reverse("admin:projects_kehriz_changelist"))
    assert "change_status_action" not in response.content.decode()


# --- Field officer -----------------------------------------------------------------------------


def test_a_field_officer_changes_a_kehriz_in_their_district(officer_client, karvansara):
    url = change_url(karvansara)
    page = officer_client.get(url)
    assert page.context["has_change_permission"] is True
    data = admin_form_data(page)
    data.update(name="Karvansara kəhrizi", households_served="35", committee_members="7", committee_women="3")
    response = officer_client.post(url, data)
    assert response.status_code == 302
    karvansara.refresh_from_db()
    assert (karvansara.name, karvansara.households_served, karvansara.committee_women) == (
        "Karvansara kəhrizi",
        35,
        3,
    )


def test_a_field_officer_cannot_change_a_kehriz_outside_their_districts(
    officer_client, manager_client, asger
):
    url = change_url(asger)
    page = officer_client.get(url)
    assert page.status_code == 200  # they may read it
    assert page.context["has_change_permission"] is False
    data = admin_form_data(manager_client.get(url))
    data["name"] = "Renamed by the wrong officer"
    response = officer_client.post(url, data)
    assert response.status_code == 403
    asger.refresh_from_db()
    assert asger.name == "Əsgər"


def test_a_field_officer_cannot_move_a_kehriz_to_another_district(officer_client, karvansara, cebrayil):
    url = change_url(karvansara)
    data = admin_form_data(officer_client.get(url))
    data.update(district=str(cebrayil.pk), outlet=geojson_point(*factories.CEBRAYIL_TOWN))
    response = officer_client.post(url, data)
    assert response.status_code == 200
    assert "district" in response.context["adminform"].form.errors
    karvansara.refresh_from_db()
    assert karvansara.district.osm_id == factories.GORANBOY


def test_a_field_officer_cannot_move_a_kehriz_away_by_its_outlet(officer_client, karvansara):
    """Leaving the district empty lets it be found from the outlet: that must not take the
    kəhriz into a district the officer is not assigned to."""
    url = change_url(karvansara)
    data = admin_form_data(officer_client.get(url))
    data.update(district="", outlet=geojson_point(*factories.CEBRAYIL_TOWN))
    officer_client.post(url, data)
    karvansara.refresh_from_db()
    assert karvansara.district.osm_id == factories.GORANBOY


def test_a_field_officer_cannot_add_a_kehriz(officer_client):
    assert officer_client.get(reverse("admin:projects_kehriz_add")).status_code == 403


def visit_form(client, kehriz, observed_on="2024-03-13"):
    page = client.get(reverse("admin:projects_monitoringvisit_add"))
    assert page.status_code == 200
    data = admin_form_data(page)
    prefix = inline_prefix(page, Observation)
    data.update(
        {
            "title": "Spring visit to Qaradağlı",
            "start_date": "2024-03-13",
            "end_date": "2024-03-14",
            "organisations": "IOM",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-kehriz": str(kehriz.pk),
            f"{prefix}-0-observed_on": observed_on,
            f"{prefix}-0-functionality": "low_flow",
            f"{prefix}-0-discharge_lps": "4.5",
            f"{prefix}-0-discharge_method": "bucket",
            f"{prefix}-0-findings": "Shaft 12 partly collapsed.",
        }
    )
    return data


def test_a_field_officer_adds_a_monitoring_visit(officer_client, field_officer, karvansara):
    response = officer_client.post(
        reverse("admin:projects_monitoringvisit_add"), visit_form(officer_client, karvansara)
    )
    assert response.status_code == 302
    visit = MonitoringVisit.objects.get()
    assert visit.recorded_by == field_officer
    observation = visit.observations.get()
    assert (observation.kehriz, observation.functionality) == (karvansara, "low_flow")
    karvansara.refresh_from_db()
    assert (karvansara.functionality, karvansara.last_visit_on) == ("low_flow", D(2024, 3, 13))
    # …and may then change it.
    assert officer_client.get(change_url(visit)).context["has_change_permission"] is True


def test_a_field_officer_cannot_record_an_observation_outside_their_districts(officer_client, asger):
    response = officer_client.post(
        reverse("admin:projects_monitoringvisit_add"), visit_form(officer_client, asger)
    )
    assert response.status_code == 200
    assert not MonitoringVisit.objects.exists()
    assert not Observation.objects.exists()


def test_a_field_officer_cannot_change_an_observation_outside_their_districts(
    officer_client, manager_client, asger
):
    observation = factories.ObservationFactory(kehriz=asger, functionality="functional")
    url = change_url(observation)
    data = admin_form_data(manager_client.get(url))
    data["functionality"] = "dry"
    assert officer_client.post(url, data).status_code == 403
    observation.refresh_from_db()
    assert observation.functionality == "functional"


def follow_up_data(client, observation):
    data = admin_form_data(client.get(reverse("admin:projects_followup_add")))
    data.update(observation=str(observation.pk), action="Line shaft 12 with rings", due_date="2024-05-01")
    return data


def photo_data(client, observation):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "JPEG")
    data = admin_form_data(client.get(reverse("admin:projects_photo_add")))
    data.update(
        observation=str(observation.pk),
        caption="The outlet pool",
        image=SimpleUploadedFile("outlet.jpg", buffer.getvalue(), content_type="image/jpeg"),
    )
    return data


ATTACHMENTS = [("followup", FollowUp, follow_up_data), ("photo", Photo, photo_data)]


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize(("model_name", "model", "form_data"), ATTACHMENTS, ids=[a[0] for a in ATTACHMENTS])
def test_a_field_officer_adds_a_follow_up_or_photo_in_their_district(
    officer_client, karvansara, model_name, model, form_data
):
    observation = factories.ObservationFactory(kehriz=karvansara)
    response = officer_client.post(
        reverse(f"admin:projects_{model_name}_add"), form_data(officer_client, observation)
    )
    assert response.status_code == 302
    assert model.objects.get().observation == observation


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize(("model_name", "model", "form_data"), ATTACHMENTS, ids=[a[0] for a in ATTACHMENTS])
def test_a_field_officer_cannot_add_a_follow_up_or_photo_outside_their_districts(
    officer_client, asger, model_name, model, form_data
):
    observation = factories.ObservationFactory(kehriz=asger)
    response = officer_client.post(
        reverse(f"admin:projects_{model_name}_add"), form_data(officer_client, observation)
    )
    assert response.status_code == 200
    assert "observation" in response.context["adminform"].form.errors
    assert not model.objects.exists()


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize(("model_name", "model", "form_data"), ATTACHMENTS, ids=[a[0] for a in ATTACHMENTS])
def test_a_field_officer_cannot_move_a_follow_up_or_photo_out_of_their_districts(
    officer_client, karvansara, asger, model_name, model, form_data
):
    own = factories.ObservationFactory(kehriz=karvansara)
    other = factories.ObservationFactory(kehriz=asger)
    record = (factories.FollowUpFactory if model is FollowUp else factories.PhotoFactory)(observation=own)
    url = change_url(record)
    data = admin_form_data(officer_client.get(url))
    data["observation"] = str(other.pk)
    response = officer_client.post(url, data)
    assert response.status_code == 200
    assert "observation" in response.context["adminform"].form.errors
    record.refresh_from_db()
    assert record.observation == own


@pytest.mark.parametrize("model_name", ["followup", "photo"])
def test_a_field_officer_is_offered_only_their_own_observations(
    officer_client, manager_client, karvansara, asger, model_name
):
    own = factories.ObservationFactory(kehriz=karvansara)
    other = factories.ObservationFactory(kehriz=asger)
    params = {"app_label": "projects", "model_name": model_name, "field_name": "observation"}
    url = reverse("admin:autocomplete")
    offered = {r["id"] for r in officer_client.get(url, params).json()["results"]}
    assert offered == {str(own.pk)}
    offered = {r["id"] for r in manager_client.get(url, params).json()["results"]}
    assert offered == {str(own.pk), str(other.pk)}


def test_a_field_officer_runs_the_status_action_in_their_district(officer_client, field_officer, karvansara):
    response = officer_client.post(
        reverse("admin:projects_kehriz_changelist"),
        {"action": "change_status_action", "_selected_action": [str(karvansara.pk)]},
    )
    assert response["Location"] == f"{STATUS_URL}?ids={karvansara.pk}"
    response = officer_client.post(response["Location"], {"to_status": "assessed", "on_date": "2024-02-01"})
    assert response.status_code == 302
    karvansara.refresh_from_db()
    assert karvansara.status == "assessed"
    assert karvansara.status_events.order_by("changed_on").last().changed_by == field_officer


@pytest.mark.parametrize("own_too", [False, True], ids=["outside-only", "mixed"])
def test_a_field_officer_cannot_change_status_outside_their_districts(
    officer_client, karvansara, asger, own_too
):
    ids = f"{karvansara.pk},{asger.pk}" if own_too else str(asger.pk)
    action = officer_client.post(
        reverse("admin:projects_kehriz_changelist"),
        {"action": "change_status_action", "_selected_action": ids.split(",")},
    )
    assert officer_client.get(action["Location"]).status_code == 403
    response = officer_client.post(
        f"{STATUS_URL}?ids={ids}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    assert response.status_code == 403
    assert Kehriz.objects.get(pk=asger.pk).status == "identified"
    assert Kehriz.objects.get(pk=karvansara.pk).status == "identified"
    assert StatusEvent.objects.count() == 2


def test_a_field_officer_without_districts_changes_nothing(officer_client, field_officer, karvansara):
    field_officer.assigned_districts.clear()
    data = admin_form_data(officer_client.get(change_url(karvansara)))
    data["name"] = "Renamed"
    assert officer_client.post(change_url(karvansara), data).status_code == 403


def test_a_data_manager_changes_any_district(manager_client, asger):
    response = manager_client.post(
        f"{STATUS_URL}?ids={asger.pk}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    assert response.status_code == 302
    asger.refresh_from_db()
    assert asger.status == "assessed"


def test_a_superuser_counts_as_a_data_manager(client, asger):
    boss = factories.UserFactory(is_superuser=True)
    client.force_login(boss)
    response = client.post(f"{STATUS_URL}?ids={asger.pk}", {"to_status": "assessed", "on_date": "2024-02-01"})
    assert response.status_code == 302
    assert Kehriz.objects.get(pk=asger.pk).status == "assessed"


def test_a_data_manager_assigns_field_officers_to_a_district(manager_client, goranboy, data_manager):
    """The district page's officers field looks users up: a data manager (not a superuser)
    finds the officer there and saves the assignment; a viewer cannot look users up."""
    officer = factories.UserFactory(username="qaradagli-officer", roles=[roles.FIELD_OFFICER])
    response = manager_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "projects", "model_name": "district", "field_name": "officers", "term": "qaradagli"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["qaradagli-officer"]
    url = reverse("admin:projects_district_change", args=[goranboy.pk])
    data = admin_form_data(manager_client.get(url))
    data["officers"] = [str(officer.pk)]
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert roles.district_ids(officer) == {goranboy.pk}


def test_a_viewer_cannot_look_users_up(viewer_client):
    response = viewer_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "projects", "model_name": "district", "field_name": "officers", "term": "a"},
    )
    assert response.status_code == 403
