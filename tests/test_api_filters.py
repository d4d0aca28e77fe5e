"""The REST API's list filters, ordering and pagination, and the number of queries of each list."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import Functionality, Kehriz, Status
from tests.factories import (
    AGDAM_TOWN,
    CEBRAYIL_TOWN,
    HOROVLU,
    FollowUpFactory,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    PersonMetFactory,
    ProjectFactory,
    RestorationWorkFactory,
    StatusEventFactory,
    UserFactory,
    VillageFactory,
    point,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def url(name, *args):
    return reverse(f"projects:api-{name}", args=args)


def get(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.content[:1000])
    return response.json()


# --- Kəhriz -------------------------------------------------------------------------------------------


@pytest.fixture
def kehriz_set(agdam, goranboy, qazax, cebrayil):
    """Five kəhriz across the four programme districts.

    ========== ========== ================= ============ ========== ========= ==========
    name       code       status            functional.  visited    projects  published
    ========== ========== ================= ============ ========== ========= ==========
    Əsgər      CAB-HOR-01 handed over 2024  functional   2024-03-13 koica     yes
    Orta       CAB-HOR-02 under restoration low flow     2024-03-13 koica     yes
    Karvansara GOR-QAR-01 handed over 2023  dry          2023-10-02 koica     yes
    Ağ bulaq   AGD-01     planned           unknown      never      state     yes
    Şıxlı      QAZ-01     identified        unknown      never      —         no
    ========== ========== ================= ============ ========== ========= ==========
    """
    koica = ProjectFactory(code="iom-koica", donor="KOICA")
    state = ProjectFactory(code="state-water", donor="Azərsu Su Ehtiyatları Agentliyi")
    horovlu = VillageFactory(name="Horovlu", district=cebrayil)
    qaradagli = VillageFactory(name="Qaradağlı", district=goranboy)
    common = {"status_changed_on": D(2023, 1, 1)}
    k = {
        "Əsgər": KehrizFactory(
            name="Əsgər",
            code="CAB-HOR-01",
            district=cebrayil,
            village=horovlu,
            outlet=point(HOROVLU),
            status=Status.HANDED_OVER,
            functionality=Functionality.FUNCTIONAL,
            last_visit_on=D(2024, 3, 13),
            **common,
        ),
        "Orta": KehrizFactory(
            name="Orta",
            code="CAB-HOR-02",
            district=cebrayil,
            village=horovlu,
            outlet=point(CEBRAYIL_TOWN),
            status=Status.UNDER_RESTORATION,
            functionality=Functionality.LOW_FLOW,
            last_visit_on=D(2024, 3, 13),
            **common,
        ),
        "Karvansara": KehrizFactory(
            name="Karvansara",
            code="GOR-QAR-01",
            district=goranboy,
            village=qaradagli,
            status=Status.HANDED_OVER,
            functionality=Functionality.DRY,
            last_visit_on=D(2023, 10, 2),
            **common,
        ),
        "Ağ bulaq": KehrizFactory(
            name="Ağ bulaq", code="AGD-01", district=agdam, status=Status.PLANNED, **common
        ),
        "Şıxlı": KehrizFactory(name="Şıxlı", code="QAZ-01", district=qazax, is_published=False, **common),
    }
    for name in ("Əsgər", "Orta", "Karvansara"):
        k[name].projects.add(koica)
    k["Ağ bulaq"].projects.add(state)
    StatusEventFactory(
        kehriz=k["Əsgər"], from_status="restored", to_status="handed_over", changed_on=D(2024, 5, 1)
    )
    StatusEventFactory(
        kehriz=k["Karvansara"], from_status="restored", to_status="handed_over", changed_on=D(2023, 11, 20)
    )
    return k


def kehriz_names(client, query):
    body = get(client, url("kehriz-list") + query)
    assert body["type"] == "FeatureCollection"
    assert body["count"] == len(body["features"])
    return sorted(f["properties"]["name"] for f in body["features"])


AGDAM_BOX = ",".join(
    str(round(v, 5))
    for v in (AGDAM_TOWN[0] - 0.01, AGDAM_TOWN[1] - 0.01, AGDAM_TOWN[0] + 0.01, AGDAM_TOWN[1] + 0.01)
)
ALL = sorted(["Əsgər", "Orta", "Karvansara", "Ağ bulaq", "Şıxlı"])
HOROVLU_PAIR = sorted(["Əsgər", "Orta"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        # Search: name, code, village or district; Azerbaijani letters and case do not matter.
        ("?q=Cabrayil", HOROVLU_PAIR),
        ("?q=CƏBRAYIL", HOROVLU_PAIR),
        ("?q=cəbrayıl", HOROVLU_PAIR),
        ("?q=Jabrayil", HOROVLU_PAIR),
        ("?q=ƏSGƏR", ["Əsgər"]),
        ("?q=asgar", ["Əsgər"]),
        ("?q=Qaradagli", ["Karvansara"]),
        ("?q=sixli", ["Şıxlı"]),
        ("?q=agdam", ["Ağ bulaq"]),
        ("?q=gor-qar", ["Karvansara"]),
        ("?q=horovlu+orta", ["Orta"]),
        ("?q=nothing-like-this", []),
        # District, repeatable.
        ("?district=cebrayil-rayonu", HOROVLU_PAIR),
        ("?district=cebrayil-rayonu&district=agdam-rayonu", sorted([*HOROVLU_PAIR, "Ağ bulaq"])),
        # Status, repeatable.
        ("?status=handed_over", ["Karvansara", "Əsgər"]),
        ("?status=handed_over&status=planned", ["Ağ bulaq", "Karvansara", "Əsgər"]),
        ("?status=restored", []),
        # Functionality, repeatable.
        ("?functionality=dry", ["Karvansara"]),
        ("?functionality=functional&functionality=low_flow", HOROVLU_PAIR),
        ("?functionality=unknown", ["Ağ bulaq", "Şıxlı"]),
        # Project (code) and donor (folded words).
        ("?project=iom-koica", sorted(["Əsgər", "Orta", "Karvansara"])),
        ("?project=state-water", ["Ağ bulaq"]),
        ("?donor=koica", sorted(["Əsgər", "Orta", "Karvansara"])),
        ("?donor=KOICA", sorted(["Əsgər", "Orta", "Karvansara"])),
        ("?donor=su+ehtiyatlari", ["Ağ bulaq"]),
        ("?donor=World+Bank", []),
        # Year of handing over (from the status history).
        ("?handed_over_year=2024", ["Əsgər"]),
        ("?handed_over_year=2023", ["Karvansara"]),
        ("?handed_over_year=2022", []),
        # Outlet within a box (west,south,east,north).
        ("?in_bbox=46.9,39.3,47.2,39.5", HOROVLU_PAIR),
        (f"?in_bbox={AGDAM_BOX}", ["Ağ bulaq"]),
        # Last visited.
        ("?visited_after=2024-01-01", HOROVLU_PAIR),
        ("?visited_before=2023-12-31", ["Karvansara"]),
        ("?visited_after=2023-10-02&visited_before=2024-03-13", sorted(["Əsgər", "Orta", "Karvansara"])),
        ("?visited_after=2024-03-14", []),
        # Near a point (lon,lat), within metres: Orta's outlet is about 5.7 km from Horovlu's.
        (f"?near={HOROVLU[0]},{HOROVLU[1]}&within_m=1000", ["Əsgər"]),
        (f"?near={HOROVLU[0]},{HOROVLU[1]}", ["Əsgər"]),
        (f"?near={HOROVLU[0]},{HOROVLU[1]}&within_m=10000", HOROVLU_PAIR),
        # Combined.
        ("?district=cebrayil-rayonu&status=handed_over&q=horovlu", ["Əsgər"]),
        ("?project=iom-koica&functionality=dry&handed_over_year=2023", ["Karvansara"]),
    ],
)
def test_kehriz_filters(manager_client, kehriz_set, query, expected):
    assert kehriz_names(manager_client, query) == expected


def test_anonymous_visitors_filter_published_kehriz_only(client, kehriz_set):
    assert kehriz_names(client, "?functionality=unknown") == ["Ağ bulaq"]
    assert kehriz_names(client, "?q=sixli") == []


def codes(body):
    return [f["properties"]["code"] for f in body["features"]]


def test_kehriz_are_ordered_by_name_by_default(manager_client, kehriz_set):
    body = get(manager_client, url("kehriz-list"))
    expected = list(Kehriz.objects.order_by("name", "code").values_list("code", flat=True))
    assert codes(body) == expected
    assert len(expected) == 5


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("code", ["AGD-01", "CAB-HOR-01", "CAB-HOR-02", "GOR-QAR-01", "QAZ-01"]),
        ("-code", ["QAZ-01", "GOR-QAR-01", "CAB-HOR-02", "CAB-HOR-01", "AGD-01"]),
        ("status,code", ["CAB-HOR-01", "GOR-QAR-01", "QAZ-01", "AGD-01", "CAB-HOR-02"]),
        ("district__name_az,-code", ["AGD-01", "CAB-HOR-02", "CAB-HOR-01", "GOR-QAR-01", "QAZ-01"]),
        ("", None),
    ],
)
def test_kehriz_ordering(manager_client, kehriz_set, ordering, expected):
    body = get(manager_client, url("kehriz-list") + f"?ordering={ordering}")
    if expected is None:  # empty, as a form sends it: the default order
        expected = list(Kehriz.objects.order_by("name", "code").values_list("code", flat=True))
    assert codes(body) == expected


@pytest.mark.parametrize(
    "ordering", ["not_a_field", "code,not_a_field", "--code", "code,", "location_source"]
)
def test_an_unknown_ordering_is_a_400_naming_the_orders(manager_client, kehriz_set, ordering):
    """It was ignored: the list came in the default order, and a client never knew."""
    errors = get(manager_client, url("kehriz-list") + f"?ordering={ordering}", 400)
    assert errors == {
        "ordering": [
            "Order by one or more of name, code, status, last_visit_on, district__name_az, separated by "
            "commas; a minus sign first reverses the order."
        ]
    }


def test_most_recently_visited_first_and_never_visited_last(manager_client, kehriz_set):
    """``ordering=-last_visit_on`` is "latest visit first": kəhriz never visited come after every
    visited one, on SpatiaLite and PostGIS alike."""
    body = get(manager_client, url("kehriz-list") + "?ordering=-last_visit_on,code")
    assert codes(body) == ["CAB-HOR-01", "CAB-HOR-02", "GOR-QAR-01", "AGD-01", "QAZ-01"]


def test_kehriz_ordered_by_distance_from_a_point(manager_client, kehriz_set):
    near = f"?near={CEBRAYIL_TOWN[0]},{CEBRAYIL_TOWN[1]}&within_m=20000"
    assert codes(get(manager_client, url("kehriz-list") + near + "&ordering=distance")) == [
        "CAB-HOR-02",
        "CAB-HOR-01",
    ]
    assert codes(get(manager_client, url("kehriz-list") + near + "&ordering=-distance")) == [
        "CAB-HOR-01",
        "CAB-HOR-02",
    ]


def test_a_kehriz_without_an_outlet_is_never_near_a_point(manager_client, kehriz_set, cebrayil):
    """Its distance is unknown, not 0 (SpatiaLite's geodetic Distance of a NULL is 0)."""
    KehrizFactory(code="CAB-NOWHERE", name="Yersiz", district=cebrayil, outlet=None)
    near = f"?near={HOROVLU[0]},{HOROVLU[1]}&within_m=10000"
    assert kehriz_names(manager_client, near) == HOROVLU_PAIR
    assert "CAB-NOWHERE" not in codes(get(manager_client, url("kehriz-list") + near + "&ordering=distance"))


def test_near_and_within_m_filter_the_map_layers_too(manager_client, kehriz_set):
    near = f"?near={HOROVLU[0]},{HOROVLU[1]}&within_m=1000&status="
    layer = get(manager_client, url("kehriz-map") + near)
    listed = get(manager_client, url("kehriz-list") + near)
    assert {f["id"] for f in layer["features"]} == {f["id"] for f in listed["features"]}
    assert len(layer["features"]) == 1
    errors = get(manager_client, url("kehriz-map") + "?near=200,100", 400)["errors"]
    assert "near" in errors


def test_ordering_by_distance_without_a_point_does_not_crash(manager_client, kehriz_set):
    """``distance`` is an allowed ordering, but it exists only with ``near``: without it the API
    should ignore it or answer 400, not fail with a server error."""
    manager_client.raise_request_exception = False
    response = manager_client.get(url("kehriz-list") + "?ordering=distance")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert "ordering" in response.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?district=atlantis", "district"),
        ("?district=cebrayil-rayonu&district=atlantis", "district"),
        ("?status=lost", "status"),
        ("?functionality=wet", "functionality"),
        ("?project=no-such-project", "project"),
        ("?handed_over_year=last", "handed_over_year"),
        ("?handed_over_year=1800", "handed_over_year"),
        ("?in_bbox=1,2", "in_bbox"),
        ("?in_bbox=47,40,46,39", "in_bbox"),
        ("?in_bbox=a,b,c,d", "in_bbox"),
        ("?visited_after=yesterday", "visited"),
        ("?visited_before=2024-13-01", "visited"),
        ("?near=somewhere", "near"),
        ("?near=47.1", "near"),
        ("?near=200,100", "near"),
        ("?near=47.09,39.4&within_m=far", "within_m"),
        ("?page=0", "detail"),
    ],
)
def test_bad_kehriz_filters_answer_400_naming_the_field(manager_client, kehriz_set, query, field):
    manager_client.raise_request_exception = False
    response = manager_client.get(url("kehriz-list") + query)
    expected = 404 if field == "detail" else 400
    assert response.status_code == expected, (response.status_code, response.content[:300])
    errors = response.json()
    assert field in errors, errors
    if field != "detail":
        assert isinstance(errors[field], list) and errors[field], errors
        assert all(isinstance(message, str) and message for message in errors[field])


def test_a_bad_filter_message_in_english(manager_client, kehriz_set):
    errors = get(manager_client, url("kehriz-list") + "?status=lost&district=atlantis", 400)
    assert errors["status"] == ["Select a valid choice. lost is not one of the available choices."]
    assert errors["district"] == ["Select a valid choice. atlantis is not one of the available choices."]


def test_kehriz_pagination(manager_client, kehriz_set):
    first = get(manager_client, url("kehriz-list") + "?ordering=code&page_size=2")
    assert first["count"] == 5
    assert codes(first) == ["AGD-01", "CAB-HOR-01"]
    assert first["previous"] is None
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    second = get(manager_client, first["next"])
    assert codes(second) == ["CAB-HOR-02", "GOR-QAR-01"]
    assert "page_size=2" in second["previous"]
    third = get(manager_client, second["next"])
    assert codes(third) == ["QAZ-01"]
    assert third["next"] is None
    assert get(manager_client, url("kehriz-list") + "?page=4&page_size=2", 404) == {"detail": "Invalid page."}
    # Filters and pagination together: the count is of the filtered list.
    filtered = get(manager_client, url("kehriz-list") + "?district=cebrayil-rayonu&page_size=1")
    assert filtered["count"] == 2 and len(filtered["features"]) == 1


# --- Districts, villages, projects ---------------------------------------------------------------------


def test_district_filters(manager_client):
    programme = get(manager_client, url("district-list") + "?is_programme=true&ordering=slug")
    assert [f["properties"]["slug"] for f in programme["features"]] == [
        "agdam-rayonu",
        "cebrayil-rayonu",
        "goranboy-rayonu",
        "qazax-rayonu",
    ]
    others = get(manager_client, url("district-list") + "?is_programme=false&page_size=1")
    assert others["count"] == 75
    everything = get(manager_client, url("district-list"))
    assert everything["count"] == 79
    assert len(everything["features"]) == 79


@pytest.mark.parametrize(
    ("q", "slugs"),
    [("Jabrayil", ["cebrayil-rayonu"]), ("CƏBRAYIL", ["cebrayil-rayonu"]), ("Aghdam", ["agdam-rayonu"])],
)
def test_district_search(manager_client, q, slugs):
    manager_client.raise_request_exception = False
    response = manager_client.get(url("district-list") + f"?q={q}&is_programme=true")
    assert response.status_code == 200, response.status_code
    assert [f["properties"]["slug"] for f in response.json()["features"]] == slugs


@pytest.fixture
def villages(goranboy, cebrayil):
    return {
        "Qaradağlı": VillageFactory(name="Qaradağlı", district=goranboy, is_idp_settlement=True),
        "Horovlu": VillageFactory(name="Horovlu", district=cebrayil),
        "Şıxlar": VillageFactory(name="Şıxlar", district=goranboy),
    }


def village_names(client, query, status=200):
    body = get(client, url("village-list") + query, status)
    return sorted(v["name"] for v in body["results"]) if status == 200 else body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Horovlu", "Qaradağlı", "Şıxlar"]),
        ("?district=goranboy-rayonu", ["Qaradağlı", "Şıxlar"]),
        ("?district=atlantis", []),
        ("?is_idp_settlement=true", ["Qaradağlı"]),
        ("?is_idp_settlement=false", ["Horovlu", "Şıxlar"]),
    ],
)
def test_village_filters(manager_client, villages, query, expected):
    assert village_names(manager_client, query) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Qaradagli", ["Qaradağlı"]),
        ("QARADAĞLI", ["Qaradağlı"]),
        ("sixlar", ["Şıxlar"]),
        ("Jabrayil", ["Horovlu"]),  # the district's names count too
        ("goranboy", ["Qaradağlı", "Şıxlar"]),
    ],
)
def test_village_search(manager_client, villages, q, expected):
    manager_client.raise_request_exception = False
    response = manager_client.get(url("village-list") + f"?q={q}")
    assert response.status_code == 200, response.status_code
    assert sorted(v["name"] for v in response.json()["results"]) == expected


def test_village_ordering(manager_client, villages):
    by_district = get(manager_client, url("village-list") + "?ordering=district__name_az,name")["results"]
    assert by_district[0]["name"] == "Horovlu"  # Cəbrayıl before Goranboy, whatever the collation of ə
    assert {v["name"] for v in by_district[1:]} == {"Qaradağlı", "Şıxlar"}


def test_project_search(manager_client):
    ProjectFactory(code="iom-koica", donor="KOICA", name="Kəhriz layihəsi")
    ProjectFactory(code="wb-irrigation", donor="World Bank", name="Suvarma")
    manager_client.raise_request_exception = False
    response = manager_client.get(url("project-list") + "?q=koica")
    assert response.status_code == 200, response.status_code
    assert [p["code"] for p in response.json()["results"]] == ["iom-koica"]
    response = manager_client.get(url("project-list") + "?q=kehriz")
    assert [p["code"] for p in response.json()["results"]] == ["iom-koica"]


# --- Status events, works, observations, follow-ups ----------------------------------------------------


@pytest.fixture
def history(goranboy, cebrayil):
    karvansara = KehrizFactory(name="Karvansara", code="GOR-1", district=goranboy)
    asger = KehrizFactory(name="Əsgər", code="CAB-1", district=cebrayil)
    events = {
        "k-identified": StatusEventFactory(
            kehriz=karvansara, to_status="identified", changed_on=D(2023, 1, 5)
        ),
        "k-assessed": StatusEventFactory(
            kehriz=karvansara, from_status="identified", to_status="assessed", changed_on=D(2023, 6, 1)
        ),
        "a-planned": StatusEventFactory(kehriz=asger, to_status="planned", changed_on=D(2024, 2, 1)),
        "a-restored": StatusEventFactory(
            kehriz=asger,
            from_status="planned",
            to_status="restored",
            changed_on=D(2024, 9, 1),
            is_correction=True,
            note="Restored before the programme",
        ),
    }
    return karvansara, asger, events


def event_keys(client, query, events):
    body = get(client, url("status-event-list") + query)
    ids = [e["id"] for e in body["results"]]
    return sorted(key for key, event in events.items() if event.pk in ids)


def test_status_event_filters(manager_client, history):
    karvansara, asger, events = history
    assert event_keys(manager_client, f"?kehriz={karvansara.pk}", events) == ["k-assessed", "k-identified"]
    assert event_keys(manager_client, "?district=cebrayil-rayonu", events) == ["a-planned", "a-restored"]
    assert event_keys(manager_client, "?to_status=assessed&to_status=restored", events) == [
        "a-restored",
        "k-assessed",
    ]
    assert event_keys(manager_client, "?is_correction=true", events) == ["a-restored"]
    assert event_keys(manager_client, "?changed_after=2024-01-01", events) == ["a-planned", "a-restored"]
    assert event_keys(manager_client, "?changed_before=2023-03-01", events) == ["k-identified"]
    ordered = get(manager_client, url("status-event-list") + "?ordering=-changed_on")["results"]
    assert [e["changed_on"] for e in ordered] == ["2024-09-01", "2024-02-01", "2023-06-01", "2023-01-05"]


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("status-event", "?to_status=lost", "to_status"),
        ("status-event", "?kehriz=abc", "kehriz"),
        ("status-event", "?changed_after=soon", "changed"),
        ("work", "?done_by=robots", "done_by"),
        ("work", "?started_before=2024-02-30", "started"),
        ("work", "?kehriz=x", "kehriz"),
        ("visit", "?uuid=not-a-uuid", "uuid"),
        ("visit", "?kehriz=x", "kehriz"),
        ("visit", "?started_after=march", "started"),
        ("observation", "?functionality=wet", "functionality"),
        ("observation", "?observed_before=never", "observed"),
        ("observation", "?visit=first", "visit"),
        ("follow-up", "?due_after=later", "due"),
        ("follow-up", "?kehriz=x", "kehriz"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(manager_client, name, query, field):
    errors = get(manager_client, url(f"{name}-list") + query, 400)
    assert list(errors) == [field]
    assert isinstance(errors[field], list) and errors[field][0]


@pytest.fixture
def works(goranboy, cebrayil):
    koica = ProjectFactory(code="iom-koica")
    other = ProjectFactory(code="other")
    karvansara = KehrizFactory(name="Karvansara", district=goranboy)
    asger = KehrizFactory(name="Əsgər", district=cebrayil)
    return (
        karvansara,
        asger,
        {
            "k-2023": RestorationWorkFactory(
                kehriz=karvansara,
                project=koica,
                done_by="contractor",
                start_date=D(2023, 4, 1),
                end_date=None,
            ),
            "k-2024": RestorationWorkFactory(kehriz=karvansara, project=other, start_date=D(2024, 4, 1)),
            "a-2024": RestorationWorkFactory(
                kehriz=asger, project=koica, start_date=D(2024, 7, 1), end_date=None
            ),
        },
    )


def keys_of(client, name, query, records):
    body = get(client, url(f"{name}-list") + query)
    ids = [row["id"] for row in body["results"]]
    assert len(ids) == body["count"]
    return sorted(key for key, record in records.items() if record.pk in ids)


def test_work_filters(manager_client, works):
    karvansara, asger, records = works
    assert keys_of(manager_client, "work", f"?kehriz={karvansara.pk}", records) == ["k-2023", "k-2024"]
    assert keys_of(manager_client, "work", "?district=cebrayil-rayonu", records) == ["a-2024"]
    assert keys_of(manager_client, "work", "?project=iom-koica", records) == ["a-2024", "k-2023"]
    assert keys_of(manager_client, "work", "?done_by=contractor", records) == ["k-2023"]
    assert keys_of(manager_client, "work", "?started_after=2024-01-01", records) == ["a-2024", "k-2024"]
    assert keys_of(manager_client, "work", "?started_before=2024-04-01", records) == ["k-2023", "k-2024"]
    ordered = get(manager_client, url("work-list") + "?ordering=start_date")["results"]
    assert [w["start_date"] for w in ordered] == ["2023-04-01", "2024-04-01", "2024-07-01"]


@pytest.fixture
def observations(goranboy, cebrayil):
    karvansara = KehrizFactory(name="Karvansara", district=goranboy)
    asger = KehrizFactory(name="Əsgər", district=cebrayil)
    march = MonitoringVisitFactory(start_date=D(2024, 3, 13), end_date=D(2024, 3, 14))
    june = MonitoringVisitFactory(start_date=D(2024, 6, 2), end_date=None)
    return (
        karvansara,
        asger,
        march,
        {
            "k-march": ObservationFactory(visit=march, kehriz=karvansara, observed_on=D(2024, 3, 14)),
            "a-march": ObservationFactory(
                visit=march, kehriz=asger, functionality="low_flow", discharge_lps=Decimal("3.10")
            ),
            "k-june": ObservationFactory(
                visit=june, kehriz=karvansara, functionality="dry", discharge_lps=None, needs_review=True
            ),
        },
    )


def test_observation_filters(manager_client, observations):
    karvansara, asger, march, records = observations
    assert keys_of(manager_client, "observation", f"?kehriz={karvansara.pk}", records) == [
        "k-june",
        "k-march",
    ]
    assert keys_of(manager_client, "observation", "?district=cebrayil-rayonu", records) == ["a-march"]
    assert keys_of(manager_client, "observation", f"?visit={march.pk}", records) == ["a-march", "k-march"]
    assert keys_of(manager_client, "observation", "?functionality=dry&functionality=low_flow", records) == [
        "a-march",
        "k-june",
    ]
    assert keys_of(manager_client, "observation", "?observed_after=2024-03-14", records) == [
        "k-june",
        "k-march",
    ]
    assert keys_of(manager_client, "observation", "?observed_before=2024-03-13", records) == ["a-march"]
    assert keys_of(manager_client, "observation", "?needs_review=true", records) == ["k-june"]
    by_discharge = get(
        manager_client, url("observation-list") + "?ordering=-discharge_lps&kehriz=" + str(asger.pk)
    )
    assert [o["discharge_lps"] for o in by_discharge["results"]] == ["3.10"]


@pytest.fixture
def follow_ups(goranboy, cebrayil):
    today = timezone.localdate()
    karvansara = KehrizFactory(name="Karvansara", district=goranboy)
    asger = KehrizFactory(name="Əsgər", district=cebrayil)
    k_obs = ObservationFactory(kehriz=karvansara)
    a_obs = ObservationFactory(kehriz=asger)
    return (
        karvansara,
        asger,
        {
            "overdue": FollowUpFactory(observation=k_obs, due_date=today - datetime.timedelta(days=3)),
            "due-later": FollowUpFactory(observation=k_obs, due_date=today + datetime.timedelta(days=30)),
            "no-date": FollowUpFactory(observation=a_obs, due_date=None),
            "done-late": FollowUpFactory(
                observation=a_obs,
                due_date=today - datetime.timedelta(days=60),
                done=True,
                done_on=today - datetime.timedelta(days=1),
            ),
        },
    )


def test_follow_up_filters(manager_client, follow_ups):
    karvansara, asger, records = follow_ups
    assert keys_of(manager_client, "follow-up", "?done=false", records) == ["due-later", "no-date", "overdue"]
    assert keys_of(manager_client, "follow-up", "?done=true", records) == ["done-late"]
    assert keys_of(manager_client, "follow-up", "?overdue=true", records) == ["overdue"]
    assert keys_of(manager_client, "follow-up", "?overdue=false", records) == [
        "done-late",
        "due-later",
        "no-date",
    ]
    assert keys_of(manager_client, "follow-up", "?district=goranboy-rayonu", records) == [
        "due-later",
        "overdue",
    ]
    assert keys_of(manager_client, "follow-up", f"?kehriz={asger.pk}", records) == ["done-late", "no-date"]
    assert keys_of(manager_client, "follow-up", "?district=goranboy-rayonu&overdue=true", records) == [
        "overdue"
    ]
    soon = timezone.localdate() + datetime.timedelta(days=1)
    assert keys_of(manager_client, "follow-up", f"?due_before={soon}", records) == ["done-late", "overdue"]
    assert keys_of(manager_client, "follow-up", f"?due_after={soon}", records) == ["due-later"]


def test_pagination_of_result_lists(manager_client, goranboy):
    for _ in range(5):
        StatusEventFactory(kehriz=KehrizFactory(district=goranboy))
    first = get(manager_client, url("status-event-list") + "?page_size=2")
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    last = get(manager_client, url("status-event-list") + "?page_size=2&page=3")
    assert len(last["results"]) == 1 and last["next"] is None and "page_size=2" in last["previous"]
    pages = [get(manager_client, url("status-event-list") + f"?page_size=2&page={p}") for p in (1, 2, 3)]
    assert len({e["id"] for page in pages for e in page["results"]}) == 5
    assert get(manager_client, url("status-event-list") + "?page=9", 404) == {"detail": "Invalid page."}
    # page_size is capped (at 1000), not refused.
    assert get(manager_client, url("status-event-list") + "?page_size=100000")["count"] == 5


# --- Query counts ---------------------------------------------------------------------------------------


def _kehriz_rows(n, goranboy):
    project = ProjectFactory()
    village = VillageFactory(district=goranboy)
    for _ in range(n):
        kehriz = KehrizFactory(district=goranboy, village=village)
        kehriz.projects.add(project, ProjectFactory())


def _visit_rows(n, goranboy):
    user = UserFactory()
    for _ in range(n):
        visit = MonitoringVisitFactory(recorded_by=user)
        for _k in range(2):
            observation = ObservationFactory(visit=visit, kehriz=KehrizFactory(district=goranboy))
            PersonMetFactory(observation=observation)
            FollowUpFactory(observation=observation)


def _observation_rows(n, goranboy):
    for _ in range(n):
        observation = ObservationFactory(kehriz=KehrizFactory(district=goranboy))
        PersonMetFactory(observation=observation)
        FollowUpFactory(observation=observation)


def _work_rows(n, goranboy):
    for _ in range(n):
        RestorationWorkFactory(kehriz=KehrizFactory(district=goranboy))


def _follow_up_rows(n, goranboy):
    for _ in range(n):
        FollowUpFactory(observation=ObservationFactory(kehriz=KehrizFactory(district=goranboy)))


def _event_rows(n, goranboy):
    user = UserFactory()
    for _ in range(n):
        StatusEventFactory(kehriz=KehrizFactory(district=goranboy), changed_by=user)


def _village_rows(n, goranboy):
    for _ in range(n):
        VillageFactory(district=goranboy)


def _project_rows(n, goranboy):
    for _ in range(n):
        ProjectFactory().districts.add(goranboy)


ROWS = {
    "kehriz": _kehriz_rows,
    "visit": _visit_rows,
    "observation": _observation_rows,
    "work": _work_rows,
    "follow-up": _follow_up_rows,
    "status-event": _event_rows,
    "village": _village_rows,
    "project": _project_rows,
}


@pytest.mark.parametrize("name", list(ROWS))
def test_lists_make_the_same_number_of_queries_for_1_and_30_rows(manager_client, goranboy, name):
    path = url(f"{name}-list")
    manager_client.get(path)  # warm up (session, content types)

    def measure(expected_count):
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(path)
        body = response.json()
        assert response.status_code == 200
        assert body["count"] == expected_count
        assert len(body.get("results", body.get("features"))) == expected_count
        return len(queries)

    ROWS[name](1, goranboy)
    with_one = measure(1)
    ROWS[name](29, goranboy)
    with_thirty = measure(30)
    assert with_thirty == with_one, f"{name}: {with_one} queries for 1 row, {with_thirty} for 30"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/districts/?is_programme=2000",
        "/api/v1/villages/?is_idp_settlement=maybe",
        "/api/v1/visits/?is_synthetic=null",
        "/api/v1/follow-ups/?overdue=yesterday",
    ],
)
def test_a_yes_no_filter_refuses_what_is_neither(manager_client, url):
    """It was read as no filter at all, and answered every row."""
    response = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert "Give true or false." in response.content.decode()


def test_a_yes_no_filter_reads_true_false_1_and_0(manager_client, goranboy):
    for value, programme in (("true", True), ("1", True), ("false", False), ("0", False)):
        rows = manager_client.get(f"/api/v1/districts/?is_programme={value}&page_size=1000").json()[
            "features"
        ]
        assert rows and all(row["properties"]["is_programme"] is programme for row in rows)


def test_the_yes_no_message_is_azerbaijani_first(manager_client):
    response = manager_client.get("/api/v1/districts/?is_programme=2000", HTTP_ACCEPT_LANGUAGE="az")
    assert response.json() == {"is_programme": ["true (bəli) və ya false (xeyr) yazın."]}
