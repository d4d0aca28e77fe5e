"""Projects and the figures they report."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from projects.admin.common import (
    FoldedSearchMixin,
    count_of,
)
from projects.admin.concurrency import ConcurrentEditMixin
from projects.admin.history import HistoryAdmin
from projects.admin.trash import RefusesDeleteWhileUsedMixin
from projects.models import (
    Kehriz,
    Project,
    ReportedFigure,
)


class ReportedFigureInline(admin.StackedInline):
    model = ReportedFigure
    extra = 0
    autocomplete_fields = ["districts"]


@admin.register(Project)
class ProjectAdmin(
    RefusesDeleteWhileUsedMixin, ConcurrentEditMixin, FoldedSearchMixin, HistoryAdmin, admin.ModelAdmin
):
    used_by = ["kehrizes", "reported_figures", "works"]
    list_display = ["name", "code", "donor", "implementing_agency", "start_date", "end_date", "kehriz_count"]
    list_filter = ["donor", "implementing_agency"]
    search_fields = ["name_az", "name_en"]
    autocomplete_fields = ["districts"]
    inlines = [ReportedFigureInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(kehriz_total=count_of(Kehriz.projects.through.objects.all(), "project"))
        )

    @admin.display(description=_("kəhriz"), ordering="kehriz_total")
    def kehriz_count(self, obj):
        return obj.kehriz_total


@admin.register(ReportedFigure)
class ReportedFigureAdmin(ConcurrentEditMixin, FoldedSearchMixin, HistoryAdmin, admin.ModelAdmin):
    list_display = ["indicator", "value", "project", "as_of", "source"]
    list_filter = ["indicator", "project"]
    list_select_related = ["project"]
    search_fields = ["project__name_az", "source"]
    autocomplete_fields = ["project", "districts"]
