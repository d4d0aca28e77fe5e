"""A record's history in the admin: every version with who, when, through which door and why, the
fields that changed (old → new, geometries as their coordinates), and a way back to any version.

django-simple-history's admin does the listing and the revert form; this adds the door, writes
values as people read them (a status's label, "yes"/"no", dates in the page's language, a
geometry's coordinates in full), keeps a field officer's district scope on the history pages, and
makes a revert change only what the form shows: a kəhriz's status (which only status events
change), its current state (computed from observations) and other read-only fields stay as they
are now.
"""

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.gis.db.models import GeometryField
from django.db.models import BooleanField, DateField, DateTimeField
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

# Long enough for a route's coordinates or a note, short enough for a table cell.
SHOWN_CHARS = 2000


class ChangeDisplay(HistoricalRecordContextHelper):
    """One changed field's old and new values, as the pages write them."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if isinstance(field, GeometryField):
            return value.wkt
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, BooleanField):
            return gettext("yes") if value else gettext("no")
        if isinstance(field, DateTimeField):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(field, DateField):
            return formats.date_format(value)
        return value


REASON = "history_reason"


class HistoryAdmin(SimpleHistoryAdmin):
    """Put before the admin's other base (``ModelAdmin``, ``LeafletGeoAdmin``)."""

    def _asks_reason(self, request, obj):
        # A change form asks why (optional); the version keeps the answer.
        opts = self.model._meta
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
        return obj is not None and url_name == f"{opts.app_label}_{opts.model_name}_change"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._asks_reason(request, obj):
            return fieldsets
        return [*fieldsets, (_("Why"), {"fields": [REASON]})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._asks_reason(request, obj) or ("fields" in kwargs and kwargs["fields"] is None):
            return super().get_form(request, obj, change=change, **kwargs)
        fields = (
            kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        )
        if REASON not in fields:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["fields"] = [name for name in fields if name != REASON]
        form = super().get_form(request, obj, change=change, **kwargs)
        reason = forms.CharField(
            label=_("Reason for this change"),
            required=False,
            max_length=300,
            help_text=_(
                "Optional: why, e.g. the report a corrected figure comes from. Kept with this version."
            ),
        )
        return type(form.__name__, (form,), {REASON: reason, "__module__": __name__})

    object_history_list_template = "admin/projects/history_list.html"
    object_history_form_template = "admin/projects/history_form.html"
    history_list_per_page = 50

    def get_historical_record_context_helper(self, request, historical_record):
        return ChangeDisplay(self.model, historical_record, max_displayed_delta_change_chars=SHOWN_CHARS)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        return (
            super()
            .get_history_queryset(request, history_manager, pk_name, object_id)
            .select_related("history_user")
        )

    def _in_scope(self, request, object_id):
        # The history of a record the list would not show (another district's, for a field
        # officer) is not shown either; a deleted record's history stays readable by those who
        # may change the model.
        model = self.model
        exists = model._base_manager.filter(pk=object_id).exists()
        if exists and not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get(REASON):
            obj._change_reason = form.cleaned_data[REASON]
        match = getattr(request, "resolver_match", None)
        if match and match.url_name and match.url_name.endswith("_simple_history"):
            # A revert: the version's values for the fields on the form; every other field
            # (read-only ones, the status, the current state) as it is now.
            current = self.model._base_manager.get(pk=obj.pk)
            for field in self.model._meta.concrete_fields:
                if field.name not in form.fields and not field.primary_key:
                    setattr(obj, field.attname, getattr(current, field.attname))
            version = match.args[1] if len(match.args) > 1 else ""
            history = self.model.history.filter(pk=version).first() if version else None
            when = (
                formats.date_format(timezone.localtime(history.history_date), "DATETIME_FORMAT")
                if history
                else ""
            )
            obj._change_reason = gettext("Reverted to the version of %(date)s") % {"date": when}
        super().save_model(request, obj, form, change)
