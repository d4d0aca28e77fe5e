"""A data manager, in Azerbaijani, on a desktop and a 360 px phone: corrects a kəhriz's figure in
the admin, opens its history, reads who changed what (old → new), and reverts to the earlier
version, which the history then lists as a change of its own."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from projects.models import Kehriz, Status
from tests.browser import screenshot
from tests.factories import KehrizFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_correct_a_figure_read_the_history_and_revert(admin_desktop_and_phone, live_server, goranboy):
    kehriz = KehrizFactory(name="Karvansara", district=goranboy, households_served=12, status=Status.PLANNED)
    driver = admin_desktop_and_phone
    width = driver._kehriz_width
    wait = WebDriverWait(driver, 10)

    driver.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/change/")
    field = wait.until(EC.presence_of_element_located((By.ID, "id_households_served")))
    field.clear()
    field.send_keys("40")
    driver.execute_script("document.querySelector('input[name=_save]').click()")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))

    driver.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/history/")
    table = wait.until(EC.presence_of_element_located((By.ID, "change-history")))
    # The column names (on a phone, hidden above the cards, which repeat them).
    headers = [th.get_attribute("textContent") for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["Tarix/vaxt", "Əməliyyat", "Dəyişdirən", "Haradan", "Səbəb", "Dəyişikliklər"]
    newest = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
    assert "Su ilə təmin olunan ev təsərrüfatları: 12 → 40" in newest.text
    assert "manager" in newest.text and "admin" in newest.text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1
    screenshot(driver, f"admin-history-az-{width}")

    # The oldest version (created), then "Bu versiyaya qaytar".
    table.find_elements(By.CSS_SELECTOR, "tbody tr")[-1].find_element(By.TAG_NAME, "a").click()
    revert = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "input[name=_save]")))
    assert revert.get_attribute("value") == "Bu versiyaya qaytar"
    screenshot(driver, f"admin-history-revert-az-{width}")
    driver.execute_script("arguments[0].click()", revert)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert Kehriz.objects.get(pk=kehriz.pk).households_served == 12

    driver.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/history/")
    newest = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#change-history tbody tr")))
    assert "versiyaya qaytarıldı" in newest.text
    assert "40 → 12" in newest.text
