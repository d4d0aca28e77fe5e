"""Districts and villages."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from projects.admin.common import (
    FoldedSearchMixin,
    ProgrammeDistrictFilter,
    count_of,
)
from projects.admin.concurrency import ConcurrentEditMixin
from projects.admin.history import HistoryAdmin
from projects.admin.imports import SpreadsheetImportMixin
from projects.admin.trash import RefusesDeleteWhileUsedMixin
from projects.models import (
    District,
    Village,
)


@admin.register(District)
class DistrictAdmin(RefusesDeleteWhileUsedMixin, FoldedSearchMixin, HistoryAdmin, LeafletGeoAdmin):
    used_by = ["kehrizes", "villages", "projects", "reported_figures"]
    list_display = ["name_az", "name_en", "is_programme", "kehriz_count", "village_count"]
    list_filter = ["is_programme"]
    search_fields = ["name_az"]
    autocomplete_fields = ["officers"]
    readonly_fields = ["osm_id"]
    fields = ["name_az", "name_en", "slug", "aliases", "is_programme", "officers", "osm_id", "boundary"]
    prepopulated_fields = {"slug": ["name_az"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", None) or ""
        if url_name.endswith("_changelist") or url_name == "autocomplete":
            # Lists and autocompletes never show the boundaries (large multipolygons).
            queryset = queryset.defer("boundary")
        if url_name.endswith("_changelist"):
            # The kəhriz by one join and a hash aggregate (one pass over the kəhriz, whatever the
            # planner thinks of each district's share); the villages, a second table that a join
            # would multiply with the kəhriz, by a correlated subquery on their district index.
            queryset = queryset.annotate(
                kehriz_total=Count("kehrizes"),
                village_total=count_of(Village.objects.all(), "district"),
            )
        return queryset

    @admin.display(description=_("kəhriz"), ordering="kehriz_total")
    def kehriz_count(self, obj):
        return obj.kehriz_total

    @admin.display(description=_("villages"), ordering="village_total")
    def village_count(self, obj):
        return obj.village_total


@admin.register(Village)
class VillageAdmin(
    ConcurrentEditMixin, SpreadsheetImportMixin, FoldedSearchMixin, HistoryAdmin, LeafletGeoAdmin
):
    import_kind = "villages"
    list_display = ["name", "district", "is_idp_settlement", "has_location", "location_is_approximate"]
    list_filter = [ProgrammeDistrictFilter, "is_idp_settlement", "location_is_approximate"]
    list_select_related = ["district"]
    search_fields = ["name"]
    autocomplete_fields = ["district"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_district()

    @admin.display(description=_("location known"), boolean=True)
    def has_location(self, obj):
        return obj.location is not None
