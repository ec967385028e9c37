"""Lesson views are counted in bulk when Redis is the shared cache (courses.services.
lesson_visit_soon, lesson_visits_flush): a view is one append to a list in Redis, beat's
flush writes the progress rows and xAPI statements, each view with its own time. Without
Redis (or with Redis down) a view is written at once. Against the machine's Redis (CI's
too), under a key prefix of the test's own."""

import json
import os
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import services
from courses.models import CourseProgress, LessonProgress
from lms.cache import buffer_push
from lms.celery import app
from xapi.models import StatementOutbox

from .pages import course, lesson, student_of

pytestmark = pytest.mark.django_db

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "lms.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": f"test-visits-{uuid.uuid4().hex}",
        }
    }
    yield
    from django.core.cache import cache

    cache.clear()


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>", "id": str(uuid.uuid4())}


def viewed(statement: StatementOutbox) -> tuple[str, str]:
    s = statement.statement
    return s["object"]["id"].rsplit("/", 2)[-2:], s["timestamp"]


def test_with_redis_a_view_writes_nothing_until_the_flush_writes_every_view(client, redis_cache):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Variables")])
    student = student_of(a_course)
    client.force_login(student)
    started = timezone.now()

    for _view in range(3):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(a_lesson.url).status_code == 200
    writes = [q["sql"] for q in captured if not q["sql"].startswith("SELECT")]
    assert writes == []  # the third view: session and user read, nothing written
    assert not LessonProgress.objects.filter(student=student).exists()
    assert not StatementOutbox.objects.exists()

    done = services.lesson_visits_flush()

    assert (done.views, done.students, done.skipped) == (3, 1, 0)
    progress = LessonProgress.objects.get(student=student, lesson=a_lesson)
    assert progress.visits == 3
    assert started <= progress.first_visited_at < progress.last_visited_at <= timezone.now()
    summary = CourseProgress.objects.get(student=student, course=a_course)
    assert summary.last_activity_at == progress.last_visited_at
    assert summary.lessons_total == 1  # made as a first visit makes it
    statements = sorted(
        StatementOutbox.objects.filter(verb__endswith="/experienced"), key=lambda s: s.pk
    )
    assert [viewed(s)[0] for s in statements] == [["lesson", str(a_lesson.pk)]] * 3
    times = sorted(viewed(s)[1] for s in statements)  # each view's own time, not the flush's
    assert times[0] == progress.first_visited_at.isoformat()
    assert times[-1] == progress.last_visited_at.isoformat()
    assert services.lesson_visits_flush().views == 0  # taken once: nothing counted twice


def test_later_views_add_to_the_row_and_move_the_last_activity(client, redis_cache):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Loops")])
    student = student_of(a_course)
    client.force_login(student)
    client.get(a_lesson.url)
    services.lesson_visits_flush()
    first = LessonProgress.objects.get(student=student)

    client.get(a_lesson.url)
    client.get(a_lesson.url)
    services.lesson_visits_flush()

    again = LessonProgress.objects.get(student=student)
    assert again.visits == 3
    assert again.first_visited_at == first.first_visited_at
    assert again.last_visited_at > first.last_visited_at
    summary = CourseProgress.objects.get(student=student, course=a_course)
    assert summary.last_activity_at == again.last_visited_at


def test_the_flush_drops_what_is_not_a_view_and_writes_the_rest(client, redis_cache, caplog):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Functions")])
    student = student_of(a_course)
    client.force_login(student)
    client.get(a_lesson.url)
    at = (timezone.now() - timedelta(minutes=1)).timestamp()
    assert buffer_push(services.VISITS_BUFFER, "not json")
    assert buffer_push(services.VISITS_BUFFER, json.dumps(["x", 1, 2, 3]))
    # a view of a student deleted since: nobody to write it for
    assert buffer_push(services.VISITS_BUFFER, json.dumps([10**9, a_lesson.pk, a_course.pk, at]))
    client.get(a_lesson.url)

    done = services.lesson_visits_flush()

    assert (done.views, done.skipped) == (2, 3)
    assert LessonProgress.objects.get(student=student).visits == 2
    assert "not a view was dropped" in caplog.text


def test_views_a_failed_flush_took_go_back_for_the_next(client, redis_cache, monkeypatch):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Tuples")])
    student = student_of(a_course)
    client.force_login(student)
    client.get(a_lesson.url)
    client.get(a_lesson.url)

    def down(items):
        raise OperationalError("the database is down")

    monkeypatch.setattr(services, "_visits_write", down)
    with pytest.raises(OperationalError):
        services.lesson_visits_flush()
    monkeypatch.undo()

    assert services.lesson_visits_flush().views == 2
    assert LessonProgress.objects.get(student=student).visits == 2


def test_without_redis_a_view_is_written_at_once(client):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Strings")])
    student = student_of(a_course)
    client.force_login(student)

    client.get(a_lesson.url)
    client.get(a_lesson.url)

    assert LessonProgress.objects.get(student=student).visits == 2
    assert services.lesson_visits_flush().views == 0


def test_with_redis_down_a_view_is_written_at_once(client, settings):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Lists")])
    student = student_of(a_course)
    client.force_login(student)
    settings.CACHES = {  # nothing listens on port 9
        "default": {
            "BACKEND": "lms.cache_backends.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }

    assert client.get(a_lesson.url).status_code == 200

    assert LessonProgress.objects.get(student=student).visits == 1
    assert services.lesson_visits_flush().views == 0


def test_beat_runs_the_flush_every_few_seconds():
    entry = next(
        e for e in app.conf.beat_schedule.values() if e["task"].endswith("lesson_visits_flush_task")
    )
    assert entry["schedule"] <= 5
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
