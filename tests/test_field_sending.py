"""Independent sends: a visit whose request never answers, or that the server fails, holds up none
of the others; each card says how its own last try went; the hung one goes once the server
answers again. Real headless Chromium behind the test's proxy (tests/test_field_browser.py)."""

import pytest
from selenium.webdriver.common.by import By

from projects.models import MonitoringVisit
from projects.views import field
from tests.browser import screenshot
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
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
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label(driver, key):
    return driver.execute_script(
        "return JSON.parse(document.getElementById('field-config').textContent).labels[arguments[0]]", key
    )


def test_a_visit_that_never_answers_holds_up_none_behind_it(
    browser,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(field, "VISIT_TIMEOUT_S", 3)  # 30 s in real use
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    wait_offline_ready(browser)

    # Three visits without signal, the oldest first; then a fourth.
    proxy.mode = "offline"
    for title in ("Cavabsız səfər", "İkinci səfər", "Üçüncü səfər", "Xətalı səfər"):
        log_quick_visit(browser, title, "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "4")

    # The signal returns, but the oldest visit's request never answers, and the server fails
    # the newest with an error of its own.
    proxy.hang(VISITS, "Cavabsız səfər")
    proxy.fail(VISITS, "Xətalı səfər", 500)
    proxy.mode = "online"
    tap(browser, by_id(browser, "send-now"))
    wait(
        browser,
        lambda d: card_state(d, "İkinci səfər") == card_state(d, "Üçüncü səfər") == "sent",
        timeout=25,
        message="the two behind the hung one sent",
    )
    assert sorted(MonitoringVisit.objects.values_list("title", flat=True)) == ["Üçüncü səfər", "İkinci səfər"]
    assert card_state(browser, "Cavabsız səfər") == "queued"
    assert card_state(browser, "Xətalı səfər") == "queued"

    # Each waiting card says how its own last try went.
    server_problem = label(browser, "serverProblem").replace("%(status)s", "500")
    wait(browser, lambda d: card_text(d, "Xətalı səfər", ".attempt") == server_problem, message="500 shown")
    wait(
        browser,
        lambda d: card_text(d, "Cavabsız səfər", ".attempt") == label(d, "noAnswer"),
        timeout=15,
        message="no answer in time shown",
    )
    assert by_id(browser, "sync-bar").is_displayed()
    assert "hung" in proxy.posts(VISITS)
    screenshot(browser, "field-sending-hung-and-failed")

    # The server answers again: both go, once each.
    proxy.release()
    wait(
        browser,
        lambda d: card_state(d, "Cavabsız səfər") == card_state(d, "Xətalı səfər") == "sent",
        timeout=30,
        message="the hung and the failed one sent",
    )
    assert MonitoringVisit.objects.count() == 4
    assert proxy.posts(VISITS).count(201) == 4
    assert state(browser, "waiting") == "0"
    assert not browser.find_elements(By.CSS_SELECTOR, "#visit-list .attempt")
