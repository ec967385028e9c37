"""Celery tasks of the courses app: thin, idempotent, by id or by nothing at all."""

from celery import shared_task

from . import services


@shared_task(name="courses.tasks.lesson_visits_flush_task", ignore_result=True)
def lesson_visits_flush_task() -> dict:
    """Write the lesson views buffered in Redis (services.lesson_visit_soon). Run by beat
    every few seconds; two runs at once take different views (the buffer hands each out
    once)."""
    done = services.lesson_visits_flush()
    return {"views": done.views, "students": done.students, "skipped": done.skipped}
