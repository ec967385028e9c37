"""Fixtures shared by the courses tests: a cohort and its teacher."""

import pytest

from tests.factories import CohortFactory, teacher_of


@pytest.fixture
def cohort():
    return CohortFactory(name="9-A")


@pytest.fixture
def teacher(cohort):
    return teacher_of(cohort)
