"""A data manager, in Azerbaijani, on a desktop and a 360 px phone: deletes a kəhriz in the
admin, is told it is in the trash, opens the trash and restores it with its status history."""

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from projects.models import Kehriz, Status, StatusEvent
from tests.browser import screenshot
from tests.factories import KehrizFactory, StatusEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_delete_then_restore_from_the_trash(admin_desktop_and_phone, live_server, goranboy):
    kehriz = KehrizFactory(name="Zəyəm", code="GOR-ZEY-01", district=goranboy, status=Status.IDENTIFIED)
    StatusEventFactory(kehriz=kehriz, to_status=Status.IDENTIFIED, changed_on=datetime.date(2023, 1, 5))
    driver = admin_desktop_and_phone
    width = driver._kehriz_width
    wait = WebDriverWait(driver, 15)

    driver.get(f"{live_server.url}/admin/projects/kehriz/{kehriz.pk}/delete/")
    confirm = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "form input[type=submit]")))
    driver.execute_script("arguments[0].click()", confirm)
    message = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .info")))
    assert "zibil qutusundadır" in message.text
    assert not Kehriz.objects.filter(pk=kehriz.pk).exists()
    message.find_element(By.LINK_TEXT, "Zibil qutusunu aç").click()

    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#result_list tbody tr")))
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Zibil qutusu")
    # What was deleted, with what, by whom, through which door; in Azerbaijani.
    for shown in ("Zəyəm (GOR-ZEY-01)", "1 status dəyişikliyi", "manager", "admin"):
        assert shown in row.text, (shown, row.text)
    screenshot(driver, f"admin-trash-az-{width}")
    driver.execute_script("arguments[0].click()", row.find_element(By.CSS_SELECTOR, "input.action-select"))
    Select(driver.find_element(By.NAME, "action")).select_by_value("restore_selected")
    driver.execute_script("arguments[0].click()", driver.find_element(By.CSS_SELECTOR, "button[name=index]"))
    done = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert "geri qaytarıldı" in done.text
    assert Kehriz.objects.get(pk=kehriz.pk).name == "Zəyəm"
    assert StatusEvent.objects.filter(kehriz_id=kehriz.pk).count() == 1
    screenshot(driver, f"admin-trash-restored-az-{width}")
