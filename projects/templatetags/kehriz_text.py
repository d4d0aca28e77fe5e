"""Capitalisation that knows Azerbaijani: there "i" becomes "İ" and "ı" becomes "I".

Python's str.upper (and so Django's ``capfirst``) turns "işlək" into "Işlək". This library is a
template builtin (settings.TEMPLATES), so its ``capfirst`` replaces Django's in every template,
the admin's included; ``az_capfirst`` is the same filter under an explicit name.

The admin and model forms also capitalise in Python (form labels, the admin's model list and
date drill-down) with ``django.utils.text.capfirst``: ``capitalise_everywhere()``, called once
from ``ProjectsConfig.ready()``, points those modules at ``upper_first`` instead.
"""

import importlib

from django import template
from django.template import defaultfilters
from django.template.defaultfilters import stringfilter
from django.utils import text
from django.utils.functional import keep_lazy_text
from django.utils.translation import get_language

register = template.Library()

# Languages whose dotted and dotless i are two letters (Azerbaijani, Turkish, Crimean Tatar...).
DOTTED_I_LANGUAGES = {"az", "tr", "crh", "kk", "tt"}
_UPPER = {"i": "İ", "ı": "I"}


def upper_first(text, language=None):
    """``text`` with its first letter in upper case, as ``language`` (default: the active one)
    writes it."""
    if not text:
        return text
    language = (language or get_language() or "").split("-")[0].lower()
    first = text[0]
    if language in DOTTED_I_LANGUAGES and first in _UPPER:
        return _UPPER[first] + text[1:]
    return first.upper() + text[1:]


@register.filter(is_safe=True)
@stringfilter
def az_capfirst(value):
    """Capitalise the first character, the Azerbaijani way on Azerbaijani pages."""
    return upper_first(value)


register.filter("capfirst", az_capfirst, is_safe=True)


lazy_upper_first = keep_lazy_text(upper_first)

# Django modules that build labels with capfirst (Django 5.2).
CAPFIRST_USERS = [
    "django.contrib.admin.helpers",
    "django.contrib.admin.options",
    "django.contrib.admin.sites",
    "django.contrib.admin.templatetags.admin_list",
    "django.contrib.admin.utils",
    "django.contrib.auth.forms",
    "django.db.models.base",
    "django.db.models.fields",
    "django.forms.models",
]


def capitalise_everywhere():
    """Make Django's own labels capitalise the Azerbaijani way on Azerbaijani pages."""
    for name in CAPFIRST_USERS:
        module = importlib.import_module(name)
        if getattr(module, "capfirst", None) in (text.capfirst, defaultfilters.capfirst):
            module.capfirst = lazy_upper_first
