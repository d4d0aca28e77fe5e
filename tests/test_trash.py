"""Deleting a kəhriz, visit, observation or photo moves it, with what hangs on it, to the trash:
it is gone from the map, the exports, the dashboard and the API, and a data manager restores it
whole; superusers (or purge_trash, on a schedule) purge it for good. A district or project that
records use cannot be deleted."""

import datetime
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import services, trash
from projects.models import (
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    Project,
    Status,
    StatusEvent,
    TrashEntry,
)
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_in_tmp")]

TRASH = reverse("admin:projects_trashentry_changelist")
LAYER = reverse("projects:api-kehriz-map")


def names_on_map():
    return {f["properties"]["name"] for f in Client().get(LAYER + "?status=").json()["features"]}


def names_in_csv():
    body = Client().get(reverse("projects:api-export", args=["kehriz", "csv"]) + "?status=")
    return body.content.decode("utf-8-sig")


def dashboard_total():
    return Client().get(reverse("projects:dashboard")).context["overall"]["total"]


def restore(client, *entries):
    return client.post(
        TRASH, {"action": "restore_selected", "_selected_action": [e.pk for e in entries]}, follow=True
    )


@pytest.fixture
def planned(goranboy):
    """A kəhriz with a status history and a restoration work, never visited."""
    kehriz = factories.KehrizFactory(
        name="Zəyəm", code="GOR-ZEY-01", district=goranboy, status=Status.PLANNED, people_served=300
    )
    factories.StatusEventFactory(
        kehriz=kehriz, to_status=Status.IDENTIFIED, changed_on=datetime.date(2023, 1, 5)
    )
    factories.StatusEventFactory(
        kehriz=kehriz,
        from_status=Status.IDENTIFIED,
        to_status=Status.PLANNED,
        changed_on=datetime.date(2024, 2, 1),
    )
    factories.RestorationWorkFactory(kehriz=kehriz)
    return kehriz


@pytest.fixture
def visited(goranboy):
    """A visit that measured a kəhriz, with a photo file and a person met."""
    kehriz = factories.KehrizFactory(name="Karvansara", district=goranboy, status=Status.RESTORED)
    day = datetime.date(2024, 3, 13)
    visit = factories.MonitoringVisitFactory(title="Mart səfəri", start_date=day, end_date=day)
    observation = factories.ObservationFactory(
        visit=visit, kehriz=kehriz, observed_on=day, discharge_lps=Decimal("4.20"), discharge_method="bucket"
    )
    factories.PersonMetFactory(observation=observation)
    photo = factories.PhotoFactory(observation=observation)
    services.refresh_current_state([kehriz.pk])
    return kehriz, visit, photo


def test_a_deleted_kehriz_is_gone_everywhere_and_comes_back_whole(manager_client, data_manager, planned):
    assert "Zəyəm" in names_on_map() and "GOR-ZEY-01" in names_in_csv()
    total = dashboard_total()
    response = manager_client.post(
        reverse("admin:projects_kehriz_delete", args=[planned.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Kehriz.objects.filter(pk=planned.pk).exists()
    assert "Zəyəm" not in names_on_map()
    assert "GOR-ZEY-01" not in names_in_csv()
    assert dashboard_total() == total - 1
    assert manager_client.get(reverse("projects:api-kehriz-detail", args=[planned.pk])).status_code == 404
    assert Client().get(reverse("projects:kehriz", args=[planned.pk])).status_code == 404

    (entry,) = TrashEntry.objects.all()
    assert (entry.kind, entry.label, entry.deleted_by) == ("kehriz", str(planned), data_manager)
    assert entry.summary == "2 status changes, 1 restoration work"
    listing = manager_client.get(TRASH).content.decode()
    assert "Zəyəm" in listing and "2 status changes, 1 restoration work" in listing

    page = restore(manager_client, entry).content.decode()
    assert "was restored" in page
    back = Kehriz.objects.get(pk=planned.pk)
    assert (back.name, back.code, back.status, back.people_served) == ("Zəyəm", "GOR-ZEY-01", "planned", 300)
    assert list(
        StatusEvent.objects.filter(kehriz=back).values_list("to_status", flat=True).order_by("changed_on")
    ) == [
        "identified",
        "planned",
    ]
    assert back.works.count() == 1
    assert "Zəyəm" in names_on_map() and dashboard_total() == total
    assert not TrashEntry.objects.exists()
    last = Kehriz.history.filter(id=back.pk).latest("history_date")
    assert (last.history_type, last.history_change_reason, last.history_user) == (
        "+",
        "Restored from the trash",
        data_manager,
    )


def test_a_deleted_visit_takes_its_observations_and_photos_and_restores_them(
    manager_client, visited, django_capture_on_commit_callbacks
):
    kehriz, visit, photo = visited
    path = photo.image.path
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            reverse("admin:projects_monitoringvisit_delete", args=[visit.pk]), {"post": "yes"}
        )
    assert not Observation.objects.exists() and not Photo.objects.exists()
    kehriz.refresh_from_db()
    assert kehriz.last_visit_on is None and kehriz.last_discharge_lps is None  # its state follows
    assert manager_client.get(photo.get_absolute_url()).status_code == 404
    assert os.path.getsize(path) > 0  # the file is kept for the trash

    restore(manager_client, TrashEntry.objects.get())
    assert MonitoringVisit.objects.get().title == "Mart səfəri"
    observation = Observation.objects.get()
    assert observation.people_met.count() == 1 and observation.photos.get().uuid == photo.uuid
    kehriz.refresh_from_db()
    assert (kehriz.last_visit_on, kehriz.last_discharge_lps) == (datetime.date(2024, 3, 13), Decimal("4.20"))
    assert manager_client.get(photo.get_absolute_url()).status_code == 200


def test_a_restore_that_cannot_fit_is_refused_and_writes_nothing(manager_client, planned, goranboy):
    trash.move_to_trash(planned)
    factories.KehrizFactory(name="Başqa", code="GOR-ZEY-01", district=goranboy)  # the code, given again
    page = restore(manager_client, TrashEntry.objects.get()).content.decode()
    assert "was not restored" in page and "code" in page.lower()
    assert Kehriz.objects.get(code="GOR-ZEY-01").name == "Başqa"
    assert TrashEntry.objects.count() == 1 and not StatusEvent.objects.exists()


def test_an_observation_waits_for_its_visit(manager_client, visited):
    _kehriz, visit, _photo = visited
    trash.move_to_trash(Observation.objects.get())
    trash.move_to_trash(visit)
    observation_entry = TrashEntry.objects.get(kind="observation")
    with pytest.raises(trash.RestoreRefused, match="restore “.*Mart səfəri.*” from the trash first"):
        trash.restore(observation_entry)
    # Restoring both together puts the visit back first.
    restore(manager_client, *TrashEntry.objects.all())
    assert Observation.objects.get().visit.title == "Mart səfəri"
    assert not TrashEntry.objects.exists()


def test_only_superusers_purge_and_purging_removes_the_files(
    manager_client, visited, django_capture_on_commit_callbacks
):
    _kehriz, visit, photo = visited
    path = photo.image.path
    entry = trash.move_to_trash(visit)
    # A data manager is not offered the purge and cannot post it.
    assert "delete_selected" not in manager_client.get(TRASH).content.decode()
    manager_client.post(TRASH, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert TrashEntry.objects.filter(pk=entry.pk).exists()

    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    superuser = Client(HTTP_ACCEPT_LANGUAGE="en")
    superuser.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        superuser.post(TRASH, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert not TrashEntry.objects.exists()
    assert not os.path.exists(path)


def test_purge_trash_purges_what_is_older_than_the_days_kept(planned, visited, settings):
    old = trash.move_to_trash(planned)
    TrashEntry.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=91))
    recent = trash.move_to_trash(visited[1])
    settings.TRASH_KEEP_DAYS = 90
    call_command("purge_trash", verbosity=0)
    assert list(TrashEntry.objects.all()) == [recent]


def test_a_district_or_project_in_use_cannot_be_deleted(manager_client, goranboy):
    project = factories.ProjectFactory(name_en="IOM KOICA")
    factories.KehrizFactory(name="Karvansara", district=goranboy).projects.add(project)
    for url in (
        reverse("admin:projects_project_delete", args=[project.pk]),
        reverse("admin:projects_district_delete", args=[goranboy.pk]),
    ):
        page = manager_client.get(url).content.decode()
        assert "would require deleting the following protected related objects" in page
        assert "Karvansara" in page
        manager_client.post(url, {"post": "yes"})
    assert Project.objects.filter(pk=project.pk).exists() and Kehriz.objects.get().projects.count() == 1
