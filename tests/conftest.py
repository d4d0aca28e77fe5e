import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from projects import roles
from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real district boundaries (79 rayons)."""
    with django_db_blocker.unblock():
        call_command("load_districts", verbosity=0)


@pytest.fixture(autouse=True)
def districts_after_a_flush(request):
    """A transactional test (browser tests, concurrency tests) empties every table when it ends,
    districts included: whichever runs next finds the 79 districts again, whatever the order."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from django.contrib.auth.models import Group

        from projects.models import District

        if not District.objects.exists():
            call_command("load_districts", verbosity=0)
        if not Group.objects.filter(name=roles.DATA_MANAGER).exists():
            recreate_roles()
    yield


ROLE_MIGRATIONS = [
    "0002_roles",
    "0005_data_managers_see_users",
    "0007_security_roles",
    "0016_results_framework",
]


def recreate_roles():
    """The role groups, as the migrations that make them made them (a flush empties them too)."""
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(("projects", ROLE_MIGRATIONS[-1]))
    for name in ROLE_MIGRATIONS:
        for operation in importlib.import_module(f"projects.migrations.{name}").Migration.operations:
            if hasattr(operation, "code"):  # the data operations (0016 also makes tables)
                operation.code(state.apps, None)


@pytest.fixture
def english(settings):
    """Run in English, so that tests can assert on the app's (English) source messages whatever
    translations exist. The site's default language is Azerbaijani; use with
    ``pytest.mark.usefixtures("english")``."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the dashboard keeps its content there)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Uploaded photos go to a temporary folder, never into the project."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --- Districts ---------------------------------------------------------------------------------


@pytest.fixture
def agdam(db):
    return factories.district(factories.AGDAM)


@pytest.fixture
def goranboy(db):
    return factories.district(factories.GORANBOY)


@pytest.fixture
def qazax(db):
    return factories.district(factories.QAZAX)


@pytest.fixture
def cebrayil(db):
    return factories.district(factories.CEBRAYIL)


# --- Users and logged-in clients ----------------------------------------------------------------


def _client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def data_manager(db):
    return factories.UserFactory(username="manager", roles=[roles.DATA_MANAGER])


@pytest.fixture
def viewer(db):
    return factories.UserFactory(username="viewer", roles=[roles.VIEWER])


@pytest.fixture
def field_officer(db, goranboy):
    """A field officer assigned to Goranboy only."""
    officer = factories.UserFactory(username="officer", roles=[roles.FIELD_OFFICER])
    goranboy.officers.add(officer)
    return officer


@pytest.fixture
def manager_client(data_manager):
    return _client_for(data_manager)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def officer_client(field_officer):
    return _client_for(field_officer)


# --- Browser ------------------------------------------------------------------------------------


@pytest.fixture(params=[1280, 360], ids=["desktop", "phone"])
def admin_desktop_and_phone(request, live_server, goranboy):
    """A data manager signed in to the admin in real Chromium, in Azerbaijani, once on a desktop
    and once on a 360 px phone (``driver._kehriz_width`` says which)."""
    from tests.browser import require_chromium, sign_in_to_admin, start_chromium, stop_chromium

    require_chromium()
    driver = start_chromium(width=request.param, height=900)
    driver._kehriz_width = request.param
    try:
        yield sign_in_to_admin(driver, live_server.url)
    finally:
        stop_chromium(driver)


@pytest.fixture
def browser():
    """A real headless Chromium at desktop size (see tests/browser.py)."""
    from tests.browser import require_chromium, start_chromium, stop_chromium

    require_chromium()
    driver = start_chromium()
    yield driver
    stop_chromium(driver)


def pytest_terminal_summary(terminalreporter):
    from tests.browser import ARTIFACTS

    shots = sorted(ARTIFACTS.glob("*.png")) if ARTIFACTS.exists() else []
    if shots:
        terminalreporter.write_sep("-", f"{len(shots)} screenshots saved in {ARTIFACTS}")
