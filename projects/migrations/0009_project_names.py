"""A project's name in both languages, as a district's: the Azerbaijani name keeps what ``name``
held (the field is renamed, so its data stays), the English one stays ``name_en``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_private_photos"),
    ]

    operations = [
        migrations.RenameField(model_name="project", old_name="name", new_name="name_az"),
        migrations.AlterField(
            model_name="project",
            name="name_az",
            field=models.CharField(max_length=300, verbose_name="name (Azerbaijani)"),
        ),
        migrations.AlterModelOptions(
            name="project",
            options={
                "ordering": ["-start_date", "name_az"],
                "verbose_name": "project",
                "verbose_name_plural": "projects",
            },
        ),
    ]
