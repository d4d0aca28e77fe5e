"""Azerbaijani-aware search: people type Cabrayil, Jabrayil, QARADAĞLI or ISMAYIL."""

import pytest
from django.urls import reverse

from projects.models import District, Kehriz, Village
from projects.text import az_lower, fold, search_key, spellings
from tests import factories

pytestmark = pytest.mark.usefixtures("english")

# --- Folding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("İSMAYIL", "ismayıl"),
        ("ISMAYIL", "ısmayıl"),
        ("İsmayıl", "ismayıl"),
        ("QARADAĞLI", "qaradağlı"),
        ("CƏBRAYIL", "cəbrayıl"),
        ("ŞİRVAN", "şirvan"),
        ("IĞDIR", "ığdır"),
        ("", ""),
    ],
)
def test_az_lower_uses_azerbaijani_i(value, expected):
    assert az_lower(value) == expected


def test_az_lower_differs_from_naive_lower_on_dotted_i():
    assert "İ".lower() != "i"  # Python gives i + combining dot
    assert az_lower("İ") == "i"
    assert az_lower("I") == "ı"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Cəbrayıl rayonu", "cebrayil rayonu"),
        ("CƏBRAYIL", "cebrayil"),
        ("cabrayil", "cabrayil"),
        ("Qaradağlı", "qaradagli"),
        ("QARADAĞLI", "qaradagli"),
        ("İsmayıl bulağı", "ismayil bulagi"),
        ("ISMAYIL", "ismayil"),
        ("İSMAYIL", "ismayil"),
        ("Şığı", "sigi"),
        ("Gülqasım", "gulqasim"),
        ("Çöl-Ağdam", "col agdam"),
        ("  Horovlu  -- kəndi. ", "horovlu kendi"),
        ("Xəlifə’s", "xelife s"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(value, expected):
    assert fold(value) == expected


def test_spellings_cover_keyboards_without_azerbaijani_letters():
    assert spellings("Ağdam") == ["agdam", "aghdam"]
    assert spellings("Cəbrayıl") == ["cebrayil", "cabrayil"]
    assert spellings("Qazax") == ["qazax", "qazakh"]
    assert spellings("Goranboy") == ["goranboy"]
    assert spellings("") == []


def test_search_key_holds_every_spelling_of_every_name_once():
    assert search_key("Ağdam", "Agdam", "") == "|agdam|aghdam|"
    assert search_key() == ""


# --- Querysets ---------------------------------------------------------------------------------


def names(queryset):
    return sorted(str(obj) for obj in queryset)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Cabrayil", "Cəbrayıl rayonu"),
        ("cebrayil", "Cəbrayıl rayonu"),
        ("CƏBRAYIL", "Cəbrayıl rayonu"),
        ("Jabrayil", "Cəbrayıl rayonu"),
        ("Jebrail", "Cəbrayıl rayonu"),
        ("Cəbrayıl rayonu", "Cəbrayıl rayonu"),
        ("Gazakh", "Qazax rayonu"),
        ("Kazakh", "Qazax rayonu"),
        ("QAZAX", "Qazax rayonu"),
        ("Aghdam", "Ağdam rayonu"),
        ("agdam", "Ağdam rayonu"),
        ("AĞDAM", "Ağdam rayonu"),
        ("goranboy", "Goranboy rayonu"),
    ],
)
def test_district_search(query, expected):
    assert names(District.objects.search(query)) == [expected]


@pytest.mark.django_db
def test_district_search_finds_nothing_for_an_unknown_word():
    assert not District.objects.search("Atlantis").exists()


@pytest.mark.django_db
def test_empty_search_returns_everything():
    assert District.objects.search("").count() == 79
    assert District.objects.search("   ").count() == 79


@pytest.fixture
def places(goranboy, cebrayil, qazax):
    qaradagli = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    horovlu = factories.VillageFactory(name="Horovlu", district=cebrayil)
    factories.VillageFactory(name="Qıraq Kəsəmən", district=qazax)
    return {
        "karvansara": factories.KehrizFactory(
            name="Karvansara", code="GOR-QRD-01", village=qaradagli, district=goranboy
        ),
        "asger": factories.KehrizFactory(name="Əsgər", code="CAB-HOR-01", village=horovlu, district=cebrayil),
        "ismayil": factories.KehrizFactory(
            name="İsmayıl bulağı", code="QAZ-01", village=None, district=qazax
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["Qaradagli", "QARADAĞLI", "qaradağli", "Qaradaghli", "qaradağlı"])
def test_village_search(places, query):
    assert names(Village.objects.search(query)) == ["Qaradağlı (Goranboy)"]


@pytest.mark.django_db
def test_village_search_by_district_name(places):
    assert names(Village.objects.search("Jabrayil")) == ["Horovlu (Cəbrayıl)"]
    assert names(Village.objects.search("Gazakh")) == ["Qıraq Kəsəmən (Qazax)"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["ismayil", "ISMAYIL", "İSMAYIL", "İsmayıl", "Ismayil bulagi"])
def test_kehriz_search_handles_dotted_and_dotless_i(places, query):
    assert list(Kehriz.objects.search(query)) == [places["ismayil"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Cabrayil", "asger"),
        ("cebrayil", "asger"),
        ("CƏBRAYIL", "asger"),
        ("Jabrayil", "asger"),
        ("Horovlu", "asger"),
        ("Asgar", "asger"),
        ("esger", "asger"),
        ("Qaradagli", "karvansara"),
        ("QARADAĞLI", "karvansara"),
        ("Goranboy", "karvansara"),
        ("karvansara qaradagli", "karvansara"),
        ("gor-qrd", "karvansara"),
        ("Gazakh", "ismayil"),
    ],
)
def test_kehriz_search_by_name_village_district_or_code(places, query, expected):
    assert list(Kehriz.objects.search(query)) == [places[expected]]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["Lənkəran", "xyzzy", "karvansara horovlu"])
def test_kehriz_search_finds_nothing_when_a_word_does_not_match(places, query):
    assert not Kehriz.objects.search(query).exists()


@pytest.mark.django_db
def test_search_follows_a_rename(places):
    k = places["karvansara"]
    k.name = "Şığı"
    k.save()
    assert list(Kehriz.objects.search("Shighi")) == [k]
    assert list(Kehriz.objects.search("sigi")) == [k]
    assert not Kehriz.objects.search("karvansara").exists()


@pytest.mark.django_db
def test_search_follows_a_rename_saved_with_update_fields(places):
    k = places["karvansara"]
    k.name = "Gülqasım"
    k.save(update_fields=["name"])
    assert list(Kehriz.objects.search("Gulqasim")) == [k]


# --- Admin search ------------------------------------------------------------------------------


def admin_results(client, model, query):
    url = reverse(f"admin:projects_{model}_changelist")
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ISMAYIL", ["ismayil"]),
        ("Karvansara", ["karvansara"]),
        ("Jabrayil", ["asger"]),
        ("cabrayil", ["asger"]),
        ("Qaradagli", ["karvansara"]),
        ("Horovlu", ["asger"]),
        ("Gazakh", ["ismayil"]),
        ("rayonu", ["asger", "ismayil", "karvansara"]),
        ("Atlantis", []),
    ],
)
def test_admin_kehriz_search(manager_client, places, query, expected):
    found = admin_results(manager_client, "kehriz", query)
    assert sorted(k.pk for k in found) == sorted(places[e].pk for e in expected)


@pytest.mark.django_db
def test_admin_district_and_village_search(manager_client, places):
    assert [d.name_az for d in admin_results(manager_client, "district", "Jabrayil")] == ["Cəbrayıl rayonu"]
    assert [v.name for v in admin_results(manager_client, "village", "QARADAĞLI")] == ["Qaradağlı"]


@pytest.mark.django_db
def test_admin_observation_search_by_kehriz_village(manager_client, places):
    observation = factories.ObservationFactory(kehriz=places["karvansara"])
    factories.ObservationFactory(kehriz=places["asger"])
    assert admin_results(manager_client, "observation", "Qaradagli") == [observation]
