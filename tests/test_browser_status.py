"""A data manager records status changes and a kəhriz's past in the admin, in Azerbaijani, in a
real headless Chromium at 1280 px."""

import datetime

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from projects import roles
from projects.models import Kehriz, StatusEvent
from projects.services import record_initial_status
from tests import factories
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = datetime.date
PASSWORD = "a-long-pass-phrase"


@pytest.fixture
def manager_in_browser(browser, live_server):
    user = factories.UserFactory(username="manager", roles=[roles.DATA_MANAGER])
    user.set_password(PASSWORD)
    user.save()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("manager")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "site-name")))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    return browser


def history(kehriz):
    return list(
        StatusEvent.objects.filter(kehriz=kehriz)
        .order_by("changed_on", "created_at", "id")
        .values_list("from_status", "to_status", "changed_on")
    )


def submit(browser, selector):
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, 10).until(EC.staleness_of(page))


def test_change_a_status_with_the_proposed_date(manager_in_browser, live_server, goranboy):
    browser = manager_in_browser
    k = factories.KehrizFactory(name="Karvansara", district=goranboy, status="planned")
    record_initial_status(kehriz=k, on_date=D(2024, 1, 10))
    browser.get(f"{live_server.url}/admin/projects/kehriz/change-status/?ids={k.pk}")
    date_input = browser.find_element(By.ID, "id_on_date")
    # The browser accepted the proposed date (a value it rejects reads back as empty).
    assert date_input.get_property("value") == timezone.localdate().isoformat()
    proposed = Select(browser.find_element(By.ID, "id_to_status")).first_selected_option
    assert proposed.get_attribute("value") == "under_restoration"
    screenshot(browser, "admin-status-change-az")
    submit(browser, "input[type=submit].default")
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("under_restoration", timezone.localdate())


def choose_in_autocomplete(browser, field, text):
    # select2 builds its box once the page's scripts have run: wait for it, not for the page.
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f"#id_{field} + .select2 .select2-selection"))
    ).click()
    search = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".select2-container--open .select2-search__field"))
    )
    search.send_keys(text)
    option = WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".select2-results__option--highlighted"))
    )
    option.click()


def test_record_a_new_kehriz_with_its_past(manager_in_browser, live_server, goranboy):
    browser = manager_in_browser
    browser.get(f"{live_server.url}/admin/projects/kehriz/add/")
    browser.find_element(By.ID, "id_name").send_keys("Karvansara")
    browser.find_element(By.ID, "id_code").send_keys("GOR-QRD-01")
    choose_in_autocomplete(browser, "district", "Goranboy")
    Select(browser.find_element(By.ID, "id_status")).select_by_value("handed_over")
    since = browser.find_element(By.ID, "id_status_changed_on")
    assert since.get_property("value")  # today, proposed
    since.send_keys(Keys.CONTROL, "a")
    since.send_keys("01.05.2019")  # as Azerbaijani dates are written
    screenshot(browser, "admin-kehriz-add-past-az")
    submit(browser, "input[name=_save]")
    k = Kehriz.objects.get(code="GOR-QRD-01")
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))

    # Then the restoration before it, back-dated, in date order.
    browser.get(f"{live_server.url}/admin/projects/kehriz/change-status/?ids={k.pk}")
    Select(browser.find_element(By.ID, "id_to_status")).select_by_value("restored")
    browser.execute_script("document.getElementById('id_on_date').value = '2019-03-01';")
    browser.find_element(By.ID, "id_backdated").click()
    submit(browser, "input[type=submit].default")
    assert history(k) == [("", "restored", D(2019, 3, 1)), ("", "handed_over", D(2019, 5, 1))]
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))
    # The kəhriz's page in the admin lists the history in date order.
    rows = browser.find_elements(By.CSS_SELECTOR, "#status_events-group tbody tr.has_original")
    assert [r.find_element(By.CSS_SELECTOR, "td.field-changed_on").text for r in rows][:2] == [
        "1 mart 2019",
        "1 may 2019",
    ]
    screenshot(browser, "admin-kehriz-history-az")


def test_import_the_history_of_kehriz_handed_over_before_the_system(
    manager_in_browser, live_server, goranboy
):
    from tests.browser import ARTIFACTS

    browser = manager_in_browser
    k = factories.KehrizFactory(name="Karvansara", code="GOR-QRD-01", district=goranboy, status="handed_over")
    record_initial_status(kehriz=k, on_date=D(2019, 5, 1))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "status-tarixcesi.csv"
    path.write_text(
        "kehriz_code,status,date,note\n"
        "GOR-QRD-01,restored,2019-03-01,Təhvil aktı\n"
        "GOR-QRD-01,under_restoration,2018-06-01,\n",
        encoding="utf-8",
    )
    browser.get(f"{live_server.url}/admin/projects/statusevent/")
    browser.find_element(By.CSS_SELECTOR, "a.import-link").click()
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form[enctype] input[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "import-preview"))
    assert "2 sətir: 2 yeni" in browser.find_element(By.CSS_SELECTOR, ".import-summary").text
    screenshot(browser, "admin-status-history-import-preview-az")
    assert len(history(k)) == 1
    submit(browser, "#confirm-import")
    assert history(k) == [
        ("", "under_restoration", D(2018, 6, 1)),
        ("under_restoration", "restored", D(2019, 3, 1)),
        ("", "handed_over", D(2019, 5, 1)),
    ]
    screenshot(browser, "admin-status-history-imported-az")
