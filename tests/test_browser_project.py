"""The project page a donor is sent, in a real headless Chromium, on a phone and a desktop: the
districts and kəhriz on the map, the results with their progress bars, nothing wider than the
screen; and a counted figure's link opens the rows it counts."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import services
from projects.models import Indicator, Kehriz, Project, Reports, Status
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium, unreachable_tiles_url
from tests.factories import ResultIndicatorFactory, ResultPeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sample_project(settings):
    settings.MAP_TILES_URL = unreachable_tiles_url()
    call_command("load_sample_data", verbosity=0)
    project = Project.objects.get(code="iom-koica-kehriz")
    for code, day in (
        ("CAB-HOR-ESGER", datetime.date(2024, 9, 1)),
        ("CAB-HOR-ORTA", datetime.date(2024, 10, 1)),
    ):
        kehriz = Kehriz.objects.get(code=code)
        services.change_status(kehriz=kehriz, to_status=Status.RESTORED, on_date=day)
    restored = ResultIndicatorFactory(
        project=project,
        indicator=Indicator.RESTORED,
        title_az="Bərpa edilmiş kəhrizlər",
        title_en="Kəhriz restored",
        reports=Reports.COUNTED,
    )
    ResultPeriodFactory(
        indicator=restored, start=datetime.date(2024, 1, 1), end=datetime.date(2024, 12, 31), target=4
    )
    return project


@pytest.mark.parametrize("width", [1280, 360])
def test_the_project_page_on_a_phone_and_a_desktop(live_server, sample_project, width):
    require_chromium()
    driver = start_chromium(width=width, height=900)
    try:
        driver.get(live_server.url + reverse("projects:project", args=[sample_project.code]))
        # The sample's three kəhriz on the map, over the project's districts.
        WebDriverWait(driver, 15).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "3"
        )
        assert driver.find_elements(
            By.CSS_SELECTOR, "#district-map path.leaflet-interactive, #district-map svg path"
        )
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1
        bar = driver.find_element(By.CSS_SELECTOR, ".progress[aria-valuenow='50']")
        assert bar.find_element(By.TAG_NAME, "span").rect["width"] > 0
        driver.execute_script("arguments[0].scrollIntoView()", bar)
        screenshot(driver, f"project-{width}")
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, f"project-top-{width}")
        # The counted 2 opens the two kəhriz it counts.
        link = driver.find_element(By.XPATH, "//td[contains(@class, 'num')]/a[normalize-space()='2']")
        driver.execute_script("arguments[0].click()", link)
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "total"))
        assert driver.find_element(By.ID, "total").text == "2"
        names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tr.counted-row td:first-child a")]
        assert names == ["Əsgər", "Orta"]
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1
        screenshot(driver, f"project-rows-{width}")
    finally:
        stop_chromium(driver)
