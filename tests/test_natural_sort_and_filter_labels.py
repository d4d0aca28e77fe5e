"""The district page lists kəhriz as people count ("Ağbulaq 46" before "Ağbulaq 108"), and a filter
that was not understood is named by its label, in Azerbaijani, never by its parameter name."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

NAMES = ["Ağbulaq 108", "Ağbulaq 46", "Ağbulaq 9", "Zəngi", "Ağbulaq", "Əliabad 2", "Ağbulaq 10"]
NAMES += ["Ağbulaq 007"]


def table(client, district, sort=None):
    response = client.get(reverse("projects:district", args=[district.slug]), {"sort": sort} if sort else {})
    assert response.status_code == 200
    return [row["kehriz"].name for row in response.context["rows"]]


def test_the_district_table_sorts_names_by_their_numbers(client, goranboy):
    for name in NAMES:
        factories.KehrizFactory(name=name, district=goranboy)
    names = table(client, goranboy)
    agbulaq = [name for name in names if name.startswith("Ağbulaq")]
    # Leading zeros do not make a number larger: 007 is seven.
    assert agbulaq == ["Ağbulaq", "Ağbulaq 007", "Ağbulaq 9", "Ağbulaq 10", "Ağbulaq 46", "Ağbulaq 108"]
    descending = [name for name in table(client, goranboy, "-name") if name.startswith("Ağbulaq")]
    assert descending == list(reversed(agbulaq))


def test_the_district_table_sorts_villages_by_their_numbers(client, goranboy):
    for number in (12, 3, 101):
        village = factories.VillageFactory(name=f"Qışlaq {number}", district=goranboy)
        factories.KehrizFactory(name=f"K{number}", village=village, district=goranboy)
    assert table(client, goranboy, "village") == ["K3", "K12", "K101"]


def test_the_map_layer_names_a_bad_filter_by_its_label():
    response = Client(HTTP_ACCEPT_LANGUAGE="az").get(
        reverse("projects:api-kehriz-map"), {"handed_over_year": "keçən il", "in_bbox": "1,2"}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"handed_over_year", "in_bbox"}  # the parameters, for programs
    assert errors["handed_over_year"][0]["message"] == "Təhvil verildiyi il: Ədəd daxil edin."
    for messages in errors.values():
        assert "handed_over_year" not in messages[0]["message"] and "in_bbox" not in messages[0]["message"]


def test_the_map_page_names_a_bad_filter_by_its_label():
    page = Client(HTTP_ACCEPT_LANGUAGE="az").get("/", {"handed_over_year": "keçən il"}).content.decode()
    notice = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Təhvil verildiyi il: Ədəd daxil edin." in notice
    assert "handed_over_year" not in notice
