from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Kəhriz restoration")
    default_auto_field = "django.db.models.BigAutoField"


class AxesConfig(AxesAppConfig):
    """django-axes (login lockouts), under a name data managers understand in the admin."""

    verbose_name = _("Login security")
