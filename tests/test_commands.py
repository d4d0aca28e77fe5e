"""The data commands can be run again and again without duplicating anything."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.models import (
    District,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Project,
    ReportedFigure,
    StatusEvent,
    Village,
)
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PROGRAMME = {"Ağdam rayonu", "Goranboy rayonu", "Qazax rayonu", "Cəbrayıl rayonu"}


def district_state():
    return sorted(
        District.objects.values_list("osm_id", "name_az", "slug", "is_programme", "aliases", "updated_at")
    )


# --- load_districts ----------------------------------------------------------------------------


def test_load_districts_twice_keeps_79_districts():
    slugs = dict(District.objects.values_list("osm_id", "slug"))
    out = StringIO()
    call_command("load_districts", stdout=out)
    call_command("load_districts", stdout=out)
    assert District.objects.count() == 79
    assert dict(District.objects.values_list("osm_id", "slug")) == slugs
    assert set(District.objects.programme().values_list("name_az", flat=True)) == PROGRAMME
    assert "0 created, 79 updated (4 programme districts)" in out.getvalue()


def test_load_districts_keeps_edited_aliases(cebrayil):
    cebrayil.aliases = "Jabrayil, Jebrail, Dzhebrail"
    cebrayil.save()
    call_command("load_districts", stdout=StringIO())
    cebrayil.refresh_from_db()
    assert cebrayil.aliases == "Jabrayil, Jebrail, Dzhebrail"
    assert list(District.objects.search("Dzhebrail")) == [cebrayil]


def test_programme_districts_get_their_aliases():
    assert District.objects.get(osm_id=factories.QAZAX).aliases == "Qazax, Gazakh, Kazakh, Qazakh"


def feature(osm_id, name_az, geometry=None, **extra):
    return {
        "type": "Feature",
        "properties": {"osm_id": str(osm_id), "name_az": name_az, **extra},
        "geometry": geometry
        or {"type": "Polygon", "coordinates": [[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10.1], [10, 10]]]},
    }


def write(tmp_path, content):
    path = tmp_path / "districts.geojson"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


MALFORMED = {
    "not json": ("{ this is not json", "is not GeoJSON"),
    "no features": ({"type": "FeatureCollection", "features": []}, "holds no features"),
    "a list": ([1, 2, 3], "holds no features"),
    "feature without name": (
        {
            "type": "FeatureCollection",
            "features": [feature(1, "Sınaq rayonu"), {"properties": {"osm_id": 2}}],
        },
        "Feature 2 is not a district with osm_id, name_az and a geometry",
    ),
    "bad osm id": (
        {"type": "FeatureCollection", "features": [feature(1, "Sınaq rayonu"), feature("abc", "Yox rayonu")]},
        "Feature 2 is not a district",
    ),
    "a point": (
        {
            "type": "FeatureCollection",
            "features": [
                feature(1, "Sınaq rayonu"),
                feature(2, "Nöqtə rayonu", {"type": "Point", "coordinates": [47.0, 40.0]}),
            ],
        },
        "Feature 2 (Nöqtə rayonu) is a Point, not a polygon.",
    ),
    "update then fail": (
        {
            "type": "FeatureCollection",
            "features": [
                feature(factories.AGDAM, "Dəyişdirilmiş rayon"),
                {"type": "Feature", "properties": {"name_az": "No id"}, "geometry": None},
            ],
        },
        "Feature 2 is not a district",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_geojson_is_refused_and_writes_nothing(tmp_path, case):
    content, message = MALFORMED[case]
    before = district_state()
    with pytest.raises(CommandError) as caught:
        call_command("load_districts", write(tmp_path, content), stdout=StringIO())
    assert message in str(caught.value)
    assert district_state() == before


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_districts", str(tmp_path / "nowhere.geojson"), stdout=StringIO())
    assert District.objects.count() == 79


def test_a_new_district_file_adds_and_updates(tmp_path):
    path = write(
        tmp_path,
        {
            "type": "FeatureCollection",
            "features": [
                feature(1, "Sınaq rayonu", name_en="Test District"),
                feature(factories.AGDAM, "Ağdam rayonu"),
            ],
        },
    )
    call_command("load_districts", path, stdout=StringIO())
    call_command("load_districts", path, stdout=StringIO())
    assert District.objects.count() == 80
    new = District.objects.get(osm_id=1)
    assert (new.name_az, new.name_en, new.slug, new.is_programme) == (
        "Sınaq rayonu",
        "Test District",
        "sinaq-rayonu",
        False,
    )
    assert new.boundary.geom_type == "MultiPolygon"
    assert District.objects.get(osm_id=factories.AGDAM).is_programme


# --- load_sample_data --------------------------------------------------------------------------


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            District,
            Project,
            ReportedFigure,
            Village,
            Kehriz,
            MonitoringVisit,
            Observation,
            PersonMet,
            StatusEvent,
        )
    }


@pytest.fixture
def sample_data():
    call_command("load_sample_data", stdout=StringIO())


def test_load_sample_data_twice_changes_nothing(sample_data):
    first = counts()
    call_command("load_sample_data", stdout=StringIO())
    assert counts() == first
    assert first == {
        "District": 79,
        "Project": 1,
        "ReportedFigure": 1,
        "Village": 2,
        "Kehriz": 3,
        "MonitoringVisit": 1,
        "Observation": 3,
        "PersonMet": 6,
        "StatusEvent": 3,
    }


def test_sample_kehriz_are_the_three_visited(sample_data):
    kehriz = {k.name: k for k in Kehriz.objects.select_related("village", "district")}
    assert set(kehriz) == {"Əsgər", "Orta", "Karvansara"}
    assert {name: (k.village.name, k.district.osm_id) for name, k in kehriz.items()} == {
        "Əsgər": ("Horovlu", factories.CEBRAYIL),
        "Orta": ("Horovlu", factories.CEBRAYIL),
        "Karvansara": ("Qaradağlı", factories.GORANBOY),
    }
    for k in kehriz.values():
        assert k.status == "under_restoration"
        assert k.location_is_approximate
        assert not k.is_synthetic
        assert k.projects.get().code == "iom-koica-kehriz"
        assert k.status_events.get().to_status == "under_restoration"


def test_sample_visit_covers_all_three_kehriz_in_two_districts(sample_data):
    visit = MonitoringVisit.objects.get()
    assert (visit.start_date.month, visit.start_date.day) == (3, 13)
    assert (visit.end_date.month, visit.end_date.day) == (3, 14)
    assert visit.dates_are_approximate is True
    assert sorted(visit.observations.values_list("kehriz__name", flat=True)) == [
        "Karvansara",
        "Orta",
        "Əsgər",
    ]
    assert set(visit.observations.values_list("kehriz__district__osm_id", flat=True)) == {
        factories.CEBRAYIL,
        factories.GORANBOY,
    }
    for observation in visit.observations.all():
        assert visit.start_date <= observation.observed_on <= visit.end_date
        assert set(observation.people_met.values_list("role", flat=True)) == {"engineer", "kankan"}


def test_sample_reported_figure(sample_data):
    figure = ReportedFigure.objects.get()
    assert figure.value == 26
    assert figure.indicator == "restored_handed_over"
    assert set(figure.districts.values_list("name_az", flat=True)) == {
        "Ağdam rayonu",
        "Goranboy rayonu",
        "Qazax rayonu",
    }
    project = Project.objects.get()
    assert figure.project == project
    assert set(project.districts.values_list("name_az", flat=True)) == PROGRAMME


def test_sample_data_is_searchable(sample_data):
    assert list(Kehriz.objects.search("Qaradagli").values_list("name", flat=True)) == ["Karvansara"]
    assert sorted(Kehriz.objects.search("Cabrayil").values_list("name", flat=True)) == ["Orta", "Əsgər"]


def test_sample_data_keeps_later_edits(sample_data):
    """Running it again must not overwrite what people corrected since."""
    Kehriz.objects.filter(code="CAB-HOR-ORTA").update(shaft_count=17)
    call_command("load_sample_data", stdout=StringIO())
    assert Kehriz.objects.get(code="CAB-HOR-ORTA").shaft_count == 17
