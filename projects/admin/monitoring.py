"""Monitoring visits, observations, the people met, follow-ups and photos."""

from django.conf import settings
from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, json_script
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdminMixin

from projects import roles, services
from projects.admin.common import (
    DistrictScopedMixin,
    FoldedSearchMixin,
    FollowUpDistrictFilter,
    KehrizDistrictFilter,
    VisitDistrictFilter,
    limit_to_officer_districts,
)
from projects.admin.concurrency import ConcurrentEditMixin
from projects.admin.history import HistoryAdmin
from projects.admin.imports import SpreadsheetImportMixin
from projects.admin.trash import TrashesDeletesMixin
from projects.models import (
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
)
from projects.photos import PhotoForm


class ObservationInline(admin.StackedInline):
    model = Observation
    extra = 0
    autocomplete_fields = ["kehriz"]
    show_change_link = True
    fields = [
        ("kehriz", "observed_on"),
        ("functionality", "discharge_lps", "discharge_method"),
        "works_progress",
        "findings",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kehriz")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "kehriz":
            kwargs = limit_to_officer_districts(request, "kehriz", kwargs, Kehriz.objects.all(), "district")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RefreshesKehrizMixin:
    """Keep each kəhriz's current functionality, last visit and discharge in step with its
    observations whenever the admin saves or deletes them."""

    def kehriz_ids_of(self, obj):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        before = self.kehriz_ids_of(form.instance) if change else set()
        super().save_related(request, form, formsets, change)
        services.refresh_current_state(before | self.kehriz_ids_of(form.instance))

    def delete_model(self, request, obj):
        ids = self.kehriz_ids_of(obj)
        super().delete_model(request, obj)
        services.refresh_current_state(ids)

    def delete_queryset(self, request, queryset):
        ids = set()
        for obj in queryset:
            ids |= self.kehriz_ids_of(obj)
        super().delete_queryset(request, queryset)
        services.refresh_current_state(ids)


@admin.register(MonitoringVisit)
class MonitoringVisitAdmin(
    TrashesDeletesMixin,
    ConcurrentEditMixin,
    RefreshesKehrizMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    HistoryAdmin,
    admin.ModelAdmin,
):
    list_display = ["title", "start_date", "end_date", "organisations", "kehriz_visited", "districts"]
    list_filter = [VisitDistrictFilter, "dates_are_approximate", "is_synthetic"]
    date_hierarchy = "start_date"
    search_fields = ["title"]
    inlines = [ObservationInline]
    readonly_fields = ["uuid", "recorded_by", "is_synthetic", "visit_map"]
    fields = [
        "title",
        ("start_date", "end_date", "dates_are_approximate"),
        "purpose",
        "organisations",
        "participants",
        "source",
        ("recorded_by", "uuid", "is_synthetic"),
        "visit_map",
    ]

    class Media:
        css = {"all": ["leaflet/leaflet.css", "projects/admin-visit-map.css"]}
        js = ["leaflet/leaflet.js", "projects/admin-visit-map.js"]

    @admin.display(description=_("map of the kəhriz visited"))
    def visit_map(self, obj):
        """The outlets of the kəhriz visited and where each observer stood, on one map."""
        if obj is None or obj.pk is None:
            return "-"
        features = []
        for observation in obj.observations.select_related("kehriz"):
            kehriz = observation.kehriz
            if kehriz.outlet is not None:
                features.append(
                    {"kind": "outlet", "name": kehriz.name, "lat": kehriz.outlet.y, "lng": kehriz.outlet.x}
                )
            if observation.observer_location is not None:
                point = observation.observer_location
                features.append(
                    {
                        "kind": "observer",
                        "name": gettext("observer at %(kehriz)s") % {"kehriz": kehriz.name},
                        "lat": point.y,
                        "lng": point.x,
                    }
                )
        if not features:
            return gettext("No kəhriz with a known outlet on this visit yet.")
        return format_html(
            '<div id="visit-map" class="visit-map" role="img" aria-label="{}" data-tiles="{}" '
            'data-attribution="{}"></div>{}',
            gettext("Map of the kəhriz visited"),
            settings.MAP_TILES_URL,
            settings.MAP_TILES_ATTRIBUTION,
            json_script(features, "visit-map-data"),
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "observations",
                    queryset=Observation.objects.select_related("kehriz__district").only(
                        "visit_id", "kehriz__name", "kehriz__district__name_az"
                    ),
                )
            )
        )

    def kehriz_ids_of(self, obj):
        return set(Observation.objects.filter(visit=obj).values_list("kehriz_id", flat=True))

    def district_ids_of(self, obj):
        ids = set(obj.observations.values_list("kehriz__district_id", flat=True))
        # A visit with no observation yet belongs to whoever recorded it.
        if not ids and obj.recorded_by_id is not None:
            return roles.district_ids(obj.recorded_by)
        return ids

    @admin.display(description=_("kəhriz visited"))
    def kehriz_visited(self, obj):
        return ", ".join(o.kehriz.name for o in obj.observations.all())

    @admin.display(description=_("districts"))
    def districts(self, obj):
        return ", ".join(sorted({o.kehriz.district.short_name for o in obj.observations.all()}))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class PersonMetInline(admin.TabularInline):
    model = PersonMet
    extra = 0


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


class PhotoInline(admin.TabularInline):
    model = Photo
    form = PhotoForm  # uploads checked and re-encoded as in the API (projects/photos.py)
    extra = 0
    fields = ["image", "preview", "caption", "taken_at"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj.pk and obj.image:
            return format_html('<img src="{}" alt="" style="max-height:80px">', obj.get_absolute_url())
        return ""


@admin.register(Observation)
class ObservationAdmin(
    TrashesDeletesMixin,
    ConcurrentEditMixin,
    SpreadsheetImportMixin,
    RefreshesKehrizMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    LeafletGeoAdminMixin,
    HistoryAdmin,
    admin.ModelAdmin,
):
    import_kind = "observations"
    list_display = [
        "kehriz",
        "visit",
        "observed_on",
        "functionality",
        "discharge_lps",
        "discharge_method",
        "needs_review",
    ]
    # By date through a list filter rather than a date hierarchy: the hierarchy lists the distinct
    # years of every observation on each page, the slowest part of this list at 100,000 rows.
    list_filter = ["observed_on", "functionality", KehrizDistrictFilter, "discharge_method", "needs_review"]
    list_select_related = ["kehriz", "visit"]
    # Newest first, by the date index alone: the model's ordering also sorts by kəhriz name, which
    # makes the database sort every observation to show the first page.
    ordering = ["-observed_on", "-id"]
    search_fields = ["kehriz__name", "visit__title"]
    autocomplete_fields = ["kehriz", "visit"]
    readonly_fields = ["needs_review", "review_note"]
    inlines = [PersonMetInline, FollowUpInline, PhotoInline]

    class Media:
        css = {"all": ["projects/admin-tabular.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kehriz", "visit")

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete on a follow-up's or photo's observation: a field officer picks only
        # observations of kəhriz in their own districts.
        if request.GET.get("model_name") in ("followup", "photo") and roles.is_field_officer(request.user):
            queryset = queryset.filter(kehriz__district__in=roles.district_ids(request.user))
        return super().get_search_results(request, queryset, search_term)

    def kehriz_ids_of(self, obj):
        ids = {obj.kehriz_id} if obj.kehriz_id else set()
        if obj.pk:
            ids |= set(Observation.objects.filter(pk=obj.pk).values_list("kehriz_id", flat=True))
        return ids

    def save_model(self, request, obj, form, change):
        # Remember the kəhriz it was about before the save, so both are refreshed if it moved.
        stored = form.initial.get("kehriz") if change else None
        super().save_model(request, obj, form, change)
        if stored and stored != obj.kehriz_id:
            services.refresh_current_state([stored])

    def district_ids_of(self, obj):
        return {obj.kehriz.district_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "kehriz":
            kwargs = limit_to_officer_districts(request, "kehriz", kwargs, Kehriz.objects.all(), "district")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OnObservationMixin:
    """Follow-ups and photos: in a field officer's districts through their observation's kəhriz,
    and offered only such observations."""

    def district_ids_of(self, obj):
        return {obj.observation.kehriz.district_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "observation":
            kwargs = limit_to_officer_districts(
                request, "observation", kwargs, Observation.objects.all(), "kehriz__district"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(FollowUp)
class FollowUpAdmin(
    OnObservationMixin,
    ConcurrentEditMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    HistoryAdmin,
    admin.ModelAdmin,
):
    list_display = ["action", "kehriz", "responsible", "due_date", "done", "done_on"]
    list_filter = ["done", FollowUpDistrictFilter]
    list_select_related = ["observation__kehriz"]
    search_fields = ["action", "observation__kehriz__name"]
    autocomplete_fields = ["observation"]

    @admin.display(description=_("kəhriz"), ordering="observation__kehriz__name")
    def kehriz(self, obj):
        return obj.observation.kehriz.name


@admin.register(Photo)
class PhotoAdmin(
    TrashesDeletesMixin,
    OnObservationMixin,
    ConcurrentEditMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    HistoryAdmin,
    admin.ModelAdmin,
):
    form = PhotoForm
    list_display = ["__str__", "observation", "taken_at"]
    list_select_related = ["observation__kehriz"]
    # The latest photos first, walked on the primary key: the model's order (by observation date,
    # then kəhriz name) would read every observation to find the photos' page.
    ordering = ["-id"]
    search_fields = ["caption", "observation__kehriz__name"]
    autocomplete_fields = ["observation"]
