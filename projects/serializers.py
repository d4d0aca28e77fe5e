"""API serializers. Validation is the models' own (full_clean) and the services', so the API
refuses exactly what the admin refuses, with the same messages."""

import datetime
from collections.abc import Mapping

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from projects import photos, roles, services, trash
from projects.models import (
    District,
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
    Project,
    RestorationWork,
    Status,
    StatusEvent,
    Village,
)


class FastGeometryField(GeometryField):
    """GeoJSON geometry straight from the coordinates. drf-gis goes through GDAL and builds a
    spatial reference for every geometry, which is most of the time of a list of kəhriz.

    What comes in must be a geometry of the model field's type (``geom_type``) with longitudes
    within ±180 and latitudes within ±90: anything else would fail later in GDAL (a 500)."""

    def __init__(self, *args, geom_type=None, **kwargs):
        self.geom_type = geom_type
        super().__init__(*args, **kwargs)

    def to_representation(self, value):
        if value is None or isinstance(value, dict):
            return value
        return {"type": value.geom_type, "coordinates": value.coords}

    def to_internal_value(self, value):
        if not isinstance(value, (dict, str, GEOSGeometry)):
            raise serializers.ValidationError(_("Give a GeoJSON geometry."))
        try:
            geometry = super().to_internal_value(value)
        except (GEOSException, GDALException, ValueError, TypeError, IndexError) as error:
            raise serializers.ValidationError(_("Give a GeoJSON geometry.")) from error
        except DjangoValidationError as error:
            # drf-gis says it in GDAL's words ("Invalid geometry pointer returned from …"), in English.
            raise serializers.ValidationError(_("Give a GeoJSON geometry.")) from error
        if geometry is None or geometry == "":
            return geometry
        if geometry.hasz:
            # Stored in two dimensions: a third number was a database error (a 500), not a 400.
            raise serializers.ValidationError(
                _("Give each position as longitude, latitude: without an altitude.")
            )
        if self.geom_type and geometry.geom_type != self.geom_type:
            raise serializers.ValidationError(
                _("Give a GeoJSON %(expected)s, not a %(given)s.")
                % {"expected": self.geom_type, "given": geometry.geom_type}
            )
        if geometry.srid not in (None, 4326):
            raise serializers.ValidationError(_("Give the coordinates in WGS 84 (EPSG:4326) degrees."))
        geometry.srid = 4326
        try:
            services.check_coordinates(geometry)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return geometry


def as_drf_error(error):
    """A Django ValidationError as DRF's, keeping the field names."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in error.message_dict.items()
            }
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, for a slug or code that holds a NUL character too: no record has one, and
    PostgreSQL refuses such a text with an error rather than finding nothing."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """DRF's CharField, taking text only: DRF turns a JSON number into text (5 → "5"), which a
    client that sends one has most likely not meant, and the schema says "string"."""

    default_error_messages = {"not_text": gettext_lazy("Send text here (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class SlugTextField(TextField, serializers.SlugField):
    pass


class DecimalTextField(serializers.DecimalField):
    """A decimal as text ("12.50"), as the schema says and as the API answers it: a JSON number is
    a binary fraction, which need not be the decimal the client meant (0.1 + 0.2)."""

    default_error_messages = {"not_text": gettext_lazy('Give the number as text, e.g. "12.50".')}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


JSON_TYPES = {
    serializers.CharField: TextField,
    serializers.SlugField: SlugTextField,
    serializers.DecimalField: DecimalTextField,
}


class JsonTypesMixin:
    """A model serializer whose text and decimal fields take JSON strings only (TextField,
    DecimalTextField): what the schema describes is what is accepted."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return JSON_TYPES.get(field_class, field_class), kwargs


OUT_OF_DISTRICT = "out_of_district"


def out_of_district(message):
    """A field officer's write for a kəhriz outside their districts. It reads like the other field
    errors (``{"kehriz": [message]}``), and the API answers it 403, not 400 (views/api.py's
    exception_handler), as a refused write."""
    return serializers.ValidationError(message, code=OUT_OF_DISTRICT)


def model_errors(instance, exclude=None):
    """The model's own checks on ``instance`` as DRF error details ({} when it is valid)."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as error:
        return as_drf_error(error).detail
    return {}


def full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as error:
        raise as_drf_error(error) from error


class ModelCleanMixin:
    """Run the model's full_clean on the would-be instance before saving."""

    clean_exclude = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        plain = {
            key: value
            for key, value in attrs.items()
            if not model._meta.get_field(key).many_to_many and not isinstance(value, list)
        }
        instance = self.instance or model()
        for key, value in plain.items():
            setattr(instance, key, value)
        full_clean(instance, exclude=list(self.clean_exclude))
        # Values the model derives in clean() (a district from the outlet, review flags).
        for derived in getattr(self, "derived_fields", ()):
            attrs[derived] = getattr(instance, derived)
        return attrs


class DistrictSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = District
        geo_field = "boundary"
        fields = ["id", "slug", "name_az", "name_en", "is_programme", "osm_id"]


class VillageSerializer(JsonTypesMixin, ModelCleanMixin, serializers.ModelSerializer):
    district = SlugRelatedField(slug_field="slug", queryset=District.objects.all())
    location = FastGeometryField(geom_type="Point", required=False, allow_null=True)

    class Meta:
        model = Village
        fields = [
            "id",
            "name",
            "district",
            "location",
            "location_is_approximate",
            "location_source",
            "is_idp_settlement",
            "is_synthetic",
        ]
        read_only_fields = ["is_synthetic"]


class ProjectSerializer(JsonTypesMixin, ModelCleanMixin, serializers.ModelSerializer):
    districts = SlugRelatedField(
        slug_field="slug", queryset=District.objects.all(), many=True, required=False
    )
    # Kept from before the names were split: read, the name in the request's language; written,
    # the Azerbaijani name (name_az wins when both are given).
    name = TextField(
        max_length=300,
        required=False,
        help_text="The name in the request's language (Accept-Language); written: the Azerbaijani name.",
    )
    name_az = TextField(max_length=300, required=False)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "name_az",
            "name_en",
            "donor",
            "implementing_agency",
            "start_date",
            "end_date",
            "budget",
            "currency",
            "districts",
            "description",
            "source",
        ]

    def validate(self, attrs):
        given = attrs.pop("name", None)
        if given is not None:
            attrs.setdefault("name_az", given)
        return super().validate(attrs)


class KehrizSerializer(JsonTypesMixin, ModelCleanMixin, GeoFeatureModelSerializer):
    """A kəhriz as a GeoJSON Feature located at its outlet."""

    outlet = FastGeometryField(geom_type="Point", required=False, allow_null=True)
    district = SlugRelatedField(slug_field="slug", queryset=District.objects.all(), required=False)
    # No ``default=None``: DRF skips a default in a partial update's answer, which drf-gis does not expect.
    village_name = serializers.CharField(source="village.name", read_only=True, allow_null=True)
    projects = SlugRelatedField(slug_field="code", queryset=Project.objects.all(), many=True, required=False)
    mother_well = FastGeometryField(geom_type="Point", required=False, allow_null=True)
    route = FastGeometryField(geom_type="LineString", required=False, allow_null=True)
    derived_fields = ("district", "distance_outside_district_m", "location_needs_review")

    class Meta:
        model = Kehriz
        geo_field = "outlet"
        fields = [
            "id",
            "code",
            "name",
            "village",
            "village_name",
            "district",
            "projects",
            "mother_well",
            "route",
            "location_is_approximate",
            "location_source",
            "distance_outside_district_m",
            "location_needs_review",
            "gallery_length_m",
            "shaft_count",
            "mother_well_depth_m",
            "use_drinking",
            "use_irrigation",
            "use_livestock",
            "households_served",
            "people_served",
            "idp_households_served",
            "irrigated_area_ha",
            "figures_are_approximate",
            "committee_name",
            "committee_members",
            "committee_women",
            "committee_chair_is_woman",
            "status",
            "status_changed_on",
            "functionality",
            "last_visit_on",
            "last_discharge_lps",
            "notes",
            "source",
            "is_published",
            "is_synthetic",
            "updated_at",
        ]
        read_only_fields = [
            "status_changed_on",
            "functionality",
            "last_visit_on",
            "last_discharge_lps",
            "distance_outside_district_m",
            "location_needs_review",
            "is_synthetic",
            "updated_at",
        ]

    def to_internal_value(self, data):
        """A GeoJSON Feature (or its properties alone). drf-gis takes any ``properties`` it is
        given and fails on one that is not an object: say what is wrong instead."""
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a GeoJSON Feature: a JSON object.")]}, code="invalid"
            )
        if "properties" in data:
            if not isinstance(data["properties"], Mapping):
                raise serializers.ValidationError(
                    {"properties": [_("The properties of a GeoJSON Feature are a JSON object.")]},
                    code="invalid",
                )
            data = {**data, "properties": dict(data["properties"])}
            data.pop("bbox", None)
        if "type" in data and data["type"] != "Feature":
            raise serializers.ValidationError(
                {"type": [_('A GeoJSON Feature has the type "Feature".')]}, code="invalid"
            )
        return super().to_internal_value(data)

    def validate_status(self, value):
        if self.instance is not None and value != self.instance.status:
            raise serializers.ValidationError(
                _("Change the status with POST …/kehriz/{id}/status/, which records the change.")
            )
        return value

    def validate_district(self, value):
        request = self.context.get("request")
        if (
            request
            and roles.is_field_officer(request.user)
            and value.pk not in roles.district_ids(request.user)
        ):
            raise out_of_district(_("You may only record kəhriz in your own districts."))
        return value

    def create(self, validated_data):
        projects = validated_data.pop("projects", [])
        request = self.context.get("request")
        try:
            return services.create_kehriz(
                user=request.user if request else None, projects=projects, **validated_data
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class StatusEventSerializer(serializers.ModelSerializer):
    kehriz_code = serializers.CharField(source="kehriz.code", read_only=True)
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, allow_null=True)
    # Empty for the first event of a kəhriz, which has no previous status.
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = StatusEvent
        fields = [
            "id",
            "kehriz",
            "kehriz_code",
            "from_status",
            "to_status",
            "changed_on",
            "changed_by",
            "is_correction",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class StatusChangeSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    on_date = serializers.DateField(required=False)
    note = TextField(required=False, allow_blank=True, default="")
    correction = serializers.BooleanField(required=False, default=False)
    backdated = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "Recording the past (data managers only): the change may be dated before the last "
            "recorded one; it is placed in date order and must fit the lifecycle on both sides."
        ),
    )


class RestorationWorkSerializer(JsonTypesMixin, ModelCleanMixin, serializers.ModelSerializer):
    project = SlugRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = RestorationWork
        fields = [
            "id",
            "kehriz",
            "project",
            "done_by",
            "team_name",
            "start_date",
            "end_date",
            "gallery_cleaned_m",
            "shafts_rehabilitated",
            "rings_installed",
            "cost",
            "currency",
            "description",
        ]

    def validate_kehriz(self, value):
        request = self.context.get("request")
        if request and not roles.can_edit_in_district(request.user, value.district_id):
            raise out_of_district(_("You may only record works in your own districts."))
        return value


class PersonMetSerializer(JsonTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = PersonMet
        fields = ["role", "name", "organisation", "count", "is_woman"]
        # The model's constraint (at least one person, or not known), with its message: in the
        # schema as a minimum.
        extra_kwargs = {
            "count": {"min_value": 1, "error_messages": {"min_value": gettext_lazy("At least one person.")}}
        }


class FollowUpNestedSerializer(JsonTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "action", "responsible", "due_date", "done", "done_on"]
        read_only_fields = ["id"]


class ObservationSerializer(JsonTypesMixin, serializers.ModelSerializer):
    kehriz_code = serializers.CharField(source="kehriz.code", read_only=True)
    kehriz_name = serializers.CharField(source="kehriz.name", read_only=True)
    observer_location = FastGeometryField(geom_type="Point", required=False, allow_null=True)
    people_met = PersonMetSerializer(many=True, required=False)
    follow_ups = FollowUpNestedSerializer(many=True, required=False)

    class Meta:
        model = Observation
        fields = [
            "id",
            "kehriz",
            "kehriz_code",
            "kehriz_name",
            "observed_on",
            "functionality",
            "discharge_lps",
            "discharge_method",
            "works_progress",
            "findings",
            "observer_location",
            "observer_accuracy_m",
            "needs_review",
            "review_note",
            "people_met",
            "follow_ups",
        ]
        read_only_fields = ["needs_review", "review_note"]

    def validate_kehriz(self, value):
        request = self.context.get("request")
        if request and not roles.can_edit_in_district(request.user, value.district_id):
            raise out_of_district(
                _("%(kehriz)s is not in your districts: you cannot record visits to it.") % {"kehriz": value}
            )
        return value


class MonitoringVisitSerializer(JsonTypesMixin, ModelCleanMixin, serializers.ModelSerializer):
    """A visit with its observations nested. Creating one is idempotent on ``uuid``."""

    uuid = serializers.UUIDField(required=False)
    observations = ObservationSerializer(many=True, required=False)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, allow_null=True)

    class Meta:
        model = MonitoringVisit
        fields = [
            "id",
            "uuid",
            "title",
            "start_date",
            "end_date",
            "dates_are_approximate",
            "purpose",
            "organisations",
            "participants",
            "source",
            "recorded_by",
            "is_synthetic",
            "observations",
            "created_at",
        ]
        read_only_fields = ["is_synthetic", "created_at"]
        # uniqueness of uuid is handled by the view (a resend returns the stored visit)
        extra_kwargs = {"uuid": {"validators": []}}

    clean_exclude = ("uuid",)

    def validate_observations(self, observations):
        seen = set()
        for observation in observations:
            if observation["kehriz"].pk in seen:
                raise serializers.ValidationError(
                    _("%(kehriz)s appears twice: one observation per kəhriz per visit.")
                    % {"kehriz": observation["kehriz"]}
                )
            seen.add(observation["kehriz"].pk)
        return observations

    def _save_observations(self, visit, observations, existing=None):
        """Check every observation, its people met and follow-ups against the model's rules, then
        save them all, or none. Errors are keyed by position like DRF's own nested errors:
        ``{"observations": {"1": {"discharge_method": [...], "people_met": {"0": {...}}}}}``.

        ``existing``: the visit's stored observations by kəhriz. One of those named again is
        updated in place (its photos stay, it keeps its number); its people met and follow-ups
        are replaced only when the request sends them."""
        existing = existing or {}
        errors, rows = {}, []
        for index, data in enumerate(observations):
            people = data.pop("people_met", None)
            follow_ups = data.pop("follow_ups", None)
            observation = existing.get(data["kehriz"].pk)
            if observation is None:
                observation = Observation(visit=visit, **data)
            else:
                for key, value in data.items():
                    setattr(observation, key, value)
            problems = model_errors(observation, exclude=["visit"])
            children = {}
            for key, model, items in (
                ("people_met", PersonMet, people),
                ("follow_ups", FollowUp, follow_ups),
            ):
                if items is None:
                    continue
                children[key] = [model(observation=observation, **item) for item in items]
                child_errors = {
                    str(i): found
                    for i, child in enumerate(children[key])
                    if (found := model_errors(child, exclude=["observation"]))
                }
                if child_errors:
                    problems[key] = child_errors
            rows.append((observation, children))
            if problems:
                errors[str(index)] = problems
        if errors:
            raise serializers.ValidationError({"observations": errors})
        for observation, children in rows:
            replacing = observation.pk is not None
            observation.save()
            for key, made in children.items():
                if replacing:
                    getattr(observation, key).all().delete()
                for child in made:
                    child.observation = observation
                    child.save()
        services.refresh_current_state(o["kehriz"].pk for o in observations)

    def create(self, validated_data):
        observations = validated_data.pop("observations", [])
        with transaction.atomic():
            visit = MonitoringVisit.objects.create(**validated_data)
            self._save_observations(visit, observations)
        return visit

    def update(self, instance, validated_data):
        """The visit's own fields; and, when ``observations`` is sent, the visit's observations
        as listed: each matched to the stored one of the same kəhriz and updated in place (its
        photos, people met and follow-ups stay unless sent), new ones added, and the ones left
        out moved to the trash (restorable), never deleted and recreated."""
        observations = validated_data.pop("observations", None)
        request = self.context.get("request")
        with transaction.atomic():
            for key, value in validated_data.items():
                setattr(instance, key, value)
            instance.save()
            stored = {o.kehriz_id: o for o in instance.observations.all()}
            if observations is not None:
                listed = {o["kehriz"].pk for o in observations}
                for kehriz_id, observation in stored.items():
                    if kehriz_id not in listed:
                        trash.move_to_trash(observation, getattr(request, "user", None))
                self._save_observations(instance, observations, stored)
            # The visit's own fields (its dates being approximate) show on its kəhriz too.
            services.refresh_current_state(set(stored))
        return instance


def observation_in_users_districts(serializer, observation, message):
    """Field officers add follow-ups and photos only to observations of their districts' kəhriz."""
    request = serializer.context.get("request")
    if request and not roles.can_edit_in_district(request.user, observation.kehriz.district_id):
        raise out_of_district(message % {"kehriz": observation.kehriz})
    return observation


class FollowUpSerializer(JsonTypesMixin, ModelCleanMixin, serializers.ModelSerializer):
    kehriz = serializers.IntegerField(source="observation.kehriz_id", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "observation", "kehriz", "action", "responsible", "due_date", "done", "done_on"]

    def validate_observation(self, value):
        return observation_in_users_districts(
            self, value, _("%(kehriz)s is not in your districts: you cannot add follow-up actions to it.")
        )


class DischargeSerializer(serializers.ModelSerializer):
    visit = serializers.IntegerField(source="visit_id", read_only=True)

    class Meta:
        model = Observation
        fields = ["observed_on", "discharge_lps", "discharge_method", "functionality", "visit"]
        read_only_fields = fields


class PhotoImageField(serializers.FileField):
    """In: an upload, checked and re-encoded by projects.photos (no metadata, random name).
    Out: the URL of the view that sends the photo to whoever may see it."""

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        try:
            return photos.clean_upload(upload)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def to_representation(self, value):
        if not value:
            return None
        url = value.instance.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RFC3339DateTimeField(serializers.DateTimeField):
    """DRF's, but a time whose local offset is not whole minutes is given in UTC: before 1924, Baku
    kept local mean time (+03:19:24), and RFC 3339, the schema's ``date-time``, has no seconds in an
    offset (``0008-01-21T21:37:25+03:19:24`` is no date-time a client can read)."""

    def enforce_timezone(self, value):
        value = super().enforce_timezone(value)
        offset = value.utcoffset()
        if offset is not None and offset.total_seconds() % 60:
            value = value.astimezone(datetime.UTC)
        return value


class PhotoSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """A photo of an observation. Creating one is idempotent on ``uuid``. ``image`` is sent as a
    JPEG, PNG or WebP file (stored as a JPEG without its metadata) and read back as the URL of
    the photo."""

    uuid = serializers.UUIDField(required=False)
    kehriz = serializers.IntegerField(source="observation.kehriz_id", read_only=True)
    image = PhotoImageField()
    taken_at = RFC3339DateTimeField(required=False, allow_null=True)

    class Meta:
        model = Photo
        fields = ["id", "uuid", "observation", "kehriz", "image", "caption", "taken_at", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"uuid": {"validators": []}}

    def validate_observation(self, value):
        return observation_in_users_districts(
            self, value, _("%(kehriz)s is not in your districts: you cannot add photos to it.")
        )

    def create(self, validated_data):
        """The image file is written before the row: when the row is refused (the same photo
        stored at the same moment by another request), its file goes too (one file a photo)."""
        photo = Photo(**validated_data)
        try:
            with transaction.atomic():
                photo.save()
        except Exception:
            photos.remove_unsaved_file(photo)
            raise
        return photo


class VersionChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name in the API.")
    label = serializers.CharField(help_text="The field's name for people, in the request's language.")
    old = serializers.JSONField(allow_null=True, help_text="The value before (a geometry as GeoJSON).")
    new = serializers.JSONField(allow_null=True, help_text="The value after.")


class VersionSerializer(serializers.Serializer):
    """One version of a record (projects/history.py)."""

    id = serializers.IntegerField()
    date = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(allow_null=True, help_text="Who made it (null: a command or an import).")
    through = serializers.CharField(
        help_text="The door: admin, api, field app, import: <file>, command: <name>, or empty."
    )
    reason = serializers.CharField(allow_blank=True)
    changes = VersionChangeSerializer(many=True)
