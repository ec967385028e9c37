"""Demo: three real notebook exercises, one per track, in the lessons of the demo courses.

`manage.py load_demo` calls `load()` after courses.demo. For each notebook of
grading/demo_notebooks/ it creates or updates the exercise, checks it in the sandbox
right away (only when its source changed, or an earlier check did not pass), says which
competence each graded cell evidences, attaches it to the first course of its track and
puts it in a lesson of that course, and makes sure the track's demo cohorts have the
course. Students then solve it in the lesson and the running worker grades them.

Idempotent: running it again changes nothing unless a notebook changed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from . import services
from .models import Exercise, ExerciseCellCompetence

log = logging.getLogger("grading")

NOTEBOOKS = Path(__file__).resolve().parent / "demo_notebooks"


@dataclass(frozen=True)
class DemoExercise:
    slug: str  # also the notebook's file name
    track: str  # people.models.Track
    title: str
    description: str
    # grade_id -> [(framework slug, competence code, level)]
    competences: dict[str, list[tuple[str, str, int]]]


EXERCISES = [
    DemoExercise(
        slug="school-strong-passwords",
        track="school",
        title="Strong passwords",
        description=(
            "Write a function that checks a password the way websites do: length, "
            "letters, digits and symbols."
        ),
        competences={
            "test_length": [("digcomp-2-2", "4.1", 3)],
            "test_rules": [("digcomp-2-2", "4.1", 4), ("digcomp-2-2", "4.2", 3)],
            "explain_length": [("digcomp-2-2", "4.2", 4)],
        },
    ),
    DemoExercise(
        slug="university-sensor-cleaning",
        track="university",
        title="Cleaning sensor readings",
        description=(
            "Air-quality readings with gaps and a broken sensor: compute a clean mean and "
            "count the hours above a limit."
        ),
        competences={
            "test_clean_mean": [("digcomp-2-2", "1.3", 5), ("digcomp-2-2", "3.4", 5)],
            "test_hours_above": [("digcomp-2-2", "1.3", 4), ("digcomp-2-2", "3.4", 4)],
        },
    ),
    DemoExercise(
        slug="scholarship-knn-by-hand",
        track="scholarship",
        title="A classifier by hand: k nearest neighbours",
        description=(
            "Build the k-nearest-neighbours classifier yourself, then think about its use "
            "for decisions about people."
        ),
        competences={
            "test_clear_cases": [
                ("unesco-ai-students", "3.1", 1),
                ("unesco-ai-students", "3.2", 2),
            ],
            "test_ties": [("unesco-ai-students", "3.2", 2), ("unesco-ai-students", "3.3", 3)],
            "ethics": [("unesco-ai-students", "2.2", 2)],
        },
    ),
]


def load() -> list:
    for demo in EXERCISES:
        load_exercise(demo)
    return []  # no new credentials: the demo students and teachers come from lms.demo


def load_exercise(demo: DemoExercise) -> Exercise | None:
    course = _course_for_track(demo.track)
    if course is None:
        log.warning("demo exercise %s skipped: no course of the %s track", demo.slug, demo.track)
        return None
    path = NOTEBOOKS / f"{demo.slug}.ipynb"
    exercise, outcome = services.exercise_import(
        slug=demo.slug,
        data=path.read_bytes(),
        filename=path.name,
        title=demo.title,
        course=course,
        queue_check=False,  # checked right here, so the demo is ready when the server starts
    )
    if exercise.description != demo.description:
        Exercise.objects.filter(pk=exercise.pk).update(description=demo.description)
    if outcome != services.ImportOutcome.UNCHANGED or not exercise.is_ready:
        exercise = services.exercise_validate(exercise_id=exercise.pk)
        if not exercise.is_ready:
            log.warning(
                "demo exercise %s did not pass its check: %s",
                demo.slug,
                "; ".join(exercise.validation_report.get("problems", [])),
            )
    _link_competences(exercise, demo)
    _put_in_a_lesson(exercise, demo.track)
    _assign_to_demo_cohorts(exercise.course, demo.track)
    return exercise


def _course_for_track(track: str):
    """The first course of the track: courses.demo's choice, else the first in the tree."""
    try:
        from courses.demo import course_for_track
    except ImportError:
        course_for_track = None
    if course_for_track is not None:
        return course_for_track(track)
    from courses.models import CoursePage
    from curricula.models import CurriculumPage

    for curriculum in CurriculumPage.objects.filter(track=track).order_by("path"):
        course = CoursePage.objects.child_of(curriculum).order_by("path").first()
        if course is not None:
            return course
    return None


@transaction.atomic
def _link_competences(exercise: Exercise, demo: DemoExercise) -> None:
    from curricula.models import Competence

    for grade_id, links in demo.competences.items():
        for framework, code, level in links:
            competence = Competence.objects.filter(
                area__framework__slug=framework, code=code
            ).first()
            if competence is None:
                log.warning("demo: no competence %s %s", framework, code)
                continue
            ExerciseCellCompetence.objects.update_or_create(
                exercise=exercise,
                grade_id=grade_id,
                competence=competence,
                defaults={"level": level},
            )


def _put_in_a_lesson(exercise: Exercise, track: str) -> None:
    """courses.demo embeds it in the track's practice lesson; else the course's first lesson."""
    try:
        from courses.demo import attach_exercise
    except ImportError:
        attach_exercise = None
    if attach_exercise is not None:
        attach_exercise(track=track, exercise=exercise)
        return
    from courses.models import LessonPage

    lesson = LessonPage.objects.child_of(exercise.course).order_by("path").first()
    if lesson is None:
        return
    body = list(lesson.body.raw_data)
    if any(
        block.get("type") == "exercise"
        and (block.get("value") or {}).get("exercise") == exercise.pk
        for block in body
    ):
        return
    body.append({"type": "exercise", "value": {"exercise": exercise.pk}})
    lesson.body = json.dumps(body)
    lesson.save_revision().publish()


def _assign_to_demo_cohorts(course, track: str) -> None:
    """Cohorts of the track that do not have the course yet get it (dates left open);
    an existing assignment, with the dates courses.demo gave it, is kept as it is."""
    from courses.models import CourseAssignment
    from courses.services import course_assign
    from people.models import Cohort, Membership, Role

    for cohort in Cohort.objects.filter(track=track):
        if CourseAssignment.objects.filter(course=course, cohort=cohort).exists():
            continue
        teacher = (
            Membership.objects.filter(cohort=cohort, role=Role.TEACHER)
            .select_related("user")
            .first()
        )
        course_assign(course=course, cohort=cohort, assigned_by=teacher.user if teacher else None)
