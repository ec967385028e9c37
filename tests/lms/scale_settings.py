"""The production settings, as the web servers and workers of tests/lms/test_scale_out.py
run them (everything else from their environment, as in production: database, broker,
cache, media folder, grading lease).

Two differences, both for the test's sake: static files are not collected before every
run (the manifest storage refuses to render a page without its manifest, and collecting
and compressing them takes longer than the test), and the suite's fast password hash is
accepted besides production's, because the test's accounts are made with it."""

from django.conf import global_settings

from lms.settings.production import *  # noqa: F403
from lms.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
