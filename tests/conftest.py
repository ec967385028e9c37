import pytest

from tests.worker import WorkerProcess


@pytest.fixture
def celery_worker_process(transactional_db, django_db_serialized_rollback):
    """A real `celery worker` process consuming from the broker, on the test database.

    Needs committed data (transactional_db), because the worker is another process.
    Serialized rollback, as in the browser tests: the data the migrations made (the home
    page and site, the frameworks, the groups) is there at the start, and the flush at the
    end leaves an empty database rather than one that post_migrate handlers half refilled,
    which the next test's restore would collide with.
    """
    worker = WorkerProcess(queues="default,grading,runs").start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through LocaleMiddleware leaves
    its language active in the thread, which would leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the page, route and role caches (lms/cache.py)
    outlive a test's database, whose rolled-back rows they could otherwise still show."""
    from django.core.cache import cache

    from lms.cache import forget_local

    cache.clear()
    forget_local()
    yield
