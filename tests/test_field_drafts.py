"""Drafts survive: every field of a visit and of the observation being typed is kept on the phone
as it is typed, so that a page the phone kills (Android often does while the camera is open)
comes back with the visit, the observation as typed and its photos; a discarded draft takes its
photos with it. Real headless Chromium behind the test's proxy (tests/test_field_browser.py)."""

import pytest
from selenium.webdriver.common.by import By

from projects.models import MonitoringVisit, Observation, Photo
from tests.browser import screenshot
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    add_kehriz,
    by_id,
    card_state,
    choose_functionality,
    districts_and_roles,
    done_with_kehriz,
    officer,
    photo_file,
    places,
    proxy,
    quick_retries,
    save_and_send,
    set_position,
    sign_in,
    start_visit,
    state,
    tap,
    tap_in_card,
    visible,
    wait,
    wait_offline_ready,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHOTOS_ON_THE_PHONE = """
var done = arguments[arguments.length - 1];
indexedDB.open("kehriz-field").onsuccess = function (event) {
  var request = event.target.result.transaction("photos").objectStore("photos").getAll();
  request.onsuccess = function () {
    done(request.result.filter(function (p) { return p.state === "draft"; }).length);
  };
};
"""


def draft_photos(driver):
    return driver.execute_async_script(PHOTOS_ON_THE_PHONE)


KEPT_OPEN = """
var done = arguments[arguments.length - 1];
indexedDB.open("kehriz-field").onsuccess = function (event) {
  var request = event.target.result.transaction("visits").objectStore("visits").getAll();
  request.onsuccess = function () {
    done(request.result.map(function (v) { return JSON.stringify(v.open || null); }).join(" "));
  };
};
"""


def kept(driver, *typed):
    """The app says the draft is kept on the phone, and it is: with what was just typed."""
    wait(
        driver,
        lambda d: all(text in d.execute_async_script(KEPT_OPEN) for text in typed),
        message=f"{typed} kept on the phone",
    )
    assert by_id(driver, "draft-saved").is_displayed()


def kill_and_reopen(driver, url):
    """The page is killed (its tab closed, no unload handler runs) and the app opened again."""
    killed = driver.current_window_handle
    driver.switch_to.new_window("tab")
    fresh = driver.current_window_handle
    driver.switch_to.window(killed)
    driver.close()
    driver.switch_to.window(fresh)
    set_position(driver, url.split("/field/")[0], HERE)  # the new tab's position (CDP is per tab)
    driver.get(url)
    wait_ready(driver)


def test_a_killed_page_brings_back_the_observation_being_typed_and_its_photo(
    browser,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    tmp_path,
):
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    wait_offline_ready(browser)

    start_visit(browser, "Yarımçıq səfər")
    add_kehriz(browser, "karvansara", "Karvansara")
    choose_functionality(browser, "low_flow")
    by_id(browser, "obs-findings").send_keys("Hovuzun divarı çatlayıb")
    by_id(browser, "photo-input").send_keys(str(photo_file(tmp_path, 1200, 900)))
    caption = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#photos input[data-name=caption]"))[0]
    caption.send_keys("Çat")
    kept(browser, "Hovuzun divarı çatlayıb", '"caption":"Çat"')
    assert draft_photos(browser) == 1

    # Killed, then opened again (without signal, for good measure): the observation as typed,
    # with its photo, in its visit.
    proxy.mode = "offline"
    kill_and_reopen(browser, f"{proxy.url}/field/")
    visible(browser, "observation-view")
    assert by_id(browser, "observation-kehriz").text.startswith("Karvansara")
    assert by_id(browser, "obs-findings").get_attribute("value") == "Hovuzun divarı çatlayıb"
    assert browser.find_element(By.CSS_SELECTOR, "#obs-functionality input[value=low_flow]").is_selected()
    assert by_id(browser, "visit-title").get_attribute("value") == "Yarımçıq səfər"
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#photos li")
    assert row.find_element(By.CSS_SELECTOR, "input[data-name=caption]").get_attribute("value") == "Çat"
    wait(
        browser,
        lambda d: d.execute_script("return arguments[0].querySelector('img').naturalWidth", row) == 1200,
        message="the photo shown",
    )
    screenshot(browser, "field-draft-restored")

    # It goes on as if nothing happened.
    by_id(browser, "obs-findings").send_keys(" yenə")
    done_with_kehriz(browser)
    save_and_send(browser)
    proxy.mode = "online"
    tap(browser, by_id(browser, "send-now"))
    wait(browser, lambda d: card_state(d, "Yarımçıq səfər") == "sent", timeout=30, message="sent")
    wait(browser, lambda d: state(d, "photosWaiting") == "0", timeout=60, message="photo sent")
    observation = Observation.objects.get()
    assert (observation.visit.title, observation.findings, observation.functionality) == (
        "Yarımçıq səfər",
        "Hovuzun divarı çatlayıb yenə",
        "low_flow",
    )
    assert list(Photo.objects.values_list("caption", flat=True)) == ["Çat"]
    assert draft_photos(browser) == 0

    # A draft discarded takes its photos off the phone.
    start_visit(browser, "Atılan səfər")
    add_kehriz(browser, "sixlar", "Şıxlar")
    by_id(browser, "photo-input").send_keys(str(photo_file(tmp_path, 800, 600)))
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#photos li"))[0]
    kept(browser, f'"uuid":"{row.get_attribute("data-uuid")}"')
    kill_and_reopen(browser, f"{proxy.url}/field/")
    visible(browser, "observation-view")
    assert draft_photos(browser) == 1
    done_with_kehriz(browser)
    tap(browser, by_id(browser, "close-visit"))
    visible(browser, "home-view")
    tap_in_card(browser, "Atılan səfər", "button.discard")
    browser.switch_to.alert.accept()
    wait(browser, lambda d: card_state(d, "Atılan səfər") is None, message="discarded")
    wait(browser, lambda d: draft_photos(d) == 0, message="its photo gone")
    assert list(MonitoringVisit.objects.values_list("title", flat=True)) == ["Yarımçıq səfər"]
