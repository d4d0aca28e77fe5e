"""The printable report of a project or a district: a real WeasyPrint PDF read back with
poppler-utils (pdftotext, pdftoppm), in Azerbaijani and English; the same page in HTML to print
from the browser; public records only, no personal names; a fixed number of queries."""

import datetime
import re
import subprocess
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from projects.models import Indicator, Reports, Status
from projects.views.report import StaticOnlyFetcher
from tests import factories

pytestmark = pytest.mark.django_db

PROJECT_AZ = "Şığı və Gülqasım kəhrizlərinin bərpası İnteqrasiya"
PROJECT_EN = "Restoring the Şığı and Gülqasım kəhriz"
HANDED_OVER_AZ = "Bərpa edilib icmaya təhvil verilmiş kəhrizlər"
HANDED_OVER_EN = "Kəhriz restored and handed over to the community"
HOUSEHOLDS_AZ = "İçməli su alan ev təsərrüfatları"
HOUSEHOLDS_EN = "Households with drinking water"
# People's names: never in a report.
PARTICIPANT = "Elvin Məmmədov"
PERSON_MET = "Rəşad Quliyev"


def anonymous(language="az"):
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def handed_over(name, district, on, **fields):
    kehriz = factories.KehrizFactory(name=name, district=district, status=Status.HANDED_OVER, **fields)
    factories.StatusEventFactory(kehriz=kehriz, from_status="", to_status=Status.HANDED_OVER, changed_on=on)
    return kehriz


@pytest.fixture
def programme(goranboy, cebrayil):
    project = factories.ProjectFactory(
        name=PROJECT_AZ, name_en=PROJECT_EN, code="kehriz-koica", donor="KOICA", implementing_agency="IOM"
    )
    project.districts.add(goranboy, cebrayil)
    asger = handed_over("Əsgər", cebrayil, datetime.date(2024, 5, 10), households_served=40)
    karvansara = handed_over("Karvansara", goranboy, datetime.date(2024, 6, 1), households_served=25)
    orta = factories.KehrizFactory(
        name="Orta", district=cebrayil, status=Status.UNDER_RESTORATION, location_is_approximate=True
    )
    hidden = handed_over(
        "Gizli bulaq", goranboy, datetime.date(2024, 5, 1), households_served=900, is_published=False
    )
    demo = handed_over(
        "Demo kəhriz 7", goranboy, datetime.date(2024, 5, 1), households_served=800, is_synthetic=True
    )
    for kehriz in (asger, karvansara, orta, hidden, demo):
        kehriz.projects.add(project)

    handed = factories.ResultIndicatorFactory(
        project=project,
        indicator=Indicator.RESTORED_HANDED_OVER,
        title_az=HANDED_OVER_AZ,
        title_en=HANDED_OVER_EN,
        reports=Reports.REPORTED,
        order=1,
    )
    factories.ResultPeriodFactory(indicator=handed, target=Decimal("30"))
    factories.ReportedFigureFactory(project=project, value=Decimal("26"), as_of=datetime.date(2024, 3, 14))
    households = factories.ResultIndicatorFactory(
        project=project,
        indicator=Indicator.HOUSEHOLDS_SERVED,
        title_az=HOUSEHOLDS_AZ,
        title_en=HOUSEHOLDS_EN,
        order=2,
    )
    factories.ResultPeriodFactory(indicator=households, target=Decimal("500"))

    visit = factories.MonitoringVisitFactory(
        start_date=datetime.date(2024, 3, 13),
        end_date=datetime.date(2024, 3, 14),
        organisations="IOM, KOICA",
        purpose="Bərpa işlərinə baxış",
        participants=PARTICIPANT,
    )
    observation = factories.ObservationFactory(visit=visit, kehriz=asger, discharge_lps=Decimal("8.5"))
    factories.PersonMetFactory(observation=observation, role="engineer", name=PERSON_MET)
    factories.PersonMetFactory(observation=observation, role="kankan", name="Usta Əli", count=3)
    factories.ObservationFactory(visit=visit, kehriz=hidden)
    later = factories.MonitoringVisitFactory(start_date=datetime.date(2024, 9, 2), end_date=None)
    factories.ObservationFactory(visit=later, kehriz=asger, discharge_lps=Decimal("12.25"))
    return project


def pdf_text(pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def first_page(pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    return Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")


def colour_pixels(image, hex_colour, tolerance=12):
    target = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        1
        for pixel in image.get_flattened_data()
        if all(abs(channel - want) <= tolerance for channel, want in zip(pixel, target, strict=True))
    )


def get_pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content


@pytest.mark.parametrize(
    ("language", "name", "other_name", "titles", "visit_date"),
    [
        ("az", PROJECT_AZ, PROJECT_EN, [HANDED_OVER_AZ, HOUSEHOLDS_AZ], "13 mart 2024"),
        ("en", PROJECT_EN, PROJECT_AZ, [HANDED_OVER_EN, HOUSEHOLDS_EN], "March 13, 2024"),
    ],
)
def test_the_project_pdf_names_the_project_and_its_indicators_with_their_numbers(
    programme, tmp_path, language, name, other_name, titles, visit_date
):
    # The language from a link (?lang=), whatever the browser asks for.
    browser_language = "en" if language == "az" else "az"
    pdf = get_pdf(
        anonymous(browser_language),
        reverse("projects:project-report-pdf", args=["kehriz-koica"]) + f"?lang={language}",
    )
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)

    # Azerbaijani letters survive into the PDF's text (ə ğ ı ş ç ö ü İ), in a font that has them.
    assert name in text
    assert other_name not in text
    for title in titles:
        assert title in text
    # Target 30, reported 26 (the figure this indicator reports), counted 2 (published, real:
    # the unpublished and synthetic kəhriz are not counted); households 40 + 25 = 65 of 500.
    handed_over_row = text[text.index(titles[0]) : text.index(titles[1])]
    for figure in ("30", "26", "2"):
        assert re.search(rf"(?<![\d,.]){figure}(?![\d,.])", handed_over_row), (figure, handed_over_row)
    assert "(86%)" in handed_over_row  # 26 of 30
    households_row = text[text.index(titles[1]) :]
    assert re.search(r"(?<![\d,.])65(?![\d,.])", households_row)
    assert re.search(r"(?<![\d,.])500(?![\d,.])", households_row)
    assert "(13%)" in households_row
    # The visit, dated in the reader's language, with roles and no names.
    assert visit_date in text
    assert "IOM, KOICA" in text
    for private in (PARTICIPANT, PERSON_MET, "Usta Əli", "Gizli bulaq", "Demo kəhriz 7"):
        assert private not in text
    # The data note: the boundaries' license.
    assert "ODbL" in text and "OpenStreetMap" in text

    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "DejaVu" in fonts

    # The map is drawn: the boundaries and the outlets in their status colours, on page 1.
    page = first_page(pdf, tmp_path)
    assert colour_pixels(page, "#1b7f3b") > 20  # handed over (Əsgər, Karvansara)
    assert colour_pixels(page, "#3d4a55", tolerance=20) > 100  # the districts' boundaries
    assert colour_pixels(page, "#e06000") > 3  # under restoration (Orta, approximate: a ring)


def test_the_district_pdf_counts_within_the_district(programme, cebrayil, tmp_path):
    pdf = get_pdf(anonymous(), reverse("projects:district-report-pdf", args=[cebrayil.slug]) + "?lang=en")
    text = pdf_text(pdf, tmp_path)
    assert cebrayil.name_en in text
    assert PROJECT_EN in text and HANDED_OVER_EN in text
    households_row = text[text.index(HOUSEHOLDS_EN) :]
    # Əsgər alone is in Cəbrayıl: 40 households, not 65.
    assert re.search(r"(?<![\d,.])40(?![\d,.])", households_row)
    assert not re.search(r"(?<![\d,.])65(?![\d,.])", households_row)
    assert "Karvansara" not in text


def test_the_printable_page_has_the_map_the_numbers_and_pdf_links_in_both_languages(programme):
    response = anonymous("az").get(reverse("projects:project-report", args=["kehriz-koica"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert PROJECT_AZ in html and HANDED_OVER_AZ in html
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="report-map"') :]
    svg = svg[: svg.index("</svg>")]
    assert svg.count('class="district"') == 2  # Goranboy and Cəbrayıl
    assert svg.count("<circle") == 3  # Əsgər, Karvansara, Orta: not the unpublished, not the demo
    pdf_url = reverse("projects:project-report-pdf", args=["kehriz-koica"])
    assert f'href="{pdf_url}?lang=az"' in html and f'href="{pdf_url}?lang=en"' in html
    assert 'type="date" name="start"' in html
    for private in (PARTICIPANT, PERSON_MET, "Usta Əli", "Gizli bulaq", "Demo kəhriz 7"):
        assert private not in html


def test_signed_in_users_get_the_same_public_report(programme, manager_client):
    html = manager_client.get(reverse("projects:project-report", args=["kehriz-koica"])).content.decode()
    svg = html[html.index('class="report-map"') :]
    assert svg[: svg.index("</svg>")].count("<circle") == 3
    assert "Gizli bulaq" not in html and "Demo kəhriz 7" not in html


def test_a_period_narrows_the_visits_and_keeps_the_overlapping_targets(programme):
    url = reverse("projects:project-report", args=["kehriz-koica"])
    html = anonymous("en").get(url, {"start": "2024-09-01", "end": "2024-12-31"}).content.decode()
    assert "Sept. 2, 2024" in html
    assert "March 13, 2024" not in html
    assert HANDED_OVER_EN in html
    pdf_url = reverse("projects:project-report-pdf", args=["kehriz-koica"])
    assert f"{pdf_url}?start=2024-09-01&amp;end=2024-12-31&amp;lang=az" in html


@pytest.mark.parametrize(
    ("language", "query", "says"),
    [
        ("en", {"start": "13.03.2024"}, "“13.03.2024” is not a date"),
        ("en", {"end": "2024-02-30"}, "“2024-02-30” is not a date: give the period's end"),
        ("en", {"start": "2024-05-01", "end": "2024-04-01"}, "ends before it starts"),
    ],
)
def test_a_bad_date_answers_400_with_a_message(programme, cebrayil, language, query, says):
    for url in (
        reverse("projects:project-report", args=["kehriz-koica"]),
        reverse("projects:project-report-pdf", args=["kehriz-koica"]),
        reverse("projects:district-report", args=[cebrayil.slug]),
    ):
        response = anonymous(language).get(url, query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert says in unescape(response.content.decode())


def test_a_bad_date_is_explained_in_azerbaijani_by_default(programme):
    response = anonymous("az").get(
        reverse("projects:project-report", args=["kehriz-koica"]), {"start": "dünən"}
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "az"
    assert "dünən" in response.content.decode()


def test_unknown_project_or_district_is_404():
    assert anonymous().get(reverse("projects:project-report", args=["no-such"])).status_code == 404
    assert anonymous().get(reverse("projects:district-report-pdf", args=["no-such"])).status_code == 404


def add_records(project, district, count, start):
    """``count`` more handed-over kəhriz in ``district``, each with a visit, a measurement and a
    person met."""
    for i in range(count):
        kehriz = handed_over(
            f"Artım {start + i}", district, datetime.date(2024, 4, 1 + i % 28), households_served=10
        )
        kehriz.projects.add(project)
        observation = factories.ObservationFactory(
            kehriz=kehriz,
            visit=factories.MonitoringVisitFactory(
                start_date=datetime.date(2024, 7, 1 + i % 28), end_date=None
            ),
            discharge_lps=Decimal("5") + i,
        )
        factories.PersonMetFactory(observation=observation)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("kind", ["project", "district"])
def test_the_report_costs_the_same_queries_as_records_grow(programme, goranboy, kind):
    url = (
        reverse("projects:project-report", args=["kehriz-koica"])
        if kind == "project"
        else reverse("projects:district-report", args=[goranboy.slug])
    )
    client = anonymous()
    add_records(programme, goranboy, 2, 0)
    small = count_queries(client, url)
    add_records(programme, goranboy, 30, 100)
    assert count_queries(client, url) == small


def test_the_pdf_fetches_only_our_static_files():
    fetcher = StaticOnlyFetcher("testserver")
    response = fetcher("http://testserver/static/projects/report.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"
    for url in (
        "https://tile.openstreetmap.org/7/80/48.png",
        "http://example.org/static/projects/report.css",
        "http://testserver/static/../../kehriz/settings.py",
        "http://testserver/admin/",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher(url)
    assert fetcher("data:text/plain,ok").read() == b"ok"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
def test_the_printable_page_in_chromium_prints_the_report_alone_on_a4(
    live_server, programme, tmp_path, width
):
    import base64

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium

    require_chromium()
    driver = start_chromium(width=width, height=900, language="az")
    try:
        driver.get(f"{live_server.url}/projects/kehriz-koica/report/")
        assert driver.find_element(By.TAG_NAME, "h1").text == PROJECT_AZ
        drawn = driver.find_element(By.CSS_SELECTOR, "svg.report-map")
        assert drawn.size["width"] > width * 0.6
        assert len(drawn.find_elements(By.CSS_SELECTOR, "circle")) == 3
        # Nothing wider than the phone's screen but the tables' own scrolling.
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1
        screenshot(driver, f"report-page-az-{width}")

        # A period chosen with the form: the visits of September 2024 only.
        for name, value in (("start", "2024-09-01"), ("end", "2024-12-31")):
            field = driver.find_element(By.NAME, name)
            driver.execute_script("arguments[0].value = arguments[1]", field, value)
        driver.find_element(By.CSS_SELECTOR, ".report-period button[type=submit]").click()
        WebDriverWait(driver, 10).until(lambda d: "start=2024-09-01" in d.current_url)
        visits = WebDriverWait(driver, 10).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, ".report-visits tbody"))
        )
        assert "2 sentyabr 2024" in visits.text and "mart" not in visits.text

        # The browser's Print: A4, the report without the site's header and footer.
        printed = driver.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        pdf = base64.b64decode(printed["data"])
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "(A4)" in info, info
        text = pdf_text(pdf, tmp_path)
        assert PROJECT_AZ in text and HANDED_OVER_AZ in text
        with translation.override("az"):
            hidden = [gettext("Show this period"), gettext("Data entry"), gettext("Sources and licenses")]
        for words in hidden:  # the period form, the site's header and footer
            assert words not in text
        assert "OpenStreetMap" in text
    finally:
        stop_chromium(driver)


def test_what_people_typed_is_text_in_the_report(programme, cebrayil):
    hostile = '<img src=x onerror="alert(1)">'
    kehriz = handed_over(f"Bulaq {hostile}", cebrayil, datetime.date(2024, 5, 1))
    kehriz.projects.add(programme)
    visit = factories.MonitoringVisitFactory(purpose=f"Baxış {hostile}", organisations=f"IOM {hostile}")
    factories.ObservationFactory(visit=visit, kehriz=kehriz, discharge_lps=Decimal("7"))
    programme.name_az = f"Layihə {hostile}"
    programme.save()
    html = anonymous().get(reverse("projects:project-report", args=["kehriz-koica"])).content.decode()
    assert "<img src=x" not in html
    # The title, the chart's caption and title, the visit's purpose and organisations.
    assert html.count("&lt;img src=x onerror=") >= 4


def test_a_crowded_map_draws_one_mark_a_spot_in_the_status_most_outlets_there_have():
    from projects.report import MAX_MARKS, Projection, _marks

    project = Projection(46.0, 40.0, 47.0, 41.0)
    # 4,000 outlets on a 0.01° grid (two statuses at every spot) and one handed over among them.
    points = [
        (46.0 + i * 0.01, 40.0 + j * 0.01, Status.RESTORED if (i + j) % 2 else Status.PLANNED, False)
        for i in range(100)
        for j in range(20)
    ]
    points += [(lon, lat, Status.IDENTIFIED, True) for lon, lat, _status, _a in points]
    points.append((46.505, 40.105, Status.HANDED_OVER, False))
    marks, _radius = _marks(points, project)
    assert len(marks) < len(points) / 2
    assert len({(x, y) for _order, x, y, _a in marks}) == len(marks)  # one mark a spot
    handed_over = Status.values.index(Status.HANDED_OVER)
    assert [m for m in marks if m[0] == handed_over]
    # Ties go to the latest status: identified is never the one shown here.
    assert not [m for m in marks if m[0] == Status.values.index(Status.IDENTIFIED)]
    # A few outlets: every one drawn.
    assert len(_marks(points[: MAX_MARKS // 2], project)[0]) == MAX_MARKS // 2
    # Three identified and one handed over on one spot: the spot reads "identified".
    crowd = points + [(45.2, 40.9, Status.IDENTIFIED, False)] * 3 + [(45.2, 40.9, Status.HANDED_OVER, False)]
    project = Projection(45.0, 40.0, 47.0, 41.0)
    marks, _radius = _marks(crowd, project)
    x, y = project(45.2, 40.9)
    spot = [m for m in marks if abs(m[1] - x) <= 3 and abs(m[2] - y) <= 3]
    assert [m[0] for m in spot] == [Status.values.index(Status.IDENTIFIED)]
