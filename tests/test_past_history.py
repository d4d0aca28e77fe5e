"""Recording a kəhriz's past: the status form in Azerbaijani, the history of a kəhriz handed over
before the system existed, back-dated entries in date order, and the status-history import."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from projects import imports
from projects.models import Kehriz, StatusEvent
from projects.services import change_status, record_initial_status
from tests import factories
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

D = datetime.date
STATUS_URL = reverse("admin:projects_kehriz_change_status")


def az_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(user)
    return client


FIRST = D(2024, 1, 10)


def at_status(status, district, on=FIRST, **fields):
    k = factories.KehrizFactory(status=status, status_changed_on=on, district=district, **fields)
    record_initial_status(kehriz=k, on_date=on)
    return k


def history(kehriz):
    return list(
        StatusEvent.objects.filter(kehriz=kehriz)
        .order_by("changed_on", "created_at", "id")
        .values_list("from_status", "to_status", "changed_on", "is_correction")
    )


# --- The status form ---------------------------------------------------------------------------


def test_the_status_form_in_azerbaijani_has_todays_date_in_iso(data_manager, goranboy):
    k = at_status("planned", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    (date_input,) = re.findall(r'<input[^>]*name="on_date"[^>]*>', page)
    assert 'type="date"' in date_input
    assert f'value="{timezone.localdate().isoformat()}"' in date_input


def test_the_status_form_proposes_the_next_step(data_manager, goranboy):
    k = at_status("planned", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    assert re.search(r'<option value="under_restoration"[^>]*selected', page)
    assert not re.search(r'<option value="planned"[^>]*selected', page)


def test_kehriz_at_different_steps_get_no_proposal(data_manager, goranboy):
    a, b = at_status("planned", goranboy), at_status("assessed", goranboy)
    page = az_client(data_manager).get(f"{STATUS_URL}?ids={a.pk},{b.pk}").content.decode()
    assert not re.search(r"<option [^>]*selected", page.split('name="to_status"')[1].split("</select>")[0])


# --- Back-dated entries ------------------------------------------------------------------------


@pytest.fixture
def handed_over_in_2019(goranboy):
    """A kəhriz first recorded as handed over since 1 May 2019 (before the system existed)."""
    return at_status("handed_over", goranboy, on=D(2019, 5, 1))


@pytest.mark.usefixtures("english")
def test_an_earlier_event_is_placed_in_date_order(handed_over_in_2019, data_manager):
    k = handed_over_in_2019
    change_status(kehriz=k, to_status="restored", on_date=D(2019, 3, 1), user=data_manager, backdated=True)
    change_status(
        kehriz=k, to_status="under_restoration", on_date=D(2018, 6, 1), user=data_manager, backdated=True
    )
    assert history(k) == [
        ("", "under_restoration", D(2018, 6, 1), False),
        ("", "restored", D(2019, 3, 1), False),
        ("", "handed_over", D(2019, 5, 1), False),
    ]
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))


@pytest.mark.usefixtures("english")
def test_a_backdated_event_between_two_changes_takes_the_status_of_its_date(goranboy, data_manager):
    k = at_status("identified", goranboy, on=D(2018, 1, 1))
    change_status(kehriz=k, to_status="assessed", on_date=D(2018, 3, 1))
    # A sheet shows the assessment was done in February: placed before the March change (which
    # still says "from identified"), it breaks the chain, so only a correction may record it.
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=k, to_status="assessed", on_date=D(2018, 2, 1), backdated=True)
    assert "On 2018-03-01 the history already records assessed" in caught.value.message_dict["to_status"][0]
    assert len(history(k)) == 2
    event = change_status(
        kehriz=k,
        to_status="assessed",
        on_date=D(2018, 2, 1),
        backdated=True,
        correction=True,
        note="The survey sheet of February was found.",
    )
    assert (event.from_status, event.is_correction) == ("identified", True)
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("assessed", D(2018, 2, 1))


@pytest.mark.usefixtures("english")
def test_a_backdated_event_must_fit_the_lifecycle(handed_over_in_2019):
    k = handed_over_in_2019
    change_status(kehriz=k, to_status="restored", on_date=D(2019, 3, 1), backdated=True)
    before = history(k)
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=k, to_status="assessed", on_date=D(2019, 4, 1), backdated=True)
    assert "cannot go from restored to assessed directly" in caught.value.message_dict["to_status"][0]
    with pytest.raises(ValidationError):  # after handed over, before restored: out of order
        change_status(kehriz=k, to_status="handed_over", on_date=D(2018, 1, 1), backdated=True)
    assert history(k) == before


@pytest.mark.usefixtures("english")
def test_without_the_backdated_flag_an_earlier_date_is_still_refused(handed_over_in_2019):
    with pytest.raises(ValidationError) as caught:
        change_status(kehriz=handed_over_in_2019, to_status="restored", on_date=D(2019, 3, 1))
    assert "before the last recorded change" in caught.value.message_dict["on_date"][0]


def test_a_data_manager_adds_a_kehriz_with_its_past_status(data_manager, goranboy):
    client = az_client(data_manager)
    page = client.get(reverse("admin:projects_kehriz_add"))
    data = admin_form_data(page)
    assert data["status_changed_on"]  # today, editable
    data.update(
        name="Karvansara",
        code="GOR-QRD-01",
        district=str(goranboy.pk),
        status="handed_over",
        status_changed_on="2019-05-01",
    )
    response = client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    k = Kehriz.objects.get(code="GOR-QRD-01")
    assert (k.status, k.status_changed_on) == ("handed_over", D(2019, 5, 1))
    assert history(k) == [("", "handed_over", D(2019, 5, 1), False)]


def test_a_future_status_date_on_the_add_form_is_an_error_not_a_crash(data_manager, goranboy):
    client = az_client(data_manager)
    data = admin_form_data(client.get(reverse("admin:projects_kehriz_add")))
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data.update(name="Orta", code="GOR-02", district=str(goranboy.pk), status_changed_on=future)
    response = client.post(reverse("admin:projects_kehriz_add"), data)
    assert response.status_code == 200
    assert "status_changed_on" in response.context["adminform"].form.errors
    assert not Kehriz.objects.filter(code="GOR-02").exists()


def test_a_field_officer_cannot_backdate(field_officer, goranboy):
    k = at_status("planned", goranboy)
    client = az_client(field_officer)
    page = client.get(f"{STATUS_URL}?ids={k.pk}").content.decode()
    assert 'name="backdated"' not in page
    add = client.get(reverse("admin:projects_kehriz_add")).content.decode()
    assert 'name="status_changed_on"' not in add


def test_the_status_form_records_a_backdated_event(data_manager, handed_over_in_2019):
    k = handed_over_in_2019
    response = az_client(data_manager).post(
        f"{STATUS_URL}?ids={k.pk}", {"to_status": "restored", "on_date": "2019-03-01", "backdated": "on"}
    )
    assert response.status_code == 302
    assert history(k)[0] == ("", "restored", D(2019, 3, 1), False)


# --- The status-history import -----------------------------------------------------------------


def history_csv(rows):
    header = ["kehriz_code", "status", "date", "note"]
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def import_history(rows, user=None, dry=False):
    table = imports.read_table(history_csv(rows), "status_history.csv", "status_history")
    importer = imports.importer_for("status_history", user)
    return importer.dry_run(table) if dry else importer.apply(table)


HISTORY = [
    ("GOR-QRD-01", "restored", "2019-03-01", "Hand-over report"),
    ("GOR-QRD-01", "identified", "2017-04-10", "Survey sheet"),
    ("GOR-QRD-01", "under_restoration", "2018-06-01", ""),
    ("GOR-QRD-01", "assessed", "2017-06-01", ""),
    ("GOR-QRD-01", "planned", "2017-09-15", ""),
]


@pytest.fixture
def karvansara(goranboy):
    return at_status("handed_over", goranboy, on=D(2019, 5, 1), code="GOR-QRD-01")


@pytest.mark.usefixtures("english")
def test_a_status_history_sheet_creates_the_events_in_date_order(karvansara, data_manager):
    dry = import_history(HISTORY, data_manager, dry=True)
    assert dry.ok and dry.counts["new"] == 5
    assert len(history(karvansara)) == 1  # the preview wrote nothing

    assert import_history(HISTORY, data_manager) == {"created": 5, "updated": 0, "unchanged": 0}
    assert history(karvansara) == [
        ("", "identified", D(2017, 4, 10), False),
        ("identified", "assessed", D(2017, 6, 1), False),
        ("assessed", "planned", D(2017, 9, 15), False),
        ("planned", "under_restoration", D(2018, 6, 1), False),
        ("under_restoration", "restored", D(2019, 3, 1), False),
        ("", "handed_over", D(2019, 5, 1), False),
    ]
    karvansara.refresh_from_db()
    assert (karvansara.status, karvansara.status_changed_on) == ("handed_over", D(2019, 5, 1))
    assert karvansara.status_events.get(changed_on=D(2019, 3, 1)).note == "Hand-over report"


@pytest.mark.usefixtures("english")
def test_importing_the_same_history_again_adds_nothing(karvansara, data_manager):
    import_history(HISTORY, data_manager)
    assert import_history(HISTORY, data_manager) == {"created": 0, "updated": 0, "unchanged": 5}
    assert len(history(karvansara)) == 6


def test_the_history_sets_the_current_status_when_it_goes_further(goranboy, data_manager):
    k = at_status("identified", goranboy, on=D(2017, 4, 10), code="CAB-HOR-02")
    import_history(
        [("CAB-HOR-02", "assessed", "2017-06-01", ""), ("cab-hor-02", "planned", "2018-01-05", "")]
    )
    k.refresh_from_db()
    assert (k.status, k.status_changed_on) == ("planned", D(2018, 1, 5))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "A kəhriz cannot go from identified to planned directly"),
        ("az", "Kəhriz «müəyyən edilib» statusundan birbaşa «planlaşdırılıb» statusuna keçə bilməz"),
    ],
)
def test_a_history_that_breaks_the_lifecycle_writes_nothing(karvansara, data_manager, language, expected):
    rows = [
        ("GOR-QRD-01", "identified", "2017-04-10", ""),
        ("GOR-QRD-01", "planned", "2017-09-15", ""),  # assessed is missing
        ("GOR-QRD-01", "restored", "2019-03-01", ""),
    ]
    with translation.override(language):
        with pytest.raises(imports.ImportRefused) as caught:
            import_history(rows, data_manager)
        problems = caught.value.preview.all_problems
    assert any(expected in p for p in problems), problems
    assert len(history(karvansara)) == 1
    karvansara.refresh_from_db()
    assert (karvansara.status, karvansara.status_changed_on) == ("handed_over", D(2019, 5, 1))


@pytest.mark.usefixtures("english")
def test_unknown_codes_statuses_and_future_dates_are_reported(karvansara):
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    dry = import_history(
        [
            ("NOPE-1", "restored", "2019-03-01", ""),
            ("GOR-QRD-01", "repaired", "2019-03-01", ""),
            ("GOR-QRD-01", "restored", future, ""),
        ],
        dry=True,
    )
    errors = {row.line: " ".join(row.errors) for row in dry.rows}
    assert "Unknown kəhriz code “NOPE-1”" in errors[2]
    assert "Unknown value “repaired”" in errors[3]
    assert "cannot be in the future" in errors[4]


def upload_history(client, rows):
    data = SimpleUploadedFile("tarixce.csv", history_csv(rows), content_type="text/csv")
    return client.post(HISTORY_IMPORT, {"action": "preview", "file": data})


HISTORY_IMPORT = "/admin/projects/statusevent/import/"


@pytest.mark.usefixtures("media_in_tmp")
def test_the_admin_previews_then_imports_a_status_history_in_azerbaijani(karvansara, data_manager):
    client = az_client(data_manager)
    listing = client.get(reverse("admin:projects_statusevent_changelist")).content.decode()
    assert HISTORY_IMPORT in listing  # the import is offered on the status history's list
    template = client.get(HISTORY_IMPORT + "template.csv")
    assert template.content.decode("utf-8-sig").strip() == "kehriz_code,status,date,note"

    preview = upload_history(client, HISTORY)
    page = preview.content.decode()
    assert "5 sətir: 5 yeni" in page, page[page.find("import-summary") :][:300]
    assert len(history(karvansara)) == 1
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    client.post(HISTORY_IMPORT, {"action": "confirm", "token": token})
    assert [e[1] for e in history(karvansara)] == [
        "identified",
        "assessed",
        "planned",
        "under_restoration",
        "restored",
        "handed_over",
    ]


def test_field_officers_cannot_import_a_status_history(field_officer):
    client = az_client(field_officer)
    listing = client.get(reverse("admin:projects_statusevent_changelist")).content.decode()
    assert HISTORY_IMPORT not in listing
    assert client.get(HISTORY_IMPORT).status_code == 403


# --- An unquoted decimal comma in a CSV file ----------------------------------------------------------

OBSERVATIONS_CSV = (
    "visit_title,visit_start_date,kehriz_code,observed_on,functionality,discharge_lps,discharge_method\r\n"
    "Yaz yoxlaması,2024-04-10,GOR-QRD-01,2024-04-10,functional,9,5,bucket\r\n"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Row 2 has 8 cells, the header has 7: is a decimal comma unquoted (9,5)?"),
        ("az", "2 nömrəli sətirdə 8 xana var, başlıqda isə 7: bəlkə onluq vergül dırnaqsız yazılıb (9,5)?"),
    ],
)
def test_an_unquoted_decimal_comma_is_named_instead_of_its_knock_on_errors(karvansara, language, expected):
    with translation.override(language):
        table = imports.read_table(OBSERVATIONS_CSV.encode(), "o.csv", "observations")
        (row,) = imports.importer_for("observations").dry_run(table).rows
    assert row.errors == [expected]
