"""Messages of django-axes (the list of access attempts, where data managers lift lockouts) and of
django-simple-history (a record's history and its revert form) that data managers see in the
admin. Neither ships an Azerbaijani catalogue: our own (LOCALE_PATHS, which takes precedence)
translates them, and listing them here keeps them through ``make messages``."""

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

SIMPLE_HISTORY_ADMIN = [
    gettext_noop("Change history: %s"),
    gettext_noop("View history: %s"),
    gettext_noop("Revert %s"),
    gettext_noop("View %s"),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Revert"),
    gettext_noop("Close"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
]
