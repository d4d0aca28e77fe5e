"""The kəhriz page: the whole story of one kəhriz, as a visitor and as staff, in a fixed number of
queries however many visits it has had."""

import datetime
import io
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.gis.geos import LineString
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from projects import services
from projects.models import Kehriz, MonitoringVisit, Status
from projects.services import refresh_current_state
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = datetime.date
RESTORED_ON = D(2024, 6, 30)


# --- Helpers -----------------------------------------------------------------------------------


def png_upload(name="outlet.png", colour=(11, 110, 153)):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def text_of(fragment):
    """Visible text of an HTML fragment, whitespace collapsed."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([,:.;)])", r"\1", text))


def fact(html, label):
    """The value shown for ``label`` in the facts lists."""
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert match, f"no fact {label!r} on the page"
    return text_of(match.group(1))


def section(html, section_id):
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


def page(client, kehriz):
    response = client.get(reverse("projects:kehriz", args=[kehriz.pk]))
    assert response.status_code == 200
    return response.content.decode()


def map_data(html):
    match = re.search(r'<script id="kehriz-geo" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the geometries are embedded in the page"
    return json.loads(match.group(1))


def add_visit(
    kehriz, *, title, start, end=None, discharge=None, method="", functionality="functional", **obs
):
    visit = factories.MonitoringVisitFactory(
        title=title, start_date=start, end_date=end or start, **obs.pop("visit", {})
    )
    return factories.ObservationFactory(
        visit=visit,
        kehriz=kehriz,
        observed_on=start,
        discharge_lps=discharge,
        discharge_method=method if discharge is not None else "",
        functionality=functionality,
        **obs,
    )


# --- The story of one kəhriz --------------------------------------------------------------------


@pytest.fixture
def story(settings, tmp_path, goranboy):
    settings.MEDIA_ROOT = tmp_path
    project = factories.ProjectFactory(
        name="Kəhriz su sistemlərinin bərpası",
        name_en="Restoration of kəhriz water systems",
        donor="KOICA (Korea International Cooperation Agency)",
    )
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy, is_idp_settlement=True)
    town = factories.GORANBOY_TOWN
    well = (town[0] - 0.009, town[1] + 0.006)
    kehriz = factories.KehrizFactory(
        name="Karvansara",
        code="GOR-QRD-KARVANSARA",
        village=village,
        district=goranboy,
        outlet=factories.point(town),
        mother_well=factories.point(well),
        route=LineString(well, (town[0] - 0.004, town[1] + 0.003), town, srid=4326),
        location_is_approximate=True,
        location_source="Phone GPS at the outlet pool, ±30 m",
        shaft_count=17,
        mother_well_depth_m=Decimal("24.5"),
        use_drinking=True,
        use_irrigation=True,
        households_served=120,
        people_served=540,
        idp_households_served=45,
        irrigated_area_ha=Decimal("12.50"),
        figures_are_approximate=True,
        committee_name="Karvansara su istifadəçiləri komitəsi",
        committee_members=9,
        committee_women=4,
        committee_chair_is_woman=True,
        status=Status.RESTORED,
        status_changed_on=D(2024, 8, 1),
    )
    kehriz.projects.add(project)
    history = [
        ("", Status.IDENTIFIED, D(2023, 5, 1), False, ""),
        (Status.IDENTIFIED, Status.ASSESSED, D(2023, 6, 1), False, ""),
        (Status.ASSESSED, Status.PLANNED, D(2023, 8, 1), False, ""),
        (Status.PLANNED, Status.UNDER_RESTORATION, D(2024, 4, 1), False, ""),
        (Status.UNDER_RESTORATION, Status.RESTORED, RESTORED_ON, False, ""),
        (Status.RESTORED, Status.UNDER_RESTORATION, D(2024, 7, 5), True, "The outlet wall was not finished"),
        (Status.UNDER_RESTORATION, Status.RESTORED, D(2024, 8, 1), False, ""),
    ]
    # Saved out of order: the page sorts them by date.
    for from_status, to_status, day, correction, note in reversed(history):
        factories.StatusEventFactory(
            kehriz=kehriz,
            from_status=from_status,
            to_status=to_status,
            changed_on=day,
            is_correction=correction,
            note=note,
        )
    factories.RestorationWorkFactory(
        kehriz=kehriz,
        project=project,
        team_name="Qaradağlı kankan team",
        start_date=D(2024, 4, 1),
        end_date=RESTORED_ON,
        gallery_cleaned_m=Decimal("450.0"),
        shafts_rehabilitated=12,
        rings_installed=30,
        cost=Decimal("25000.00"),
        currency="AZN",
    )

    before = add_visit(
        kehriz,
        title="March monitoring visit",
        start=D(2024, 3, 13),
        end=D(2024, 3, 14),
        discharge=Decimal("3.20"),
        method="bucket",
        functionality="low_flow",
        findings="The gallery is blocked at shaft 9.",
        works_progress="Kankan are clearing spoil from shafts 1 to 8.",
        visit={"dates_are_approximate": True, "organisations": "IOM, KOICA"},
    )
    factories.PersonMetFactory(observation=before, role="engineer", name="Elvin Məmmədov", organisation="IOM")
    factories.PersonMetFactory(
        observation=before, role="kankan", name="", organisation="Kankan team", count=4
    )
    factories.FollowUpFactory(
        observation=before, action="Line shaft 9 with concrete rings", due_date=D(2024, 5, 1)
    )
    factories.FollowUpFactory(
        observation=before, action="Fence the outlet pool", done=True, done_on=D(2024, 4, 20), due_date=None
    )
    photo = factories.PhotoFactory(observation=before, image=png_upload(), caption="Spoil at shaft 9")

    after = add_visit(
        kehriz,
        title="September monitoring visit",
        start=D(2024, 9, 10),
        discharge=Decimal("10.40"),
        method="weir",
        visit={"organisations": "IOM"},
    )
    due_later = timezone.localdate() + datetime.timedelta(days=60)
    factories.FollowUpFactory(observation=after, action="Train the committee treasurer", due_date=due_later)
    services.refresh_current_state([kehriz.pk])
    kehriz.refresh_from_db()
    return {"kehriz": kehriz, "project": project, "photo": photo, "due_later": due_later}


# --- What the page shows ------------------------------------------------------------------------


def test_the_page_shows_the_facts(client, story):
    kehriz = story["kehriz"]
    html = page(client, kehriz)
    assert "<h1>Karvansara" in html
    assert fact(html, "Code") == "GOR-QRD-KARVANSARA"
    assert fact(html, "Village") == "Qaradağlı IDP settlement"
    district_url = reverse("projects:district", args=[kehriz.district.slug])
    assert f'<a href="{district_url}">Goranboy</a>' in html
    assert fact(html, "Projects") == (
        "Restoration of kəhriz water systems (donor: KOICA (Korea International Cooperation Agency))"
    )
    assert kehriz.gallery_length_m > 900
    assert fact(html, "Gallery length") == f"{floatformat(kehriz.gallery_length_m, '-1g')} m"
    assert fact(html, "Shafts") == "17"
    assert fact(html, "Mother-well depth") == "24.5 m"
    assert fact(html, "Uses") == "Drinking water, irrigation"
    assert "These figures are approximate" in html
    assert fact(html, "Households served") == "≈ 120"
    assert fact(html, "People served") == "≈ 540"
    assert fact(html, "IDP households served") == "≈ 45"
    assert fact(html, "Irrigated area") == "≈ 12.50 ha"
    assert fact(html, "Members") == "9"
    assert fact(html, "Women members") == "4"
    assert fact(html, "Chaired by a woman") == "yes"
    assert fact(html, "Restoration status") == "Restored since Aug. 1, 2024"
    assert fact(html, "Functionality") == "Functional"
    assert fact(html, "Last visit") == "Sept. 10, 2024"
    assert fact(html, "Last discharge") == "10.40 L/s"


def test_the_map_has_the_route_the_outlet_and_the_mother_well_embedded(client, story):
    html = page(client, story["kehriz"])
    data = map_data(html)
    kinds = [f["properties"]["kind"] for f in data["features"]["features"]]
    assert kinds == ["route", "mother_well", "outlet"]
    outlet = data["features"]["features"][2]["geometry"]
    assert outlet["type"] == "Point"
    assert outlet["coordinates"] == pytest.approx(list(factories.GORANBOY_TOWN))
    assert data["features"]["features"][0]["geometry"]["type"] == "LineString"
    assert data["district"]["type"] == "MultiPolygon"
    assert data["labels"]["outlet"] == "Outlet"
    assert 'id="kehriz-map"' in html
    assert "projects/kehriz.js" in html
    # The approximate location says so, with its source.
    location = text_of(section(html, "location"))
    assert "The location is approximate. Source: Phone GPS at the outlet pool, ±30 m" in location
    assert "Location unknown" not in location


def test_the_status_history_is_in_date_order_with_the_correction_and_its_reason(client, story):
    timeline = section(page(client, story["kehriz"]), "status-history")
    dates = re.findall(r'<time datetime="([\d-]+)"', timeline)
    assert dates == [
        "2023-05-01",
        "2023-06-01",
        "2023-08-01",
        "2024-04-01",
        "2024-06-30",
        "2024-07-05",
        "2024-08-01",
    ]
    items = [text_of(li) for li in re.findall(r"<li.*?</li>", timeline, re.S)]
    assert items[0] == "May 1, 2023 Identified"
    assert items[4] == "June 30, 2024 Under restoration → to restored"
    assert items[5] == (
        "July 5, 2024 Restored → to under restoration Correction Reason: The outlet wall was not finished"
    )
    assert timeline.count('class="correction"') == 1


def test_the_restoration_works_are_listed(client, story):
    works = text_of(section(page(client, story["kehriz"]), "works"))
    assert "Qaradağlı kankan team" in works
    assert "kankan team" in works
    assert "April 1, 2024 – June 30, 2024" in works
    assert "450 12 30 25,000 AZN" in works


def test_the_visits_are_newest_first_with_people_follow_ups_and_photos(client, story):
    html = page(client, story["kehriz"])
    visits = section(html, "visits")
    assert visits.index("September monitoring visit") < visits.index("March monitoring visit")
    march = text_of(visits[visits.index("March monitoring visit") :])
    assert "Visit: March 13, 2024 – March 14, 2024 dates approximate Organisations: IOM, KOICA" in march
    assert "Functionality Low flow Discharge 3.20 L/s, bucket (volumetric)" in march
    assert "Kankan are clearing spoil from shafts 1 to 8." in march
    assert "The gallery is blocked at shaft 9." in march
    # People met: role, organisation, how many; their names only to signed-in users.
    assert "Engineer (IOM)" in march
    assert "Elvin" not in html
    assert "Kankan (Kankan team) 4 people" in march
    # The overdue action is highlighted as such with its due date; the done one says when. Who
    # answers for an action may be a person's name: for signed-in users only.
    overdue = re.search(r'<li class="open overdue">(.*?)</li>', visits, re.S)
    assert text_of(overdue.group(1)) == "Overdue Line shaft 9 with concrete rings Due May 1, 2024."
    assert "Done Fence the outlet pool Done on April 20, 2024." in march
    assert "IOM engineer" not in html
    later = re.search(r'<li class="open">(.*?)</li>', visits, re.S)
    assert text_of(later.group(1)).startswith("Open Train the committee treasurer")
    assert story["due_later"].strftime("%Y") in text_of(later.group(1))
    assert "2 open follow-up actions" in html
    # The photo: a lazy thumbnail linking to the image, with its caption.
    url = story["photo"].get_absolute_url()
    assert url == f"/photos/{story['photo'].uuid}/"
    assert f'<a href="{url}"><img src="{url}" loading="lazy" alt="Spoil at shaft 9"></a>' in visits
    assert "<figcaption>Spoil at shaft 9" in visits


def test_the_photo_file_is_served(client, story, settings):
    photo = story["photo"]
    assert (settings.MEDIA_ROOT / photo.image.name).exists()
    response = client.get(photo.get_absolute_url())
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.size == (4, 3)


def test_the_discharge_chart_marks_the_restoration_between_before_and_after(client, story):
    html = page(client, story["kehriz"])
    discharge = section(html, "discharge")
    svgs = re.findall(r"<svg xmlns=.*?</svg>", discharge, re.S)
    assert len(svgs) == 2, "a wide and a narrow drawing of the chart"
    for svg in svgs:
        assert svg.count('class="chart-point"') == 2
        assert 'class="chart-marker"' in svg
        assert "restored (June 30, 2024)" in svg
        marker_x = float(re.search(r'class="chart-marker" x1="([\d.]+)"', svg).group(1))
        xs = [float(x) for x in re.findall(r'class="chart-point" cx="([\d.]+)"', svg)]
        assert xs[0] < marker_x < xs[1]
        assert "<title>March 13, 2024: 3.20 L/s</title>" in svg
    summary = text_of(re.search(r'<p class="chart-summary">(.*?)</p>', discharge, re.S).group(1))
    assert summary == (
        "Median discharge before restoration (June 30, 2024): 3.20 L/s; after: 10.40 L/s "
        "(measurements: 1 before, 1 after). That is 3.3 times the flow before."
    )
    # The values as a table, folded away.
    table = re.search(r"<details class=\"chart-data\">.*?</details>", discharge, re.S).group(0)
    assert "<caption" in table
    rows = [text_of(r) for r in re.findall(r"<tr>.*?</tr>", table, re.S)]
    assert rows[1:] == [
        "March 13, 2024 3.20 Bucket (volumetric) before restoration",
        "Sept. 10, 2024 10.40 Weir after restoration",
    ]


def test_handed_over_marks_the_chart_when_there_is_no_restored_event(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy, status=Status.HANDED_OVER)
    factories.StatusEventFactory(
        kehriz=kehriz, from_status="", to_status=Status.HANDED_OVER, changed_on=D(2024, 5, 15)
    )
    add_visit(kehriz, title="Before", start=D(2024, 2, 1), discharge=Decimal("2"), method="bucket")
    add_visit(kehriz, title="After", start=D(2024, 7, 1), discharge=Decimal("6"), method="bucket")
    discharge = section(page(client, kehriz), "discharge")
    assert "restored (May 15, 2024)" in discharge
    assert "Median discharge before restoration (May 15, 2024): 2 L/s" in text_of(discharge)


def test_without_a_restoration_the_chart_has_no_marker_and_the_summary_says_so(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy, status=Status.UNDER_RESTORATION)
    for month, value in ((2, "2.5"), (5, "3"), (8, "2.75")):
        add_visit(
            kehriz, title=f"Visit {month}", start=D(2024, month, 3), discharge=Decimal(value), method="weir"
        )
    discharge = section(page(client, kehriz), "discharge")
    assert discharge.count('class="chart-point"') == 6  # three points in each of the two drawings
    assert "chart-marker" not in discharge
    assert "3 measurements, none after a recorded restoration; the latest is 2.75 L/s on Aug. 3, 2024." in (
        text_of(discharge)
    )


def test_several_works_are_totalled(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy)
    factories.RestorationWorkFactory(kehriz=kehriz, gallery_cleaned_m=Decimal("450"), cost=Decimal("25000"))
    factories.RestorationWorkFactory(
        kehriz=kehriz, gallery_cleaned_m=None, rings_installed=14, cost=Decimal("8000"), currency="USD"
    )
    works = section(page(client, kehriz), "works")
    total = text_of(re.search(r"<tfoot>.*?</tfoot>", works, re.S).group(0))
    assert total == "Total 450 24 44 25,000 AZN 8,000 USD"


def test_a_kehriz_never_measured_says_so_and_draws_no_chart(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy)
    add_visit(kehriz, title="A look", start=D(2024, 2, 1), functionality="dry")
    html = page(client, kehriz)
    discharge = section(html, "discharge")
    assert "No discharge has been measured yet." in discharge
    assert "<svg" not in discharge
    assert fact(html, "Last discharge") == "not measured"
    assert "Functionality Dry Discharge not measured" in text_of(section(html, "visits"))


def test_an_empty_kehriz_page_still_works(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy, outlet=None)
    html = page(client, kehriz)
    assert "No status change has been recorded." in html
    assert "No restoration works have been recorded." in html
    assert "No monitoring visit has been recorded yet." in html
    assert fact(html, "Last visit") == "not yet visited"
    # No geometry: the map centres on the district and says the location is unknown.
    data = map_data(html)
    assert data["features"]["features"] == []
    assert data["district"]["type"] == "MultiPolygon"
    assert "Location unknown. The map shows the Goranboy district." in text_of(section(html, "location"))


def test_without_its_own_position_the_map_shows_the_village(client, goranboy):
    village = factories.VillageFactory(
        district=goranboy,
        location=factories.point(factories.GORANBOY_TOWN),
        location_is_approximate=True,
        location_source="Wikipedia, approximate",
    )
    kehriz = factories.KehrizFactory(district=goranboy, village=village, outlet=None)
    html = page(client, kehriz)
    data = map_data(html)
    assert [f["properties"]["kind"] for f in data["features"]["features"]] == ["village"]
    location = text_of(section(html, "location"))
    assert "Location unknown." in location
    assert "Source of the village's position: Wikipedia, approximate" in location


def test_the_real_sample_records(client):
    call_command("load_sample_data", stdout=io.StringIO())
    asger = Kehriz.objects.get(code="CAB-HOR-ESGER")
    html = page(client, asger)
    assert "<h1>Əsgər" in html
    assert fact(html, "Village") == "Horovlu"
    assert "The location is approximate." in text_of(section(html, "location"))
    visit = MonitoringVisit.objects.get()
    visits = text_of(section(html, "visits"))
    assert visit.title in visits
    assert "dates approximate" in visits
    # The records are in Azerbaijani, the language of their source, on the English page too.
    assert "Organisations: BMqT Azərbaycan, KOICA" in visits
    assert "Purpose of the visit: Layihənin icrasının monitorinqi" in visits
    assert "People met Engineer Kankan" in visits


# --- Who may see it -----------------------------------------------------------------------------


def test_an_unpublished_kehriz_is_hidden_from_visitors_but_not_from_signed_in_users(client, viewer_client):
    kehriz = factories.KehrizFactory(is_published=False)
    url = reverse("projects:kehriz", args=[kehriz.pk])
    assert client.get(url).status_code == 404
    response = viewer_client.get(url)
    assert response.status_code == 200
    assert "Not published: only signed-in users see this page" in response.content.decode()


def test_an_unknown_kehriz_is_not_found(client):
    assert client.get(reverse("projects:kehriz", args=[999999])).status_code == 404


def test_the_admin_link_is_only_for_signed_in_staff(client, manager_client, viewer_client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy)
    change_url = reverse("admin:projects_kehriz_change", args=[kehriz.pk])
    assert change_url not in page(client, kehriz)
    assert f'<a href="{change_url}">Edit in the admin</a>' in page(manager_client, kehriz)
    assert f'<a href="{change_url}">View in the admin</a>' in page(viewer_client, kehriz)


def test_a_field_officer_is_offered_to_edit_only_in_their_district(officer_client, goranboy, agdam):
    here = factories.KehrizFactory(district=goranboy)
    elsewhere = factories.KehrizFactory(district=agdam)
    assert "Edit in the admin" in page(officer_client, here)
    assert "View in the admin" in page(officer_client, elsewhere)


def test_user_text_is_escaped(client, goranboy):
    kehriz = factories.KehrizFactory(district=goranboy, name="<script>alert(1)</script>")
    add_visit(
        kehriz,
        title="<b>visit</b>",
        start=D(2024, 2, 1),
        discharge=Decimal("2"),
        method="bucket",
        findings="<img src=x onerror=alert(1)>",
    )
    html = page(client, kehriz)
    assert "<script>alert(1)</script>" not in html
    assert "<b>visit</b>" not in html
    assert "<img src=x" not in html
    assert "&lt;b&gt;visit&lt;/b&gt;" in html


# --- Queries ------------------------------------------------------------------------------------


def add_full_visit(kehriz, n):
    observation = add_visit(
        kehriz,
        title=f"Visit {n}",
        start=D(2020, 1, 1) + datetime.timedelta(days=13 * n),
        discharge=Decimal(n % 13 + 1),
        method="bucket",
    )
    factories.PersonMetFactory(observation=observation)
    factories.FollowUpFactory(observation=observation)
    factories.PhotoFactory(observation=observation, image=png_upload(f"p{n}.png"))
    return observation


def count_queries(client, kehriz):
    url = reverse("projects:kehriz", args=[kehriz.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("who", ["visitor", "data manager"])
def test_the_number_of_queries_does_not_grow_with_the_visits(who, settings, tmp_path, goranboy, data_manager):
    settings.MEDIA_ROOT = tmp_path
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if who == "data manager":
        client.force_login(data_manager)
    kehriz = factories.KehrizFactory(district=goranboy, village=factories.VillageFactory(district=goranboy))
    kehriz.projects.add(factories.ProjectFactory(), factories.ProjectFactory())
    factories.StatusEventFactory(kehriz=kehriz)
    factories.RestorationWorkFactory(kehriz=kehriz)
    factories.RestorationWorkFactory(kehriz=kehriz)
    add_full_visit(kehriz, 0)

    with_one, html = count_queries(client, kehriz)
    assert html.count('class="visit"') == 1

    for n in range(1, 100):
        add_full_visit(kehriz, n)
    with_hundred, html = count_queries(client, kehriz)
    assert html.count('class="visit"') == 100
    assert html.count('loading="lazy"') == 100
    assert with_hundred == with_one
    # Kəhriz, projects, status events, works, observations (with their visits), people met,
    # follow-ups and photos; a signed-in user adds the session, the user and the permissions.
    assert with_one <= (8 if who == "visitor" else 14)


def test_a_last_visit_with_approximate_dates_says_so(client, goranboy):
    """The programme's March visit has no year in its source: its date is assumed, and the kəhriz's
    last visit says so, as the visit card and the map's popup do."""
    kehriz = factories.KehrizFactory(district=goranboy)
    add_visit(kehriz, title="March visit", start=D(2024, 3, 13), visit={"dates_are_approximate": True})
    refresh_current_state([kehriz.pk])
    assert fact(page(client, kehriz), "Last visit") == "March 13, 2024 (approximate)"

    add_visit(kehriz, title="Measured visit", start=D(2024, 9, 10))
    refresh_current_state([kehriz.pk])
    assert fact(page(client, kehriz), "Last visit") == "Sept. 10, 2024"
