"""The status history and photo lists in the admin open on the newest rows, and the history is
filtered by year: at national scale the model's own order (by kəhriz name) sorted every event, and
Django's date hierarchy listed the years by reading every event."""

import datetime

import pytest
from django.urls import reverse

from projects.models import Status
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HISTORY = reverse("admin:projects_statusevent_changelist")


@pytest.fixture
def history(goranboy):
    def event(name, day, to_status):
        kehriz = factories.KehrizFactory(name=name, district=goranboy)
        return factories.StatusEventFactory(kehriz=kehriz, changed_on=day, to_status=to_status)

    return [
        event("Ağbulaq", datetime.date(2019, 5, 1), Status.IDENTIFIED),
        event("Zəyəm", datetime.date(2024, 3, 13), Status.ASSESSED),
        event("Bəhrəmli", datetime.date(2022, 12, 31), Status.IDENTIFIED),
        event("Çaykənd", datetime.date(2023, 1, 1), Status.IDENTIFIED),
    ]


def names(response):
    return [str(e.kehriz.name) for e in response.context["cl"].result_list]


def test_history_opens_newest_first(manager_client, history):
    assert names(manager_client.get(HISTORY)) == ["Zəyəm", "Çaykənd", "Bəhrəmli", "Ağbulaq"]


def test_history_filters_by_year_from_the_first_to_the_last(manager_client, history):
    response = manager_client.get(HISTORY)
    (year_filter,) = [
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", None) == "year"
    ]
    # Every year from the last change to the first, 2020 and 2021 included: a year with no
    # change is a fair question and answers an empty list.
    assert [value for value, _label in year_filter.lookup_choices] == [
        "2024",
        "2023",
        "2022",
        "2021",
        "2020",
        "2019",
    ]
    assert names(manager_client.get(HISTORY, {"year": "2022"})) == ["Bəhrəmli"]  # 31 December
    assert names(manager_client.get(HISTORY, {"year": "2023"})) == ["Çaykənd"]  # 1 January
    assert names(manager_client.get(HISTORY, {"year": "2021"})) == []
    # A year typed by hand that is no year finds nothing, and does not fail.
    for bad in ("last", "99999"):
        response = manager_client.get(HISTORY, {"year": bad})
        assert response.status_code == 200 and names(response) == []


def test_photos_open_newest_first(manager_client, goranboy):
    older = factories.PhotoFactory(caption="older", observation__kehriz__district=goranboy)
    newer = factories.PhotoFactory(caption="newer", observation__kehriz__district=goranboy)
    response = manager_client.get(reverse("admin:projects_photo_changelist"))
    assert [p.pk for p in response.context["cl"].result_list] == [newer.pk, older.pk]
