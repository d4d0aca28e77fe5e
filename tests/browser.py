"""Real headless Chromium (Debian's chromium + chromium-driver) for tests of what people see.

Outside CI, when Chromium is not installed, browser tests are skipped with a loud warning; in CI
(CI=true) a missing Chromium fails them. Screenshots go to a temporary folder whose path the
session prints at the end (or to $TEST_ARTIFACTS_DIR)."""

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR") or tempfile.mkdtemp(prefix="kehriz-screens-"))


def require_chromium():
    if CHROMIUM and CHROMEDRIVER:
        return
    message = "Chromium or chromedriver missing: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(f"BROWSER TESTS SKIPPED: {message}", stacklevel=2)
    pytest.skip(message)


def start_chromium(width=1280, height=900, language="az"):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="kehriz-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--lang={language}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver._kehriz_profile = profile
    if width < 500:
        # Headless windows do not shrink below ~500 px: emulate a phone's viewport instead.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
        )
    return driver


def stop_chromium(driver):
    driver.quit()
    shutil.rmtree(driver._kehriz_profile, ignore_errors=True)


def screenshot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def unreachable_tiles_url():
    """A tile URL on this machine where nothing listens (a port just freed), so that every tile
    request is made and refused at once, as in a field office with no connection."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"


TILE_STATE = """
    var prefix = arguments[0].split("{")[0];
    var state = {requested: 0, failed: 0, loaded: 0, other: 0};
    document.querySelectorAll("img.leaflet-tile").forEach(function (img) {
      if (img.src.indexOf(prefix) !== 0) { state.other += 1; return; }
      state.requested += 1;
      if (img.classList.contains("leaflet-tile-loaded")) state.loaded += 1;
      else if (img.complete && img.naturalWidth === 0) state.failed += 1;
    });
    state.loadedAnywhere = document.querySelectorAll(".leaflet-tile-loaded").length;
    return state;
"""


def wait_for_failed_tiles(driver, tiles_url, timeout=15):
    """Wait until the map has asked ``tiles_url`` for tiles and every one of them has failed;
    returns the counts (tiles from any other address are counted as ``other``)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def settled(d):
        state = d.execute_script(TILE_STATE, tiles_url)
        return state if state["requested"] and state["failed"] == state["requested"] else False

    return WebDriverWait(driver, timeout).until(settled)


def sign_in_to_admin(driver, live_server_url, username="manager", password="a-long-pass-phrase"):
    """Create a superuser and sign in to the admin through its real login form."""
    from django.contrib.auth import get_user_model
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    get_user_model().objects.create_superuser(username, f"{username}@example.org", password)
    driver.get(f"{live_server_url}/admin/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "site-name")))
    return driver
