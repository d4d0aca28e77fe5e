"""The Content-Security-Policy on every answer, and data kept as text where the server writes
markup: pages and the KML export. In a browser: test_browser_security.py."""

import csv
import datetime
import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kehriz.csp import tiles_origin
from projects.models import MonitoringVisit, Observation, Status
from tests import factories

pytestmark = pytest.mark.django_db

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'
PAYLOADS = (IMG, SCRIPT, "<svg onload")

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


@pytest.fixture(autouse=True)
def tiles(settings):
    settings.MAP_TILES_URL = TILES


@pytest.fixture
def hostile(goranboy):
    village = factories.VillageFactory(name=f"Kənd {SVG}", district=goranboy)
    kehriz = factories.KehrizFactory(
        name=f"Əsgər {IMG}",
        code="XSS-1",
        district=goranboy,
        village=village,
        status=Status.RESTORED,
        notes=f"Notes {SCRIPT}",
    )
    day = datetime.date(2025, 3, 13)
    visit = MonitoringVisit.objects.create(title=f"Visit {IMG}", start_date=day, end_date=day)
    observation = Observation.objects.create(
        visit=visit,
        kehriz=kehriz,
        observed_on=day,
        functionality="functional",
        discharge_lps=Decimal("4.2"),
        discharge_method="bucket",
        findings=f"Findings {SVG}",
        observer_location=kehriz.outlet,
    )
    factories.PersonMetFactory(observation=observation, name=f"Kankan {SCRIPT}")
    factories.FollowUpFactory(observation=observation, action=f"Clean {IMG}")
    return {"kehriz": kehriz, "village": village, "visit": visit, "observation": observation}


# --- Reading a policy and a page ----------------------------------------------------------------


def policy(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    assert "Content-Security-Policy-Report-Only" not in response
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def nonce_of(directives):
    nonces = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1, directives["script-src"]
    return nonces[0].removeprefix("'nonce-").removesuffix("'")


def assert_strict(response):
    """The directives the issue requires; returns the answer's nonce."""
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    nonce = nonce_of(directives)
    assert len(nonce) >= 16
    # Our origin and this answer's nonce: nothing inline, no eval, no other host.
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "https://tiles.example.org" in directives["img-src"]
    for values in directives.values():
        assert "'unsafe-eval'" not in values
    return nonce


class Markup(HTMLParser):
    """What a page's markup runs: inline scripts (with their nonce), inline event handlers and
    javascript: addresses."""

    def __init__(self):
        super().__init__()
        self.inline_scripts = []  # (type, nonce)
        self.handlers = []
        self.javascript_urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.javascript_urls.append((tag, value))
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts.append((attrs.get("type") or "", attrs.get("nonce")))


def assert_page_keeps_the_policy(response):
    """A page whose every inline script carries the answer's nonce (or is JSON data), with no
    inline handler, no javascript: address and no data turned into markup."""
    assert response.status_code == 200, response.request["PATH_INFO"]
    assert response["Content-Type"].startswith("text/html")
    nonce = assert_strict(response)
    page = response.content.decode()
    markup = Markup()
    markup.feed(page)
    assert markup.handlers == []
    assert markup.javascript_urls == []
    for kind, script_nonce in markup.inline_scripts:
        assert kind == "application/json" or script_nonce == nonce, (kind, script_nonce, nonce)
    for payload in PAYLOADS:
        assert payload not in page, payload
    return nonce


def pages(data):
    kehriz, village = data["kehriz"], data["village"]
    return [
        reverse("projects:home"),
        reverse("projects:home") + "?status=",
        reverse("projects:about"),
        reverse("projects:dashboard"),
        reverse("projects:district", args=[kehriz.district.slug]),
        reverse("projects:kehriz", args=[kehriz.pk]),
        reverse("projects:api-docs"),
        reverse("projects:field"),
        "/admin/",
        "/admin/projects/kehriz/",
        "/admin/projects/kehriz/add/",
        f"/admin/projects/kehriz/{kehriz.pk}/change/",
        f"/admin/projects/village/{village.pk}/change/",
        f"/admin/projects/district/{kehriz.district.pk}/change/",
        f"/admin/projects/monitoringvisit/{data['visit'].pk}/change/",
        f"/admin/projects/observation/{data['observation'].pk}/change/",
        "/admin/projects/observation/add/",
        "/admin/projects/village/import/",
        "/admin/projects/kehriz/import/",
    ]


# --- Every page ---------------------------------------------------------------------------------


def test_every_page_carries_the_strict_policy_with_a_fresh_nonce(hostile, manager_client):
    for path in pages(hostile):
        first = assert_page_keeps_the_policy(manager_client.get(path))
        second = assert_page_keeps_the_policy(manager_client.get(path))
        assert first != second, f"{path}: the same nonce twice"


def test_public_pages_carry_the_policy_for_anonymous_visitors(hostile):
    client = Client()
    for path in (
        reverse("projects:home"),
        reverse("projects:about"),
        reverse("projects:dashboard"),
        reverse("projects:district", args=[hostile["kehriz"].district.slug]),
        reverse("projects:kehriz", args=[hostile["kehriz"].pk]),
        reverse("projects:field-login"),
        reverse("projects:api-docs"),
        "/admin/login/",
    ):
        assert_page_keeps_the_policy(client.get(path))


def test_the_maps_get_this_answers_nonce(hostile, manager_client):
    """django-leaflet's map start-up is an inline script: it carries the nonce of its answer, on
    our pages and in the admin's map widgets."""
    for path in (
        reverse("projects:home"),
        reverse("projects:district", args=[hostile["kehriz"].district.slug]),
        reverse("projects:kehriz", args=[hostile["kehriz"].pk]),
        f"/admin/projects/kehriz/{hostile['kehriz'].pk}/change/",
        f"/admin/projects/observation/{hostile['observation'].pk}/change/",
    ):
        response = manager_client.get(path)
        nonce = nonce_of(policy(response))
        scripts = re.findall(r'<script nonce="([^"]*)">', response.content.decode())
        assert scripts and set(scripts) == {nonce}, path


def test_the_import_preview_keeps_the_policy_and_shows_names_as_text(manager_client, goranboy):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["district", "name", "lon", "lat", "is_idp_settlement"])
    writer.writerow(["goranboy", f"Yeni {IMG}", "46.79", "40.61", "no"])
    writer.writerow([SVG, f"Başqa {SCRIPT}", "", "", "no"])
    upload = SimpleUploadedFile("villages.csv", buffer.getvalue().encode("utf-8"), content_type="text/csv")
    response = manager_client.post("/admin/projects/village/import/", {"action": "preview", "file": upload})
    assert_page_keeps_the_policy(response)
    page = response.content.decode()
    assert "Yeni &lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in page


def test_answers_that_are_not_pages_carry_the_policy_too(hostile, manager_client):
    client = Client()
    answers = [
        client.get(reverse("projects:api-kehriz-map")),
        client.get(reverse("projects:api-district-boundaries")),
        manager_client.get(reverse("projects:api-kehriz-list")),
        manager_client.get(reverse("projects:field-kehriz")),
        manager_client.get(reverse("projects:field-service-worker")),
        manager_client.get(reverse("projects:field-manifest")),
        client.get(reverse("projects:api-docs") + "?script="),
    ]
    nonces = set()
    for response in answers:
        assert response.status_code == 200, response.request["PATH_INFO"]
        nonces.add(assert_strict(response))
    assert len(nonces) == len(answers)
    kehriz = answers[2].json()
    body = kehriz.get("results", kehriz)
    assert any(IMG in str(item) for item in (body if isinstance(body, list) else [body]))


def test_the_tile_origin_joins_img_src():
    assert tiles_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert tiles_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tiles_origin("http://127.0.0.1:8081/{z}/{x}/{y}.png") == "http://127.0.0.1:8081"
    assert tiles_origin("/tiles/{z}/{x}/{y}.png") is None
    assert tiles_origin("") is None


# --- KML ----------------------------------------------------------------------------------------

KML = "{http://www.opengis.net/kml/2.2}"


def test_kml_keeps_names_and_descriptions_as_text(hostile):
    response = Client().get(reverse("projects:api-export", args=["kehriz", "kml"]) + "?status=")
    assert response.status_code == 200
    raw = response.content.decode()
    # No markup of a name survives into the file, not even as an XML element.
    for payload in ("<img", "<script", "<svg"):
        assert payload not in raw
    placemark = ET.fromstring(response.content).find(f"{KML}Document/{KML}Placemark")
    # A name is plain text in KML: read back, it is the name itself.
    assert placemark.findtext(f"{KML}name") == f"Əsgər {IMG}"
    data = {d.get("name"): d.text for d in placemark.iter(f"{KML}SimpleData")}
    assert data["name"] == f"Əsgər {IMG}"
    assert data["village"] == f"Kənd {SVG}"
    # A description is HTML to Google Earth: ours is plain text (no entities) in which the data's
    # angle brackets are look-alikes, so that no markup comes from a name.
    description = placemark.findtext(f"{KML}description")
    assert "<" not in description and ">" not in description
    assert 'Kənd "›‹svg onload=window.__xss=1›' in description
    assert "Goranboy" in description


# --- Violation reports --------------------------------------------------------------------------

REPORT_URL = "/csp-report/"


def test_the_policy_names_the_report_address_and_a_browsers_report_is_logged(client, caplog):
    header = client.get(reverse("projects:about"))["Content-Security-Policy"]
    assert f"report-uri {REPORT_URL}" in header
    report = {
        "csp-report": {
            "document-uri": "http://127.0.0.1:8000/kehriz/7/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level("WARNING", logger="kehriz.csp"):
        response = client.post(REPORT_URL, data=json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert "CSP violation on http://127.0.0.1:8000/kehriz/7/: script-src-elem blocked inline" in caplog.text


def test_a_reporting_api_batch_is_logged_too(client, caplog):
    batch = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "http://x/",
                "effectiveDirective": "img-src",
                "blockedURL": "http://evil/",
            },
        }
    ]
    with caplog.at_level("WARNING", logger="kehriz.csp"):
        assert client.post(REPORT_URL, data=batch, content_type="application/reports+json").status_code == 204
    assert "img-src blocked http://evil/" in caplog.text


@pytest.mark.parametrize("body", [b"not json", b"{" * 10, b"[" + b'{"body": {}},' * 2000 + b"{}]"])
def test_a_malformed_or_oversized_report_is_refused_and_nothing_logged(client, caplog, body):
    with caplog.at_level("WARNING", logger="kehriz.csp"):
        response = client.post(REPORT_URL, data=body, content_type="application/csp-report")
    assert response.status_code == 400
    assert "CSP violation" not in caplog.text


def test_reports_are_only_posted(client):
    assert client.get(REPORT_URL).status_code == 405
