"""A district's page: its counts (each linking to the filtered map), its kəhriz in a sortable,
paginated table, published-only for the public, and a fixed number of queries."""

import datetime
import json
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
from django.utils import timezone

from projects.filters import KehrizFilterSet, map_filter_data
from projects.models import Functionality, Status
from projects.views import district as district_view
from projects.views.common import visible_kehriz
from tests import factories

pytestmark = pytest.mark.django_db


def url_of(district, **params):
    url = reverse("projects:district", args=[district.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def anonymous():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


class Links(HTMLParser):
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


def map_count(url, user=None):
    parts = urlsplit(url)
    assert parts.path == "/"
    filterset = KehrizFilterSet(
        map_filter_data(QueryDict(parts.query)), queryset=visible_kehriz(user or AnonymousUser())
    )
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def names(response):
    return [row["kehriz"].name for row in response.context["rows"]]


@pytest.fixture
def agdam_kehriz(agdam, goranboy):
    today = timezone.localdate()
    village = factories.VillageFactory(name="Quzanlı", district=agdam)
    made = [
        factories.KehrizFactory(
            name="Baba",
            district=agdam,
            village=village,
            status=Status.HANDED_OVER,
            functionality=Functionality.FUNCTIONAL,
            households_served=120,
            people_served=600,
            idp_households_served=50,
            irrigated_area_ha=Decimal("10.25"),
            last_visit_on=today - datetime.timedelta(days=3),
            last_discharge_lps=Decimal("12.40"),
        ),
        factories.KehrizFactory(
            name="Ana",
            district=agdam,
            status=Status.RESTORED,
            functionality=Functionality.LOW_FLOW,
            households_served=30,
            people_served=100,
            idp_households_served=0,
            irrigated_area_ha=Decimal("1.00"),
            last_visit_on=today - datetime.timedelta(days=40),
            last_discharge_lps=Decimal("3.10"),
        ),
        factories.KehrizFactory(
            name="Cavan",
            district=agdam,
            status=Status.IDENTIFIED,
            households_served=500,  # not restored: not served yet
            is_synthetic=True,
        ),
        factories.KehrizFactory(
            name="Dağ",
            district=agdam,
            status=Status.UNDER_RESTORATION,
            functionality=Functionality.DRY,
            last_visit_on=today - datetime.timedelta(days=400),
            last_discharge_lps=Decimal("0.00"),
            households_served=5,
        ),
        factories.KehrizFactory(
            name="Gizli",
            district=agdam,
            status=Status.HANDED_OVER,
            households_served=1000,
            is_published=False,
        ),
    ]
    factories.KehrizFactory(name="Goranboyda", district=goranboy, status=Status.HANDED_OVER)
    return made


def test_unknown_district_is_404(db):
    assert anonymous().get("/districts/no-such-rayon/").status_code == 404


def test_counts_and_links_for_the_public(agdam, agdam_kehriz):
    response = anonymous().get(url_of(agdam))
    assert response.status_code == 200
    context = response.context
    assert context["total"]["value"] == 4  # Gizli is unpublished; Goranboyda is elsewhere
    assert context["total"]["url"] == "/?status=&district=agdam-rayonu"
    assert context["restored"]["value"] == 2
    assert context["restored"]["url"] == "/?status=restored&status=handed_over&district=agdam-rayonu"
    assert context["handed_over"]["value"] == 1
    statuses = {item["value"]: item["cell"] for item in context["statuses"]}
    assert {k: c["value"] for k, c in statuses.items()} == {
        "identified": 1,
        "assessed": 0,
        "planned": 0,
        "under_restoration": 1,
        "restored": 1,
        "handed_over": 1,
    }
    assert statuses["handed_over"]["url"] == "/?status=handed_over&district=agdam-rayonu"
    functionalities = {item["value"]: item["cell"] for item in context["functionalities"]}
    assert {k: c["value"] for k, c in functionalities.items()} == {
        "functional": 1,
        "low_flow": 1,
        "dry": 1,
        "collapsed": 0,
        "unknown": 1,
    }
    assert functionalities["dry"]["url"] == "/?status=&functionality=dry&district=agdam-rayonu"
    served = [item["cell"]["value"] for item in context["served"]]
    assert served == [150, 700, 50, Decimal("11.25")]

    # Each count is exactly what the map shows behind its link.
    cells = [context["total"], context["restored"], context["handed_over"]]
    cells += [item["cell"] for item in context["statuses"] + context["functionalities"]]
    for cell in cells:
        assert map_count(cell["url"]) == cell["value"], cell

    found = Links(response.content.decode()).links
    assert found["/?status=handed_over&district=agdam-rayonu"] == ["1", "1"]  # headline and list
    assert "4" in found["/?status=&district=agdam-rayonu"]
    assert "150" in found["/?status=restored&status=handed_over&district=agdam-rayonu"]
    assert "11.2" in found["/?status=restored&status=handed_over&district=agdam-rayonu"]


def test_unpublished_kehriz_are_hidden_from_the_public_only(agdam, agdam_kehriz, viewer_client):
    public = anonymous().get(url_of(agdam))
    assert "Gizli" not in names(public)
    assert "Gizli" not in public.content.decode()
    signed_in = viewer_client.get(url_of(agdam))
    assert "Gizli" in names(signed_in)
    assert signed_in.context["total"]["value"] == 5
    assert "unpublished" in signed_in.content.decode()


def test_table_rows_link_to_each_kehriz_and_show_its_state(agdam, agdam_kehriz):
    response = anonymous().get(url_of(agdam))
    html = response.content.decode()
    baba = agdam_kehriz[0]
    assert f'href="/kehriz/{baba.pk}/"' in html
    assert names(response) == ["Ana", "Baba", "Cavan", "Dağ"]
    row = response.context["rows"][1]
    assert row["kehriz"].village.name == "Quzanlı"
    assert row["discharge"] == "12.4"
    assert row["households"] == "120"
    assert "Quzanlı" in html
    assert "not yet visited" in html  # Cavan
    assert "demo" in html


def test_sorting_by_each_column(agdam, agdam_kehriz):
    client = anonymous()
    assert names(client.get(url_of(agdam, sort="-name"))) == ["Dağ", "Cavan", "Baba", "Ana"]
    # Status in lifecycle order, not alphabetical.
    assert names(client.get(url_of(agdam, sort="status"))) == ["Cavan", "Dağ", "Ana", "Baba"]
    assert names(client.get(url_of(agdam, sort="-status"))) == ["Baba", "Ana", "Dağ", "Cavan"]
    assert names(client.get(url_of(agdam, sort="functionality"))) == ["Baba", "Ana", "Dağ", "Cavan"]
    # Never visited goes last in both directions.
    assert names(client.get(url_of(agdam, sort="last_visit"))) == ["Dağ", "Ana", "Baba", "Cavan"]
    assert names(client.get(url_of(agdam, sort="-last_visit"))) == ["Baba", "Ana", "Dağ", "Cavan"]
    assert names(client.get(url_of(agdam, sort="-discharge"))) == ["Baba", "Ana", "Dağ", "Cavan"]
    assert names(client.get(url_of(agdam, sort="households"))) == ["Dağ", "Ana", "Baba", "Cavan"]
    assert names(client.get(url_of(agdam, sort="village"))) == ["Baba", "Ana", "Cavan", "Dağ"]
    # Nonsense falls back to the name order.
    assert names(client.get(url_of(agdam, sort="password"))) == ["Ana", "Baba", "Cavan", "Dağ"]


def test_sort_headers_say_how_the_table_is_sorted(agdam, agdam_kehriz):
    response = anonymous().get(url_of(agdam, sort="-last_visit"))
    headers = {h["key"]: h for h in response.context["headers"]}
    assert headers["last_visit"]["aria_sort"] == "descending"
    assert headers["last_visit"]["url"] == "?sort=last_visit"  # a second choice reverses
    assert headers["name"]["aria_sort"] is None
    assert headers["name"]["url"] == "?sort=name"
    html = response.content.decode()
    assert html.count("aria-sort=") == 1
    assert '<th scope="col" aria-sort="descending">' in html
    default = anonymous().get(url_of(agdam)).context["headers"][0]
    assert (default["key"], default["aria_sort"], default["url"]) == ("name", "ascending", "?sort=-name")


def test_pagination_keeps_the_sort(agdam, agdam_kehriz, monkeypatch):
    monkeypatch.setattr(district_view, "PER_PAGE", 3)
    client = anonymous()
    first = client.get(url_of(agdam, sort="-name"))
    assert names(first) == ["Dağ", "Cavan", "Baba"]
    assert first.context["next_url"] == "?sort=-name&page=2"
    assert first.context["previous_url"] is None
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert "Kəhriz 1–3 of 4" in html
    second = client.get(url_of(agdam, sort="-name", page=2))
    assert names(second) == ["Ana"]
    assert second.context["previous_url"] == "?sort=-name&page=1"
    assert second.context["next_url"] is None
    # Out of range or nonsense pages fall back rather than fail.
    assert names(client.get(url_of(agdam, page=99))) == ["Dağ"]
    assert names(client.get(url_of(agdam, page="x"))) == ["Ana", "Baba", "Cavan"]


def test_a_page_holds_a_hundred(agdam):
    for i in range(101):
        factories.KehrizFactory(name=f"K {i:03d}", district=agdam)
    response = anonymous().get(url_of(agdam))
    assert len(response.context["rows"]) == 100
    assert response.context["next_url"] == "?page=2"
    assert names(anonymous().get(url_of(agdam, page=2))) == ["K 100"]


def test_the_map_loads_every_status_of_the_district(agdam, agdam_kehriz):
    response = anonymous().get(url_of(agdam))
    html = response.content.decode()
    assert 'id="district-map"' in html
    assert "projects/district.js" in html
    assert "projects/district.css" in html
    config = json.loads(html.split('id="district-config" type="application/json">')[1].split("</script>")[0])
    assert config["boundaries"] == "/api/v1/districts/boundaries/?district=agdam-rayonu"
    layer = anonymous().get(config["layer"])
    assert layer.status_code == 200
    features = layer.json()["features"]
    assert sorted(f["properties"]["name"] for f in features) == ["Ana", "Baba", "Cavan", "Dağ"]
    assert anonymous().get(config["boundaries"]).status_code == 200


def test_synthetic_kehriz_are_announced(agdam, agdam_kehriz, goranboy):
    html = anonymous().get(url_of(agdam)).content.decode()
    assert "include 1 synthetic demo kəhriz" in html
    assert "synthetic demo" not in anonymous().get(url_of(goranboy)).content.decode()


def test_a_district_without_kehriz(cebrayil):
    response = anonymous().get(url_of(cebrayil))
    assert response.status_code == 200
    assert response.context["total"]["value"] == 0
    assert "No kəhriz has been recorded in this district yet." in response.content.decode()


def test_links_to_the_districts_printable_report_and_pdf(agdam, agdam_kehriz):
    html = anonymous().get(url_of(agdam)).content.decode()
    for name in ("projects:district-report", "projects:district-report-pdf"):
        url = reverse(name, args=[agdam.slug])
        assert f'href="{url}"' in html
        assert anonymous().get(url).status_code == 200


def test_accessible_markup(agdam, agdam_kehriz):
    html = anonymous().get(url_of(agdam)).content.decode()
    assert html.count("<h1") == 1
    assert "<caption" in html
    assert 'scope="col"' in html and 'scope="row"' in html
    assert 'class="table-wrap" role="region"' in html


# --- Query count ------------------------------------------------------------------------------


def add_kehriz(district, n):
    """n kəhriz, each with a visit of its own: the kəhriz and the visits grow together."""
    today = timezone.localdate()
    village = factories.VillageFactory(district=district)
    for i in range(n):
        visit = factories.MonitoringVisitFactory(start_date=today, end_date=None)
        k = factories.KehrizFactory(
            district=district,
            village=village if i % 2 else None,
            status=Status.values[i % len(Status.values)],
            households_served=i,
            last_visit_on=today,
            last_discharge_lps=Decimal("4.5"),
        )
        factories.ObservationFactory(visit=visit, kehriz=k, observed_on=today)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("sort", ["", "-status", "village", "-last_visit"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_query_count_does_not_grow_with_the_data(agdam, viewer_client, sort, signed_in):
    client = viewer_client if signed_in else anonymous()
    url = url_of(agdam, sort=sort) if sort else url_of(agdam)
    add_kehriz(agdam, 1)
    one = count_queries(client, url)
    add_kehriz(agdam, 99)
    hundred = count_queries(client, url)
    assert one == hundred
    assert hundred <= 4 + (2 if signed_in else 0)
    assert len(client.get(url).context["rows"]) == 100
