"""What every admin list shares: the folded search, the counts without fan-out, the district
filters and the field officers' scope."""

import datetime

from django.contrib import admin
from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from projects import roles
from projects.models import (
    District,
    Observation,
)


class FoldedSearchMixin:
    """Admin search, and the autocompletes that search this list, through the model's
    ``search()`` queryset method (``projects.search.folded_filter``), which folds Azerbaijani
    letters and case: Cabrayil, cebrayil and CƏBRAYIL all find Cəbrayıl. ``search_fields`` only
    make Django show the search box and allow autocompletes; ``search()`` decides what matches."""

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False


def count_of(queryset, field):
    """How many rows of ``queryset`` point at the outer row through ``field``, as a correlated
    subquery. A ``Count`` over a join would multiply the outer rows (50,000 kəhriz × the villages of
    a district) and group them by every column, boundary included, before counting.

    The subquery is ``SELECT COUNT(*) … WHERE field = outer.pk`` with no GROUP BY, so it always
    answers one row (0 when none) and needs no Coalesce: a Coalesce would be grouped by itself
    when the outer query also aggregates, and then run once per joined row."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().annotate(n=Func("pk", function="COUNT"))
    return Subquery(counted.values("n"), output_field=IntegerField())


class ProgrammeDistrictFilter(admin.SimpleListFilter):
    """District filter listing only the districts that hold records, not all 79 rayons."""

    title = _("district")
    parameter_name = "district"
    district_path = "district"

    def lookups(self, request, model_admin):
        return [(d.pk, d.name_az) for d in District.objects.programme().only("pk", "name_az")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.district_path}__pk": self.value()})
        return queryset


class ChangedYearFilter(admin.SimpleListFilter):
    """The year a status changed, newest first: the years from the first to the last change,
    each read from the date index (two one-row queries). Django's date hierarchy would list the
    years with a DISTINCT over every event, which SQLite computes in Python row by row."""

    title = _("year")
    parameter_name = "year"
    field = "changed_on"

    def lookups(self, request, model_admin):
        dates = model_admin.model._base_manager.exclude(**{self.field: None})
        dates = dates.values_list(self.field, flat=True)
        first, last = dates.order_by(self.field).first(), dates.order_by(f"-{self.field}").first()
        if first is None:
            return []
        return [(str(year), str(year)) for year in range(last.year, first.year - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            year = int(self.value())
        except ValueError:
            return queryset.none()
        if not datetime.MINYEAR <= year < datetime.MAXYEAR:
            return queryset.none()
        start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
        return queryset.filter(**{f"{self.field}__gte": start, f"{self.field}__lt": end})


class KehrizDistrictFilter(ProgrammeDistrictFilter):
    district_path = "kehriz__district"


class VisitDistrictFilter(ProgrammeDistrictFilter):
    def queryset(self, request, queryset):
        # Through a subquery: a join on observations would repeat a visit once per observation.
        if self.value():
            in_district = Observation.objects.filter(kehriz__district__pk=self.value()).values("visit")
            return queryset.filter(pk__in=in_district)
        return queryset


class FollowUpDistrictFilter(ProgrammeDistrictFilter):
    district_path = "observation__kehriz__district"


class DistrictScopedMixin:
    """Field officers change records only in their assigned districts; viewers change nothing.

    ``district_of(obj)`` names the district(s) an object belongs to."""

    def district_ids_of(self, obj):
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or roles.can_edit_everything(request.user):
            return True
        ids = self.district_ids_of(obj)
        return bool(ids) and ids <= roles.district_ids(request.user)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or roles.can_edit_everything(request.user):
            return True
        ids = self.district_ids_of(obj)
        return bool(ids) and ids <= roles.district_ids(request.user)


def limit_to_officer_districts(request, field_name, kwargs, queryset, path):
    """Offer a field officer only the choices in their own districts."""
    if roles.is_field_officer(request.user):
        kwargs["queryset"] = queryset.filter(**{f"{path}__in": roles.district_ids(request.user)})
    return kwargs
