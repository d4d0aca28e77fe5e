"""Messages of Django REST Framework whose Azerbaijani translation is wrong (it speaks of the
value's *length* for a minimum value). Listing them here keeps them in our catalogue
(projects/locale), which takes precedence over the libraries' own."""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
]
