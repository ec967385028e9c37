import pytest

from tests.worker import WorkerProcess


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` process consuming from the broker, on the test database.

    Needs committed data (transactional_db), because the worker is another process.
    """
    worker = WorkerProcess().start()
    try:
        yield worker
    finally:
        worker.stop()
