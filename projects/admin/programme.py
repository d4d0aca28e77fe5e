"""Projects and the figures they report."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
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
    ResultIndicator,
    ResultPeriod,
)


class ReportedFigureInline(admin.StackedInline):
    model = ReportedFigure
    extra = 0
    autocomplete_fields = ["districts"]


class ResultPeriodFormSet(forms.BaseInlineFormSet):
    """Periods of one indicator may not overlap (one target per period), checked across the rows
    of the form, which the model's own check, one row at a time against the database, misses."""

    def clean(self):
        super().clean()
        periods = sorted(
            (form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("start")
            and form.cleaned_data.get("end")
        )
        for (_start, end), (next_start, _next_end) in zip(periods, periods[1:], strict=False):
            if next_start <= end:
                raise ValidationError(_("Two target periods overlap: one target per period."), code="overlap")


class ResultPeriodInline(admin.TabularInline):
    model = ResultPeriod
    formset = ResultPeriodFormSet
    extra = 1
    fields = ["start", "end", "target", "target_comment"]


@admin.register(ResultIndicator)
class ResultIndicatorAdmin(ConcurrentEditMixin, HistoryAdmin, admin.ModelAdmin):
    list_display = ["title", "project", "indicator", "baseline_value", "reports", "order"]
    list_filter = ["project", "indicator", "reports"]
    list_select_related = ["project"]
    search_fields = ["title_az", "title_en", "project__name_az", "project__name_en"]
    autocomplete_fields = ["project"]
    fields = [
        "project",
        "indicator",
        "title_az",
        "title_en",
        "description",
        ("baseline_value", "baseline_date"),
        "reports",
        "order",
    ]
    inlines = [ResultPeriodInline]


class ResultIndicatorInline(admin.TabularInline):
    model = ResultIndicator
    extra = 0
    fields = ["indicator", "title_az", "title_en", "baseline_value", "baseline_date", "reports", "order"]
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(
    RefusesDeleteWhileUsedMixin, ConcurrentEditMixin, FoldedSearchMixin, HistoryAdmin, admin.ModelAdmin
):
    used_by = ["kehrizes", "reported_figures", "works", "result_indicators"]
    list_display = ["name", "code", "donor", "implementing_agency", "start_date", "end_date", "kehriz_count"]
    list_filter = ["donor", "implementing_agency"]
    search_fields = ["name_az", "name_en"]
    autocomplete_fields = ["districts"]
    inlines = [ResultIndicatorInline, ReportedFigureInline]

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
