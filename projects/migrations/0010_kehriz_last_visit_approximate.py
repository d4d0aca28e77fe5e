"""Keep "the last visit's date is approximate" on the kəhriz beside its last visit date, so that the
map layer reads a column instead of searching the observations of every feature."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def fill(apps, schema_editor):
    Kehriz = apps.get_model("projects", "Kehriz")
    Observation = apps.get_model("projects", "Observation")
    last_day = Observation.objects.filter(kehriz=OuterRef(OuterRef("pk"))).order_by("-observed_on")
    approximate = Observation.objects.filter(
        kehriz=OuterRef("pk"),
        visit__dates_are_approximate=True,
        observed_on=Subquery(last_day.values("observed_on")[:1]),
    )
    Kehriz.objects.update(last_visit_approximate=Exists(approximate))


class Migration(migrations.Migration):
    dependencies = [("projects", "0009_project_names")]

    operations = [
        migrations.AddField(
            model_name="kehriz",
            name="last_visit_approximate",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="A visit whose dates are approximate observed the kəhriz on its last visit date.",
                verbose_name="last visit's date is approximate",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
