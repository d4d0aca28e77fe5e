"""A kəhriz's outlet must lie in its district: inside is fine, just outside (the boundaries are
simplified) is accepted and flagged for review, far outside is a typo and refused."""

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from projects.models import District, Kehriz, Village
from projects.services import metres_outside
from tests import factories
from tests.helpers import point_outside

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def new_kehriz(**fields):
    return Kehriz(name="Sınaq", code="TST-LOC-1", **fields)


@pytest.mark.parametrize(
    ("osm_id", "town"),
    [
        (factories.AGDAM, factories.AGDAM_TOWN),
        (factories.GORANBOY, factories.GORANBOY_TOWN),
        (factories.QAZAX, factories.QAZAX_TOWN),
        (factories.CEBRAYIL, factories.CEBRAYIL_TOWN),
        (factories.CEBRAYIL, factories.HOROVLU),
    ],
)
def test_outlet_inside_its_district_is_accepted_and_not_flagged(osm_id, town):
    k = new_kehriz(district=factories.district(osm_id), outlet=factories.point(town))
    k.full_clean()
    k.save()
    k.refresh_from_db()
    assert k.district.osm_id == osm_id
    assert k.location_needs_review is False
    assert k.distance_outside_district_m == 0


@pytest.mark.parametrize("osm_id", [factories.AGDAM, factories.CEBRAYIL])
def test_outlet_just_outside_is_accepted_and_flagged_with_the_distance(osm_id):
    district = factories.district(osm_id)
    outlet = point_outside(district, 500, 1800)
    k = new_kehriz(district=district, outlet=outlet)
    k.full_clean()
    k.save()
    k.refresh_from_db()
    assert k.district == district
    assert k.location_needs_review is True
    assert k.distance_outside_district_m == metres_outside(outlet, district)
    assert 500 <= k.distance_outside_district_m <= 1800


def test_the_tolerance_is_the_limit(agdam):
    tolerance = settings.DISTRICT_TOLERANCE_M
    accepted = new_kehriz(district=agdam, outlet=point_outside(agdam, tolerance - 150, tolerance))
    accepted.full_clean()
    assert accepted.location_needs_review is True

    refused = new_kehriz(district=agdam, outlet=point_outside(agdam, tolerance + 1, tolerance + 300))
    with pytest.raises(ValidationError) as caught:
        refused.full_clean()
    assert "outlet" in caught.value.message_dict


def test_a_smaller_tolerance_setting_refuses_what_was_flagged(agdam, settings):
    outlet = point_outside(agdam, 800, 1500)
    settings.DISTRICT_TOLERANCE_M = 500
    with pytest.raises(ValidationError) as caught:
        new_kehriz(district=agdam, outlet=outlet).full_clean()
    assert "outlet" in caught.value.message_dict


def test_outlet_far_outside_its_district_is_refused_naming_the_district(cebrayil):
    k = new_kehriz(district=cebrayil, outlet=factories.point(factories.QAZAX_TOWN))
    with pytest.raises(ValidationError) as caught:
        k.full_clean()
    errors = caught.value.message_dict
    assert list(errors) == ["outlet"]
    (message,) = errors["outlet"]
    assert "km outside Cəbrayıl rayonu" in message
    assert "It lies in Qazax rayonu." in message
    assert "longitude and latitude may be swapped" in message


def test_swapped_coordinates_are_refused(goranboy):
    lon, lat = factories.GORANBOY_TOWN
    k = new_kehriz(district=goranboy, outlet=Point(lat, lon, srid=4326))
    with pytest.raises(ValidationError) as caught:
        k.full_clean()
    assert "It lies outside every known district." in caught.value.message_dict["outlet"][0]


def test_district_is_found_from_the_outlet(agdam):
    k = new_kehriz(outlet=factories.point(factories.AGDAM_TOWN))
    k.full_clean()
    assert k.district == agdam
    assert k.location_needs_review is False
    k.save()
    assert Kehriz.objects.get(code="TST-LOC-1").district == agdam


def test_save_without_validation_also_finds_the_district(cebrayil):
    k = Kehriz.objects.create(name="Orta", code="TST-LOC-2", outlet=factories.point(factories.HOROVLU))
    assert k.district == cebrayil


def test_district_found_from_an_outlet_just_beyond_the_border_is_flagged(qazax):
    """Near the state border there is no neighbouring district: the nearest one is used."""
    outlet = point_outside(qazax, 300, 1500)  # beyond the border with Georgia or Armenia
    assert District.objects.filter(boundary__intersects=outlet).count() == 0
    k = new_kehriz(outlet=outlet)
    k.full_clean()
    assert k.district == qazax
    assert k.location_needs_review is True
    assert k.distance_outside_district_m == metres_outside(outlet, qazax) > 0


def test_outlet_outside_every_district_is_refused_when_no_district_is_given():
    k = new_kehriz(outlet=Point(44.79, 41.72, srid=4326))  # Tbilisi
    with pytest.raises(ValidationError) as caught:
        k.full_clean()
    assert "outside every known district of Azerbaijan" in caught.value.message_dict["outlet"][0]


def test_district_is_taken_from_the_village(goranboy):
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    k = new_kehriz(village=village)
    k.full_clean()
    assert k.district == goranboy
    k.save()
    assert Kehriz.objects.get(code="TST-LOC-1").district == goranboy


def test_outlet_is_checked_against_the_villages_district(goranboy):
    village = factories.VillageFactory(name="Qaradağlı", district=goranboy)
    k = new_kehriz(village=village, outlet=factories.point(factories.CEBRAYIL_TOWN))
    with pytest.raises(ValidationError) as caught:
        k.full_clean()
    assert "outside Goranboy rayonu" in caught.value.message_dict["outlet"][0]


def test_a_village_of_another_district_is_refused(goranboy, cebrayil):
    village = factories.VillageFactory(name="Horovlu", district=cebrayil)
    k = new_kehriz(village=village, district=goranboy)
    with pytest.raises(ValidationError) as caught:
        k.full_clean()
    assert caught.value.message_dict["village"] == ["Horovlu (Cəbrayıl) is not in Goranboy rayonu."]


def test_no_district_village_or_outlet_is_refused():
    with pytest.raises(ValidationError) as caught:
        new_kehriz().full_clean()
    assert caught.value.message_dict["district"] == [
        "Give the district, the village or the outlet's location."
    ]


def test_no_outlet_clears_the_review_flag(goranboy):
    k = factories.KehrizFactory(
        district=goranboy, outlet=None, location_needs_review=True, distance_outside_district_m=900
    )
    k.full_clean()
    assert k.location_needs_review is False
    assert k.distance_outside_district_m is None


def test_moving_the_outlet_inside_clears_the_flag(agdam):
    k = new_kehriz(district=agdam, outlet=point_outside(agdam, 300, 1500))
    k.full_clean()
    k.save()
    k.outlet = factories.point(factories.AGDAM_TOWN)
    k.full_clean()
    k.save()
    k.refresh_from_db()
    assert (k.location_needs_review, k.distance_outside_district_m) == (False, 0)


def test_a_village_far_outside_its_district_is_refused(cebrayil):
    village = Village(name="Horovlu", district=cebrayil, location=factories.point(factories.QAZAX_TOWN))
    with pytest.raises(ValidationError) as caught:
        village.full_clean()
    assert "outside Cəbrayıl rayonu" in caught.value.message_dict["location"][0]


def test_a_village_inside_its_district_is_accepted(cebrayil):
    Village(name="Horovlu", district=cebrayil, location=factories.point(factories.HOROVLU)).full_clean()
