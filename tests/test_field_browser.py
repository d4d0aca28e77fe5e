"""The field app in a real headless Chromium, with the signal taken away and given back.

The browser opens the app through ``SignalProxy``, a small HTTP proxy in front of the live server
that the test switches off (no signal: every connection dropped) or makes cut a POST after the
server stored it (the signal lost mid-send). The page and its service worker both go through it;
CDP's Network.emulateNetworkConditions does not reliably reach service workers."""

import http.client
import socket
import struct
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from PIL import Image
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import roles
from projects.models import District, Functionality, Kehriz, MonitoringVisit, Observation, Photo
from projects.text import fold
from projects.views import field
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium
from tests.factories import AGDAM_TOWN, GORANBOY_TOWN, KehrizFactory, VillageFactory, point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISITS = reverse("projects:api-visit-list")
PHOTOS = reverse("projects:api-photo-list")
# Photos go in chunks (upload.js): announced here, then sent and completed under it.
UPLOADS = reverse("projects:field-upload-start")
PASSWORD = "a-long-pass-phrase"
# The officer stands 80 m from Karvansara's outlet.
HERE = (GORANBOY_TOWN[0] + 0.001, GORANBOY_TOWN[1])


# --- The proxy ------------------------------------------------------------------------------------

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class SignalProxy:
    """``online``: forward every request; ``offline``: drop every connection unanswered;
    ``cut(path, n)``: forward the next n POSTs to ``path`` and drop the connection before the
    server's answer reaches the phone."""

    def __init__(self, upstream_url):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.mode = "online"
        self.lock = threading.Lock()
        # One request at a time to the server: the test server shares one database connection
        # between its threads on SQLite (in memory), where two of the app's concurrent sends
        # crossed their savepoints ("no such savepoint"). A phone's requests still overlap here.
        self.upstream_lock = threading.Lock()
        self._cuts = {}  # path → how many more POSTs to cut
        self._holds = {}  # (path, marker) → "hang" or an HTTP status to answer instead
        self.released = threading.Event()
        self.log = []  # (method, path, outcome)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _drop(self):
                """Close the connection at once, with a reset, and no answer."""
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            def _handle(self):
                path = self.path
                if proxy.mode == "offline":
                    proxy._record(self.command, path, "refused")
                    return self._drop()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                held = proxy._held(self.command, urlsplit(path).path, body)
                if held == "hang":
                    # Never answer: hold the connection until released, then drop it.
                    proxy._record(self.command, path, "hung")
                    proxy.released.wait(120)
                    return self._drop()
                if held:
                    proxy._record(self.command, path, held)
                    payload = b"<h1>Server Error (500)</h1>"
                    self.send_response_only(held, "Error")
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    with proxy.upstream_lock:
                        upstream.request(self.command, path, body=body, headers=headers)
                        response = upstream.getresponse()
                        payload = response.read()
                        answer_headers = response.getheaders()
                        status, reason = response.status, response.reason
                finally:
                    upstream.close()
                if self.command == "POST" and proxy._take_cut(urlsplit(path).path):
                    proxy._record(self.command, path, f"cut after {status}")
                    return self._drop()
                proxy._record(self.command, path, status)
                self.send_response_only(status, reason)
                for key, value in answer_headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, method, path, outcome):
        with self.lock:
            self.log.append((method, urlsplit(path).path, outcome))

    def _take_cut(self, path):
        with self.lock:
            left = self._cuts.get(path, 0)
            if left > 0:
                self._cuts[path] = left - 1
                return True
            return False

    def _held(self, method, path, body):
        with self.lock:
            if method != "POST" or not body:
                return None
            for (held_path, marker), what in self._holds.items():
                if held_path == path and marker in body:
                    return what
            return None

    def hang(self, path, marker):
        """POSTs to ``path`` whose body holds ``marker`` (text) get no answer, ever, until
        ``release``; they never reach the server."""
        with self.lock:
            self.released.clear()
            self._holds[(path, marker.encode())] = "hang"

    def fail(self, path, marker, status=500):
        """POSTs to ``path`` whose body holds ``marker`` get the server error ``status``, without
        reaching the server, until ``release``."""
        with self.lock:
            self._holds[(path, marker.encode())] = status

    def release(self):
        with self.lock:
            self._holds.clear()
        self.released.set()

    def cut(self, path, times):
        """Cut the answers of the next ``times`` POSTs to ``path`` (0: stop cutting)."""
        with self.lock:
            self._cuts[path] = times

    def posts(self, path):
        with self.lock:
            return [outcome for method, p, outcome in self.log if method == "POST" and p == path]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def proxy(live_server):
    running = SignalProxy(live_server.url).start()
    yield running
    running.stop()


@pytest.fixture
def quick_retries(monkeypatch):
    """Retry after 1 s, then every 2 s at most (60 s in real use), to keep the tests short."""
    monkeypatch.setattr(field, "RETRY_FIRST_S", 1)
    monkeypatch.setattr(field, "RETRY_MAX_S", 2)


@pytest.fixture
def places(goranboy, agdam):
    village = VillageFactory(name="Qaradağlı", district=goranboy)
    return {
        "karvansara": KehrizFactory(name="Karvansara", code="GOR-QAR-01", district=goranboy, village=village),
        # about 1.6 km and 4.2 km east of the officer
        "cayqovusan": KehrizFactory(
            name="Çayqovuşan",
            code="GOR-CAY-01",
            district=goranboy,
            outlet=point((GORANBOY_TOWN[0] + 0.02, GORANBOY_TOWN[1])),
        ),
        "sixlar": KehrizFactory(
            name="Şıxlar",
            code="GOR-SIX-01",
            district=goranboy,
            outlet=point((GORANBOY_TOWN[0] + 0.05, GORANBOY_TOWN[1])),
        ),
        "agbulaq": KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam, outlet=point(AGDAM_TOWN)),
    }


@pytest.fixture(autouse=True)
def districts_and_roles(transactional_db):
    """A transactional test empties the database after it: the next one reloads the districts
    and the field officers' group (both made once per session, or by migration, elsewhere)."""
    if not District.objects.exists():
        call_command("load_districts", verbosity=0)
    group, _created = Group.objects.get_or_create(name=roles.FIELD_OFFICER)
    codenames = [
        f"{action}_{model}"
        for model, actions in roles.ROLE_PERMISSIONS[roles.FIELD_OFFICER].items()
        for action in actions
    ]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="projects", codename__in=codenames)
    )


@pytest.fixture
def officer(goranboy, media_in_tmp, quick_retries):
    user = User.objects.create_user("kamala", "kamala@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name=roles.FIELD_OFFICER))
    goranboy.officers.add(user)
    return user


def set_position(driver, origin, lon_lat, accuracy=12):
    driver.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["geolocation"], "origin": origin})
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": lon_lat[1], "longitude": lon_lat[0], "accuracy": accuracy},
    )
    # The phone's day is Baku's, as the server's.
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Baku"})


def wait(driver, condition, timeout=30, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message)


def state(driver, key):
    return driver.execute_script("return document.getElementById('field-app').dataset[arguments[0]]", key)


def sign_in(driver, proxy):
    driver.get(f"{proxy.url}/field/")
    driver.find_element(By.ID, "id_username").send_keys("kamala")
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, ".field-login button[type=submit]").click()
    wait_ready(driver)


def wait_ready(driver):
    wait(
        driver,
        lambda d: d.find_elements(By.ID, "field-app") and state(d, "ready") == "1",
        message="app ready",
    )


def wait_offline_ready(driver):
    """The service worker controls the page and keeps the app and the kəhriz list."""
    wait(driver, lambda d: state(d, "offlineReady") == "1", message="service worker")
    wait(
        driver,
        lambda d: d.execute_async_script(
            """
            var done = arguments[arguments.length - 1];
            caches.keys().then(function (keys) {
              return Promise.all(keys.map(function (key) {
                return caches.open(key).then(function (cache) {
                  return Promise.all([cache.match('/field/'), cache.match('/field/kehriz.json')]);
                });
              }));
            }).then(function (found) {
              done(found.some(function (pair) { return pair[0] && pair[1]; }));
            }, function () { done(false); });
            """
        ),
        message="app and kəhriz list kept",
    )


def tap(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def visible(driver, element_id):
    return wait(driver, lambda d: by_id(d, element_id).is_displayed(), message=element_id)


def start_visit(driver, title):
    tap(driver, by_id(driver, "new-visit"))
    visible(driver, "visit-view")
    by_id(driver, "visit-title").send_keys(title)


def add_kehriz(driver, search, name):
    tap(driver, by_id(driver, "add-kehriz"))
    visible(driver, "picker-view")
    box = by_id(driver, "kehriz-search")
    box.clear()
    box.send_keys(search)
    choice = wait(
        driver,
        lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#kehriz-choices .choice") if name in b.text],
        message=f"choice {name}",
    )[0]
    tap(driver, choice)
    visible(driver, "observation-view")
    # The position is recorded when the observation opens.
    wait(driver, lambda d: "±" in by_id(d, "position-text").text, message="position")


def choose_functionality(driver, value):
    tap(driver, driver.find_element(By.CSS_SELECTOR, f"#obs-functionality input[value={value}]"))


def done_with_kehriz(driver):
    tap(driver, by_id(driver, "save-observation"))
    visible(driver, "visit-view")


def save_and_send(driver):
    tap(driver, by_id(driver, "save-visit"))
    visible(driver, "home-view")


CARD = """
var title = arguments[0];
return Array.from(document.querySelectorAll('#visit-list .visit-card')).find(function (c) {
  return c.querySelector('h3').textContent === title;
}) || null;
"""


def card_state(driver, title):
    """The state of a visit's card, read at once (the list is redrawn as sending goes on)."""
    return driver.execute_script(
        "var c = (function () {" + CARD + "}).apply(null, arguments); return c && c.dataset.state;", title
    )


def card_text(driver, title, selector):
    return driver.execute_script(
        "var c = (function () {"
        + CARD
        + "}).apply(null, arguments); var e = c && c.querySelector(arguments[1]);"
        "return e ? e.textContent : null;",
        title,
        selector,
    )


def tap_in_card(driver, title, selector):
    """Tap a button of a visit's card, again if the list was redrawn in between."""

    def attempt(d):
        try:
            button = d.execute_script(
                "var c = (function () {"
                + CARD
                + "}).apply(null, arguments); return c && c.querySelector(arguments[1]);",
                title,
                selector,
            )
            tap(d, button)
            return True
        except StaleElementReferenceException:
            return False

    wait(driver, attempt, message=f"{selector} of {title}")


def log_quick_visit(driver, title, search, name):
    start_visit(driver, title)
    add_kehriz(driver, search, name)
    choose_functionality(driver, "functional")
    done_with_kehriz(driver)
    save_and_send(driver)


def photo_file(tmp_path, width=3000, height=2000):
    path = tmp_path / "outlet.jpg"
    Image.new("RGB", (width, height), "#2a7ab0").save(path, "JPEG", quality=80)
    return path


# --- Online ---------------------------------------------------------------------------------------


def test_a_visit_with_two_kehriz_and_a_photo_on_a_phone(live_server, proxy, officer, places, tmp_path):
    require_chromium()
    phone = start_chromium(width=360, height=740)
    try:
        set_position(phone, proxy.url, HERE)
        sign_in(phone, proxy)
        assert state(phone, "kehriz") == "3"  # Goranboy's three, not Ağdam's

        # The phone folds what is typed exactly as the server does.
        samples = [
            "Cəbrayıl",
            "CƏBRAYIL",
            "İSMAYILLI",
            "Qaradağlı",
            "Şığı",
            "Xəlifə",
            "Karvansara-2",
            " Orta  kəhriz ",
        ]
        assert phone.execute_script("return arguments[0].map(window.kehrizField.fold)", samples) == [
            fold(s) for s in samples
        ]

        start_visit(phone, "Bahar yoxlaması")
        by_id(phone, "visit-organisations").send_keys("IOM, KOICA")
        tap(phone, by_id(phone, "add-kehriz"))
        visible(phone, "picker-view")
        # Nearest first, from the phone's position.
        wait(phone, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#kehriz-choices .choice .distance")) == 3)
        names = [e.text for e in phone.find_elements(By.CSS_SELECTOR, "#kehriz-choices .choice .name")]
        assert names == ["Karvansara", "Çayqovuşan", "Şıxlar"]
        screenshot(phone, "field-picker-360")
        tap(phone, by_id(phone, "close-picker"))

        # Karvansara: bucket timings averaged, a person met, a follow-up, a photo.
        add_kehriz(phone, "qaradagli", "Karvansara")
        assert not by_id(phone, "far").is_displayed()
        choose_functionality(phone, "low_flow")
        from selenium.webdriver.support.ui import Select

        Select(by_id(phone, "obs-method")).select_by_value("bucket")
        visible(phone, "bucket-helper")
        by_id(phone, "bucket-litres").send_keys("10")
        phone.find_element(By.CSS_SELECTOR, "#bucket-timings input").send_keys("2")
        tap(phone, by_id(phone, "add-timing"))
        phone.find_elements(By.CSS_SELECTOR, "#bucket-timings input")[1].send_keys("3")
        wait(phone, lambda d: by_id(d, "obs-discharge").get_attribute("value") == "4.00")
        # the average timing, written as Azerbaijani writes it
        assert "2,5 san" in by_id(phone, "bucket-result").text
        assert "4,00 l/san" in by_id(phone, "bucket-result").text
        by_id(phone, "obs-findings").send_keys("Hovuzda təmiz su.")
        tap(phone, by_id(phone, "add-person"))
        Select(phone.find_element(By.CSS_SELECTOR, "#people select[data-name=role]")).select_by_value(
            "kankan"
        )
        phone.find_element(By.CSS_SELECTOR, "#people input[data-name=name]").send_keys("Əli Quliyev")
        tap(phone, by_id(phone, "add-follow-up"))
        phone.find_element(By.CSS_SELECTOR, "#follow-ups textarea[data-name=action]").send_keys(
            "7-ci quyunu beton halqalarla bərkitmək"
        )
        by_id(phone, "photo-input").send_keys(str(photo_file(tmp_path)))
        caption = wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, "#photos input[data-name=caption]"))[
            0
        ]
        caption.send_keys("Çıxış hovuzu")
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "field-observation-360")
        done_with_kehriz(phone)

        # Çayqovuşan: 1.6 km away (flagged), and an unusually high discharge to confirm.
        add_kehriz(phone, "cayqovusan", "Çayqovuşan")
        assert by_id(phone, "far").is_displayed()
        choose_functionality(phone, "functional")
        Select(by_id(phone, "obs-method")).select_by_value("weir")
        by_id(phone, "obs-discharge").send_keys("150")
        visible(phone, "unusual")
        tap(phone, by_id(phone, "save-observation"))
        assert by_id(phone, "observation-view").is_displayed()  # asked to confirm, not saved
        assert by_id(phone, "obs-discharge-error").text
        tap(phone, by_id(phone, "obs-confirm-unusual"))
        done_with_kehriz(phone)

        save_and_send(phone)
        wait(phone, lambda d: card_state(d, "Bahar yoxlaması") == "sent", message="sent")
        wait(phone, lambda d: state(d, "photosWaiting") == "0", message="photo sent")
        assert state(phone, "waiting") == "0"
        # Nothing waits any more: the sync bar is gone (its count says 0).
        assert by_id(phone, "waiting-count").get_attribute("textContent") == "0"
        assert not by_id(phone, "sync-bar").is_displayed()
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(phone, "field-home-sent-360")
    finally:
        stop_chromium(phone)

    visit = MonitoringVisit.objects.get()
    assert visit.title == "Bahar yoxlaması"
    assert visit.organisations == "IOM, KOICA"
    assert visit.recorded_by == officer
    karvansara = visit.observations.get(kehriz=places["karvansara"])
    assert (karvansara.functionality, karvansara.discharge_lps, karvansara.discharge_method) == (
        "low_flow",
        Decimal("4.00"),
        "bucket",
    )
    assert karvansara.findings == "Hovuzda təmiz su."
    assert not karvansara.needs_review
    assert karvansara.observer_accuracy_m == Decimal("12.0")
    assert karvansara.observer_location.coords == pytest.approx(HERE)
    assert [p.name for p in karvansara.people_met.all()] == ["Əli Quliyev"]
    assert [f.action for f in karvansara.follow_ups.all()] == ["7-ci quyunu beton halqalarla bərkitmək"]
    photo = Photo.objects.get()
    assert photo.observation == karvansara
    assert photo.caption == "Çıxış hovuzu"
    with Image.open(photo.image.path) as image:
        assert max(image.size) == 1600  # shrunk on the phone from 3000 × 2000
    cayqovusan = visit.observations.get(kehriz=places["cayqovusan"])
    assert cayqovusan.discharge_lps == Decimal("150.00")
    assert cayqovusan.needs_review
    assert "1.6" in cayqovusan.review_note  # km from the outlet
    assert "150" in cayqovusan.review_note  # unusually high
    # The kəhriz's current state follows the new observation.
    assert Kehriz.objects.get(pk=places["karvansara"].pk).functionality == Functionality.LOW_FLOW
    assert Kehriz.objects.get(pk=places["cayqovusan"].pk).last_discharge_lps == Decimal("150.00")


# --- Offline ---------------------------------------------------------------------------------------


def test_visits_logged_offline_arrive_once_when_the_signal_returns(
    browser, live_server, proxy, officer, places
):
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    wait_offline_ready(browser)

    proxy.mode = "offline"
    log_quick_visit(browser, "Offline one", "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "1")
    log_quick_visit(browser, "Offline two", "sixlar", "Şıxlar")
    wait(browser, lambda d: state(d, "waiting") == "2")
    assert by_id(browser, "waiting-count").text == "2"
    assert card_state(browser, "Offline one") == card_state(browser, "Offline two") == "queued"

    # No signal: the app still opens, from the service worker, with its queue and kəhriz list.
    browser.refresh()
    wait_ready(browser)
    assert state(browser, "kehriz") == "3"
    assert state(browser, "waiting") == "2"
    screenshot(browser, "field-offline-waiting")
    assert any(outcome == "refused" for _m, _p, outcome in proxy.log)  # it did try
    assert MonitoringVisit.objects.count() == 0

    proxy.mode = "online"
    wait(browser, lambda d: state(d, "waiting") == "0", timeout=60, message="both sent")
    assert card_state(browser, "Offline one") == card_state(browser, "Offline two") == "sent"
    assert sorted(MonitoringVisit.objects.values_list("title", flat=True)) == ["Offline one", "Offline two"]
    assert Observation.objects.count() == 2
    assert proxy.posts(VISITS).count(201) == 2


def test_a_connection_cut_mid_send_then_a_retry_gives_one_of_each(
    browser, live_server, proxy, officer, places, tmp_path
):
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    proxy.cut(VISITS, 1000)  # the server stores the visit; the phone never hears back
    proxy.cut(UPLOADS, 1)  # the photo's announcement: stored, the answer lost

    start_visit(browser, "Cut mid-send")
    add_kehriz(browser, "karvansara", "Karvansara")
    choose_functionality(browser, "dry")
    by_id(browser, "photo-input").send_keys(str(photo_file(tmp_path, 800, 600)))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#photos li"))
    done_with_kehriz(browser)
    save_and_send(browser)

    # Two attempts, both stored by the server and both cut: the phone still waits.
    wait(browser, lambda d: len(proxy.posts(VISITS)) >= 2, message="a retry")
    assert MonitoringVisit.objects.count() == 1
    assert state(browser, "waiting") == "1"
    assert card_state(browser, "Cut mid-send") == "queued"

    proxy.cut(VISITS, 0)
    wait(browser, lambda d: card_state(d, "Cut mid-send") == "sent", timeout=60, message="sent")
    wait(browser, lambda d: state(d, "photosWaiting") == "0", timeout=60, message="photo sent")
    assert (MonitoringVisit.objects.count(), Observation.objects.count(), Photo.objects.count()) == (1, 1, 1)
    visits = proxy.posts(VISITS)
    assert visits[0] == "cut after 201" and visits[-1] == 200
    announced = proxy.posts(UPLOADS)
    assert announced[0].startswith("cut after") and len(announced) >= 2
    assert Kehriz.objects.get(pk=places["karvansara"].pk).functionality == Functionality.DRY


# --- Refused ---------------------------------------------------------------------------------------


def test_a_refused_visit_shows_the_reason_and_can_be_sent_again_or_discarded(
    browser, live_server, proxy, officer, places, goranboy
):
    set_position(browser, proxy.url, HERE)
    sign_in(browser, proxy)
    proxy.mode = "offline"
    log_quick_visit(browser, "To send again", "karvansara", "Karvansara")
    log_quick_visit(browser, "To discard", "karvansara", "Karvansara")
    wait(browser, lambda d: state(d, "waiting") == "2")

    # Meanwhile a data manager takes Goranboy from the officer.
    goranboy.officers.remove(officer)
    proxy.mode = "online"
    wait(browser, lambda d: state(d, "refused") == "2", timeout=60, message="refused")
    assert state(browser, "waiting") == "0"
    assert MonitoringVisit.objects.count() == 0

    with translation.override("az"):  # the phone speaks Azerbaijani
        reason = translation.gettext(
            "%(kehriz)s is not in your districts: you cannot record visits to it."
        ) % {"kehriz": "Karvansara (GOR-QAR-01)"}
    assert card_state(browser, "To send again") == "refused"
    assert reason in card_text(browser, "To send again", ".reasons")
    screenshot(browser, "field-refused")

    tap_in_card(browser, "To discard", "button.discard")
    browser.switch_to.alert.accept()
    wait(browser, lambda d: card_state(d, "To discard") is None, message="discarded")

    goranboy.officers.add(officer)
    tap_in_card(browser, "To send again", "button.resend")
    wait(browser, lambda d: card_state(d, "To send again") == "sent", timeout=60, message="sent")
    assert list(MonitoringVisit.objects.values_list("title", flat=True)) == ["To send again"]
