"""A project as an IATI 2.03 activity (``/projects/<code>/iati.xml``): the file IOM's and KOICA's
reporting systems read.

What goes in, and from where:

- **identifier**: the reporting organisation's ref, "-", ``settings.IATI_ACTIVITY_PREFIX`` and the
  project's code (``XM-DAC-47066-KEHRIZ-iom-koica-kehriz``);
- **reporting organisation**: the one of :data:`ORGANISATIONS` whose ref is
  ``settings.IATI_REPORTING_ORG_REF`` (IOM by default);
- **title and description** in Azerbaijani and English (``xml:lang="az"``/``"en"``): the project's
  names; its description, and where a language has none, a sentence made from its districts;
- **participating organisations**: the donor as *funding* (role 1), the implementing agency as
  *implementing* (role 4), with their IATI refs when :data:`ORGANISATIONS` knows them;
- **activity status** from the dates (ActivityStatus codelist), see :func:`activity_status`;
  **activity dates**: the start and end as planned (types 1 and 3), and as actual (2 and 4) once
  they are past;
- **recipient country** AZ (100 %), **activity scope** from the number of districts;
- **locations**: the project's rayons (its districts, and any other a counted figure counts in),
  each an administrative region (its OpenStreetMap relation, vocabulary G2; GeoNames ADM1) that the
  results' district breakdowns point to; then the project's kəhriz, only those published and real
  (never a synthetic demo record or an unpublished one; deleted ones are in the trash, not in these
  tables), each with its outlet, its district and the GeoNames feature code CNLSB, "underground
  irrigation canal(s)" (a qanat);
- **sectors** (DAC 5-digit, vocabulary 1): :data:`SECTORS`;
- **budget**: the project's budget over its dates, when both are known;
- **results**: one per indicator of the results framework, with its baseline, and each target
  period's target and actual: the figure the programme reports (``PeriodResult.actual`` from
  :mod:`projects.results`: counted from the records, or the project's reported figure). A counted
  actual is followed by its breakdowns, see :func:`_breakdowns`.

A fixed number of queries whatever the number of kəhriz: the districts, the kəhriz, and those of
:func:`projects.results.project_results`."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from projects.models import District, Indicator, Kehriz, Project, Reports
from projects.results import project_results

VERSION = "2.03"
LANGUAGES = ("az", "en")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Organisation:
    ref: str
    type: str  # OrganisationType codelist
    name_az: str
    name_en: str
    words: tuple  # how the project's donor or agency field names it (folded, whole words)


# Organisations the programme deals with, by their IATI organisation identifiers.
ORGANISATIONS = [
    # IOM: "XM-DAC-47066" is IOM's own reporting-org ref in the activities it publishes to IATI
    # (its OECD DAC multilateral channel code 47066 under the XM-DAC prefix of the IATI
    # Organisation Registration Agency list). Type 40: multilateral.
    Organisation(
        "XM-DAC-47066",
        "40",
        "Beynəlxalq Miqrasiya Təşkilatı (BMqT)",
        "International Organization for Migration (IOM)",
        ("iom", "bmqt", "international organization for migration", "beynəlxalq miqrasiya təşkilatı"),
    ),
    # KOICA: "KR-GOV-051" is the ref that the Republic of Korea's own IATI data (published by the
    # Office for Government Policy Coordination, reporting-org "KR-GOV-010") gives KOICA as the
    # provider of its grants, e.g. to IOM (receiver "XM-DAC-47066"). "KR-GOV-010" is the
    # government's reporting office, not KOICA. Type 10: government.
    Organisation(
        "KR-GOV-051",
        "10",
        "Koreya Beynəlxalq Əməkdaşlıq Agentliyi (KOICA)",
        "Korea International Cooperation Agency (KOICA)",
        ("koica", "korea international cooperation agency", "koreya beynəlxalq əməkdaşlıq agentliyi"),
    ),
]

# Sectors (OECD DAC CRS purpose codes, SectorVocabulary 1) and their shares, in percent.
SECTORS = [("14030", 50), ("31140", 50)]  # basic drinking water supply; agricultural water resources

# ActivityStatus codelist.
PIPELINE, IMPLEMENTATION, FINALISATION = "1", "2", "3"
# ActivityDateType codelist.
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
# OrganisationRole codelist.
FUNDING, ACCOUNTABLE, IMPLEMENTING = "1", "2", "4"
# ResultType codelist: what the kəhriz and works deliver are outputs; who is served, outcomes.
OUTPUT, OUTCOME = "1", "2"
OUTPUTS = {
    Indicator.RESTORED,
    Indicator.RESTORED_HANDED_OVER,
    Indicator.GALLERY_CLEANED_M,
    Indicator.SHAFTS_REHABILITATED,
}
MEASURE_UNIT = "1"  # IndicatorMeasure: unit
COUNTRY = "AZ"
COUNTRY_NAMES = {"az": "Azərbaycan", "en": "Azerbaijan"}
# ActivityScope: one first-level administrative area (a rayon), or several.
SCOPE_SINGLE_FIRST_LEVEL, SCOPE_MULTI_FIRST_LEVEL = "6", "5"
# Locations: LocationReach 1 (the activity happens here); GeographicVocabulary G2
# (OpenStreetMap, "relation/<id>"); a rayon is a first-level administrative division (ISO 3166-2:AZ);
# GeographicExactness 1 exact, 2 approximate; GeographicLocationClass 3 (structure); LocationType
# CNLSB (GeoNames: "underground irrigation canal(s)", a gently inclined tunnel bringing water from
# aquifers: what a kəhriz is).
REACH_ACTIVITY = "1"
OSM_VOCABULARY = "G2"
RAYON_LEVEL = "1"
EXACT, APPROXIMATE = "1", "2"
ADMINISTRATIVE_REGION, STRUCTURE = "1", "3"
QANAT = "CNLSB"
FIRST_ORDER_DIVISION = "ADM1"  # GeoNames' feature code of Azerbaijan's rayons
# Disaggregated actuals: result/indicator/period/actual may be repeated, each with dimension
# name/value pairs (free text) and location refs to the activity's locations. The names are those
# of the standard's own examples ("sex" with "female"), so that tools adding up women's results
# across publishers find ours.
DISTRICT_DIMENSION = "district"
SEX_DIMENSION = "sex"
FEMALE, MALE = "female", "male"
SRS_WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
# BudgetType 1 (original), BudgetStatus 2 (committed).
BUDGET_ORIGINAL, BUDGET_COMMITTED = "1", "2"

# Characters XML 1.0 cannot hold (control characters other than tab, newline, carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value):
    return _NOT_XML.sub("", str(value)).strip()


def _number(value):
    """A decimal as the standard writes it: "26", "450.5" (never an exponent)."""
    return f"{Decimal(value).normalize():f}"


def activity_status(project, today=None):
    """The ActivityStatus code of ``project`` on ``today``, from its dates:

    - **1 Pipeline/identification** before its start date, or when it has none;
    - **2 Implementation** from its start date to its end date (both included), or with no end date;
    - **3 Finalisation** after its end date: the work is over, the books may not be. The project
      records nothing that says when they are closed (4), cancelled (5) or suspended (6)."""
    today = today or timezone.localdate()
    if project.start_date is None or today < project.start_date:
        return PIPELINE
    if project.end_date is None or today <= project.end_date:
        return IMPLEMENTATION
    return FINALISATION


def _words(text):
    return " ".join(re.findall(r"\w+", (text or "").casefold()))


def organisation_named(text):
    """The organisation of :data:`ORGANISATIONS` that ``text`` names ("KOICA (Koreya …)",
    "BMqT"), or None."""
    folded = f" {_words(text)} "
    for organisation in ORGANISATIONS:
        if any(f" {_words(word)} " in folded for word in organisation.words):
            return organisation
    return None


def reporting_organisation():
    ref = settings.IATI_REPORTING_ORG_REF
    for organisation in ORGANISATIONS:
        if organisation.ref == ref:
            return organisation
    known = ", ".join(o.ref for o in ORGANISATIONS)
    raise ImproperlyConfigured(
        f"IATI_REPORTING_ORG_REF={ref!r} is none of the organisations known ({known})."
    )


def activity_identifier(project):
    return f"{settings.IATI_REPORTING_ORG_REF}-{settings.IATI_ACTIVITY_PREFIX}{project.code}"


def _in_each_language(make):
    """{language: text} with ``make()`` called with each language active."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = make(language)
    return texts


def _narratives(parent, texts):
    """A narrative per language (``texts``: {language: text}, or one text in the default
    language), skipping empty ones."""
    if isinstance(texts, str):
        texts = {None: texts}
    for language, text in texts.items():
        text = _text(text or "")
        if not text:
            continue
        narrative = ET.SubElement(parent, "narrative")
        if language:
            narrative.set(XML_LANG, language)
        narrative.text = text
    return parent


def _sub(parent, tag, **attributes):
    element = ET.SubElement(parent, tag)
    for name, value in attributes.items():
        if value is not None:
            element.set(name.rstrip("_").replace("_", "-"), str(value))
    return element


def _district_name(district, language):
    if district is None:
        return ""
    if language == "en" and district["name_en"]:
        return district["name_en"]
    return district["name_az"]


def _join(names):
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _description(project, districts):
    own = {"az": project.description, "en": project.description_en}

    def make(language):
        if own[language]:
            return own[language]
        names = _join([_district_name(d, language) for d in districts])
        if names:
            return gettext(
                "Restoration of kəhriz (traditional underground water galleries) in %(districts)s, "
                "Azerbaijan, for drinking water and irrigation."
            ) % {"districts": names}
        return gettext(
            "Restoration of kəhriz (traditional underground water galleries) in Azerbaijan, "
            "for drinking water and irrigation."
        )

    return _in_each_language(make)


def _participating(activity, project, reporting):
    added = 0
    for text, role in ((project.donor, FUNDING), (project.implementing_agency, IMPLEMENTING)):
        if not text.strip():
            continue
        organisation = organisation_named(text)
        if organisation:
            element = _sub(
                activity, "participating-org", ref=organisation.ref, type=organisation.type, role=role
            )
            _narratives(element, {"az": organisation.name_az, "en": organisation.name_en})
        else:
            # Named as typed, in no particular language: the activity's default one.
            _narratives(_sub(activity, "participating-org", role=role), text)
        added += 1
    if not added:
        # The standard asks for at least one: the reporting organisation answers for the activity.
        element = _sub(
            activity, "participating-org", ref=reporting.ref, type=reporting.type, role=ACCOUNTABLE
        )
        _narratives(element, {"az": reporting.name_az, "en": reporting.name_en})


def _dates(activity, project, today):
    start = project.start_date
    if start is None:
        # The standard asks for a date; the project has none: the day it was recorded, as planned.
        start = timezone.localtime(project.created_at).date()
    _sub(activity, "activity-date", type=PLANNED_START, iso_date=start.isoformat())
    if project.start_date and project.start_date <= today:
        _sub(activity, "activity-date", type=ACTUAL_START, iso_date=project.start_date.isoformat())
    if project.end_date:
        _sub(activity, "activity-date", type=PLANNED_END, iso_date=project.end_date.isoformat())
        if project.end_date < today:
            _sub(activity, "activity-date", type=ACTUAL_END, iso_date=project.end_date.isoformat())


def public_kehriz(project):
    """The kəhriz an export may name: the project's published, real ones."""
    return Kehriz.objects.filter(projects=project, is_published=True, is_synthetic=False)


def _location(activity, kehriz):
    district = kehriz["district"]
    location = _sub(activity, "location", ref=kehriz["code"])
    _sub(location, "location-reach", code=REACH_ACTIVITY)
    _narratives(_sub(location, "name"), kehriz["name"])

    def describe(language):
        village = kehriz["village__name"]
        place = _district_name(district, language)
        if village and place:
            return gettext("Kəhriz in %(village)s village, %(district)s") % {
                "village": village,
                "district": place,
            }
        if place:
            return gettext("Kəhriz in %(district)s") % {"district": place}
        return ""

    _narratives(_sub(location, "description"), _in_each_language(describe))
    if district and district["osm_id"]:
        _sub(
            location,
            "administrative",
            vocabulary=OSM_VOCABULARY,
            level=RAYON_LEVEL,
            code=f"relation/{district['osm_id']}",
        )
    if kehriz["outlet"] is not None:
        point = _sub(location, "point", srsName=SRS_WGS84)
        ET.SubElement(point, "pos").text = f"{kehriz['outlet'].y:.6f} {kehriz['outlet'].x:.6f}"
        _sub(location, "exactness", code=APPROXIMATE if kehriz["location_is_approximate"] else EXACT)
    _sub(location, "location-class", code=STRUCTURE)
    _sub(location, "feature-designation", code=QANAT)


def district_ref(district):
    """The ``location/@ref`` of a rayon, which the results' district breakdowns cite."""
    return f"district-{district['slug']}"


def _district_location(activity, district):
    location = _sub(activity, "location", ref=district_ref(district))
    _sub(location, "location-reach", code=REACH_ACTIVITY)
    _narratives(_sub(location, "name"), {lang: _district_name(district, lang) for lang in LANGUAGES})
    if district["osm_id"]:
        _sub(
            location,
            "administrative",
            vocabulary=OSM_VOCABULARY,
            level=RAYON_LEVEL,
            code=f"relation/{district['osm_id']}",
        )
    _sub(location, "location-class", code=ADMINISTRATIVE_REGION)
    _sub(location, "feature-designation", code=FIRST_ORDER_DIVISION)


def _locations(activity, project, districts):
    for district in districts:
        _district_location(activity, district)
    rows = (
        public_kehriz(project)
        .values(
            "name",
            "code",
            "outlet",
            "location_is_approximate",
            "village__name",
            "district__name_az",
            "district__name_en",
            "district__osm_id",
        )
        .order_by("district__name_az", "name", "code")
    )
    for row in rows:
        district = None
        if row["district__name_az"]:
            district = {
                "name_az": row["district__name_az"],
                "name_en": row["district__name_en"],
                "osm_id": row["district__osm_id"],
            }
        _location(activity, {**row, "district": district})


def _budget(activity, project):
    if project.budget is None or not project.currency or not (project.start_date and project.end_date):
        return
    budget = _sub(activity, "budget", type=BUDGET_ORIGINAL, status=BUDGET_COMMITTED)
    _sub(budget, "period-start", iso_date=project.start_date.isoformat())
    _sub(budget, "period-end", iso_date=project.end_date.isoformat())
    value = _sub(budget, "value", currency=project.currency, value_date=project.start_date.isoformat())
    value.text = _number(project.budget)


def _result(activity, project, result, districts):
    indicator = result.indicator
    titles = {"az": indicator.title_az, "en": indicator.title_en}
    element = _sub(activity, "result", type=OUTPUT if indicator.indicator in OUTPUTS else OUTCOME)
    _narratives(_sub(element, "title"), titles)
    measured = _sub(element, "indicator", measure=MEASURE_UNIT, ascending="1")
    _narratives(_sub(measured, "title"), titles)

    def how(language):
        if indicator.reports == Reports.REPORTED:
            return gettext("The actuals are the figures the project reported, with their source.")
        return gettext(
            "The actuals are counted from the records: the project's published, real kəhriz and "
            "works (synthetic and deleted records are not counted)."
        )

    description = _in_each_language(how)
    if indicator.description:
        description = {None: indicator.description, **description}
    _narratives(_sub(measured, "description"), description)
    # The standard asks for the baseline's year: its date's, else the project's start.
    baseline_on = indicator.baseline_date or project.start_date
    if indicator.baseline_value is not None and baseline_on:
        _sub(
            measured,
            "baseline",
            year=baseline_on.year,
            iso_date=indicator.baseline_date.isoformat() if indicator.baseline_date else None,
            value=_number(indicator.baseline_value),
        )
    for period_result in result.periods:
        period = period_result.period
        element = _sub(measured, "period")
        _sub(element, "period-start", iso_date=period.start.isoformat())
        _sub(element, "period-end", iso_date=period.end.isoformat())
        if period.target is not None:
            target = _sub(element, "target", value=_number(period.target))
            if period.target_comment:
                _narratives(_sub(target, "comment"), period.target_comment)
        actual_value = period_result.actual
        if actual_value is None:
            continue
        actual = _sub(element, "actual", value=_number(actual_value))
        comment = _in_each_language(lambda language, result=period_result: _actual_comment(result))
        _narratives(_sub(actual, "comment"), comment)
        if period_result.reports == Reports.COUNTED:
            _breakdowns(element, period_result, districts)


def _breakdowns(period, period_result, districts):
    """After a period's total actual, the same counted figure broken down, the way IATI 2.03
    publishers disaggregate a result: more ``actual`` elements in the period, each a part of the
    total, said by its ``dimension`` (and, for a district, its ``location``, the rayon's ``ref``).

    - **by district**: one actual per rayon the counted rows are in, with the rayon's location and
      a ``district`` dimension whose value is its Azerbaijani name as loaded from OpenStreetMap
      (plain text, "Cəbrayıl rayonu": the full name, since "Şəki rayonu" and "Şəki İnzibati
      Ərazisi" are two units; the English name is the rayon location's). Every kəhriz has a
      district, so the parts add up to the total;
    - **by sex**, where the records say (the women and men on the water user committees,
      ``PeriodResult.by_sex``): parts that add up to the total are published as they are. The
      indicator "women on water user committees" counts only women: its one part is ``female``,
      the whole total; the men on the same committees are not a part of it (a ``male`` actual
      would say the indicator counted them), so they are told in that part's comment.

    Only for a counted figure. When the programme reports the project's reported figure, the
    period's actual is that figure, which has no breakdown; the counted one's parts add up to the
    counted figure, not to the one reported, and published beside it they would contradict it
    (a district's share of a total the file does not report). The total's comment says so."""
    for district_id, value in period_result.by_district:
        district = districts[district_id]  # every kəhriz has one (NOT NULL), fetched with the rest
        part = _sub(period, "actual", value=_number(value))
        _sub(part, "location", ref=district_ref(district))
        _sub(part, "dimension", name=DISTRICT_DIMENSION, value=_text(district["name_az"]))

    sexes = period_result.by_sex
    if not sexes:
        return
    total = period_result.counted
    if sexes["women"] == total:
        part = _sub(period, "actual", value=_number(total))
        _sub(part, "dimension", name=SEX_DIMENSION, value=FEMALE)
        known = all(row.men is not None for row in period_result.rows)

        def membership(language):
            if known:
                size = sexes["women"] + sexes["men"]
                return ngettext(
                    "The indicator counts women only. The committees counted have %(members)s "
                    "member: %(women)s women and %(men)s men.",
                    "The indicator counts women only. The committees counted have %(members)s "
                    "members: %(women)s women and %(men)s men.",
                    size,
                ) % {"members": size, "women": sexes["women"], "men": sexes["men"]}
            return gettext(
                "The indicator counts women only. Not every committee counted has its number of "
                "members recorded, so the men on them are not known."
            )

        _narratives(_sub(part, "comment"), _in_each_language(membership))
    elif sexes["women"] + sexes["men"] == total:
        for sex, value in ((FEMALE, sexes["women"]), (MALE, sexes["men"])):
            part = _sub(period, "actual", value=_number(value))
            _sub(part, "dimension", name=SEX_DIMENSION, value=sex)
    # Otherwise the women and men are not parts of this total: no breakdown by sex.


def _actual_comment(period_result):
    if period_result.reports == Reports.REPORTED:
        figure = period_result.reported
        return " ".join(
            (
                gettext(
                    "Reported by the project (%(date)s; source: %(source)s). Counted from the "
                    "records: %(counted)s."
                )
                % {
                    "date": figure.as_of.isoformat(),
                    "source": _text(figure.source),
                    "counted": _number(period_result.counted),
                },
                gettext(
                    "The reported figure is not broken down by district or sex, and the counted "
                    "one's breakdown is not given: its parts add up to the counted figure, not to "
                    "the one reported."
                ),
            )
        )
    rows = len(period_result.rows)
    return ngettext(
        "Counted from the records: %(rows)s record of the project.",
        "Counted from the records: %(rows)s records of the project.",
        rows,
    ) % {"rows": rows}


def _districts(project, results):
    """The project's districts and those its counted figures count in (a kəhriz of the project may
    lie in a rayon the project does not list), in one query, by Azerbaijani name; ``in_project``
    tells the project's own."""
    counted_in = {row.district_id for r in results for p in r.periods for row in p.rows}
    own = Project.districts.through.objects.filter(project=project, district=OuterRef("pk"))
    return list(
        District.objects.filter(Q(Exists(own)) | Q(pk__in=counted_in))
        .annotate(in_project=Exists(own))
        .order_by("name_az", "pk")
        .values("pk", "name_az", "name_en", "osm_id", "slug", "in_project")
    )


def build_activity_xml(project, today=None, now=None):
    """The IATI 2.03 ``<iati-activities>`` document of ``project`` (bytes, UTF-8)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    reporting = reporting_organisation()
    results = project_results(project)
    districts = _districts(project, results)
    own_districts = [d for d in districts if d["in_project"]]

    root = ET.Element(
        "iati-activities", version=VERSION, **{"generated-datetime": now.isoformat(timespec="seconds")}
    )
    activity = _sub(
        root,
        "iati-activity",
        last_updated_datetime=project.updated_at.isoformat(timespec="seconds"),
        default_currency=project.currency or None,
        hierarchy="1",
    )
    activity.set(XML_LANG, LANGUAGES[0])
    ET.SubElement(activity, "iati-identifier").text = activity_identifier(project)
    _narratives(
        _sub(activity, "reporting-org", ref=reporting.ref, type=reporting.type),
        {"az": reporting.name_az, "en": reporting.name_en},
    )
    _narratives(_sub(activity, "title"), {"az": project.name_az, "en": project.name_en})
    _narratives(_sub(activity, "description", type="1"), _description(project, own_districts))
    _participating(activity, project, reporting)
    _sub(activity, "activity-status", code=activity_status(project, today))
    _dates(activity, project, today)
    if own_districts:
        scope = SCOPE_MULTI_FIRST_LEVEL if len(own_districts) > 1 else SCOPE_SINGLE_FIRST_LEVEL
        _sub(activity, "activity-scope", code=scope)
    country = _sub(activity, "recipient-country", code=COUNTRY, percentage="100")
    _narratives(country, COUNTRY_NAMES)
    _locations(activity, project, districts)
    for code, percentage in SECTORS:
        _sub(activity, "sector", vocabulary="1", code=code, percentage=percentage)
    _budget(activity, project)
    by_pk = {d["pk"]: d for d in districts}
    for result in results:
        _result(activity, project, result, by_pk)

    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
