from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    # The default for "projects" in INSTALLED_APPS: with two configs in this module Django would
    # otherwise fall back to a bare AppConfig, named "Projects" in English in the admin.
    default = True
    name = "projects"
    verbose_name = _("Kəhriz restoration")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import Group

        from projects.templatetags.kehriz_text import capitalise_everywhere

        capitalise_everywhere()
        # The role groups keep their English names (code and migrations look them up by name);
        # wherever one is shown (user form, group list, filters, breadcrumbs) it reads in the
        # page's language.
        Group.__str__ = group_label


def group_label(group):
    from projects.roles import ROLE_LABELS

    return str(ROLE_LABELS.get(group.name, group.name))


class AxesConfig(AxesAppConfig):
    """django-axes (login lockouts), under a name data managers understand in the admin."""

    verbose_name = _("Login security")
