"""Settings shared by every environment.

Everything that differs between a laptop, CI and production comes from the environment
(django-environ); the defaults here work on a laptop with no service running: SQLite and
a broker kept in files under var/.
"""

import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime data on a laptop: database, broker, media

env = environ.Env()
# A .env file beside manage.py is read when present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # platform apps first so their templates override Wagtail's and Django's
    "lms",
    "people",
    "sso",
    "cms",
    "curricula",
    "evidence",
    "xapi",
    "courses",
    "grading",
    "reports",
    "credentials",
    "lti",
    "demo",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # API
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # periodic tasks
    "django_celery_beat",
    # security: login lockout (django-axes), Content-Security-Policy (django-csp)
    "axes",
    "csp",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (README "Security")
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "lms.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # API URLs with a NUL character: 404/400 on every database (lms/api/middleware.py)
    "lms.api.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # last, as django-axes asks: turns a locked-out login into the lockout answer
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"
ASGI_APPLICATION = "lms.asgi.application"
AUTH_USER_MODEL = "people.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "people.context_processors.platform",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------
# Database: SQLite on a laptop, PostgreSQL when DATABASE_URL says so
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# ---------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: wait for the lock
    # instead of failing at once, and let readers proceed while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

# ---------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@skills.example.az")

# ---------------------------------------------------------------------------------------
# Brute force: login lockout, API throttles, password-reset limits (README "Security")
# ---------------------------------------------------------------------------------------
# Proxies in front of the web servers that append the client's address to
# X-Forwarded-For. 0: the connection's address is the client's and the header is ignored
# (a client could write anything there). Lockouts, throttles and limits all use it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Throttle and limit counters, sessions (production), the page, role, panel and report
# caches (lms/cache.py) live in the cache, and every process must share it: a grading
# worker retires the dashboard a web process shows. Redis in production
# (CACHE_URL=redis://redis:6379/1); by default a folder of files shared by the processes
# of this machine (the demo's web server and worker).
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-cache-url
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # Redis down is a miss, not an error page (lms/cache_backends.py); give up quickly
        CACHES["default"]["BACKEND"] = "lms.cache_backends.ResilientRedisCache"
        CACHES["default"].setdefault("OPTIONS", {}).update(
            {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
        )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# django-axes checks every login (web, /admin/, /django-admin/, the API token) before the
# password: after LOGIN_FAILURE_LIMIT failures for one username from one address, that
# pair is refused for LOGIN_COOLOFF_MINUTES (each refused try starts the wait again).
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out pair never reaches a password
    # Django's ModelBackend, reading the signed-in user with a query compiled once
    "people.backends.PasswordBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# By username and address together: a class behind one school address is not locked out
# by one pupil's typos, and nobody can lock a pupil out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a right password after a typo or two starts the count again
AXES_CLIENT_IP_CALLABLE = "people.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "people.lockout.lockout_response"  # 429, Retry-After, translated
# "code": the one-time login codes of the first-login page (people/logincodes.py)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "code"]
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts still logged
# Failed attempts are what a lockout needs (deleted once their cool-off is over); a log of
# every successful login and the pupil's address is not kept (Django keeps last_login).
AXES_DISABLE_ACCESS_LOG = True

# Password reset e-mails: per address asked for (silently: the page never says whether
# the address exists or was limited) and per client address (a 429 page). "N/period",
# period one of second, minute, hour, day, as DRF's rates.
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="3/hour")
PASSWORD_RESET_RATE_PER_IP = env.str("PASSWORD_RESET_RATE_PER_IP", default="20/hour")
# Links confirming a new e-mail address (PATCH /api/v1/me/), per account: no signed-in
# user makes the platform mail whomever they like (README "Security").
EMAIL_CHANGE_RATE_PER_ACCOUNT = env.str("EMAIL_CHANGE_RATE_PER_ACCOUNT", default="5/hour")
# First login with a one-time code (people/logincodes.py): wrong codes per client address
# (a class behind one school address makes typos too; django-axes also locks a username
# after LOGIN_FAILURE_LIMIT wrong codes from one address), and invitation e-mails per
# cohort, so that no button pressed again and again floods the pupils' inboxes.
FIRST_LOGIN_FAILURES_PER_IP = env.str("FIRST_LOGIN_FAILURES_PER_IP", default="100/hour")
LOGIN_INVITATIONS_RATE_PER_COHORT = env.str("LOGIN_INVITATIONS_RATE_PER_COHORT", default="3/hour")

# ---------------------------------------------------------------------------------------
# Security headers: Content-Security-Policy (django-csp), Permissions-Policy
# https://django-csp.readthedocs.io/en/latest/configuration.html
# ---------------------------------------------------------------------------------------
# Players a lesson's video block may embed (Wagtail's EmbedBlock, oEmbed iframes).
CSP_FRAME_SOURCES = env.list(
    "CSP_FRAME_SOURCES",
    default=[
        "https://www.youtube.com",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
    ],
)
# The platform's pages: scripts and styles only from the platform's own static files: no
# inline script element, no on*= handler, no style element or attribute, nothing from
# elsewhere. The feedback page of a submission sends its own, stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # NONCE: the style element of the exercise page's code editor (CodeMirror) carries
        # the page's nonce; a page that does not use it gets no nonce in its policy
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "frame-src": ["'self'", *CSP_FRAME_SOURCES],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Wagtail's and Django's admins write inline scripts and styles of their own: under these
# prefixes (and only there) a relaxed policy allows them (lms/middleware.py).
CONTENT_SECURITY_POLICY_ADMIN = {
    "URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'self'"],  # Wagtail's preview panel frames admin pages
    },
}
# Browser features no page of the platform uses, switched off for every page and frame.
# https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Permissions-Policy
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ]
}

# ---------------------------------------------------------------------------------------
# Languages: az, ru, en with language-prefixed URLs
# ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("az", _("Azerbaijani")), ("ru", _("Russian")), ("en", _("English"))]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
WAGTAIL_I18N_ENABLED = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Baku")
USE_TZ = True

# ---------------------------------------------------------------------------------------
# Static and media files (whitenoise serves static; nothing from a CDN)
# https://whitenoise.readthedocs.io/en/stable/django.html
# ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000  # Wagtail's page editor posts many fields
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# ---------------------------------------------------------------------------------------
# Wagtail
# ---------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = _("National Digital Skills Platform")
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "ipynb", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no outbound calls from the admin
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# No avatars from gravatar.com: a third party would learn who opens the admin (and the
# admin's Content-Security-Policy would refuse the images anyway). Initials instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The time zones a user may pick on their account page, whose script names each one in the
# browser. The system's zone list (zoneinfo.available_timezones(), Wagtail's default) also
# holds files that are no zones: Debian's "localtime" link to the machine's own zone, which
# browsers refuse ("Invalid time zone specified"), "posixrules" and the "Factory" filler.
# https://docs.wagtail.org/en/stable/reference/settings.html#wagtail-user-time-zones
WAGTAIL_USER_TIME_ZONES = sorted(
    zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"}
)

# ---------------------------------------------------------------------------------------
# API: DRF + drf-spectacular
# https://www.django-rest-framework.org/api-guide/settings/
# ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous client gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, with a depth limit on JSON (deep nesting would exhaust the stack)
    "DEFAULT_PARSER_CLASSES": [
        "lms.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "lms.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "lms.api.filters.FilterBackend",  # django-filter's, refusing unreadable booleans
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # spectacular's, with the errors each operation can answer (lms/api/schema.py)
    "DEFAULT_SCHEMA_CLASS": "lms.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "lms.api.errors.api_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    # Throttles (429 with Retry-After): anonymous clients by address, signed-in users by
    # account, and the scopes an endpoint names with `throttle_scope`.
    # https://www.django-rest-framework.org/api-guide/throttling/
    "DEFAULT_THROTTLE_CLASSES": [
        "lms.api.throttling.AnonThrottle",
        "lms.api.throttling.UserThrottle",
        "lms.api.throttling.ScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": "300/minute",
        "user": "1200/minute",  # a student's page polls a submission every 0.3-2 s
        "auth": "20/minute",  # POST /api/v1/auth/token/, per address
        "submissions": "20/minute",  # submit and regrade: each one is a sandbox run
        "runs": "60/minute",  # a student's Run and Check (short sandbox runs, grading/runs.py)
        "imports": "30/hour",  # CSV imports of students
        "reports": "60/minute",  # the ministry's aggregates
        **env.dict("API_THROTTLE_RATES", default={}),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # never believe a client's own X-Forwarded-For
}
SPECTACULAR_SETTINGS = {
    "TITLE": "National Digital Skills Platform API",
    "DESCRIPTION": "Courses, exercises, grading and ministry aggregates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Only the platform's API, not Wagtail's internal admin API under /admin/api/.
    "PREPROCESSING_HOOKS": ["lms.api.schema.platform_endpoints_only"],
    # The docs page loads Swagger UI from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets named by what they are where two share a field name
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "grading.models.ExerciseRun.Status",
        "RunKindEnum": "grading.models.ExerciseRun.Kind",
    },
}

# ---------------------------------------------------------------------------------------
# Celery: JSON only, late acks, a dedicated grading queue
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# The embedded broker's folder; a benchmark or a second checkout sets its own.
_FILE_BROKER = Path(env.str("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        # kombu's filesystem transport: the embedded broker for a laptop, no service needed
        "data_folder_in": str(_FILE_BROKER / "queue"),
        "data_folder_out": str(_FILE_BROKER / "queue"),
        "processed_folder": str(_FILE_BROKER / "processed"),
        "control_folder": str(_FILE_BROKER / "control"),
        "store_processed": False,
        # How often an idle worker lists the queue folder. kombu's default (1 s) would be
        # most of a student's wait for a grade; 20 listings a second of an (almost) empty
        # folder cost ~1% of a core. https://docs.celeryq.dev/projects/kombu/en/stable/
        # reference/kombu.transport.virtual.html#kombu.transport.virtual.Transport.polling_interval
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.05),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis: a task not acknowledged within this time is redelivered to another
        # worker; it must exceed the longest task (the hard time limit below).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # Priorities 0 (first) to 9: one Redis list per level, always read highest first, so
        # an interactive submission (0) overtakes a teacher's bulk regrade (6).
        # https://docs.celeryq.dev/en/stable/userguide/routing.html#redis-message-priorities
        "priority_steps": list(range(10)),
        "sep": ":",
        "queue_order_strategy": "priority",
    }
)
# The filesystem transport with atomic message writes (lms/broker.py explains why).
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT = "lms.broker:FilesystemTransport"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=None)

# ---------------------------------------------------------------------------------------
# Grading sandbox
# ---------------------------------------------------------------------------------------
# Student code only ever runs inside bubblewrap. On a laptop without it, a developer may
# allow running notebooks unsandboxed; the admin and every grading log line then say so.
GRADING_ALLOW_UNSANDBOXED = env.bool("GRADING_ALLOW_UNSANDBOXED", default=False)
# The beat task `requeue-stuck-submissions` (every 5 s) sends again: a submission the
# broker never took (it was down) once it has waited GRADING_RESEND_AFTER seconds; one the
# broker took but no worker started after GRADING_REQUEUE_QUEUED_AFTER seconds (a lost
# message); one whose grading worker stopped renewing its lease (GRADING_LEASE_SECONDS,
# renewed every third of it while it grades: a worker killed or a machine lost).
GRADING_RESEND_AFTER = env.int("GRADING_RESEND_AFTER", default=5)
GRADING_REQUEUE_QUEUED_AFTER = env.int("GRADING_REQUEUE_QUEUED_AFTER", default=600)
GRADING_LEASE_SECONDS = env.int("GRADING_LEASE_SECONDS", default=30)
# Each grading worker process keeps warm sandboxed kernels (grading/sandbox/pool.py):
# how many (default: sized from the cores and the memory available) and which modules
# its fork server imports once for every kernel (e.g. numpy,pandas).
GRADING_WARM_POOL = env.bool("GRADING_WARM_POOL", default=True)
GRADING_WARM_KERNELS = env.int("GRADING_WARM_KERNELS", default=None)
GRADING_PRELOAD_MODULES = env.list("GRADING_PRELOAD_MODULES", default=[])
# Runtimes (grading/sandbox/runtimes.py): where `make runtimes` builds them, and the one a
# notebook whose kernelspec is "python3" (or none) runs in.
GRADING_RUNTIMES_DIR = env.str("GRADING_RUNTIMES_DIR", default=str(BASE_DIR / "var" / "runtimes"))
GRADING_DEFAULT_RUNTIME = env.str("GRADING_DEFAULT_RUNTIME", default="data-science")
# A student's Run and Check (grading/runs.py): the student version on the warm kernels,
# through the "runs" queue, with short limits (per cell, per run, in seconds), at most this
# many queued or running per student, and answers of at most this many bytes in all.
GRADING_RUN_CELL_TIMEOUT = env.float("GRADING_RUN_CELL_TIMEOUT", default=10.0)
GRADING_RUN_TIMEOUT = env.float("GRADING_RUN_TIMEOUT", default=30.0)
GRADING_RUNS_MAX_PENDING = env.int("GRADING_RUNS_MAX_PENDING", default=3)
GRADING_ANSWER_MAX_BYTES = env.int("GRADING_ANSWER_MAX_BYTES", default=1024 * 1024)
# Data files of an exercise (grading/datafiles.py): at most this many MB each, and together.
GRADING_DATA_FILE_MAX_MB = env.int("GRADING_DATA_FILE_MAX_MB", default=20)
GRADING_DATA_FILES_MAX_MB = env.int("GRADING_DATA_FILES_MAX_MB", default=50)
# Similar submissions for teachers (grading/similarity.py, copydetect's winnowing:
# https://pypi.org/project/copydetect/, its "noise" and "guarantee" thresholds): matches
# shorter than K characters of normalized code are noise, and a window of WINDOW k-grams
# keeps one fingerprint (any match of K + WINDOW - 1 characters is found). A pair is kept
# when one answer shares at least THRESHOLD of its code with the other; at most MAX_PAIRS,
# the most alike, per check. A
# check still pending after STALE_AFTER seconds counts as lost: another may start.
GRADING_SIMILARITY_K = env.int("GRADING_SIMILARITY_K", default=25)
GRADING_SIMILARITY_WINDOW = env.int("GRADING_SIMILARITY_WINDOW", default=4)
GRADING_SIMILARITY_THRESHOLD = env.float("GRADING_SIMILARITY_THRESHOLD", default=0.5)
GRADING_SIMILARITY_MAX_PAIRS = env.int("GRADING_SIMILARITY_MAX_PAIRS", default=200)
GRADING_SIMILARITY_STALE_AFTER = env.int("GRADING_SIMILARITY_STALE_AFTER", default=900)

# ---------------------------------------------------------------------------------------
# Learning records: xAPI statements to a Learning Record Store (xapi/)
# ---------------------------------------------------------------------------------------
# What students do (lesson viewed, quiz answered, exercise submitted and graded, course
# completed) is written as xAPI 1.0.3 statements into an outbox in the same transaction,
# then posted to the LRS in batches by xapi.tasks.outbox_flush_task (README "Learning
# records"). The endpoint is the LRS's xAPI base, e.g. Ralph's http://127.0.0.1:8100/xAPI/
# (statements go to <endpoint>/statements). Empty: statements wait in the outbox.
# https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#partthree
XAPI_LRS_ENDPOINT = env.str("XAPI_LRS_ENDPOINT", default="")
XAPI_LRS_USERNAME = env.str("XAPI_LRS_USERNAME", default="")  # HTTP basic auth
XAPI_LRS_PASSWORD = env.str("XAPI_LRS_PASSWORD", default="")
XAPI_LRS_TIMEOUT = env.float("XAPI_LRS_TIMEOUT", default=10.0)  # seconds per request
# The actor of every statement is an account on this home page (never an e-mail), and
# activity ids are IRIs under it: set it once, to the platform's real public address.
XAPI_HOME_PAGE = env.str("XAPI_HOME_PAGE", default=WAGTAILADMIN_BASE_URL)
# Statements per POST, and batches per run of the flush task (the rest waits for the next).
XAPI_BATCH_SIZE = env.int("XAPI_BATCH_SIZE", default=50)
XAPI_FLUSH_MAX_BATCHES = env.int("XAPI_FLUSH_MAX_BATCHES", default=20)
# A statement the LRS did not take is tried again after BASE * 2^(attempts - 1) seconds, at
# most MAX seconds apart (an LRS that is down, or one that refused it until it is fixed).
XAPI_RETRY_BASE_SECONDS = env.int("XAPI_RETRY_BASE_SECONDS", default=30)
XAPI_RETRY_MAX_SECONDS = env.int("XAPI_RETRY_MAX_SECONDS", default=3600)

# ---------------------------------------------------------------------------------------
# Credentials: Open Badges 3.0 as VC-JWT (credentials/)
# ---------------------------------------------------------------------------------------
# Completing a course issues an OpenBadgeCredential signed as a VC-JWT (README
# "Credentials"). The issuer's id is the platform's public address: it is written into
# every credential (issuer, status list, key ids), so set it once, to the real https URL.
# https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof
CREDENTIALS_ISSUER_URL = env.str("CREDENTIALS_ISSUER_URL", default=WAGTAILADMIN_BASE_URL)
CREDENTIALS_ISSUER_NAME = env.str(
    "CREDENTIALS_ISSUER_NAME", default="National Digital Skills Platform"
)
# The algorithm of a new issuer key (`manage.py credential_keys --rotate`): ES256 (P-256)
# or EdDSA (Ed25519). Keys made earlier keep theirs.
CREDENTIALS_KEY_ALGORITHM = env.str("CREDENTIALS_KEY_ALGORITHM", default="ES256")
# How long verifiers may cache the JWK Set and the revocation status list (seconds): a
# revocation shows in a cached status list after at most this long.
CREDENTIALS_JWKS_MAX_AGE = env.int("CREDENTIALS_JWKS_MAX_AGE", default=3600)
CREDENTIALS_STATUS_LIST_MAX_AGE = env.int("CREDENTIALS_STATUS_LIST_MAX_AGE", default=300)


# ---------------------------------------------------------------------------------------
# Single sign-on: OpenID Connect identity providers (sso/)
# ---------------------------------------------------------------------------------------
# People sign in with an identity provider (national e-government ID, a university's IdP)
# set up by staff in the Django admin (Identity providers), through mozilla-django-oidc:
# authorization code flow with PKCE (S256), state and nonce; the ID token's signature,
# issuer, audience and expiry checked (README "Single sign-on").
# https://mozilla-django-oidc.readthedocs.io/en/stable/settings.html
# Seconds to wait for a provider (discovery, token request, JWK Set).
SSO_HTTP_TIMEOUT = env.float("SSO_HTTP_TIMEOUT", default=10.0)
# Verify the provider's TLS certificate; off only for a test provider with its own CA.
SSO_VERIFY_TLS = env.bool("SSO_VERIFY_TLS", default=True)
# Seconds of clock difference allowed with the provider for exp / iat of an ID token.
SSO_CLOCK_LEEWAY = env.int("SSO_CLOCK_LEEWAY", default=60)
# Wagtail's admin login with the rule "no local password where the institution turned
# them off" (people.forms), like the platform's login page.
# https://docs.wagtail.org/en/stable/reference/settings.html#wagtailadmin-user-login-form
WAGTAILADMIN_USER_LOGIN_FORM = "people.forms.PlatformAdminLoginForm"

# ---------------------------------------------------------------------------------------
# LTI 1.3 / LTI Advantage: the platform as a tool of university LMSs (lti/)
# ---------------------------------------------------------------------------------------
# A university's Moodle or Canvas adds the platform as an LTI 1.3 tool (README "LTI"):
# /lti/register/ (dynamic registration), /lti/login/, /lti/launch/, /lti/jwks/.
# https://www.imsglobal.org/spec/lti/v1p3 and https://www.imsglobal.org/spec/lti-dr/v1p0
# The platform URLs it talks to (keys, tokens, scores, rosters) must be https; a laptop or
# the tests, whose test LMS serves http on 127.0.0.1, allow http here.
LTI_ALLOW_INSECURE_URLS = env.bool("LTI_ALLOW_INSECURE_URLS", default=False)
# The platform's public address as the LMSs know it: the launch, login, JWKS and
# deep-linking URLs given to them are under it (an LMS compares redirect URIs exactly).
LTI_TOOL_URL = env.str("LTI_TOOL_URL", default=WAGTAILADMIN_BASE_URL)
# The tool's name in the LMS's list of external tools (dynamic registration).
LTI_TOOL_NAME = env.str("LTI_TOOL_NAME", default="National Digital Skills Platform")
# Seconds per request to an LMS (its keys, its token endpoint, AGS, NRPS, registration).
LTI_HTTP_TIMEOUT = env.float("LTI_HTTP_TIMEOUT", default=10.0)
# The track of the cohorts made for LMS courses (a university's course is one cohort).
LTI_COHORT_TRACK = env.str("LTI_COHORT_TRACK", default="university")
# A score the LMS did not take is tried again after BASE * 2^(attempts - 1) seconds, at
# most MAX apart, by the beat task `lti-passbacks-retry`; after MAX_ATTEMPTS it waits for
# an admin's "retry now" (Django admin, LTI grade passbacks). A 4xx refusal is not retried.
LTI_PASSBACK_RETRY_BASE_SECONDS = env.int("LTI_PASSBACK_RETRY_BASE_SECONDS", default=60)
LTI_PASSBACK_RETRY_MAX_SECONDS = env.int("LTI_PASSBACK_RETRY_MAX_SECONDS", default=6 * 3600)
LTI_PASSBACK_MAX_ATTEMPTS = env.int("LTI_PASSBACK_MAX_ATTEMPTS", default=20)
# How long a launch may be continued (deep-linking choice, "open in a new window"), seconds.
LTI_LAUNCH_LIFETIME = env.int("LTI_LAUNCH_LIFETIME", default=3600)
# The LTI login's state and nonce, and validated launches, live in this cache: with more
# than one web process it must be shared (CACHE_URL=redis://...), or a login handled by
# one process is unknown to the process that receives the launch.
LTI_CACHE = env.str("LTI_CACHE", default="default")

# ---------------------------------------------------------------------------------------
# Platform
# ---------------------------------------------------------------------------------------
PLATFORM_NAME = _("National Digital Skills Platform")
# Largest CSV an institution admin may import at once (rows).
STUDENT_IMPORT_MAX_ROWS = env.int("STUDENT_IMPORT_MAX_ROWS", default=5000)
# Groups smaller than this are suppressed in every aggregate a ministry role sees.
REPORTS_MIN_GROUP_SIZE = env.int("REPORTS_MIN_GROUP_SIZE", default=10)
# PostgreSQL: `rebuild_mastery` writes the roll-ups in this many ranges of students, side by
# side on as many connections (and PostgreSQL processes): at most the database server's
# cores; each range sorts in up to 1 GB of memory (reports/rollups/parts.py).
REPORTS_REBUILD_PARTS = env.int("REPORTS_REBUILD_PARTS", default=2)

# ---------------------------------------------------------------------------------------
# Logging: one line per event to stderr; the process manager collects it
# ---------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
        "django_tasks": {"level": "WARNING"},  # Wagtail's reference-index jobs, one per save
    },
}
