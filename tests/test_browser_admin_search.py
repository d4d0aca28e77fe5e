"""A data manager searches the admin in Azerbaijani, in a real Chromium at 1280 px, typing names
without Azerbaijani letters or in capitals, and picks a project and a visit by typing them into the
autocompletes (select2) of the kəhriz and observation forms."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from projects import roles
from tests import factories
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase"


@pytest.fixture
def programme(goranboy):
    koica = factories.ProjectFactory(name="Qaradağlı kəhrizlərinin bərpası", name_en="", donor="KOICA")
    factories.ProjectFactory(name="Su təchizatı", name_en="Water supply", donor="USAID")
    village = factories.VillageFactory(name="İşıqlı", district=goranboy)
    kehriz = factories.KehrizFactory(name="Qaradağlı", village=village, district=goranboy)
    factories.KehrizFactory(name="Şıxlı", district=goranboy)
    visit = factories.MonitoringVisitFactory(title="İşıqlı kəndinə səfər")
    factories.MonitoringVisitFactory(title="Yay monitorinqi")
    observation = factories.ObservationFactory(
        kehriz=kehriz, visit=factories.MonitoringVisitFactory(title="Köhnə")
    )
    return {"koica": koica, "kehriz": kehriz, "visit": visit, "observation": observation}


@pytest.fixture
def manager(browser, live_server, programme):
    user = factories.UserFactory(username="menecer", roles=[roles.DATA_MANAGER])
    user.set_password(PASSWORD)
    user.save()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("menecer")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "site-name")))
    return browser


def search_list(browser, url, term):
    browser.get(url)
    box = browser.find_element(By.ID, "searchbar")
    box.send_keys(term, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: "q=" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody th")]


@pytest.mark.parametrize(
    ("model_name", "term", "expected"),
    [
        ("project", "KOİCA", ["Qaradağlı kəhrizlərinin bərpası"]),
        ("project", "qaradagli", ["Qaradağlı kəhrizlərinin bərpası"]),
        ("monitoringvisit", "ISIQLI", ["İşıqlı kəndinə səfər"]),
        ("kehriz", "sixli", ["Şıxlı"]),
        ("village", "İŞIQLI", ["İşıqlı"]),
    ],
)
def test_lists_find_names_typed_without_azerbaijani_letters(manager, live_server, model_name, term, expected):
    rows = search_list(manager, f"{live_server.url}/admin/projects/{model_name}/", term)
    assert rows == expected
    screenshot(manager, f"admin-search-{model_name}")


def pick(browser, field_id, term, expected):
    """Type ``term`` into the select2 autocomplete of ``field_id`` and pick ``expected``."""
    # select2 builds its box once the page's scripts have run: wait for it, not for the page
    # (the observation page also builds two maps first; on a busy 2-core runner that took >10 s).
    container = WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, f"#{field_id} + .select2-container"))
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", container)
    container.click()
    search = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".select2-container--open .select2-search__field"))
    )
    search.send_keys(term)
    # Only the matching row once select2 has the answer for the term (not "Searching…", not the
    # rows it listed before anything was typed).
    WebDriverWait(browser, 10).until(
        lambda d: [o.text for o in d.find_elements(By.CSS_SELECTOR, ".select2-results__option")] == [expected]
    )
    option = browser.find_element(By.CSS_SELECTOR, ".select2-results__option")
    option.click()


def test_a_project_is_typed_into_a_kehriz(manager, live_server, programme):
    kehriz = programme["kehriz"]
    manager.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/change/")
    pick(manager, "id_projects", "koica", "Qaradağlı kəhrizlərinin bərpası")
    screenshot(manager, "admin-kehriz-project-autocomplete")
    manager.find_element(By.NAME, "_continue").click()
    WebDriverWait(manager, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist")))
    assert list(kehriz.projects.all()) == [programme["koica"]]


def test_a_visit_is_typed_into_an_observation(manager, live_server, programme):
    observation = programme["observation"]
    manager.get(f"{live_server.url}/admin/projects/observation/{observation.pk}/change/")
    # The visit as the Azerbaijani page names it, its dates written the Azerbaijani way.
    pick(manager, "id_visit", "ISIQLI", "İşıqlı kəndinə səfər (13 mart 2024 – 14 mart 2024)")
    screenshot(manager, "admin-observation-visit-autocomplete")
    manager.find_element(By.NAME, "_continue").click()
    WebDriverWait(manager, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist")))
    observation.refresh_from_db()
    assert observation.visit == programme["visit"]
