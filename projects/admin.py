"""The data-entry tool for field staff and data managers."""

import datetime
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Func, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin, LeafletGeoAdminMixin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from projects import exports, imports, roles, services
from projects.forms import StatusChangeForm
from projects.models import (
    District,
    FollowUp,
    Kehriz,
    MonitoringVisit,
    Observation,
    PersonMet,
    Photo,
    Project,
    ReportedFigure,
    RestorationWork,
    StatusEvent,
    Village,
)
from projects.photos import PhotoForm
from projects.views.dashboard import NOT_VISITED_DAYS

admin.site.site_header = _("Kəhriz: restoration data")
admin.site.site_title = _("Kəhriz")
admin.site.index_title = _("Data entry")


class DataManagerLoginForm(AdminAuthenticationForm):
    """The admin's login. Someone whose name and password are right but who has no staff status
    (a field officer) is told that the admin is for data managers and sent to the field app,
    rather than that the password is wrong."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # an inactive account stays refused
        if not user.is_staff:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext(
                        "Your name and password are right, but the admin is for data managers only. "
                        "Field officers record their visits in the field app."
                    ),
                    reverse("projects:field"),
                    gettext("Open the field app"),
                ),
                code="not_staff",
            )


admin.site.login_form = DataManagerLoginForm


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


# --- Spreadsheet imports -------------------------------------------------------------------------

IMPORT_SESSION_KEY = "spreadsheet_imports"
IMPORT_KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("A CSV (UTF-8) or XLSX file with the columns of the template."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(imports.EXTENSIONS):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        # Refused before it is read (projects/imports.py checks the rest: IMPORT_* settings).
        problem = imports.size_problem(upload.size)
        if problem:
            raise forms.ValidationError(problem)
        return upload


def _imports_folder():
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_uploads(folder):
    limit = time.time() - IMPORT_KEEP_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def _import_summary(preview):
    counts = preview.counts
    text = ngettext(
        "%(rows)d row: %(new)d new, %(update)d to update, %(unchanged)d unchanged.",
        "%(rows)d rows: %(new)d new, %(update)d to update, %(unchanged)d unchanged.",
        len(preview.rows),
    ) % {"rows": len(preview.rows), **counts}
    problems = preview.rows_with_errors
    if problems:
        text += " " + ngettext("%(count)d row has problems.", "%(count)d rows have problems.", problems) % {
            "count": problems
        }
    return text


class SpreadsheetImportMixin:
    """An "Import from spreadsheet" page on the changelist: upload → preview (nothing written) →
    confirm (all rows in one transaction, or none). The upload is kept under
    MEDIA_ROOT/imports/<user>-<token> between preview and confirm, and deleted after use."""

    import_kind = None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "import/template.<str:fmt>",
                self.admin_site.admin_view(self.import_template_view),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        """Adding and changing this model; observations also need the visits'."""
        user, app = request.user, self.opts.app_label
        needed = [f"{app}.add_{self.opts.model_name}", f"{app}.change_{self.opts.model_name}"]
        if self.import_kind == "observations":
            needed += [f"{app}.add_monitoringvisit", f"{app}.change_monitoringvisit"]
        return user.is_active and user.has_perms(needed)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_template_view(self, request, fmt):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        kind = self.import_kind
        if fmt == "csv":
            body, content_type = imports.template_csv(kind), exports.FORMATS["csv"]
        elif fmt == "xlsx":
            body, content_type = imports.template_xlsx(kind), exports.FORMATS["xlsx"]
        else:
            raise Http404
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
        return response

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportUploadForm()
        preview = token = None
        if request.method == "POST":
            action = request.POST.get("action", "preview")
            if action in ("confirm", "cancel"):
                return self._confirm_import(request, action)
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                table = imports.read_table(data, upload.name, self.import_kind)
                preview = imports.importer_for(self.import_kind, request.user).dry_run(table)
                if preview.ok:
                    token = self._keep_upload(request, upload.name, data)
                form = ImportUploadForm()
        return self._import_page(request, form, preview, token)

    def _import_page(self, request, form, preview=None, token=None, refused=False):
        kind = self.import_kind
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import %(records)s from a spreadsheet")
            % {"records": imports.KIND_LABELS[kind]},
            "form": form,
            "preview": preview,
            "summary": _import_summary(preview) if preview else "",
            "token": token,
            "refused": refused,
            "columns": imports.column_help(kind),
            "rules": imports.rules(),
            "kind": kind,
            "template_csv": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", args=["csv"]
            ),
            "template_xlsx": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", args=["xlsx"]
            ),
        }
        return TemplateResponse(request, "admin/projects/import.html", context)

    def _upload_path(self, request, token, extension):
        return _imports_folder() / f"{request.user.pk}-{token}{extension}"

    def _keep_upload(self, request, name, data):
        folder = _imports_folder()
        _forget_old_uploads(folder)
        token = secrets.token_urlsafe(24)
        extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
        self._upload_path(request, token, extension).write_bytes(data)
        kept = request.session.get(IMPORT_SESSION_KEY, {})
        kept[token] = {"kind": self.import_kind, "name": name, "extension": extension}
        request.session[IMPORT_SESSION_KEY] = kept
        return token

    def _take_upload(self, request, token):
        """The kept upload's (name, bytes), deleted from the server; None when it is gone."""
        if not _TOKEN.match(token or ""):
            return None
        kept = request.session.get(IMPORT_SESSION_KEY, {})
        meta = kept.pop(token, None)
        request.session[IMPORT_SESSION_KEY] = kept
        if not meta or meta.get("kind") != self.import_kind:
            return None
        stored = self._upload_path(request, token, meta["extension"])
        if not stored.is_file():
            return None
        data = stored.read_bytes()
        stored.unlink(missing_ok=True)
        return meta["name"], data

    def _confirm_import(self, request, action):
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        taken = self._take_upload(request, request.POST.get("token"))
        if action == "cancel":
            self.message_user(request, gettext("Import cancelled: nothing was written."), messages.INFO)
            return HttpResponseRedirect(changelist)
        if taken is None:
            self.message_user(
                request,
                gettext("This upload is no longer available: upload the file again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        name, data = taken
        table = imports.read_table(data, name, self.import_kind)
        try:
            counts = imports.importer_for(self.import_kind, request.user).apply(table)
        except imports.ImportRefused as refused:
            return self._import_page(request, ImportUploadForm(), refused.preview, refused=True)
        self.message_user(
            request,
            gettext("Imported %(name)s: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {"name": name, **counts},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)


def limit_to_officer_districts(request, field_name, kwargs, queryset, path):
    """Offer a field officer only the choices in their own districts."""
    if roles.is_field_officer(request.user):
        kwargs["queryset"] = queryset.filter(**{f"{path}__in": roles.district_ids(request.user)})
    return kwargs


# --- Places -------------------------------------------------------------------------------------


@admin.register(District)
class DistrictAdmin(FoldedSearchMixin, LeafletGeoAdmin):
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
class VillageAdmin(SpreadsheetImportMixin, FoldedSearchMixin, LeafletGeoAdmin):
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


# --- Programme ----------------------------------------------------------------------------------


class ReportedFigureInline(admin.StackedInline):
    model = ReportedFigure
    extra = 0
    autocomplete_fields = ["districts"]


@admin.register(Project)
class ProjectAdmin(FoldedSearchMixin, admin.ModelAdmin):
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
class ReportedFigureAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["indicator", "value", "project", "as_of", "source"]
    list_filter = ["indicator", "project"]
    list_select_related = ["project"]
    search_fields = ["project__name_az", "source"]
    autocomplete_fields = ["project", "districts"]


# --- Kəhriz -------------------------------------------------------------------------------------


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
class KehrizAdmin(SpreadsheetImportMixin, FoldedSearchMixin, DistrictScopedMixin, LeafletGeoAdmin):
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
class RestorationWorkAdmin(FoldedSearchMixin, DistrictScopedMixin, admin.ModelAdmin):
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


# --- Monitoring ---------------------------------------------------------------------------------


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
class MonitoringVisitAdmin(RefreshesKehrizMixin, FoldedSearchMixin, DistrictScopedMixin, admin.ModelAdmin):
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
    SpreadsheetImportMixin,
    RefreshesKehrizMixin,
    FoldedSearchMixin,
    DistrictScopedMixin,
    LeafletGeoAdminMixin,
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


@admin.register(FollowUp)
class FollowUpAdmin(FoldedSearchMixin, DistrictScopedMixin, admin.ModelAdmin):
    list_display = ["action", "kehriz", "responsible", "due_date", "done", "done_on"]
    list_filter = ["done", FollowUpDistrictFilter]
    list_select_related = ["observation__kehriz"]
    search_fields = ["action", "observation__kehriz__name"]
    autocomplete_fields = ["observation"]

    def district_ids_of(self, obj):
        return {obj.observation.kehriz.district_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "observation":
            kwargs = limit_to_officer_districts(
                request, "observation", kwargs, Observation.objects.all(), "kehriz__district"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("kəhriz"), ordering="observation__kehriz__name")
    def kehriz(self, obj):
        return obj.observation.kehriz.name


@admin.register(Photo)
class PhotoAdmin(FoldedSearchMixin, DistrictScopedMixin, admin.ModelAdmin):
    form = PhotoForm
    list_display = ["__str__", "observation", "taken_at"]
    list_select_related = ["observation__kehriz"]
    # The latest photos first, walked on the primary key: the model's order (by observation date,
    # then kəhriz name) would read every observation to find the photos' page.
    ordering = ["-id"]
    search_fields = ["caption", "observation__kehriz__name"]
    autocomplete_fields = ["observation"]

    def district_ids_of(self, obj):
        return {obj.observation.kehriz.district_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "observation":
            kwargs = limit_to_officer_districts(
                request, "observation", kwargs, Observation.objects.all(), "kehriz__district"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- API tokens ----------------------------------------------------------------------------------


def masked_key(key):
    """The first characters of a token, enough to tell tokens apart, never enough to use one."""
    return f"{key[:6]}…"


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class KehrizTokenAdmin(TokenAdmin):
    """DRF's token admin, but a token's key is shown in full to superusers only (who create tokens
    and hand them to a device). Data managers revoke tokens (migration 0007) and see only the
    key's first characters: a full key would let them act as its owner, a superuser included."""

    @admin.display(description=_("key"))
    def masked(self, obj):
        return masked_key(obj.key)

    def get_list_display(self, request):
        return ["key" if request.user.is_superuser else "masked", "user", "created"]

    def has_view_permission(self, request, obj=None):
        # A token's own page names its key (title, breadcrumbs): superusers only.
        if obj is not None and not request.user.is_superuser:
            return False
        return super().has_view_permission(request, obj)

    def render_delete_form(self, request, context):
        if not request.user.is_superuser:
            # The page names the token and links to it by its primary key, which is the key itself.
            shown = MaskedToken(context["object"])
            context = {**context, "object": shown}
            context["deleted_objects"] = [format_html("{}: {}", context["object_name"], shown)]
        return super().render_delete_form(request, context)


class MaskedToken:
    """A token as its delete page shows it to a data manager: addressed by its user (as DRF's token
    admin addresses tokens), named by its masked key."""

    def __init__(self, token):
        self.pk = token.user_id
        self.shown = masked_key(token.key)

    def __str__(self):
        return self.shown
