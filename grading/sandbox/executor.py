"""Which executor grades here: this process's warm kernel pool if it runs one (a grading
worker, started by lms/celery.py), else a cold sandboxed kernel per notebook."""

from __future__ import annotations

from grading.notebook.types import Executor

from .execute import execute_notebook
from .pool import current_pool


def sandboxed_executor() -> Executor:
    """The executor for the next notebook; ask again for each one (the pool may stop)."""
    pool = current_pool()
    if pool is not None:
        return pool.execute
    return execute_notebook
