"""A changelist makes as many queries for 50 rows as for one: no query per row."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date


def kehriz_rows(n):
    project = factories.ProjectFactory()
    for i in range(n):
        osm_id = [factories.GORANBOY, factories.CEBRAYIL][i % 2]
        village = factories.VillageFactory(district=factories.district(osm_id))
        k = factories.KehrizFactory(village=village, district=village.district)
        k.projects.add(project)


def visit_rows(n):
    for i in range(n):
        visit = factories.MonitoringVisitFactory(
            start_date=D(2023 + i % 2, 3, 13), end_date=D(2023 + i % 2, 3, 14)
        )
        for osm_id in (factories.GORANBOY, factories.CEBRAYIL):
            factories.ObservationFactory(
                visit=visit, kehriz=factories.KehrizFactory(district=factories.district(osm_id))
            )


def observation_rows(n):
    for i in range(n):
        visit = factories.MonitoringVisitFactory(
            start_date=D(2024, 1 + i % 12, 1), end_date=D(2024, 1 + i % 12, 2)
        )
        factories.ObservationFactory(visit=visit)


def village_rows(n):
    for i in range(n):
        osm_id = [factories.GORANBOY, factories.CEBRAYIL, factories.QAZAX][i % 3]
        factories.VillageFactory(district=factories.district(osm_id))


def district_rows(n):
    """Made-up districts named "Sınaq …", found by the changelist search "sinaq"."""
    for _ in range(n):
        d = factories.DistrictFactory()
        factories.VillageFactory(district=d)
        factories.KehrizFactory(district=d, outlet=None)


def work_rows(n):
    for _ in range(n):
        factories.RestorationWorkFactory()


def event_rows(n):
    user = factories.UserFactory()
    for i in range(n):
        factories.StatusEventFactory(changed_by=user, changed_on=D(2020 + i % 5, 1, 10))


def follow_up_rows(n):
    for i in range(n):
        factories.FollowUpFactory(done=i % 2 == 0, done_on=D(2024, 4, 1) if i % 2 == 0 else None)


def project_rows(n):
    for i in range(n):
        project = factories.ProjectFactory(donor=["KOICA", "EU"][i % 2])
        project.districts.add(factories.district(factories.GORANBOY))
        factories.ReportedFigureFactory(project=project)
        factories.KehrizFactory().projects.add(project)


def reported_figure_rows(n):
    for i in range(n):
        figure = factories.ReportedFigureFactory(value=i + 1)
        figure.districts.add(factories.district([factories.GORANBOY, factories.CEBRAYIL][i % 2]))


def photo_rows(n):
    for i in range(n):
        visit = factories.MonitoringVisitFactory(
            start_date=D(2024, 1 + i % 12, 1), end_date=D(2024, 1 + i % 12, 2)
        )
        factories.PhotoFactory(observation=factories.ObservationFactory(visit=visit), caption="")


CHANGELISTS = [
    ("kehriz", kehriz_rows, {}),
    ("monitoringvisit", visit_rows, {}),
    ("observation", observation_rows, {}),
    ("village", village_rows, {}),
    ("district", district_rows, {"q": "sinaq"}),
    ("restorationwork", work_rows, {}),
    ("statusevent", event_rows, {}),
    ("followup", follow_up_rows, {}),
    ("project", project_rows, {}),
    ("reportedfigure", reported_figure_rows, {}),
    ("photo", photo_rows, {}),
]


def count_queries(client, model_name, params, rows):
    url = reverse(f"admin:projects_{model_name}_changelist")
    client.get(url, params)  # warm up: sessions, content types, permissions caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows
    return len(queries)


@pytest.mark.usefixtures("media_in_tmp")
@pytest.mark.parametrize(("model_name", "make_rows", "params"), CHANGELISTS, ids=[c[0] for c in CHANGELISTS])
def test_changelist_queries_do_not_grow_with_rows(manager_client, model_name, make_rows, params):
    make_rows(1)
    one = count_queries(manager_client, model_name, params, 1)
    make_rows(49)
    fifty = count_queries(manager_client, model_name, params, 50)
    assert fifty == one
