"""The public map in a real headless Chromium: what a visitor sees and does."""

import contextlib

import pytest
from django.core.management import call_command
from django.urls import reverse
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from projects.models import Kehriz
from tests.browser import (
    require_chromium,
    screenshot,
    start_chromium,
    stop_chromium,
    unreachable_tiles_url,
    wait_for_failed_tiles,
)
from tests.factories import KehrizFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tiles_url(settings):
    # Tiles from an address where nothing listens: every tile request fails, as in a field office
    # with no connection. The map must still show boundaries and markers.
    settings.MAP_TILES_URL = unreachable_tiles_url()
    settings.MAP_TILES_ATTRIBUTION = "Test tiles"
    return settings.MAP_TILES_URL


@pytest.fixture
def sample(tiles_url):
    call_command("load_sample_data", verbosity=0)


def test_the_map_form_without_javascript_sends_an_empty_status(client, tiles_url):
    """Not in a browser: the form always sends ``status=``, so a plain submit with no box ticked
    shows every status rather than the default (restored and handed over)."""
    html = client.get(reverse("projects:home")).content.decode()
    assert '<input type="hidden" name="status" value="">' in html
    # What a browser sends with nothing ticked, and with one box ticked.
    nothing = client.get(reverse("projects:home") + "?q=&status=&project=&donor=&handed_over_year=")
    assert nothing.context["form"]["status"].value() == []
    one = client.get(reverse("projects:home") + "?q=&status=&status=restored&project=")
    assert one.context["form"]["status"].value() == ["restored"]


def markers_shown(driver, expected, timeout=15):
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == str(expected)
    )


def open_map(driver, url):
    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return !!window.kehrizMap"))


def test_map_shows_the_sample_kehriz_and_boundaries_without_tiles(browser, live_server, sample, tiles_url):
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 3)
    boundaries = browser.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path').length"
    )
    assert boundaries >= 4  # the four programme districts
    # The page really asked the configured (unreachable) tile server, and every request failed.
    tiles = wait_for_failed_tiles(browser, tiles_url)
    assert tiles["requested"] > 0 and tiles["loaded"] == 0 and tiles["other"] == 0
    assert tiles["loadedAnywhere"] == 0
    assert "Test tiles" in browser.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution").text
    # Boundaries and markers are still drawn.
    paths = "return document.querySelectorAll('.leaflet-overlay-pane path').length"
    assert browser.execute_script(paths) >= 4
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "3"
    screenshot(browser, "map-desktop-all-statuses")


@pytest.mark.parametrize("page", ["map", "district", "kehriz"])
def test_every_map_takes_its_tiles_from_the_settings(client, settings, page):
    """Not in a browser: the rendered page names the configured tile server, not OpenStreetMap's."""
    call_command("load_sample_data", verbosity=0)
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = "Example tiles"
    from projects.models import Kehriz

    url = {
        "map": reverse("projects:home"),
        "district": reverse("projects:district", args=["cebrayil-rayonu"]),
        "kehriz": reverse("projects:kehriz", args=[Kehriz.objects.filter(is_published=True).first().pk]),
    }[page]
    html = client.get(url).content.decode()
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in html
    assert "Example tiles" in html
    assert "tile.openstreetmap.org" not in html


def test_default_view_shows_restored_and_handed_over_and_says_when_none_match(browser, live_server, sample):
    open_map(browser, f"{live_server.url}/")
    markers_shown(browser, 0)
    checked = [
        e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "input[name=status]:checked")
    ]
    assert checked == ["restored", "handed_over"]
    status = browser.find_element(By.ID, "map-status")
    WebDriverWait(browser, 5).until(lambda d: status.text)
    status.find_element(By.TAG_NAME, "a").click()
    markers_shown(browser, 3)


def test_district_filter_changes_the_markers_and_the_url(browser, live_server, sample):
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 3)
    browser.find_element(By.CSS_SELECTOR, "input[name=district][value=cebrayil-rayonu]").click()
    markers_shown(browser, 2)
    assert "district=cebrayil-rayonu" in browser.current_url
    # The URL is shareable: opening it again gives the same map.
    open_map(browser, browser.current_url)
    markers_shown(browser, 2)
    assert browser.find_element(By.CSS_SELECTOR, "input[name=district][value=cebrayil-rayonu]").is_selected()


def test_folded_text_search_filters_the_map(browser, live_server, sample):
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 3)
    browser.find_element(By.NAME, "q").send_keys("qaradagli")
    markers_shown(browser, 1)
    assert "q=qaradagli" in browser.current_url


def test_popup_leads_to_the_kehriz_page(browser, live_server, sample):
    # Narrow the map to one kəhriz (a lone marker is never clustered), then click it as a visitor would.
    open_map(browser, f"{live_server.url}/?status=&q=karvansara")
    markers_shown(browser, 1)
    find_marker = """
        var found = null;
        window.kehrizMap.eachLayer(function (layer) {
          var name = layer.feature && layer.feature.properties.name;
          if (name === 'Karvansara' && layer._path) found = layer._path;
        });
        return found;
    """

    def click_until_the_popup_opens(driver):
        # A click while the map is still settling (fitting the view, redrawing markers) is lost,
        # as it would be for a person: click again, as they would.
        popups = driver.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
        if popups:
            return popups[0]
        marker = driver.execute_script(find_marker)
        if marker:
            with contextlib.suppress(WebDriverException):
                marker.click()
        return False

    popup = WebDriverWait(browser, 15, poll_frequency=1).until(click_until_the_popup_opens)
    screenshot(browser, "map-popup-opening")
    assert "Karvansara" in popup.text
    assert "Qaradağlı" in popup.text
    popup.find_element(By.CSS_SELECTOR, "a.popup-link").click()
    WebDriverWait(browser, 10).until(lambda d: "/kehriz/" in d.current_url)
    assert "Karvansara" in browser.find_element(By.TAG_NAME, "h1").text


def test_a_marker_opens_with_the_keyboard_and_the_map_says_what_it_cannot_draw(browser, live_server, sample):
    # A second Karvansara whose outlet has not been located yet: counted, but not drawn.
    karvansara = Kehriz.objects.get(name="Karvansara")
    KehrizFactory(name="Karvansara II", district=karvansara.district, outlet=None)
    open_map(browser, f"{live_server.url}/?status=&q=karvansara")
    markers_shown(browser, 1)
    labels = browser.execute_script(
        "return JSON.parse(document.getElementById('map-config').textContent).labels"
    )
    count = browser.find_element(By.ID, "shown-count")
    assert count.text == f"(1 {labels['shown']}; 1 {labels['unmapped']})"

    def focused(driver):
        return driver.execute_script(
            "var e = document.activeElement; return e && (e.getAttribute('aria-label') || e.className.baseVal"
            " || e.className || e.tagName);"
        )

    # Tab from the top of the page, as a keyboard user does, until the marker has the focus.
    keys = ActionChains(browser)
    for _ in range(80):
        if focused(browser) == "Karvansara":
            break
        keys.send_keys(Keys.TAB).perform()
    assert focused(browser) == "Karvansara"
    assert browser.execute_script("return document.activeElement.getAttribute('role')") == "button"
    keys.send_keys(Keys.ENTER).perform()
    # The popup fades in: its text is visible once it has.
    WebDriverWait(browser, 10).until(
        lambda d: (
            "Qaradağlı"
            in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content"))
        )
    )
    assert "popup-link" in focused(browser)
    screenshot(browser, "map-popup-by-keyboard")
    keys.send_keys(Keys.ESCAPE).perform()
    WebDriverWait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content"))
    assert focused(browser) == "Karvansara"


def test_language_switch_changes_the_interface(browser, live_server, sample):
    open_map(browser, f"{live_server.url}/?status=")
    markers_shown(browser, 3)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    # A filter changed after the page loaded (the URL is updated without a reload)...
    browser.find_element(By.CSS_SELECTOR, "input[name=district][value=cebrayil-rayonu]").click()
    markers_shown(browser, 2)
    assert "Xəritə" in browser.find_element(By.CSS_SELECTOR, ".site-header nav").text
    Select(browser.find_element(By.ID, "language-select")).select_by_value("en")
    browser.find_element(By.CSS_SELECTOR, ".language button").click()
    # Read the language of whichever document is loaded (the old one goes away while we look).
    loaded_language = "return document.readyState === 'complete' && document.documentElement.lang"
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(loaded_language) == "en")
    assert "Map" in browser.find_element(By.CSS_SELECTOR, ".site-header nav").text
    assert "Restoration status" in browser.find_element(By.ID, "filters").text
    # ...survives the switch: same URL, same boxes ticked, same markers.
    assert "district=cebrayil-rayonu" in browser.current_url
    assert "status=" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "input[name=district][value=cebrayil-rayonu]").is_selected()
    markers_shown(browser, 2)


def test_map_on_a_phone(live_server, sample):
    require_chromium()
    phone = start_chromium(width=360, height=740)
    try:
        open_map(phone, f"{live_server.url}/?status=")
        markers_shown(phone, 3)
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "map-phone-360")
    finally:
        stop_chromium(phone)
