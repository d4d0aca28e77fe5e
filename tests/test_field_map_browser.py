"""The field app's map in a real headless Chromium, on a 360 px phone, in Azerbaijani: viewed once
with a connection, then opened again with none (the site behind a switched-off proxy, the tile
server stopped): the officer's kəhriz and district are drawn from what the phone keeps, with the
tiles viewed before (no more than the bound), and tapping a kəhriz starts its observation."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from projects.views import field_map
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    by_id,
    districts_and_roles,
    officer,
    places,
    proxy,
    quick_retries,
    set_position,
    sign_in,
    visible,
    wait,
    wait_offline_ready,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TILES_KEPT = 5


class TileServer:
    """A tile server on this machine: the same small PNG for every tile, with CORS (as
    OpenStreetMap's); it counts what it is asked and can be stopped (no signal)."""

    def __init__(self):
        out = io.BytesIO()
        Image.new("RGB", (256, 256), "#d8e8c8").save(out, "PNG")
        png = out.getvalue()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(png)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tile_server(settings, monkeypatch):
    running = TileServer()
    settings.MAP_TILES_URL = running.url
    settings.MAP_TILES_ATTRIBUTION = "Test tiles"
    monkeypatch.setattr(field_map, "TILES_KEPT", TILES_KEPT)
    yield running
    running.stop()


@pytest.fixture
def phone():
    require_chromium()
    driver = start_chromium(width=360, height=740, language="az")
    yield driver
    stop_chromium(driver)


MAP_STATE = """
var map = document.getElementById('field-map');
return {
  ready: map.dataset.ready,
  kehriz: document.querySelectorAll('#field-map .field-map-kehriz').length,
  names: Array.from(document.querySelectorAll('#field-map .field-map-kehriz'))
    .map(function (m) { return m.title; }),
  boundaries: document.querySelectorAll('#field-map path.field-map-district').length,
  position: map.dataset.position || null,
  tilesLoaded: document.querySelectorAll('#field-map img.leaflet-tile-loaded').length,
  tiles: document.querySelectorAll('#field-map img.leaflet-tile').length
};
"""

KEPT_TILES = """
var done = arguments[arguments.length - 1];
caches.open('kehriz-map-tiles').then(function (cache) { return cache.keys(); })
  .then(function (keys) { done(keys.length); }, function () { done(-1); });
"""


def open_map(driver):
    by_id(driver, "open-map").click()
    visible(driver, "map-view")
    wait(driver, lambda d: d.execute_script(MAP_STATE)["ready"] == "1", message="map drawn")
    wait(driver, lambda d: d.execute_script(MAP_STATE)["position"], message="position on the map")


def test_the_map_shows_the_officers_kehriz_offline_and_a_tap_starts_an_observation(
    phone,
    live_server,
    proxy,  # noqa: F811
    officer,  # noqa: F811
    places,  # noqa: F811
    tile_server,
):
    set_position(phone, proxy.url, HERE)
    sign_in(phone, proxy)
    wait_offline_ready(phone)

    # Online: the map is viewed once; its tiles are kept, no more than the bound.
    open_map(phone)
    wait(phone, lambda d: d.execute_script(MAP_STATE)["tilesLoaded"] > TILES_KEPT, message="tiles")
    online = phone.execute_script(MAP_STATE)
    assert sorted(online["names"]) == sorted(["Karvansara", "Çayqovuşan", "Şıxlar"])
    wait(phone, lambda d: d.execute_async_script(KEPT_TILES) == TILES_KEPT, message="tiles kept")
    asked_online = tile_server.requests
    assert asked_online > TILES_KEPT

    # No signal at all: the site and the tile server are both gone. The app opens from the phone.
    proxy.mode = "offline"
    tile_server.stop()
    phone.get(f"{proxy.url}/field/")
    wait_ready(phone)
    open_map(phone)
    offline = phone.execute_script(MAP_STATE)
    # Goranboy's three kəhriz (not Ağdam's), Goranboy's boundary, the officer's position.
    assert sorted(offline["names"]) == sorted(["Karvansara", "Çayqovuşan", "Şıxlar"])
    assert offline["boundaries"] == 1
    lat, lon = (float(v) for v in offline["position"].split(","))
    assert (round(lon, 4), round(lat, 4)) == (round(HERE[0], 4), round(HERE[1], 4))
    # The tiles viewed before come from the phone (nothing could reach the tile server).
    wait(phone, lambda d: d.execute_script(MAP_STATE)["tilesLoaded"] >= 1, message="kept tiles shown")
    assert tile_server.requests == asked_online
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(phone, "field-map-offline-360")

    # Tapping a kəhriz shows its name; its button starts its observation in a new visit.
    marker = phone.find_element(By.CSS_SELECTOR, '#field-map .field-map-kehriz[title="Karvansara"]')
    marker.click()
    popup = wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, ".field-map-popup"), message="popup")[0]
    assert popup.find_element(By.CSS_SELECTOR, ".name").text == "Karvansara"
    assert "GOR-QAR-01" in popup.find_element(By.CSS_SELECTOR, ".where").text
    screenshot(phone, "field-map-popup-360")
    popup.find_element(By.CSS_SELECTOR, "button.start-observation").click()
    visible(phone, "observation-view")
    assert by_id(phone, "observation-kehriz").text == "Karvansara (GOR-QAR-01)"
    # The observation is of a visit being recorded: done with it, the visit lists it.
    phone.find_element(By.CSS_SELECTOR, "#obs-functionality input[value=functional]").click()
    by_id(phone, "save-observation").click()
    visible(phone, "visit-view")
    cards = phone.find_elements(By.CSS_SELECTOR, "#observation-list .observation-card h3")
    assert [c.text for c in cards] == ["Karvansara"]

    # Within a visit, the kəhriz picker opens the same map: the kəhriz tapped joins this visit.
    by_id(phone, "add-kehriz").click()
    visible(phone, "picker-view")
    by_id(phone, "picker-map").click()
    visible(phone, "map-view")
    wait(phone, lambda d: d.execute_script(MAP_STATE)["ready"] == "1", message="map drawn again")
    phone.find_element(By.CSS_SELECTOR, '#field-map .field-map-kehriz[title="Şıxlar"]').click()
    wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, ".field-map-popup button"), message="popup")[
        0
    ].click()
    visible(phone, "observation-view")
    assert by_id(phone, "observation-kehriz").text == "Şıxlar (GOR-SIX-01)"
    phone.find_element(By.CSS_SELECTOR, "#obs-functionality input[value=dry]").click()
    by_id(phone, "save-observation").click()
    visible(phone, "visit-view")
    cards = phone.find_elements(By.CSS_SELECTOR, "#observation-list .observation-card h3")
    assert [c.text for c in cards] == ["Karvansara", "Şıxlar"]
