"""Searching the admin the way a data manager types: every list's search box and every
autocomplete (a project on a kəhriz or a work, a visit on an observation…) answers, with words typed
without Azerbaijani letters or in Azerbaijani capitals ("Qaradagli", "ISIQLI", "KOİCA")."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# Folded spellings, Azerbaijani capitals (İ is capital i, I is capital ı) and a word that names a
# project's donor, a team, a follow-up's action.
TERMS = ["Qaradagli", "QARADAĞLI", "ISIQLI", "işıqlı", "İ", "I", "koica", "KOİCA", "kankan", "boru"]


def searchable_admins():
    return sorted(
        (model._meta.app_label, model._meta.model_name)
        for model, model_admin in admin.site._registry.items()
        if model_admin.search_fields
    )


def autocompletes():
    """(app_label, model_name, field_name) of every autocomplete, in the admins and their inlines."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        for field in model_admin.autocomplete_fields:
            found.add((model._meta.app_label, model._meta.model_name, field))
        for inline in model_admin.inlines:
            for field in inline.autocomplete_fields:
                found.add((inline.model._meta.app_label, inline.model._meta.model_name, field))
    return sorted(found)


@pytest.fixture
def superuser_client(db):
    """Every list, including the ones data managers do not see (groups, users)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(factories.UserFactory(username="root", is_superuser=True))
    return client


@pytest.fixture
def programme(goranboy, media_in_tmp):
    """A kəhriz at Qaradağlı in İşıqlı village, with a KOICA project, a visit, works and photos,
    next to rows that must not match."""
    koica = factories.ProjectFactory(name="Qaradağlı kəhrizlərinin bərpası", name_en="", donor="KOICA")
    other = factories.ProjectFactory(name="Su təchizatı", name_en="Water supply", donor="USAID")
    village = factories.VillageFactory(name="İşıqlı", district=goranboy)
    kehriz = factories.KehrizFactory(name="Qaradağlı", village=village, district=goranboy)
    kehriz.projects.add(koica)
    elsewhere = factories.KehrizFactory(name="Şıxlı", district=goranboy)
    visit = factories.MonitoringVisitFactory(title="İşıqlı kəndinə səfər", organisations="IOM")
    other_visit = factories.MonitoringVisitFactory(title="Yay monitorinqi", organisations="IOM")
    observation = factories.ObservationFactory(kehriz=kehriz, visit=visit)
    factories.ObservationFactory(kehriz=elsewhere, visit=other_visit)
    factories.StatusEventFactory(kehriz=kehriz)
    factories.RestorationWorkFactory(kehriz=kehriz, project=koica, team_name="Kankan dəstəsi")
    factories.RestorationWorkFactory(kehriz=elsewhere, project=other, team_name="Podratçı")
    factories.FollowUpFactory(observation=observation, action="Quyuya beton borular qoymaq")
    factories.PhotoFactory(observation=observation, caption="Çıxış hovuzu")
    factories.ReportedFigureFactory(project=koica)
    return {"koica": koica, "other": other, "kehriz": kehriz, "visit": visit}


@pytest.mark.parametrize(("app_label", "model_name"), searchable_admins())
def test_every_list_answers_a_search(superuser_client, programme, app_label, model_name):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    for term in TERMS:
        response = superuser_client.get(url, {"q": term})
        assert response.status_code == 200, (model_name, term)


@pytest.mark.parametrize(("app_label", "model_name", "field_name"), autocompletes())
def test_every_autocomplete_answers_a_term(superuser_client, programme, app_label, model_name, field_name):
    for term in TERMS:
        response = superuser_client.get(
            reverse("admin:autocomplete"),
            {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
        )
        assert response.status_code == 200, (model_name, field_name, term)


def found(client, model_name, term):
    response = client.get(reverse(f"admin:projects_{model_name}_changelist"), {"q": term})
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["cl"].result_list)


def picked(client, model_name, field_name, term):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "projects", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


@pytest.mark.parametrize("term", ["koica", "KOİCA", "qaradagli", "QARADAĞLI kəhrizlərinin"])
def test_projects_found_by_donor_or_name_however_typed(manager_client, programme, term):
    assert found(manager_client, "project", term) == ["Qaradağlı kəhrizlərinin bərpası"]


@pytest.mark.parametrize(
    ("model_name", "field_name"), [("kehriz", "projects"), ("restorationwork", "project")]
)
def test_a_project_is_typed_on_a_kehriz_or_a_work(manager_client, programme, model_name, field_name):
    assert picked(manager_client, model_name, field_name, "KOİCA") == ["Qaradağlı kəhrizlərinin bərpası"]
    assert picked(manager_client, model_name, field_name, "water") == ["Water supply"]


@pytest.mark.parametrize("term", ["ISIQLI", "isiqli", "İşıqlı kəndinə"])
def test_visits_found_by_a_folded_title(manager_client, programme, term):
    visit = str(programme["visit"])
    assert found(manager_client, "monitoringvisit", term) == [visit]
    assert picked(manager_client, "observation", "visit", term) == [visit]


@pytest.mark.parametrize(
    ("model_name", "term", "expected"),
    [
        ("observation", "Qaradagli", 1),
        ("observation", "isiqli", 1),  # the kəhriz's village or the visit
        ("statusevent", "QARADAĞLI", 1),
        ("restorationwork", "qaradagli", 1),
        ("restorationwork", "KANKAN", 1),  # the team, folded by the database
        ("restorationwork", "podratci", 1),
        ("restorationwork", "koica", 1),  # the project
        ("followup", "BORULAR", 1),
        ("followup", "Qaradagli", 1),
        ("photo", "cixis", 1),
        ("photo", "QARADAĞLI", 1),
        ("reportedfigure", "koica", 1),
        ("kehriz", "sixli", 1),
        ("kehriz", "ISIQLI", 1),  # by its village
        ("village", "İŞIQLI", 1),
    ],
)
def test_lists_find_rows_however_the_name_is_typed(manager_client, programme, model_name, term, expected):
    assert len(found(manager_client, model_name, term)) == expected


def test_an_observation_is_picked_by_its_kehriz_on_a_follow_up(manager_client, programme):
    assert picked(manager_client, "followup", "observation", "qaradagli") == [
        str(programme["kehriz"].name) + ", March 13, 2024"
    ]
