"""Exercises and submissions for tests, built from the notebook builders."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import factory
import nbformat
from factory.django import DjangoModelFactory

from grading.models import Exercise
from grading.notebook.metadata import parse_source
from grading.notebook.release import release
from tests.grading.notebook.builders import answered, square_exercise

# Short limits keep the suite fast; they are far above what the test notebooks need.
FAST_LIMITS = {"cell_timeout_s": 10, "notebook_timeout_s": 30}


class ExerciseFactory(DjangoModelFactory):
    """A READY exercise (as if validated) from a source notebook."""

    class Meta:
        model = Exercise

    class Params:
        source = factory.LazyFunction(square_exercise)

    title = factory.Sequence(lambda n: f"Squares {n}")
    slug = factory.Sequence(lambda n: f"squares-{n}")
    status = Exercise.Status.READY
    limits = FAST_LIMITS
    source_notebook = factory.LazyAttribute(lambda o: nbformat.from_dict(o.source))
    grading_spec = factory.LazyAttribute(
        lambda o: parse_source(nbformat.from_dict(o.source)).to_dict()
    )
    student_notebook = factory.LazyAttribute(lambda o: release(nbformat.from_dict(o.source)))
    max_score = factory.LazyAttribute(
        lambda o: parse_source(nbformat.from_dict(o.source)).max_total
    )


def student_version(exercise: Exercise):
    return nbformat.from_dict(exercise.student_notebook)


RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + 1"
# Passes the visible test, fails the hidden one (square(-7) is negative).
HALF_RIGHT = "def square(x):\n    return abs(x) * x"


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def a_course(track: str = "school"):
    """A published course under a curriculum of `track`, below the default site's home."""
    from wagtail.models import Site

    from courses.models import CoursePage
    from curricula.models import CurriculumIndexPage, CurriculumPage

    n = next(_numbers)
    home = Site.objects.get(is_default_site=True).root_page
    index = CurriculumIndexPage.objects.child_of(home).first() or _publish(
        home, CurriculumIndexPage(title="Curricula", slug="curricula")
    )
    curriculum = _publish(
        index,
        CurriculumPage(
            title=f"Curriculum {n}",
            slug=f"curriculum-{n}",
            track=track,
            grade_band="5-9" if track == "school" else "",
        ),
    )
    return _publish(
        curriculum, CoursePage(title=f"Python basics {n}", slug=f"python-{n}", summary="Start.")
    )


def a_lesson(course, exercise: Exercise, completion_rule: str = "read"):
    """A published lesson of `course` whose body is an exercise block."""
    import json

    from courses.models import LessonPage

    n = next(_numbers)
    page = LessonPage(title=f"Lesson {n}", slug=f"lesson-{n}", completion_rule=completion_rule)
    page.body = json.dumps([{"type": "exercise", "value": {"exercise": exercise.pk}}])
    return _publish(course, page)


_numbers = itertools.count(1)


@dataclass
class Classroom:
    """One course with an exercise, assigned to a cohort, and someone of every role around it."""

    course: object
    cohort: object
    exercise: Exercise
    student: object  # enrolled through the cohort
    classmate: object  # enrolled too: another student of the same course
    outsider: object  # a student of another cohort, not enrolled
    teacher: object  # teaches the cohort the course is assigned to
    teacher_elsewhere: object  # teaches another cohort
    analyst: object  # ministry analyst


def classroom(**exercise_fields) -> Classroom:
    from courses.services import course_assign
    from tests.factories import CohortFactory, analyst, student_in, teacher_of

    course = a_course()
    cohort = CohortFactory()
    student = student_in(cohort, first_name="Aysel", last_name="Aliyeva")
    classmate = student_in(cohort, first_name="Murad", last_name="Mammadov")
    teacher = teacher_of(cohort)
    course_assign(course=course, cohort=cohort, assigned_by=teacher)
    other_cohort = CohortFactory()
    return Classroom(
        course=course,
        cohort=cohort,
        exercise=ExerciseFactory(course=course, **exercise_fields),
        student=student,
        classmate=classmate,
        outsider=student_in(other_cohort),
        teacher=teacher,
        teacher_elsewhere=teacher_of(other_cohort),
        analyst=analyst(),
    )


def submission_notebook(exercise: Exercise, source: str = RIGHT) -> str:
    """The student version with `square` answered, as the .ipynb text a student uploads."""
    return nbformat.writes(answered(student_version(exercise), square=source))
