"""The ways a kernel is started, for the tests of the sandbox and of execution.

``cold``: a fresh bwrap sandbox per notebook (``execute_notebook``). ``fork``: a kernel of the
warm pool, forked by the sandboxed fork server (``WarmPool.execute``), the fast path a
grading worker takes. Both run the default runtime (data-science); ``fork:python-minimal``
is the fast path in the other shipped runtime, so every sandbox and tampering test holds in
every runtime too. The pool is the session's ``warm_pool`` fixture (conftest.py).
"""

from __future__ import annotations

import functools

import pytest

from grading.notebook.types import ExecutionEnv
from grading.sandbox.execute import execute_notebook

KERNEL_PATHS = ["cold", "fork", "fork:python-minimal"]


def executor_for(path: str, request: pytest.FixtureRequest):
    """``execute_notebook`` or the warm pool's ``execute`` (same signature), in a runtime."""
    how, _, runtime = path.partition(":")
    execute = request.getfixturevalue("warm_pool").execute if how == "fork" else execute_notebook
    if runtime:
        return functools.partial(execute, env=ExecutionEnv(runtime=runtime))
    return execute
