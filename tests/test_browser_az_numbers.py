"""Numbers and dates read the same in the map's popups (drawn by JavaScript) as on the server's
pages: "1,14 l/san" and "13 mart 2024" in Azerbaijani, at phone and desktop width."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import services
from projects.models import Status
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium, unreachable_tiles_url
from tests.factories import (
    GORANBOY,
    GORANBOY_TOWN,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    district,
    point,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def tiles(settings):
    settings.MAP_TILES_URL = unreachable_tiles_url()


@pytest.fixture(params=[360, 1280], ids=["phone", "desktop"])
def driver(request):
    require_chromium()
    width = request.param
    chromium = start_chromium(width=width, height=740 if width < 500 else 900)
    chromium._kehriz_width = width
    yield chromium
    stop_chromium(chromium)


@pytest.fixture
def measured():
    kehriz = KehrizFactory(
        name="Karvansara",
        district=district(GORANBOY),
        outlet=point(GORANBOY_TOWN),
        status=Status.RESTORED,
    )
    day = datetime.date(2024, 3, 13)
    ObservationFactory(
        kehriz=kehriz,
        visit=MonitoringVisitFactory(start_date=day, end_date=day),
        observed_on=day,
        discharge_lps=Decimal("1.14"),
        discharge_method="bucket",
    )
    services.refresh_current_state([kehriz.pk])
    return kehriz


def popup_text(driver, name, timeout=15):
    def opened(d):
        popups = d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
        if popups and popups[0].text:
            return popups[0].text
        marker = d.execute_script(
            """var found = null, name = arguments[0];
            window.kehrizMap.eachLayer(function (layer) {
              if (layer.feature && layer.feature.properties.name === name && layer._path) found = layer._path;
            });
            return found;""",
            name,
        )
        if marker:
            with contextlib.suppress(WebDriverException):
                marker.click()
        return False

    return WebDriverWait(driver, timeout, poll_frequency=1).until(opened)


def test_the_map_popup_writes_a_decimal_comma_and_the_date_like_the_pages(live_server, driver, measured):
    driver.get(f"{live_server.url}/?status=")
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return !!window.kehrizMap"))
    WebDriverWait(driver, 15).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "1"
    )
    popup = popup_text(driver, "Karvansara")
    assert "1,14 l/san" in popup
    assert "1.14" not in popup
    assert "13 mart 2024" in popup
    screenshot(driver, f"map-popup-az-{driver._kehriz_width}")

    # The kəhriz's own page says the same.
    driver.get(f"{live_server.url}/kehriz/{measured.pk}/")
    text = driver.find_element(By.TAG_NAME, "main").text
    assert "1,14 l/san" in text
    assert "13 mart 2024" in text
    screenshot(driver, f"kehriz-page-az-{driver._kehriz_width}")


def test_an_english_popup_writes_the_date_as_english_pages_do(live_server, measured):
    """English pages write "March 13, 2024"; the popup once wrote "13 March 2024"."""
    require_chromium()
    english = start_chromium(width=1280, height=900, language="en")
    try:
        english.get(f"{live_server.url}/?status=")
        WebDriverWait(english, 15).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "1"
        )
        popup = popup_text(english, "Karvansara")
        assert "March 13, 2024" in popup
        assert "1.14 L/s" in popup
        english.get(f"{live_server.url}/kehriz/{measured.pk}/")
        assert "March 13, 2024" in english.find_element(By.TAG_NAME, "main").text
        screenshot(english, "map-popup-en")
    finally:
        stop_chromium(english)
