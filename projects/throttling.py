"""The API's throttles (settings.REST_FRAMEWORK) and the message of their 429 answers.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` once, when imported; these read the settings at
each request, so that a change of the rates (``override_settings`` in tests, too) is the one in
force. The anonymous and per-user rates apply to every API view; the ``exports`` scope adds a
stricter one to the file exports (``throttle_scope = "exports"``), the most expensive answers.
"""

import math

from django.utils.translation import ngettext
from rest_framework import throttling
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings


class _CurrentRates:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's name)
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonRateThrottle(_CurrentRates, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_CurrentRates, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_CurrentRates, throttling.ScopedRateThrottle):
    pass


def translate(exc):
    """A Throttled exception with its message in the request's language, saying when to come back
    (DRF's own only half translates: it formats the seconds into the text before looking it up).
    DRF's exception handler then answers 429 with Retry-After."""
    wait = exc.wait = math.ceil(exc.wait) if exc.wait else 1
    exc.detail = ErrorDetail(
        ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            wait,
        )
        % {"seconds": wait},
        code="throttled",
    )
    return exc
