"""The admin's borrowed widgets speak Azerbaijani too: Leaflet.draw's buttons and tooltips on the
map fields, select2's messages in the autocompletes; and the admin's labels write a dotted İ."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from projects.models import Kehriz
from tests.browser import screenshot, sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(browser, live_server):
    call_command("load_sample_data", verbosity=0)
    return sign_in_to_admin(browser, live_server.url)


def test_the_map_fields_drawing_tools_are_in_azerbaijani(signed_in, live_server):
    kehriz = Kehriz.objects.get(code="CAB-HOR-ESGER")
    signed_in.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/change/")
    outlet = WebDriverWait(signed_in, 15).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#id_outlet-map .leaflet-draw-draw-marker"))
    )
    assert outlet.get_attribute("title") == "Nişan qoy"
    edit = signed_in.find_element(By.CSS_SELECTOR, "#id_outlet-map .leaflet-draw-edit-edit")
    assert edit.get_attribute("title") == "Təbəqələri redaktə et"
    route = signed_in.find_element(By.CSS_SELECTOR, "#id_route-map .leaflet-draw-draw-polyline")
    assert route.get_attribute("title") == "Xətt çək"
    # Start drawing the route: the tooltip that follows the pointer says what to do.
    signed_in.execute_script("arguments[0].scrollIntoView({block: 'center'});", route)
    route.click()
    tooltip = WebDriverWait(signed_in, 5).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#id_route-map .leaflet-draw-tooltip").text
    )
    assert tooltip == "Xətti çəkməyə başlamaq üçün klikləyin."
    actions = signed_in.find_elements(By.CSS_SELECTOR, "#id_route-map .leaflet-draw-actions a")
    assert [a.text for a in actions if a.is_displayed()] == ["Bitir", "Son nöqtəni sil", "Ləğv et"]
    screenshot(signed_in, "admin-kehriz-draw-az")


def open_autocomplete(driver, url, field):
    driver.get(url)
    # select2 builds its box once the page's scripts have run: wait for it, not for the page.
    WebDriverWait(driver, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f".field-{field} .select2-selection"))
    ).click()
    return WebDriverWait(driver, 5).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".select2-search__field"))
    )


def select2_message(driver):
    return WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".select2-results__message").text
    )


def test_an_autocomplete_answers_in_azerbaijani(signed_in, live_server):
    open_autocomplete(signed_in, f"{live_server.url}/admin/projects/followup/add/", "observation").send_keys(
        "zzzqqq"
    )
    assert select2_message(signed_in) == "Nəticə tapılmadı"
    label = signed_in.find_element(By.CSS_SELECTOR, ".field-observation label").text
    assert not label.startswith("I")
    screenshot(signed_in, "admin-followup-autocomplete-az")


def test_an_autocomplete_that_cannot_reach_the_server_says_so_in_azerbaijani(
    signed_in, live_server, monkeypatch
):
    """select2's own Azerbaijani messages have no "the results could not be loaded": a search that
    failed (the admin's search crashed, or the office's connection dropped) said so in English."""
    from django.contrib.admin.views.autocomplete import AutocompleteJsonView
    from django.http import HttpResponse

    monkeypatch.setattr(AutocompleteJsonView, "get", lambda self, request, *a, **kw: HttpResponse(status=503))
    open_autocomplete(signed_in, f"{live_server.url}/admin/projects/photo/add/", "observation").send_keys(
        "asger"
    )
    assert select2_message(signed_in) == "Nəticələr yüklənə bilmədi. Bağlantını yoxlayıb yenidən cəhd edin."
    screenshot(signed_in, "admin-autocomplete-failed-az")
