"""Data managers lift login lockouts and revoke API tokens in the admin.

- Access attempts (django-axes): view and delete. Deleting a locked-out attempt lifts the lock.
- Tokens (DRF's TokenProxy admin): view and delete. Deleting a token revokes it. No add or change:
  creating a token for somebody else would let a data manager act as that person.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DATA_MANAGER = "data manager"
GRANTS = [
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("authtoken", "view_tokenproxy"),
    ("authtoken", "delete_tokenproxy"),
]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codename in GRANTS:
        found.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return found


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; make sure these exist now.
    for app_label in ("axes", "authtoken"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name=DATA_MANAGER)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=DATA_MANAGER):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_dashboard_indexes"),
        ("axes", "0010_accessattemptexpiration"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
