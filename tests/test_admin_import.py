"""Spreadsheet imports as a data manager or field officer does them in the admin: upload, read
the preview (nothing written yet), confirm or cancel. The import logic itself: test_imports.py."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from projects.models import Kehriz, Village
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_in_tmp")]

VILLAGES = "/admin/projects/village/import/"
KEHRIZ = "/admin/projects/kehriz/import/"


def upload(client, path, rows, name="villages.csv"):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    data = SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")
    return client.post(path, {"action": "preview", "file": data})


def token_of(response):
    found = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    return found and found.group(1)


GOOD = [
    {
        "district": "Cabrayil",
        "name": "Horovlu",
        "lon": "47.09472",
        "lat": "39.40000",
        "is_idp_settlement": "no",
    },
    {"district": "goranboy", "name": "Qaradağlı", "lon": "", "lat": "", "is_idp_settlement": "bəli"},
]


def test_the_preview_writes_nothing_and_confirming_writes_every_row_once(manager_client, cebrayil, goranboy):
    preview = upload(manager_client, VILLAGES, GOOD)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "2 rows: 2 new, 0 to update, 0 unchanged." in page
    assert "Horovlu" in page and "Qaradağlı" in page
    assert not Village.objects.exists()
    token = token_of(preview)
    assert token

    done = manager_client.post(VILLAGES, {"action": "confirm", "token": token}, follow=True)
    assert "2 new, 0 updated, 0 unchanged" in done.content.decode()
    assert sorted(Village.objects.values_list("name", flat=True)) == ["Horovlu", "Qaradağlı"]

    # A double click, or the browser resending the form: the upload is used up, nothing doubles.
    again = manager_client.post(VILLAGES, {"action": "confirm", "token": token}, follow=True)
    assert "no longer available" in again.content.decode()
    assert Village.objects.count() == 2

    # The same file again updates nothing and adds nothing.
    preview = upload(manager_client, VILLAGES, GOOD)
    assert "2 rows: 0 new, 0 to update, 2 unchanged." in preview.content.decode()
    manager_client.post(VILLAGES, {"action": "confirm", "token": token_of(preview)})
    assert Village.objects.count() == 2


def test_a_file_with_problems_is_listed_row_by_row_and_cannot_be_confirmed(manager_client, cebrayil):
    rows = [
        GOOD[0],
        {"district": "Atlantis", "name": "X", "lon": "", "lat": "", "is_idp_settlement": ""},
        {"district": "Cəbrayıl", "name": "Y", "lon": "47,1", "lat": "39.4", "is_idp_settlement": ""},
    ]
    preview = upload(manager_client, VILLAGES, rows)
    page = preview.content.decode()
    assert "2 rows have problems." in page
    assert "Unknown district “Atlantis”" in page
    assert "use a decimal point" in page
    assert token_of(preview) is None
    assert 'id="confirm-import"' not in page
    assert not Village.objects.exists()


def test_cancelling_writes_nothing(manager_client, cebrayil, goranboy):
    token = token_of(upload(manager_client, VILLAGES, GOOD))
    response = manager_client.post(VILLAGES, {"action": "cancel", "token": token}, follow=True)
    assert "Import cancelled: nothing was written." in response.content.decode()
    assert not Village.objects.exists()
    response = manager_client.post(VILLAGES, {"action": "confirm", "token": token}, follow=True)
    assert not Village.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(manager_client):
    data = SimpleUploadedFile("photo.png", b"\x89PNG....", content_type="image/png")
    response = manager_client.post(VILLAGES, {"action": "preview", "file": data})
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not Village.objects.exists()


def test_the_changelists_offer_the_import_to_those_who_may(manager_client, viewer_client, officer_client):
    assert VILLAGES in manager_client.get("/admin/projects/village/").content.decode()
    assert VILLAGES not in viewer_client.get("/admin/projects/village/").content.decode()
    assert viewer_client.get(VILLAGES).status_code == 403
    # Field officers import observations, not kəhriz (they do not add kəhriz).
    assert officer_client.get(KEHRIZ).status_code == 403
    assert officer_client.get("/admin/projects/observation/import/").status_code == 200


def test_a_field_officer_cannot_import_observations_of_another_district(officer_client, field_officer):
    factories.KehrizFactory(code="AGD-01", district=factories.district(factories.AGDAM))
    rows = [
        {
            "visit_title": "Spring check",
            "visit_start_date": "2024-03-13",
            "kehriz_code": "AGD-01",
            "observed_on": "2024-03-13",
            "functionality": "functional",
        }
    ]
    preview = upload(officer_client, "/admin/projects/observation/import/", rows, name="observations.csv")
    assert preview.status_code == 200
    assert token_of(preview) is None
    assert "1 row has problems." in preview.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_templates_download_with_the_columns(viewer_client, fmt):
    response = viewer_client.get(f"/admin/projects/kehriz/import/template.{fmt}")
    assert response.status_code == 200
    assert 'filename="kehriz-template.' in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        header = [cell.value for cell in next(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows())]
    assert header[:2] == ["code", "name"]
    assert {"outlet_lon", "outlet_lat", "status"} <= set(header)
    assert not Kehriz.objects.exists()
