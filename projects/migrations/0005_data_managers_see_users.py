"""Data managers may see the user list, so that they can assign field officers to districts
(the district page's officers field looks users up)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DATA_MANAGER = "data manager"


def grant(apps, schema_editor):
    auth = apps.get_app_config("auth")
    auth.models_module = True
    create_permissions(auth, apps=apps, verbosity=0)
    auth.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=DATA_MANAGER)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="auth", codename="view_user"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=DATA_MANAGER):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="auth", codename="view_user")
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_observation_date_idx")]

    operations = [migrations.RunPython(grant, revoke)]
