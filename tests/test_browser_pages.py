"""The kəhriz page, district page and dashboard in a real headless Chromium, with screenshots at
desktop and phone widths."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import services
from projects.models import Kehriz, MonitoringVisit, Observation, Status
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
    # Every tile request fails at once, and none leaves this machine.
    settings.MAP_TILES_URL = unreachable_tiles_url()
    return settings.MAP_TILES_URL


@pytest.fixture
def asger(tiles_url):
    """Əsgər from the sample data, restored in 2024, with flow measured before and after."""
    call_command("load_sample_data", verbosity=0)
    kehriz = Kehriz.objects.get(code="CAB-HOR-ESGER")
    services.change_status(kehriz=kehriz, to_status=Status.RESTORED, on_date=datetime.date(2024, 9, 1))
    for month, lps in ((4, "3.1"), (6, "2.4"), (10, "8.9"), (12, "9.6")):
        day = datetime.date(2024 if month > 3 else 2025, month, 10)
        visit = MonitoringVisit.objects.create(title=f"Flow check {month}", start_date=day, end_date=day)
        Observation.objects.create(
            visit=visit,
            kehriz=kehriz,
            observed_on=day,
            functionality="functional",
            discharge_lps=Decimal(lps),
            discharge_method="bucket",
        )
    services.refresh_current_state([kehriz.pk])
    return kehriz


def test_kehriz_page_shows_the_visit_and_the_discharge_chart(browser, live_server, asger, tiles_url):
    browser.get(f"{live_server.url}/kehriz/{asger.pk}/")
    assert "Əsgər" in browser.find_element(By.TAG_NAME, "h1").text
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "BMqT və KOICA-nın Cəbrayıl və Goranboy rayonlarına monitorinq səfəri" in page
    # The discharge chart (drawn wide and narrow, one shown), not the map's SVG.
    charts = [svg for svg in browser.find_elements(By.CSS_SELECTOR, "svg.chart-svg") if svg.is_displayed()]
    assert len(charts) == 1
    chart = charts[0]
    assert chart.size["width"] > 300
    measured = Observation.objects.filter(kehriz=asger, discharge_lps__isnull=False).count()
    assert measured >= 4
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.chart-point")) == measured
    assert len(chart.find_elements(By.CSS_SELECTOR, "polyline.chart-line")) == 1
    assert len(chart.find_elements(By.CSS_SELECTOR, "line.chart-marker")) == 1  # the restoration date
    # The map draws the outlet even though no tile loads.
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-icon').length"
        )
    )
    tiles = wait_for_failed_tiles(browser, tiles_url)
    assert tiles["loaded"] == 0 and tiles["other"] == 0
    screenshot(browser, "kehriz-page-desktop")


def test_district_map_says_how_many_kehriz_it_cannot_draw(browser, live_server, asger):
    KehrizFactory(name="Yeri bilinməyən", district=asger.district, outlet=None)
    drawn = Kehriz.objects.filter(district=asger.district, outlet__isnull=False).count()
    browser.get(live_server.url + reverse("projects:district", args=[asger.district.slug]))
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == str(drawn)
    )
    labels = browser.execute_script(
        "return JSON.parse(document.getElementById('district-config').textContent).labels"
    )
    assert browser.find_element(By.ID, "map-status").text == f"1 {labels['unmapped']}"


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_of_every_page(live_server, asger, width):
    require_chromium()
    driver = start_chromium(width=width, height=900)
    try:
        for name, path in (
            ("map", "/?status="),
            ("kehriz", f"/kehriz/{asger.pk}/"),
            ("district", "/districts/cebrayil-rayonu/"),
            ("dashboard", "/dashboard/"),
        ):
            driver.get(live_server.url + path)
            WebDriverWait(driver, 10).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )
            # Nothing wider than the screen: no sideways scrolling of the whole page on a phone.
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1, name
            if width == 360:
                # The header is two rows on a phone (brand and language; the links, scrolling
                # sideways), not the four it took: the page starts near the top of the screen.
                header = driver.find_element(By.CSS_SELECTOR, ".site-header").rect
                assert header["height"] <= 100, (name, header)
                # Every link stays reachable: the last one scrolls into view and can be tapped.
                last = driver.find_elements(By.CSS_SELECTOR, ".site-header nav a")[-1]
                driver.execute_script("arguments[0].scrollIntoView({inline: 'end'})", last)
                assert last.rect["x"] >= 0 and last.rect["x"] + last.rect["width"] <= width + 1, name
            screenshot(driver, f"{name}-{width}")
    finally:
        stop_chromium(driver)
