"""A photo over a link too slow to carry it in one request, in a real headless Chromium.

The phone reaches the live server through ``SlowLink``, a small proxy that reads what the phone
sends at 20 kbit/s (2,500 bytes a second) and cuts any request still sending after 10 s, as a
carrier's gateway does; it can also drop every connection (the signal gone). A photo of about
60 kB takes 24 s to cross whole: sent in one request (the photo API) it never arrives; sent in
chunks it does, resuming after the drop where the server got to."""

import base64
import http.client
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from selenium.webdriver.common.by import By

from projects import photos
from projects.models import Photo, PhotoUpload
from tests.browser import screenshot
from tests.test_field_browser import (  # noqa: F401 (fixtures)
    HERE,
    HOP_BY_HOP,
    add_kehriz,
    by_id,
    card_state,
    choose_functionality,
    districts_and_roles,
    done_with_kehriz,
    officer,
    places,
    quick_retries,
    save_and_send,
    set_position,
    sign_in,
    start_visit,
    state,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BYTES_PER_SECOND = 2500  # 20 kbit/s
CUT_AFTER_S = 10


class SlowLink:
    """A proxy to the live server: request bodies are read at ``BYTES_PER_SECOND``; a request
    whose body takes longer than ``CUT_AFTER_S`` is cut (connection reset, nothing forwarded);
    ``offline`` drops every connection at once."""

    def __init__(self, upstream_url):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.offline = False
        self.lock = threading.Lock()
        # One request at a time to the server (see SignalProxy in tests/test_field_browser.py:
        # on SQLite the test server's threads share one database connection).
        self.upstream_lock = threading.Lock()
        self.log = []  # (method, path, body bytes, outcome)
        link = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _drop(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            def _read_slowly(self, length):
                """The body at the link's speed, or None when it is cut."""
                began = time.monotonic()
                body = bytearray()
                while len(body) < length:
                    if link.offline or time.monotonic() - began > CUT_AFTER_S:
                        return None
                    piece = self.rfile.read(min(250, length - len(body)))
                    if not piece:
                        return None
                    body += piece
                    # 250 bytes every 0.1 s: 2,500 bytes a second.
                    time.sleep(max(0, began + len(body) / BYTES_PER_SECOND - time.monotonic()))
                if time.monotonic() - began > CUT_AFTER_S:
                    return None
                return bytes(body)

            def _handle(self):
                path = self.path
                if link.offline:
                    link.record(self.command, path, 0, "dropped")
                    return self._drop()
                length = int(self.headers.get("Content-Length") or 0)
                body = self._read_slowly(length) if length else None
                if length and body is None:
                    link.record(self.command, path, length, "cut")
                    return self._drop()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(*link.upstream, timeout=60)
                try:
                    with link.upstream_lock:
                        upstream.request(self.command, path, body=body, headers=headers)
                        response = upstream.getresponse()
                        payload = response.read()
                        answer_headers = response.getheaders()
                        status, reason = response.status, response.reason
                finally:
                    upstream.close()
                link.record(self.command, path, length, status)
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

    def record(self, method, path, length, outcome):
        with self.lock:
            self.log.append((method, urlsplit(path).path, length, outcome))

    def entries(self, method=None, pattern=""):
        with self.lock:
            return [e for e in self.log if (method is None or e[0] == method) and re.search(pattern, e[1])]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_link(live_server):
    running = SlowLink(live_server.url).start()
    yield running
    running.stop()


def noise_photo(tmp_path):
    """A photo the phone keeps at about 60 kB (noise does not compress)."""
    import random

    rng = random.Random(7)
    width, height = 360, 260
    image = Image.frombytes(
        "RGB", (width, height), bytes(rng.getrandbits(8) for _ in range(width * height * 3))
    )
    path = tmp_path / "outlet.jpg"
    image.save(path, "JPEG", quality=95)
    return path


KEPT_PHOTO = """
var done = arguments[arguments.length - 1];
var open = indexedDB.open("kehriz-field");
open.onsuccess = function () {
  var get = open.result.transaction("photos").objectStore("photos").getAll();
  get.onsuccess = function () {
    var photo = get.result[0];
    if (!photo || !photo.blob) return done(null);
    var reader = new FileReader();
    reader.onload = function () { done([photo.uuid, photo.state, reader.result.split(",")[1]]); };
    reader.readAsDataURL(photo.blob);
  };
};
"""


def test_a_photo_too_big_for_one_request_over_a_slow_cut_link_arrives_whole_once(
    browser,
    live_server,
    slow_link,
    officer,  # noqa: F811
    places,  # noqa: F811
    tmp_path,
    settings,
):
    set_position(browser, slow_link.url, HERE)
    sign_in(browser, slow_link)
    slow_link.offline = True  # recorded without signal: the photo waits on the phone

    start_visit(browser, "Yavaş xətt")
    add_kehriz(browser, "karvansara", "Karvansara")
    choose_functionality(browser, "functional")
    by_id(browser, "photo-input").send_keys(str(noise_photo(tmp_path)))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#photos li img[src^=blob]"), message="photo")
    done_with_kehriz(browser)
    save_and_send(browser)
    wait(browser, lambda d: state(d, "photosWaiting") == "1", message="photo waiting")

    photo_uuid, photo_state, encoded = browser.execute_async_script(KEPT_PHOTO)
    kept = base64.b64decode(encoded)
    assert photo_state == "waiting"
    # Too big to cross in one request: at 2,500 bytes a second it needs more than 10 s.
    assert len(kept) / BYTES_PER_SECOND > 2 * CUT_AFTER_S, len(kept)

    slow_link.offline = False
    wait(browser, lambda d: card_state(d, "Yavaş xətt") == "sent", timeout=60, message="visit sent")
    # Part of the photo arrives; then the signal goes for a while.
    wait(
        browser,
        lambda d: PhotoUpload.objects.filter(received__gt=0).exists(),
        timeout=90,
        message="part of the photo on the server",
    )
    progress = wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".photo-progress progress"),
        message="progress shown",
    )[0]
    assert 0 < float(progress.get_attribute("value")) < len(kept)
    assert re.search(r"Foto 1|Photo 1", browser.find_element(By.CSS_SELECTOR, ".photo-progress").text)
    screenshot(browser, "field-photo-progress")
    got_before_drop = PhotoUpload.objects.get().received
    assert got_before_drop < len(kept)
    slow_link.offline = True
    time.sleep(4)
    slow_link.offline = False

    wait(browser, lambda d: state(d, "photosWaiting") == "0", timeout=150, message="photo sent")

    # Whole and once: one photo, one file, made from exactly the bytes the phone kept.
    photo = Photo.objects.get()
    assert str(photo.uuid) == photo_uuid
    assert Path(photo.image.path).read_bytes() == photos.clean_upload(ContentFile(kept)).read()
    assert [p.name for p in (Path(settings.MEDIA_ROOT) / "photos").iterdir()] == [Path(photo.image.name).name]
    assert not PhotoUpload.objects.exists()
    # In several requests, none of them longer than the link allows; nothing went in one piece.
    chunks = slow_link.entries("PUT", r"^/field/uploads/")
    stored = [length for _m, _p, length, outcome in chunks if outcome == 200]
    assert len(stored) >= 3
    assert max(stored) / BYTES_PER_SECOND <= CUT_AFTER_S
    assert any(outcome in ("cut", "dropped") for *_rest, outcome in chunks)
    assert not slow_link.entries("POST", r"^/api/v1/photos/")
    # After the drop it resumed where the server had got to, not from the start.
    offsets = [int(p.rstrip("/").rsplit("/", 1)[1]) for _m, p, _l, outcome in chunks if outcome == 200]
    assert offsets == sorted(offsets)
    assert sum(stored) == len(kept)  # no byte stored twice
    assert any(offset >= got_before_drop for offset in offsets[1:])
