from django.db import migrations


class Migration(migrations.Migration):
    """Placeholder: the permissions data managers get for login lockouts and tokens."""

    dependencies = [
        ("projects", "0006_dashboard_indexes"),
    ]

    operations = []
