"""The two ways a kernel is started, for the tests of the sandbox and of execution.

``cold``: a fresh bwrap sandbox per notebook (``execute_notebook``). ``fork``: a kernel of the
warm pool, forked by the sandboxed fork server (``WarmPool.execute``), the fast path a
grading worker takes. Every sandbox and tampering test runs both ways; the pool is the
session's ``warm_pool`` fixture (conftest.py).
"""

from __future__ import annotations

import pytest

from grading.sandbox.execute import execute_notebook

KERNEL_PATHS = ["cold", "fork"]


def executor_for(path: str, request: pytest.FixtureRequest):
    """``execute_notebook`` or the warm pool's ``execute`` (same signature)."""
    if path == "fork":
        return request.getfixturevalue("warm_pool").execute
    return execute_notebook
