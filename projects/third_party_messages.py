"""Messages of django-axes that data managers see in the admin (the list of access attempts, where
they lift lockouts). django-axes ships no Azerbaijani catalogue: our own (LOCALE_PATHS, which takes
precedence) translates them, and listing them here keeps them through ``make messages``."""

from django.utils.translation import gettext_noop

AXES_ADMIN = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Attempt Time"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Path"),
    gettext_noop("Failed Logins"),
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Expires At"),
    gettext_noop("Not set"),
    gettext_noop("Clean up expired attempts"),
]
