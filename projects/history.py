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

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_door = contextvars.ContextVar("kehriz_door", default=None)

# The header the field app sends with its requests, so that its visits are told from other API
# clients' (projects/static/projects/field/field.js).
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
        with door(door_of_request(request)):
            return self.get_response(request)


class DoorRecord(models.Model):
    """What every historical row adds to django-simple-history's own columns."""

    history_door = models.CharField(_("through"), max_length=300, blank=True)

    class Meta:
        abstract = True


@receiver(pre_create_historical_record)
def record_door(sender, history_instance, **kwargs):
    history_instance.history_door = current_door()[:300]


def record_history(*, exclude=(), m2m=()):
    """The ``history`` of a model: every field but those in ``exclude``, the ones derived from
    others (search keys, the current state computed from observations) which would make every
    version look changed; with the many-to-many fields in ``m2m``."""
    return HistoricalRecords(
        bases=[DoorRecord],
        excluded_fields=list(exclude),
        m2m_fields=list(m2m),
        history_change_reason_field=models.TextField(null=True),
        # A record's versions outlive it: a deleted record's history says who deleted it.
        cascade_delete_history=False,
    )
