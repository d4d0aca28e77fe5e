"""One phone, several officers: signing out locks the officer's waiting visits on the phone (they
go when that officer signs in again, under their name); nobody records under another's name; the
next officer neither sees nor sends them, and is told whose visits wait. Real headless Chromium
behind the test's proxy (tests/test_field_browser.py)."""

import pytest
from django.contrib.auth.models import Group, User
from selenium.webdriver.common.by import By

from projects import roles
from projects.models import MonitoringVisit
from tests.browser import screenshot
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    PASSWORD,
    VISITS,
    by_id,
    card_state,
    card_text,
    districts_and_roles,
    log_quick_visit,
    officer,
    places,
    proxy,
    quick_retries,
    set_position,
    sign_in,
    state,
    tap,
    wait,
    wait_offline_ready,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(driver, proxy, username):  # noqa: F811
    driver.get(f"{proxy.url}/field/")
    wait(driver, lambda d: d.find_elements(By.ID, "id_username"), message="sign-in page")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, ".field-login button[type=submit]").click()
    wait_ready(driver)
    wait(driver, lambda d: state(d, "user") == username, message=f"{username} signed in")


def sign_out(driver):
    tap(driver, driver.find_element(By.CSS_SELECTOR, "#sign-out-form button"))
    wait(driver, lambda d: d.find_elements(By.ID, "id_username"), message="signed out")


def others_waiting(driver):
    """What the app says of other officers' visits (read at once: the list is redrawn)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#others-waiting .other-officer'))"
        ".map(function (e) { return e.textContent; })"
    )


def kept_copies(driver, path):
    """How many of the service worker's caches keep ``path``."""
    return driver.execute_async_script(
        "var path = arguments[0], done = arguments[arguments.length - 1];"
        "caches.keys().then(function (keys) { return Promise.all(keys.map(function (key) {"
        "  return caches.open(key).then(function (cache) { return cache.match(path); }); })); })"
        ".then(function (found) { done(found.filter(Boolean).length); });",
        path,
    )


def test_a_second_officer_on_the_same_phone_cannot_see_or_send_the_first_ones_visits(
    browser,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    goranboy,
):
    rauf = User.objects.create_user("rauf", "rauf@example.org", PASSWORD)
    rauf.groups.add(Group.objects.get(name=roles.FIELD_OFFICER))
    goranboy.officers.add(rauf)
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    wait_offline_ready(browser)

    # Kamala's visit cannot reach the server for now (it answers 503 to it).
    proxy.fail(VISITS, "Kamalanın səfəri", 503)
    log_quick_visit(browser, "Kamalanın səfəri", "karvansara", "Karvansara")
    wait(browser, lambda d: "503" in (card_text(d, "Kamalanın səfəri", ".attempt") or ""), message="503")
    assert state(browser, "waiting") == "1"
    assert kept_copies(browser, "/field/districts.json") == 1  # the map's boundaries, for Kamala
    sign_out(browser)
    proxy.release()
    # Her kəhriz list and her districts' boundaries left the phone with her.
    assert kept_copies(browser, "/field/kehriz.json") == 0
    assert kept_copies(browser, "/field/districts.json") == 0

    # Signed out, the app (here without signal) records nothing under anyone's name, and says
    # whose visits wait.
    proxy.mode = "offline"
    browser.get(f"{proxy.url}/field/")
    wait_ready(browser)
    assert state(browser, "user") == ""
    assert not by_id(browser, "new-visit").is_enabled()
    assert browser.find_elements(By.CSS_SELECTOR, "#visit-list .visit-card") == []
    assert len(others_waiting(browser)) == 1 and "kamala" in others_waiting(browser)[0]
    screenshot(browser, "field-signed-out-offline")

    # Rauf signs in on the same browser: he neither sees nor sends Kamala's visit, and records his.
    proxy.mode = "online"
    sign_in_as(browser, proxy, "rauf")
    assert card_state(browser, "Kamalanın səfəri") is None
    assert state(browser, "waiting") == "0"
    assert "kamala" in " ".join(others_waiting(browser))
    log_quick_visit(browser, "Raufun səfəri", "sixlar", "Şıxlar")
    wait(browser, lambda d: card_state(d, "Raufun səfəri") == "sent", timeout=30, message="Rauf's sent")
    screenshot(browser, "field-second-officer")
    browser.execute_script("return window.kehrizField.sync()")
    assert list(MonitoringVisit.objects.values_list("title", "recorded_by__username")) == [
        ("Raufun səfəri", "rauf")
    ]
    assert card_state(browser, "Kamalanın səfəri") is None

    # Kamala signs in again: her visit goes, under her name; Rauf's is not hers to see.
    sign_out(browser)
    sign_in_as(browser, proxy, "kamala")
    wait(browser, lambda d: card_state(d, "Kamalanın səfəri") == "sent", timeout=30, message="Kamala's sent")
    assert card_state(browser, "Raufun səfəri") is None
    assert others_waiting(browser) == []  # Rauf's visit was sent: nothing of his waits
    assert sorted(MonitoringVisit.objects.values_list("title", "recorded_by__username")) == [
        ("Kamalanın səfəri", "kamala"),
        ("Raufun səfəri", "rauf"),
    ]
    assert proxy.posts(VISITS).count(201) == 2
