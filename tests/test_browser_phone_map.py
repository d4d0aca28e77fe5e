"""The home map in a real headless Chromium, in Azerbaijani: on a phone (the legend folds away from
the markers, the filters never push the map off the screen), synthetic data and hidden statuses
said out loud, a search that brings the map to its results, clusters that do not look like a
status."""

import contextlib
import datetime
import re

import pytest
from django.core.management import call_command
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import services
from projects.models import Kehriz, Status
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium, unreachable_tiles_url
from tests.factories import (
    CEBRAYIL,
    GORANBOY,
    QAZAX,
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
    settings.MAP_TILES_ATTRIBUTION = "Xəritə altlığı © OpenStreetMap iştirakçıları, sınaq üçün uzun bir yazı"


@pytest.fixture
def phone():
    require_chromium()
    driver = start_chromium(width=360, height=740)
    yield driver
    stop_chromium(driver)


def markers_shown(driver, expected, timeout=15):
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == str(expected)
    )


def open_map(driver, url):
    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return !!window.kehrizMap"))


def marker_element(driver, name):
    return driver.execute_script(
        """var found = null, name = arguments[0];
        window.kehrizMap.eachLayer(function (layer) {
          if (layer.feature && layer.feature.properties.name === name && layer._path) found = layer._path;
        });
        return found;""",
        name,
    )


def tap_until_the_popup_opens(driver, name, timeout=15):
    """Tap the marker as a person does, again if the map was still settling; the popup's text."""

    def opened(d):
        popups = d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
        if popups and popups[0].text:
            return popups[0].text
        marker = marker_element(d, name)
        if marker:
            with contextlib.suppress(WebDriverException):  # covered by something: not opened
                marker.click()
        return False

    return WebDriverWait(driver, timeout, poll_frequency=1).until(opened)


def status_line(driver):
    line = driver.find_element(By.ID, "map-status")
    WebDriverWait(driver, 10).until(lambda d: line.text)
    return line


# --- On a phone -----------------------------------------------------------------------------------


def test_on_a_phone_the_legend_is_folded_and_a_marker_under_it_opens(live_server, phone):
    url = f"{live_server.url}/?status=&q=Küncdəki"
    open_map(phone, url)
    markers_shown(phone, 0)
    toggle = phone.find_element(By.CSS_SELECTOR, ".legend .legend-toggle")
    assert toggle.text.startswith("Bərpa statusu")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.find_element(By.ID, "map-legend-list").is_displayed()
    # Where the open legend lies: a kəhriz is placed there, in the bottom-right of the view.
    toggle.click()
    assert phone.find_element(By.ID, "map-legend-list").is_displayed()
    lon, lat = phone.execute_script(
        """var map = window.kehrizMap, box = map.getContainer().getBoundingClientRect();
        var list = document.getElementById('map-legend-list').getBoundingClientRect();
        var at = map.containerPointToLatLng([list.right - box.left - 25, list.top - box.top + 15]);
        return [at.lng, at.lat];"""
    )
    screenshot(phone, "phone-map-legend-open")
    KehrizFactory(
        name="Küncdəki", district=district(CEBRAYIL), outlet=point((lon, lat)), status=Status.RESTORED
    )

    open_map(phone, url)  # the same view: the districts' boundaries
    markers_shown(phone, 1)
    assert phone.find_element(By.CSS_SELECTOR, ".legend-toggle").get_attribute("aria-expanded") == "false"
    screenshot(phone, "phone-map-legend-folded")
    assert "Küncdəki" in tap_until_the_popup_opens(phone, "Küncdəki")


def test_on_a_phone_the_attribution_leaves_the_scale_alone_and_open_filters_leave_the_map(live_server, phone):
    KehrizFactory(name="Birinci", district=district(CEBRAYIL), status=Status.RESTORED)
    # Filters in the URL, as a shared link has them.
    open_map(phone, f"{live_server.url}/?status=restored&district=cebrayil-rayonu")
    markers_shown(phone, 1)
    rects = phone.execute_script(
        """function r(s) { var b = document.querySelector(s).getBoundingClientRect();
          return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; }
        return {scale: r('.leaflet-control-scale'), attribution: r('.leaflet-control-attribution'),
                map: r('#kehriz-map')};"""
    )
    scale, attribution = rects["scale"], rects["attribution"]
    overlap = not (
        attribution["left"] >= scale["right"]
        or attribution["right"] <= scale["left"]
        or attribution["top"] >= scale["bottom"]
        or attribution["bottom"] <= scale["top"]
    )
    assert not overlap, rects
    # The map is on the screen, whatever the filters: open them and it stays where it is.
    assert rects["map"]["top"] < 740 / 2
    summary = phone.find_element(By.CSS_SELECTOR, "#filters summary")
    phone.execute_script("arguments[0].scrollIntoView()", summary)
    summary.click()
    phone.execute_script("window.scrollTo(0, 0)")
    top = phone.execute_script("return document.getElementById('kehriz-map').getBoundingClientRect().top")
    assert top == rects["map"]["top"]
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(phone, "phone-map-filters")


# --- Synthetic data, approximate dates, hidden statuses ----------------------------------------------


def test_demo_data_is_said_on_the_map_and_in_its_popups(live_server, browser):
    call_command("generate_demo_data", kehriz=6, visits=1, verbosity=0)
    real = KehrizFactory(name="Əsl kəhriz", district=district(GORANBOY), status=Status.RESTORED)
    ObservationFactory(
        kehriz=real,
        visit=MonitoringVisitFactory(start_date=datetime.date(2024, 3, 13), dates_are_approximate=True),
    )
    services.refresh_current_state()
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 7)
    banner = browser.find_element(By.ID, "synthetic-banner")
    WebDriverWait(browser, 5).until(lambda d: banner.is_displayed())
    assert "Sintetik nümayiş qeydləri: göstərilən kəhrizlərdən 6." in banner.text
    assert "real kəhriz deyil" in banner.text
    screenshot(browser, "map-synthetic-banner")

    # Only the real one: no banner, and its approximate last visit says so.
    open_map(browser, f"{live_server.url}/?status=&q=Əsl")
    markers_shown(browser, 1)
    assert not browser.find_element(By.ID, "synthetic-banner").is_displayed()
    popup = tap_until_the_popup_opens(browser, "Əsl kəhriz")
    assert "13 mart 2024 (təxmini)" in popup
    assert "Sintetik" not in popup

    name = Kehriz.objects.filter(is_synthetic=True, outlet__isnull=False).order_by("pk").first().name
    open_map(browser, f"{live_server.url}/?status=&q=" + name)
    WebDriverWait(browser, 15).until(
        lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") or 0) >= 1
    )
    popup = tap_until_the_popup_opens(browser, name)
    assert "Sintetik nümayiş qeydi, real kəhriz deyil" in popup
    screenshot(browser, "map-synthetic-popup")


def test_the_map_says_how_many_kehriz_its_statuses_hide_and_shows_them(live_server, browser):
    cebrayil = district(CEBRAYIL)
    KehrizFactory(name="Bərpa olunmuş", district=cebrayil, status=Status.RESTORED)
    for n in range(3):
        KehrizFactory(name=f"Bərpada {n}", district=cebrayil, status=Status.UNDER_RESTORATION)
    open_map(browser, f"{live_server.url}/")
    markers_shown(browser, 1)
    line = status_line(browser)
    assert "Başqa statuslarda olan 3 kəhriz göstərilmir." in line.text
    link = line.find_element(By.TAG_NAME, "a")
    assert link.text == "Bütün statusları göstər"
    screenshot(browser, "map-hidden-by-status")
    link.click()
    markers_shown(browser, 4)
    assert "status=" in browser.current_url
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=status]:checked")
    assert "göstərilmir" not in browser.find_element(By.ID, "map-status").text


# --- Search and clusters --------------------------------------------------------------------------


def test_a_search_brings_the_map_to_its_results(live_server, browser):
    KehrizFactory(name="Uzaqdakı", district=district(QAZAX), status=Status.RESTORED)
    KehrizFactory(name="Axtarılan", district=district(GORANBOY), status=Status.RESTORED)
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 2)
    before = browser.execute_script("return window.kehrizMap.getZoom()")
    search = browser.find_element(By.NAME, "q")
    search.send_keys("axtarilan")
    markers_shown(browser, 1)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.kehrizMap.getZoom()") > before)
    inside = browser.execute_script(
        """var map = window.kehrizMap, found = false;
        map.eachLayer(function (l) {
          if (l.feature && l.feature.properties.name === 'Axtarılan') {
            found = map.getBounds().contains(l.getLatLng());
          }
        });
        return found;"""
    )
    assert inside
    screenshot(browser, "map-search-zoomed")


def test_cluster_icons_carry_no_status_colour(live_server, browser):
    # Twelve kəhriz at the same outlet: one cluster at any zoom below 13.
    for n in range(12):
        KehrizFactory(name=f"Yan-yana {n}", district=district(GORANBOY), status=Status.PLANNED)
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 12)
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-pane > *"))
    icon = browser.find_element(By.CSS_SELECTOR, ".leaflet-marker-pane > *")
    assert icon.text == "12"
    colours = browser.execute_script(
        """var out = [];
        [arguments[0]].concat(Array.from(arguments[0].querySelectorAll('*'))).forEach(function (e) {
          out.push(getComputedStyle(e).backgroundColor);
        });
        return out;""",
        icon,
    )
    for colour in colours:
        r, g, b, *alpha = (float(x) for x in re.findall(r"[\d.]+", colour))
        transparent = alpha and alpha[0] == 0
        assert transparent or (r == g == b), colours  # grey, white or black: no hue
    screenshot(browser, "map-cluster")
