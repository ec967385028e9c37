"""Reads of the LTI tool: the catalogue a teacher picks from, and which LMS origins may
frame the tool's pages."""

from __future__ import annotations

from dataclasses import dataclass

from courses.models import CoursePage
from grading.models import Exercise

from .dynamic import origin
from .models import Registration


@dataclass(frozen=True)
class CatalogueCourse:
    course: CoursePage
    exercises: list[Exercise]


def catalogue() -> list[CatalogueCourse]:
    """Published courses, each with its ready exercises: what a deep link may point to."""
    exercises: dict[int, list[Exercise]] = {}
    for exercise in Exercise.objects.filter(
        status=Exercise.Status.READY, course__live=True
    ).order_by("title", "pk"):
        exercises.setdefault(exercise.course_id, []).append(exercise)
    return [
        CatalogueCourse(course=course, exercises=exercises.get(course.pk, []))
        for course in CoursePage.objects.live().order_by("title", "pk")
    ]


def chosen(items: list[str]) -> tuple[list[Exercise], list[CoursePage]]:
    """The picker's "exercise:12" / "course:5" values, as what they name (if still there)."""
    ids = {"exercise": set(), "course": set()}
    for item in items:
        kind, _sep, pk = item.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    exercises = list(
        Exercise.objects.filter(
            pk__in=ids["exercise"], status=Exercise.Status.READY, course__live=True
        ).order_by("title", "pk")
    )
    courses = list(CoursePage.objects.live().filter(pk__in=ids["course"]).order_by("title", "pk"))
    return exercises, courses


def accepts_multiple(claims: dict) -> bool:
    settings = (
        claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings") or {}
    )
    return settings.get("accept_multiple") in (True, "true")


def frame_origins(registration: Registration | None) -> list[str]:
    if registration is None:
        return []
    found = {o for o in registration.frame_origins if o}
    if origin(registration.issuer):
        found.add(origin(registration.issuer))
    return sorted(found)


def all_frame_origins() -> list[str]:
    """Before a launch says which LMS it comes from: any registered one."""
    found: set[str] = set()
    for registration in Registration.objects.filter(status=Registration.Status.ACTIVE):
        found.update(frame_origins(registration))
    return sorted(found)
