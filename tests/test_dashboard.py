"""The programme dashboard: right numbers for a known dataset, each linking to a map or admin list
that shows exactly what it counts, published-only for the public, and a fixed number of queries."""

import datetime
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from projects.dashboard_charts import bar_chart_svg, nice_ceiling
from projects.filters import KehrizFilterSet, map_filter_data
from projects.models import Functionality, Kehriz, Observation, Status
from projects.views.common import visible_kehriz
from projects.views.dashboard import collect, data_version
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


# --- Helpers ----------------------------------------------------------------------------------


class Links(HTMLParser):
    """Every link of a page: href → the texts it carries."""

    def __init__(self, html):
        super().__init__()
        self.links, self._href, self._text = {}, None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.setdefault(self._href, []).append("".join(self._text).strip())
            self._href = None


def links(response):
    return Links(response.content.decode()).links


def map_queryset(url, user):
    """What the public map shows for ``url``: the same FilterSet and defaults as the map page."""
    parts = urlsplit(url)
    assert parts.path == reverse("projects:home"), url
    filterset = KehrizFilterSet(map_filter_data(QueryDict(parts.query)), queryset=visible_kehriz(user))
    assert filterset.is_valid(), (url, filterset.errors)
    return filterset.qs


def admin_changelist(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert "cl" in response.context, url  # not redirected to ?e=1 (a refused lookup)
    return response.context["cl"]


def total(queryset, field):
    return sum((getattr(obj, field) or 0) for obj in queryset)


# --- Data -------------------------------------------------------------------------------------


def months_ago(today, months):
    index = today.year * 12 + today.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def dataset(agdam, goranboy, qazax, cebrayil):
    """Five published kəhriz (one synthetic) and one unpublished, in three districts."""
    today = timezone.localdate()
    project = factories.ProjectFactory(code="iom-koica", name_en="IOM KOICA kəhriz")
    other_project = factories.ProjectFactory(code="other", name_en="Other project")
    k = {}
    k["a1"] = factories.KehrizFactory(
        name="Ağdam bir",
        district=agdam,
        status=Status.HANDED_OVER,
        households_served=100,
        people_served=500,
        idp_households_served=40,
        irrigated_area_ha=Decimal("12.50"),
        committee_members=6,
        committee_women=2,
        committee_chair_is_woman=True,
        functionality=Functionality.FUNCTIONAL,
        last_visit_on=today - datetime.timedelta(days=10),
    )
    k["a2"] = factories.KehrizFactory(
        name="Ağdam iki",
        district=agdam,
        status=Status.RESTORED,
        households_served=50,
        people_served=200,
        idp_households_served=10,
        irrigated_area_ha=Decimal("2.50"),
        committee_members=5,
        committee_women=0,
        committee_chair_is_woman=False,
        functionality=Functionality.LOW_FLOW,
        last_visit_on=today - datetime.timedelta(days=200),
    )
    k["a3"] = factories.KehrizFactory(
        name="Ağdam demo",
        district=agdam,
        status=Status.IDENTIFIED,
        households_served=999,  # not restored: not counted as served
        is_synthetic=True,
    )
    k["g1"] = factories.KehrizFactory(
        name="Goranboy bir",
        district=goranboy,
        status=Status.HANDED_OVER,
        households_served=30,
        people_served=120,
        idp_households_served=30,
        functionality=Functionality.DRY,
        last_visit_on=today - datetime.timedelta(days=5),
    )
    k["g2"] = factories.KehrizFactory(
        name="Goranboy gizli",
        district=goranboy,
        status=Status.UNDER_RESTORATION,
        households_served=1000,
        is_published=False,
        last_visit_on=today,
    )
    k["q1"] = factories.KehrizFactory(
        name="Qazax bir",
        district=qazax,
        status=Status.RESTORED,
        last_visit_on=today - datetime.timedelta(days=100),
    )
    k["a1"].projects.add(project)
    k["a2"].projects.add(project)
    k["g2"].projects.add(project)
    # Handed over: Ağdam in 2024, Goranboy in 2025; Qazax's 2023 handover was corrected back.
    factories.StatusEventFactory(
        kehriz=k["a1"], from_status=Status.RESTORED, to_status=Status.HANDED_OVER, changed_on="2024-05-01"
    )
    factories.StatusEventFactory(
        kehriz=k["g1"], from_status=Status.RESTORED, to_status=Status.HANDED_OVER, changed_on="2025-03-01"
    )
    factories.StatusEventFactory(
        kehriz=k["q1"], from_status=Status.RESTORED, to_status=Status.HANDED_OVER, changed_on="2023-06-01"
    )
    factories.StatusEventFactory(
        kehriz=k["q1"],
        from_status=Status.HANDED_OVER,
        to_status=Status.RESTORED,
        changed_on="2023-07-01",
        is_correction=True,
        note="Handed over by mistake",
    )
    # Works.
    factories.RestorationWorkFactory(
        kehriz=k["a1"], project=project, gallery_cleaned_m=Decimal("450.0"), shafts_rehabilitated=12
    )
    factories.RestorationWorkFactory(
        kehriz=k["g1"],
        project=other_project,
        gallery_cleaned_m=Decimal("100.5"),
        shafts_rehabilitated=3,
        rings_installed=0,
    )
    factories.RestorationWorkFactory(kehriz=k["g2"], project=project, gallery_cleaned_m=Decimal("999.0"))
    # Visits this month and last month, one long ago; follow-ups.
    this_month = months_ago(today, 0)
    visit_now = factories.MonitoringVisitFactory(start_date=this_month, end_date=today)
    visit_before = factories.MonitoringVisitFactory(start_date=months_ago(today, 1), end_date=None)
    visit_old = factories.MonitoringVisitFactory(start_date=months_ago(today, 30), end_date=None)
    o_a1 = factories.ObservationFactory(
        visit=visit_now, kehriz=k["a1"], observed_on=this_month, discharge_lps=Decimal("10")
    )
    factories.ObservationFactory(
        visit=visit_now, kehriz=k["a2"], observed_on=this_month, discharge_lps=Decimal("20")
    )
    factories.ObservationFactory(
        visit=visit_now,
        kehriz=k["q1"],
        observed_on=this_month,
        discharge_lps=None,
        discharge_method="",
    )
    factories.ObservationFactory(
        visit=visit_now, kehriz=k["g2"], observed_on=this_month, discharge_lps=Decimal("90")
    )
    factories.ObservationFactory(visit=visit_before, kehriz=k["g1"], discharge_lps=Decimal("6"))
    factories.ObservationFactory(visit=visit_old, kehriz=k["g1"], discharge_lps=Decimal("50"))
    factories.FollowUpFactory(observation=o_a1, due_date=today - datetime.timedelta(days=1))
    factories.FollowUpFactory(observation=o_a1, due_date=today + datetime.timedelta(days=7))
    factories.FollowUpFactory(observation=o_a1, due_date=today - datetime.timedelta(days=30), done=True)
    o_g2 = Observation.objects.get(kehriz=k["g2"])
    factories.FollowUpFactory(observation=o_g2, due_date=today - datetime.timedelta(days=1))
    factories.ReportedFigureFactory(
        project=project,
        value=Decimal("26"),
        source="IOM Azerbaijan news item",
        as_of=datetime.date(2024, 3, 14),
        as_of_is_approximate=True,
    ).districts.add(agdam, goranboy, qazax)
    return {"today": today, "project": project, "other": other_project, **k}


def anonymous():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- The numbers ------------------------------------------------------------------------------


def test_headline_numbers_for_the_public(dataset, agdam):
    response = anonymous().get(URL)
    assert response.status_code == 200
    overall = response.context["overall"]
    assert overall["total"] == 5  # the unpublished Goranboy kəhriz is left out
    assert overall["restored"] == 4
    assert overall[f"status_{Status.HANDED_OVER}"] == 2
    assert overall[f"status_{Status.UNDER_RESTORATION}"] == 0
    assert overall["households"] == 180  # restored and handed over only
    assert overall["people"] == 820
    assert overall["idp_households"] == 80
    assert overall["irrigated_ha"] == Decimal("15.00")
    assert overall["committees_with_women"] == 1
    assert overall["committees_woman_chair"] == 1
    assert overall["never_visited"] == 1
    assert overall["visited_long_ago"] == 2
    assert overall["cleaned_m"] == Decimal("550.5")
    assert overall["shafts"] == 15
    assert overall["rings"] == 30
    assert overall["open"] == 2
    assert overall["overdue"] == 1
    assert overall["years"] == {2024: 1, 2025: 1}
    assert overall["synthetic"] == 1
    assert overall[f"functionality_{Functionality.UNKNOWN}"] == 2

    found = links(response)
    assert found["/?status=restored&status=handed_over"][0] == "4"
    assert found["/?status=handed_over"][0] == "2"
    assert "1" in found["/?status=handed_over&handed_over_year=2024"]
    assert "1" in found["/?status=handed_over&handed_over_year=2025"]
    assert "2023" not in str(response.context["years"])
    assert "550.5" in found["/admin/projects/restorationwork/"]
    assert "2" in found["/admin/projects/followup/?done__exact=0"]
    overdue = f"/admin/projects/followup/?done__exact=0&due_date__lt={dataset['today'].isoformat()}"
    assert "1" in found[overdue]
    assert "2" in found["/?status=&functionality=unknown"]
    assert found["/admin/projects/kehriz/?committee_chair_is_woman__exact=1"][0] == "1"


def test_per_district_and_per_project_rows(dataset, agdam, goranboy):
    response = anonymous().get(URL)
    tables = {group["key"]: group["rows"] for group in response.context["tables"]}
    by_district = {row["name"]: row for row in tables["district"]}
    assert list(by_district) == ["Ağdam", "Cəbrayıl", "Goranboy", "Qazax"]
    agdam_row = by_district["Ağdam"]
    assert agdam_row["url"] == "/districts/agdam-rayonu/"
    assert [c["value"] for c in agdam_row["restoration"]] == [3, 0, 2, 1, Decimal("450.0"), 12, 30]
    assert [(c["note"], c["value"], c["url"]) for c in agdam_row["years"]] == [
        ("2024", 1, "/?status=handed_over&district=agdam-rayonu&handed_over_year=2024")
    ]
    assert agdam_row["restoration"][3]["url"] == "/?status=handed_over&district=agdam-rayonu"
    assert agdam_row["restoration"][4]["url"] == f"/admin/projects/restorationwork/?district={agdam.pk}"
    assert [c["value"] for c in agdam_row["benefits"]] == [150, 700, 50, Decimal("15.00"), 1, 1]
    assert [c["value"] for c in agdam_row["monitoring"][:4]] == [2, 1, 1, 1]
    goranboy_row = by_district["Goranboy"]
    assert [c["value"] for c in goranboy_row["restoration"]] == [1, 0, 1, 1, Decimal("100.5"), 3, 0]
    assert goranboy_row["monitoring"][0]["value"] == 0  # the hidden kəhriz's follow-up is not shown
    cebrayil_row = by_district["Cəbrayıl"]
    assert [c["value"] for c in cebrayil_row["restoration"]] == [0, 0, 0, 0, 0, 0, 0]

    by_project = {row["name"]: row for row in tables["project"]}
    iom = by_project["IOM KOICA kəhriz"]
    assert [c["value"] for c in iom["restoration"]] == [2, 0, 2, 1, Decimal("450.0"), 12, 30]
    assert iom["restoration"][2]["url"] == "/?status=restored&status=handed_over&project=iom-koica"
    assert [c["url"] for c in iom["years"]] == [
        "/?status=handed_over&project=iom-koica&handed_over_year=2024"
    ]
    assert iom["monitoring"][0]["value"] is None  # follow-ups are not broken down by project
    other = by_project["Other project"]
    assert [c["value"] for c in other["restoration"]] == [0, 0, 0, 0, Decimal("100.5"), 3, 0]


def test_signed_in_users_count_unpublished_kehriz(dataset, viewer_client):
    overall = viewer_client.get(URL).context["overall"]
    assert overall["total"] == 6
    assert overall[f"status_{Status.UNDER_RESTORATION}"] == 1
    assert overall["cleaned_m"] == Decimal("1549.5")
    assert overall["open"] == 3


def test_every_map_number_is_what_the_map_shows(dataset):
    """Counts link to the map filtered to exactly those kəhriz; sums to the kəhriz summed."""
    response = anonymous().get(URL)
    user = AnonymousUser()
    context = response.context
    counted, summed = [], []
    for group in context["tables"]:
        for row in group["rows"]:
            counted += row["restoration"][:4] + row["years"] + row["monitoring"][4:]
            summed += list(
                zip(
                    row["benefits"][:4],
                    ["households_served", "people_served", "idp_households_served", "irrigated_area_ha"],
                    strict=True,
                )
            )
    counted += [item["cell"] for item in context["statuses"] + context["functionalities"]]
    counted += context["years"]
    assert len(counted) > 50
    for cell in counted:
        assert map_queryset(cell["url"], user).count() == cell["value"], cell
    for cell, field in summed:
        assert total(map_queryset(cell["url"], user), field) == cell["value"], (cell, field)
    # And the map page itself accepts those links.
    assert (
        anonymous().get("/?status=handed_over&district=agdam-rayonu&handed_over_year=2024").status_code == 200
    )


def test_every_admin_number_is_what_the_admin_list_shows(dataset, manager_client):
    """Numbers the map cannot filter link to admin lists that show the same records (a data
    manager sees unpublished kəhriz on both)."""
    response = manager_client.get(URL)
    checks = []
    for group in response.context["tables"]:
        for row in group["rows"]:
            restoration, benefits, monitoring = row["restoration"], row["benefits"], row["monitoring"]
            checks += [
                (restoration[4], "gallery_cleaned_m"),
                (restoration[5], "shafts_rehabilitated"),
                (restoration[6], "rings_installed"),
                (benefits[4], None),
                (benefits[5], None),
                *[(cell, None) for cell in monitoring[:4] if cell["url"]],
            ]
    for group in response.context["cards"]:
        for card in group["cards"]:
            for part in card.get("parts", []):
                checks.append((part["cell"], None))
    for cell, field in checks:
        assert cell["admin"], cell
        changelist = admin_changelist(manager_client, cell["url"])
        if field is None:
            assert changelist.result_count == cell["value"], cell
        else:
            assert total(changelist.queryset, field) == cell["value"], (cell, field)
    synthetic = admin_changelist(manager_client, response.context["synthetic_url"])
    assert synthetic.result_count == response.context["synthetic"] == 1
    for row in response.context["trend"]["rows"]:
        if row["n"]["value"]:
            assert admin_changelist(manager_client, row["n"]["url"]).result_count == row["n"]["value"]


def test_the_not_visited_card_opens_the_list_of_exactly_those_kehriz(dataset, manager_client):
    """The headline "not visited in the last 90 days" links to an admin list of the kəhriz it
    counts (never visited, or last visited more than 90 days ago), not to every kəhriz."""
    response = manager_client.get(URL)
    cards = [card for group in response.context["cards"] for card in group["cards"]]
    (card,) = [card for card in cards if "not visited in the last 90 days" in str(card["label"])]
    changelist = admin_changelist(manager_client, card["cell"]["url"])
    cutoff = timezone.localdate() - datetime.timedelta(days=90)
    expected = {k.name for k in Kehriz.objects.all() if k.last_visit_on is None or k.last_visit_on < cutoff}
    assert {k.name for k in changelist.queryset} == expected
    assert changelist.result_count == card["cell"]["value"] == len(expected)
    assert 0 < len(expected) < Kehriz.objects.count()


def test_reported_figures_are_shown_apart_and_labelled(dataset):
    response = anonymous().get(URL)
    html = response.content.decode()
    assert "Figures reported by the projects" in html
    assert "not counted from" in html
    section = html[html.index('id="reported-heading"') :]
    section = section[: section.index("</section>")]
    assert "Reported" in section
    assert ">26<" in section
    assert "kəhriz restored and handed over" in section
    assert "IOM Azerbaijan news item" in section
    assert "as of about March 2024 (approximate date)" in section
    assert "Ağdam, Goranboy, Qazax" in section
    assert "href" not in section  # a reported figure is not a count of records: no map link


def test_synthetic_data_is_announced(dataset):
    html = anonymous().get(URL).content.decode()
    assert "Synthetic demo data." in html
    assert "1 synthetic demo kəhriz" in html


def test_no_synthetic_notice_without_synthetic_data(dataset):
    dataset["a3"].delete()
    html = anonymous().get(URL).content.decode()
    assert "synthetic demo kəhriz" not in html


def test_discharge_trend_is_monthly_mean_of_visible_measurements(dataset):
    response = anonymous().get(URL)
    trend = response.context["trend"]
    rows = trend["rows"]
    assert len(rows) == 24
    assert rows[-1]["mean"]["value"] == pytest.approx(15.0)  # 10 and 20; the hidden 90 left out
    assert rows[-1]["n"]["value"] == 2
    assert rows[-2]["mean"]["value"] == pytest.approx(6.0)
    assert rows[0]["mean"]["value"] is None  # 30 months ago is outside the window
    html = response.content.decode()
    assert '<svg class="bar-chart"' in html
    assert "Mean discharge per month" in html
    assert html.count('<rect class="bar"') == 2


@pytest.mark.parametrize(
    "language, march",
    [("az", "mar 24"), ("en", "Mar 24")],
)
def test_the_trend_chart_names_its_months_in_words(language, march):
    """Bars are labelled "mar 24" in Azerbaijani and "Mar 24" in English, not "03/24" (which
    reads as a day and month)."""
    from projects.views.dashboard import chart_month

    with translation.override(language):
        assert chart_month(datetime.date(2024, 3, 1)) == march
        assert chart_month(datetime.date(2024, 6, 1)) == ("iyn 24" if language == "az" else "Jun 24")


def test_the_trend_chart_on_the_azerbaijani_page(dataset):
    html = Client(HTTP_ACCEPT_LANGUAGE="az").get(URL).content.decode()
    chart = html[html.index('<svg class="bar-chart"') : html.index("</svg>")]
    with translation.override("az"):
        months = {date_format(months_ago(timezone.localdate(), n), "b y") for n in range(24)}
    labels = set(re.findall(r">([^<>]*\d\d)</text>", chart)) - {"0"}
    month_labels = labels & months
    assert len(month_labels) == 8, labels  # every third of the 24 bars
    assert not re.search(r">\d\d/\d\d</text>", chart)


def test_empty_database_renders(db):
    response = anonymous().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No kəhriz has been recorded as handed over yet." in html
    assert "No discharge has been measured in the last two years." in html
    assert "<svg" not in html


def test_page_is_accessible_and_translatable_markup(dataset):
    html = anonymous().get(URL).content.decode()
    assert html.count("<h1") == 1
    assert html.count("<caption") >= 4
    assert 'scope="col"' in html and 'scope="row"' in html
    assert 'class="table-wrap" role="region"' in html
    assert "projects/dashboard.css" in html
    assert 'role="img"' in html


# --- Query count ------------------------------------------------------------------------------


def build(n, district, project):
    """n kəhriz, each with a visit of its own: the kəhriz and the visits grow together."""
    today = timezone.localdate()
    for i in range(n):
        visit = factories.MonitoringVisitFactory(start_date=today, end_date=None)
        k = factories.KehrizFactory(
            district=district,
            status=Status.HANDED_OVER if i % 2 else Status.RESTORED,
            households_served=10,
            committee_women=1,
            committee_members=3,
            last_visit_on=today,
            is_synthetic=bool(i % 3),
        )
        k.projects.add(project)
        factories.StatusEventFactory(
            kehriz=k,
            from_status=Status.RESTORED,
            to_status=Status.HANDED_OVER,
            changed_on=datetime.date(2020 + i % 5, 1, 1),
        )
        factories.RestorationWorkFactory(kehriz=k, project=project)
        observation = factories.ObservationFactory(visit=visit, kehriz=k, observed_on=today)
        factories.FollowUpFactory(observation=observation)
    factories.ReportedFigureFactory(project=project).districts.add(district)


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_count_does_not_grow_with_the_data(goranboy, viewer_client, signed_in):
    client = viewer_client if signed_in else anonymous()
    project = factories.ProjectFactory()
    build(1, goranboy, project)
    one = count_queries(client)
    build(99, goranboy, factories.ProjectFactory())
    hundred = count_queries(client)
    assert one == hundred
    assert hundred <= 15 + (2 if signed_in else 0)  # + session and user when signed in
    # Asked again with nothing changed, the page comes from the cache: one query to see that
    # nothing changed (plus session and user when signed in).
    assert count_queries(client) == 1 + (2 if signed_in else 0)


@pytest.mark.parametrize(
    ("counts", "index", "condition", "ordered"),
    [
        # The month, read in month order from the index: no sorting of every observation.
        ('AVG("projects_observation"."discharge_lps")', "observation_month_idx", ("<expr>", "date_trunc"), 1),
        ('"projects_statusevent"."to_status"', "statusevent_to_status_idx", ("to_status", "to_status"), 0),
    ],
)
def test_the_trend_and_the_handed_over_years_are_read_from_their_indexes(
    dataset, counts, index, condition, ordered
):
    """The month index holds MonthOf exactly as the dashboard's query writes it, and the database
    plans to search it by that month: if the two drifted apart, each view would sort every
    observation of two years again (docs/performance.md shows what that costs)."""
    with CaptureQueriesContext(connection) as queries:
        collect(AnonymousUser())
    found = [q["sql"] for q in queries.captured_queries if counts in q["sql"]]
    assert found
    for sql in found:
        conditions, sorts = index_conditions(sql)
        assert condition[connection.vendor == "postgresql"] in conditions.get(index, ""), (sql, conditions)
        if ordered and connection.vendor == "sqlite":  # PostgreSQL chooses by its statistics
            assert not sorts, sql


def index_conditions(sql):
    """What the database plans for ``sql``: each index it searches with the condition it searches
    by (not an index merely read in full), and (SQLite) whether it sorts rows to group them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test's few rows would not need it
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            nodes, conditions = [plan[0]["Plan"]], {}
            while nodes:
                node = nodes.pop()
                nodes.extend(node.get("Plans", []))
                if "Index Cond" in node:
                    conditions[node["Index Name"]] = node["Index Cond"]
            return conditions, None
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        details = [row[-1] for row in cursor.fetchall()]
    conditions = {}
    for detail in details:
        # SEARCH projects_observation USING COVERING INDEX observation_month_idx (<expr>>?)
        if detail.startswith("SEARCH") and " INDEX " in detail and "(" in detail:
            name, _, condition = detail.split(" INDEX ", 1)[1].partition(" (")
            conditions[name] = condition
    return conditions, any("TEMP B-TREE FOR GROUP BY" in detail for detail in details)


def test_the_version_check_sees_a_change_that_leaves_counts_alone(goranboy):
    """An edit changes no row count; the latest ``updated_at`` shows it."""
    build(1, goranboy, factories.ProjectFactory())
    before = data_version()
    kehriz = Kehriz.objects.get()
    kehriz.households_served += 1
    kehriz.save()
    assert data_version() != before


def test_a_change_shows_at_once_although_the_page_is_cached(goranboy):
    client = anonymous()
    project = factories.ProjectFactory()
    build(1, goranboy, project)
    assert client.get(URL).context["overall"]["total"] == 1
    assert "overall" not in client.get(URL).context  # the second time, from the cache
    build(2, goranboy, project)
    assert client.get(URL).context["overall"]["total"] == 3
    # Each language and each kind of reader has its own copy.
    azerbaijani = client.get(URL, HTTP_ACCEPT_LANGUAGE="az")
    assert azerbaijani.context["overall"]["total"] == 3
    assert "Programme dashboard" not in azerbaijani.content.decode()


# --- The chart helper -------------------------------------------------------------------------


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 7, 12.7, 26, 60, 101)] == [1, 0.5, 1, 10, 20, 50, 100, 200]


def test_bar_chart_escapes_text_and_skips_missing_values():
    svg = bar_chart_svg(
        [("<b>", 5.0), ("x", None), ("y", 10.0)], title="T & <t>", description="D", unit="L/s"
    )
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "T &amp; &lt;t&gt;" in svg
    assert svg.count('<rect class="bar"') == 2
    assert 'class="no-data"' in svg
