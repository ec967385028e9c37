"""Which executor grades here: this process's warm kernel pool if it runs one (a grading
worker, started by lms/celery.py), else a cold sandboxed kernel per notebook."""

from __future__ import annotations

from grading.notebook.types import Executor

from .execute import execute_notebook
from .graded_copy import execute_notebook_pair
from .pool import current_pool


class ColdExecutor:
    """A cold sandboxed kernel per notebook, and per pair of runs (graded_copy.py)."""

    __call__ = staticmethod(execute_notebook)
    execute_pair = staticmethod(execute_notebook_pair)


def sandboxed_executor() -> Executor:
    """The executor for the next notebook; ask again for each one (the pool may stop).
    Both have ``execute_pair``, the two runs of a hidden-test exercise in one kernel."""
    pool = current_pool()
    if pool is not None:
        return pool
    return ColdExecutor()
