"""Export everything, empty the database (but for districts and projects), import the exports
again: the same villages, kəhriz and observations come back. Only the status history is not
carried: each kəhriz comes back with one event, its current status."""

import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.gis.geos import LineString
from django.core.management import call_command

from projects import exports, imports, services
from projects.models import District, Kehriz, MonitoringVisit, Observation, Project, StatusEvent, Village
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date
KINDS = ["villages", "kehriz", "observations"]
ROUTE = ((46.92, 39.995), (46.9236, 39.993), (46.92736, 39.99096))


@pytest.fixture
def programme(agdam, qazax, cebrayil):
    """The sample data plus kəhriz with every column filled in, a history and several visits."""
    call_command("load_sample_data", stdout=StringIO())
    project = Project.objects.get(code="iom-koica-kehriz")
    phase_two = factories.ProjectFactory(code="koica-phase-2")
    sixlar = factories.VillageFactory(
        name="Şıxlar",
        district=agdam,
        location=factories.point((46.9301, 39.9902)),
        location_is_approximate=True,
        location_source="GPS, ±10 m",
        is_idp_settlement=True,
    )
    xelife = factories.KehrizFactory(
        code="AGD-SIX-01",
        name="Xəlifə",
        district=agdam,
        village=sixlar,
        outlet=factories.point(ROUTE[-1]),
        mother_well=factories.point(ROUTE[0]),
        route=LineString(ROUTE, srid=4326),
        location_source="GPS survey 2024",
        shaft_count=28,
        mother_well_depth_m=Decimal("12.5"),
        use_drinking=True,
        use_irrigation=True,
        use_livestock=True,
        households_served=60,
        people_served=250,
        idp_households_served=20,
        irrigated_area_ha=Decimal("12.50"),
        figures_are_approximate=True,
        committee_name="Şıxlar su istifadəçiləri birliyi",
        committee_members=9,
        committee_women=4,
        committee_chair_is_woman=True,
        status="identified",
        status_changed_on=D(2024, 1, 10),
        notes="- two shafts collapsed\nsecond line, with “quotes”, a comma; and a semicolon",
        source="Field survey",
        is_published=False,
    )
    xelife.projects.add(project, phase_two)
    services.record_initial_status(kehriz=xelife, on_date=D(2024, 1, 10))
    services.change_status(kehriz=xelife, to_status="assessed", on_date=D(2024, 2, 1))
    services.change_status(kehriz=xelife, to_status="planned", on_date=D(2024, 3, 1))
    gulqasim = factories.KehrizFactory(
        code="QAZ-001",
        name="Gülqasım",
        district=qazax,
        village=None,
        status="handed_over",
        status_changed_on=D(2023, 11, 5),
        gallery_length_m=Decimal("1037.0"),
        shaft_count=17,
        committee_chair_is_woman=False,
    )
    services.record_initial_status(kehriz=gulqasim)

    spring = factories.MonitoringVisitFactory(
        title="Spring monitoring — Ağdam & Qazax", start_date=D(2024, 4, 2), end_date=D(2024, 4, 3)
    )
    factories.ObservationFactory(
        visit=spring,
        kehriz=xelife,
        observed_on=D(2024, 4, 2),
        functionality="low_flow",
        discharge_lps=Decimal("4.25"),
        discharge_method="weir",
        works_progress="Shafts 3–5 lined with rings",
        findings="=ok? the pool is clean",
    )
    factories.ObservationFactory(
        visit=spring,
        kehriz=gulqasim,
        observed_on=D(2024, 4, 3),
        discharge_lps=Decimal("11.00"),
        discharge_method="bucket",
    )
    summer = factories.MonitoringVisitFactory(
        title="Summer check", start_date=D(2024, 7, 15), end_date=None, organisations=""
    )
    factories.ObservationFactory(
        visit=summer,
        kehriz=gulqasim,
        functionality="dry",
        discharge_lps=Decimal("0"),
        discharge_method="estimate",
    )
    factories.ObservationFactory(
        visit=summer,
        kehriz=Kehriz.objects.get(code="CAB-HOR-ESGER"),
        discharge_lps=Decimal("9.5"),
        discharge_method="float",
        findings="Çıxışda su var; hovuz təmizdir.",
    )
    services.refresh_current_state()
    return {"xelife": xelife, "gulqasim": gulqasim}


def export_all():
    everything = Kehriz.objects.all()
    return {kind: exports.render("csv", kind, everything).decode("utf-8-sig") for kind in KINDS}


def files(fmt):
    """The files a data manager would download: three CSV files, or one workbook."""
    everything = Kehriz.objects.all()
    if fmt == "csv":
        return {kind: (f"{kind}.csv", exports.render("csv", kind, everything)) for kind in KINDS}
    workbook = exports.render("xlsx", "all", everything)
    return dict.fromkeys(KINDS, ("kehriz-all.xlsx", workbook))


def import_all(files_by_kind, user=None):
    results = {}
    for kind in KINDS:
        name, data = files_by_kind[kind]
        table = imports.read_table(data, name, kind)
        assert table.problems == [], table.problems
        results[kind] = imports.importer_for(kind, user).apply(table)
    return results


def empty_the_database():
    Observation.objects.all().delete()
    MonitoringVisit.objects.all().delete()
    Kehriz.objects.all().delete()
    Village.objects.all().delete()


def history():
    return {
        k.code: list(
            k.status_events.order_by("changed_on", "id").values_list("from_status", "to_status", "changed_on")
        )
        for k in Kehriz.objects.all()
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_delete_import_gives_the_same_data(programme, fmt, data_manager):
    before = export_all()
    saved = files(fmt)
    sizes = {kind: len(list(csv.DictReader(io.StringIO(text, newline="")))) for kind, text in before.items()}
    assert sizes == {"villages": 3, "kehriz": 5, "observations": 7}
    assert history()["AGD-SIX-01"] == [
        ("", "identified", D(2024, 1, 10)),
        ("identified", "assessed", D(2024, 2, 1)),
        ("assessed", "planned", D(2024, 3, 1)),
    ]
    districts, projects = District.objects.count(), Project.objects.count()

    empty_the_database()
    assert (Village.objects.count(), Kehriz.objects.count(), MonitoringVisit.objects.count()) == (0, 0, 0)
    assert StatusEvent.objects.count() == 0

    results = import_all(saved, user=data_manager)
    assert results == {
        "villages": {"created": 3, "updated": 0, "unchanged": 0},
        "kehriz": {"created": 5, "updated": 0, "unchanged": 0},
        "observations": {"created": 7, "updated": 0, "unchanged": 0},
    }
    after = export_all()
    for kind in KINDS:
        assert after[kind] == before[kind], kind
    assert (District.objects.count(), Project.objects.count()) == (districts, projects)
    assert MonitoringVisit.objects.count() == 3  # the sample visit, spring and summer

    # The status history is not exported: each kəhriz keeps only its current status, dated.
    for code, events in history().items():
        kehriz = Kehriz.objects.get(code=code)
        assert events == [("", kehriz.status, kehriz.status_changed_on)], code
    assert history()["AGD-SIX-01"] == [("", "planned", D(2024, 3, 1))]

    # Importing the same files again changes nothing.
    again = import_all(saved, user=data_manager)
    assert again == {
        "villages": {"created": 0, "updated": 0, "unchanged": 3},
        "kehriz": {"created": 0, "updated": 0, "unchanged": 5},
        "observations": {"created": 0, "updated": 0, "unchanged": 7},
    }
    assert export_all() == after


def test_reimporting_an_export_onto_the_same_data_changes_nothing(programme):
    before = export_all()
    counts = (
        Village.objects.count(),
        Kehriz.objects.count(),
        StatusEvent.objects.count(),
        Observation.objects.count(),
    )
    results = import_all(files("xlsx"))
    assert all(result["created"] == result["updated"] == 0 for result in results.values()), results
    assert export_all() == before
    assert (
        Village.objects.count(),
        Kehriz.objects.count(),
        StatusEvent.objects.count(),
        Observation.objects.count(),
    ) == counts


def test_an_export_corrected_in_a_spreadsheet_updates_the_records(programme):
    text = exports.render("csv", "kehriz", Kehriz.objects.filter(code="QAZ-001")).decode("utf-8-sig")
    text = text.replace("Gülqasım", "Gülqasım kəhrizi").replace(",17,", ",18,")
    table = imports.read_table(text.encode("utf-8"), "kehriz.csv", "kehriz")
    preview = imports.importer_for("kehriz").dry_run(table)
    assert [(r.action, r.changes) for r in preview.rows] == [("update", ["name", "shaft_count"])]
    imports.importer_for("kehriz").apply(table)
    kehriz = Kehriz.objects.get(code="QAZ-001")
    assert (kehriz.name, kehriz.shaft_count, kehriz.status_events.count()) == ("Gülqasım kəhrizi", 18, 1)
