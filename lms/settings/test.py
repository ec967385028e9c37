"""The test suite: fast hashing, in-memory e-mail, a file SQLite database a worker can share."""

import os

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real Celery worker process can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

# A Celery worker started by the suite (tests/worker.py) is pointed at the test database.
if os.environ.get("LMS_TEST_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LMS_TEST_DATABASE_NAME"]

if CELERY_BROKER_URL.startswith("filesystem"):
    # Never share a queue folder with a running `make demo`.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "test-broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "test-broker" / "queue"),
        "processed_folder": str(VAR_DIR / "test-broker" / "processed"),
        "control_folder": str(VAR_DIR / "test-broker" / "control"),
        "store_processed": False,
    }
