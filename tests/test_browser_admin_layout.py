"""The admin at a desktop's 1,280 px, in Azerbaijani, in a real Chromium: an observation's page fits
the window, and a field officer who signs in to the admin is shown the way to the field app."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from projects import roles
from tests import factories
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase"


def sign_in(browser, live_server, username):
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def test_an_observation_page_fits_1280_pixels(browser, live_server, goranboy, media_in_tmp):
    manager = factories.UserFactory(username="menecer", roles=[roles.DATA_MANAGER])
    manager.set_password(PASSWORD)
    manager.save()
    observation = factories.ObservationFactory(kehriz=factories.KehrizFactory(district=goranboy))
    factories.PersonMetFactory(observation=observation, organisation="Beynəlxalq Miqrasiya Təşkilatı")
    factories.FollowUpFactory(observation=observation, responsible="Goranboy rayon icra hakimiyyəti")
    factories.PhotoFactory(observation=observation)
    sign_in(browser, live_server, "menecer")
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "site-name")))
    browser.get(f"{live_server.url}/admin/projects/observation/{observation.pk}/change/")
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "follow_ups-group")))
    assert browser.execute_script("return window.innerWidth") == 1280
    widths = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    # Every inline's inputs are on screen, not beyond the right edge.
    right = browser.execute_script(
        "return Math.max(...[...document.querySelectorAll('.inline-group input, .inline-group textarea,"
        " .inline-group select')].map(e => e.getBoundingClientRect().right))"
    )
    assert right <= widths[1]
    browser.execute_script("document.getElementById('follow_ups-group').scrollIntoView()")
    screenshot(browser, "admin-observation-1280")


def test_a_field_officer_at_the_admin_is_shown_the_field_app(browser, live_server, goranboy):
    officer = factories.UserFactory(username="sahe", roles=[roles.FIELD_OFFICER], is_staff=False)
    officer.set_password(PASSWORD)
    officer.save()
    goranboy.officers.add(officer)
    sign_in(browser, live_server, "sahe")
    note = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".errornote")))
    assert "yalnız məlumat menecerləri üçündür" in note.text
    screenshot(browser, "admin-login-field-officer")
    note.find_element(By.LINK_TEXT, "Sahə tətbiqini açın").click()
    WebDriverWait(browser, 10).until(lambda d: "/field/" in d.current_url)
