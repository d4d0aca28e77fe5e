"""Every version of every record people edit: who, when, through which door, and why.

The versions themselves are kept by django-simple-history (``history = HistoricalRecords(...)`` on
each model, see ``record_history``): on every save and delete through the ORM it writes the row as
it now is to a historical table, with the user (its middleware reads the request's user, which
Django REST framework sets too) and an optional reason (``instance._change_reason``).

What the library does not know is the *door*: the admin, the API, the field app, a spreadsheet
import (with its file name) or a management command. That is kept here, in a context variable set
by ``DoorMiddleware`` for each request, by ``door()`` around an import, and from the command line
for ``manage.py`` commands; ``record_door`` copies it onto each historical row as it is written.

Status events are not versioned: they are already an append-only history of the status.
"""

import contextvars
import sys
from contextlib import contextmanager
from urllib.parse import unquote

from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_door = contextvars.ContextVar("kehriz_door", default=None)
_reason = contextvars.ContextVar("kehriz_reason", default="")

# An API client says why it changes a record with this header (UTF-8, percent-encoded as in a
# URL: "Q%C9%99bul%20edildi"); the admin asks in the form.
REASON_HEADER = "X-Change-Reason"

# The header the field app sends with its requests, so that its visits are told from other API
# clients' (projects/static/projects/field/net.js).
FIELD_APP_HEADER = "X-Kehriz-Client"
FIELD_APP = "field-app"


def command_door(argv=None):
    """'command: load_sample_data' when running ``manage.py load_sample_data``, else ''."""
    argv = sys.argv if argv is None else argv
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return f"command: {argv[1]}"
    return ""


def current_door():
    door_name = _door.get()
    return command_door() if door_name is None else door_name


@contextmanager
def door(name):
    """Everything saved inside the block came through ``name`` (e.g. "import: kehriz.xlsx")."""
    token = _door.set(name)
    try:
        yield
    finally:
        _door.reset(token)


def door_of_request(request):
    path = request.path_info
    if path.startswith("/admin/"):
        return "admin"
    if request.headers.get(FIELD_APP_HEADER) == FIELD_APP or path.startswith("/field/"):
        return "field app"
    if path.startswith("/api/"):
        return "api"
    return "web"


class DoorMiddleware:
    """Names the door of every request for the versions it writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reason.set(unquote(request.headers.get(REASON_HEADER, ""))[:300])
        try:
            with door(door_of_request(request)):
                return self.get_response(request)
        finally:
            _reason.reset(token)


class DoorRecord(models.Model):
    """What every historical row adds to django-simple-history's own columns."""

    history_door = models.CharField(_("through"), max_length=300, blank=True)

    class Meta:
        abstract = True


@receiver(pre_create_historical_record)
def record_door(sender, history_instance, **kwargs):
    history_instance.history_door = current_door()[:300]
    if not history_instance.history_change_reason and _reason.get():
        history_instance.history_change_reason = _reason.get()


class KehrizHistoricalRecords(HistoricalRecords):
    """django-simple-history, with many-to-many changes made from the other side versioned on
    the side that owns the field: ``user.assigned_districts.clear()`` is a new version of each
    district that lost the officer (the library would version the user, who has no history, and
    fail), ``project.kehrizes.add(k)`` a new version of the kəhriz."""

    def m2m_changed(self, instance, action, attr, pk_set, reverse, model=None, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        owners = model._base_manager.filter(**{attr: instance})
        if action == "pre_clear":
            instance.__dict__.setdefault("_history_cleared", {})[attr] = list(
                owners.values_list("pk", flat=True)
            )
            return None
        if action == "post_clear":
            pk_set = instance.__dict__.get("_history_cleared", {}).pop(attr, [])
        elif action not in ("post_add", "post_remove"):
            return None
        for owner in model._base_manager.filter(pk__in=pk_set or []):
            self.create_historical_record(owner, "~")
        return None


def record_history(*, exclude=(), m2m=()):
    """The ``history`` of a model: every field but those in ``exclude``, the ones derived from
    others (search keys, the current state computed from observations) which would make every
    version look changed; with the many-to-many fields in ``m2m``."""
    return KehrizHistoricalRecords(
        bases=[DoorRecord],
        excluded_fields=list(exclude),
        m2m_fields=list(m2m),
        history_change_reason_field=models.TextField(null=True),
        # A record's versions outlive it: a deleted record's history says who deleted it.
        cascade_delete_history=False,
    )


# --- Versions as the API gives them ----------------------------------------------------------

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _m2m_sets(model):
    """For each versioned many-to-many field of ``model``: (field, the historical model's accessor
    for that field's rows, the rows' column naming the related record)."""
    from simple_history.utils import get_m2m_reverse_field_name

    historical = model.history.model
    found = []
    for field in historical._history_m2m_fields:
        column = get_m2m_reverse_field_name(field)
        for relation in historical._meta.related_objects:
            rows = relation.related_model
            if rows._meta.model_name.endswith(f"_{field.name}") and any(
                f.name == column for f in rows._meta.fields
            ):
                found.append((field, relation.get_accessor_name(), f"{column}_id"))
    return found


def versions_of(record):
    """The record's versions, newest first, with what a listing reads (users, many-to-many rows)
    in a fixed number of queries."""
    model = type(record)
    return (
        model.history.filter(**{model._meta.pk.attname: record.pk})
        .select_related("history_user")
        .prefetch_related(*[accessor for _field, accessor, _column in _m2m_sets(model)])
        .order_by("-history_date", "-history_id")
    )


def _json_value(field, value):
    from django.contrib.gis.db.models import GeometryField

    if value is None:
        return None
    if isinstance(field, GeometryField):
        import json

        return json.loads(value.geojson)
    if field.many_to_many:
        return value  # the related records' ids, sorted
    if hasattr(value, "name") and hasattr(value, "storage"):  # a stored file: its name
        return value.name
    return value


def versions_data(page, versions):
    """Each version of ``page`` (newest first) as the API writes it, with the fields it changed
    from the version before it (the one after the page's last is read in one more query)."""
    from django.db.models import Q
    from django.utils.text import capfirst

    page = list(page)
    if not page:
        return []
    last = page[-1]
    before = versions.filter(
        Q(history_date__lt=last.history_date)
        | Q(history_date=last.history_date, history_id__lt=last.history_id)
    ).first()
    chain = [*page, before]
    model = versions.model.instance_type
    m2m = _m2m_sets(model)
    rows = []
    for newer, older in zip(page, chain[1:], strict=True):
        changes = []
        if older is not None:
            # Plain fields by the library; many-to-many ones from the prefetched rows (the
            # library's diff would query them again for every pair of versions).
            delta = newer.diff_against(
                older, excluded_fields=[f.name for f, _a, _c in m2m], foreign_keys_are_objs=False
            )
            found = [(model._meta.get_field(c.field), c.old, c.new) for c in delta.changes]
            for field, accessor, column in m2m:
                old, new = (
                    sorted(getattr(r, column) for r in getattr(v, accessor).all()) for v in (older, newer)
                )
                if old != new:
                    found.append((field, old, new))
            for field, old, new in found:
                changes.append(
                    {
                        "field": field.name,
                        "label": str(capfirst(field.verbose_name)),
                        "old": _json_value(field, old),
                        "new": _json_value(field, new),
                    }
                )
        rows.append(
            {
                "id": newer.history_id,
                "date": newer.history_date,
                "action": ACTIONS.get(newer.history_type, newer.history_type),
                "user": newer.history_user.get_username() if newer.history_user else None,
                "through": newer.history_door,
                "reason": newer.history_change_reason or "",
                "changes": changes,
            }
        )
    return rows
