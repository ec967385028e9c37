"""Ralph's LRS application as bin/lrs serves it (run in Ralph's virtualenv, var/lrs/venv,
never imported by the platform).

One change to Ralph 5.1: its file-system LRS backend writes statements with the data
backend's default operation, CREATE, which refuses a file that exists, so every POST of new
statements after the first fails with 500 ("fs_lrs.jsonl already exists and overwrite is
not allowed"). An LRS's file must grow: this appends to it instead.
"""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402

__all__ = ["app"]
