"""Interactive submissions overtake a bulk regrade on the real broker (Redis priorities).

Runs against the configured broker when it is Redis (CI: ``CELERY_BROKER_URL=redis://...``),
on a queue of its own so no worker of another test takes the messages.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from kombu import Consumer, Queue

from grading import queue as grading_queue
from lms.celery import app


def redis_reachable() -> bool:
    url = urlparse(str(settings.CELERY_BROKER_URL))
    if url.scheme not in ("redis", "rediss"):
        return False
    try:
        socket.create_connection((url.hostname or "localhost", url.port or 6379), 1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not redis_reachable(), reason="the broker is not a reachable Redis")


def test_an_interactive_submission_overtakes_a_bulk_regrade():
    queue = Queue(f"grading-priority-test-{os.getpid()}")
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        assert channel.priority_steps == list(range(10))  # every level its own list
        queue(channel).declare()
        try:
            # As grading.queue sends them: the regrade first, then one student's submit.
            for submission_id in range(1, 6):
                app.send_task(
                    grading_queue.GRADE_SUBMISSION_TASK,
                    args=(submission_id,),
                    priority=grading_queue.BULK_PRIORITY,
                    queue=queue.name,
                    connection=connection,
                )
            app.send_task(
                grading_queue.GRADE_SUBMISSION_TASK,
                args=(99,),
                priority=grading_queue.INTERACTIVE_PRIORITY,
                queue=queue.name,
                connection=connection,
            )

            received: list[int] = []

            def on_message(body, message):
                received.append(message.headers["argsrepr"])
                message.ack()

            # The worker's way of reading: BRPOP over the queue's priority lists.
            with Consumer(connection, [queue], callbacks=[on_message], accept=["json"]):
                while len(received) < 6:
                    connection.drain_events(timeout=5)
        finally:
            queue(channel).delete()

    assert received[0] == "(99,)"
    assert received[1:] == [f"({i},)" for i in range(1, 6)]
