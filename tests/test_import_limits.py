"""Spreadsheet imports refuse a file over a limit (IMPORT_* settings) before reading its rows, and
say which limit and the file's own figure, in Azerbaijani and in English: an upload too large, a
workbook that unpacks to too much or is compressed like a "zip bomb", a sheet that declares too
many rows; and reading stops at the row limit when a sheet omits or understates its size."""

import csv
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from projects import imports
from projects.models import Village

pytestmark = pytest.mark.usefixtures("media_in_tmp")

VILLAGES = "/admin/projects/village/import/"
SHEET = "xl/worksheets/sheet1.xml"
HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>district</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)
# A data row without a row number: the next row. Repeated, it compresses to almost nothing.
ROW = '<row><c t="inlineStr"><is><t>goranboy</t></is></c><c t="inlineStr"><is><t>Qaradağlı</t></is></c></row>'


def numbered_row(number, name):
    return (
        f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>goranboy</t></is></c>'
        f'<c r="B{number}" t="inlineStr"><is><t>{name}</t></is></c></row>'
    )


def workbook(*body, dimension=None):
    """A real XLSX (made by openpyxl) whose villages sheet is the XML given in pieces, written
    straight into the zip: a sheet of a million rows costs this test little memory."""
    plain = io.BytesIO()
    book = Workbook()
    book.active.title = "villages"
    book.save(plain)
    source = zipfile.ZipFile(plain)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info, source.read(info.filename))
                continue
            with target.open(SHEET, "w") as sheet:
                sheet.write(HEAD.encode())
                if dimension:
                    sheet.write(f'<dimension ref="{dimension}"/>'.encode())
                sheet.write(b"<sheetData>")
                for piece in body:
                    sheet.write(piece.encode())
                sheet.write(b"</sheetData></worksheet>")
    return packed.getvalue()


def many(rows):
    """``rows`` repeated data rows, in pieces of 10,000."""
    block = ROW * 10_000
    for _ in range(rows // 10_000):
        yield block
    yield ROW * (rows % 10_000)


def zip_bomb(rows=1_000_000, dimension=None):
    return workbook(HEADER_ROW, *many(rows), dimension=dimension)


@pytest.fixture
def rows_never_read(monkeypatch):
    """Reading any row of any sheet fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a row of the sheet was read")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", refuse)


@pytest.fixture
def rows_counted(monkeypatch):
    """How many rows were read from a sheet."""
    read = {"rows": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counting(*args, **kwargs):
        for row in original(*args, **kwargs):
            read["rows"] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return read


def read(data, name="villages.xlsx", language="en"):
    with translation.override(language):
        return imports.read_table(data, name, "villages")


# --- XLSX: refused from the zip's directory and the sheet's head -----------------------------


def test_the_zip_bomb_is_small_and_holds_a_million_rows():
    """What the tests below refuse is what the issue describes: a small file, a huge sheet."""
    data = zip_bomb()
    sheet = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)
    assert len(data) < 600 * 1024
    assert sheet.file_size > 80 * 1024 * 1024
    assert data.count(b"<row") == 0  # compressed: the rows are not there to see


@pytest.mark.usefixtures("rows_never_read")
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_zip_bomb_is_refused_without_reading_a_row(language):
    data = zip_bomb()
    sheet = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)
    ratio = int(sheet.file_size / sheet.compress_size)
    assert ratio > 100

    table = read(data, language=language)

    assert table.rows == []
    assert len(table.problems) == 1
    problem = table.problems[0]
    assert f"{ratio}" in problem and "100" in problem and SHEET in problem
    if language == "en":
        assert problem == (
            f"The workbook's part {SHEET} unpacks to {ratio} times its packed size; a spreadsheet "
            "is never compressed more than 100 times, so it is not read (it may be a “zip bomb”)."
        )
    else:
        assert "dəfə" in problem and "zip bombası" in problem


@pytest.mark.usefixtures("rows_never_read")
def test_a_workbook_that_unpacks_to_too_much_is_refused(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
    data = zip_bomb(rows=100_000)
    unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert unpacked > 5 * 1024 * 1024

    table = read(data)
    assert table.problems == [
        f"The workbook unpacks to {unpacked / 1024 / 1024:.1f} MB; at most 5.0 MB can be imported "
        "at once: split it, or remove the sheets that are not imported."
    ]
    with translation.override("az"):
        assert "İş kitabı açılanda" in imports.read_table(data, "v.xlsx", "villages").problems[0]


@pytest.mark.usefixtures("rows_never_read")
@pytest.mark.parametrize("language", ["en", "az"])
def test_a_sheet_declaring_a_million_rows_is_refused_before_they_are_read(language):
    """Three rows, but a <dimension> of a million: openpyxl would pad the sheet to that size."""
    data = workbook(HEADER_ROW, ROW * 3, dimension="A1:B1000000")
    assert len(data) < 20 * 1024

    table = read(data, language=language)
    assert table.rows == []
    if language == "en":
        assert table.problems == [
            "The sheet “villages” declares 1000000 rows; at most 20000 rows can be imported at "
            "once: split it into smaller files."
        ]
    else:
        assert table.problems == [
            "“villages” vərəqi 1000000 sətir bildirir; bir dəfəyə ən çox 20000 sətir idxal etmək "
            "olar: onu kiçik fayllara bölün."
        ]


# --- XLSX: reading stops at the row limit, whatever the sheet says about its size -------------


def test_a_sheet_without_a_dimension_stops_at_the_row_limit(settings, rows_counted):
    settings.IMPORT_MAX_ROWS = 50
    data = workbook(HEADER_ROW, ROW * 5000)

    table = read(data)
    assert table.problems == ["The file has more than 50 rows: split it."]
    assert rows_counted["rows"] <= 52  # the header, 50 rows and the one too many


def test_a_sheet_skipping_to_its_millionth_row_stops_at_the_row_limit(settings, rows_counted):
    """Row 1 then row 1,000,000: openpyxl fills the gap with empty rows, which count."""
    settings.IMPORT_MAX_ROWS = 50
    data = workbook(HEADER_ROW, numbered_row(2, "Qaradağlı"), numbered_row(1_000_000, "Sonuncu"))

    table = read(data)
    assert table.problems == ["The file has more than 50 rows: split it."]
    assert rows_counted["rows"] <= 52


def test_a_sheet_understating_its_size_is_read_whole_up_to_the_limit(settings):
    """A <dimension> of two rows on a sheet of eight: the rows after it are not dropped silently."""
    settings.IMPORT_MAX_ROWS = 5
    rows = [numbered_row(n, f"Kənd {n}") for n in range(2, 10)]
    table = read(workbook(HEADER_ROW, *rows, dimension="A1:B2"))
    assert table.problems == ["The file has more than 5 rows: split it."]

    settings.IMPORT_MAX_ROWS = 8
    table = read(workbook(HEADER_ROW, *rows, dimension="A1:B2"))
    assert table.problems == []
    assert [row.values["name"] for row in table.rows] == [f"Kənd {n}" for n in range(2, 10)]


def test_a_workbook_at_the_limit_is_read(settings):
    settings.IMPORT_MAX_ROWS = 5
    rows = [numbered_row(n, f"Kənd {n}") for n in range(2, 7)]
    table = read(workbook(HEADER_ROW, *rows, dimension="A1:B6"))
    assert table.problems == []
    assert len(table.rows) == 5


# --- CSV ---------------------------------------------------------------------------------------


def csv_of(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["district", "name"])
    writer.writerows(["goranboy", f"Kənd {n}"] for n in range(rows))
    return buffer.getvalue().encode()


def test_a_csv_over_the_row_limit_is_refused_while_it_is_read(settings, monkeypatch):
    settings.IMPORT_MAX_ROWS = 100
    read_lines = {"count": 0}
    original = imports._csv_lines

    def counting(*args):
        for line in original(*args):
            read_lines["count"] += 1
            yield line

    monkeypatch.setattr(imports, "_csv_lines", counting)

    table = read(csv_of(100_000), name="villages.csv")
    assert table.problems == ["The file has more than 100 rows: split it."]
    assert read_lines["count"] <= 102
    with translation.override("az"):
        expected = translation.gettext("The file has more than %(max)d rows: split it.") % {"max": 100}
    assert expected != table.problems[0]
    assert read(csv_of(100_000), name="villages.csv", language="az").problems == [expected]


def test_a_csv_at_the_row_limit_is_read(settings):
    settings.IMPORT_MAX_ROWS = 100
    table = read(csv_of(100), name="villages.csv")
    assert table.problems == []
    assert len(table.rows) == 100


@pytest.mark.parametrize("name", ["villages.csv", "villages.xlsx"])
def test_a_file_over_the_size_limit_is_refused_unread(settings, monkeypatch, name):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    data = csv_of(60_000)  # about 1.3 MB
    assert len(data) > 1024 * 1024

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(imports, "_decode", refuse)
    monkeypatch.setattr(imports, "_open_xlsx", refuse)
    table = read(data, name=name)
    assert table.problems == [
        f"The file is {len(data) / 1024 / 1024:.1f} MB; at most 1.0 MB can be imported at once: "
        "split it into smaller files."
    ]


# --- In the admin, as a data manager sees it ---------------------------------------------------


def admin_client(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(client, data, name):
    kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    return client.post(VILLAGES, {"action": "preview", "file": SimpleUploadedFile(name, data, kind)})


def page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
@pytest.mark.usefixtures("rows_never_read")
@pytest.mark.parametrize("language", ["en", "az"])
def test_the_admin_refuses_a_zip_bomb_and_says_why(data_manager, goranboy, language):
    response = upload(admin_client(data_manager, language), zip_bomb(), "villages.xlsx")
    assert response.status_code == 200
    text = page_text(response)
    if language == "en":
        assert "a spreadsheet is never compressed more than 100 times" in text
    else:
        assert "cədvəl faylı heç vaxt 100 dəfədən çox sıxılmır" in text
    assert 'name="token"' not in text  # nothing to confirm
    assert not Village.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "az"])
def test_the_admin_refuses_an_oversized_upload_and_says_why(settings, data_manager, goranboy, language):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    data = csv_of(60_000)
    response = upload(admin_client(data_manager, language), data, "villages.csv")
    assert response.status_code == 200
    text = page_text(response)
    size = f"{len(data) / 1024 / 1024:.1f}"
    if language == "en":
        assert f"The file is {size} MB; at most 1.0 MB can be imported at once" in text
    else:
        assert f"Fayl {size} MB-dır; bir dəfəyə ən çox 1.0 MB idxal etmək olar" in text
    assert 'name="token"' not in text
    assert not Village.objects.exists()


# --- In a browser, in Azerbaijani ----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rows_never_read")
def test_a_data_manager_uploading_a_zip_bomb_reads_why_in_azerbaijani(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import screenshot, sign_in_to_admin

    sign_in_to_admin(browser, live_server.url)

    bomb = tmp_path / "kendler.xlsx"
    bomb.write_bytes(zip_bomb())
    browser.get(f"{live_server.url}{VILLAGES}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(bomb))
    browser.find_element(By.CSS_SELECTOR, "form[enctype] input[type=submit]").click()
    problems = WebDriverWait(browser, 20).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".import-file-problems"))
    )
    assert "cədvəl faylı heç vaxt 100 dəfədən çox sıxılmır" in problems.text
    assert "zip bombası" in problems.text
    assert not browser.find_elements(By.ID, "confirm-import")
    screenshot(browser, "admin-import-zip-bomb")
    assert not Village.objects.exists()
