"""A client generated from /api/schema/ by openapi-python-client works as it comes, without a hand
fix: it imports, lists kəhriz with a filter, creates a visit (and a resend answers 200 with the
same visit), uploads a photo, and reads an error body. Generated offline, in a few seconds, once
for the module; its requests go to the Django app in-process (httpx's WSGI transport)."""

import datetime
import importlib
import io
import json
import pkgutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from django.core import signals
from django.db import close_old_connections
from PIL import Image
from rest_framework.authtoken.models import Token

from kehriz.wsgi import application
from projects.models import MonitoringVisit, Photo
from tests.factories import KehrizFactory

PACKAGE = "kehriz_client"
CONFIG = {"package_name_override": PACKAGE, "project_name_override": PACKAGE, "post_hooks": []}


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker, tmp_path_factory):
    """The client package, generated from the schema the app serves and imported untouched."""
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    folder = tmp_path_factory.mktemp("client")
    (folder / "schema.json").write_bytes(response.content)
    (folder / "config.json").write_text(json.dumps(CONFIG))
    command = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [command, "generate", "--path", "schema.json", "--config", "config.json", "--meta", "none"]
        + ["--output-path", PACKAGE],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        # Every module imports: a request body the generator could not express fails here.
        api = importlib.import_module(f"{PACKAGE}.api")
        for module in pkgutil.walk_packages(api.__path__, f"{PACKAGE}.api."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture
def same_connection():
    """As in test_api_schema: requests through the WSGI app must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def client(generated, same_connection, data_manager):
    token = Token.objects.create(user=data_manager)
    return generated.AuthenticatedClient(
        base_url="http://testserver",
        token=token.key,
        prefix="Token",
        httpx_args={"transport": httpx.WSGITransport(app=application)},
    )


def test_every_generated_module_imports(generated):
    assert hasattr(_module("api.visits.visits_create"), "sync_detailed")
    assert hasattr(_module("models"), "MonitoringVisitRequest")


@pytest.mark.django_db
def test_a_generated_client_lists_creates_uploads_and_reads_errors(client, cebrayil, agdam, media_in_tmp):
    models = _module("models")
    kehriz_list = _module("api.kehriz.kehriz_list")
    visits_create = _module("api.visits.visits_create")
    photos_create = _module("api.photos.photos_create")
    types = _module("types")

    asger = KehrizFactory(name="Əsgər", district=cebrayil, status="identified")
    bulaq = KehrizFactory(name="Ağ bulaq", district=cebrayil, status="identified")
    KehrizFactory(name="Elsewhere", district=agdam, status="identified")

    # A list with filters: parsed into the page's model, features and their properties.
    listed = kehriz_list.sync_detailed(
        client=client, district=["cebrayil-rayonu"], status=[models.KehrizListStatusItem.IDENTIFIED]
    )
    assert listed.status_code == 200, listed.content
    page = listed.parsed
    assert isinstance(page, models.PaginatedKehrizList)
    assert page.count == 2
    assert sorted(feature.properties.name for feature in page.features) == ["Ağ bulaq", "Əsgər"]

    # A visit with two observations, sent without any of the fields the server writes.
    visit_uuid = uuid.uuid4()
    body = models.MonitoringVisitRequest(
        uuid=visit_uuid,
        title="Spring flow check",
        start_date=datetime.date(2026, 4, 10),
        organisations="IOM",
        observations=[
            models.ObservationRequest(
                kehriz=kehriz.pk,
                observed_on=datetime.date(2026, 4, 10),
                functionality=models.FunctionalityEnum.FUNCTIONAL,
                discharge_lps="9.5",
                discharge_method=models.DischargeMethodEnum.BUCKET,
                people_met=[models.PersonMetRequest(role=models.RoleEnum.KANKAN, name="Əli")],
            )
            for kehriz in (asger, bulaq)
        ],
    )
    created = visits_create.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    visit = created.parsed
    assert isinstance(visit, models.MonitoringVisit)
    assert visit.uuid == visit_uuid
    assert len(visit.observations) == 2
    # The resend of a dropped connection: 200, the same visit, nothing created.
    again = visits_create.sync_detailed(client=client, body=body)
    assert again.status_code == 200, again.content
    assert again.parsed.id == visit.id
    assert MonitoringVisit.objects.count() == 1

    # A photo of the first observation: a multipart upload.
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 120, 200)).save(buffer, "JPEG")
    buffer.seek(0)
    upload = models.PhotoRequest(
        uuid=uuid.uuid4(),
        observation=visit.observations[0].id,
        image=types.File(payload=buffer, file_name="outlet.jpg", mime_type="image/jpeg"),
        caption="Outlet after cleaning",
    )
    photo = photos_create.sync_detailed(client=client, body=upload)
    assert photo.status_code == 201, photo.content
    assert isinstance(photo.parsed, models.Photo)
    assert photo.parsed.caption == "Outlet after cleaning"
    assert Photo.objects.get().observation_id == visit.observations[0].id

    # An error: its body parsed into the documented model, messages by field.
    wrong = models.MonitoringVisitRequest(
        uuid=uuid.uuid4(),
        title="Backwards",
        start_date=datetime.date(2026, 4, 10),
        end_date=datetime.date(2026, 4, 1),
    )
    refused = visits_create.sync_detailed(client=client, body=wrong)
    assert refused.status_code == 400, refused.content
    errors = refused.parsed
    assert isinstance(errors, models.FieldErrors)
    assert errors.to_dict(), refused.content
    messages = [
        message
        for value in errors.to_dict().values()
        for message in (value if isinstance(value, list) else [value])
    ]
    assert messages and all(isinstance(message, str) and message for message in messages)
    assert MonitoringVisit.objects.count() == 1
