"""Observations: what each visit saw at the outlet, and the kəhriz's current state derived from
the latest of them."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from projects.models import Kehriz, MonitoringVisit, Observation
from projects.services import distance_m, refresh_current_state
from tests import factories
from tests.helpers import admin_form_data, inline_prefix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date


def visit_on(start, end=None):
    return factories.MonitoringVisitFactory(start_date=start, end_date=end)


def observe(kehriz, on_date, functionality, discharge=None):
    return factories.ObservationFactory(
        kehriz=kehriz,
        visit=visit_on(on_date),
        observed_on=on_date,
        functionality=functionality,
        discharge_lps=discharge,
        discharge_method="bucket" if discharge is not None else "",
    )


def state(kehriz):
    kehriz.refresh_from_db()
    return kehriz.functionality, kehriz.last_visit_on, kehriz.last_discharge_lps


# --- refresh_current_state ---------------------------------------------------------------------


def test_current_state_comes_from_the_latest_observation():
    k = factories.KehrizFactory()
    observe(k, D(2024, 3, 13), "functional", Decimal("9.50"))
    observe(k, D(2024, 8, 20), "low_flow", Decimal("3.20"))
    observe(k, D(2024, 5, 2), "dry", Decimal("0.00"))
    assert refresh_current_state([k.pk]) == 1
    assert state(k) == ("low_flow", D(2024, 8, 20), Decimal("3.20"))


def test_last_discharge_is_the_latest_measured_one():
    k = factories.KehrizFactory()
    observe(k, D(2024, 3, 13), "functional", Decimal("9.50"))
    observe(k, D(2024, 8, 20), "collapsed")
    refresh_current_state([k.pk])
    assert state(k) == ("collapsed", D(2024, 8, 20), Decimal("9.50"))


def test_a_zero_discharge_counts_as_measured():
    k = factories.KehrizFactory()
    observe(k, D(2024, 3, 13), "functional", Decimal("9.50"))
    observe(k, D(2024, 8, 20), "dry", Decimal("0"))
    refresh_current_state([k.pk])
    assert state(k) == ("dry", D(2024, 8, 20), Decimal("0.00"))


def test_without_observations_the_state_is_unknown():
    k = factories.KehrizFactory(functionality="functional", last_visit_on=D(2024, 1, 1), last_discharge_lps=5)
    refresh_current_state([k.pk])
    assert state(k) == ("unknown", None, None)


def test_refresh_touches_only_the_kehriz_given():
    a, b = factories.KehrizFactory(), factories.KehrizFactory()
    observe(a, D(2024, 3, 13), "functional", Decimal("9.50"))
    observe(b, D(2024, 3, 13), "dry")
    refresh_current_state([a.pk])
    assert state(a)[0] == "functional"
    assert state(b)[0] == "unknown"
    assert refresh_current_state([]) == 0
    assert state(b)[0] == "unknown"
    refresh_current_state()
    assert state(b)[0] == "dry"


def test_deleting_the_latest_observation_falls_back_to_the_one_before():
    k = factories.KehrizFactory()
    observe(k, D(2024, 3, 13), "functional", Decimal("9.50"))
    latest = observe(k, D(2024, 8, 20), "dry", Decimal("0"))
    refresh_current_state([k.pk])
    latest.delete()
    refresh_current_state([k.pk])
    assert state(k) == ("functional", D(2024, 3, 13), Decimal("9.50"))


# --- Validation --------------------------------------------------------------------------------


def test_an_observation_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    visit = visit_on(timezone.localdate() - datetime.timedelta(days=1), tomorrow)
    observation = factories.ObservationFactory.build(
        visit=visit, kehriz=factories.KehrizFactory(), observed_on=tomorrow
    )
    with pytest.raises(ValidationError) as caught:
        observation.full_clean()
    assert caught.value.message_dict["observed_on"] == ["An observation cannot be dated in the future."]


@pytest.mark.parametrize("observed_on", [D(2024, 3, 12), D(2024, 3, 15)])
def test_an_observation_outside_its_visit_is_refused(observed_on):
    observation = factories.ObservationFactory.build(
        visit=visit_on(D(2024, 3, 13), D(2024, 3, 14)),
        kehriz=factories.KehrizFactory(),
        observed_on=observed_on,
    )
    with pytest.raises(ValidationError) as caught:
        observation.full_clean()
    assert caught.value.message_dict["observed_on"] == [
        "The observation date must fall within the visit (2024-03-13 – 2024-03-14)."
    ]


@pytest.mark.parametrize("observed_on", [D(2024, 3, 13), D(2024, 3, 14)])
def test_an_observation_on_either_day_of_the_visit_is_accepted(observed_on):
    observation = factories.ObservationFactory.build(
        visit=visit_on(D(2024, 3, 13), D(2024, 3, 14)),
        kehriz=factories.KehrizFactory(),
        observed_on=observed_on,
    )
    observation.full_clean()


def test_a_one_day_visit_accepts_only_that_day():
    visit = visit_on(D(2024, 3, 13))
    factories.ObservationFactory.build(visit=visit, kehriz=factories.KehrizFactory()).full_clean()
    late = factories.ObservationFactory.build(
        visit=visit, kehriz=factories.KehrizFactory(), observed_on=D(2024, 3, 14)
    )
    with pytest.raises(ValidationError):
        late.full_clean()


def observer_at(kehriz, dlat):
    outlet = kehriz.outlet
    return Point(outlet.x, outlet.y + dlat, srid=4326)


def test_an_observer_far_from_the_outlet_flags_the_observation():
    k = factories.KehrizFactory()
    position = observer_at(k, 0.02)
    assert 2000 < distance_m(position, k.outlet) < 2500
    observation = factories.ObservationFactory.build(
        visit=factories.MonitoringVisitFactory(), kehriz=k, observer_location=position
    )
    observation.full_clean()
    assert observation.needs_review is True
    assert observation.review_note == "Recorded 2.2 km from the outlet."


def test_an_observer_near_the_outlet_is_not_flagged():
    k = factories.KehrizFactory()
    position = observer_at(k, 0.005)
    assert 500 < distance_m(position, k.outlet) < 1000
    observation = factories.ObservationFactory.build(
        visit=factories.MonitoringVisitFactory(), kehriz=k, observer_location=position, needs_review=True
    )
    observation.full_clean()
    assert observation.needs_review is False
    assert observation.review_note == ""


# --- Through the admin -------------------------------------------------------------------------


def visit_add_data(client, rows, start="2024-03-13", end="2024-03-14"):
    page = client.get(reverse("admin:projects_monitoringvisit_add"))
    data = admin_form_data(page)
    prefix = inline_prefix(page, Observation)
    data.update(
        {
            "title": "IOM and KOICA visit",
            "start_date": start,
            "end_date": end,
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
        }
    )
    for i, (kehriz, observed_on, functionality, discharge) in enumerate(rows):
        data.update(
            {
                f"{prefix}-{i}-kehriz": str(kehriz.pk),
                f"{prefix}-{i}-observed_on": observed_on,
                f"{prefix}-{i}-functionality": functionality,
                f"{prefix}-{i}-discharge_lps": discharge,
                f"{prefix}-{i}-discharge_method": "weir" if discharge else "",
            }
        )
    return data


def test_saving_a_visit_in_the_admin_updates_each_kehriz(manager_client, goranboy, cebrayil):
    karvansara = factories.KehrizFactory(name="Karvansara", district=goranboy)
    asger = factories.KehrizFactory(name="Əsgər", district=cebrayil)
    data = visit_add_data(
        manager_client,
        [(asger, "2024-03-13", "functional", "11.5"), (karvansara, "2024-03-14", "dry", "")],
    )
    response = manager_client.post(reverse("admin:projects_monitoringvisit_add"), data)
    assert response.status_code == 302
    assert state(asger) == ("functional", D(2024, 3, 13), Decimal("11.50"))
    assert state(karvansara) == ("dry", D(2024, 3, 14), None)

    # Editing the observation in the visit updates the kəhriz again.
    visit = MonitoringVisit.objects.get()
    url = reverse("admin:projects_monitoringvisit_change", args=[visit.pk])
    page = manager_client.get(url)
    data = admin_form_data(page)
    prefix = inline_prefix(page, Observation)
    row = next(i for i in range(2) if data[f"{prefix}-{i}-kehriz"] == str(karvansara.pk))
    data[f"{prefix}-{row}-functionality"] = "low_flow"
    assert manager_client.post(url, data).status_code == 302
    assert state(karvansara)[0] == "low_flow"

    # Deleting it from the visit takes the kəhriz back to unknown.
    data[f"{prefix}-{row}-DELETE"] = "on"
    assert manager_client.post(url, data).status_code == 302
    assert state(karvansara) == ("unknown", None, None)
    assert state(asger)[0] == "functional"


def test_the_admin_refuses_an_observation_outside_the_visit_dates(manager_client, goranboy):
    k = factories.KehrizFactory(district=goranboy)
    data = visit_add_data(manager_client, [(k, "2024-03-20", "functional", "")])
    response = manager_client.post(reverse("admin:projects_monitoringvisit_add"), data)
    assert response.status_code == 200
    assert "The observation date must fall within the visit" in response.content.decode()
    assert not MonitoringVisit.objects.exists()
    assert not Observation.objects.exists()


def test_the_admin_refuses_an_observation_outside_an_existing_visit(manager_client, goranboy):
    k = factories.KehrizFactory(district=goranboy)
    visit = visit_on(D(2024, 3, 13), D(2024, 3, 14))
    url = reverse("admin:projects_monitoringvisit_change", args=[visit.pk])
    page = manager_client.get(url)
    data = admin_form_data(page)
    prefix = inline_prefix(page, Observation)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-kehriz": str(k.pk),
            f"{prefix}-0-observed_on": "2024-03-20",
            f"{prefix}-0-functionality": "functional",
        }
    )
    response = manager_client.post(url, data)
    assert response.status_code == 200
    assert (
        "The observation date must fall within the visit (2024-03-13 – 2024-03-14)."
        in response.content.decode()
    )
    assert not Observation.objects.exists()


def test_the_admin_refuses_the_same_kehriz_twice_in_one_visit(manager_client, goranboy):
    k = factories.KehrizFactory(district=goranboy)
    data = visit_add_data(manager_client, [(k, "2024-03-13", "functional", ""), (k, "2024-03-14", "dry", "")])
    response = manager_client.post(reverse("admin:projects_monitoringvisit_add"), data)
    assert response.status_code == 200
    assert not MonitoringVisit.objects.exists()


def test_moving_an_observation_to_another_kehriz_refreshes_both(manager_client, goranboy):
    wrong = factories.KehrizFactory(name="Orta", district=goranboy)
    right = factories.KehrizFactory(name="Əsgər", district=goranboy)
    observation = observe(wrong, D(2024, 3, 13), "functional", Decimal("9.50"))
    refresh_current_state([wrong.pk])
    assert state(wrong)[0] == "functional"

    url = reverse("admin:projects_observation_change", args=[observation.pk])
    data = admin_form_data(manager_client.get(url))
    data["kehriz"] = str(right.pk)
    assert manager_client.post(url, data).status_code == 302
    assert state(right) == ("functional", D(2024, 3, 13), Decimal("9.50"))
    assert state(wrong) == ("unknown", None, None)


def test_deleting_a_visit_in_the_admin_refreshes_its_kehriz(manager_client):
    k = factories.KehrizFactory()
    observation = observe(k, D(2024, 3, 13), "functional", Decimal("9.50"))
    refresh_current_state([k.pk])
    url = reverse("admin:projects_monitoringvisit_delete", args=[observation.visit.pk])
    assert manager_client.post(url, {"post": "yes"}).status_code == 302
    assert not Kehriz.objects.get(pk=k.pk).observations.exists()
    assert state(k) == ("unknown", None, None)


def test_the_admin_flags_an_observation_far_from_the_outlet(manager_client):
    k = factories.KehrizFactory()
    observation = factories.ObservationFactory(kehriz=k)
    url = reverse("admin:projects_observation_change", args=[observation.pk])
    data = admin_form_data(manager_client.get(url))
    position = observer_at(k, 0.02)
    data["observer_location"] = position.geojson
    assert manager_client.post(url, data).status_code == 302
    observation.refresh_from_db()
    assert observation.needs_review is True
    assert observation.review_note == "Recorded 2.2 km from the outlet."
