import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Photo = apps.get_model("projects", "Photo")
    for photo in Photo.objects.filter(uuid__isnull=True).only("pk"):
        photo.uuid = uuid.uuid4()
        photo.save(update_fields=["uuid"])


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="photo",
            name="uuid",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="Chosen by the device that took the photo, so that a resend never duplicates it.",
                unique=True,
                verbose_name="identifier",
            ),
        ),
    ]
