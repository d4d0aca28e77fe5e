"""Login lockout (django-axes), as settings.AXES_CLIENT_IP_CALLABLE and AXES_LOCKOUT_CALLABLE use it.

- ``client_ip_address``: whose failures count together. Without a proxy, the connection's address;
  behind ``PROXY_COUNT`` trusted reverse proxies, the address the outermost of them saw, read from
  the right of X-Forwarded-For. Otherwise every client would share the proxy's address, and one
  person's mistakes would lock everybody out.
- ``lockout_response``: what a locked-out person sees, in their language, on the look of the login
  page they used (the admin's or the field app's): that they are locked out, and the time from
  which they can try again.
"""

import ipaddress
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The login pages whose look the lockout page takes (their "content" block is replaced).
LOGIN_TEMPLATES = {
    "admin:login": "admin/login.html",
    "projects:field-login": "projects/field/login.html",
}


def _valid_address(value):
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip_address(request):
    """The client's address, as django-axes should count it (and as DRF's throttles do with
    ``NUM_PROXIES``): REMOTE_ADDR without a proxy; behind N proxies the N-th address from the right
    of X-Forwarded-For. Addresses left of it were written by the client and prove nothing."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies <= 0 or not forwarded:
        return remote
    return _valid_address(forwarded[-min(proxies, len(forwarded))]) or remote


def locked_until(request, credentials):
    """When this user name and address may sign in again: the latest counted failure plus the
    cool-off (None when there is no cool-off: only a data manager can lift the lock)."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    handler = AxesProxyHandler.get_implementation()
    latest = None
    if hasattr(handler, "get_user_attempts"):
        for attempts in handler.get_user_attempts(request, credentials):
            for moment in attempts.values_list("attempt_time", flat=True):
                latest = moment if latest is None else max(latest, moment)
    return (latest or getattr(request, "axes_attempt_time", None) or timezone.now()) + cool_off


def lockout_message(username, until):
    if until is None:
        return _(
            "Too many failed sign-ins for the user name “%(username)s” from your address. "
            "Ask a data manager to lift the lock."
        ) % {"username": username}
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins for the user name “%(username)s” from your address. You can "
        "try again at %(time)s (in %(minutes)d minute), or ask a data manager to lift the lock sooner.",
        "Too many failed sign-ins for the user name “%(username)s” from your address. You can "
        "try again at %(time)s (in %(minutes)d minutes), or ask a data manager to lift the lock sooner.",
        minutes,
    ) % {
        "username": username,
        "time": time_format(timezone.localtime(until), "H:i"),
        "minutes": minutes,
    }


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: a 429 answer with Retry-After, as a page on the look of
    the login page that was used, or as JSON for a script."""
    username = get_client_username(request, credentials) or ""
    until = locked_until(request, credentials)
    message = lockout_message(username, until)
    status = settings.AXES_HTTP_RESPONSE_CODE
    match = request.resolver_match
    view_name = match.view_name if match else None
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        response = JsonResponse({"detail": message}, status=status)
    else:
        context = {
            "login_template": LOGIN_TEMPLATES.get(view_name, "base.html"),
            "lockout_title": _("Sign-in locked"),
            "lockout_message": message,
            "login_url": request.get_full_path(),
        }
        if view_name == "admin:login":
            context.update(admin.site.each_context(request), title=context["lockout_title"])
        response = render(request, "projects/lockout.html", context, status=status)
    if until is not None:
        response["Retry-After"] = str(max(1, math.ceil((until - timezone.now()).total_seconds())))
    return response
