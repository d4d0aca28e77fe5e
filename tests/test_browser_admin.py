"""What a data manager sees in the admin, in a real headless Chromium."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects.models import Kehriz, MonitoringVisit
from tests.browser import screenshot, sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(browser, live_server):
    call_command("load_sample_data", verbosity=0)
    return sign_in_to_admin(browser, live_server.url)


def wait_for_map(browser, field):
    """Wait until the Leaflet map of ``field`` has drawn its geometry layer."""
    return WebDriverWait(browser, 15).until(
        lambda d: d.execute_script(
            f"var m = document.querySelector('#id_{field}-map');"
            "return m && m.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive').length;"
        )
    )


def test_kehriz_outlet_shows_on_the_admin_map_without_tiles(signed_in, live_server):
    """The machine has no network: tiles fail, yet the map and the outlet marker show."""
    kehriz = Kehriz.objects.get(code="CAB-HOR-ESGER")
    signed_in.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/change/")
    assert wait_for_map(signed_in, "outlet") >= 1
    # The admin speaks Azerbaijani by default.
    assert signed_in.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    assert "Əsgər" in signed_in.find_element(By.ID, "id_name").get_attribute("value")
    path = screenshot(signed_in, "admin-kehriz-change")
    assert path.stat().st_size > 10_000


def test_district_boundary_draws_on_the_admin_map(signed_in, live_server):
    from projects.models import District

    district = District.objects.get(osm_id=7861847)
    signed_in.get(f"{live_server.url}/admin/projects/district/{district.pk}/change/")
    assert wait_for_map(signed_in, "boundary") >= 1
    screenshot(signed_in, "admin-district-change")


def test_visit_lists_all_three_kehriz(signed_in, live_server):
    visit = MonitoringVisit.objects.get()
    signed_in.get(f"{live_server.url}/admin/projects/monitoringvisit/{visit.pk}/change/")
    page = signed_in.find_element(By.ID, "content").text
    for name in ("Əsgər", "Orta", "Karvansara"):
        assert name in page
    # The visit's map shows the outlet of each kəhriz visited, in both districts.
    markers = WebDriverWait(signed_in, 15).until(
        lambda d: d.execute_script(
            "var m = document.getElementById('visit-map');"
            "return m && m.dataset.markers && m.querySelectorAll('path.visit-map-outlet').length;"
        )
    )
    assert markers == 3
    screenshot(signed_in, "admin-visit-change")
