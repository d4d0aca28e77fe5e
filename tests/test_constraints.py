"""Every database constraint refuses a bad value twice: validation explains it in words, and the
database itself refuses it when validation is bypassed (raw save, bulk_create, update)."""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from projects.models import Indicator, Observation
from projects.models.uploads import PhotoUpload, PhotoUploadChunk
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_in_tmp")]

D = datetime.date
NOT_NEGATIVE = "Ensure this value is greater than or equal to 0."


def not_a_choice(value):
    return f"Value {value!r} is not a valid choice."


@dataclass
class Case:
    """``make()`` returns a valid unsaved instance (saving whatever it must conflict with);
    setting ``bad`` on it breaks the constraint ``name``."""

    name: str
    make: Any
    bad: Any  # {field: value}, or a function of the instance returning that
    field: str  # where full_clean() reports it
    message: str  # what full_clean() says there
    constraint_message: str | None = None  # the constraint's own message, when not ``message``
    unique_field: bool = field(default=False)  # a field's unique=True rather than Meta.constraints


# --- Valid instances ---------------------------------------------------------------------------


def kehriz():
    return factories.KehrizFactory.build()


def saved_kehriz():
    return factories.KehrizFactory()


def project():
    return factories.ProjectFactory.build()


def work():
    return factories.RestorationWorkFactory.build(kehriz=saved_kehriz(), project=factories.ProjectFactory())


def visit():
    return factories.MonitoringVisitFactory.build()


def observation():
    return factories.ObservationFactory.build(visit=factories.MonitoringVisitFactory(), kehriz=saved_kehriz())


def event():
    return factories.StatusEventFactory.build(kehriz=saved_kehriz())


def person():
    return factories.PersonMetFactory.build(observation=factories.ObservationFactory())


def follow_up():
    return factories.FollowUpFactory.build(observation=factories.ObservationFactory())


def figure():
    return factories.ReportedFigureFactory.build(project=factories.ProjectFactory())


def district():
    return factories.DistrictFactory.build()


# --- Conflicting rows for unique constraints ----------------------------------------------------


def second_kehriz():
    factories.KehrizFactory(code="GOR-QRD-01")
    return kehriz()


def second_project():
    factories.ProjectFactory(code="iom-koica-kehriz")
    return project()


def second_village():
    factories.VillageFactory(name="Qaradağlı", district=factories.district(factories.GORANBOY))
    return factories.VillageFactory.build(name="Horovlu", district=factories.district(factories.GORANBOY))


def second_observation():
    first = factories.ObservationFactory()
    return factories.ObservationFactory.build(visit=first.visit, kehriz=saved_kehriz())


def second_figure():
    first = factories.ReportedFigureFactory(source="IOM news item")
    return factories.ReportedFigureFactory.build(
        project=first.project, indicator=first.indicator, source="KOICA report"
    )


def second_district():
    factories.DistrictFactory(slug="sinaq-rayonu", osm_id=42)
    return district()


def indicator():
    return factories.ResultIndicatorFactory.build(project=factories.ProjectFactory())


def second_indicator():
    first = factories.ResultIndicatorFactory(indicator=Indicator.RESTORED_HANDED_OVER)
    return factories.ResultIndicatorFactory.build(project=first.project, indicator=Indicator.RESTORED)


def period():
    return factories.ResultPeriodFactory.build(indicator=factories.ResultIndicatorFactory())


def second_period():
    first = factories.ResultPeriodFactory(start=D(2024, 1, 1), end=D(2024, 12, 31))
    return factories.ResultPeriodFactory.build(
        indicator=first.indicator, start=D(2025, 1, 1), end=D(2025, 12, 31)
    )


UPLOAD_UUID = uuid.UUID("6c1d2e3f-4a5b-4c6d-8e7f-13140e1a2024")


def upload():
    return PhotoUpload(
        uuid=uuid.uuid4(),
        user=factories.UserFactory(),
        observation=factories.ObservationFactory(),
        size=1000,
        sha256="0" * 64,
    )


def second_upload():
    first = upload()
    first.uuid = UPLOAD_UUID
    first.save()
    return upload()


def chunk():
    saved = upload()
    saved.save()
    return PhotoUploadChunk(upload=saved, offset=0, data=b"abc")


def second_chunk():
    first = chunk()
    first.save()
    return PhotoUploadChunk(upload=first.upload, offset=3, data=b"def")


VISIT_UUID = uuid.UUID("5d0c5f2e-7a3b-5c1e-9f4a-13140e1a2024")


def second_visit():
    factories.MonitoringVisitFactory(uuid=VISIT_UUID)
    return visit()


PHOTO_UUID = uuid.UUID("0b7e8c1d-2f3a-4b5c-8d9e-13140e1a2024")


def second_photo():
    factories.PhotoFactory(uuid=PHOTO_UUID)
    return factories.PhotoFactory.build(observation=factories.ObservationFactory())


BOWTIE = MultiPolygon(Polygon(((10, 10), (11, 11), (11, 10), (10, 11), (10, 10))), srid=4326)
END_BEFORE_START = "The end date cannot be before the start date."
LISTED = "Choose one of the listed values."

CASES = [
    # Kəhriz
    Case("kehriz_status_valid", kehriz, {"status": "repaired"}, "status", not_a_choice("repaired"), LISTED),
    Case(
        "kehriz_functionality_valid",
        kehriz,
        {"functionality": "wet"},
        NON_FIELD_ERRORS,  # not editable, so only the constraint checks it
        LISTED,
    ),
    Case(
        "kehriz_length_non_negative",
        kehriz,
        {"gallery_length_m": Decimal("-1.0")},
        "gallery_length_m",
        NOT_NEGATIVE,
        "The gallery length cannot be negative.",
    ),
    Case(
        "kehriz_depth_non_negative",
        kehriz,
        {"mother_well_depth_m": Decimal("-12.5")},
        "mother_well_depth_m",
        NOT_NEGATIVE,
        "The mother-well depth cannot be negative.",
    ),
    Case(
        "kehriz_area_non_negative",
        kehriz,
        {"irrigated_area_ha": Decimal("-0.50")},
        "irrigated_area_ha",
        NOT_NEGATIVE,
        "The irrigated area cannot be negative.",
    ),
    Case(
        "kehriz_discharge_non_negative",
        kehriz,
        {"last_discharge_lps": Decimal("-3.00")},
        NON_FIELD_ERRORS,
        "A discharge cannot be negative.",
    ),
    Case(
        "kehriz_women_within_members",
        kehriz,
        {"committee_members": 5, "committee_women": 6},
        NON_FIELD_ERRORS,
        "The committee cannot have more women than members.",
    ),
    Case(
        "kehriz_idp_within_households",
        kehriz,
        {"households_served": 40, "idp_households_served": 41},
        NON_FIELD_ERRORS,
        "IDP households cannot outnumber the households served.",
    ),
    Case(
        "Kehriz.code",
        second_kehriz,
        {"code": "GOR-QRD-01"},
        "code",
        "Another kəhriz already has this code.",
        unique_field=True,
    ),
    # Status history
    Case(
        "statusevent_from_valid",
        event,
        {"from_status": "repaired"},
        "from_status",
        not_a_choice("repaired"),
        LISTED,
    ),
    Case(
        "statusevent_to_valid",
        event,
        {"to_status": "repaired"},
        "to_status",
        not_a_choice("repaired"),
        LISTED,
    ),
    Case(
        "statusevent_changes_status",
        event,
        {"from_status": "assessed", "to_status": "assessed"},
        NON_FIELD_ERRORS,
        "A status change must change the status.",
    ),
    Case(
        "statusevent_correction_has_reason",
        event,
        {"is_correction": True, "note": ""},
        NON_FIELD_ERRORS,
        "A correction needs a reason.",
    ),
    # Restoration works
    Case("work_done_by_valid", work, {"done_by": "magic"}, "done_by", not_a_choice("magic"), LISTED),
    Case("work_currency_valid", work, {"currency": "XYZ"}, "currency", not_a_choice("XYZ"), LISTED),
    Case(
        "work_end_after_start",
        work,
        {"start_date": D(2024, 6, 1), "end_date": D(2024, 5, 31)},
        NON_FIELD_ERRORS,
        END_BEFORE_START,
    ),
    Case(
        "work_cleaned_non_negative",
        work,
        {"gallery_cleaned_m": Decimal("-5.0")},
        "gallery_cleaned_m",
        NOT_NEGATIVE,
        "Metres cleaned cannot be negative.",
    ),
    Case(
        "work_cost_non_negative",
        work,
        {"cost": Decimal("-100.00")},
        "cost",
        NOT_NEGATIVE,
        "The cost cannot be negative.",
    ),
    Case(
        "work_cost_has_currency",
        work,
        {"cost": Decimal("100.00"), "currency": ""},
        NON_FIELD_ERRORS,
        "Give the currency of the cost.",
    ),
    # Projects and reported figures
    Case(
        "project_end_after_start",
        project,
        {"start_date": D(2024, 1, 1), "end_date": D(2023, 12, 31)},
        NON_FIELD_ERRORS,
        END_BEFORE_START,
    ),
    Case(
        "project_budget_non_negative",
        project,
        {"budget": Decimal("-1.00")},
        "budget",
        NOT_NEGATIVE,
        "The budget cannot be negative.",
    ),
    Case("project_currency_valid", project, {"currency": "XYZ"}, "currency", not_a_choice("XYZ"), LISTED),
    Case(
        "project_budget_has_currency",
        project,
        {"budget": Decimal("1000.00"), "currency": ""},
        NON_FIELD_ERRORS,
        "Give the currency of the budget.",
    ),
    Case(
        "Project.code",
        second_project,
        {"code": "iom-koica-kehriz"},
        "code",
        "Project with this Code already exists.",
        unique_field=True,
    ),
    Case(
        "reportedfigure_indicator_valid",
        figure,
        {"indicator": "wells_dug"},
        "indicator",
        not_a_choice("wells_dug"),
        LISTED,
    ),
    Case(
        "reportedfigure_value_non_negative",
        figure,
        {"value": Decimal("-26")},
        "value",
        NOT_NEGATIVE,
        "A figure cannot be negative.",
    ),
    Case(
        "reportedfigure_unique_per_source",
        second_figure,
        {"source": "IOM news item"},
        NON_FIELD_ERRORS,
        "This source's figure for this indicator is already recorded.",
    ),
    # Results framework
    Case(
        "resultindicator_indicator_valid",
        indicator,
        {"indicator": "wells_dug"},
        "indicator",
        not_a_choice("wells_dug"),
        LISTED,
    ),
    Case(
        "resultindicator_reports_valid",
        indicator,
        {"reports": "guessed"},
        "reports",
        not_a_choice("guessed"),
        LISTED,
    ),
    Case(
        "resultindicator_baseline_non_negative",
        indicator,
        {"baseline_value": Decimal("-1.00")},
        "baseline_value",
        NOT_NEGATIVE,
        "A baseline cannot be negative.",
    ),
    Case(
        "resultindicator_baseline_has_date",
        indicator,
        {"baseline_date": None},
        NON_FIELD_ERRORS,
        "A baseline needs both its value and its date.",
    ),
    Case(
        "resultindicator_unique_per_project",
        second_indicator,
        {"indicator": Indicator.RESTORED_HANDED_OVER},
        NON_FIELD_ERRORS,
        "This project already has an indicator for this measure.",
    ),
    Case(
        "resultperiod_end_after_start",
        period,
        lambda p: {"end": p.start},
        NON_FIELD_ERRORS,
        "A period must end after it starts.",
    ),
    Case(
        "resultperiod_target_non_negative",
        period,
        {"target": Decimal("-1.00")},
        "target",
        NOT_NEGATIVE,
        "A target cannot be negative.",
    ),
    Case(
        "resultperiod_one_target_per_period",
        second_period,
        {"start": D(2024, 1, 1)},
        NON_FIELD_ERRORS,
        "This indicator already has a target for a period starting that day.",
    ),
    # Field app uploads
    Case(
        "photoupload_size_positive",
        upload,
        {"size": 0, "received": 0},
        NON_FIELD_ERRORS,
        "This piece of the photo is empty.",
    ),
    Case(
        "photoupload_received_within_size",
        upload,
        {"received": 1001},
        NON_FIELD_ERRORS,
        "This piece goes beyond the photo's size.",
    ),
    Case(
        "PhotoUpload.uuid",
        second_upload,
        {"uuid": UPLOAD_UUID},
        "uuid",
        "Photo upload with this Identifier already exists.",
        unique_field=True,
    ),
    Case(
        "photouploadchunk_one_per_offset",
        second_chunk,
        {"offset": 0},
        NON_FIELD_ERRORS,
        "This piece of the photo has been received already.",
    ),
    # Places
    Case(
        "district_boundary_valid",
        district,
        {"boundary": BOWTIE},
        NON_FIELD_ERRORS,
        "The boundary is not a valid polygon.",
    ),
    Case(
        "District.slug",
        second_district,
        {"slug": "sinaq-rayonu"},
        "slug",
        "District with this Slug already exists.",
        unique_field=True,
    ),
    Case(
        "District.osm_id",
        second_district,
        {"osm_id": 42},
        "osm_id",
        "District with this OpenStreetMap relation already exists.",
        unique_field=True,
    ),
    Case(
        "village_unique_name_in_district",
        second_village,
        {"name": "Qaradağlı"},
        NON_FIELD_ERRORS,
        "This district already has a village of that name.",
    ),
    # Monitoring
    Case(
        "visit_end_after_start",
        visit,
        {"start_date": D(2024, 3, 14), "end_date": D(2024, 3, 13)},
        NON_FIELD_ERRORS,
        END_BEFORE_START,
    ),
    Case(
        "MonitoringVisit.uuid",
        second_visit,
        {"uuid": VISIT_UUID},
        "uuid",
        "Monitoring visit with this Identifier already exists.",
        unique_field=True,
    ),
    Case(
        "Photo.uuid",
        second_photo,
        {"uuid": PHOTO_UUID},
        "uuid",
        "Photo with this Identifier already exists.",
        unique_field=True,
    ),
    Case(
        "observation_one_per_kehriz_per_visit",
        second_observation,
        lambda o: {"kehriz": Observation.objects.exclude(pk=o.pk).get(visit=o.visit).kehriz},
        NON_FIELD_ERRORS,
        "This visit already has an observation of this kəhriz.",
    ),
    Case(
        "observation_functionality_valid",
        observation,
        {"functionality": "wet"},
        "functionality",
        not_a_choice("wet"),
        LISTED,
    ),
    Case(
        "observation_method_valid",
        observation,
        {"discharge_method": "guess"},
        "discharge_method",
        not_a_choice("guess"),
        LISTED,
    ),
    Case(
        "observation_discharge_non_negative",
        observation,
        {"discharge_lps": Decimal("-1.00")},
        "discharge_lps",
        NOT_NEGATIVE,
        "A discharge cannot be negative.",
    ),
    Case(
        "observation_accuracy_non_negative",
        observation,
        {"observer_accuracy_m": Decimal("-5.0")},
        "observer_accuracy_m",
        NOT_NEGATIVE,
        "An accuracy cannot be negative.",
    ),
    Case(
        "observation_discharge_has_method",
        observation,
        {"discharge_lps": Decimal("8.00"), "discharge_method": ""},
        "discharge_method",
        "Say how the discharge was measured.",
    ),
    Case("personmet_role_valid", person, {"role": "tourist"}, "role", not_a_choice("tourist"), LISTED),
    Case("personmet_count_positive", person, {"count": 0}, NON_FIELD_ERRORS, "At least one person."),
    Case(
        "followup_done_on_only_when_done",
        follow_up,
        {"done": False, "done_on": D(2024, 4, 1)},
        NON_FIELD_ERRORS,
        "A completion date needs the action to be marked done.",
    ),
]

IDS = [case.name for case in CASES]


def apply(instance, bad):
    for name, value in (bad(instance) if callable(bad) else bad).items():
        setattr(instance, name, value)
    return instance


def bad_values(instance, bad):
    values = bad(instance) if callable(bad) else bad
    return {name: getattr(apply(instance, values), name) for name in values}


def test_every_constraint_has_a_case():
    declared = {
        constraint.name
        for model in apps.get_app_config("projects").get_models()
        for constraint in model._meta.constraints
    }
    declared |= {
        f"{model.__name__}.{f.name}"
        for model in apps.get_app_config("projects").get_models()
        for f in model._meta.get_fields()
        if getattr(f, "unique", False) and not f.primary_key
    }
    assert declared == set(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_valid_instance_passes(case):
    instance = case.make()
    instance.full_clean()
    instance.save()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_clean_explains_the_problem(case):
    instance = apply(case.make(), case.bad)
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    assert case.message in caught.value.message_dict.get(case.field, []), caught.value.message_dict


@pytest.mark.parametrize("case", [c for c in CASES if not c.unique_field], ids=lambda c: c.name)
def test_the_constraint_carries_its_own_message(case):
    instance = apply(case.make(), case.bad)
    with pytest.raises(ValidationError) as caught:
        instance.validate_constraints()
    expected = case.constraint_message or case.message
    assert caught.value.messages == [expected]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_database_refuses_a_raw_save(case):
    instance = apply(case.make(), case.bad)
    model = type(instance)
    before = model.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()
    assert model.objects.count() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_database_refuses_bulk_create(case):
    instance = apply(case.make(), case.bad)
    model = type(instance)
    before = model.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.bulk_create([instance])
    assert model.objects.count() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_database_refuses_an_update(case):
    instance = case.make()
    instance.save()
    model = type(instance)
    values = bad_values(model.objects.get(pk=instance.pk), case.bad)
    values = {k: (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()}
    values = {
        (f"{k}_id" if isinstance(model._meta.get_field(k), models.ForeignKey) else k): v
        for k, v in values.items()
    }
    before = {k: getattr(instance, k) for k in values}
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=instance.pk).update(**values)
    instance.refresh_from_db()
    assert {k: getattr(instance, k) for k in values} == before


# --- Counts that Django's PositiveIntegerField keeps at 0 or more --------------------------------

POSITIVE_MAKERS = {
    "Kehriz": kehriz,
    "RestorationWork": work,
    "PersonMet": person,
    "ResultIndicator": indicator,
    "PhotoUpload": upload,
    "PhotoUploadChunk": chunk,
}
POSITIVE_FIELDS = [
    (model.__name__, f.name)
    for model in apps.get_app_config("projects").get_models()
    # Historical copies (django-simple-history) are written by the library from rows that
    # passed these checks already.
    if not model.__name__.startswith("Historical")
    for f in model._meta.get_fields()
    if isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField)
]


def test_every_positive_count_has_a_maker():
    assert {model for model, _ in POSITIVE_FIELDS} == set(POSITIVE_MAKERS)
    assert len(POSITIVE_FIELDS) >= 10


@pytest.mark.parametrize(("model", "name"), POSITIVE_FIELDS, ids=[f"{m}.{n}" for m, n in POSITIVE_FIELDS])
def test_a_negative_count_is_explained_and_refused_by_the_database(model, name):
    instance = POSITIVE_MAKERS[model]()
    valid = getattr(instance, name)
    setattr(instance, name, -1)
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    assert NOT_NEGATIVE in caught.value.message_dict.get(name, []), caught.value.message_dict
    # The database refuses it too, when validation and save() are bypassed.
    setattr(instance, name, valid)
    instance.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(instance).objects.filter(pk=instance.pk).update(**{name: -1})
    instance.refresh_from_db()
    assert getattr(instance, name) == valid
