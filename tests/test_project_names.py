"""A project's name in both languages (name_az, name_en), shown in the page's language on the
map's filter, the dashboard, the admin and the API (whose ``name`` stays, in the request's
language)."""

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project
from tests import factories

pytestmark = pytest.mark.django_db

AZ = "Kəhriz su sistemlərinin bərpası"
EN = "Restoration of kəhriz water systems"


@pytest.fixture
def project(goranboy):
    # ``name`` (as the factory spells it) sets the Azerbaijani name.
    p = factories.ProjectFactory(name=AZ, name_en=EN, code="iom-koica")
    p.kehrizes.add(factories.KehrizFactory(district=goranboy))
    return p


def page(path, language, client=None):
    client = client or Client()
    return client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.parametrize(("language", "shown", "hidden"), [("az", AZ, EN), ("en", EN, AZ)])
def test_the_map_filter_names_the_project_in_the_pages_language(project, language, shown, hidden):
    html = page(reverse("projects:home"), language)
    options = html.split('name="project"')[1].split("</select>")[0]
    assert shown in options and hidden not in options


@pytest.mark.parametrize(("language", "shown", "hidden"), [("az", AZ, EN), ("en", EN, AZ)])
def test_the_dashboard_names_the_project_in_the_pages_language(project, language, shown, hidden):
    html = page(reverse("projects:dashboard"), language)
    assert shown in html and hidden not in html


def test_the_api_keeps_name_in_the_requests_language_and_gives_both(project, manager_client):
    path = reverse("projects:api-project-detail", args=[project.code])
    az = manager_client.get(path, HTTP_ACCEPT_LANGUAGE="az").json()
    en = manager_client.get(path, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (az["name"], az["name_az"], az["name_en"]) == (AZ, AZ, EN)
    assert (en["name"], en["name_az"], en["name_en"]) == (EN, AZ, EN)


def test_an_api_client_writing_name_sets_the_azerbaijani_name(manager_client):
    response = manager_client.post(
        reverse("projects:api-project-list"),
        {"code": "new", "name": "Yeni layihə", "name_en": "New project"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Project.objects.values_list("name_az", "name_en").get(code="new") == ("Yeni layihə", "New project")


def test_ordering_by_name_still_works(manager_client, project):
    factories.ProjectFactory(name="Ağdam layihəsi", code="agdam")
    listed = manager_client.get(reverse("projects:api-project-list") + "?ordering=name").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [p["code"] for p in rows] == ["agdam", "iom-koica"]


def test_the_admin_edits_both_names_and_lists_the_pages_language(project, data_manager):
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(data_manager)
    form = client.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()
    assert 'name="name_az"' in form and 'name="name_en"' in form
    listing = client.get(reverse("admin:projects_project_changelist")).content.decode()
    assert AZ in listing and EN not in listing
