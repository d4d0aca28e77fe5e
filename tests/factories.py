"""factory_boy factories for the Kəhriz models.

The 79 real districts are loaded into every test database (see conftest.py), so factories use
them rather than inventing boundaries: by default a record lies in Goranboy, at the town centre.
"""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from projects.models import (
    District,
    FollowUp,
    Indicator,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
    Project,
    ReportedFigure,
    RestorationWork,
    ResultIndicator,
    ResultPeriod,
    Status,
    StatusEvent,
    Village,
)

# OpenStreetMap relation ids of the four programme districts.
AGDAM, GORANBOY, QAZAX, CEBRAYIL = 3795445, 3795446, 3963560, 7861847

# Real points (longitude, latitude).
AGDAM_TOWN = (46.92736, 39.99096)
GORANBOY_TOWN = (46.78972, 40.61028)
QAZAX_TOWN = (45.36561, 41.09246)
CEBRAYIL_TOWN = (47.02835, 39.39917)
HOROVLU = (47.09472, 39.4)

TOWN_OF = {AGDAM: AGDAM_TOWN, GORANBOY: GORANBOY_TOWN, QAZAX: QAZAX_TOWN, CEBRAYIL: CEBRAYIL_TOWN}


def district(osm_id):
    return District.objects.get(osm_id=osm_id)


def point(lon_lat):
    return Point(*lon_lat, srid=4326)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    # Tests log in with force_login: no password to hash.
    password = factory.PostGenerationMethodCall("set_unusable_password")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class DistrictFactory(factory.django.DjangoModelFactory):
    """A made-up district with a small square boundary far from Azerbaijan's real ones."""

    class Meta:
        model = District

    name_az = factory.Sequence(lambda n: f"Sınaq {n} rayonu")
    name_en = factory.Sequence(lambda n: f"Test {n} District")
    slug = factory.Sequence(lambda n: f"sinaq-{n}")
    boundary = factory.Sequence(
        lambda n: MultiPolygon(
            Polygon.from_bbox((10 + n % 50 * 0.1, 10, 10.05 + n % 50 * 0.1, 10.05)), srid=4326
        )
    )


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Layihə {n}")
    name_en = factory.Sequence(lambda n: f"Project {n}")
    code = factory.Sequence(lambda n: f"project-{n}")
    donor = "KOICA"
    implementing_agency = "IOM"
    start_date = datetime.date(2023, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    budget = Decimal("100000.00")
    currency = "USD"


class ReportedFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportedFigure

    project = factory.SubFactory(ProjectFactory)
    indicator = ReportedFigure.Indicator.RESTORED_HANDED_OVER
    value = Decimal("26")
    as_of = datetime.date(2024, 3, 14)
    source = factory.Sequence(lambda n: f"News item {n}")


class ResultIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultIndicator

    project = factory.SubFactory(ProjectFactory)
    indicator = Indicator.RESTORED_HANDED_OVER
    title_az = "Bərpa edilib təhvil verilmiş kəhrizlər"
    title_en = "Kəhriz restored and handed over"
    baseline_value = Decimal("0")
    baseline_date = datetime.date(2023, 1, 1)


class ResultPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultPeriod

    indicator = factory.SubFactory(ResultIndicatorFactory)
    start = datetime.date(2023, 1, 1)
    end = datetime.date(2026, 12, 31)
    target = Decimal("30")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    name = factory.Sequence(lambda n: f"Kənd {n}")
    district = factory.LazyFunction(lambda: district(GORANBOY))


class KehrizFactory(factory.django.DjangoModelFactory):
    """A kəhriz saved without validation; its outlet is the town centre of its district."""

    class Meta:
        model = Kehriz
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Kəhriz {n}")
    code = factory.Sequence(lambda n: f"TST-{n:04d}")
    district = factory.LazyFunction(lambda: district(GORANBOY))
    outlet = factory.LazyAttribute(lambda k: point(TOWN_OF.get(k.district.osm_id, GORANBOY_TOWN)))
    status = Status.IDENTIFIED


class StatusEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusEvent

    kehriz = factory.SubFactory(KehrizFactory)
    from_status = ""
    to_status = Status.IDENTIFIED
    changed_on = datetime.date(2024, 1, 10)


class RestorationWorkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RestorationWork

    kehriz = factory.SubFactory(KehrizFactory)
    project = factory.SubFactory(ProjectFactory)
    done_by = RestorationWork.DoneBy.KANKAN_TEAM
    team_name = factory.Sequence(lambda n: f"Kankan team {n}")
    start_date = datetime.date(2024, 4, 1)
    end_date = datetime.date(2024, 6, 30)
    gallery_cleaned_m = Decimal("450.0")
    shafts_rehabilitated = 12
    rings_installed = 30
    cost = Decimal("25000.00")
    currency = "AZN"


class MonitoringVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringVisit

    title = factory.Sequence(lambda n: f"Monitoring visit {n}")
    start_date = datetime.date(2024, 3, 13)
    end_date = datetime.date(2024, 3, 14)
    organisations = "IOM, KOICA"


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    visit = factory.SubFactory(MonitoringVisitFactory)
    kehriz = factory.SubFactory(KehrizFactory)
    observed_on = factory.LazyAttribute(lambda o: o.visit.start_date)
    functionality = "functional"
    discharge_lps = Decimal("9.50")
    discharge_method = "bucket"


class PersonMetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonMet

    observation = factory.SubFactory(ObservationFactory)
    role = PersonMet.Role.KANKAN
    name = factory.Sequence(lambda n: f"Kankan {n}")


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    observation = factory.SubFactory(ObservationFactory)
    action = factory.Sequence(lambda n: f"Line shaft {n} with concrete rings")
    responsible = "IOM engineer"
    due_date = datetime.date(2024, 5, 1)


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    observation = factory.SubFactory(ObservationFactory)
    image = factory.django.ImageField(filename="outlet.jpg", width=8, height=8)
    caption = "The outlet pool"


def handed_over_kehriz(project, on, **fields):
    """A kəhriz of ``project`` restored on ``on`` and handed over a month later, with the status
    history that says so."""
    kehriz = KehrizFactory(status=Status.HANDED_OVER, status_changed_on=on, **fields)
    kehriz.projects.add(project)
    StatusEventFactory(
        kehriz=kehriz, from_status=Status.UNDER_RESTORATION, to_status=Status.RESTORED, changed_on=on
    )
    StatusEventFactory(
        kehriz=kehriz,
        from_status=Status.RESTORED,
        to_status=Status.HANDED_OVER,
        changed_on=on + datetime.timedelta(days=30),
    )
    return kehriz
