"""Spreadsheet imports (projects.imports): reading CSV and XLSX, the dry-run preview with every
problem of every row, all-or-nothing writes, and re-imports that update rather than duplicate."""

import csv
import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook

from projects import imports, services
from projects.models import Kehriz, MonitoringVisit, Observation, StatusEvent, Village
from projects.tabular import KEHRIZ_COLUMNS, OBSERVATION_COLUMNS, VILLAGE_COLUMNS, names
from tests import factories
from tests.helpers import point_outside

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date


# --- Helpers ----------------------------------------------------------------------------------------


def csv_file(rows, header=None, delimiter=",", bom=True):
    header = header or list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_file(sheets):
    """sheets: {name: [header, row, row…]} in order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(kind, rows, **options):
    return imports.read_table(csv_file(rows, **options), f"{kind}.csv", kind)


def preview(kind, rows, user=None, **options):
    return imports.importer_for(kind, user).dry_run(table(kind, rows, **options))


def apply(kind, rows, user=None, **options):
    return imports.importer_for(kind, user).apply(table(kind, rows, **options))


def problems_by_line(result):
    return {row.line: row.errors for row in result.rows if row.errors}


def counts():
    return (
        Village.objects.count(),
        Kehriz.objects.count(),
        StatusEvent.objects.count(),
        MonitoringVisit.objects.count(),
        Observation.objects.count(),
    )


@pytest.fixture
def places(goranboy, cebrayil):
    horovlu = factories.VillageFactory(
        name="Horovlu", district=cebrayil, location=factories.point(factories.HOROVLU)
    )
    qaradagli = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    project = factories.ProjectFactory(code="iom-koica-kehriz")
    return {"horovlu": horovlu, "qaradagli": qaradagli, "project": project}


def kehriz_row(**values):
    row = {
        "code": "CAB-HOR-01",
        "name": "Əsgər",
        "district": "Cəbrayıl rayonu",
        "village": "Horovlu",
        "outlet_lon": "47.09472",
        "outlet_lat": "39.4",
        "status": "under_restoration",
        "status_changed_on": "2024-03-13",
        "use_drinking": "yes",
        "use_irrigation": "no",
        "households_served": "40",
        "idp_households_served": "12",
        "committee_members": "7",
        "committee_women": "3",
        "projects": "iom-koica-kehriz",
        "is_published": "yes",
    }
    row.update(values)
    return row


# --- Reading ----------------------------------------------------------------------------------------


def test_csv_with_and_without_bom_and_with_semicolons_read_the_same():
    rows = [{"district": "Cəbrayıl", "name": "Horovlu"}, {"district": "Goranboy", "name": "Qaradağlı"}]
    expected = [{"district": "Cəbrayıl", "name": "Horovlu"}, {"district": "Goranboy", "name": "Qaradağlı"}]
    for data in (csv_file(rows), csv_file(rows, bom=False), csv_file(rows, delimiter=";")):
        result = imports.read_table(data, "villages.csv", "villages")
        assert result.problems == []
        assert result.header == ["district", "name"]
        assert [row.values for row in result.rows] == expected
        assert [row.line for row in result.rows] == [2, 3]


def test_line_numbers_count_blank_rows_and_multi_line_cells():
    data = b'district,name,location_source\r\nGoranboy,A,"two\r\nlines"\r\n,,\r\nGoranboy,B,\r\n'
    result = imports.read_table(data, "v.csv", "villages")
    assert [(row.line, row.values["name"]) for row in result.rows] == [(2, "A"), (5, "B")]
    assert result.rows[0].values["location_source"] == "two\r\nlines"


def test_xlsx_reads_the_sheet_named_like_the_kind_else_the_first():
    header = ["district", "name", "lon", "lat", "is_idp_settlement"]
    data = xlsx_file(
        {
            "kehriz": [["code", "name"], ["X-1", "Orta"]],
            "villages": [header, ["Cəbrayıl rayonu", "Horovlu", 47.09472, 39.4, True]],
        }
    )
    result = imports.read_table(data, "all.xlsx", "villages")
    assert result.sheet == "villages"
    assert result.rows[0].values == {
        "district": "Cəbrayıl rayonu",
        "name": "Horovlu",
        "lon": "47.09472",
        "lat": "39.4",
        "is_idp_settlement": "yes",
    }
    only = imports.read_table(
        xlsx_file({"Sheet 1": [header, ["Goranboy", "Qaradağlı", None, None, False]]}), "x.xlsx", "villages"
    )
    assert only.sheet == "Sheet 1"
    assert only.rows[0].values["is_idp_settlement"] == "no"
    assert only.rows[0].line == 2


def test_xlsx_dates_and_whole_numbers_become_text():
    data = xlsx_file(
        {
            "observations": [
                ["visit_title", "visit_start_date", "kehriz_code", "observed_on", "discharge_lps"],
                ["Visit", datetime.datetime(2024, 3, 13), "A-1", D(2024, 3, 14), 9.0],
            ]
        }
    )
    row = imports.read_table(data, "o.xlsx", "observations").rows[0].values
    assert row["visit_start_date"] == "2024-03-13"
    assert row["observed_on"] == "2024-03-14"
    assert row["discharge_lps"] == "9"


def test_unknown_and_missing_columns_are_reported():
    result = imports.read_table(
        csv_file([{"district": "Goranboy", "nmae": "X", "colour": "red"}]), "v.csv", "villages"
    )
    text = " ".join(result.problems)
    assert "Unknown column “nmae”" in text
    assert "Unknown column “colour”" in text
    assert "Required columns are missing: name." in text
    dry = imports.importer_for("villages").dry_run(result)
    assert not dry.ok and dry.rows == []


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "v.csv", "The file is empty"),
        ("district,name\r\nAğdam,Şıxlar\r\n".encode("cp1254"), "v.csv", "not UTF-8"),
        (b"\xff\xfe\x00garbage", "v.csv", "not UTF-8"),
        (b"not a zip", "v.xlsx", "not a readable .xlsx"),
        (b"anything", "v.xls", "Old .xls"),
        (b"anything", "v.ods", "Upload a .csv or .xlsx"),
    ],
)
def test_unreadable_files_are_refused_clearly(data, name, message):
    result = imports.read_table(data, name, "villages")
    assert any(message in problem for problem in result.problems), result.problems


def test_a_row_longer_than_the_header_is_a_problem(goranboy):
    data = b"district,name\r\nGoranboy,Qaradagli,extra\r\n"
    result = imports.importer_for("villages").dry_run(imports.read_table(data, "v.csv", "villages"))
    assert result.rows[0].errors == [
        "Row 2 has 3 cells, the header has 2: is a decimal comma unquoted (9,5)?"
    ]


def test_export_only_columns_are_ignored(places):
    row = kehriz_row(functionality="dry", last_visit_on="not a date", last_discharge_lps="-4")
    result = preview("kehriz", [row])
    assert result.ok, result.all_problems


# --- Villages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["Cəbrayıl rayonu", "Cəbrayıl", "Cabrayil", "CƏBRAYIL", "cebrayil-rayonu", "Jabrayil", "Cabrayil rayonu"],
)
def test_a_district_is_found_by_any_spelling(cebrayil, spelling):
    result = preview("villages", [{"district": spelling, "name": "Horovlu"}])
    assert result.ok, result.all_problems
    assert result.rows[0].action == "new"
    apply("villages", [{"district": spelling, "name": "Horovlu"}])
    assert Village.objects.get().district == cebrayil


def test_villages_import_creates_then_updates_then_changes_nothing(cebrayil, goranboy):
    rows = [
        {
            "district": "Cəbrayıl rayonu",
            "name": "Horovlu",
            "lon": "47.09472",
            "lat": "39.40000",
            "location_is_approximate": "yes",
            "location_source": "Wikipedia",
            "is_idp_settlement": "no",
        },
        {"district": "Goranboy", "name": "Qaradağlı", "lon": "", "lat": "", "is_idp_settlement": "bəli"},
    ]
    assert apply("villages", rows) == {"created": 2, "updated": 0, "unchanged": 0}
    horovlu = Village.objects.get(name="Horovlu")
    assert (horovlu.district, round(horovlu.location.x, 5), horovlu.location_is_approximate) == (
        cebrayil,
        47.09472,
        True,
    )
    assert Village.objects.get(name="Qaradağlı").is_idp_settlement is True

    assert apply("villages", rows) == {"created": 0, "updated": 0, "unchanged": 2}
    # Folded names find the same villages: no duplicates.
    rows[1] = {
        "district": "goranboy-rayonu",
        "name": "QARADAGLI",
        "lon": "",
        "lat": "",
        "is_idp_settlement": "no",
    }
    result = preview("villages", rows)
    assert [(r.action, r.changes) for r in result.rows] == [
        ("unchanged", []),
        ("update", ["is_idp_settlement"]),
    ]
    assert apply("villages", rows) == {"created": 0, "updated": 1, "unchanged": 1}
    assert Village.objects.count() == 2
    village = Village.objects.get(district=goranboy)
    assert (village.name, village.is_idp_settlement) == ("Qaradağlı", False)  # the name is kept


def test_village_problems_are_listed_and_nothing_is_written(cebrayil, goranboy):
    far = point_outside(cebrayil, 5000, 20000)
    rows = [
        {"district": "Nowhere", "name": "A", "lon": "", "lat": "", "is_idp_settlement": ""},
        {
            "district": "Cəbrayıl",
            "name": "B",
            "lon": f"{far.x:.6f}",
            "lat": f"{far.y:.6f}",
            "is_idp_settlement": "",
        },
        {"district": "Cəbrayıl", "name": "C", "lon": "47,1", "lat": "39.4", "is_idp_settlement": "maybe"},
        {"district": "Cəbrayıl", "name": "D", "lon": "47.1", "lat": "", "is_idp_settlement": ""},
        {"district": "Goranboy", "name": "Qaradagli", "lon": "", "lat": "", "is_idp_settlement": ""},
        {"district": "Goranboy", "name": "QARADAĞLI", "lon": "", "lat": "", "is_idp_settlement": ""},
        {"district": "Cəbrayıl", "name": "", "lon": "", "lat": "", "is_idp_settlement": ""},
    ]
    before = counts()
    result = preview("villages", rows)
    found = problems_by_line(result)
    assert "Unknown district “Nowhere”" in found[2][0]
    assert "km outside Cəbrayıl rayonu" in found[3][0] and "Check the coordinates" in found[3][0]
    assert any("use a decimal point" in p for p in found[4])
    assert any("“maybe” is not yes or no" in p for p in found[4])
    assert "Give both the longitude and the latitude" in found[5][0]
    assert 6 not in found
    assert found[7] == ["name: The same village as line 6."]
    assert found[8] == ["name: This column must be filled in."]
    assert not result.ok
    with pytest.raises(imports.ImportRefused):
        apply("villages", rows)
    assert counts() == before


def test_a_village_just_outside_its_district_is_a_warning(cebrayil):
    near = point_outside(cebrayil, 100, 1500)
    row = {"district": "Cəbrayıl", "name": "Sərhəd", "lon": f"{near.x:.6f}", "lat": f"{near.y:.6f}"}
    result = preview("villages", [row])
    assert result.ok
    assert "outside Cəbrayıl rayonu" in result.rows[0].warnings[0]


# --- Kəhriz -----------------------------------------------------------------------------------------


def test_a_good_kehriz_file_writes_every_row_with_its_first_status_event(places, goranboy):
    rows = [
        kehriz_row(),
        kehriz_row(
            code="GOR-QRD-01",
            name="Karvansara",
            district="",
            village="QARADAGLI",
            outlet_lon="",
            outlet_lat="",
            status="handed_over",
            status_changed_on="2024-05-01",
            route_wkt="LINESTRING(46.78 40.61, 46.79 40.6105)",
            gallery_length_m="5",
            committee_chair_is_woman="yes",
            projects="",
        ),
    ]
    result = preview("kehriz", rows)
    assert result.ok, result.all_problems
    assert [r.action for r in result.rows] == ["new", "new"]
    assert "computed from the route" in result.rows[1].warnings[0]
    assert Kehriz.objects.count() == 0  # the dry run wrote nothing

    assert apply("kehriz", rows) == {"created": 2, "updated": 0, "unchanged": 0}
    asger = Kehriz.objects.get(code="CAB-HOR-01")
    assert (asger.name, asger.village, asger.status, asger.status_changed_on) == (
        "Əsgər",
        places["horovlu"],
        "under_restoration",
        D(2024, 3, 13),
    )
    assert (
        asger.households_served,
        asger.idp_households_served,
        asger.use_drinking,
        asger.use_irrigation,
    ) == (
        40,
        12,
        True,
        False,
    )
    assert [p.code for p in asger.projects.all()] == ["iom-koica-kehriz"]
    assert list(asger.status_events.values_list("from_status", "to_status", "changed_on")) == [
        ("", "under_restoration", D(2024, 3, 13))
    ]
    karvansara = Kehriz.objects.get(code="GOR-QRD-01")
    assert karvansara.village == places["qaradagli"]
    assert karvansara.district == goranboy  # found from the village
    assert karvansara.gallery_length_m == services.gallery_length_from_route(karvansara.route)
    assert 800 < karvansara.gallery_length_m < 900  # the route's, not the 5 m written
    assert karvansara.committee_chair_is_woman is True


def test_reimporting_the_same_kehriz_file_changes_nothing(places):
    rows = [kehriz_row(), kehriz_row(code="CAB-HOR-02", name="Orta")]
    apply("kehriz", rows)
    before = counts()
    stamps = list(Kehriz.objects.order_by("code").values_list("updated_at", flat=True))
    result = preview("kehriz", rows)
    assert [r.action for r in result.rows] == ["unchanged", "unchanged"]
    assert apply("kehriz", rows) == {"created": 0, "updated": 0, "unchanged": 2}
    assert counts() == before
    assert list(Kehriz.objects.order_by("code").values_list("updated_at", flat=True)) == stamps


def test_an_edited_kehriz_row_updates_only_that_kehriz(places):
    apply("kehriz", [kehriz_row(), kehriz_row(code="CAB-HOR-02", name="Orta")])
    rows = [
        kehriz_row(name="Əsgər kəhrizi", households_served="45"),
        kehriz_row(code="cab-hor-02", name="Orta"),
    ]
    result = preview("kehriz", rows)
    assert [(r.action, r.changes) for r in result.rows] == [
        ("update", ["name", "households_served"]),
        ("unchanged", []),
    ]
    assert apply("kehriz", rows) == {"created": 0, "updated": 1, "unchanged": 1}
    asger = Kehriz.objects.get(code="CAB-HOR-01")
    assert (asger.name, asger.households_served) == ("Əsgər kəhrizi", 45)
    assert Kehriz.objects.count() == 2


def test_a_missing_column_keeps_the_value_and_an_empty_cell_clears_it(places):
    apply("kehriz", [kehriz_row(shaft_count="17", notes="Lined with rings")])
    apply("kehriz", [{"code": "CAB-HOR-01", "name": "Əsgər", "notes": ""}])
    kehriz = Kehriz.objects.get()
    assert (kehriz.shaft_count, kehriz.notes, kehriz.village) == (17, "", places["horovlu"])


def test_the_status_moves_only_to_the_next_step(places):
    apply("kehriz", [kehriz_row()])
    result = preview("kehriz", [kehriz_row(status="handed_over", status_changed_on="2024-06-01")])
    assert "cannot go from under restoration to handed over" in result.rows[0].errors[0]
    assert "The next step is restored" in result.rows[0].errors[0]
    back = preview("kehriz", [kehriz_row(status="planned")])
    assert "cannot go from under restoration to planned" in back.rows[0].errors[0]
    early = preview("kehriz", [kehriz_row(status="restored", status_changed_on="2024-01-01")])
    assert "before the last recorded change (2024-03-13)" in early.rows[0].errors[0]
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert (
        "future"
        in preview("kehriz", [kehriz_row(status="restored", status_changed_on=future)]).rows[0].errors[0]
    )

    assert apply("kehriz", [kehriz_row(status="restored", status_changed_on="2024-06-01")]) == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
    }
    kehriz = Kehriz.objects.get()
    assert (kehriz.status, kehriz.status_changed_on) == ("restored", D(2024, 6, 1))
    assert list(kehriz.status_events.values_list("from_status", "to_status", "changed_on")) == [
        ("", "under_restoration", D(2024, 3, 13)),
        ("under_restoration", "restored", D(2024, 6, 1)),
    ]
    # The same file again: nothing new.
    assert apply("kehriz", [kehriz_row(status="restored", status_changed_on="2024-06-01")])["unchanged"] == 1
    # Only the date differs from the current status: a warning, the date is kept.
    dated = preview("kehriz", [kehriz_row(status="restored", status_changed_on="2024-06-02")])
    assert dated.ok and dated.rows[0].action == "unchanged"
    assert "is kept" in dated.rows[0].warnings[0]


def test_a_crafted_bad_kehriz_file_lists_every_problem_and_writes_nothing(places, cebrayil):
    far = point_outside(cebrayil, 5000, 20000)
    rows = [
        kehriz_row(code="K-01", district="Atlantis"),
        kehriz_row(code="K-02", village="Nowhere"),
        kehriz_row(code="K-03", outlet_lon=f"{far.x:.6f}", outlet_lat=f"{far.y:.6f}"),
        kehriz_row(code="K-04", shaft_count="many", irrigated_area_ha="12,5"),
        kehriz_row(code="K-05", status_changed_on="13/03/2024"),
        kehriz_row(code="K-06", use_drinking="perhaps"),
        kehriz_row(code="K-07", status="finished"),
        kehriz_row(code="K-08", gallery_length_m="-10", households_served="-3"),
        kehriz_row(code="K-09", committee_members="3", committee_women="5"),
        kehriz_row(code="K-10", idp_households_served="50"),
        kehriz_row(code="K-01", name="Again"),
        kehriz_row(code="K-12", projects="no-such-project"),
        kehriz_row(code="K-13", route_wkt="POINT(47 39)"),
        kehriz_row(code="K-14", name=""),
        kehriz_row(code="K-15", shaft_count="4.5"),
        kehriz_row(code="K-16", district="", village="", outlet_lon="", outlet_lat=""),
        kehriz_row(code="K-17", outlet_lon="200", outlet_lat="39.4"),
    ]
    before = counts()
    result = preview("kehriz", rows)
    found = {line: " | ".join(errors) for line, errors in problems_by_line(result).items()}
    expected = {
        2: "district: Unknown district “Atlantis”",
        3: "village: Unknown village “Nowhere” in Cəbrayıl rayonu",
        4: "outlet_lon, outlet_lat: This location is",
        5: "shaft_count: “many” is not a number.",
        6: "status_changed_on: “13/03/2024” is not a date: write it as YYYY-MM-DD.",
        7: "use_drinking: “perhaps” is not yes or no.",
        8: "status: Unknown value “finished”: use one of identified, assessed, planned",
        9: "gallery_length_m: “-10” cannot be negative.",
        10: "The committee cannot have more women than members.",
        11: "IDP households cannot outnumber the households served.",
        12: "code: The same code as line 2.",
        13: "projects: Unknown project code “no-such-project”.",
        14: "route_wkt: Not a route",
        15: "name: This column must be filled in.",
        16: "shaft_count: “4.5” is not a whole number.",
        17: "Give the district, the village or the outlet's location.",
        18: "is not a position",
    }
    for line, text in expected.items():
        assert text in found.get(line, ""), (line, found.get(line))
    assert "km outside Cəbrayıl rayonu" in found[4]
    assert "irrigated_area_ha: “12,5”: use a decimal point (9.5), not a comma." in found[5]
    assert "households_served: “-3” cannot be negative." in found[9]
    assert set(found) == set(expected)
    assert result.counts["new"] == len(rows) - 1  # every row but the duplicate says what it would do
    assert counts() == before


def test_one_bad_row_writes_none(places):
    rows = [kehriz_row(), kehriz_row(code="CAB-HOR-02", name="Orta", status="unknown-status")]
    before = counts()
    with pytest.raises(imports.ImportRefused) as refused:
        apply("kehriz", rows)
    assert refused.value.preview.rows[0].errors == []
    assert "Line 3: status: Unknown value" in refused.value.preview.all_problems[0]
    assert counts() == before


def test_an_outlet_just_outside_its_district_is_a_warning_and_marked_for_review(places, cebrayil):
    near = point_outside(cebrayil, 100, 1500)
    row = kehriz_row(village="", outlet_lon=f"{near.x:.6f}", outlet_lat=f"{near.y:.6f}")
    result = preview("kehriz", [row])
    assert result.ok
    assert "m outside Cəbrayıl rayonu: it will be marked for review" in result.rows[0].warnings[0]
    apply("kehriz", [row])
    assert Kehriz.objects.get().location_needs_review is True


def test_a_village_in_another_district_is_unknown_there(places):
    result = preview("kehriz", [kehriz_row(district="Goranboy", village="Horovlu")])
    assert "Unknown village “Horovlu” in Goranboy rayonu" in result.rows[0].errors[0]


def test_a_new_kehriz_without_a_status_is_identified(places):
    row = kehriz_row(status="", status_changed_on="")
    apply("kehriz", [row])
    kehriz = Kehriz.objects.get()
    assert (kehriz.status, kehriz.status_changed_on) == ("identified", timezone.localdate())
    assert kehriz.status_events.count() == 1


def test_choice_values_may_be_written_as_their_labels(places):
    result = preview("kehriz", [kehriz_row(status="Under restoration")])
    assert result.ok, result.all_problems


# --- Observations -----------------------------------------------------------------------------------


@pytest.fixture
def kehriz(places, goranboy, cebrayil):
    asger = factories.KehrizFactory(
        code="CAB-HOR-ESGER", name="Əsgər", district=cebrayil, village=places["horovlu"]
    )
    karvansara = factories.KehrizFactory(code="GOR-QRD-KARVANSARA", name="Karvansara", district=goranboy)
    return {"asger": asger, "karvansara": karvansara}


def observation_row(**values):
    row = {
        "visit_uuid": "",
        "visit_title": "IOM and KOICA monitoring visit",
        "visit_start_date": "2024-03-13",
        "visit_end_date": "2024-03-14",
        "visit_organisations": "IOM, KOICA",
        "kehriz_code": "CAB-HOR-ESGER",
        "observed_on": "2024-03-13",
        "functionality": "functional",
        "discharge_lps": "9.5",
        "discharge_method": "bucket",
        "works_progress": "Shafts lined",
        "findings": "Clear water",
    }
    row.update(values)
    return row


def test_observations_create_one_visit_and_refresh_the_kehriz(kehriz):
    rows = [
        observation_row(),
        observation_row(
            kehriz_code="GOR-QRD-KARVANSARA",
            observed_on="2024-03-14",
            functionality="Low flow",
            discharge_lps="",
            discharge_method="",
        ),
    ]
    result = preview("observations", rows)
    assert result.ok, result.all_problems
    assert apply("observations", rows) == {"created": 2, "updated": 0, "unchanged": 0}
    visit = MonitoringVisit.objects.get()
    assert visit.uuid == uuid.uuid5(imports.VISIT_NAMESPACE, "iom and koica monitoring visit|2024-03-13")
    assert (visit.title, visit.start_date, visit.end_date, visit.organisations) == (
        "IOM and KOICA monitoring visit",
        D(2024, 3, 13),
        D(2024, 3, 14),
        "IOM, KOICA",
    )
    asger = Kehriz.objects.get(code="CAB-HOR-ESGER")
    assert (asger.functionality, asger.last_visit_on, asger.last_discharge_lps) == (
        "functional",
        D(2024, 3, 13),
        Decimal("9.50"),
    )
    assert Kehriz.objects.get(code="GOR-QRD-KARVANSARA").functionality == "low_flow"

    # The same file again: the same visit, nothing new.
    assert apply("observations", rows) == {"created": 0, "updated": 0, "unchanged": 2}
    assert (MonitoringVisit.objects.count(), Observation.objects.count()) == (1, 2)

    # An edited discharge updates that observation and the kəhriz's current state.
    rows[0]["discharge_lps"] = "11"
    assert apply("observations", rows) == {"created": 0, "updated": 1, "unchanged": 1}
    assert Kehriz.objects.get(code="CAB-HOR-ESGER").last_discharge_lps == Decimal("11.00")


def test_a_given_visit_uuid_is_kept_and_its_visit_updated(kehriz):
    visit = factories.MonitoringVisitFactory(
        title="Old title", start_date=D(2024, 3, 13), end_date=D(2024, 3, 14)
    )
    row = observation_row(visit_uuid=str(visit.uuid), visit_title="New title")
    result = preview("observations", [row])
    assert result.rows[0].action == "new"
    assert result.rows[0].changes == ["visit_title"]
    apply("observations", [row])
    visit.refresh_from_db()
    assert visit.title == "New title"
    assert visit.observations.get().kehriz == kehriz["asger"]
    assert MonitoringVisit.objects.count() == 1


def test_a_crafted_bad_observations_file_lists_every_problem_and_writes_nothing(kehriz):
    rows = [
        observation_row(kehriz_code="NO-SUCH"),
        observation_row(kehriz_code="GOR-QRD-KARVANSARA", observed_on="2024-03-20"),
        observation_row(visit_title="Second visit", observed_on="14.03.2024"),
        observation_row(visit_title="Third visit", functionality="flowing", discharge_method="bucket"),
        observation_row(visit_title="Fourth visit", discharge_lps="-2"),
        observation_row(visit_title="Fifth visit", discharge_method=""),
        observation_row(visit_title="Sixth visit", discharge_method="jug"),
        observation_row(),
        observation_row(
            visit_title="Seventh visit", visit_start_date="2024-03-13", visit_end_date="2024-03-01"
        ),
        observation_row(visit_uuid="not-a-uuid"),
        observation_row(visit_title="Eighth visit", visit_start_date="March"),
    ]
    # One visit, two rows with different details.
    rows.append(
        observation_row(
            visit_title="Second visit", visit_organisations="IOM", kehriz_code="GOR-QRD-KARVANSARA"
        )
    )
    before = counts()
    result = preview("observations", rows)
    found = {line: " | ".join(errors) for line, errors in problems_by_line(result).items()}
    expected = {
        2: "kehriz_code: Unknown kəhriz code “NO-SUCH”: import the kəhriz first.",
        3: "observed_on: The observation date must fall within the visit (2024-03-13 – 2024-03-14).",
        4: "observed_on: “14.03.2024” is not a date",
        5: "functionality: Unknown value “flowing”: use one of functional, low_flow, dry, collapsed",
        6: "discharge_lps: “-2” cannot be negative.",
        7: "Say how the discharge was measured.",
        8: "discharge_method: Unknown value “jug”",
        10: "The end date cannot be before the start date.",
        11: "visit_uuid: “not-a-uuid” is not a visit identifier",
        12: "visit_start_date: “March” is not a date",
        13: "visit_organisations: The visit’s details differ from line 4",
    }
    for line, text in expected.items():
        assert text in found.get(line, ""), (line, found.get(line))
    # Line 9 repeats line 2's visit and kəhriz; line 2's kəhriz is unknown, so it is line 9 alone.
    assert 9 not in found or "same visit" in found[9]
    assert counts() == before


def test_the_same_visit_and_kehriz_twice_is_a_duplicate(kehriz):
    result = preview("observations", [observation_row(), observation_row(findings="again")])
    assert problems_by_line(result) == {3: ["kehriz_code: The same visit and kəhriz as line 2."]}


def test_a_field_officer_imports_observations_only_in_their_districts(kehriz, field_officer):
    rows = [observation_row(kehriz_code="GOR-QRD-KARVANSARA", observed_on="2024-03-14"), observation_row()]
    result = preview("observations", rows, user=field_officer)
    assert problems_by_line(result) == {
        3: [
            "kehriz_code: You may only record observations of kəhriz in your districts; "
            "CAB-HOR-ESGER is in Cəbrayıl rayonu."
        ]
    }
    assert apply("observations", rows[:1], user=field_officer)["created"] == 1
    assert MonitoringVisit.objects.get().recorded_by == field_officer


def test_changing_a_visits_dates_may_not_strand_its_other_observations(kehriz):
    visit = factories.MonitoringVisitFactory(start_date=D(2024, 3, 13), end_date=D(2024, 3, 14))
    factories.ObservationFactory(visit=visit, kehriz=kehriz["karvansara"], observed_on=D(2024, 3, 14))
    row = observation_row(visit_uuid=str(visit.uuid), visit_title=visit.title, visit_end_date="2024-03-13")
    result = preview("observations", [row])
    assert "GOR-QRD-KARVANSARA (2024-03-14) would fall outside its dates" in " ".join(result.rows[0].errors)


def test_rows_may_be_given_as_dicts(cebrayil):
    importer = imports.importer_for("villages")
    result = importer.dry_run([{"district": "Cabrayil", "name": "Horovlu"}])
    assert result.ok and result.rows[0].line == 2
    assert importer.apply([{"district": "Cabrayil", "name": "Horovlu"}])["created"] == 1


def test_templates_have_the_columns_and_a_help_sheet():
    from openpyxl import load_workbook

    for kind, columns in (
        ("villages", VILLAGE_COLUMNS),
        ("kehriz", KEHRIZ_COLUMNS),
        ("observations", OBSERVATION_COLUMNS),
    ):
        text = imports.template_csv(kind).decode("utf-8")
        assert text == "\ufeff" + ",".join(names(columns)) + "\r\n"
        workbook = load_workbook(io.BytesIO(imports.template_xlsx(kind)))
        assert workbook.sheetnames == [kind, "help"]
        assert [c.value for c in workbook[kind][1]] == names(columns)
        helped = {
            row[0]: row[3]
            for row in workbook["help"].iter_rows(min_row=2, values_only=True)
            if row and row[3]
        }
        assert helped == {c.name: str(c.help) for c in columns}
        # An empty template imports as an empty file: no problem.
        empty = imports.read_table(imports.template_xlsx(kind), f"{kind}.xlsx", kind)
        assert empty.problems == [] and empty.rows == []
