"""In a real Chromium, in Azerbaijani: the district page's table in counting order, and the map
page's notice about a filter it did not understand, naming the filter by its label."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests import factories
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_table_in_counting_order(browser, live_server, goranboy):
    for name in ("Ağbulaq 108", "Ağbulaq 46", "Ağbulaq 9"):
        factories.KehrizFactory(name=name, district=goranboy)
    browser.get(f"{live_server.url}/districts/{goranboy.slug}/")
    table = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table")))
    names = [
        cell.text for cell in table.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child, tbody tr th")
    ]
    agbulaq = [name for name in names if name.startswith("Ağbulaq")]
    assert agbulaq == ["Ağbulaq 9", "Ağbulaq 46", "Ağbulaq 108"]
    table.location_once_scrolled_into_view  # noqa: B018 - scrolls the table into the screenshot
    screenshot(browser, "district-table-natural-order")


def test_map_page_names_a_bad_filter_by_its_label(browser, live_server):
    browser.get(f"{live_server.url}/?handed_over_year=keçən+il")
    notice = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".filters .errors"))
    )
    assert "Təhvil verildiyi il: Ədəd daxil edin." in notice.text
    assert "handed_over_year" not in notice.text
    screenshot(browser, "map-bad-filter-notice")
