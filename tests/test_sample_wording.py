"""The programme's real records ("programme records", proqram qeydləri) read in Azerbaijani, the
language of their source, and are never confused with the synthetic demo data (sintetik
nümayiş məlumatları); the status dated from the visit says that its date is approximate."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from projects.management.commands.load_sample_data import REWORDED
from projects.models import Kehriz, MonitoringVisit, Observation, Project, StatusEvent, Village
from tests import factories

pytestmark = pytest.mark.django_db


def load(language="az"):
    out = StringIO()
    with translation.override(language):
        call_command("load_sample_data", stdout=out)
    return out.getvalue()


def sample_texts():
    visit = MonitoringVisit.objects.get()
    observation = Observation.objects.filter(visit=visit).first()
    karvansara = Kehriz.objects.get(code="GOR-QRD-KARVANSARA")
    return {
        "title": visit.title,
        "purpose": visit.purpose,
        "findings": observation.findings,
        "works": observation.works_progress,
        "notes": karvansara.notes,
        "location": karvansara.location_source,
        "event": karvansara.status_events.get().note,
        "donor": Project.objects.get().donor,
    }


def test_the_programme_records_are_in_azerbaijani():
    load()
    texts = sample_texts()
    assert texts["title"] == "BMqT və KOICA-nın Cəbrayıl və Goranboy rayonlarına monitorinq səfəri"
    assert texts["findings"].startswith("Səfər iştirakçıları bərpa işləri ilə tanış olub")
    assert texts["works"] == "Bərpa işləri davam edir."
    assert texts["notes"] == "13–14 mart monitorinq səfəri zamanı bərpa işləri davam edirdi."
    assert texts["donor"] == "KOICA (Koreya Beynəlxalq Əməkdaşlıq Agentliyi)"
    for text in texts.values():
        assert not any(word in text for word in ("the ", "The ", " and ", "Restoration", "visit")), text


def test_the_status_dated_from_the_visit_says_its_date_is_approximate():
    load()
    event = Kehriz.objects.get(code="CAB-HOR-ESGER").status_events.get()
    assert event.note.startswith("Təxmini tarix:")
    assert "2024 güman edilir" in event.note
    page = Client().get(reverse("projects:kehriz", args=[event.kehriz_id]), HTTP_ACCEPT_LANGUAGE="az")
    assert "Təxmini tarix:" in page.content.decode()


def test_running_it_again_rewords_records_of_the_earlier_english_wording_but_keeps_edits():
    load()
    english = {new: old for old, new in REWORDED.items()}
    visit = MonitoringVisit.objects.get()
    MonitoringVisit.objects.filter(pk=visit.pk).update(
        title=english[visit.title], purpose="Edited by a data manager."
    )
    Observation.objects.update(findings=english[Observation.objects.first().findings])
    karvansara = Kehriz.objects.get(code="GOR-QRD-KARVANSARA")
    Kehriz.objects.filter(pk=karvansara.pk).update(notes=english[karvansara.notes])
    StatusEvent.objects.update(note=english[StatusEvent.objects.first().note])
    Village.objects.filter(name="Horovlu").update(
        location_source=english[Village.objects.get(name="Horovlu").location_source]
    )
    before = {
        m: m.objects.count() for m in (Kehriz, MonitoringVisit, Observation, StatusEvent, Village, Project)
    }

    load()
    texts = sample_texts()
    assert texts["title"] == "BMqT və KOICA-nın Cəbrayıl və Goranboy rayonlarına monitorinq səfəri"
    assert texts["purpose"] == "Edited by a data manager."  # an edit is kept
    assert texts["findings"].startswith("Səfər iştirakçıları")
    assert texts["notes"].startswith("13–14 mart")
    assert texts["event"].startswith("Təxmini tarix:")
    assert Village.objects.get(name="Horovlu").location_source.startswith("Vikipediya")
    assert {m: m.objects.count() for m in before} == before


@pytest.mark.parametrize(
    ("language", "expected"), [("az", "Proqram qeydləri: 3 kəhriz"), ("en", "Programme records: 3 kəhriz")]
)
def test_the_command_calls_them_programme_records(language, expected):
    assert expected in load(language)


def test_generate_demo_data_calls_it_synthetic_demo_data():
    out = StringIO()
    with translation.override("az"):
        call_command("generate_demo_data", kehriz=2, visits=1, stdout=out)
    assert "Sintetik nümayiş məlumatları: 2 kəhriz əlavə edildi" in out.getvalue()


@pytest.mark.parametrize("page", ["projects:dashboard", "district"])
def test_the_banners_say_synthetic_demo_data(goranboy, page):
    factories.KehrizFactory(district=goranboy, is_synthetic=True)
    path = reverse("projects:district", args=[goranboy.slug]) if page == "district" else reverse(page)
    html = Client().get(path, HTTP_ACCEPT_LANGUAGE="az").content.decode()
    assert "Sintetik nümayiş məlumatları." in html
    assert "Nümunə" not in html


@pytest.mark.parametrize(
    ("language", "expected"), [("az", "Proqram qeydləri (KOICA"), ("en", "The programme records")]
)
def test_the_about_page_calls_them_programme_records(language, expected):
    html = Client().get(reverse("projects:about"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expected in html
    assert "sample records" not in html.lower()
