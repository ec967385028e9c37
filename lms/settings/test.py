"""The test suite: fast hashing, in-memory e-mail, a file SQLite database a worker can share."""

import os

from .base import *  # noqa: F403
from .base import (
    CACHES,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    DATABASES,
    REST_FRAMEWORK,
    VAR_DIR,
)

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"

# The suite logs in, posts and resets passwords far more often than a person: no lockout,
# throttle or reset limit here. The tests of those switch them on (tests/people/
# test_brute_force.py) with the production values.
AXES_ENABLED = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {scope: None for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}
PASSWORD_RESET_RATE_PER_ADDRESS = None
PASSWORD_RESET_RATE_PER_IP = None
EMAIL_CHANGE_RATE_PER_ACCOUNT = None
FIRST_LOGIN_FAILURES_PER_IP = None
LOGIN_INVITATIONS_RATE_PER_COHORT = None

# One id per test run, shared with the worker processes it starts (tests/worker.py), so
# runs side by side on one machine never share a database file or a broker folder.
TEST_RUN_ID = os.environ.setdefault("LMS_TEST_RUN_ID", str(os.getpid()))

if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # the test process and the workers it starts share one cache folder per run
    CACHES = {
        "default": {**CACHES["default"], "LOCATION": str(VAR_DIR / "test-cache" / TEST_RUN_ID)}
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real Celery worker process can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{TEST_RUN_ID}.sqlite3")}

# A Celery worker started by the suite (tests/worker.py) is pointed at the test database.
if os.environ.get("LMS_TEST_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LMS_TEST_DATABASE_NAME"]

if CELERY_BROKER_URL.startswith("filesystem"):
    # Never share a queue folder with a running `make demo`.
    _BROKER = VAR_DIR / "test-broker" / TEST_RUN_ID
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(_BROKER / "queue"),
        "data_folder_out": str(_BROKER / "queue"),
        "processed_folder": str(_BROKER / "processed"),
        "control_folder": str(_BROKER / "control"),
    }

# A grading in a test renews no lease (tests/grading/test_recovery.py sets its own): the
# renewing thread's connection would wait on the test's open transaction under SQLite.
GRADING_LEASE_SECONDS = 3600
