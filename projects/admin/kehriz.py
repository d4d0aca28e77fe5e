"""Kəhriz, their status history and restoration works."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from leaflet.admin import LeafletGeoAdmin

from projects import exports, roles, services
from projects.admin.common import (
    ChangedYearFilter,
    DistrictScopedMixin,
    FoldedSearchMixin,
    KehrizDistrictFilter,
    ProgrammeDistrictFilter,
    limit_to_officer_districts,
)
from projects.admin.concurrency import ConcurrentEditMixin
from projects.admin.history import HistoryAdmin
from projects.admin.imports import SpreadsheetImportMixin
from projects.admin.trash import TrashesDeletesMixin
from projects.forms import StatusChangeForm
from projects.models import (
    District,
    Kehriz,
    RestorationWork,
    StatusEvent,
    Village,
)
from projects.views.dashboard import NOT_VISITED_DAYS


class StatusEventInline(admin.TabularInline):
    """The status history: read-only; changes go through the "change status" action."""

    model = StatusEvent
    extra = 0
    can_delete = False
    fields = ["changed_on", "from_status", "to_status", "is_correction", "note", "changed_by"]
    readonly_fields = fields
    ordering = ["changed_on", "created_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class RestorationWorkInline(admin.StackedInline):
    model = RestorationWork
    extra = 0
    autocomplete_fields = ["project"]
    fields = [
        ("project", "done_by", "team_name"),
        ("start_date", "end_date"),
        ("gallery_cleaned_m", "shafts_rehabilitated", "rings_installed"),
        ("cost", "currency"),
        "description",
    ]


class NotVisitedFilter(admin.SimpleListFilter):
    """Kəhriz never visited or last visited before a date (the dashboard's "not visited in the
    last 90 days" links here with that date)."""

    title = _("last visit")
    parameter_name = "not_visited_since"
    days = NOT_VISITED_DAYS

    def lookups(self, request, model_admin):
        cutoff = timezone.localdate() - datetime.timedelta(days=self.days)
        choices = [(cutoff.isoformat(), _("not in the last %(days)d days") % {"days": self.days})]
        if self.value() and self.value() != choices[0][0]:
            choices.append((self.value(), _("not since %(date)s") % {"date": self.value()}))
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            since = datetime.date.fromisoformat(self.value())
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        return queryset.filter(Q(last_visit_on__isnull=True) | Q(last_visit_on__lt=since))


@admin.register(Kehriz)
class KehrizAdmin(
    TrashesDeletesMixin,
    ConcurrentEditMixin,
    SpreadsheetImportMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    HistoryAdmin,
    LeafletGeoAdmin,
):
    import_kind = "kehriz"
    list_display = [
        "name",
        "code",
        "village",
        "district",
        "status",
        "functionality",
        "last_visit_on",
        "last_discharge_lps",
        "location_needs_review",
    ]
    list_filter = [
        ProgrammeDistrictFilter,
        "status",
        "functionality",
        "projects",
        "location_needs_review",
        "is_synthetic",
        NotVisitedFilter,
    ]
    list_select_related = ["village__district", "district"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["village", "district", "projects"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_places()

    inlines = [StatusEventInline, RestorationWorkInline]
    actions = [
        "change_status_action",
        "export_csv",
        "export_xlsx",
        "export_geojson",
        "export_kml",
        "export_gpkg",
    ]
    readonly_fields = [
        "status_changed_on",
        "functionality",
        "last_visit_on",
        "last_discharge_lps",
        "distance_outside_district_m",
        "location_needs_review",
        "is_synthetic",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["name", "code", "village", "district", "projects", "status", "status_changed_on"]},
        ),
        (
            _("Location"),
            {
                "fields": [
                    "outlet",
                    "mother_well",
                    "route",
                    "location_is_approximate",
                    "location_source",
                    "distance_outside_district_m",
                    "location_needs_review",
                ]
            },
        ),
        (_("Gallery"), {"fields": ["gallery_length_m", "shaft_count", "mother_well_depth_m"]}),
        (
            _("Who it serves"),
            {
                "fields": [
                    ("use_drinking", "use_irrigation", "use_livestock"),
                    ("households_served", "people_served", "idp_households_served"),
                    "irrigated_area_ha",
                    "figures_are_approximate",
                ]
            },
        ),
        (
            _("Water user committee"),
            {
                "fields": [
                    "committee_name",
                    ("committee_members", "committee_women"),
                    "committee_chair_is_woman",
                ]
            },
        ),
        (
            _("Current state (from visits)"),
            {"fields": ["functionality", "last_visit_on", "last_discharge_lps"]},
        ),
        (_("Notes and source"), {"fields": ["notes", "source", "is_published", "is_synthetic"]}),
    ]

    def district_ids_of(self, obj):
        return {obj.district_id}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not roles.is_field_officer(request.user):
            return form
        allowed = roles.district_ids(request.user)

        class OfficerForm(form):
            def _post_clean(self):
                super()._post_clean()
                # The district may be derived from the outlet: check the result, not the input.
                if self.instance.district_id and self.instance.district_id not in allowed:
                    self.add_error(
                        "outlet" if self.cleaned_data.get("outlet") else "district",
                        _("This location is in %(district)s, outside your districts.")
                        % {"district": self.instance.district},
                    )

        return OfficerForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None and roles.can_edit_everything(request.user):
            # Recording the past: a data manager gives a new kəhriz the status it has had since when.
            readonly.remove("status_changed_on")
        if obj is not None:
            # After creation the status changes only through the recorded "change status" action.
            readonly.append("status")
        if obj is not None and obj.route:
            readonly.append("gallery_length_m")
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            kwargs = limit_to_officer_districts(request, "district", kwargs, District.objects.all(), "pk")
        if db_field.name == "village":
            kwargs = limit_to_officer_districts(
                request, "village", kwargs, Village.objects.with_district(), "district"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete on a visit's observation: a field officer picks only their own kəhriz.
        if request.GET.get("model_name") == "observation" and roles.is_field_officer(request.user):
            queryset = queryset.filter(district__in=roles.district_ids(request.user))
        return queryset, may_have_duplicates

    def get_changeform_initial_data(self, request):
        return {"status_changed_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.record_initial_status(kehriz=obj, user=request.user, on_date=obj.status_changed_on)

    # The status action: an intermediate page with the new status, date and reason.

    def get_urls(self):
        return [
            path(
                "change-status/",
                self.admin_site.admin_view(self.change_status_view),
                name="projects_kehriz_change_status",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Change restoration status"), permissions=["change"])
    def change_status_action(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:projects_kehriz_change_status')}?ids={ids}")

    # Exports of the selected kəhriz, in the formats of the public export (projects.exports).

    def _export(self, queryset, fmt, kind="kehriz"):
        response = HttpResponse(exports.render(fmt, kind, queryset), content_type=exports.FORMATS[fmt])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="kehriz-{stamp}.{fmt}"'
        return response

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    @admin.action(description=_("Export selected as XLSX (all sheets)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx", "all")

    @admin.action(description=_("Export selected as GeoJSON"), permissions=["view"])
    def export_geojson(self, request, queryset):
        return self._export(queryset, "geojson")

    @admin.action(description=_("Export selected as KML"), permissions=["view"])
    def export_kml(self, request, queryset):
        return self._export(queryset, "kml")

    @admin.action(description=_("Export selected as GeoPackage"), permissions=["view"])
    def export_gpkg(self, request, queryset):
        return self._export(queryset, "gpkg")

    def change_status_view(self, request):
        try:
            ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk]
        except ValueError:
            ids = []
        kehrizes = list(Kehriz.objects.filter(pk__in=ids).select_related("district"))
        if not kehrizes:
            messages.warning(request, _("Choose at least one kəhriz."))
            return HttpResponseRedirect(reverse("admin:projects_kehriz_changelist"))
        if not all(self.has_change_permission(request, k) for k in kehrizes):
            raise PermissionDenied
        form = StatusChangeForm(
            request.POST or None, kehrizes=kehrizes, allow_backdated=roles.can_edit_everything(request.user)
        )
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    for kehriz in kehrizes:
                        try:
                            services.change_status(
                                kehriz=kehriz,
                                to_status=form.cleaned_data["to_status"],
                                on_date=form.cleaned_data["on_date"],
                                user=request.user,
                                note=form.cleaned_data["note"],
                                correction=form.cleaned_data["correction"],
                                backdated=form.cleaned_data.get("backdated", False),
                            )
                        except ValidationError as error:
                            for field, problems in error.message_dict.items():
                                for problem in problems:
                                    form.add_error(
                                        field if field in form.fields else None,
                                        f"{kehriz.name}: {problem}",
                                    )
                            raise
            except ValidationError:
                # Nothing was written: show the statuses as they really are.
                kehrizes = list(Kehriz.objects.filter(pk__in=ids).select_related("district"))
            else:
                self.message_user(
                    request,
                    ngettext(
                        "The status of %(count)d kəhriz was changed.",
                        "The status of %(count)d kəhriz was changed.",
                        len(kehrizes),
                    )
                    % {"count": len(kehrizes)},
                    messages.SUCCESS,
                )
                if len(kehrizes) == 1:
                    return HttpResponseRedirect(
                        reverse("admin:projects_kehriz_change", args=[kehrizes[0].pk])
                    )
                return HttpResponseRedirect(reverse("admin:projects_kehriz_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Change restoration status"),
            "form": form,
            "kehrizes": kehrizes,
        }
        return TemplateResponse(request, "admin/projects/kehriz/change_status.html", context)


@admin.register(StatusEvent)
class StatusEventAdmin(SpreadsheetImportMixin, FoldedSearchMixin, admin.ModelAdmin):
    """The history, for reading and filtering; new events come from the status action, and past
    ones from the status-history import (data managers: recording the past)."""

    import_kind = "status_history"

    def has_import_permission(self, request):
        return request.user.is_active and roles.can_edit_everything(request.user)

    list_display = ["kehriz", "changed_on", "from_status", "to_status", "is_correction", "changed_by"]
    list_filter = ["to_status", "is_correction", KehrizDistrictFilter, ChangedYearFilter]
    list_select_related = ["kehriz", "changed_by"]
    # Newest first, walked on its index (the model's order, by kəhriz name, sorts every event).
    ordering = ["-changed_on", "-id"]
    search_fields = ["kehriz__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RestorationWork)
class RestorationWorkAdmin(
    ConcurrentEditMixin, FoldedSearchMixin, DistrictScopedMixin, HistoryAdmin, admin.ModelAdmin
):
    list_display = [
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
    ]
    list_filter = ["done_by", "project", KehrizDistrictFilter]
    list_select_related = ["kehriz", "project"]
    autocomplete_fields = ["kehriz", "project"]
    search_fields = ["kehriz__name", "project__name_az", "team_name"]

    def district_ids_of(self, obj):
        return {obj.kehriz.district_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "kehriz":
            kwargs = limit_to_officer_districts(request, "kehriz", kwargs, Kehriz.objects.all(), "district")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
