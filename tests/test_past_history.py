"""Recording a kəhriz's past: the status form in Azerbaijani, the history of a kəhriz handed over
before the system existed, back-dated entries in date order, and the status-history import."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Kehriz, StatusEvent
from projects.services import change_status, record_initial_status
from tests import factories
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

D = datetime.date
STATUS_URL = reverse("admin:projects_kehriz_change_status")


def az_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(user)
    return client


FIRST = D(2024, 1, 10)


def at_status(status, district, on=FIRST, **fields):
    k = factories.KehrizFactory(status=status, status_changed_on=on, district=district, **fields)
    record_initial_status(kehriz=k, on_date=on)
    return k


def history(kehriz):
    return list(
        StatusEvent.objects.filter(kehriz=kehriz)
        .order_by("changed_on", "created_at", "id")
        .values_list("from_status", "to_status", "changed_on", "is_correction")
    )


# --- The status form ---------------------------------------------------------------------------


def test_the_status_form_in_azerbaijani_has_todays_date_in_iso(data_manager, goranboy):
    k = at_status("planned", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    (date_input,) = re.findall(r'<input[^>]*name="on_date"[^>]*>', page)
    assert 'type="date"' in date_input
    assert f'value="{timezone.localdate().isoformat()}"' in date_input


def test_the_status_form_proposes_the_next_step(data_manager, goranboy):
    k = at_status("planned", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    assert re.search(r'<option value="under_restoration"[^>]*selected', page)
    assert not re.search(r'<option value="planned"[^>]*selected', page)


def test_kehriz_at_different_steps_get_no_proposal(data_manager, goranboy):
    a, b = at_status("planned", goranboy), at_status("assessed", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={a.pk},{b.pk}").content.decode()
    assert not re.search(r"<option [^>]*selected", page.split('name="to_status"')[1].split("</select>")[0])


# --- Back-dated entries ------------------------------------------------------------------------


@pytest.fixture
def handed_over_in_2019(goranboy):
    """A kəhriz first recorded as handed over since 1 May 2019 (before the system existed)."""
    return at_status("handed_over", goranboy, on=D(2019, 5, 1))


@pytest.mark.usefixtures("english")
def test_an_earlier_event_is_placed_in_date_order(handed_over_in_2019, data_manager):
    k = handed_over_in_2019
    change_status(kehriz=k, to_status="restored", on_date=D(2019, 3, 1), user=data_manager, backdated=True)
    change_status(
        kehriz=k, to_status="under_restoration", on_date=D(2018, 6, 1), user=data_manager, backdated=True
    )
    assert history(k) == [
        ("", "under_restoration", D(2018, 6, 1), False),
        ("", "restored", D(2019, 3, 1), False),
        ("", "handed_over", D(2019, 5, 1), False),
    ]
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))


@pytest.mark.usefixtures("english")
def test_a_backdated_event_between_two_changes_takes_the_status_of_its_date(goranboy, data_manager):
    k = at_status("identified", goranboy, on=D(2018, 1, 1))
    change_status(kehriz=k, to_status="assessed", on_date=D(2018, 3, 1))
    # A sheet shows the assessment was done in February: placed before the March change (which
    # still says "from identified"), it breaks the chain, so only a correction may record it.
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=k, to_status="assessed", on_date=D(2018, 2, 1), backdated=True)
    assert "On 2018-03-01 the history already records assessed" in caught.value.message_dict["to_status"][0]
    assert len(history(k)) == 2
    event = change_status(
        kehriz=k,
        to_status="assessed",
        on_date=D(2018, 2, 1),
        backdated=True,
        correction=True,
        note="The survey sheet of February was found.",
    )
    assert (event.from_status, event.is_correction) == ("identified", True)
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("assessed", D(2018, 2, 1))


@pytest.mark.usefixtures("english")
def test_a_backdated_event_must_fit_the_lifecycle(handed_over_in_2019):
    k = handed_over_in_2019
    change_status(kehriz=k, to_status="restored", on_date=D(2019, 3, 1), backdated=True)
    before = history(k)
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=k, to_status="assessed", on_date=D(2019, 4, 1), backdated=True)
    assert "cannot go from restored to assessed directly" in caught.value.message_dict["to_status"][0]
    with pytest.raises(ValidationError):  # after handed over, before restored: out of order
        change_status(kehriz=k, to_status="handed_over", on_date=D(2018, 1, 1), backdated=True)
    assert history(k) == before


@pytest.mark.usefixtures("english")
def test_without_the_backdated_flag_an_earlier_date_is_still_refused(handed_over_in_2019):
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=handed_over_in_2019, to_status="restored", on_date=D(2019, 3, 1))
    assert "before the last recorded change" in caught.value.message_dict["on_date"][0]


def test_a_data_manager_adds_a_kehriz_with_its_past_status(data_manager, goranboy):
    client = az_client(data_manager)
    page = client.get(reverse("admin:projects_kehriz_add"))
    data = admin_form_data(page)
    assert data["status_changed_on"]  # today, editable
    data.update(
        name="Karvansara",
        code="GOR-QRD-01",
        district=str(goranboy.pk),
        status="handed_over",
        status_changed_on="2019-05-01",
    )
    response = client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    k = Kehriz.objects.get(code="GOR-QRD-01")
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))
    assert history(k) == [("", "handed_over", D(2019, 5, 1), False)]


def test_a_future_status_date_on_the_add_form_is_an_error_not_a_crash(data_manager, goranboy):
    client = az_client(data_manager)
    data = admin_form_data(client.get(reverse("admin:projects_kehriz_add")))
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data.update(name="Orta", code="GOR-02", district=str(goranboy.pk), status_changed_on=future)
    response = client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 200
    assert "status_changed_on" in response.context["adminform"].form.errors
    assert not Kehriz.objects.filter(code="GOR-02").exists()


def test_a_field_officer_cannot_backdate(field_officer, goranboy):
    k = at_status("planned", goranboy)
    client = az_client(field_officer)
    page = client.get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    assert 'name="backdated"' not in page
    add = client.get(reverse("admin:projects_kehriz_add")).content.decode()
    assert 'name="status_changed_on"' not in add


def test_the_status_form_records_a_backdated_event(data_manager, handed_over_in_2019):
    k = handed_over_in_2019
    response = az_client(data_manager).post(
        f"{STATUS_URL}?ids={k.pk}", {"to_status": "restored", "on_date": "2019-03-01", "backdated": "on"}
    )
    assert response.status_code == 302
    assert history(k)[0] == ("", "restored", D(2019, 3, 1), False)
