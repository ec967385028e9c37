"""Spreadsheet formula injection, end to end: a student whose name a spreadsheet would run
as a formula (imported by their institution; students cannot rename themselves) and a
lesson titled like one reach the teacher's cohort-progress CSV as text, through the
platform's one writer (cms.exports)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from courses import services
from people.imports import student_import
from tests.factories import CohortFactory, student_csv, teacher_of

from .pages import course, lesson

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'
COMMAND = "+cmd|' /C calc'!A0"
LESSON = "=1+1"


def test_the_cohort_progress_csv_keeps_formula_names_as_text(client):
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort)
    a_course = course(title="Python basics")
    lesson(a_course, title=LESSON, completion_rule="read")
    services.course_assign(course=a_course, cohort=cohort, assigned_by=teacher)
    imported = student_import(
        cohort=cohort,
        # as a spreadsheet saves it: quoted, its quotes doubled
        data=student_csv([("mallory", '"' + HYPERLINK.replace('"', '""') + '"', COMMAND, "")]),
    )
    assert imported.ok, [str(e) for e in imported.errors]
    client.force_login(teacher)

    response = client.get(reverse("courses:cohort-progress-csv", args=[cohort.pk]))

    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    (mallory,) = [row for row in rows if row[2] == "mallory"]
    assert mallory[0] == "'" + COMMAND  # last name
    assert mallory[1] == "'" + HYPERLINK  # first name
    assert header[-1] == "'" + LESSON
