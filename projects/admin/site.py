"""The admin site's titles and its login form, which tells a field officer where to go."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Kəhriz: restoration data")
admin.site.site_title = _("Kəhriz")
admin.site.index_title = _("Data entry")


class DataManagerLoginForm(AdminAuthenticationForm):
    """The admin's login. Someone whose name and password are right but who has no staff status
    (a field officer) is told that the admin is for data managers and sent to the field app,
    rather than that the password is wrong."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # an inactive account stays refused
        if not user.is_staff:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext(
                        "Your name and password are right, but the admin is for data managers only. "
                        "Field officers record their visits in the field app."
                    ),
                    reverse("projects:field"),
                    gettext("Open the field app"),
                ),
                code="not_staff",
            )


admin.site.login_form = DataManagerLoginForm
