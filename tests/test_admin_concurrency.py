"""No edit silently lost in the admin: when two people have the same record open and both save,
the second save does not overwrite what the first changed; the second person sees who changed
what, and saves again deliberately. In Azerbaijani, in a real browser, at the end."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from projects import roles, services
from projects.admin.concurrency import VERSION, ConcurrentEditMixin
from projects.models import (
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    Project,
    ReportedFigure,
    RestorationWork,
    Village,
)
from tests import factories
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"admin:projects_{obj._meta.model_name}_change", args=[obj.pk])


def text(response):
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


@pytest.fixture
def second_manager(db):
    user = factories.UserFactory(
        username="second", first_name="Aynur", last_name="Quliyeva", roles=[roles.DATA_MANAGER]
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def karvansara(goranboy):
    return factories.KehrizFactory(
        name="Karvansara", code="GOR-QAR-01", district=goranboy, notes="Dry in August"
    )


def test_every_change_form_people_edit_checks_for_changes_made_meanwhile():
    for model in (
        Kehriz,
        Village,
        Project,
        ReportedFigure,
        RestorationWork,
        MonitoringVisit,
        Observation,
        FollowUp,
        Photo,
    ):
        assert isinstance(admin.site._registry[model], ConcurrentEditMixin), model.__name__


@pytest.mark.usefixtures("english")
def test_a_save_over_a_change_made_meanwhile_is_stopped_and_can_be_made_deliberately(
    manager_client, second_manager, karvansara
):
    url = change_url(karvansara)
    first = admin_form_data(manager_client.get(url))
    second = admin_form_data(second_manager.get(url))
    assert first[VERSION] and first[VERSION] == second[VERSION]

    first["notes"] = "Flows again after the cleaning"
    response = manager_client.post(url, first)
    assert response.status_code == 302

    # The second person renamed the kəhriz, with the notes as they were when the form opened.
    second["name"] = "Karvansara kəhrizi"
    response = second_manager.post(url, second)
    assert response.status_code == 200  # the form again, not a redirect
    page = text(response)
    assert "manager saved this record at" in page
    assert "Notes — saved now: «Flows again after the cleaning»; yours: «Dry in August»." in page
    assert "save again to keep what you entered" in page
    # Only the field the first person changed: the name was changed by no one else.
    assert "Name — saved now" not in page
    # The form keeps what the second person entered.
    assert 'value="Karvansara kəhrizi"' in response.content.decode()
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.name, stored.notes) == ("Karvansara", "Flows again after the cleaning")

    # Saving the form as shown again is a deliberate choice: it goes through.
    again = admin_form_data(response)
    assert again[VERSION] != second[VERSION]
    response = second_manager.post(url, again)
    assert response.status_code == 302
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.name, stored.notes) == ("Karvansara kəhrizi", "Dry in August")


@pytest.mark.usefixtures("english")
def test_the_same_value_entered_by_both_is_no_conflict(manager_client, second_manager, karvansara):
    url = change_url(karvansara)
    first = admin_form_data(manager_client.get(url))
    second = admin_form_data(second_manager.get(url))
    first["notes"] = second["notes"] = "Flows again"
    second["shaft_count"] = "41"
    assert manager_client.post(url, first).status_code == 302
    assert second_manager.post(url, second).status_code == 302
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.notes, stored.shaft_count) == ("Flows again", 41)


@pytest.mark.usefixtures("english")
def test_a_change_outside_the_form_does_not_stop_a_save(manager_client, data_manager, karvansara):
    """A visit recorded meanwhile refreshes the kəhriz's current state, and a status change its
    status: neither is a field of the form, so the save overwrites nothing and goes through."""
    url = change_url(karvansara)
    data = admin_form_data(manager_client.get(url))
    factories.ObservationFactory(kehriz=karvansara, functionality="dry")
    services.refresh_current_state([karvansara.pk])
    services.change_status(kehriz=karvansara, to_status="assessed", user=data_manager)
    data["notes"] = "Measured again"
    assert manager_client.post(url, data).status_code == 302
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.notes, stored.functionality, stored.status) == ("Measured again", "dry", "assessed")


@pytest.mark.usefixtures("english")
def test_a_change_through_the_api_meanwhile_is_named_as_such(manager_client, karvansara):
    url = change_url(karvansara)
    data = admin_form_data(manager_client.get(url))
    Kehriz.objects.filter(pk=karvansara.pk).update(shaft_count=12)  # an import, say
    stored = Kehriz.objects.get(pk=karvansara.pk)
    stored.save()  # touches updated_at as every write path does
    data["notes"] = "Mine"
    response = manager_client.post(url, data)
    assert response.status_code == 200
    page = text(response)
    assert "after you opened it (through the API, the field app or an import)" in page
    assert "Number of shafts — saved now: «12»; yours: «—»." in page
    assert Kehriz.objects.get(pk=karvansara.pk).notes == "Dry in August"


@pytest.mark.usefixtures("english")
def test_a_village_change_form_checks_too(manager_client, second_manager, goranboy):
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    url = change_url(village)
    first = admin_form_data(manager_client.get(url))
    second = admin_form_data(second_manager.get(url))
    first["name"] = "Qaradağlı kəndi"
    assert manager_client.post(url, first).status_code == 302
    second["is_idp_settlement"] = "on"
    response = second_manager.post(url, second)
    assert response.status_code == 200
    assert "saved now: «Qaradağlı kəndi»; yours: «Qaradağlı»" in text(response)
    assert not Village.objects.get(pk=village.pk).is_idp_settlement


# --- In a browser, in Azerbaijani ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_second_person_sees_the_conflict_in_azerbaijani_and_saves_again(browser, live_server, goranboy):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import screenshot

    password = "a-long-pass-phrase"
    user = factories.UserFactory(username="manager", roles=[roles.DATA_MANAGER])
    user.set_password(password)
    user.save()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("manager")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "site-name")))

    karvansara = factories.KehrizFactory(name="Karvansara", district=goranboy, notes="Avqustda quruyur")
    url = change_url(karvansara)
    browser.get(live_server.url + url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"

    # Meanwhile Aynur saves the same kəhriz with a new note.
    aynur = factories.UserFactory(
        username="aynur", first_name="Aynur", last_name="Quliyeva", roles=[roles.DATA_MANAGER]
    )
    other = Client(HTTP_ACCEPT_LANGUAGE="az")
    other.force_login(aynur)
    data = admin_form_data(other.get(url))
    data["notes"] = "Təmizlənmədən sonra yenə axır"
    assert other.post(url, data).status_code == 302

    def save():
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, "input[name=_save]").click()
        WebDriverWait(browser, 10).until(EC.staleness_of(page))

    name = browser.find_element(By.ID, "id_name")
    name.clear()
    name.send_keys("Karvansara kəhrizi")
    save()
    errors = browser.find_element(By.CSS_SELECTOR, "ul.errorlist.nonfield").text
    screenshot(browser, "admin-kehriz-conflict-az")
    assert "Aynur Quliyeva bu qeydi siz açandan sonra saxlayıb" in errors
    assert (
        "Qeydlər — indi saxlanılan: «Təmizlənmədən sonra yenə axır»; sizinki: «Avqustda quruyur»." in errors
    )
    assert "yenidən yadda saxlayın" in errors
    assert "after you opened it" not in errors
    # The note's own field says so too, and the name typed is still there.
    assert "Bu arada dəyişdirilib" in browser.find_element(By.CSS_SELECTOR, ".field-notes").text
    assert browser.find_element(By.ID, "id_name").get_property("value") == "Karvansara kəhrizi"
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.name, stored.notes) == ("Karvansara", "Təmizlənmədən sonra yenə axır")

    # Having read it, the manager keeps Aynur's note and saves the name again.
    notes = browser.find_element(By.ID, "id_notes")
    notes.clear()
    notes.send_keys("Təmizlənmədən sonra yenə axır")
    save()
    assert not browser.find_elements(By.CSS_SELECTOR, "ul.errorlist")
    stored = Kehriz.objects.get(pk=karvansara.pk)
    assert (stored.name, stored.notes) == ("Karvansara kəhrizi", "Təmizlənmədən sonra yenə axır")
