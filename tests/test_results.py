"""A project's results against its targets: counted from the records (each figure a link to the
rows it counts), reported with their source, never added together; targets per period validated;
the public project page (/projects/<code>/) that a donor is sent."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from projects.models import Indicator, Reports, ResultIndicator, ResultPeriod, Status
from projects.trash import move_to_trash
from tests.factories import (
    AGDAM,
    GORANBOY,
    KehrizFactory,
    MonitoringVisitFactory,
    ObservationFactory,
    PersonMetFactory,
    ProjectFactory,
    ReportedFigureFactory,
    RestorationWorkFactory,
    ResultIndicatorFactory,
    ResultPeriodFactory,
    district,
)
from tests.factories import (
    handed_over_kehriz as handed_over,
)

Y2024 = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
Y2025 = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


def indicator_with_periods(project, indicator=Indicator.RESTORED_HANDED_OVER, targets=(10, 20), **fields):
    result = ResultIndicatorFactory(project=project, indicator=indicator, **fields)
    for (start, end), target in zip((Y2024, Y2025), targets, strict=False):
        ResultPeriodFactory(indicator=result, start=start, end=end, target=target)
    return result


def _cells(html, label):
    return re.findall(rf'data-label="{label}">(.*?)</td>', html, flags=re.S)


def _counted_links(html):
    return re.findall(r'data-label="(?:Counted|Sayılıb)"><a href="([^"]+)">([^<]+)</a>', html)


@pytest.fixture
def project(db):
    return ProjectFactory(code="iom-koica", name="Kəhriz layihəsi", name_en="Kəhriz project")


@pytest.mark.django_db
def test_counted_figures_are_the_rows_their_links_open(client, project, data_manager):
    """Handed over in 2024: two real published kəhriz. Not counted: a synthetic one, an
    unpublished one, one of another project, one handed over in 2025 (next period), and one
    deleted to the trash."""
    counted = [
        handed_over(project, datetime.date(2024, 3, 1), name="Əsgər"),
        handed_over(project, datetime.date(2024, 6, 1), name="Orta"),
    ]
    handed_over(project, datetime.date(2024, 4, 1), name="Sintetik", is_synthetic=True)
    handed_over(project, datetime.date(2024, 4, 1), name="Gizli", is_published=False)
    handed_over(ProjectFactory(), datetime.date(2024, 4, 1), name="Başqa")
    handed_over(project, datetime.date(2025, 2, 1), name="Gələn il")
    deleted = handed_over(project, datetime.date(2024, 5, 1), name="Silinmiş")
    move_to_trash(deleted, data_manager)
    indicator_with_periods(project)

    page = client.get(reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    links = _counted_links(page.content.decode())
    assert [count for _url, count in links] == ["2", "1"]

    rows = client.get(links[0][0], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    names = re.findall(
        r'<tr class="counted-row">\s*<td data-label="Kəhriz"><a href="[^"]+">([^<]+)</a>', rows
    )
    assert names == [k.name for k in counted]
    assert re.search(r'id="total">2<', rows)
    for hidden in ("Sintetik", "Gizli", "Başqa", "Gələn il", "Silinmiş"):
        assert hidden not in rows
    next_year = client.get(links[1][0], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Gələn il" in next_year and "Əsgər" not in next_year


@pytest.mark.django_db
def test_a_status_corrected_back_no_longer_counts(client, project):
    kehriz = handed_over(project, datetime.date(2024, 3, 1))
    indicator_with_periods(project, indicator=Indicator.RESTORED)
    kehriz.status = Status.UNDER_RESTORATION
    kehriz.save()
    page = client.get(reverse("projects:project", args=[project.code])).content.decode()
    assert [count for _url, count in _counted_links(page)] == ["0", "0"]


@pytest.mark.django_db
def test_sums_by_district_and_by_sex(client, project):
    handed_over(
        project,
        datetime.date(2024, 3, 1),
        district=district(AGDAM),
        households_served=40,
        committee_members=7,
        committee_women=3,
        committee_chair_is_woman=True,
    )
    handed_over(
        project,
        datetime.date(2024, 5, 1),
        district=district(GORANBOY),
        households_served=25,
        committee_members=5,
        committee_women=0,
    )
    handed_over(project, datetime.date(2024, 5, 1), district=district(GORANBOY))  # nothing recorded
    indicator_with_periods(project, Indicator.HOUSEHOLDS_SERVED, targets=(100,))
    indicator_with_periods(project, Indicator.COMMITTEE_WOMEN, targets=(5,), title_en="Women on committees")
    indicator_with_periods(
        project, Indicator.COMMITTEES_WOMAN_CHAIR, targets=(2,), title_en="Chaired by a woman"
    )
    work_project = indicator_with_periods(
        project, Indicator.GALLERY_CLEANED_M, targets=(500,), title_en="Gallery"
    )
    RestorationWorkFactory(
        project=project,
        kehriz=KehrizFactory(),
        end_date=datetime.date(2024, 9, 1),
        gallery_cleaned_m=Decimal("120.5"),
    )
    RestorationWorkFactory(
        project=project,
        kehriz=KehrizFactory(is_synthetic=True),
        end_date=datetime.date(2024, 9, 1),
        gallery_cleaned_m=900,
    )
    assert work_project

    html = client.get(
        reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    counts = [count for _url, count in _counted_links(html)]
    assert counts == ["65", "3", "1", "120.5"]
    assert "Ağdam: 40" in html and "Goranboy: 25" in html
    assert "women: 3" in html and "men: 9" in html
    assert "65 of 100 (65%)" in html


@pytest.mark.django_db
def test_counted_and_reported_are_shown_apart_with_the_one_reported(client, project):
    for day in (datetime.date(2024, 3, 1), datetime.date(2024, 4, 1), datetime.date(2024, 5, 1)):
        handed_over(project, day)
    indicator_with_periods(project, targets=(30,), reports=Reports.REPORTED)
    ReportedFigureFactory(
        project=project, value=26, as_of=datetime.date(2024, 3, 14), source="IOM news, March 2024"
    )

    html = client.get(
        reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert [count for _url, count in _counted_links(html)] == ["3"]
    (reported,) = _cells(html, "Reported")
    assert reported.startswith('26 <span title="the figure the programme reports">★</span>')
    assert "IOM news, March 2024" in reported
    # Progress is the reported figure's, not 26 + 3.
    assert "26 of 30 (86%)" in html
    assert "29" not in re.sub(r"<[^>]+>", " ", html.split('id="results-heading"')[1].split("</section>")[0])


@pytest.mark.django_db
def test_periods_must_end_after_they_start_and_not_overlap(project):
    indicator = ResultIndicatorFactory(project=project)
    backwards = ResultPeriod(
        indicator=indicator, start=datetime.date(2024, 12, 31), end=datetime.date(2024, 1, 1), target=5
    )
    with pytest.raises(ValidationError, match="must end after it starts"):
        backwards.full_clean()
    ResultPeriodFactory(indicator=indicator, start=Y2024[0], end=Y2024[1])
    overlapping = ResultPeriod(
        indicator=indicator, start=datetime.date(2024, 7, 1), end=datetime.date(2025, 6, 30), target=5
    )
    with pytest.raises(ValidationError, match="overlaps"):
        overlapping.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultPeriod.objects.create(indicator=indicator, start=Y2024[0], end=Y2025[1], target=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultIndicatorFactory(project=project)  # one indicator per measure and project


@pytest.mark.django_db
def test_the_admin_refuses_overlapping_periods_in_one_form(manager_client, project):
    url = reverse("admin:projects_resultindicator_add")
    data = {
        "project": project.pk,
        "indicator": Indicator.RESTORED,
        "title_az": "Bərpa edilmiş kəhrizlər",
        "title_en": "Kəhriz restored",
        "reports": Reports.COUNTED,
        "order": 0,
        "periods-TOTAL_FORMS": 2,
        "periods-INITIAL_FORMS": 0,
        "periods-0-start": "2024-01-01",
        "periods-0-end": "2024-12-31",
        "periods-0-target": "10",
        "periods-1-start": "2024-06-01",
        "periods-1-end": "2025-05-31",
        "periods-1-target": "20",
    }
    response = manager_client.post(url, data, HTTP_ACCEPT_LANGUAGE="az")
    assert response.status_code == 200
    assert "üst-üstə düşür" in response.content.decode()
    assert not ResultIndicator.objects.exists()
    data["periods-1-start"] = "2025-01-01"
    response = manager_client.post(url, data, HTTP_ACCEPT_LANGUAGE="az")
    assert response.status_code == 302
    assert ResultIndicator.objects.get().periods.count() == 2


@pytest.mark.django_db
def test_the_public_page_shows_no_names_and_no_unpublished_kehriz(client, project):
    shown = handed_over(project, datetime.date(2024, 3, 1), name="Əsgər")
    hidden = handed_over(project, datetime.date(2024, 3, 1), name="Gizli kəhriz", is_published=False)
    visit = MonitoringVisitFactory(
        participants="Leyla Məmmədova, Kim Min-jun", purpose="Bərpa işlərinə baxış"
    )
    observation = ObservationFactory(visit=visit, kehriz=shown)
    ObservationFactory(visit=visit, kehriz=hidden)
    PersonMetFactory(observation=observation, name="Əli Həsənov")
    indicator_with_periods(project)

    html = client.get(
        reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="az"
    ).content.decode()
    assert "Bərpa işlərinə baxış" in html and "IOM, KOICA" in html and "Əsgər" in html
    for private in ("Leyla", "Kim Min-jun", "Əli Həsənov", "Gizli kəhriz"):
        assert private not in html
    assert re.search(r"Kəhriz</dt><dd>1\b", html)  # the published one only


@pytest.mark.django_db
def test_the_page_is_in_english_and_azerbaijani(client, project):
    project.description = "Kəhrizlərin bərpası."
    project.description_en = "Restoring kəhriz."
    project.save()
    indicator_with_periods(project, title_az="Təhvil verilmiş kəhrizlər", title_en="Kəhriz handed over")
    az = client.get(
        reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="az"
    ).content.decode()
    en = client.get(
        reverse("projects:project", args=[project.code]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Təhvil verilmiş kəhrizlər" in az and "Hədəflərə qarşı nəticələr" in az
    assert "Kəhriz handed over" in en and "Results against targets" in en
    assert "<h1>Kəhriz project</h1>" in en and "<h1>Kəhriz layihəsi</h1>" in az
    assert "Restoring kəhriz." in en and "Restoring" not in az and "Kəhrizlərin bərpası." in az


@pytest.mark.django_db
def test_an_unknown_project_is_404(client):
    assert client.get("/projects/no-such-project/").status_code == 404


@pytest.mark.django_db
def test_linked_from_the_dashboard_and_each_kehriz(client, project):
    kehriz = handed_over(project, datetime.date(2024, 3, 1))
    url = reverse("projects:project", args=[project.code])
    assert f'href="{url}"' in client.get(reverse("projects:dashboard")).content.decode()
    assert f'href="{url}"' in client.get(reverse("projects:kehriz", args=[kehriz.pk])).content.decode()


def _page_queries(client, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("projects:project", args=[project.code])).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_however_many_records(client, project):
    for indicator in (Indicator.RESTORED, Indicator.HOUSEHOLDS_SERVED, Indicator.SHAFTS_REHABILITATED):
        indicator_with_periods(project, indicator, title_en=indicator)

    def grow(n):
        for i in range(n):
            kehriz = handed_over(project, datetime.date(2024, 3, 1 + i % 20), households_served=10)
            visit = MonitoringVisitFactory()
            ObservationFactory(visit=visit, kehriz=kehriz)
            RestorationWorkFactory(
                project=project, kehriz=kehriz, end_date=datetime.date(2024, 5, 1), shafts_rehabilitated=2
            )

    grow(2)
    few = _page_queries(client, project)
    grow(15)
    many = _page_queries(client, project)
    assert few == many
