"""The field app on a 360 px phone, in Azerbaijani: a compact header, a sync bar only when a visit
waits, and no link to the admin (whose login refuses a field officer) for anyone without staff
status."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from projects import roles
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium
from tests.factories import UserFactory
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
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
)

ADMIN = reverse("admin:index")


def admin_links(driver):
    return driver.find_elements(By.CSS_SELECTOR, f".site-header a[href='{ADMIN}']")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_sync_bar_shows_only_while_a_visit_waits(live_server, proxy, officer, places):  # noqa: F811
    require_chromium()
    phone = start_chromium(width=360, height=740)
    try:
        set_position(phone, proxy.url, HERE)
        sign_in(phone, proxy)
        wait_offline_ready(phone)
        assert phone.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
        # Nothing waits: no sync bar, and the app starts near the top of the screen.
        assert not by_id(phone, "sync-bar").is_displayed()
        header = phone.find_element(By.CSS_SELECTOR, ".site-header").rect
        assert header["height"] <= 100, header
        assert by_id(phone, "new-visit").rect["y"] < 740 / 3
        # A field officer (no staff status) is not sent to the admin's login.
        assert admin_links(phone) == []
        screenshot(phone, "field-phone-nothing-waiting")

        proxy.mode = "offline"
        log_quick_visit(phone, "Siqnalsız səfər", "karvansara", "Karvansara")
        wait(phone, lambda d: state(d, "waiting") == "1", message="waiting")
        bar = by_id(phone, "sync-bar")
        assert bar.is_displayed()
        assert "Göndərilməyi gözləyən səfərlər: 1" in bar.text
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "field-phone-waiting")

        proxy.mode = "online"
        wait(phone, lambda d: state(d, "waiting") == "0", timeout=60, message="sent")
        wait(phone, lambda d: not by_id(d, "sync-bar").is_displayed(), message="bar gone")
    finally:
        stop_chromium(phone)


@pytest.mark.django_db
def test_the_data_entry_link_is_for_staff_only(client):
    in_the_field = UserFactory(username="sahə", roles=[roles.FIELD_OFFICER], is_staff=False)
    manager = UserFactory(username="menecer", roles=[roles.DATA_MANAGER])
    link = f'href="{ADMIN}"'

    client.force_login(in_the_field)
    for page in ("projects:home", "projects:about", "projects:field"):
        assert link not in client.get(reverse(page)).content.decode(), page
    client.force_login(manager)
    assert link in client.get(reverse("projects:home")).content.decode()
    client.logout()
    # Signed out: the link is how staff reach the admin's sign-in.
    assert link in client.get(reverse("projects:home")).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_each_visit_says_how_its_last_try_went_and_whose_visits_wait(
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    monkeypatch,
):
    from projects.views import field
    from tests.test_field_browser import VISITS, card_text, tap

    monkeypatch.setattr(field, "VISIT_TIMEOUT_S", 3)
    require_chromium()
    phone = start_chromium(width=360, height=740)
    try:
        set_position(phone, proxy.url, HERE)
        sign_in(phone, proxy)
        wait_offline_ready(phone)
        proxy.fail(VISITS, "Xətalı səfər", 500)
        proxy.hang(VISITS, "Asılı səfər")
        log_quick_visit(phone, "Xətalı səfər", "karvansara", "Karvansara")
        log_quick_visit(phone, "Asılı səfər", "karvansara", "Karvansara")
        wait(phone, lambda d: "500" in (card_text(d, "Xətalı səfər", ".attempt") or ""), message="500")
        wait(phone, lambda d: card_text(d, "Asılı səfər", ".attempt"), message="hung")
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "field-phone-each-its-own-state")

        # Signed out, without signal: nothing can be recorded, and the app says whose visits wait.
        tap(phone, phone.find_element(By.CSS_SELECTOR, "#sign-out-form button"))
        wait(phone, lambda d: d.find_elements(By.ID, "id_username"), message="signed out")
        proxy.release()
        proxy.mode = "offline"
        phone.get(f"{proxy.url}/field/")
        wait(phone, lambda d: state(d, "ready") == "1", message="ready")
        assert not by_id(phone, "new-visit").is_enabled()
        assert "kamala" in by_id(phone, "others-waiting").text
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "field-phone-signed-out")
    finally:
        proxy.release()
        stop_chromium(phone)
