"""The API's OpenAPI 3 schema (/api/schema/), its Swagger UI (/api/docs/), and a bounded
schemathesis run against the app with all its checks: no server errors, and every answer (errors
included) as the schema describes it."""

import json
import os
import re
from html.parser import HTMLParser

import hypothesis
import pytest
import schemathesis
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from django_filters import DateFromToRangeFilter
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from kehriz.wsgi import application
from projects.filters import KehrizFilterSet
from projects.models import Functionality, Status
from projects.urls import router
from tests.factories import (
    HOROVLU,
    FollowUpFactory,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    PersonMetFactory,
    PhotoFactory,
    ProjectFactory,
    RestorationWorkFactory,
    StatusEventFactory,
    VillageFactory,
    point,
)

SCHEMA = "/api/schema/"

# Every operation the router and the map layers offer, as (method, path) in the schema.
CRUD = ["GET", "POST"], ["GET", "PUT", "PATCH", "DELETE"]
EXPECTED_OPERATIONS = {
    "/api/v1/districts/": ["GET"],
    "/api/v1/districts/{slug}/": ["GET"],
    "/api/v1/villages/": CRUD[0],
    "/api/v1/villages/{id}/": CRUD[1],
    "/api/v1/projects/": CRUD[0],
    "/api/v1/projects/{code}/": CRUD[1],
    "/api/v1/kehriz/": CRUD[0],
    "/api/v1/kehriz/{id}/": CRUD[1],
    "/api/v1/kehriz/{id}/status/": ["POST"],
    "/api/v1/kehriz/{id}/discharge/": ["GET"],
    "/api/v1/kehriz/{id}/history/": ["GET"],
    "/api/v1/status-events/": ["GET"],
    "/api/v1/status-events/{id}/": ["GET"],
    "/api/v1/works/": CRUD[0],
    "/api/v1/works/{id}/": CRUD[1],
    "/api/v1/visits/": CRUD[0],
    "/api/v1/visits/{id}/": CRUD[1],
    "/api/v1/visits/{id}/history/": ["GET"],
    "/api/v1/observations/": ["GET"],
    "/api/v1/observations/{id}/": ["GET"],
    "/api/v1/follow-ups/": CRUD[0],
    "/api/v1/follow-ups/{id}/": CRUD[1],
    "/api/v1/kehriz/map/": ["GET"],
    "/api/v1/kehriz/routes/": ["GET"],
    "/api/v1/districts/boundaries/": ["GET"],
}


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    """The schema as the app serves it (JSON)."""
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get(SCHEMA + "?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


# --- The schema ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_served_as_openapi_3_yaml_and_json(client, openapi):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == openapi
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "Kəhriz API"


def test_the_schema_is_valid_openapi(openapi):
    validate_schema(openapi)  # the OpenAPI 3.0 JSON Schema, as drf-spectacular ships it
    schemathesis.openapi.from_dict(openapi).validate()


def test_every_endpoint_is_described(openapi):
    described = {
        path: sorted(method.upper() for method in operations if method != "parameters")
        for path, operations in openapi["paths"].items()
    }
    for path, methods in EXPECTED_OPERATIONS.items():
        assert path in described, f"{path} is not in the schema"
        assert described[path] == sorted(methods), path


def test_every_router_registration_is_described(openapi):
    """A viewset added to the router later is described too (list and detail)."""
    for prefix, viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in openapi["paths"], prefix
        lookup = getattr(viewset, "lookup_field", "pk")
        assert f"/api/v1/{prefix}/{{{'id' if lookup == 'pk' else lookup}}}/" in openapi["paths"], prefix


def _query_parameters(openapi, path):
    return {p["name"]: p for p in openapi["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}


def _filter_names(filterset):
    names = set()
    for name, filter_ in filterset.base_filters.items():
        if isinstance(filter_, DateFromToRangeFilter):
            names |= {f"{name}_after", f"{name}_before"}
        else:
            names.add(name)
    return names


def test_every_kehriz_filter_is_described(openapi):
    parameters = _query_parameters(openapi, "/api/v1/kehriz/")
    expected = _filter_names(KehrizFilterSet) | {"near", "within_m", "ordering", "page", "page_size"}
    assert expected == {
        "q",
        "district",
        "status",
        "functionality",
        "project",
        "donor",
        "handed_over_year",
        "in_bbox",
        "visited_after",
        "visited_before",
        "near",
        "within_m",
        "ordering",
        "page",
        "page_size",
    }
    assert expected <= set(parameters), expected - set(parameters)
    # Repeatable filters are arrays; the vocabularies are listed.
    for name in ("district", "status", "functionality"):
        assert parameters[name]["schema"]["type"] == "array", name
        assert parameters[name].get("explode", True) is True
    assert set(parameters["status"]["schema"]["items"]["enum"]) == set(Status.values)
    assert set(parameters["functionality"]["schema"]["items"]["enum"]) == set(Functionality.values)
    assert parameters["visited_after"]["schema"]["format"] == "date"
    assert parameters["q"]["description"]


@pytest.mark.parametrize(
    "path", ["/api/v1/kehriz/map/", "/api/v1/kehriz/routes/", "/api/v1/exports/{kind}.{fmt}"]
)
def test_the_map_layers_and_exports_describe_the_kehriz_filters(openapi, path):
    """The map layers and the exports take the same filters as the kəhriz list."""
    parameters = _query_parameters(openapi, path)
    assert {"district", "status", "q"} <= set(parameters)
    assert _filter_names(KehrizFilterSet) <= set(parameters), _filter_names(KehrizFilterSet) - set(parameters)
    for name in ("district", "status"):
        assert parameters[name]["schema"]["type"] == "array", name
    assert set(parameters["status"]["schema"]["items"]["enum"]) == set(Status.values)
    assert parameters["q"]["description"]
    assert parameters["within_m"]["schema"]["type"] == "number"


def test_the_exports_describe_their_formats(openapi):
    from projects.exports import FORMATS, KINDS_BY_FORMAT

    operation = openapi["paths"]["/api/v1/exports/{kind}.{fmt}"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {media_type.split(";")[0] for media_type in FORMATS.values()}
    assert "application/octet-stream" not in content
    # Files are bytes, except GeoJSON, which is JSON: an object.
    assert content.pop("application/geo+json")["schema"] == {"type": "object", "additionalProperties": {}}
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in content.values())
    path = {p["name"]: p for p in operation["parameters"] if p["in"] == "path"}
    assert set(path["fmt"]["schema"]["enum"]) == set(FORMATS)
    assert set(path["kind"]["schema"]["enum"]) == {
        kind for kinds in KINDS_BY_FORMAT.values() for kind in kinds
    }
    assert {"400", "401", "404"} <= set(operation["responses"])


@pytest.mark.parametrize(
    ("path", "viewset_basename"),
    [
        ("/api/v1/districts/", "api-district"),
        ("/api/v1/villages/", "api-village"),
        ("/api/v1/projects/", "api-project"),
        ("/api/v1/status-events/", "api-status-event"),
        ("/api/v1/works/", "api-work"),
        ("/api/v1/visits/", "api-visit"),
        ("/api/v1/observations/", "api-observation"),
        ("/api/v1/follow-ups/", "api-follow-up"),
    ],
)
def test_every_list_filter_is_described(openapi, path, viewset_basename):
    viewset = next(v for _p, v, b in router.registry if b == viewset_basename)
    parameters = _query_parameters(openapi, path)
    expected = _filter_names(viewset.filterset_class) | {"ordering", "page"}
    assert expected <= set(parameters), expected - set(parameters)


def test_token_authentication_is_described(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert "Token" in schemes["tokenAuth"]["description"]
    assert "Token <key>" in openapi["info"]["description"]


def test_the_status_action_documents_its_body_and_answer(openapi):
    operation = openapi["paths"]["/api/v1/kehriz/{id}/status/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/StatusChangeRequest"
    change = openapi["components"]["schemas"]["StatusChangeRequest"]
    assert change["required"] == ["to_status"]
    assert set(change["properties"]) == {"to_status", "on_date", "note", "correction", "backdated"}
    # It answers 201 Created with the new event.
    assert "201" in operation["responses"], sorted(operation["responses"])
    assert operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/StatusEvent"
    )


def test_the_discharge_series_is_described_as_what_it_is(openapi):
    """GET …/discharge/ answers a plain list, unfiltered and unpaginated: the schema must not
    promise pagination or the kəhriz list's filters there."""
    operation = openapi["paths"]["/api/v1/kehriz/{id}/discharge/"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema.get("type") == "array", schema
    assert not {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def test_the_visit_resend_answer_is_described(openapi):
    """POST /visits/ answers 200 with the stored visit when the uuid was sent before."""
    responses = openapi["paths"]["/api/v1/visits/"]["post"]["responses"]
    assert {"200", "201"} <= set(responses), sorted(responses)


def _names(node):
    """The schema without what may be translated (descriptions, the document's info)."""
    if isinstance(node, dict):
        return {key: _names(value) for key, value in node.items() if key not in ("description", "info")}
    if isinstance(node, list):
        return [_names(value) for value in node]
    return node


@pytest.mark.django_db
def test_names_do_not_depend_on_the_language(client):
    """A generated client's classes and modules are named after operation ids, component and
    enum names and titles: the same, in ASCII, whether the schema was fetched in az or en."""
    schemas = {
        language: client.get(SCHEMA + "?format=json", HTTP_ACCEPT_LANGUAGE=language).json()
        for language in ("az", "en")
    }
    assert schemas["az"]["info"]["description"]
    assert _names(schemas["az"]) == _names(schemas["en"])
    schema = schemas["az"]
    names = [*schema["components"]["schemas"]] + [
        operation["operationId"]
        for operations in schema["paths"].values()
        for method, operation in operations.items()
        if method != "parameters"
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", name) for name in names), names
    # No translated title for a generator to name a class after (a visit's "title" field stays).
    assert '"title": "' not in json.dumps([schema["components"], schema["paths"]])


def test_bodies_are_json_except_file_uploads_and_requests_have_their_own_components(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            content = operation["requestBody"]["content"]
            expected = ["multipart/form-data"] if path.startswith("/api/v1/photos/") else ["application/json"]
            assert list(content) == expected, (method, path)
            ref = content[expected[0]]["schema"]["$ref"]
            assert ref.endswith("Request"), (method, path, ref)
    visit = openapi["components"]["schemas"]["MonitoringVisitRequest"]["properties"]
    assert not {"id", "created_at", "recorded_by", "is_synthetic"} & set(visit)


def test_every_operation_documents_its_errors_with_their_bodies(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "403", "415"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method == "delete":
                assert {"409", "412"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"], (method, path, code)
    visits = openapi["paths"]["/api/v1/visits/"]["post"]["responses"]
    assert visits["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/FieldErrors")
    assert visits["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "Retry-After" in visits["429"]["headers"]


# --- Swagger UI -------------------------------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, value))


@pytest.fixture
def docs_page(client):
    response = client.get(reverse("projects:api-docs"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.fixture
def docs_script(client, docs_page):
    """Swagger UI's start-up code, a script of its own (drf-spectacular's split view): the page
    has no inline script, as the Content-Security-Policy wants."""
    own = [
        url
        for tag, url in _urls(docs_page)
        if tag == "script" and url.startswith(reverse("projects:api-docs"))
    ]
    assert len(own) == 1, own
    response = client.get(own[0])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    return response.content.decode()


def _urls(page):
    parser = _Assets()
    parser.feed(page)
    return parser.urls


@pytest.mark.django_db
def test_the_docs_load_their_scripts_and_styles_from_our_static_files(docs_page, docs_script):
    urls = _urls(docs_page)
    scripts = [url for tag, url in urls if tag == "script"]
    styles = [url for tag, url in urls if tag == "link"]
    assert any(url.endswith("swagger-ui-bundle.js") for url in scripts)
    assert any(url.endswith("swagger-ui.css") for url in styles)
    for _tag, url in urls:
        if url.startswith(reverse("projects:api-docs")):
            continue  # the start-up script (docs_script)
        assert url.startswith("/" + settings.STATIC_URL.lstrip("/")), url
        assert finders.find(url.removeprefix("/" + settings.STATIC_URL.lstrip("/"))), (
            f"{url} is not a static file"
        )
    # Every script has an address: none is inline.
    assert len(re.findall(r"<script\b", docs_page)) == len(scripts)
    # No address of another host anywhere in the page or its start-up script.
    for text in (docs_page, docs_script):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE)
    assert '"/api/schema/"' in docs_script


@pytest.mark.django_db
def test_the_docs_do_not_send_the_schema_to_the_online_validator(docs_script):
    """Swagger UI, unless told otherwise, shows a badge loaded from validator.swagger.io with our
    schema's address: a request to another host from every visit to /api/docs/. It is turned off
    with ``"validatorUrl": null`` in SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"]."""
    found = re.search(r"const swaggerSettings = (\{.*?\});", docs_script, re.DOTALL)
    assert found
    swagger_settings = json.loads(found.group(1))
    assert "validatorUrl" in swagger_settings and swagger_settings["validatorUrl"] is None, swagger_settings


# --- Responses as described: one real request per operation ---------------------------------------------


@pytest.fixture(scope="module")
def api(django_db_setup, django_db_blocker):
    """The schema as schemathesis sees it, calling the Django WSGI app in-process, with every
    check schemathesis has, configured as CHECKS (below) says."""
    config = schemathesis.Config.from_dict({"checks": CHECKS})
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi(SCHEMA + "?format=json", application, config=config)
    schema.config.generation.update(deterministic=True, with_security_parameters=False)
    return schema


@pytest.fixture
def same_connection():
    """Requests through the WSGI app close "old" database connections when they start and finish;
    inside a test's transaction that would close the test's connection. Django's test client
    switches this off for its requests: do the same for schemathesis's calls."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def sample(same_connection, data_manager, agdam, goranboy, cebrayil):
    """Every kind of record, with nulls and blanks where the data allows them."""
    koica = ProjectFactory(code="iom-koica")
    koica.districts.add(goranboy, cebrayil)
    village = VillageFactory(name="Horovlu", district=cebrayil, location=point(HOROVLU))
    asger = KehrizFactory(name="Əsgər", district=cebrayil, village=village, outlet=point(HOROVLU))
    asger.projects.add(koica)
    bare = KehrizFactory(name="Ağ bulaq", district=agdam, outlet=None)
    visit = MonitoringVisitFactory(recorded_by=None)
    observation = ObservationFactory(visit=visit, kehriz=asger)
    ObservationFactory(visit=visit, kehriz=bare, discharge_lps=None, discharge_method="")
    PersonMetFactory(observation=observation)
    follow_up = FollowUpFactory(observation=observation)
    work = RestorationWorkFactory(kehriz=asger, project=None, cost=None, currency="")
    event = StatusEventFactory(kehriz=asger, from_status="", to_status="identified", changed_by=None)
    StatusEventFactory(kehriz=asger, from_status="identified", to_status="assessed", changed_by=data_manager)
    token = Token.objects.create(user=data_manager)
    return {
        "auth": {"Authorization": f"Token {token.key}"},
        "asger": asger,
        "bare": bare,
        "path": {
            "/api/v1/districts/{slug}/": {"slug": "goranboy-rayonu"},
            "/api/v1/villages/{id}/": {"id": village.pk},
            "/api/v1/projects/{code}/": {"code": "iom-koica"},
            "/api/v1/kehriz/{id}/": {"id": asger.pk},
            "/api/v1/kehriz/{id}/discharge/": {"id": asger.pk},
            "/api/v1/kehriz/{id}/history/": {"id": asger.pk},
            "/api/v1/status-events/{id}/": {"id": event.pk},
            "/api/v1/works/{id}/": {"id": work.pk},
            "/api/v1/visits/{id}/": {"id": visit.pk},
            "/api/v1/visits/{id}/history/": {"id": visit.pk},
            "/api/v1/observations/{id}/": {"id": observation.pk},
            "/api/v1/follow-ups/{id}/": {"id": follow_up.pk},
        },
    }


CONFORMANCE = [st_checks.not_a_server_error, st_checks.response_schema_conformance]
CONFORMANCE_AND_TYPE = [*CONFORMANCE, st_checks.content_type_conformance]
GET_PATHS = [path for path, methods in EXPECTED_OPERATIONS.items() if "GET" in methods]


@pytest.mark.django_db
@pytest.mark.parametrize("path", GET_PATHS)
def test_a_real_response_matches_its_description(api, sample, path):
    case = api[path]["GET"].Case(path_parameters=sample["path"].get(path))
    response = case.call(headers=sample["auth"])
    assert response.status_code == 200, (path, response.status_code)
    case.validate_response(response, checks=CONFORMANCE_AND_TYPE)


@pytest.mark.django_db
def test_a_kehriz_without_an_outlet_matches_its_description(api, sample):
    """A kəhriz may be recorded before its outlet is located: its Feature has ``"geometry": null``,
    which the schema must allow."""
    case = api["/api/v1/kehriz/{id}/"]["GET"].Case(path_parameters={"id": sample["bare"].pk})
    response = case.call(headers=sample["auth"])
    assert response.status_code == 200
    assert response.json()["geometry"] is None
    case.validate_response(response, checks=CONFORMANCE_AND_TYPE)


# --- A bounded schemathesis run ---------------------------------------------------------------------------

# Every operation of the schema: the router's, the map layers, the exports and the photos.
ALL_OPERATIONS = {
    **EXPECTED_OPERATIONS,
    "/api/v1/photos/": CRUD[0],
    "/api/v1/photos/{id}/": CRUD[1],
    "/api/v1/exports/{kind}.{fmt}": ["GET"],
}
FUZZED = [(method, path) for path, methods in ALL_OPERATIONS.items() for method in methods]
# Writes go to real records (a kəhriz without village or outlet, the sample's visit, …), where
# the write paths run; reads get generated ids too (mostly missing records, huge numbers, text).
WRITES = {"PUT", "PATCH", "DELETE"}
# (identity, generation mode, examples per operation): bounded, and deterministic. A deeper run
# multiplies the examples: FUZZ_SCALE=10 pytest tests/test_api_schema.py -k schemathesis
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
RUNS = [
    ("manager", GenerationMode.POSITIVE, 15 * SCALE),
    ("manager", GenerationMode.NEGATIVE, 10 * SCALE),
    ("anonymous", GenerationMode.POSITIVE, 5 * SCALE),
    ("anonymous", GenerationMode.NEGATIVE, 4 * SCALE),
]
# Operations whose only input is a free-text path parameter: no request to them is invalid, so
# there is nothing to generate in NEGATIVE mode (they are fuzzed in POSITIVE mode).
NOTHING_INVALID = {
    ("GET", "/api/v1/districts/{slug}/"),
    ("GET", "/api/v1/projects/{code}/"),
    ("DELETE", "/api/v1/projects/{code}/"),
}
FUZZ_RUNS = [
    pytest.param(method, path, who, mode, examples, id=f"{method} {path} {who}-{mode.value}")
    for who, mode, examples in RUNS
    for method, path in FUZZED
    if not (mode == GenerationMode.NEGATIVE and (method, path) in NOTHING_INVALID)
]

# What a request the schema allows may still be refused for (400): rules OpenAPI 3.0 cannot state.
# Everything a schema can say is said (patterns, lengths, minimums, enums, the GeoJSON a geometry
# must be, that an empty query parameter is no parameter); these are what is left.
EXISTS = "names a record, which must exist (a district's slug, a project's code, an id)"
BOX = "in_bbox: west < east and south < north (the pattern checks each number, not their order)"
PLACE = (
    "a latitude within ±90 (OpenAPI 3.0 gives every number of [lon, lat] one schema, ±180), and a "
    "place within its district"
)
NOT_FUTURE = "a date not in the future (OpenAPI 3.0 has no maximum for a date)"
UNIQUE = "unique among the stored records (a code; a village's name in its district; a kəhriz once a visit)"
ACROSS = (
    "a rule between fields: an end on or after the start, a cost or budget with its currency, a "
    "completion date only when done, committee women ≤ members, IDP households ≤ households"
)
LIFECYCLE = (
    "the restoration lifecycle: the next status only, in date order, a correction with its reason; "
    "a kəhriz's status changes only through …/status/"
)
NAME = "a project's Azerbaijani name, as name_az or as the older name: one of the two"
IMAGE = "a JPEG, PNG or WebP the server can decode"
WITHIN_VISIT = "an observation dated within its visit, and not in the future"
KEHRIZ_FILTERS = {"district": EXISTS, "project": EXISTS, "in_bbox": BOX}
DISTANCE = "ordering by distance, which needs near (a point to be distant from)"
VISIT = {
    "start_date": NOT_FUTURE,
    "non_field_errors": ACROSS,
    "observations": UNIQUE,
    "observations.*.kehriz": EXISTS,
    "observations.*.observed_on": WITHIN_VISIT,
    "observations.*.discharge_method": ACROSS,
    "observations.*.observer_location": PLACE,
    "observations.*.follow_ups.*.non_field_errors": ACROSS,
}
KEHRIZ = {
    "district": EXISTS,
    "village": EXISTS,
    "projects": EXISTS,
    "code": UNIQUE,
    "outlet": PLACE,
    "mother_well": PLACE,
    "route": PLACE,
    "non_field_errors": ACROSS,
}
# By (method, path): the fields whose messages such a 400 may hold ("*": any position in a list).
REFUSABLE = {
    ("GET", "/api/v1/kehriz/"): {**KEHRIZ_FILTERS, "ordering": DISTANCE},
    ("GET", "/api/v1/kehriz/map/"): KEHRIZ_FILTERS,
    **{("GET", path): KEHRIZ_FILTERS for path in ("/api/v1/kehriz/routes/", "/api/v1/exports/{kind}.{fmt}")},
    **{
        (method, path): rules
        for base, rules in {
            "/api/v1/villages/": {"district": EXISTS, "location": PLACE, "non_field_errors": UNIQUE},
            "/api/v1/projects/": {
                "districts": EXISTS,
                "code": UNIQUE,
                "name_az": NAME,
                "non_field_errors": ACROSS,
            },
            "/api/v1/kehriz/": KEHRIZ,
            "/api/v1/works/": {"kehriz": EXISTS, "project": EXISTS, "non_field_errors": ACROSS},
            "/api/v1/visits/": VISIT,
            "/api/v1/follow-ups/": {"observation": EXISTS, "non_field_errors": ACROSS},
            "/api/v1/photos/": {"observation": EXISTS, "image": IMAGE},
        }.items()
        for method, path in [
            ("POST", base),
            *[(write, base + ("{code}/" if "projects" in base else "{id}/")) for write in ("PUT", "PATCH")],
        ]
    },
    # Sent again with a kəhriz's record (PUT, PATCH), its status must be the one it has.
    **{(write, "/api/v1/kehriz/{id}/"): {**KEHRIZ, "status": LIFECYCLE} for write in ("PUT", "PATCH")},
    ("POST", "/api/v1/kehriz/{id}/status/"): {
        "to_status": LIFECYCLE,
        "note": LIFECYCLE,
        "on_date": f"{NOT_FUTURE}; {LIFECYCLE}",
        "non_field_errors": LIFECYCLE,
    },
}
# schemathesis's own defaults, and 412 besides: a PUT, PATCH or DELETE whose If-Match names
# another version (the generated ones do) is refused before its body is read, as documented.
DEFAULTS = schemathesis.Config().projects.default.checks
ACCEPTING = [*DEFAULTS.positive_data_acceptance.expected_statuses, "412"]
REJECTING = [*DEFAULTS.negative_data_rejection.expected_statuses, "412"]
CHECKS = {
    "positive_data_acceptance": {"expected-statuses": ACCEPTING},
    "negative_data_rejection": {"expected-statuses": REJECTING},
}
# The operations of REFUSABLE may answer such a request 400 (it is in their documented
# responses): test_schemathesis sets that for their runs, and checks that the 400 is for those
# rules alone. (Set per run rather than as schemathesis's per-operation [[operations]] entries,
# which it merges again for every request: a tenth of the run's time.)
REFUSING = [*ACCEPTING, "400"]


def test_the_fuzzed_operations_are_every_operation_of_the_schema(openapi):
    described = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert set(FUZZED) == described
    assert set(REFUSABLE) <= described


@pytest.fixture
def fuzz_sample(sample, media_in_tmp, cebrayil):
    """The sample, with a photo, and the real record each detail write goes to."""
    photo = PhotoFactory(observation=ObservationFactory(kehriz=sample["asger"]))
    return {
        **sample,
        "path": {
            **sample["path"],
            "/api/v1/photos/{id}/": {"id": photo.pk},
            # The kəhriz that once answered a PATCH with a 500: no village, no outlet.
            "/api/v1/kehriz/{id}/": {"id": sample["bare"].pk},
        },
    }


def _error_fields(body, prefix=""):
    """The fields a 400 names: "district", "observations.*.kehriz" (by position), or a filter's
    parameter (``{"errors": {"in_bbox": […]}}``, the map layers' and exports' shape)."""
    if prefix == "" and set(body) == {"errors"}:
        return set(body["errors"])
    fields = set()
    for key, value in body.items():
        name = f"{prefix}{'*' if key.isdigit() else key}"
        fields |= _error_fields(value, f"{name}.") if isinstance(value, dict) else {name}
    return fields


def test_a_refusal_is_read_by_the_fields_it_names():
    """What test_schemathesis compares with REFUSABLE: the fields of a 400, by position in lists."""
    visit = {
        "start_date": ["…"],
        "observations": {"0": {"kehriz": ["…"]}, "3": {"people_met": {"1": {"count": ["…"]}}}},
    }
    assert _error_fields(visit) == {
        "start_date",
        "observations.*.kehriz",
        "observations.*.people_met.*.count",
    }
    layer = {"errors": {"in_bbox": [{"message": "…", "code": "invalid"}], "project": []}}
    assert _error_fields(layer) == {"in_bbox", "project"}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "who", "mode", "examples"), FUZZ_RUNS)
def test_schemathesis(api, fuzz_sample, settings, monkeypatch, method, path, who, mode, examples):
    """Generated requests to every operation, as a data manager (token) and anonymously, with
    valid and invalid data, judged by every check schemathesis has: no server error; status
    codes, media types, headers and bodies as documented; a request the schema allows is
    accepted, one it forbids is refused. A request the schema allows may be refused with 400
    only for a rule OpenAPI cannot state (REFUSABLE), and the 400 must say it is for that rule."""
    # The run sends its requests at full speed, faster than the API's throttles allow (30 exports
    # a minute): raise the rates here only (projects/throttling.py reads them at each request),
    # so that every generated request gets its real answer, never a 429.
    scopes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(scopes, "100000/minute"),
    }
    operation = api[path][method]
    fixed = None
    # (Invalid requests get generated ids: a DELETE has no other input to make invalid.)
    if (method in WRITES and not (method == "DELETE" and mode == GenerationMode.NEGATIVE)) or (
        path == "/api/v1/kehriz/{id}/status/"
    ):
        fixed = fuzz_sample["path"]["/api/v1/kehriz/{id}/" if "/status/" in path else path]
    headers = fuzz_sample["auth"] if who == "manager" else {}
    form = path.startswith("/api/v1/photos/") and method in ("POST", "PUT", "PATCH")
    refusable = REFUSABLE.get((method, path), {})
    if refusable:
        monkeypatch.setattr(api.config.checks.positive_data_acceptance, "expected_statuses", REFUSING)

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(mode, path_parameters=fixed))
    def run(case):
        # /districts/boundaries/ is the boundary layer's own route, not a district's.
        hypothesis.assume((case.path_parameters or {}).get("slug") != "boundaries")
        # A form is named parts: a body that is not an object (an invalid one, [] or 5) has no
        # parts to send, so it reaches the server as an empty form, a valid partial update.
        hypothesis.assume(not (form and mode == GenerationMode.NEGATIVE and not isinstance(case.body, dict)))
        response = case.call(headers=headers)
        assert response.status_code != 429  # the rates above hold
        case.validate_response(response, headers=headers)
        if mode == GenerationMode.POSITIVE and response.status_code == 400:
            named = _error_fields(response.json())
            assert named <= set(refusable), (
                f"{method} {path}: a request the schema allows was refused for {named - set(refusable)}: "
                f"{response.text[:500]}"
            )

    run()


@pytest.mark.django_db
def test_an_unknown_api_path_answers_the_apis_json_404(manager_client, data_manager):
    """/api/v1/works/9.2e-209/ (no route takes a dot in an id) answered the site's HTML page."""
    response = manager_client.get("/api/v1/works/9.2e-209/", HTTP_ACCEPT_LANGUAGE="az")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Tapılmadı."}
    # Any method: a DELETE there was refused as a cross-site request, in HTML.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(data_manager)
    deleted = strict.delete("/api/v1/villages/3.8e-156/", HTTP_ACCEPT_LANGUAGE="az")
    assert (deleted.status_code, deleted["Content-Type"]) == (404, "application/json")


def test_public_reads_say_no_credentials_are_needed(openapi):
    for path in ("/api/v1/kehriz/", "/api/v1/kehriz/map/", "/api/v1/kehriz/routes/"):
        assert {} in openapi["paths"][path]["get"]["security"], path
    assert {} not in openapi["paths"]["/api/v1/visits/"]["get"].get("security", [])


def test_the_exports_describe_the_hxl_row(openapi):
    parameters = openapi["paths"]["/api/v1/exports/{kind}.{fmt}"]["get"]["parameters"]
    (hxl,) = [p for p in parameters if p["name"] == "hxl"]
    assert (hxl["in"], hxl["schema"]["type"]) == ("query", "boolean")


def test_a_new_kehriz_says_which_properties_it_needs(openapi):
    """Without ``required``, a generated client sent a kəhriz without a name or code (400)."""
    schemas = openapi["components"]["schemas"]
    new = schemas["KehrizRequest"]
    assert new["required"] == ["properties"]
    assert {"name", "code"} <= set(new["properties"]["properties"]["required"])
    assert "required" not in schemas["PatchedKehrizRequest"]["properties"]["properties"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/kehriz/", "/api/v1/kehriz/map/"])
def test_near_and_the_year_say_what_they_accept(openapi, path, client):
    """A point and a year the schema allows are answered; one it forbids is what the API refuses."""
    parameters = {p["name"]: p["schema"] for p in openapi["paths"][path]["get"]["parameters"]}
    near = re.compile(parameters["near"]["pattern"])
    for allowed in ("47.09,39.40", "-180,90", "46,40.5"):
        assert near.match(allowed)
        assert client.get(path, {"near": allowed}).status_code == 200
    for refused in ("181,0", "47.09,91", "1e2,3", "47.09"):
        assert not near.match(refused)
        assert client.get(path, {"near": refused}).status_code == 400
    year = parameters["handed_over_year"]
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", 1900, 2100)
