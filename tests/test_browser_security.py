"""Data is text, never HTML, and every page works under the strict Content-Security-Policy: in a
real headless Chromium.

Kəhriz, village and person names carry script payloads. Every tooltip, popup and page the test
hovers or opens shows them as literal text, and nothing runs (``window.__xss`` stays undefined,
no alert). A listener put in every document before any page script (CDP
``Page.addScriptToEvaluateOnNewDocument``) collects each ``securitypolicyviolation``: every page
must load with none, and still work (markers drawn, Swagger UI listing operations, the admin's map
widgets holding a Leaflet map)."""

import csv
import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects import services
from projects.models import District, Kehriz, MonitoringVisit, Observation, Status
from tests.browser import (
    ARTIFACTS,
    require_chromium,
    screenshot,
    start_chromium,
    stop_chromium,
    unreachable_tiles_url,
)
from tests.factories import (
    CEBRAYIL,
    CEBRAYIL_TOWN,
    GORANBOY,
    GORANBOY_TOWN,
    QAZAX,
    QAZAX_TOWN,
    FollowUpFactory,
    KehrizFactory,
    PersonMetFactory,
    VillageFactory,
    point,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'

KEHRIZ_IMG = f"Əsgər {IMG}"
KEHRIZ_SCRIPT = f"Orta {SCRIPT}"
KEHRIZ_SVG = f"Karvansara {SVG}"
VILLAGE = f"Kənd {SVG}"
PERSON = f"Kankan {SCRIPT}"
FOLLOW_UP = f"Clean the shafts {IMG}"
VISIT = f"Visit {IMG}"

PASSWORD = "a-long-pass-phrase"

# In every document, before any of its scripts: collect the policy's violations and any alert.
WATCH = """
window.__csp = [];
window.__alerts = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample
  });
}, true);
["alert", "prompt"].forEach(function (name) {
  window[name] = function (message) { window.__alerts.push(name + ": " + String(message)); };
});
"""

# Markup that data must never become: inline handlers anywhere, or a script of ours carrying
# the payload (JSON data blocks carry the names as data, which is fine).
HOSTILE = """
var found = [];
document.querySelectorAll("*").forEach(function (el) {
  for (var i = 0; i < el.attributes.length; i++) {
    if (/^on/i.test(el.attributes[i].name)) found.push(el.outerHTML.slice(0, 160));
  }
});
document.querySelectorAll("script").forEach(function (s) {
  if (s.type !== "application/json" && s.textContent.indexOf("__xss") !== -1) {
    found.push(s.outerHTML.slice(0, 160));
  }
});
document.querySelectorAll('img[src="x"], svg[onload]').forEach(function (el) {
  found.push(el.outerHTML.slice(0, 160));
});
return found;
"""


def start(width=1280, height=900):
    require_chromium()
    driver = start_chromium(width=width, height=height)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    return driver


@pytest.fixture
def browser():
    driver = start()
    yield driver
    stop_chromium(driver)


@pytest.fixture
def phone():
    driver = start(width=360, height=740)
    yield driver
    stop_chromium(driver)


def loaded(driver, url):
    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def assert_clean(driver, where):
    """No violation of the policy, no payload run, no alert, no markup made of data."""
    state = driver.execute_script(
        "return {csp: window.__csp, xss: typeof window.__xss, alerts: window.__alerts};"
    )
    assert state["csp"] == [], f"{where}: CSP violations {state['csp']}"
    assert state["xss"] == "undefined", f"{where}: a payload ran"
    assert state["alerts"] == [], f"{where}: alerts {state['alerts']}"
    assert driver.execute_script(HOSTILE) == [], f"{where}: markup made of data"


def hover(driver, element):
    ActionChains(driver).move_to_element(element).perform()


def hover_point(driver, container, x, y):
    """Move the mouse to (x, y) pixels of ``container`` (Selenium offsets from its centre)."""
    size = container.size
    ActionChains(driver).move_to_element_with_offset(
        container, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).perform()


def overlay(driver, selector, expected, action=None):
    """The open tooltip or popup whose text contains ``expected``: its text and how many elements
    that data must never become it holds. ``action`` (a hover, say) is done again until it opens:
    a map that is still settling may redraw a marker under the pointer."""

    def find(d):
        if action:
            action()
        for element in d.find_elements(By.CSS_SELECTOR, selector):
            found = d.execute_script(
                "var e = arguments[0]; return [e.textContent,"
                " e.querySelectorAll('img, svg, script, [onerror], [onload]').length];",
                element,
            )
            if expected in found[0]:
                return {"text": found[0], "markup": found[1]}
        return False

    return WebDriverWait(driver, 10, poll_frequency=0.5).until(find, f"{selector} with {expected!r}")


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def districts():
    """A transactional test empties the database after it: load the districts again."""
    if not District.objects.exists():
        call_command("load_districts", verbosity=0)


@pytest.fixture
def tiles(settings):
    # Tiles from an address where nothing listens (no request leaves this machine); its origin
    # is in img-src through kehriz/csp.py, so their failing is not a policy violation.
    settings.MAP_TILES_URL = unreachable_tiles_url()
    return settings.MAP_TILES_URL


@pytest.fixture
def hostile(tiles):
    """Three kəhriz in three districts (three separate markers on the main map), whose names, a
    village's name, a person's name, a follow-up and a visit's title carry script payloads."""
    goranboy = District.objects.get(osm_id=GORANBOY)
    village = VillageFactory(name=VILLAGE, district=goranboy, location=point(GORANBOY_TOWN))
    img = KehrizFactory(
        name=KEHRIZ_IMG,
        code="XSS-IMG",
        district=goranboy,
        village=village,
        status=Status.RESTORED,
        mother_well=point((GORANBOY_TOWN[0] + 0.01, GORANBOY_TOWN[1] + 0.005)),
        notes=f"Notes {IMG}",
    )
    script = KehrizFactory(
        name=KEHRIZ_SCRIPT,
        code="XSS-SCR",
        district=District.objects.get(osm_id=CEBRAYIL),
        outlet=point(CEBRAYIL_TOWN),
        status=Status.HANDED_OVER,
    )
    svg = KehrizFactory(
        name=KEHRIZ_SVG,
        code="XSS-SVG",
        district=District.objects.get(osm_id=QAZAX),
        outlet=point(QAZAX_TOWN),
        status=Status.RESTORED,
    )
    day = datetime.date(2025, 3, 13)
    visit = MonitoringVisit.objects.create(title=VISIT, start_date=day, end_date=day, organisations="IOM")
    observations = [
        Observation.objects.create(
            visit=visit,
            kehriz=kehriz,
            observed_on=day,
            functionality="functional",
            discharge_lps=Decimal("4.20"),
            discharge_method="bucket",
            findings=f"Findings {SVG}",
            # Far enough from the outlet for the two markers not to overlap on the admin's map.
            observer_location=point((kehriz.outlet.x, kehriz.outlet.y + 0.12)),
        )
        for kehriz in (img, script, svg)
    ]
    PersonMetFactory(observation=observations[0], name=PERSON, organisation=f"Org {IMG}")
    FollowUpFactory(observation=observations[0], action=FOLLOW_UP, responsible=SVG)
    services.refresh_current_state([img.pk, script.pk, svg.pk])
    return {"img": img, "script": script, "svg": svg, "visit": visit, "observations": observations}


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("manager", "manager@example.org", PASSWORD)


def admin_sign_in(driver, live_server):
    loaded(driver, f"{live_server.url}/admin/login/")
    driver.find_element(By.NAME, "username").send_keys("manager")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "site-name"))
    assert_clean(driver, "admin login")


# --- The public pages: tooltips and popups ------------------------------------------------------


def test_map_tooltips_and_popups_show_names_as_text(browser, live_server, hostile):
    loaded(browser, f"{live_server.url}/")
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "3"
    )
    markers = {}
    for element in browser.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive[role=button]"):
        markers[element.get_attribute("aria-label")] = element
    assert set(markers) == {KEHRIZ_IMG, KEHRIZ_SCRIPT, KEHRIZ_SVG}

    for name, element in markers.items():
        tooltip = overlay(browser, ".leaflet-tooltip", name, lambda element=element: hover(browser, element))
        assert tooltip == {"text": name, "markup": 0}
    screenshot(browser, "security-map-tooltip")

    markers[KEHRIZ_IMG].click()
    popup = overlay(browser, ".leaflet-popup-content", KEHRIZ_IMG)
    assert VILLAGE in popup["text"] and popup["markup"] == 0
    link = browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content a.popup-link")
    assert link.get_attribute("href").endswith(f"/kehriz/{hostile['img'].pk}/")
    screenshot(browser, "security-map-popup")
    assert_clean(browser, "map")

    # A filter that finds nothing says so, with a link, built as text too.
    browser.find_element(By.ID, "id_q").send_keys("no such kəhriz anywhere")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#map-status a[href='?status=']")
    )
    assert_clean(browser, "map, nothing found")


def test_district_page_tooltip_and_popup_show_names_as_text(browser, live_server, hostile):
    loaded(browser, live_server.url + reverse("projects:district", args=[hostile["img"].district.slug]))
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-markers") == "1"
    )
    assert KEHRIZ_IMG in browser.find_element(By.CSS_SELECTOR, "table.kehriz-list").text
    assert VILLAGE in browser.find_element(By.CSS_SELECTOR, "table.kehriz-list").text
    # Canvas markers: hover the outlet's pixel.
    outlet = hostile["img"].outlet
    x, y = browser.execute_script(
        "var p = window.districtMap.latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];",
        outlet.y,
        outlet.x,
    )
    container = browser.find_element(By.ID, "district-map")
    tooltip = overlay(browser, ".leaflet-tooltip", KEHRIZ_IMG, lambda: hover_point(browser, container, x, y))
    assert tooltip == {"text": KEHRIZ_IMG, "markup": 0}
    ActionChains(browser).click().perform()
    popup = overlay(browser, ".leaflet-popup-content", KEHRIZ_IMG)
    assert VILLAGE in popup["text"] and popup["markup"] == 0
    screenshot(browser, "security-district-popup")
    assert_clean(browser, "district page")


def test_kehriz_page_shows_every_name_as_text(browser, live_server, hostile, superuser):
    url = live_server.url + reverse("projects:kehriz", args=[hostile["img"].pk])
    loaded(browser, url)
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-map-features") == "2"
    )
    assert KEHRIZ_IMG in browser.find_element(By.TAG_NAME, "h1").text
    page = browser.find_element(By.TAG_NAME, "main").text
    for text in (VILLAGE, f"Org {IMG}", FOLLOW_UP, VISIT, f"Findings {SVG}"):
        assert text in page, text
    # The map's tooltips (the outlet and the mother well).
    labels = browser.execute_script(
        "return JSON.parse(document.getElementById('kehriz-geo').textContent).labels"
    )
    for element in browser.find_elements(By.CSS_SELECTOR, "#kehriz-map path.leaflet-interactive"):
        hover(browser, element)
    overlay(browser, ".leaflet-tooltip", labels["outlet"])
    screenshot(browser, "security-kehriz-page")
    assert_clean(browser, "kəhriz page")

    # Signed in, the page also names the people met.
    admin_sign_in(browser, live_server)
    loaded(browser, url)
    assert PERSON in browser.find_element(By.TAG_NAME, "main").text
    assert_clean(browser, "kəhriz page, signed in")


# --- Every page: zero violations, and it still works --------------------------------------------


def public_pages(hostile):
    return [
        ("map", "/?status=", "return document.body.dataset.markers === '3'"),
        (
            "district",
            reverse("projects:district", args=[hostile["img"].district.slug]),
            "return document.body.dataset.markers === '1'",
        ),
        (
            "kehriz",
            reverse("projects:kehriz", args=[hostile["img"].pk]),
            "return document.body.dataset.mapFeatures === '2'",
        ),
        ("dashboard", "/dashboard/", "return !!document.querySelector('svg.bar-chart, main h1')"),
        ("about", "/about/", "return !!document.querySelector('main h1')"),
    ]


@pytest.mark.parametrize("width", [1280, 360])
def test_public_pages_load_without_violations(live_server, hostile, width):
    driver = start(width=width, height=900 if width > 500 else 740)
    try:
        for name, path, works in public_pages(hostile):
            loaded(driver, live_server.url + path)
            WebDriverWait(driver, 15).until(lambda d, works=works: d.execute_script(works), name)
            if name in ("map", "district", "kehriz"):
                # A Leaflet map with its tiles asked for (they fail: no network here).
                WebDriverWait(driver, 15).until(
                    lambda d: d.execute_script("return document.querySelectorAll('img.leaflet-tile').length")
                )
            screenshot(driver, f"security-{name}-{width}")
            assert_clean(driver, f"{name} at {width} px")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1, name
    finally:
        stop_chromium(driver)


def test_api_docs_render_swagger_ui_without_violations(browser, live_server, hostile):
    loaded(browser, live_server.url + reverse("projects:api-docs"))
    operations = WebDriverWait(browser, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) or False, "Swagger UI operations"
    )
    assert operations > 20
    assert "Kəhriz API" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    # Open one operation: its details render too.
    browser.find_element(By.CSS_SELECTOR, ".opblock .opblock-summary").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-body"))
    screenshot(browser, "security-api-docs")
    assert_clean(browser, "API docs")


# --- The field app ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 360])
def test_field_app_shows_names_as_text_without_violations(
    live_server, hostile, superuser, media_in_tmp, width
):
    driver = start(width=width, height=900 if width > 500 else 740)
    try:
        loaded(driver, f"{live_server.url}/field/")
        driver.find_element(By.ID, "id_username").send_keys("manager")
        driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, ".field-login button[type=submit]").click()

        def app(d, key):
            return d.execute_script(
                "var a = document.getElementById('field-app'); return a && a.dataset[arguments[0]];", key
            )

        WebDriverWait(driver, 20).until(lambda d: app(d, "ready") == "1", "field app ready")
        assert app(driver, "kehriz") == "3"
        # The service worker (registered under the policy) controls the page; the manifest loaded.
        WebDriverWait(driver, 20).until(lambda d: app(d, "offlineReady") == "1", "service worker")
        manifest = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "fetch(document.querySelector('link[rel=manifest]').href).then(function (r) { return r.json(); })"
            ".then(function (m) { done(m.name || m.short_name || ''); }, function () { done(''); });"
        )
        assert manifest
        assert_clean(driver, "field app, home")

        driver.find_element(By.ID, "new-visit").click()
        driver.find_element(By.ID, "visit-title").send_keys(VISIT)
        driver.find_element(By.ID, "add-kehriz").click()
        driver.find_element(By.ID, "kehriz-search").send_keys("esger")
        choice = WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#kehriz-choices button.choice")
        )[0]
        assert choice.find_element(By.CSS_SELECTOR, ".name").text == KEHRIZ_IMG
        assert VILLAGE in choice.find_element(By.CSS_SELECTOR, ".where").text
        screenshot(driver, f"security-field-picker-{width}")
        choice.click()
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "observation-view").is_displayed())
        assert KEHRIZ_IMG in driver.find_element(By.ID, "observation-kehriz").text
        driver.find_element(By.ID, "add-person").click()
        driver.find_element(By.CSS_SELECTOR, "#people input[data-name=name]").send_keys(PERSON)
        driver.find_element(By.ID, "save-observation").click()
        card = WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#observation-list .observation-card h3")
        )[0]
        assert card.text == KEHRIZ_IMG
        driver.find_element(By.ID, "save-draft").click()
        visit = WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#visit-list .visit-card")
        )[0]
        assert visit.find_element(By.TAG_NAME, "h3").text == VISIT
        assert KEHRIZ_IMG in visit.find_element(By.CSS_SELECTOR, ".names").text
        screenshot(driver, f"security-field-home-{width}")
        assert_clean(driver, "field app, after a visit")
    finally:
        stop_chromium(driver)


# --- The admin ----------------------------------------------------------------------------------


def leaflet_map_in(driver, selector):
    """A Leaflet map in ``selector``: its container, its zoom control and its drawn layers."""
    return WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(
            "var m = document.querySelector(arguments[0]);"
            "return !!(m && m.classList.contains('leaflet-container')"
            " && m.querySelector('.leaflet-control-zoom'));",
            selector,
        ),
        f"Leaflet map in {selector}",
    )


def drawn_in(driver, selector):
    return WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(
            "var m = document.querySelector(arguments[0]);"
            "return m && m.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive').length;",
            selector,
        ),
        f"geometry drawn in {selector}",
    )


def test_admin_pages_with_maps_work_without_violations(browser, live_server, hostile, superuser):
    admin_sign_in(browser, live_server)
    img = hostile["img"]

    loaded(browser, f"{live_server.url}/admin/projects/kehriz/")
    rows = browser.find_element(By.ID, "result_list").text
    for name in (KEHRIZ_IMG, KEHRIZ_SCRIPT, KEHRIZ_SVG):
        assert name in rows
    screenshot(browser, "security-admin-kehriz-list")
    assert_clean(browser, "admin kəhriz list")

    loaded(browser, f"{live_server.url}/admin/projects/kehriz/add/")
    for field in ("outlet", "mother_well", "route"):
        leaflet_map_in(browser, f"#id_{field}-map")
    assert browser.find_elements(By.CSS_SELECTOR, "#id_outlet-map .leaflet-draw")
    screenshot(browser, "security-admin-kehriz-add")
    assert_clean(browser, "admin kəhriz add")

    loaded(browser, f"{live_server.url}/admin/projects/kehriz/{img.pk}/change/")
    assert drawn_in(browser, "#id_outlet-map") >= 1
    assert drawn_in(browser, "#id_mother_well-map") >= 1
    assert browser.find_element(By.ID, "id_name").get_attribute("value") == KEHRIZ_IMG
    screenshot(browser, "security-admin-kehriz-change")
    assert_clean(browser, "admin kəhriz change")

    loaded(browser, f"{live_server.url}/admin/projects/village/{img.village.pk}/change/")
    assert drawn_in(browser, "#id_location-map") >= 1
    assert_clean(browser, "admin village change")

    loaded(browser, f"{live_server.url}/admin/projects/district/{img.district.pk}/change/")
    assert drawn_in(browser, "#id_boundary-map") >= 1
    assert_clean(browser, "admin district change")

    observation = hostile["observations"][0]
    loaded(browser, f"{live_server.url}/admin/projects/observation/{observation.pk}/change/")
    assert drawn_in(browser, "#id_observer_location-map") >= 1
    names = [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "input[name$='-name']")]
    assert PERSON in names
    assert_clean(browser, "admin observation change")

    loaded(browser, f"{live_server.url}/admin/projects/observation/add/")
    leaflet_map_in(browser, "#id_observer_location-map")
    assert_clean(browser, "admin observation add")


def test_admin_visit_map_tooltips_show_names_as_text(browser, live_server, hostile, superuser):
    admin_sign_in(browser, live_server)
    loaded(browser, f"{live_server.url}/admin/projects/monitoringvisit/{hostile['visit'].pk}/change/")
    WebDriverWait(browser, 15).until(
        lambda d: d.execute_script(
            "var m = document.getElementById('visit-map'); return m && m.dataset.markers === '6';"
        )
    )
    assert browser.find_element(By.ID, "id_title").get_attribute("value") == VISIT
    assert browser.find_element(By.ID, "visit-map").size["width"] > 300
    browser.execute_script("document.getElementById('visit-map').scrollIntoView({block: 'center'})")
    tooltips = {}
    for kind in ("outlet", "observer"):
        for element in browser.find_elements(By.CSS_SELECTOR, f"#visit-map path.visit-map-{kind}"):
            tooltip = overlay(
                browser, "#visit-map .leaflet-tooltip", "", lambda element=element: hover(browser, element)
            )
            assert tooltip["markup"] == 0
            tooltips.setdefault(kind, []).append(tooltip["text"])
    assert sorted(tooltips["outlet"]) == sorted([KEHRIZ_IMG, KEHRIZ_SCRIPT, KEHRIZ_SVG])
    for name in (KEHRIZ_IMG, KEHRIZ_SCRIPT, KEHRIZ_SVG):
        assert any(name in text for text in tooltips["observer"]), name
    screenshot(browser, "security-admin-visit-map")
    assert_clean(browser, "admin visit change")


def test_admin_import_upload_and_preview_without_violations(browser, live_server, hostile, superuser):
    admin_sign_in(browser, live_server)
    loaded(browser, f"{live_server.url}/admin/projects/village/import/")
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=file][name=file]")
    screenshot(browser, "security-admin-import-upload")
    assert_clean(browser, "admin import upload")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "villages-with-markup.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["district", "name", "lon", "lat", "is_idp_settlement"])
        writer.writerow(["goranboy", f"Yeni {IMG}", "46.79", "40.61", "no"])
        writer.writerow(["goranboy", f"Başqa {SCRIPT}", "", "", "no"])
        writer.writerow([SVG, "Heç yer", "", "", "no"])
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form[enctype] input[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "import-preview"))
    WebDriverWait(browser, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
    table = browser.find_element(By.CSS_SELECTOR, "table.import-rows").text
    assert f"Yeni {IMG}" in table and f"Başqa {SCRIPT}" in table
    screenshot(browser, "security-admin-import-preview")
    assert_clean(browser, "admin import preview")
    assert not Kehriz.objects.filter(name__contains="Yeni").exists()
