"""No edit silently lost in the admin: a change form remembers the version of the record it showed,
and a save is stopped when someone else has since changed a field that this save would overwrite.

The form carries a hidden ``_version``: the record's ``updated_at`` and a short fingerprint of each
field's value as shown. On save the record is locked (PostgreSQL; SQLite serialises writes) and
read again. Unchanged since: saved. Changed only where this form does not write (a visit refreshing a
kəhriz's functionality, a status change): saved, as nothing of the other change is overwritten.
Changed in a field of this form, to something other than what this user sent: the form comes back
with the user's values, an error at the top saying who saved (when the admin's log knows) and when,
and for each such field the value now stored and the user's; the hidden version is the new one, so
saving again keeps the user's values deliberately. Inline rows are not checked."""

import datetime
import hashlib
import json
from functools import partial

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from projects.templatetags.kehriz_text import upper_first

VERSION = "_version"


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _stored(instance, field):
    """The field's value on ``instance``: objects for relations (a list for many-to-many)."""
    if field.many_to_many:
        return list(getattr(instance, field.name).all()) if instance.pk else []
    return getattr(instance, field.name)


def _fingerprint(instance, field):
    value = _stored(instance, field)
    if field.many_to_many:
        value = sorted(obj.pk for obj in value)
    elif field.is_relation:
        value = getattr(instance, field.attname)
    elif isinstance(value, GEOSGeometry):
        value = value.ewkt
    elif isinstance(value, FieldFile):
        value = value.name
    return hashlib.sha1(repr(value).encode()).hexdigest()[:12]


def version_token(instance, names):
    fields = [f for f in (_model_field(type(instance), n) for n in names) if f is not None]
    fingerprints = {f.name: _fingerprint(instance, f) for f in fields}
    return json.dumps({"at": instance.updated_at.isoformat(), "fields": fingerprints}, separators=(",", ":"))


def _read_token(text):
    try:
        token = json.loads(text)
        at = parse_datetime(token["at"])
        fields = token["fields"]
    except (TypeError, ValueError, KeyError):
        return None
    if at is None or not isinstance(fields, dict):
        return None
    return at, fields


def shown(field, value):
    """A value as a person reads it, in the page's language."""
    if field.many_to_many:
        value = ", ".join(str(obj) for obj in value or [])
    if value is None or value == "" or value == []:
        return "—"
    if field.flatchoices and not field.is_relation:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, GEOSGeometry):
        if value.geom_type == "Point":
            return f"{formats.number_format(value.y, 5)}, {formats.number_format(value.x, 5)}"
        return gettext("a line or shape of %(count)d points") % {"count": value.num_points}
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return str(formats.localize(value, use_l10n=True))


def _who_and_when(model, stored, opened_at):
    when = formats.date_format(timezone.localtime(stored.updated_at), "DATETIME_FORMAT")
    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=str(stored.pk),
            action_time__gt=opened_at,
        )
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    if entry is not None:
        who = entry.user.get_full_name() or entry.user.get_username()
        return gettext(
            "%(user)s saved this record at %(time)s, after you opened it. Your changes have not been "
            "saved yet."
        ) % {"user": who, "time": when}
    return gettext(
        "This record was changed at %(time)s, after you opened it (through the API, the field app "
        "or an import). Your changes have not been saved yet."
    ) % {"time": when}


class VersionField(forms.CharField):
    """The hidden version: never a change of the record (not in the admin's change message)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class VersionedForm(forms.ModelForm):
    """The admin's model form with the record's version in a hidden field (see the module)."""

    def check_version(self):
        token = _read_token(self.data.get(VERSION))
        if token is None or self.instance.pk is None:
            return  # a form without a version (opened before this check existed): as before
        opened_at, fingerprints = token
        model = type(self.instance)
        rows = model._base_manager.filter(pk=self.instance.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()  # until the save commits (PostgreSQL)
        stored = rows.first()
        if stored is None or stored.updated_at == opened_at:
            return
        names = [n for n in self.fields if n != VERSION]
        conflicts = []
        for name in names:
            field = _model_field(model, name)
            if field is None or name not in fingerprints or _fingerprint(stored, field) == fingerprints[name]:
                continue  # not changed by the other save
            initial = model_to_dict(stored, fields=[name]).get(name)
            if self.fields[name].has_changed(initial, self[name].data):
                conflicts.append(field)
        # The re-shown form carries the stored version: saving it again is a deliberate choice.
        self.data = self.data.copy()
        self.data[VERSION] = version_token(stored, names)
        if not conflicts:
            return
        messages = [_who_and_when(model, stored, opened_at)]
        for field in conflicts:
            now = shown(field, _stored(stored, field))
            yours = self.cleaned_data.get(field.name, self[field.name].data)
            messages.append(
                gettext("%(field)s — saved now: «%(stored)s»; yours: «%(yours)s».")
                % {"field": upper_first(str(field.verbose_name)), "stored": now, "yours": shown(field, yours)}
            )
            self.add_error(field.name, gettext("Changed meanwhile to «%(stored)s».") % {"stored": now})
        messages.append(gettext("Check these fields, then save again to keep what you entered."))
        self.add_error(None, [ValidationError(message, code="changed_meanwhile") for message in messages])

    def clean(self):
        cleaned_data = super().clean()
        self.check_version()
        return cleaned_data


class ConcurrentEditMixin:
    """For ModelAdmins: change forms that notice a save made by someone else (see the module)."""

    def _checks_versions(self, request, obj):
        # The change form only: a revert from the history (simple-history's form) is deliberate.
        opts = self.model._meta
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
        return (
            obj is not None
            and url_name == f"{opts.app_label}_{opts.model_name}_change"
            and self.has_change_permission(request, obj)
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._checks_versions(request, obj):
            return fieldsets
        return [*fieldsets, (None, {"fields": [VERSION], "classes": ["hidden"]})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._checks_versions(request, obj):
            return super().get_form(request, obj, change=change, **kwargs)
        if "fields" in kwargs:
            fields = kwargs["fields"]
        else:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        if fields is None or VERSION not in fields:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["fields"] = [name for name in fields if name != VERSION]
        form = super().get_form(request, obj, change=change, **kwargs)
        names = [name for name in form.base_fields if name != VERSION]
        version = VersionField(required=False, initial=partial(version_token, obj, names))
        return type(form.__name__, (VersionedForm, form), {VERSION: version, "__module__": __name__})
