"""Recording a kəhriz's past: the status form in Azerbaijani, the history of a kəhriz handed over
before the system existed, back-dated entries in date order, and the status-history import."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import StatusEvent
from projects.services import record_initial_status
from tests import factories

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
