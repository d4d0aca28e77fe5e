"""Background Sync (Chromium offers it): a visit recorded without signal goes with the app closed,
once, when the browser wakes the service worker with a connection; the app shows it sent when it
next opens. Real headless Chromium behind the test's proxy (tests/test_field_browser.py)."""

import pytest

from projects.models import MonitoringVisit
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    VISITS,
    card_state,
    districts_and_roles,
    log_quick_visit,
    officer,
    places,
    proxy,
    quick_retries,
    set_position,
    sign_in,
    state,
    wait,
    wait_offline_ready,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the browser does by itself when the connection returns (here asked from a page outside
# the app, so that no window of the app is open).
WAKE_THE_WORKER = """
var done = arguments[arguments.length - 1];
navigator.serviceWorker.getRegistration("/field/").then(function (registration) {
  return registration.sync.register("kehriz-field-send");
}).then(function () { done("asked"); }, function (error) { done(String(error)); });
"""


def test_a_visit_goes_with_the_app_closed(
    browser,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
):
    set_position(browser, proxy.url, HERE)
    # Chrome allows background sync by default; headless Chromium asks for the permission.
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["geolocation", "backgroundSync"], "origin": proxy.url},
    )
    sign_in(browser, proxy)
    wait_offline_ready(browser)
    proxy.mode = "offline"
    log_quick_visit(browser, "Arxa fonda səfər", "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "1")

    # The app is closed (the tab shows another page of the site), then the signal returns.
    proxy.mode = "online"
    browser.get(f"{proxy.url}/about/")
    assert browser.execute_async_script(WAKE_THE_WORKER) == "asked"
    wait(browser, lambda d: MonitoringVisit.objects.exists(), timeout=30, message="sent in the background")
    visit = MonitoringVisit.objects.get()
    assert (visit.title, visit.recorded_by.username) == ("Arxa fonda səfər", "kamala")

    # Opened again: it shows as sent, and it was sent once.
    browser.get(f"{proxy.url}/field/")
    wait_ready(browser)
    wait(browser, lambda d: card_state(d, "Arxa fonda səfər") == "sent", message="shown sent")
    assert state(browser, "waiting") == "0"
    assert MonitoringVisit.objects.count() == 1
    assert proxy.posts(VISITS).count(201) == 1
