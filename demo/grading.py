"""Demo exercises: three real notebook exercises, one per track, in the lessons of the demo
courses.

`manage.py load_demo` calls `load()` after demo.courses. For each notebook of
demo/notebooks/ it creates or updates the exercise, checks it in the sandbox
right away (only when its source changed, or an earlier check did not pass), says which
competence each graded cell evidences, attaches it to the first course of its track and
puts it in a lesson of that course, and makes sure the track's demo cohorts have the
course. Students then solve it in the lesson and the running worker grades them.

Idempotent: running it again changes nothing unless a notebook changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from courses.models import CourseAssignment, CoursePage
from courses.services import course_assign
from curricula.models import Competence
from grading import services
from grading.models import Exercise, ExerciseCellCompetence
from people.models import Cohort, Membership, Role

from .courses import attach_exercise, course_for_track

log = logging.getLogger("grading")

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


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


def load() -> None:
    for demo in EXERCISES:
        load_exercise(demo)


def load_exercise(demo: DemoExercise) -> Exercise | None:
    course = course_for_track(demo.track)
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
    attach_exercise(track=demo.track, exercise=exercise)  # in the practice lesson
    _assign_to_demo_cohorts(exercise.course, demo.track)
    return exercise


@transaction.atomic
def _link_competences(exercise: Exercise, demo: DemoExercise) -> None:
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


def _assign_to_demo_cohorts(course: CoursePage, track: str) -> None:
    """Cohorts of the track that do not have the course yet get it (dates left open);
    an existing assignment, with the dates demo.courses gave it, is kept as it is."""
    for cohort in Cohort.objects.filter(track=track):
        if CourseAssignment.objects.filter(course=course, cohort=cohort).exists():
            continue
        teacher = (
            Membership.objects.filter(cohort=cohort, role=Role.TEACHER)
            .select_related("user")
            .first()
        )
        course_assign(course=course, cohort=cohort, assigned_by=teacher.user if teacher else None)
