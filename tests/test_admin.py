"""The admin as a data manager uses it: every page opens, kəhriz are added with their first status
event, and the "change restoration status" action records dated changes."""

import datetime

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import trash
from projects.models import Kehriz, StatusEvent
from projects.services import change_status, record_initial_status
from tests import factories
from tests.helpers import admin_form_data, geojson_point

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date
REGISTERED = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "projects"
)
# Pages refused on purpose: the status history only grows through the status action; the trash
# is filled by deleting, never by adding.
REFUSED = {("statusevent", "add"), ("trashentry", "add")}


@pytest.fixture
def one_of_each(goranboy, media_in_tmp):
    """One instance of every model registered in the admin."""
    project = factories.ProjectFactory()
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    kehriz = factories.KehrizFactory(name="Karvansara", village=village, district=goranboy)
    kehriz.projects.add(project)
    observation = factories.ObservationFactory(kehriz=kehriz)
    factories.PersonMetFactory(observation=observation)
    return {
        "district": goranboy,
        "village": village,
        "project": project,
        "reportedfigure": factories.ReportedFigureFactory(project=project),
        "resultindicator": factories.ResultPeriodFactory(
            indicator=factories.ResultIndicatorFactory(project=project)
        ).indicator,
        "kehriz": kehriz,
        "statusevent": factories.StatusEventFactory(kehriz=kehriz),
        "restorationwork": factories.RestorationWorkFactory(kehriz=kehriz, project=project),
        "monitoringvisit": observation.visit,
        "observation": observation,
        "followup": factories.FollowUpFactory(observation=observation),
        "photo": factories.PhotoFactory(observation=observation),
        "trashentry": trash.move_to_trash(factories.PhotoFactory(observation=observation)),
    }


def test_every_registered_model_has_an_instance_in_the_fixture(one_of_each):
    assert set(REGISTERED) == set(one_of_each)


@pytest.mark.parametrize("model_name", REGISTERED)
def test_every_admin_page_opens_for_a_data_manager(manager_client, one_of_each, model_name):
    obj = one_of_each[model_name]
    pages = {
        "changelist": reverse(f"admin:projects_{model_name}_changelist"),
        "add": reverse(f"admin:projects_{model_name}_add"),
        "change": reverse(f"admin:projects_{model_name}_change", args=[obj.pk]),
    }
    for page, url in pages.items():
        response = manager_client.get(url)
        expected = 403 if (model_name, page) in REFUSED else 200
        assert response.status_code == expected, (page, url)
        if page == "changelist":
            assert obj in response.context["cl"].result_list


def test_every_admin_page_opens_in_azerbaijani(data_manager, one_of_each):
    """The site's first language: a broken translation (a wrong placeholder) would fail here."""
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(data_manager)
    for model_name in REGISTERED:
        obj = one_of_each[model_name]
        for page, args in (("changelist", []), ("add", []), ("change", [obj.pk])):
            response = client.get(reverse(f"admin:projects_{model_name}_{page}", args=args))
            expected = 403 if (model_name, page) in REFUSED else 200
            assert response.status_code == expected, (model_name, page)
            if expected == 200:
                assert '<html lang="az"' in response.content.decode()


def test_the_admin_index_lists_the_models(manager_client, one_of_each):
    response = manager_client.get(reverse("admin:index"))
    assert response.status_code == 200
    for model_name in REGISTERED:
        assert reverse(f"admin:projects_{model_name}_changelist") in response.content.decode()


def test_the_status_history_cannot_be_edited(manager_client, one_of_each):
    event = one_of_each["statusevent"]
    url = reverse("admin:projects_statusevent_change", args=[event.pk])
    response = manager_client.post(url, {"to_status": "handed_over", "changed_on": "2024-01-10"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.to_status == "identified"


# --- Adding a kəhriz ---------------------------------------------------------------------------


def add_form(client):
    response = client.get(reverse("admin:projects_kehriz_add"))
    assert response.status_code == 200
    return admin_form_data(response)


@pytest.mark.parametrize(
    "outlet",
    [
        geojson_point(*factories.HOROVLU),
        "POINT (47.09472 39.4)",
        "SRID=4326;POINT (47.09472 39.4)",
    ],
    ids=["geojson", "wkt", "ewkt"],
)
def test_add_a_kehriz_through_the_admin(manager_client, data_manager, cebrayil, outlet):
    data = add_form(manager_client)
    data.update(
        name="Əsgər", code="CAB-HOR-ESGER", district=str(cebrayil.pk), outlet=outlet, status="assessed"
    )
    response = manager_client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    k = Kehriz.objects.get(code="CAB-HOR-ESGER")
    assert k.district == cebrayil
    assert k.outlet.coords == pytest.approx(factories.HOROVLU)
    assert (k.status, k.status_changed_on) == ("assessed", timezone.localdate())
    event = k.status_events.get()
    assert (event.from_status, event.to_status, event.changed_on, event.changed_by) == (
        "",
        "assessed",
        timezone.localdate(),
        data_manager,
    )


def test_add_a_kehriz_with_the_district_found_from_the_outlet(manager_client, agdam):
    data = add_form(manager_client)
    data.update(name="Sınaq", code="AGD-01", district="", outlet=geojson_point(*factories.AGDAM_TOWN))
    response = manager_client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 302
    k = Kehriz.objects.get(code="AGD-01")
    assert k.district == agdam
    assert k.status_events.get().to_status == "identified"


def test_add_a_kehriz_far_outside_its_district_shows_the_error(manager_client, cebrayil):
    data = add_form(manager_client)
    data.update(
        name="Sınaq", code="CAB-99", district=str(cebrayil.pk), outlet=geojson_point(*factories.QAZAX_TOWN)
    )
    response = manager_client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "km outside Cəbrayıl rayonu" in errors["outlet"][0]
    assert "km outside Cəbrayıl rayonu" in response.content.decode()
    assert not Kehriz.objects.filter(code="CAB-99").exists()
    assert not StatusEvent.objects.exists()


def test_change_a_kehriz_keeps_its_status(manager_client, goranboy):
    k = factories.KehrizFactory(name="Karvansara", district=goranboy, status="planned")
    url = reverse("admin:projects_kehriz_change", args=[k.pk])
    data = admin_form_data(manager_client.get(url))
    assert "status" not in data  # read-only once created
    data.update(name="Karvansara kəhrizi", households_served="40", status="handed_over")
    response = manager_client.post(url, data)
    assert response.status_code == 302
    k.refresh_from_db()
    assert (k.name, k.households_served, k.status) == ("Karvansara kəhrizi", 40, "planned")


# --- The status action -------------------------------------------------------------------------


@pytest.fixture
def two_kehriz(goranboy):
    made = []
    for name in ("Karvansara", "Orta"):
        k = factories.KehrizFactory(name=name, district=goranboy, status_changed_on=D(2024, 1, 10))
        record_initial_status(kehriz=k)
        made.append(k)
    return made


STATUS_URL = reverse("admin:projects_kehriz_change_status")


def run_action(client, kehrizes):
    return client.post(
        reverse("admin:projects_kehriz_changelist"),
        {"action": "change_status_action", "_selected_action": [str(k.pk) for k in kehrizes]},
    )


def statuses(kehrizes):
    return [Kehriz.objects.get(pk=k.pk).status for k in kehrizes]


def test_the_action_redirects_to_the_status_form(manager_client, two_kehriz):
    response = run_action(manager_client, two_kehriz)
    assert response.status_code == 302
    path, query = response["Location"].split("?")
    assert path == STATUS_URL
    assert sorted(query.removeprefix("ids=").split(",")) == sorted(str(k.pk) for k in two_kehriz)

    page = manager_client.get(response["Location"])
    assert page.status_code == 200
    assert sorted(k.pk for k in page.context["kehrizes"]) == sorted(k.pk for k in two_kehriz)
    content = page.content.decode()
    assert "Karvansara" in content and "Orta" in content


def test_the_changelist_offers_the_status_action(manager_client, two_kehriz):
    response = manager_client.get(reverse("admin:projects_kehriz_changelist"))
    assert (
        '<option value="change_status_action">Change restoration status</option>' in response.content.decode()
    )


def test_the_status_form_changes_status_and_records_events(manager_client, data_manager, two_kehriz):
    ids = ",".join(str(k.pk) for k in two_kehriz)
    response = manager_client.post(
        f"{STATUS_URL}?ids={ids}",
        {"to_status": "assessed", "on_date": "2024-02-01", "note": "Survey by the engineers."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:projects_kehriz_changelist")
    for k in two_kehriz:
        k.refresh_from_db()
        assert (k.status, k.status_changed_on) == ("assessed", D(2024, 2, 1))
        event = k.status_events.order_by("changed_on").last()
        assert (event.from_status, event.to_status, event.changed_by, event.note) == (
            "identified",
            "assessed",
            data_manager,
            "Survey by the engineers.",
        )


def test_the_status_form_for_one_kehriz_returns_to_it(manager_client, two_kehriz):
    k = two_kehriz[0]
    response = manager_client.post(
        f"{STATUS_URL}?ids={k.pk}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    assert response["Location"] == reverse("admin:projects_kehriz_change", args=[k.pk])


def test_an_invalid_jump_shows_the_error_and_writes_nothing(manager_client, two_kehriz):
    ids = ",".join(str(k.pk) for k in two_kehriz)
    response = manager_client.post(
        f"{STATUS_URL}?ids={ids}", {"to_status": "restored", "on_date": "2024-02-01"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Karvansara: A kəhriz cannot go from identified to restored directly." in content
    assert "The next step is assessed." in content
    assert statuses(two_kehriz) == ["identified", "identified"]
    assert StatusEvent.objects.count() == 2  # only the initial events


def test_a_correction_through_the_form(manager_client, two_kehriz):
    k = two_kehriz[0]
    response = manager_client.post(
        f"{STATUS_URL}?ids={k.pk}",
        {"to_status": "restored", "on_date": "2024-02-01", "correction": "on", "note": "Restored in 2019."},
    )
    assert response.status_code == 302
    event = k.status_events.order_by("changed_on").last()
    assert (event.to_status, event.is_correction, event.note) == ("restored", True, "Restored in 2019.")


def test_a_correction_without_a_reason_is_refused_by_the_form(manager_client, two_kehriz):
    k = two_kehriz[0]
    response = manager_client.post(
        f"{STATUS_URL}?ids={k.pk}", {"to_status": "restored", "on_date": "2024-02-01", "correction": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["note"] == ["Say why this correction is made."]
    assert statuses([k]) == ["identified"]


def test_a_future_date_is_refused_by_the_form(manager_client, two_kehriz):
    k = two_kehriz[0]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = manager_client.post(
        f"{STATUS_URL}?ids={k.pk}", {"to_status": "assessed", "on_date": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["on_date"] == [
        "Karvansara: The date of a status change cannot be in the future."
    ]
    assert statuses([k]) == ["identified"]


def test_one_refusal_among_several_writes_nothing(manager_client, two_kehriz):
    first, second = two_kehriz
    change_status(kehriz=second, to_status="assessed", on_date=D(2024, 1, 20))
    ids = f"{first.pk},{second.pk}"
    response = manager_client.post(
        f"{STATUS_URL}?ids={ids}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    assert response.status_code == 200
    assert "Orta: The kəhriz is already assessed." in response.content.decode()
    assert statuses(two_kehriz) == ["identified", "assessed"]
    assert first.status_events.count() == 1


def test_after_a_refusal_the_page_shows_the_real_current_status(manager_client, two_kehriz):
    """When one kəhriz of several is refused nothing is written, so the page must not show the
    others as already changed."""
    first, second = two_kehriz
    change_status(kehriz=second, to_status="assessed", on_date=D(2024, 1, 20))
    response = manager_client.post(
        f"{STATUS_URL}?ids={first.pk},{second.pk}", {"to_status": "assessed", "on_date": "2024-02-01"}
    )
    shown = {k.pk: (k.status, k.status_changed_on) for k in response.context["kehrizes"]}
    assert shown == {first.pk: ("identified", D(2024, 1, 10)), second.pk: ("assessed", D(2024, 1, 20))}


def test_the_status_page_without_kehriz_goes_back_to_the_list(manager_client):
    response = manager_client.get(f"{STATUS_URL}?ids=")
    assert response["Location"] == reverse("admin:projects_kehriz_changelist")
    response = manager_client.get(f"{STATUS_URL}?ids=abc")
    assert response["Location"] == reverse("admin:projects_kehriz_changelist")
