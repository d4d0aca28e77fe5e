"""One FilterSet per list, shared by the HTML pages and the API, so that a filtered map and a
filtered export always show the same kəhriz."""

import re

import django_filters
from django import forms
from django.contrib.gis.geos import Point, Polygon
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from projects.models import (
    District,
    FollowUp,
    Functionality,
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    Project,
    RestorationWork,
    Status,
    StatusEvent,
    Village,
)
from projects.text import fold

# What the public map shows when no status is chosen.
DEFAULT_STATUSES = [Status.RESTORED, Status.HANDED_OVER]


# Decimal degrees as the schema states them and the filters accept them: no exponents, nan or inf;
# a longitude within ±180, a latitude within ±90.
LON = r"-?(180(\.0+)?|(1[0-7]\d|\d{1,2})(\.\d+)?)"
LAT = r"-?(90(\.0+)?|[0-8]?\d(\.\d+)?)"
# What ``near`` accepts: lon,lat.
LON_LAT_PATTERN = rf"^{LON},\s*{LAT}$"
# What ``in_bbox`` accepts: west,south,east,north. (That west < east and south < north, the schema
# cannot say: such a box is a 400.)
BBOX_PATTERN = rf"^{LON},\s*{LAT},\s*{LON},\s*{LAT}$"


class BBoxField(forms.CharField):
    """``xmin,ymin,xmax,ymax`` in degrees (longitude, latitude)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if not re.match(BBOX_PATTERN, value):
            raise forms.ValidationError(_("Give the box as four numbers: west,south,east,north (degrees)."))
        xmin, ymin, xmax, ymax = (float(part) for part in value.split(","))
        if not (xmin < xmax and ymin < ymax):
            raise forms.ValidationError(
                _("The box must have west < east within ±180 and south < north within ±90.")
            )
        return Polygon.from_bbox((xmin, ymin, xmax, ymax))


# ``near``/``within_m``: metres from the point when no distance is given, and the most allowed.
NEAR_DEFAULT_M = 5000
NEAR_MAX_M = 500_000


class PointField(forms.CharField):
    """``lon,lat`` in degrees."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        value = value.strip()
        # As the schema says (LON_LAT_PATTERN): plain decimal degrees, no exponents, nan or inf.
        if not re.match(r"^-?\d+(\.\d+)?,\s*-?\d+(\.\d+)?$", value):
            raise forms.ValidationError(
                _("Give the point as longitude,latitude in degrees, e.g. 47.09,39.40.")
            )
        lon, lat = (float(part) for part in value.split(","))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise forms.ValidationError(_("Longitude must be within ±180 and latitude ±90."))
        return Point(lon, lat, srid=4326)


class DistanceField(forms.CharField):
    """Metres, above 0 and at most ``NEAR_MAX_M``."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            metres = float(value)
        except ValueError:
            metres = -1
        if not (0 < metres <= NEAR_MAX_M):  # also rejects nan and inf
            raise forms.ValidationError(
                _("Give a distance in metres, above 0 and at most %(max)d.") % {"max": NEAR_MAX_M}
            )
        return metres


@extend_schema_field({"type": "string", "pattern": LON_LAT_PATTERN, "example": "47.09,39.40"})
class NearFilter(django_filters.Filter):
    """Kəhriz whose outlet lies within ``within_m`` metres (default 5 km) of a point, annotated
    with their ``distance`` (for ``ordering=distance``)."""

    field_class = PointField

    def filter(self, qs, value):
        if value is None:
            return qs
        from projects.services import near

        within = self.parent.form.cleaned_data.get("within_m") or NEAR_DEFAULT_M
        # Not a kəhriz without an outlet: SpatiaLite's geodetic Distance of a NULL comes back as 0.
        return near(qs.filter(outlet__isnull=False), value, within)


@extend_schema_field({"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": NEAR_MAX_M})
class WithinFilter(django_filters.Filter):
    """The distance of ``near``: read by NearFilter, no filter of its own."""

    field_class = DistanceField

    def filter(self, qs, value):
        return qs


@extend_schema_field({"type": "integer", "minimum": 1900, "maximum": 2100})
class YearFilter(django_filters.NumberFilter):
    """A year from 1900 to 2100, as the schema says."""


@extend_schema_field({"type": "string", "pattern": BBOX_PATTERN, "example": "46.5,39.2,47.5,40.9"})
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField

    def filter(self, qs, value):
        if value is None:
            return qs
        value.srid = 4326
        return qs.filter(**{f"{self.field_name}__intersects": value})


# A slug or a code, as the models' SlugFields take them (Django's validate_slug).
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """Records chosen by slug or code, repeatable (``?district=a&district=b``). One that names no
    record is a 400 that says so (the map page shows it), not an empty answer."""


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})
class CodeFilter(django_filters.ModelChoiceFilter):
    """A record chosen by its code; one that names no record is a 400."""


class FilterForm(forms.Form):
    """A filter form that can say what went wrong by each filter's translated label ("Handed over
    in (year): Enter a number."), never by its parameter name (``handed_over_year``): for the map
    page's notice and the map layer's 400s, read by people rather than programs."""

    def _labelled(self, name, message):
        field = self.fields.get(name)
        if field is None or not field.label:
            return message
        return gettext("%(label)s: %(message)s") % {"label": field.label, "message": message}

    def labelled_errors(self):
        """{parameter: [{"message": "Label: message", "code": …}, …]} for every filter that was not
        understood: the shape of ``errors.get_json_data()``, each message named by its label."""
        return {
            name: [{**error, "message": self._labelled(name, error["message"])} for error in errors]
            for name, errors in self.errors.get_json_data().items()
        }

    def labelled_messages(self):
        """Every message of ``labelled_errors``, in one list."""
        return [error["message"] for errors in self.labelled_errors().values() for error in errors]


class StrictBooleanWidget(django_filters.widgets.BooleanWidget):
    """true/false/1/0 as booleans; anything else passed on as typed, for the field to refuse."""

    def value_from_datadict(self, data, files, name):
        raw = data.get(name, None)
        value = super().value_from_datadict(data, files, name)
        if value is None and isinstance(raw, str) and raw.strip():
            return raw
        return value


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictBooleanWidget

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return super().to_python(value)


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that refuses what is neither (``?is_programme=2000`` was read as no
    filter at all, and answered every row)."""

    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    """Every list's FilterSet: yes/no fields generated from the model are strict too.

    An empty parameter is no filter, as for every other filter (and as the schema says with
    ``allowEmptyValue``): ``?status=`` means "any status", the way an HTML form sends it, for the
    repeatable filters too (which would otherwise refuse "" as not one of their choices)."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            repeatable = [
                name
                for name, filter_ in self.base_filters.items()
                if isinstance(filter_, django_filters.MultipleChoiceFilter) and name in data
            ]
            if repeatable:
                data = data.copy()
                for name in repeatable:
                    data.setlist(name, [value for value in data.getlist(name) if value])
        super().__init__(data, *args, **kwargs)


class KehrizFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        help_text=_("Name, code, village or district; Azerbaijani letters are optional."),
    )
    district = SlugsFilter(
        label=_("District"),
        field_name="district__slug",
        to_field_name="slug",
        queryset=District.objects.programme(),
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Restoration status"), choices=Status.choices, widget=forms.CheckboxSelectMultiple
    )
    functionality = django_filters.MultipleChoiceFilter(
        label=_("Functionality"), choices=Functionality.choices, widget=forms.CheckboxSelectMultiple
    )
    project = CodeFilter(
        label=_("Project"),
        to_field_name="code",
        queryset=Project.objects.all(),
        method="filter_project",
    )
    donor = django_filters.CharFilter(label=_("Donor"), method="filter_donor")
    handed_over_year = YearFilter(
        label=_("Handed over in (year)"), method="filter_handed_over_year", min_value=1900, max_value=2100
    )
    in_bbox = BBoxFilter(label=_("Within box"), field_name="outlet")
    visited = django_filters.DateFromToRangeFilter(label=_("Last visited"), field_name="last_visit_on")
    near = NearFilter(
        label=_("Near (longitude,latitude)"),
        help_text=_("lon,lat: with within_m, kəhriz near a point"),
    )
    within_m = WithinFilter(label=_("Within (metres)"), help_text=_("metres from `near` (default 5000)"))

    class Meta:
        model = Kehriz
        fields = ["q", "district", "status", "functionality", "project", "donor", "handed_over_year"]
        form = FilterForm

    def filter_text(self, queryset, name, value):
        return queryset.search(value)

    def filter_project(self, queryset, name, value):
        if not value:
            return queryset
        through = Kehriz.projects.through.objects.filter(kehriz=OuterRef("pk"), project=value)
        return queryset.filter(Exists(through))

    def filter_donor(self, queryset, name, value):
        words = fold(value).split()
        if not words:
            return queryset
        projects = Project.objects.all()
        for word in words:
            projects = projects.filter(search_text__contains=word)
        through = Kehriz.projects.through.objects.filter(kehriz=OuterRef("pk"), project__in=projects)
        return queryset.filter(Exists(through))

    def filter_handed_over_year(self, queryset, name, value):
        if value is None:
            return queryset
        events = StatusEvent.objects.filter(
            kehriz=OuterRef("pk"), to_status=Status.HANDED_OVER, changed_on__year=int(value)
        )
        return queryset.filter(Exists(events))


def map_filter_data(query_dict):
    """The public map's filters: what the URL says, with restored and handed-over kəhriz as the
    default when it says nothing about status."""
    data = query_dict.copy()
    if "status" not in data:
        data.setlist("status", list(DEFAULT_STATUSES))
    return data


def _folded(fields):
    """A filter method (django-filter calls a callable as ``method(queryset, name, value)``)."""

    def method(queryset, name, value):
        from projects.search import folded_filter

        return folded_filter(queryset, value, fields)

    return method


class DistrictFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=_folded(["search_text"]))
    is_programme = StrictBooleanFilter(label=_("Programme district"))

    class Meta:
        model = District
        fields = ["q", "is_programme"]


class VillageFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=_folded(["search_text", "district__search_text"]))
    district = django_filters.CharFilter(label=_("District (slug)"), field_name="district__slug")
    is_idp_settlement = StrictBooleanFilter(label=_("IDP settlement"))

    class Meta:
        model = Village
        fields = ["q", "district", "is_idp_settlement"]


class ProjectFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=_folded(["search_text"]))

    class Meta:
        model = Project
        fields = ["q"]


# Ids are 64-bit (BigAutoField): a larger number cannot be an id, and the database cannot take it
# (SQLite raises OverflowError, PostgreSQL an out-of-range bigint).
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A record's id: a whole number from 1 to ``MAX_ID``; anything else is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _KehrizScoped(StrictFilterSet):
    """Filters shared by the lists that hang off a kəhriz."""

    kehriz_path = "kehriz"
    district = django_filters.CharFilter(label=_("District (slug)"), method="filter_district")
    kehriz = IdFilter(label=_("Kəhriz (id)"), method="filter_kehriz")

    def filter_district(self, queryset, name, value):
        return queryset.filter(**{f"{self.kehriz_path}__district__slug": value})

    def filter_kehriz(self, queryset, name, value):
        return queryset.filter(**{f"{self.kehriz_path}__id": value})


class StatusEventFilterSet(_KehrizScoped):
    to_status = django_filters.MultipleChoiceFilter(label=_("New status"), choices=Status.choices)
    changed = django_filters.DateFromToRangeFilter(label=_("Date"), field_name="changed_on")

    class Meta:
        model = StatusEvent
        fields = ["kehriz", "district", "to_status", "is_correction", "changed"]


class WorkFilterSet(_KehrizScoped):
    project = django_filters.CharFilter(label=_("Project (code)"), field_name="project__code")
    started = django_filters.DateFromToRangeFilter(label=_("Start date"), field_name="start_date")

    class Meta:
        model = RestorationWork
        fields = ["kehriz", "district", "project", "done_by", "started"]


class ObservationFilterSet(_KehrizScoped):
    functionality = django_filters.MultipleChoiceFilter(
        label=_("Functionality"), choices=Functionality.choices
    )
    # Like ``kehriz``: a visit's id; one that names no visit finds nothing (it was a 400 that said
    # "not one of the available choices", and the schema could not say which ids are).
    visit = IdFilter(label=_("Visit (id)"), field_name="visit")
    observed = django_filters.DateFromToRangeFilter(label=_("Observed"), field_name="observed_on")

    class Meta:
        model = Observation
        fields = ["kehriz", "district", "visit", "functionality", "observed", "needs_review"]


class VisitFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=_folded(["search_text"]))
    district = django_filters.CharFilter(label=_("District (slug)"), method="filter_district")
    kehriz = IdFilter(label=_("Kəhriz (id)"), method="filter_kehriz")
    started = django_filters.DateFromToRangeFilter(label=_("Start date"), field_name="start_date")

    class Meta:
        model = MonitoringVisit
        fields = ["q", "district", "kehriz", "started", "uuid", "is_synthetic"]

    def filter_district(self, queryset, name, value):
        inside = Observation.objects.filter(visit=OuterRef("pk"), kehriz__district__slug=value)
        return queryset.filter(Exists(inside))

    def filter_kehriz(self, queryset, name, value):
        return queryset.filter(Exists(Observation.objects.filter(visit=OuterRef("pk"), kehriz_id=value)))


class FollowUpFilterSet(_KehrizScoped):
    kehriz_path = "observation__kehriz"
    overdue = StrictBooleanFilter(label=_("Overdue"), method="filter_overdue")
    due = django_filters.DateFromToRangeFilter(label=_("Due date"), field_name="due_date")

    class Meta:
        model = FollowUp
        fields = ["kehriz", "district", "done", "overdue", "due"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        overdue = Q(done=False, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class PhotoFilterSet(StrictFilterSet):
    # Like ``kehriz`` on the other lists: an observation's id; one that names none finds nothing.
    observation = IdFilter(label=_("Observation (id)"), field_name="observation")

    class Meta:
        model = Photo
        fields = ["observation"]
