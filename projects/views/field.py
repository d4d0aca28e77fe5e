"""The field app (``/field/``): log monitoring visits from a phone, with or without signal.

The pages here are only the shell, its offline machinery and the officer's kəhriz list. Visits
and photos are sent by the phone to the REST API's idempotent creation (``/api/v1/visits/``,
``/api/v1/photos/``), so the field app refuses exactly what the API and the admin refuse.

- ``app``: the single page (login required; field officers and data managers);
- ``kehriz_list``: the kəhriz the user may record visits to, as compact JSON (a constant number
  of queries), with each one's search keys (folded as in projects/text.py) and the discharge
  above which a reading asks for confirmation (services.unusual_discharge_limit);
- ``service_worker``: the service worker script, served under /field/ so that its scope covers
  the app, with the list of files to keep on the phone and a version that changes with them;
- ``manifest``: the web app manifest, so that the app can be installed on a phone."""

import hashlib
import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.db.models import F, FloatField, Func, Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils import formats
from django.utils.cache import patch_vary_headers
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from kehriz.csp import tiles_origin
from projects import roles, services
from projects.models import District, Functionality, Kehriz, Observation, PersonMet
from projects.views import field_map

# Sending: the first retry after a failure, doubling up to the longest wait (seconds).
RETRY_FIRST_S = 2
RETRY_MAX_S = 60
# How long the phone waits for the server's answer to a visit, and for the kəhriz list, before
# it gives the try up (seconds): a request that hangs never holds up the others.
VISIT_TIMEOUT_S = 30
LIST_TIMEOUT_S = 20
# Sent visits stay on the phone (as a record of what went) this long, then leave it (days).
SENT_KEPT_DAYS = 7
# Photos are shrunk on the phone so that their long side is at most this (pixels).
PHOTO_MAX_SIDE = 1600

# The phone's code: plain ES modules, no build step. The page loads field.js, which imports the
# others by relative address; the page's import map sends each address to the file's static URL
# (hashed in production), so that the service worker's copies are the ones used offline.
SHELL_MODULES = [
    "projects/field/config.js",
    "projects/field/fold.js",
    "projects/field/queue.js",
    "projects/field/storage.js",
    "projects/field/net.js",
    "projects/field/upload.js",
    "projects/field/screen.js",
    "projects/field/forms.js",
    "projects/field/photos.js",
    "projects/field/map.js",
    "projects/field/send.js",
    "projects/field/officer.js",
    "projects/field/field.js",
]
# The files the service worker keeps on the phone (static paths), besides the app page itself,
# the manifest and the kəhriz list.
SHELL_STATIC = [
    "projects/site.css",
    "projects/favicon.svg",
    "projects/field/field.css",
    *SHELL_MODULES,
    "projects/field/icon-192.png",
    "projects/field/icon-512.png",
    *field_map.LEAFLET_STATIC,
]
SERVICE_WORKER = "projects/field/sw.js"
# The header with which the service worker asks for the app's shell (served without a session).
SHELL_HEADER = "X-Kehriz-Shell"


class _X(Func):
    function = "ST_X"
    output_field = FloatField()


class _Y(Func):
    function = "ST_Y"
    output_field = FloatField()


def can_record(user):
    return user.is_authenticated and (roles.can_edit_everything(user) or roles.is_field_officer(user))


def _field_kehriz(user):
    return Kehriz.objects.editable_by(user)


class FieldLoginView(auth_views.LoginView):
    """A phone-sized sign-in page for the field app (no staff status needed)."""

    template_name = "projects/field/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("projects:field")


class FieldLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("projects:field-login")


class _ShellUser:
    """Whom the shell's header is drawn for: nobody in particular (one page for everyone), and
    without staff status, so that it offers no link to the admin (whose login refuses officers)."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def get_username(self):
        return ""


def app(request):
    """The field app's single page: the same shell for everyone, which the service worker keeps
    (it asks with ``SHELL_HEADER``: the shell is served without a session, so that a new version
    of the app installs whole even when the officer's session has expired). Who is using the
    phone, and their data, come from the kəhriz list, which needs a session. A browser opening
    the page itself is sent to sign in first, or told who records visits."""
    if request.headers.get(SHELL_HEADER) != "1":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('projects:field-login')}?next={reverse('projects:field')}")
        if not can_record(request.user):
            return render(request, "projects/field/not_allowed.html", status=403)
    config = {
        "language": get_language(),
        "urls": {
            "app": reverse("projects:field"),
            "kehriz": reverse("projects:field-kehriz"),
            "serviceWorker": reverse("projects:field-service-worker"),
            "login": reverse("projects:field-login"),
            "visits": reverse("projects:api-visit-list"),
            "photos": reverse("projects:api-photo-list"),
            "uploads": reverse("projects:field-upload-start"),
            "kehrizPage": reverse("projects:kehriz", args=[0]),
        },
        "retry": {"first": RETRY_FIRST_S, "max": RETRY_MAX_S},
        "timeouts": {"visit": VISIT_TIMEOUT_S * 1000, "list": LIST_TIMEOUT_S * 1000},
        "sentKeptMs": SENT_KEPT_DAYS * 24 * 3600 * 1000,
        "photoMaxSide": PHOTO_MAX_SIDE,
        "map": field_map.map_config(),
        "farM": services.OBSERVER_DISTANCE_FLAG_M,
        "functionalities": [[v, str(label)] for v, label in Functionality.choices],
        "methods": [[v, str(label)] for v, label in Observation.DischargeMethod.choices],
        "roles": [[v, str(label)] for v, label in PersonMet.Role.choices],
        "fields": _field_labels(),
        "labels": {key: str(label) for key, label in LABELS.items()},
    }
    response = render(
        request,
        "projects/field/app.html",
        {
            "config": config,
            "manifest_url": reverse("projects:field-manifest"),
            "import_map": import_map(),
            "user": _ShellUser(),
        },
    )
    response["Cache-Control"] = "no-cache"
    return response


def import_map():
    """The page's import map (JSON, safe inside <script>): each module's plain static address,
    as the modules import one another, to its static URL (the hashed file in production)."""
    imports = {settings.STATIC_URL + path: static(path) for path in SHELL_MODULES}
    text = json.dumps({"imports": imports}, separators=(",", ":"))
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def kehriz_list(request):
    """The kəhriz this user may record visits to: what the phone needs to choose one offline,
    sort by distance, search folded, and warn about an unusually high discharge."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Sign in to see your kəhriz.")}, status=401)
    if not can_record(request.user):
        return JsonResponse({"detail": _("Only field officers and data managers record visits.")}, status=403)
    rows = (
        _field_kehriz(request.user)
        .order_by("name", "pk")
        .annotate(highest=Max("observations__discharge_lps"), x=_X(F("outlet")), y=_Y(F("outlet")))
        .values_list(
            "pk",
            "name",
            "code",
            "village__name",
            "district_id",
            "functionality",
            "last_visit_on",
            "last_discharge_lps",
            "highest",
            "x",
            "y",
            "search_text",
            "village__search_text",
            "district__search_text",
        )
    )
    kehriz = []
    district_ids = set()
    for pk, name, code, village, district_id, functionality, visited, lps, highest, x, y, *keys in rows:
        district_ids.add(district_id)
        kehriz.append(
            {
                "id": pk,
                "name": name,
                "code": code,
                "village": village or "",
                "district": district_id,
                "lon": round(x, 6) if x is not None else None,
                "lat": round(y, 6) if y is not None else None,
                "functionality": functionality,
                "lastVisit": visited.isoformat() if visited else None,
                "lastLps": float(lps) if lps is not None else None,
                "unusualAbove": float(services.unusual_discharge_limit(highest)),
                "search": "".join(key or "" for key in keys),
            }
        )
    districts = {
        d.pk: d.short_name for d in District.objects.filter(pk__in=district_ids).only("pk", "name_az")
    }
    response = JsonResponse(
        {"kehriz": kehriz, "districts": districts, "user": request.user.get_username()},
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


def _read_static(path):
    found = finders.find(path)
    with open(found, "rb") as handle:
        return handle.read()


def service_worker(request):
    """The service worker, under /field/ so that its scope is the app. Its version changes with
    any file it keeps, so that phones pick up a new version of the app."""
    precache = [static(path) for path in SHELL_STATIC]
    digest = hashlib.sha256()
    for path in [*SHELL_STATIC, SERVICE_WORKER, field_map.TILES_SCRIPT]:
        digest.update(_read_static(path))
    settings_js = json.dumps(
        {
            "version": digest.hexdigest()[:16],
            "app": reverse("projects:field"),
            "kehriz": reverse("projects:field-kehriz"),
            "manifest": reverse("projects:field-manifest"),
            "static": precache,
            # Background Sync: the visits waiting on the phone go with the app closed.
            "visits": reverse("projects:api-visit-list"),
            "visitTimeout": VISIT_TIMEOUT_S * 1000,
            "map": field_map.service_worker_config(),
        }
    )
    body = f"self.FIELD_SW = {settings_js};\n" + _read_static(SERVICE_WORKER).decode()
    body += "\n" + _read_static(field_map.TILES_SCRIPT).decode()  # keeps the map's tiles
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("projects:field")
    # The worker fetches the viewed map tiles to keep them: the tile server joins its connect-src.
    tiles = tiles_origin(settings.MAP_TILES_URL)
    if tiles:
        response._csp_update = {"connect-src": [tiles]}
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request):
    data = {
        "name": _("Kəhriz field visits"),
        "short_name": _("Kəhriz visits"),
        "description": _("Log monitoring visits to kəhriz, with or without signal."),
        "lang": get_language(),
        "start_url": reverse("projects:field"),
        "scope": reverse("projects:field"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#fbfaf7",
        "theme_color": "#0b6e99",
        "icons": [
            {"src": static("projects/field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("projects/field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("projects/field/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def _field_labels():
    """Names of the API's fields, to show the server's reasons next to what they are about."""
    from projects.models import FollowUp, MonitoringVisit

    labels = {}
    for model in (MonitoringVisit, Observation, PersonMet, FollowUp):
        for field in model._meta.concrete_fields:
            labels.setdefault(field.name, str(field.verbose_name))
    labels.update(
        {
            "observations": str(_("Kəhriz visited")),
            "people_met": str(_("People met")),
            "follow_ups": str(_("Follow-up actions")),
            "image": str(_("Photo")),
            "non_field_errors": "",
            "detail": "",
        }
    )
    return labels


# Messages the phone shows itself (everything else is in the template).
LABELS = {
    "waitingNone": gettext_lazy("Every visit has been sent."),
    "refusedSome": gettext_lazy("The server refused a record: see why below, then fix or discard it."),
    "sending": gettext_lazy("Sending…"),
    "offline": gettext_lazy("No connection: visits are kept on this phone and sent when it returns."),
    "retryIn": gettext_lazy("Trying again in %(seconds)s s."),
    "slow": gettext_lazy("Slow connection: sending takes longer; it goes on by itself."),
    "serverProblem": gettext_lazy("The server had a problem (error %(status)s); it will be tried again."),
    "noAnswer": gettext_lazy("No answer in time (slow connection); it will be tried again."),
    "noConnection": gettext_lazy("No connection; it will be tried again."),
    "photoAttempt": gettext_lazy("Photo %(number)s: %(state)s"),
    "litresPerSecond": gettext_lazy("%(value)s L/s"),
    # "," in Azerbaijani: the app writes numbers as the pages do (1,14 l/san).
    "decimalSeparator": lazy(lambda: formats.get_format("DECIMAL_SEPARATOR"), str)(),
    "seconds": gettext_lazy("%(value)s s"),
    "signIn": gettext_lazy("Sign in again to send the visits waiting on this phone."),
    "othersWaiting": gettext_lazy(
        "Visits of %(user)s waiting on this phone: %(count)s. They are sent when %(user)s signs in again."
    ),
    "signInToRecord": gettext_lazy("Sign in to record visits."),
    "draft": gettext_lazy("Draft (not sent)"),
    "draftSaved": gettext_lazy("Saved on this phone at %(time)s."),
    "queued": gettext_lazy("Waiting to be sent"),
    "sent": gettext_lazy("Sent"),
    "refused": gettext_lazy("Refused by the server"),
    "photosWaiting": gettext_lazy("photos waiting: %(count)s"),
    "photosSent": gettext_lazy("photos sent: %(count)s"),
    "photoRefused": gettext_lazy("A photo was refused: %(reason)s"),
    "photoProgress": gettext_lazy("Photo %(number)s: %(sent)s of %(total)s kB sent"),
    "edit": gettext_lazy("Edit"),
    "fix": gettext_lazy("Fix and send again"),
    "retry": gettext_lazy("Send again"),
    "discard": gettext_lazy("Discard"),
    "discardPhoto": gettext_lazy("Discard this photo"),
    "confirmDiscard": gettext_lazy("Discard this visit from the phone? It has not been sent."),
    "confirmDiscardPhoto": gettext_lazy("Discard this photo from the phone? It has not been sent."),
    "remove": pgettext_lazy("field app", "Remove"),
    "kehrizCount": gettext_lazy("kəhriz: %(count)s"),
    "noVisits": gettext_lazy("No visits on this phone yet."),
    "noKehriz": gettext_lazy("No kəhriz match."),
    "noDistricts": gettext_lazy("No kəhriz in your districts. Ask a data manager to assign your districts."),
    "kehrizFailed": gettext_lazy("The list of kəhriz could not be loaded. Connect once to load it."),
    "km": gettext_lazy("%(km)s km"),
    "positionWaiting": gettext_lazy("Finding your position…"),
    "positionNone": gettext_lazy("Position not available: %(reason)s"),
    "position": gettext_lazy("%(lat)s, %(lon)s (± %(accuracy)s m)"),
    "positionFromOutlet": gettext_lazy("%(km)s km from the outlet."),
    "far": gettext_lazy(
        "You seem to be %(km)s km from this kəhriz's outlet. You can still save: the observation will "
        "be flagged for review."
    ),
    "sortedByDistance": gettext_lazy("Nearest first, from your position."),
    "sortedByName": gettext_lazy("By name (your position is not known)."),
    "required": gettext_lazy("This field is required."),
    "futureVisit": gettext_lazy("A visit cannot start in the future."),
    "futureObservation": gettext_lazy("An observation cannot be dated in the future."),
    "endBeforeStart": gettext_lazy("The end date cannot be before the start date."),
    "outsideVisit": gettext_lazy("The observation date must fall within the visit (%(start)s – %(end)s)."),
    "negative": gettext_lazy("A discharge cannot be negative."),
    "needMethod": gettext_lazy("Say how the discharge was measured."),
    "unusual": gettext_lazy(
        "%(lps)s L/s is unusually high for this kəhriz (above %(usual)s L/s). Check the value; if it "
        "is right, confirm it below."
    ),
    "confirmUnusual": gettext_lazy("Confirm the unusually high discharge, or correct it."),
    "noKehrizAdded": gettext_lazy("Add at least one kəhriz."),
    "bucketResult": gettext_lazy("%(lps)s L/s (average of %(count)s timings: %(seconds)s s)"),
    "bucketNeed": gettext_lazy("Give the bucket's volume and at least one timing."),
    "stop": gettext_lazy("Stop"),
    "start": gettext_lazy("Start the stopwatch"),
    "photoFailed": gettext_lazy("This photo could not be read."),
    "serverError": gettext_lazy("The server could not store it (error %(status)s). It will try again."),
    "observationOf": gettext_lazy("%(kehriz)s: %(message)s"),
    "alreadyStored": gettext_lazy(
        "This visit had reached the server before your changes, which were not applied: correct it "
        "in the data entry pages."
    ),
    "serviceWorkerFailed": gettext_lazy("This browser cannot keep the app for offline use."),
    "offlineReady": gettext_lazy("Ready to work offline."),
}
