"""The three roles, as auth groups created by migration 0002_roles.

- field officer: adds monitoring visits and observations; edits kəhriz only in the districts
  assigned to them (District.officers);
- data manager: all data, and the user list (view only, migration 0005) to assign officers;
  lifts login lockouts and revokes API tokens in the admin (view and delete only, migration 0007);
- viewer: read-only.
Superusers count as data managers.
"""

from django.utils.translation import gettext_lazy as _

FIELD_OFFICER = "field officer"
DATA_MANAGER = "data manager"
VIEWER = "viewer"

ROLE_LABELS = {
    FIELD_OFFICER: _("field officer"),
    DATA_MANAGER: _("data manager"),
    VIEWER: _("viewer"),
}

ALL_MODELS = [
    "district",
    "village",
    "project",
    "reportedfigure",
    "resultindicator",
    "resultperiod",
    "kehriz",
    "statusevent",
    "restorationwork",
    "monitoringvisit",
    "observation",
    "personmet",
    "followup",
    "photo",
]

# Model permissions per role (the admin also checks districts for field officers).
ROLE_PERMISSIONS = {
    VIEWER: {model: ["view"] for model in ALL_MODELS},
    FIELD_OFFICER: {
        **{model: ["view"] for model in ALL_MODELS},
        "kehriz": ["view", "change"],
        "statusevent": ["view", "add"],
        "restorationwork": ["view", "add", "change"],
        "monitoringvisit": ["view", "add", "change"],
        "observation": ["view", "add", "change", "delete"],
        "personmet": ["view", "add", "change", "delete"],
        "followup": ["view", "add", "change", "delete"],
        "photo": ["view", "add", "change", "delete"],
    },
    DATA_MANAGER: {
        **{model: ["view", "add", "change", "delete"] for model in ALL_MODELS},
        # Status history is only ever added to (corrections are new events).
        "statusevent": ["view", "add"],
    },
}


def _group_names(user):
    cache = getattr(user, "_kehriz_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._kehriz_groups = cache
    return cache


def can_edit_everything(user):
    return user.is_active and (user.is_superuser or DATA_MANAGER in _group_names(user))


def is_field_officer(user):
    return user.is_active and FIELD_OFFICER in _group_names(user) and not can_edit_everything(user)


def district_ids(user):
    """The districts a field officer is assigned to (cached on the user for the request)."""
    cache = getattr(user, "_kehriz_district_ids", None)
    if cache is None:
        cache = set(user.assigned_districts.values_list("id", flat=True)) if user.is_authenticated else set()
        user._kehriz_district_ids = cache
    return cache


def can_edit_in_district(user, district_id):
    if can_edit_everything(user):
        return True
    return is_field_officer(user) and district_id in district_ids(user)
