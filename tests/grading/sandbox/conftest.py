import pytest

from grading.sandbox.forkserver import ForkServer
from grading.sandbox.pool import WarmPool


@pytest.fixture(scope="session")
def warm_pool():
    """One warm pool (and fork server) for every test that grades on the fast path."""
    if not ForkServer.available():
        pytest.skip("the fork server needs bubblewrap and a root grader")
    pool = WarmPool(size=2).start()
    yield pool
    pool.stop()
