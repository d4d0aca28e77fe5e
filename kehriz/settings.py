"""Settings for Kəhriz.

Everything that differs between a laptop and production comes from environment variables
(see ``.env.example``). Defaults are safe for local use: a SpatiaLite file in the project folder,
DEBUG on, only localhost allowed.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-local-only-change-me" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.forms",  # Django's form templates, for FORM_RENDERER below
    "leaflet",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "projects.apps.AxesConfig",  # django-axes
    "simple_history",
    "projects",
]

MIDDLEWARE = [
    # First, as django-cors-headers asks: it answers CORS preflights before anything else can.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Versions of records (django-simple-history) name their user and door (projects/history.py).
    "simple_history.middleware.HistoryRequestMiddleware",
    "projects.history.DoorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kehriz.csp.KehrizCSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out user or address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "kehriz.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
            # capfirst that writes "İşlək", not "Işlək", on Azerbaijani pages.
            "builtins": ["projects.templatetags.kehriz_text"],
        },
    },
]

WSGI_APPLICATION = "kehriz.wsgi.application"

# Database: a SpatiaLite file by default; DATABASE_URL=postgis://user:pass@host:5432/name for
# PostgreSQL + PostGIS.
DATABASES = {
    # An empty DATABASE_URL means the default too (the embedded SpatiaLite file).
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"spatialite:///{BASE_DIR / 'kehriz.sqlite3'}"
    ),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # Wait for a writer rather than failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
if env.str("SPATIALITE_LIBRARY_PATH", default=""):
    SPATIALITE_LIBRARY_PATH = env.str("SPATIALITE_LIBRARY_PATH")
if env.str("GDAL_LIBRARY_PATH", default=""):
    GDAL_LIBRARY_PATH = env.str("GDAL_LIBRARY_PATH")
if env.str("GEOS_LIBRARY_PATH", default=""):
    GEOS_LIBRARY_PATH = env.str("GEOS_LIBRARY_PATH")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language: Azerbaijani first, English second.
LANGUAGE_CODE = "az"
LANGUAGES = [("az", _("Azerbaijani")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "projects" / "locale"]
# One date and number format per language (kehriz/formats/az: "13 mart 2024", "5,76").
FORMAT_MODULE_PATH = ["kehriz.formats"]
# Widgets render with the templates above, so that templates/ overrides reach them too
# (templates/leaflet/leaflet_draw_i18n.html: the admin map's drawing tools in Azerbaijani).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
TIME_ZONE = "Asia/Baku"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

LOGIN_URL = "admin:login"

# Production hardening: on whenever DEBUG is off, each switchable for a TLS-terminating proxy.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Map widgets (django-leaflet ships Leaflet itself in its static files: no CDN).
MAP_TILES_URL = env.str("MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_ATTRIBUTION = env.str(
    "MAP_TILES_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


class MapTiles:
    """The background tile layer of every map (the site's pages and the admin's map widgets),
    read from ``MAP_TILES_URL`` and ``MAP_TILES_ATTRIBUTION`` each time a map is drawn.

    django-leaflet copies ``LEAFLET_CONFIG`` once, when it is imported, and iterates ``TILES``
    on every ``{% leaflet_map %}``: iterating this object looks the settings up then, so a
    deployment's environment, ``override_settings`` and tests all decide the tiles a page asks for.
    """

    def __iter__(self):
        from django.conf import settings

        options = {"attribution": settings.MAP_TILES_ATTRIBUTION, "maxZoom": 19}
        return iter([(_("Map"), settings.MAP_TILES_URL, options)])


LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (40.3, 47.6),
    "DEFAULT_ZOOM": 7,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "RESET_VIEW": False,
    "TILES": MapTiles(),
    "ATTRIBUTION_PREFIX": "Leaflet",
}

# Content-Security-Policy (django-csp), enforced on every response: scripts only from our own
# origin or carrying this response's nonce (django-leaflet's map start-up, given CSP_NONCE in our
# templates and request.csp_nonce in the admin's map widgets); every response gets a fresh nonce
# (kehriz/csp.py). No inline event handlers, no eval, no plugins, no framing, no <base> elsewhere. Styles
# allow 'unsafe-inline' because Leaflet, the Django admin and Swagger UI set style attributes; a
# style cannot run code. img-src has data: and blob: for Leaflet's and Swagger UI's icons and the
# field app's photo previews; the tile server's origin joins it at run time (kehriz/csp.py).
# Browsers report violations to CSP_REPORT_URI: by default our own log (/csp-report/,
# projects/views/csp.py) in development, nowhere in production unless set (e.g. /csp-report/ or
# a collector of your own). The policy is enforced either way. tests/test_csp.py and
# tests/test_browser_security.py hold every page to it.
CSP_REPORT_URI = env.str("CSP_REPORT_URI", default="/csp-report/" if DEBUG else "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        **({"report-uri": [CSP_REPORT_URI]} if CSP_REPORT_URI else {}),
    },
}

# Cross-origin reads (django-cors-headers): any web page may read the public, read-only layers
# with GET/HEAD/OPTIONS and no credentials: the map layers, the public kəhriz exports and the
# OGC API. Nothing else (the rest of /api/, the admin, the field app) gets CORS headers, so
# browsers keep other sites from reading them. No Allow-Credentials: a browser never lets another
# site read an answer made with the visitor's cookies, so another site reads what the public sees.
CORS_URLS_REGEX = (
    r"^/(ogc/.*"
    r"|api/v1/kehriz/(map|routes)/"
    r"|api/v1/districts/boundaries/"
    r"|api/v1/exports/kehriz(_routes)?\.[a-z]+)$"
)
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
# Scripts may read the ETag (to send If-None-Match) and an export's file name.
CORS_EXPOSE_HEADERS = ["ETag", "Content-Disposition"]

# Login lockout (django-axes) on every login form that goes through authenticate(): the admin's
# and the field app's. AXES_FAILURE_LIMIT failures for one user name from one address lock that
# pair out for AXES_COOLOFF_MINUTES; data managers lift a lockout in the admin (Access attempts).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused without pushing the end of the lock further: the time the
# lockout page promises (projects/lockout.py, on the login page's look, 429 with Retry-After) holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "projects.lockout.lockout_response"
# Behind PROXY_COUNT reverse proxies (each appending to X-Forwarded-For) the client's address is the
# PROXY_COUNT-th from the right of that header; 0 (the default, no proxy) uses REMOTE_ADDR. Wrong
# here, either everybody shares the proxy's address (and one person's failures lock all out) or a
# client can claim any address. DRF's throttles count by the same address (NUM_PROXIES below).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "projects.lockout.client_ip_address"

REST_FRAMEWORK = {
    # Tokens first, so that a script without credentials gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Every operation documents the errors it can answer (projects/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "projects.openapi.ApiSchema",
    "EXCEPTION_HANDLER": "projects.views.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Generous enough for a field phone sending a day's queue (visits and photos) at once; the
    # exports (whole tables as files, the most expensive answers) have a stricter scope of their
    # own on top. A 429 carries Retry-After and a translated message (projects/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "projects.throttling.AnonRateThrottle",
        "projects.throttling.UserRateThrottle",
        "projects.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="300/minute"),
        "user": env.str("API_USER_RATE", default="1200/minute"),
        "exports": env.str("API_EXPORT_RATE", default="30/minute"),
    },
    "NUM_PROXIES": PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kəhriz API",
    "DESCRIPTION": (
        "Kəhriz (qanat) restoration records: districts, villages, kəhriz, restoration status "
        "history, works, monitoring visits with observations, follow-ups. Authenticate with "
        "`Authorization: Token <key>` (scripts, devices) or a browser session. Published kəhriz "
        "and the map layers are public; everything else needs a login. District boundaries © "
        "OpenStreetMap contributors, ODbL 1.0."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components (``MonitoringVisitRequest`` has no ``id``, no
    # ``created_at``…), so that a generated client does not ask for what the server writes.
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids and tags from the path after /api/v1/ (``visits_create``, tag ``visits``),
    # whatever other routes the site has: a generated client's names must not move.
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs page must not call another host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "projects.openapi.nullable_geometries",
        "projects.openapi.language_free_names",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RestorationStatusEnum": "projects.models.Status",
        "FunctionalityEnum": "projects.models.Functionality",
    },
}

# Kəhriz rules that a deployment may tune.
# A location this far beyond the chosen district's boundary is refused; closer is flagged.
DISTRICT_TOLERANCE_M = env.int("DISTRICT_TOLERANCE_M", default=2000)

# Deleted kəhriz, visits, observations and photos stay restorable in the trash this long;
# `manage.py purge_trash` (run it daily) removes older entries (projects/trash.py).
TRASH_KEEP_DAYS = env.int("TRASH_KEEP_DAYS", default=90)

# IATI 2.03 activity export (/projects/<code>/iati.xml, projects/iati.py). The reporting
# organisation's IATI identifier (IOM's, XM-DAC-47066, by default; it must be one of
# projects.iati.ORGANISATIONS) and the prefix put before a project's code: the activity identifier
# is "<ref>-<prefix><code>", e.g. XM-DAC-47066-KEHRIZ-iom-koica-kehriz. Once published, an activity
# identifier must never change: set these before the first publication.
IATI_REPORTING_ORG_REF = env.str("IATI_REPORTING_ORG_REF", default="XM-DAC-47066")
IATI_ACTIVITY_PREFIX = env.str("IATI_ACTIVITY_PREFIX", default="KEHRIZ-")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Debian 12 ships GDAL 3.6, which cannot block file and network access from within spatial
# reference definitions (gis.W001). The app only reads geometries it produced or that users upload
# as GeoJSON/CSV/XLSX coordinates, never user-supplied spatial reference strings; see README.
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=["gis.W001"])

# Photos. MEDIA_ROOT is never served as such: each photo goes through the view at /photos/<uuid>/,
# which checks that the visitor may see its kəhriz, then sends the file itself (PHOTO_SERVE=django,
# the default) or lets nginx send it (PHOTO_SERVE=nginx: an X-Accel-Redirect to
# PHOTO_ACCEL_PREFIX + the file's name, with `location /protected-media/ { internal; alias
# <MEDIA_ROOT>/; }` in nginx). Uploads larger than PHOTO_MAX_BYTES or PHOTO_MAX_PIXELS are refused.
PHOTO_SERVE = env.str("PHOTO_SERVE", default="django")
if PHOTO_SERVE not in ("django", "nginx"):
    raise environ.ImproperlyConfigured(f"PHOTO_SERVE must be 'django' or 'nginx', not {PHOTO_SERVE!r}.")
PHOTO_ACCEL_PREFIX = env.str("PHOTO_ACCEL_PREFIX", default="/protected-media/")
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)

# Spreadsheet imports (admin "Import from spreadsheet"): what a file may hold. A file over a limit
# is refused, saying which limit and the file's figure, before its rows are read.
# The upload itself, in bytes.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# Rows of one file (after the header; blank rows count).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
# What an XLSX workbook unpacks to (the sum of its parts), in bytes: 20,000 rows of the widest
# template take about 40 MB of sheet XML.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024)
# How many times a part of a workbook (over 1 MB unpacked) may be compressed: real sheets are
# compressed about 5 to 20 times; a "zip bomb" hundreds or thousands.
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)
