"""Recording the past through the API: `POST kehriz/{id}/status/` with `backdated`, for data
managers only."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from projects.models import StatusEvent
from projects.services import record_initial_status
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def api_client(user, language="en"):
    return Client(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.fixture
def handed_over_in_2019(goranboy):
    kehriz = factories.KehrizFactory(status="handed_over", status_changed_on=D(2019, 5, 1), district=goranboy)
    record_initial_status(kehriz=kehriz, on_date=D(2019, 5, 1))
    return kehriz


def post_status(client, kehriz, **body):
    return client.post(
        reverse("projects:api-kehriz-change-status", args=[kehriz.pk]), body, content_type="application/json"
    )


def test_a_data_manager_records_an_earlier_step_in_date_order(data_manager, handed_over_in_2019):
    k = handed_over_in_2019
    response = post_status(
        api_client(data_manager), k, to_status="restored", on_date="2019-03-01", backdated=True
    )
    assert response.status_code == 201, response.content
    assert response.json()["changed_on"] == "2019-03-01"
    dates = list(
        StatusEvent.objects.filter(kehriz=k).order_by("changed_on").values_list("to_status", "changed_on")
    )
    assert dates == [("restored", D(2019, 3, 1)), ("handed_over", D(2019, 5, 1))]
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))


def test_without_the_flag_an_earlier_date_is_still_refused(data_manager, handed_over_in_2019):
    response = post_status(
        api_client(data_manager), handed_over_in_2019, to_status="restored", on_date="2019-03-01"
    )
    assert response.status_code == 400
    assert "on_date" in response.json()
    assert StatusEvent.objects.filter(kehriz=handed_over_in_2019).count() == 1


@pytest.mark.parametrize(("language", "message"), [("en", "Only data managers"), ("az", "məlumat menecer")])
def test_a_field_officer_cannot_backdate_through_the_api(field_officer, goranboy, language, message):
    k = factories.KehrizFactory(status="handed_over", status_changed_on=D(2019, 5, 1), district=goranboy)
    record_initial_status(kehriz=k, on_date=D(2019, 5, 1))
    response = post_status(
        api_client(field_officer, language), k, to_status="restored", on_date="2019-03-01", backdated=True
    )
    assert response.status_code == 403
    assert message in response.json()["detail"]
    assert StatusEvent.objects.filter(kehriz=k).count() == 1
