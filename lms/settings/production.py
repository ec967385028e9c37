"""Production: every secret from the environment, HTTPS only, hashed static files."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Persistent database connections: a request reuses its process's connection instead of
# opening one (a PostgreSQL connection costs more than most pages), checked before reuse
# so a restarted database costs one failed check, not an error page.
# https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Sessions read from the shared cache (Redis, CACHE_URL), written through to the database:
# no session query per page. Only with a shared cache: a per-process cache would keep a
# session another process ended (a logout) alive in this one.
if not CACHES["default"]["BACKEND"].endswith("LocMemCache"):  # noqa: F405
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Static files: compressed (gzip and Brotli) with hashed names, served by whitenoise with a
# far-future, immutable cache lifetime (an unhashed name gets WHITENOISE_MAX_AGE).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = env.int("WHITENOISE_MAX_AGE", default=3600)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
