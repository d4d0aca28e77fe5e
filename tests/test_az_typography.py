"""Every everyday page in Azerbaijani reads as Azerbaijani: İ where Azerbaijani writes it, month
names in lower case, one date format, decimal commas, and no English left over.

The pages are walked as a data manager sees them (public pages, the field app, the admin's index,
lists and change forms), and the checks run on the text a person reads (not on markup or
scripts)."""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation

from projects import roles, services
from projects.models import Status
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date

# Django's az month names and their capitalised/odd short forms, as they appeared before.
CAPITALISED_MONTHS = (
    "Yanvar|Fevral|Mart|Aprel|May|İyun|İyul|Iyun|Iyul|Avqust|Sentyabr|Oktyabr|Noyabr|Dekabr"
    "|Ynv|Fvr|Mar|Apr|İyn|İyl|Iyn|Iyl|Avq|Snt|Sen|Okt|Noy|Dek"
)
AZ_MONTHS = "yanvar|fevral|mart|aprel|may|iyun|iyul|avqust|sentyabr|oktyabr|noyabr|dekabr"
AZ_DATE = re.compile(rf"\b\d{{1,2}} (?:{AZ_MONTHS}) \d{{4}}\b")
OTHER_DATES = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
UNITS = r"l/san|L/s|m|km|ha|AZN|USD|%"
POINT_DECIMAL = re.compile(rf"\b\d+\.\d+\s?(?:{UNITS})(?![\w/])")


class VisibleText(HTMLParser):
    """The text nodes a person reads: not scripts, styles, templates or hidden inputs."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.nodes = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.depth:
            self.nodes.append(text)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return parser.nodes


def az_catalogue():
    with translation.override("az"):
        return translation.trans_real.translation("az")


def words_starting_with_i():
    """Azerbaijani words of our translations (and Django's) that start with a dotted i."""
    words = set()
    for _msgid, msgstr in az_catalogue()._catalog.items():
        if isinstance(msgstr, str):
            for word in re.findall(r"[\wəğıöüşçİ]+", msgstr):
                if word[0] in "iİ":
                    words.add("i" + word[1:].lower())
    return words


def english_leftovers(nodes):
    """Text nodes that are, whole, an English message of our catalogue translated otherwise."""
    english = {
        msgid
        for msgid, msgstr in az_catalogue()._catalog.items()
        if isinstance(msgid, str)
        and isinstance(msgstr, str)
        and msgid != msgstr
        and len(msgid) >= 4
        and re.search(r"[a-z]{3}", msgid)
        and "%" not in msgid
    }
    # The language menu names each language in itself ("English"), as it should.
    own_names = {translation.get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES}
    return sorted({node for node in nodes if node in english and node not in own_names})


# --- A small but complete story ---------------------------------------------------------------


@pytest.fixture
def story(goranboy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = factories.ProjectFactory(name="Kəhriz su sistemlərinin bərpası", name_en="Water for Goranboy")
    factories.ReportedFigureFactory(project=project, value=12, as_of=D(2024, 11, 7))
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    kehriz = factories.KehrizFactory(
        name="Karvansara",
        village=village,
        district=goranboy,
        outlet=factories.point(factories.GORANBOY_TOWN),
        mother_well_depth_m=Decimal("24.5"),
        irrigated_area_ha=Decimal("12.50"),
        use_drinking=True,
        status=Status.RESTORED,
        status_changed_on=D(2024, 7, 1),
    )
    kehriz.projects.add(project)
    factories.StatusEventFactory(
        kehriz=kehriz, from_status="", to_status=Status.IDENTIFIED, changed_on=D(2023, 3, 13)
    )
    factories.StatusEventFactory(
        kehriz=kehriz, from_status=Status.IDENTIFIED, to_status=Status.RESTORED, changed_on=D(2024, 7, 1)
    )
    factories.RestorationWorkFactory(
        kehriz=kehriz,
        project=project,
        start_date=D(2024, 6, 1),
        end_date=D(2024, 7, 1),
        cost=Decimal("2500.50"),
    )
    for day, lps in ((D(2024, 3, 13), Decimal("5.76")), (D(2024, 9, 10), Decimal("1.14"))):
        visit = factories.MonitoringVisitFactory(title="Monitorinq", start_date=day, end_date=day)
        factories.ObservationFactory(
            visit=visit, kehriz=kehriz, observed_on=day, discharge_lps=lps, discharge_method="bucket"
        )
    services.refresh_current_state([kehriz.pk])
    manager = factories.UserFactory(username="menecer", is_superuser=True, roles=[roles.DATA_MANAGER])
    factories.UserFactory(username="sahe", roles=[roles.FIELD_OFFICER])
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    client.force_login(manager)
    kehriz.refresh_from_db()
    return {"client": client, "kehriz": kehriz, "district": goranboy, "user": manager}


def pages(story):
    kehriz = story["kehriz"]
    return {
        "map": reverse("projects:home"),
        "district": reverse("projects:district", args=[story["district"].slug]),
        "kehriz": reverse("projects:kehriz", args=[kehriz.pk]),
        "dashboard": reverse("projects:dashboard"),
        "about": reverse("projects:about"),
        "field app": reverse("projects:field"),
        "admin index": reverse("admin:index"),
        "admin kəhriz list": reverse("admin:projects_kehriz_changelist"),
        "admin kəhriz form": reverse("admin:projects_kehriz_change", args=[kehriz.pk]),
        "admin observation list": reverse("admin:projects_observation_changelist"),
        "admin visit list": reverse("admin:projects_monitoringvisit_changelist"),
        "admin status list": reverse("admin:projects_statusevent_changelist"),
        "admin user list": reverse("admin:auth_user_changelist"),
        "admin user form": reverse("admin:auth_user_change", args=[story["user"].pk]),
        "admin group list": reverse("admin:auth_group_changelist"),
        "admin group form": reverse(
            "admin:auth_group_change", args=[Group.objects.get(name=roles.VIEWER).pk]
        ),
    }


@pytest.fixture
def walked(story):
    texts = {}
    for name, url in pages(story).items():
        response = story["client"].get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        texts[name] = visible_text(response.content.decode())
    return texts


def test_no_dotless_capital_i_where_azerbaijani_writes_a_dotted_one(walked):
    words = words_starting_with_i()
    assert "istifadəçi" in words and "işlək" in words  # the check knows the words it looks for
    wrong = {
        name: sorted(
            {w for node in nodes for w in re.findall(r"\bI[a-zəğıöüşç]+", node) if "i" + w[1:] in words}
        )
        for name, nodes in walked.items()
    }
    assert {name: w for name, w in wrong.items() if w} == {}


def test_month_names_are_lower_case(walked):
    # "13 Mart 2024", "iyul 2024 - Sentyabr 2024"; a label that starts with its month ("Mart 2024"
    # in the admin's date drill-down) is capitalised as any Azerbaijani label is.
    pattern = re.compile(
        rf"\b\d{{1,2}} (?:{CAPITALISED_MONTHS})\b|(?<=\S )(?:{CAPITALISED_MONTHS}) \d{{4}}\b"
    )
    found = {
        name: sorted({m for node in nodes for m in pattern.findall(node)}) for name, nodes in walked.items()
    }
    assert {name: m for name, m in found.items() if m} == {}


def test_one_date_format_on_every_page(walked):
    others = {
        name: sorted({m for node in nodes for m in OTHER_DATES.findall(node)})
        for name, nodes in walked.items()
    }
    assert {name: m for name, m in others.items() if m} == {}
    # and the dates there are, are written "13 mart 2024"
    assert any(AZ_DATE.search(node) for node in walked["kehriz"])
    assert any(AZ_DATE.search(node) for node in walked["admin observation list"])


def test_numbers_with_units_have_a_decimal_comma(walked):
    points = {
        name: sorted({m for node in nodes for m in POINT_DECIMAL.findall(node)})
        for name, nodes in walked.items()
    }
    assert {name: m for name, m in points.items() if m} == {}
    assert any("5,76" in node for node in walked["kehriz"])


def test_no_english_interface_text(walked):
    leftovers = {name: english_leftovers(nodes) for name, nodes in walked.items()}
    assert {name: found for name, found in leftovers.items() if found} == {}


def test_role_names_are_shown_in_azerbaijani(walked):
    for name in ("admin user form", "admin group list"):
        text = " ".join(walked[name])
        assert "field officer" not in text and "data manager" not in text, name
    groups = " ".join(walked["admin group list"]).lower()
    assert "sahə əməkdaşı" in groups and "məlumat meneceri" in groups


def test_a_noun_after_a_number_stays_singular(walked):
    """Azerbaijani says "0 bərpa edilmiş quyu", not "0 bərpa edilmiş quyuların sayı"."""
    dashboard = " ".join(walked["dashboard"])
    assert not re.search(r"\d+ [^\d]{0,40}(?:ların|lərin) sayı", dashboard)
    assert re.search(r"\b\d+ bərpa edilmiş quyu\b", dashboard)


def test_the_visits_are_called_monitoring_visits_everywhere(walked):
    for name in ("map", "dashboard", "field app"):
        text = " ".join(walked[name])
        assert "Sahə səfərləri" not in text, name
        assert "Monitorinq səfərləri" in text, name
