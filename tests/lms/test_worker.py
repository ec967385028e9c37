"""The suite talks to a real broker and a real worker process, as production does."""

import pytest
from django.db import transaction

from lms.models import WorkerHeartbeat
from lms.tasks import worker_heartbeat_task
from tests.worker import wait_for

pytestmark = pytest.mark.worker


def test_a_queued_task_is_consumed_by_a_real_worker(celery_worker_process):
    assert not WorkerHeartbeat.objects.exists()
    with transaction.atomic():
        transaction.on_commit(worker_heartbeat_task.delay)

    heartbeat = wait_for(
        lambda: WorkerHeartbeat.objects.first(),
        timeout=30,
        message=f"the worker never ran the task:\n{celery_worker_process.log()}",
    )
    assert heartbeat.worker.startswith("test-")
