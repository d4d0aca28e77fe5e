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
