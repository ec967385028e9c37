"""Exercises and submissions for tests, built from the notebook builders."""

from __future__ import annotations

import factory
import nbformat
from factory.django import DjangoModelFactory

from grading.models import Exercise
from grading.notebook.metadata import parse_source
from grading.notebook.release import release
from tests.grading.notebook.builders import square_exercise

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
    student_notebook = factory.LazyAttribute(lambda o: release(nbformat.from_dict(o.source)))
    max_score = factory.LazyAttribute(
        lambda o: parse_source(nbformat.from_dict(o.source)).max_total
    )


def student_version(exercise: Exercise):
    return nbformat.from_dict(exercise.student_notebook)
