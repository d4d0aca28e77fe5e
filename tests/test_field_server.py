"""The field app's server side: its pages, the officer's kəhriz list, the service worker and
manifest, and every check a visit sent from the phone meets at the API (in Azerbaijani and
English), up to what the rest of the site shows once a visit has arrived."""

import datetime
import io
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from projects import roles
from projects.models import (
    FollowUp,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
)
from projects.text import fold
from projects.views import field
from tests.factories import (
    GORANBOY_TOWN,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    UserFactory,
    VillageFactory,
)

APP = reverse("projects:field")
LIST = reverse("projects:field-kehriz")
SW = reverse("projects:field-service-worker")
MANIFEST = reverse("projects:field-manifest")
LOGIN = reverse("projects:field-login")
VISITS = reverse("projects:api-visit-list")
PHOTOS = reverse("projects:api-photo-list")
JSON = "application/json"


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def counts():
    return (
        MonitoringVisit.objects.count(),
        Observation.objects.count(),
        PersonMet.objects.count(),
        FollowUp.objects.count(),
        Photo.objects.count(),
    )


NOTHING = (0, 0, 0, 0, 0)


@pytest.fixture
def karvansara(goranboy):
    village = VillageFactory(name="Qaradağlı", district=goranboy)
    return KehrizFactory(name="Karvansara", code="GOR-QAR-01", district=goranboy, village=village)


@pytest.fixture
def agbulaq(agdam):
    return KehrizFactory(name="Ağ bulaq", code="AGD-01", district=agdam)


def observation(kehriz, **changes):
    """An observation as the field app sends it (see toPayload in field.js)."""
    return {
        "kehriz": kehriz.pk,
        "observed_on": timezone.localdate().isoformat(),
        "functionality": "functional",
        "discharge_lps": "9.50",
        "discharge_method": "bucket",
        "works_progress": "",
        "findings": "Clear water at the outlet.",
        "observer_location": {"type": "Point", "coordinates": list(GORANBOY_TOWN)},
        "observer_accuracy_m": "8.0",
        "people_met": [
            {"role": "kankan", "name": "Əli", "organisation": "", "count": None, "is_woman": None}
        ],
        "follow_ups": [{"action": "Line shaft 7 with rings", "responsible": "", "due_date": None}],
        **changes,
    }


def visit(*observations, **changes):
    return {
        "uuid": str(uuid.uuid4()),
        "title": "Bahar yoxlaması",
        "start_date": timezone.localdate().isoformat(),
        "end_date": None,
        "purpose": "",
        "organisations": "IOM",
        "participants": "",
        "observations": list(observations),
        **changes,
    }


def send(client, body, language=None):
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.post(VISITS, body, content_type=JSON, **extra)


def observation_errors(body, index=0):
    """The errors of ``observations[index]`` (keyed by position, failing items only)."""
    return body["observations"].get(str(index), {})


def in_azerbaijani(message, **params):
    with translation.override("az"):
        return translation.gettext(message) % params if params else translation.gettext(message)


def answered_in(response, language):
    assert response["Content-Language"] == language


# --- The app page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_app_needs_a_login_and_sends_to_the_field_sign_in(client):
    response = client.get(APP)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={APP}"


def shell(client):
    """The app's page as the service worker asks for it, without what changes per answer: the
    CSP nonce of its import map, and the language form's masked CSRF token (the phone puts its
    own in when the form is sent)."""
    response = client.get(APP, headers={field.SHELL_HEADER: "1"})
    assert response.status_code == 200
    page = re.sub(r'nonce="[^"]*"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="…"', page)


@pytest.mark.django_db
def test_the_app_shell_is_the_same_for_everyone_and_needs_no_session(field_officer, manager_client, client):
    """The service worker keeps the app's shell: served without a session (a new version
    installs whole when the officer's session has expired), the same page for everyone, with no
    one's name or token in it; whose data it shows comes from the kəhriz list."""
    officer_client = client_for(field_officer, "az")
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="az")
    manager_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "az"
    page = shell(anonymous)
    assert page == shell(officer_client) == shell(manager_client)
    assert 'id="field-config"' in page
    assert '(<span id="signed-in-as"></span>)' in page  # the name comes from the phone
    assert f"({field_officer.username})" not in page
    assert 'name="csrfmiddlewaretoken" value=""' in page  # filled in on the phone when sent
    assert f'href="{reverse("admin:index")}"' not in page
    assert "user" not in json.loads(page.split('id="field-config" type="application/json">')[1].split("<")[0])
    # The officer's data needs a session.
    assert anonymous.get(LIST).status_code == 401
    assert officer_client.get(LIST).json()["user"] == field_officer.username


@pytest.mark.django_db
def test_a_field_officer_signs_in_without_staff_status(client, goranboy):
    officer = UserFactory(username="kamala", roles=[roles.FIELD_OFFICER], is_staff=False)
    officer.set_password("a-long-pass-phrase")
    officer.save()
    page = client.get(f"{LOGIN}?next={APP}")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    response = client.post(LOGIN, {"username": "kamala", "password": "a-long-pass-phrase", "next": APP})
    assert response.status_code == 302
    assert response["Location"] == APP
    assert client.get(APP).status_code == 200


@pytest.mark.django_db
def test_a_viewer_is_told_who_records_visits(viewer_client):
    response = viewer_client.get(APP, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Only field officers and data managers record visits" in response.content.decode()
    assert viewer_client.get(LIST).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["officer_client", "manager_client"])
def test_field_officers_and_data_managers_open_the_app(request, who):
    client = request.getfixturevalue(who)
    response = client.get(APP)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<link rel="manifest" href="{MANIFEST}">' in html
    config = response.context["config"]
    assert config["urls"]["visits"] == VISITS
    assert config["urls"]["photos"] == PHOTOS
    assert config["urls"]["serviceWorker"] == SW
    assert config["photoMaxSide"] == 1600
    assert config["farM"] == 1000
    assert [value for value, _label in config["functionalities"]] == list(Functionality.values)
    assert 'id="field-config"' in html


@pytest.mark.django_db
def test_the_app_speaks_azerbaijani_first_and_english_second(field_officer):
    az = client_for(field_officer, "az").get(APP)
    en = client_for(field_officer, "en").get(APP)
    assert az.context["config"]["language"] == "az"
    assert en.context["config"]["language"] == "en"
    assert 'lang="az"' in az.content.decode()
    assert "Start a visit" in en.content.decode()
    # Labels already translated elsewhere on the site (the field app's own strings are in
    # Azerbaijani once their translations are merged into the catalogue).
    az_config, en_config = az.context["config"], en.context["config"]
    assert dict(az_config["functionalities"])["functional"] == "işlək"
    assert dict(en_config["functionalities"])["functional"] == "functional"
    assert az_config["labels"]["negative"] != en_config["labels"]["negative"]
    assert en_config["labels"]["negative"] == "A discharge cannot be negative."


@pytest.mark.django_db
def test_the_site_links_to_the_field_app(client):
    assert f'href="{APP}"' in client.get("/about/").content.decode()


# --- The kəhriz list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_officer_lists_only_the_kehriz_of_their_districts(officer_client, karvansara, agbulaq):
    response = officer_client.get(LIST)
    assert response.status_code == 200
    data = response.json()
    assert [k["name"] for k in data["kehriz"]] == ["Karvansara"]
    (row,) = data["kehriz"]
    assert row["id"] == karvansara.pk
    assert row["code"] == "GOR-QAR-01"
    assert row["village"] == "Qaradağlı"
    assert data["districts"] == {str(karvansara.district_id): "Goranboy"}
    assert (row["lon"], row["lat"]) == pytest.approx(GORANBOY_TOWN)
    assert row["functionality"] == "unknown"
    assert row["unusualAbove"] == 100.0
    assert data["user"] == "officer"


@pytest.mark.django_db
def test_a_data_manager_lists_every_kehriz(manager_client, karvansara, agbulaq):
    names = [k["name"] for k in manager_client.get(LIST).json()["kehriz"]]
    assert names == ["Ağ bulaq", "Karvansara"]


@pytest.mark.django_db
def test_the_list_needs_a_login(client, karvansara):
    response = client.get(LIST)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["qaradagli", "QARADAĞLI", "karvan", "Goranboy", "GOR-QAR", "karvansara qaradagli"]
)
def test_the_list_carries_the_folded_search_keys(officer_client, karvansara, typed):
    """The phone folds what is typed as projects/text.py does and looks for every word in these
    keys (the browser test checks the phone's folding against the server's)."""
    (row,) = officer_client.get(LIST).json()["kehriz"]
    assert all(word in row["search"] for word in fold(typed).split())


@pytest.mark.django_db
def test_the_unusual_discharge_limit_comes_from_each_kehriz_history(officer_client, karvansara, goranboy):
    quiet = KehrizFactory(name="Quiet", district=goranboy)
    big = KehrizFactory(name="Big", district=goranboy)
    ObservationFactory(kehriz=quiet, discharge_lps=Decimal("8.00"))
    ObservationFactory(kehriz=quiet, discharge_lps=Decimal("10.00"))
    ObservationFactory(kehriz=big, discharge_lps=Decimal("90.00"))
    rows = {k["name"]: k for k in officer_client.get(LIST).json()["kehriz"]}
    assert rows["Quiet"]["unusualAbove"] == 15.0  # 1.5 × its highest reading
    assert rows["Big"]["unusualAbove"] == 100.0  # never above 100 L/s
    assert rows["Karvansara"]["unusualAbove"] == 100.0  # no reading yet
    assert rows["Quiet"]["lastLps"] is None  # refresh_current_state was not run by the factory


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries), len(response.json()["kehriz"])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["officer_client", "manager_client"])
def test_the_list_makes_the_same_number_of_queries_for_1_and_50_kehriz(request, who, goranboy, agdam):
    client = request.getfixturevalue(who)

    def add(n):
        for i in range(n):
            kehriz = KehrizFactory(
                district=goranboy if i % 2 else agdam,
                village=VillageFactory(district=goranboy if i % 2 else agdam),
            )
            ObservationFactory(kehriz=kehriz)

    KehrizFactory(district=goranboy)
    one, listed_one = count_queries(client)
    add(49)
    fifty, listed_fifty = count_queries(client)
    assert listed_fifty > listed_one
    assert one == fifty


# --- Offline machinery -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_worker_covers_the_app_and_lists_what_it_keeps(client):
    response = client.get(SW)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == APP
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    settings_line = body.splitlines()[0]
    assert settings_line.startswith("self.FIELD_SW = ")
    config = json.loads(settings_line[len("self.FIELD_SW = ") : -1])
    assert config["app"] == APP
    assert config["kehriz"] == LIST
    assert config["manifest"] == MANIFEST
    assert "/static/projects/field/field.js" in config["static"]
    assert len(config["version"]) == 16
    for url in config["static"]:
        assert finders.find(url.removeprefix("/static/")), url


@pytest.mark.django_db
def test_the_app_modules_import_only_what_the_phone_keeps(officer_client, monkeypatch):
    """field.js imports the other modules by relative address: each must be one the service
    worker keeps, and the page's import map sends it to its static URL (hashed in production), or
    the app would not start offline."""
    kept = json.loads(client_sw_config(officer_client))["static"]
    started = re.findall(r'from "\./([\w.-]+)";', _read_module("projects/field/field.js"))
    assert {"forms.js", "send.js", "screen.js"} <= set(started)
    for path in field.SHELL_MODULES:
        for name in re.findall(r'from "\./([\w.-]+)";', _read_module(path)):
            assert f"projects/field/{name}" in field.SHELL_MODULES, (path, name)
        assert f"/static/{path}" in kept
    page = officer_client.get(APP).content.decode()
    assert '<script type="module" src="/static/projects/field/field.js">' in page
    monkeypatch.setattr(field, "static", lambda path: "/static/" + path.replace(".js", ".0123abcd.js"))
    imports = json.loads(field.import_map())["imports"]
    assert imports["/static/projects/field/queue.js"] == "/static/projects/field/queue.0123abcd.js"
    assert set(imports) == {f"/static/{path}" for path in field.SHELL_MODULES}


def client_sw_config(client):
    line = client.get(SW).content.decode().splitlines()[0]
    return line[len("self.FIELD_SW = ") : -1]


def _read_module(path):
    with open(finders.find(path), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.django_db
def test_the_manifest_makes_the_app_installable(client):
    response = client.get(MANIFEST, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["name"] == "Kəhriz field visits"
    assert data["start_url"] == APP
    assert data["scope"] == APP
    assert data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon
    azerbaijani = client.get(MANIFEST, HTTP_ACCEPT_LANGUAGE="az").json()
    assert azerbaijani["lang"] == "az"


# --- The checks a visit from the phone meets -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_negative_discharge_is_refused(field_officer, karvansara, language):
    response = send(
        client_for(field_officer), visit(observation(karvansara, discharge_lps="-1.00")), language
    )
    assert response.status_code == 400
    message = observation_errors(response.json())["discharge_lps"][0]
    answered_in(response, language)
    english = "Ensure this value is greater than or equal to 0."
    if language == "en":
        assert message == english
    else:
        assert message == in_azerbaijani("Ensure this value is greater than or equal to {min_value}.").format(
            min_value=0
        )
    assert counts() == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_visit_starting_in_the_future_is_refused(field_officer, karvansara, language):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = visit(observation(karvansara, observed_on=tomorrow), start_date=tomorrow)
    response = send(client_for(field_officer), body, language)
    assert response.status_code == 400
    message = response.json()["start_date"][0]
    answered_in(response, language)
    expected = "A visit cannot start in the future."
    assert message == (expected if language == "en" else in_azerbaijani(expected))
    assert counts() == NOTHING


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_an_observation_dated_in_the_future_is_refused(officer_client, karvansara):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = visit(observation(karvansara, observed_on=tomorrow))
    response = send(officer_client, body)
    assert response.status_code == 400
    assert observation_errors(response.json())["observed_on"] == [
        "An observation cannot be dated in the future."
    ]
    assert counts() == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_an_unusually_high_discharge_is_stored_and_flagged_for_review(field_officer, karvansara, language):
    """The phone asks for confirmation; the server keeps the confirmed value and flags it."""
    response = send(
        client_for(field_officer), visit(observation(karvansara, discharge_lps="120.00")), language
    )
    assert response.status_code == 201
    (stored,) = response.json()["observations"]
    assert stored["needs_review"] is True
    obs = Observation.objects.get()
    assert obs.needs_review
    assert obs.discharge_lps == Decimal("120.00")
    assert "120" in obs.review_note and "100" in obs.review_note
    if language == "en":
        assert "unusually high" in obs.review_note


@pytest.mark.django_db
def test_unusual_is_measured_against_the_kehriz_own_history(officer_client, karvansara):
    ObservationFactory(kehriz=karvansara, discharge_lps=Decimal("10.00"))
    unusual = send(officer_client, visit(observation(karvansara, discharge_lps="16.00")))
    # 16 is now the highest reading: 14 is well within 1.5 × 16.
    usual = send(officer_client, visit(observation(karvansara, discharge_lps="14.00")))
    assert usual.json()["observations"][0]["needs_review"] is False
    assert unusual.json()["observations"][0]["needs_review"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_position_far_from_the_outlet_is_flagged_for_review(field_officer, karvansara, language):
    far = [GORANBOY_TOWN[0] + 0.03, GORANBOY_TOWN[1]]  # about 2.5 km east
    body = visit(observation(karvansara, observer_location={"type": "Point", "coordinates": far}))
    response = send(client_for(field_officer), body, language)
    assert response.status_code == 201
    assert response.json()["observations"][0]["needs_review"] is True
    obs = Observation.objects.get()
    assert obs.needs_review
    assert "2.5" in obs.review_note
    if language == "en":
        assert obs.review_note == "Recorded 2.5 km from the outlet."
    else:
        assert "Recorded" not in obs.review_note


@pytest.mark.django_db
def test_a_position_near_the_outlet_is_not_flagged(officer_client, karvansara):
    near = [GORANBOY_TOWN[0] + 0.005, GORANBOY_TOWN[1]]  # about 420 m
    body = visit(observation(karvansara, observer_location={"type": "Point", "coordinates": near}))
    response = send(officer_client, body)
    assert response.status_code == 201
    assert response.json()["observations"][0]["needs_review"] is False
    assert Observation.objects.get().observer_location.coords == pytest.approx(tuple(near))
    assert Observation.objects.get().observer_accuracy_m == Decimal("8.0")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_an_officer_cannot_log_a_visit_outside_their_districts(field_officer, karvansara, agbulaq, language):
    before = Kehriz.objects.values_list("functionality", "last_visit_on").get(pk=agbulaq.pk)
    body = visit(observation(karvansara), observation(agbulaq, observer_location=None))
    response = send(client_for(field_officer), body, language)
    assert response.status_code == 403
    errors = response.json()["observations"]
    assert list(errors) == ["1"]  # the second observation, the only one refused
    message = errors["1"]["kehriz"][0]
    answered_in(response, language)
    expected = "%(kehriz)s is not in your districts: you cannot record visits to it."
    if language == "en":
        assert message == "Ağ bulaq (AGD-01) is not in your districts: you cannot record visits to it."
    else:
        assert message == in_azerbaijani(expected, kehriz="Ağ bulaq (AGD-01)")
    assert counts() == NOTHING
    assert Kehriz.objects.values_list("functionality", "last_visit_on").get(pk=agbulaq.pk) == before


@pytest.mark.django_db
def test_a_visit_lost_in_transit_and_sent_again_is_stored_once(officer_client, karvansara):
    body = visit(observation(karvansara))
    first = send(officer_client, body)
    again = send(officer_client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert counts() == (1, 1, 1, 1, 0)


def jpeg(width=1600, height=1200):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0b6e99").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer


@pytest.mark.django_db
@pytest.mark.usefixtures("media_in_tmp")
def test_a_photo_is_sent_after_its_visit_and_once(officer_client, karvansara):
    stored = send(officer_client, visit(observation(karvansara))).json()
    photo_uuid = str(uuid.uuid4())
    form = {
        "uuid": photo_uuid,
        "observation": stored["observations"][0]["id"],
        "caption": "Çıxış hovuzu",
        "taken_at": "2024-03-13T10:00:00Z",
    }
    first = officer_client.post(PHOTOS, {**form, "image": jpeg()})
    again = officer_client.post(PHOTOS, {**form, "image": jpeg()})
    assert (first.status_code, again.status_code) == (201, 200)
    assert Photo.objects.get().caption == "Çıxış hovuzu"


@pytest.mark.django_db
@pytest.mark.usefixtures("media_in_tmp", "english")
def test_a_photo_for_another_districts_kehriz_is_refused_with_a_reason(officer_client, agbulaq):
    other = ObservationFactory(kehriz=agbulaq)
    response = officer_client.post(
        PHOTOS, {"uuid": str(uuid.uuid4()), "observation": other.pk, "image": jpeg(), "caption": ""}
    )
    assert response.status_code == 403
    assert "is not in your districts" in response.json()["observation"][0]
    assert Photo.objects.count() == 0


@pytest.mark.django_db
def test_an_expired_session_answers_401_so_the_phone_keeps_the_visit(client, karvansara):
    """The phone keeps a visit it could not send for want of a login (401), and shows the
    server's reason for any other refusal (400, 403)."""
    assert send(client, visit(observation(karvansara))).status_code == 401
    assert counts() == NOTHING


# --- After sync ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_synced_visit_shows_everywhere_and_updates_the_kehriz(officer_client, manager_client, karvansara):
    older = ObservationFactory(
        kehriz=karvansara,
        visit=MonitoringVisitFactory(start_date=datetime.date(2024, 3, 13)),
        functionality="dry",
        discharge_lps=None,
        discharge_method="",
    )
    from projects import services

    services.refresh_current_state([karvansara.pk])
    karvansara.refresh_from_db()
    assert karvansara.functionality == Functionality.DRY

    body = visit(
        observation(karvansara, functionality="low_flow", discharge_lps="4.20"), title="Spring check"
    )
    assert send(officer_client, body).status_code == 201

    karvansara.refresh_from_db()
    assert karvansara.functionality == Functionality.LOW_FLOW
    assert karvansara.last_visit_on == timezone.localdate()
    assert karvansara.last_discharge_lps == Decimal("4.20")

    stored = MonitoringVisit.objects.get(title="Spring check")
    assert stored.recorded_by.username == "officer"
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("projects:kehriz", args=[karvansara.pk]))
    assert "Spring check" in page.content.decode()
    admin = manager_client.get("/admin/projects/monitoringvisit/")
    assert "Spring check" in admin.content.decode()
    dashboard = Client().get("/dashboard/")
    overall = dashboard.context["overall"]
    assert overall[f"functionality_{Functionality.LOW_FLOW}"] == 1
    assert overall[f"functionality_{Functionality.DRY}"] == 0
    assert overall["open"] == 1  # the follow-up sent from the phone
    assert older.pk != stored.observations.get().pk


def test_retry_waits_are_bounded():
    assert 0 < field.RETRY_FIRST_S < field.RETRY_MAX_S <= 300
    assert AnonymousUser().is_authenticated is False
    assert field.can_record(AnonymousUser()) is False
