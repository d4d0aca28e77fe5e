"""Results against targets: what a project's indicators count from the records, what it reported,
and how far each period's target is reached.

What is counted (the data note of the project page and the report says the same):

- only the project's **published, real** kəhriz (synthetic demo records never count; deleted ones
  are in the trash, not in these tables), so every counted figure is a list of rows anyone can
  open (:func:`counted_rows`, the page ``/projects/<code>/results/<indicator>/``);
- a kəhriz is **restored** on the first date a status change took it to *restored* or *handed
  over*, and counts only while its status is still one of these (a correction back undoes it);
  **handed over** likewise with *handed over*. A kəhriz with no status history counts from the
  date of its current status;
- households, people, IDP households, hectares and the water user committees are counted on the
  kəhriz restored in the period (the water flows from then on), from what each kəhriz records;
- metres of gallery cleaned and shafts rehabilitated are summed over the project's works that
  ended in the period (or started, when no end is recorded).

A period's counted actual is what happened between its start and end (both included); the
reported actual is the project's latest reported figure for the indicator dated in the period.
The two are never added: the page shows both, and which one the programme reports.

Everything here costs a fixed number of queries whatever the number of kəhriz: two for the
kəhriz's facts and the dates they reached each status, one for the works, one for the reported
figures, two for the indicators and their periods."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Min, Prefetch, Q

from projects.models import (
    Indicator,
    Kehriz,
    ReportedFigure,
    Reports,
    RestorationWork,
    ResultIndicator,
    ResultPeriod,
    Status,
    StatusEvent,
)
from projects.text import az_sort_key

RESTORED_STATUSES = [Status.RESTORED, Status.HANDED_OVER]

# Indicators counted on kəhriz (the rest are counted on works).
KEHRIZ_FIELDS = {
    Indicator.HOUSEHOLDS_SERVED: "households_served",
    Indicator.PEOPLE_SERVED: "people_served",
    Indicator.IDP_HOUSEHOLDS_SERVED: "idp_households_served",
    Indicator.HECTARES_IRRIGATED: "irrigated_area_ha",
    Indicator.COMMITTEE_WOMEN: "committee_women",
}
WORK_FIELDS = {
    Indicator.GALLERY_CLEANED_M: "gallery_cleaned_m",
    Indicator.SHAFTS_REHABILITATED: "shafts_rehabilitated",
}


@dataclass
class Row:
    """One record a counted figure counts: a kəhriz (or the kəhriz of a work)."""

    kehriz_id: int
    name: str
    code: str
    district_id: int | None
    on: date
    value: Decimal
    work_id: int | None = None
    women: int | None = None
    men: int | None = None


@dataclass
class PeriodResult:
    period: ResultPeriod
    rows: list
    reported: ReportedFigure | None
    reports: str

    @property
    def counted(self):
        return sum((row.value for row in self.rows), Decimal(0))

    @property
    def actual(self):
        """The figure the programme reports for the period (None: not reported yet)."""
        if self.reports == Reports.REPORTED:
            return self.reported.value if self.reported else None
        return self.counted

    @property
    def percent(self):
        """How much of the target the reported actual reaches, in whole percent (None without
        an actual or a target)."""
        if self.actual is None or not self.period.target:
            return None
        return int(self.actual * 100 / self.period.target)

    @property
    def bar_percent(self):
        return min(self.percent or 0, 100)

    @property
    def by_district(self):
        """[(district id, counted)], largest first."""
        totals = defaultdict(Decimal)
        for row in self.rows:
            totals[row.district_id] += row.value
        return sorted(totals.items(), key=lambda item: -item[1])

    @property
    def by_sex(self):
        """{"women": n, "men": n} where the records say (committee members), else None."""
        if not self.rows or all(row.women is None for row in self.rows):
            return None
        return {
            "women": sum(row.women or 0 for row in self.rows),
            "men": sum(row.men or 0 for row in self.rows),
        }


@dataclass
class IndicatorResult:
    indicator: ResultIndicator
    periods: list = field(default_factory=list)


def _by_name(facts, name, code):
    """``facts`` in the Azerbaijani alphabet's order of their kəhriz names, then by code (each
    name's key computed once)."""
    return sorted(facts, key=lambda fact: (az_sort_key(fact[name]), fact[code]))


def _kehriz_rows(project, district=None, wanted=None):
    """{indicator: [Row]} for the indicators counted on kəhriz (those in ``wanted``, or all),
    dated when each counts, in the order of the kəhriz names.

    Two queries: the kəhriz, then the first date each reached restored / handed over, grouped
    over the status history alone (joining the history onto the kəhriz and grouping the join
    cost four times as much at 10,000 kəhriz)."""
    wanted = set(Indicator.values if wanted is None else wanted)
    kehriz = Kehriz.objects.filter(
        projects=project, is_published=True, is_synthetic=False, status__in=RESTORED_STATUSES
    )
    if district is not None:
        kehriz = kehriz.filter(district=district)
    facts = kehriz.values(
        "pk",
        "name",
        "code",
        "district_id",
        "status",
        "status_changed_on",
        "committee_members",
        "committee_chair_is_woman",
        *KEHRIZ_FIELDS.values(),
    ).order_by()
    reached = {
        row["kehriz_id"]: row
        for row in StatusEvent.objects.filter(kehriz__in=kehriz.values("pk"), to_status__in=RESTORED_STATUSES)
        .values("kehriz_id")
        .annotate(
            restored_on=Min("changed_on"),
            handed_over_on=Min("changed_on", filter=Q(to_status=Status.HANDED_OVER)),
        )
        .order_by()
    }
    rows = defaultdict(list)
    for fact in _by_name(facts, "name", "code"):
        dates = reached.get(fact["pk"], {})
        restored_on = dates.get("restored_on") or fact["status_changed_on"]
        if restored_on is None:
            continue
        handed_over_on = dates.get("handed_over_on") or (
            fact["status_changed_on"] if fact["status"] == Status.HANDED_OVER else None
        )
        key = (fact["pk"], fact["name"], fact["code"], fact["district_id"])

        def add(indicator, on, value, key=key, **extra):
            if indicator in wanted:
                rows[indicator].append(Row(*key, on, Decimal(value), **extra))

        add(Indicator.RESTORED, restored_on, 1)
        if fact["status"] == Status.HANDED_OVER and handed_over_on:
            add(Indicator.RESTORED_HANDED_OVER, handed_over_on, 1)
        for indicator, name in KEHRIZ_FIELDS.items():
            if fact[name] is None:
                continue
            extra = {}
            if indicator == Indicator.COMMITTEE_WOMEN:
                members = fact["committee_members"]
                extra = {"women": fact[name], "men": None if members is None else members - fact[name]}
            add(indicator, restored_on, fact[name], **extra)
        if fact["committee_women"]:
            add(Indicator.COMMITTEES_WITH_WOMEN, restored_on, 1)
        if fact["committee_chair_is_woman"]:
            add(Indicator.COMMITTEES_WOMAN_CHAIR, restored_on, 1)
    return rows


def _work_rows(project, district=None):
    works = RestorationWork.objects.filter(
        project=project, kehriz__is_published=True, kehriz__is_synthetic=False
    ).filter(Q(end_date__isnull=False) | Q(start_date__isnull=False))
    if district is not None:
        works = works.filter(kehriz__district=district)
    facts = works.values(
        "pk",
        "kehriz_id",
        "kehriz__name",
        "kehriz__code",
        "kehriz__district_id",
        "start_date",
        "end_date",
        *WORK_FIELDS.values(),
    ).order_by()
    rows = defaultdict(list)
    for work in _by_name(facts, "kehriz__name", "kehriz__code"):
        for indicator, name in WORK_FIELDS.items():
            if work[name] is None:
                continue
            rows[indicator].append(
                Row(
                    work["kehriz_id"],
                    work["kehriz__name"],
                    work["kehriz__code"],
                    work["kehriz__district_id"],
                    work["end_date"] or work["start_date"],
                    Decimal(work[name]),
                    work_id=work["pk"],
                )
            )
    return rows


def indicators_of(project):
    return ResultIndicator.objects.filter(project=project).prefetch_related(
        Prefetch("periods", queryset=ResultPeriod.objects.order_by("start"))
    )


def project_results(project, district=None, start=None, end=None):
    """[IndicatorResult] of ``project``: each indicator with its periods (those overlapping
    ``start``–``end`` when given), counted within ``district`` when given."""
    indicators = list(indicators_of(project))
    if not indicators:
        return []
    rows = _kehriz_rows(project, district, wanted={i.indicator for i in indicators})
    if any(i.indicator in WORK_FIELDS for i in indicators):
        rows.update(_work_rows(project, district))
    reported = defaultdict(list)
    if district is None:
        figures = ReportedFigure.objects.filter(project=project, as_of__isnull=False)
        for figure in figures.order_by("-as_of", "-pk"):
            reported[figure.indicator].append(figure)
    results = []
    for indicator in indicators:
        result = IndicatorResult(indicator)
        for period in indicator.periods.all():
            if (start and period.end < start) or (end and period.start > end):
                continue
            in_period = [r for r in rows.get(indicator.indicator, []) if period.start <= r.on <= period.end]
            figure = next(
                (f for f in reported.get(indicator.indicator, []) if period.start <= f.as_of <= period.end),
                None,
            )
            result.periods.append(PeriodResult(period, in_period, figure, indicator.reports))
        results.append(result)
    return results


def counted_rows(indicator, period, district=None):
    """The rows one period's counted actual counts (the list its link opens)."""
    rows = _work_rows(indicator.project, district) if indicator.indicator in WORK_FIELDS else None
    if rows is None:
        rows = _kehriz_rows(indicator.project, district, wanted={indicator.indicator})
    return [r for r in rows.get(indicator.indicator, []) if period.start <= r.on <= period.end]
