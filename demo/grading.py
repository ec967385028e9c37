"""Demo exercises: real notebook exercises in the lessons of the demo courses: one per
track in the track's first course, and the three of the "Data and AI" course (pandas,
matplotlib, scikit-learn on a CSV file), which the university and scholarship tracks have.

`manage.py load_demo` calls `load()` after demo.courses. For each notebook of
demo/notebooks/ it creates or updates the exercise, with the data files of its assignment
folder (a notebook in a subfolder, as nbgrader lays out demo/notebooks/air-quality/: every
other file of the folder, read by grading.datafiles as `import_nbgrader` reads them),
checks it in the sandbox right away (only when its source or its files changed, or an
earlier check did not pass), says which competence each graded cell evidences, attaches it
to its course (the first course of its track unless it names one) and puts it in a lesson
of that course, and makes sure the course's demo cohorts have it. Students then solve it in
the lesson and the running worker grades them.

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
from grading.datafiles import folder_files
from grading.models import Exercise, ExerciseCellCompetence
from people.models import Cohort, Membership, Role

from .content.data_ai import COURSE_SLUG as DATA_AI
from .courses import (
    attach_exercise,
    attach_exercise_to_lesson,
    course_by_slug,
    course_for_track,
    tracks_of_course,
)

log = logging.getLogger("grading")

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


@dataclass(frozen=True)
class DemoExercise:
    slug: str  # also the notebook's file name, unless `notebook` names it
    track: str  # people.models.Track
    title: str
    description: str
    # grade_id -> [(framework slug, competence code, level)]
    competences: dict[str, list[tuple[str, str, int]]]
    # under demo/notebooks/; in a subfolder (an assignment folder) with its data files
    notebook: str = ""
    course: str = ""  # the course's slug; "" is the track's first course, its practice lesson
    lesson: str = ""  # the lesson's slug in `course` (needed with it)

    @property
    def path(self) -> Path:
        return NOTEBOOKS / (self.notebook or f"{self.slug}.ipynb")

    def data_files(self) -> dict[str, bytes] | None:
        """The files of the notebook's assignment folder; None for a notebook directly in
        demo/notebooks/ (it has none)."""
        folder = self.path.parent
        return None if folder == NOTEBOOKS else folder_files(folder)


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
    # The Data and AI course: one assignment folder, three notebooks, one CSV file.
    DemoExercise(
        slug="air-quality-district-means",
        notebook="air-quality/district-means.ipynb",
        track="university",
        course=DATA_AI,
        lesson="practice-air-quality-by-district",
        title="Air quality by district",
        description=(
            "Read two years of air-quality measurements from a CSV file and find, with a "
            "pandas group-by, the districts furthest from the WHO's target."
        ),
        competences={
            "test_district_means": [("digcomp-2-2", "1.3", 5), ("digcomp-2-2", "3.4", 4)],
            "test_months_above": [("digcomp-2-2", "1.2", 4), ("digcomp-2-2", "1.3", 4)],
        },
    ),
    DemoExercise(
        slug="air-quality-pm25-histogram",
        notebook="air-quality/pm25-histogram.ipynb",
        track="university",
        course=DATA_AI,
        lesson="plots-that-answer-a-question",
        title="How polluted is a month? A histogram",
        description=(
            "Draw the histogram of the monthly PM2.5 values with matplotlib, mark the limit, "
            "and say what the plot shows."
        ),
        competences={
            "test_bars": [("digcomp-2-2", "3.4", 4)],
            "test_labels": [("digcomp-2-2", "3.1", 4)],
            "test_limit_line": [("digcomp-2-2", "1.2", 4)],
            "interpretation": [("digcomp-2-2", "1.2", 5)],
        },
    ),
    DemoExercise(
        slug="air-quality-pollution-model",
        notebook="air-quality/pollution-model.ipynb",
        track="university",
        course=DATA_AI,
        lesson="a-first-model",
        title="Predicting a polluted month",
        description=(
            "Train a scikit-learn logistic regression on the weather and the district, and "
            "measure its accuracy on months it has not seen."
        ),
        competences={
            "test_prepare": [("digcomp-2-2", "1.3", 5), ("unesco-ai-students", "3.2", 2)],
            "test_accuracy": [
                ("unesco-ai-students", "3.2", 2),
                ("unesco-ai-students", "3.3", 3),
            ],
        },
    ),
]


def load() -> None:
    for demo in EXERCISES:
        load_exercise(demo)


def load_exercise(demo: DemoExercise) -> Exercise | None:
    course = course_by_slug(demo.course) if demo.course else course_for_track(demo.track)
    if course is None:
        log.warning("demo exercise %s skipped: no course for it", demo.slug)
        return None
    path = demo.path
    exercise, outcome = services.exercise_import(
        slug=demo.slug,
        data=path.read_bytes(),
        filename=path.name,
        title=demo.title,
        course=course,
        queue_check=False,  # checked right here, so the demo is ready when the server starts
        files=demo.data_files(),
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
    if demo.course:
        attach_exercise_to_lesson(course=course, lesson_slug=demo.lesson, exercise=exercise)
        tracks = tracks_of_course(demo.course)
    else:
        attach_exercise(track=demo.track, exercise=exercise)  # in the practice lesson
        tracks = [demo.track]
    for track in tracks:
        _assign_to_demo_cohorts(exercise.course, track)
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
