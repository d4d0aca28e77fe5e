"""A new version of the field app that reaches a phone while the officer's session has expired
can only make things better: the app's shell needs no session, so the new version installs whole
(and only then is the old one's cache deleted); offline the app opens, shows the queue and
records; the queued visits go, once each, when the officer signs in again."""

import pytest
from django.contrib.sessions.models import Session
from selenium.webdriver.common.by import By

from projects.models import MonitoringVisit
from projects.views import field
from tests.browser import screenshot
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    PASSWORD,
    VISITS,
    by_id,
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


def deploy_a_new_version(monkeypatch):
    """What a deployment changes for the phone: the service worker's script (and its version)."""
    read = field._read_static

    def changed(path):
        body = read(path)
        return body + b"\n// a new version\n" if path == field.SERVICE_WORKER else body

    monkeypatch.setattr(field, "_read_static", changed)


def update_service_worker(driver):
    """Ask the browser to look for a new service worker now, and wait until it has installed it
    or given it up. Returns the names of the caches the phone then keeps."""
    return driver.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        navigator.serviceWorker.getRegistration().then(function (registration) {
          return registration.update().catch(function () {}).then(function () {
            return new Promise(function (resolve) {
              (function settle() {
                if (!registration.installing && !registration.waiting) return resolve();
                setTimeout(settle, 100);
              })();
            });
          });
        }).then(function () { return caches.keys(); }).then(done, function (e) { done(String(e)); });
        """
    )


def app_caches(driver):
    """The names of the app's caches (one per version) the phone keeps."""
    return driver.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        caches.keys().then(function (keys) {
          done(keys.filter(function (k) { return k.indexOf("kehriz-field-") === 0; }));
        });
        """
    )


def test_an_update_while_signed_out_keeps_the_offline_app_and_its_queue(
    browser,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    monkeypatch,
):
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    wait_offline_ready(browser)
    update_service_worker(browser)
    before = app_caches(browser)

    proxy.mode = "offline"
    log_quick_visit(browser, "Yeniləmədən əvvəl", "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "1")

    # Back in signal, but the session has expired, and a new version has been deployed: it
    # installs whole all the same (the app's shell needs no session), and only then is the old
    # version's cache deleted.
    proxy.mode = "online"
    Session.objects.all().delete()
    deploy_a_new_version(monkeypatch)
    update_service_worker(browser)
    wait(browser, lambda d: len(app_caches(d)) == 1 and app_caches(d) != before, message="new version only")
    after = app_caches(browser)

    # Then the signal goes again: the new version opens, with the queue, knows whose it is, and
    # records.
    proxy.mode = "offline"
    browser.get(f"{proxy.url}/field/")
    wait_ready(browser)
    assert state(browser, "waiting") == "1"
    assert state(browser, "user") == "kamala"
    assert by_id(browser, "sync-bar").is_displayed()
    log_quick_visit(browser, "Yeniləmədən sonra", "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "2")
    screenshot(browser, "field-update-signed-out-offline")

    # Signal and a new sign-in: both visits go, once each, and the new version installs.
    proxy.mode = "online"
    browser.get(f"{proxy.url}/field/login/?next=/field/")
    browser.find_element(By.ID, "id_username").send_keys("kamala")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, ".field-login button[type=submit]").click()
    wait_ready(browser)
    wait(browser, lambda d: state(d, "waiting") == "0", timeout=60, message="both sent")
    assert sorted(MonitoringVisit.objects.values_list("title", flat=True)) == [
        "Yeniləmədən sonra",
        "Yeniləmədən əvvəl",
    ]
    assert proxy.posts(VISITS).count(201) == 2
    update_service_worker(browser)
    assert app_caches(browser) == after  # the new version stays
