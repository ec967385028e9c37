"""What the grading pipeline tells people comes in their language: the request's on upload,
the student's (or the exercise author's) where a worker grades without a request. The
pipeline itself imports no Django and speaks English on its own (bench, `manage.py grade`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from grading import services, tasks
from grading.models import Exercise, Submission
from grading.notebook import i18n
from grading.notebook.read import NotebookLimits
from grading.notebook.types import SandboxLimits
from grading.sandbox.bubblewrap import bubblewrap_available
from tests.grading.factories import ExerciseFactory, classroom, submission_notebook
from tests.grading.notebook.builders import autotest, code, notebook

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NOT_JSON = b"not json at all"
TOO_LARGE = b" " * (NotebookLimits().max_bytes + 1)
LOOPS_FOREVER = "def square(x):\n    while True:\n        pass"


@pytest.fixture
def room():
    return classroom()


def test_the_pipeline_imports_no_django_and_speaks_english_on_its_own():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import grading.notebook as pipeline
        for module in pkgutil.iter_modules(pipeline.__path__):
            importlib.import_module(f"grading.notebook.{module.name}")
        from grading.notebook.errors import NotebookError
        from grading.notebook.read import read_notebook
        try:
            read_notebook(b"not json at all")
        except NotebookError as exc:
            print(exc)
        print(sorted(name for name in sys.modules if name.split(".")[0] == "django"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.splitlines() == ["The file is not valid JSON (line 1, column 1).", "[]"]


# ---------------------------------------------------------------------------------------
# Uploads: the request's language
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (NOT_JSON, "Fayl düzgün JSON deyil (sətir 1, sütun 1)."),
        (TOO_LARGE, "Fayl 5 MB-dan böyükdür."),
    ],
)
def test_the_api_refuses_an_upload_in_the_clients_language(room, data, reason):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="az")
    client.force_authenticate(room.student)
    upload = SimpleUploadedFile("answers.ipynb", data, content_type="application/x-ipynb+json")

    response = client.post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/", {"notebook": upload}, format="multipart"
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"]["notebook"] == [reason]
    assert body["detail"] == f"Notbuk qiymətləndirilə bilməz: {reason}"
    assert not Submission.objects.exists()


def test_the_upload_page_says_why_in_the_pages_language(client, room):
    client.force_login(room.student)
    with translation.override("az"):
        url = reverse("grading:exercise-upload", args=[room.exercise.pk])
    assert url.startswith("/az/")

    response = client.post(
        url, {"notebook": SimpleUploadedFile("mine.ipynb", NOT_JSON)}, follow=True
    )

    assert response.status_code == 200
    assert "Fayl düzgün JSON deyil (sətir 1, sütun 1)." in response.content.decode()


def test_the_admin_lists_a_sources_problems_in_the_teachers_language(client, room):
    client.force_login(room.teacher)
    source = notebook(autotest("test_a", "assert True"), autotest("test_a", "assert True"))
    form = {
        "title": "Squares from the admin",
        "slug": "squares-admin",
        "description": "",
        "course": str(room.course.pk),
        "max_attempts": "",
        "due_at": "",
        "late_policy": "accept",
        "late_penalty_percent": "0",
        "limits": "{}",
        "competence_links-TOTAL_FORMS": "0",
        "competence_links-INITIAL_FORMS": "0",
        "competence_links-MIN_NUM_FORMS": "0",
        "competence_links-MAX_NUM_FORMS": "1000",
        "source_upload": SimpleUploadedFile(
            "squares.ipynb", nbformat.writes(source).encode(), "application/x-ipynb+json"
        ),
    }

    response = client.post("/admin/snippets/grading/exercise/add/", form, HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert (
        "grade_id «test_a» используется в нескольких ячейках (ячейки 1, 2)."
        in response.content.decode()
    )
    assert not Exercise.objects.filter(slug="squares-admin").exists()


# ---------------------------------------------------------------------------------------
# Workers: no request, so the language of the person who reads the result
# ---------------------------------------------------------------------------------------


def test_the_check_report_is_in_the_language_of_the_exercises_author(room):
    room.teacher.preferred_language = "az"
    room.teacher.save(update_fields=["preferred_language"])
    exercise = ExerciseFactory(source=notebook(code("x = 1")), created_by=room.teacher)

    services.exercise_validate(exercise_id=exercise.pk)

    exercise.refresh_from_db()
    assert exercise.validation_report["problems"] == ["Notbukda qiymətləndirilən xana yoxdur."]


@pytest.mark.sandbox
def test_a_timed_out_test_is_reported_in_the_students_language(room):
    room.student.preferred_language = "ru"
    room.student.save(update_fields=["preferred_language"])
    Exercise.objects.filter(pk=room.exercise.pk).update(
        limits={"cell_timeout_s": 2, "notebook_timeout_s": 60}
    )
    submission = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise, LOOPS_FOREVER),
        origin=Submission.Origin.UPLOAD,
    )

    with translation.override("az"):  # whatever the worker's own language is
        tasks.grade_submission_task(submission.pk)
        assert translation.get_language() == "az"

    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED
    messages = {cell.grade_id: cell.message for cell in submission.cells.all()}
    assert messages["test_visible"] == "Тест «test_visible» не завершился за отведённое время."
    assert messages["explain"] == "Ответ не дан."
    assert messages["reflect"] == "Это оценит ваш преподаватель."


@pytest.mark.sandbox
@pytest.mark.skipif(not bubblewrap_available(), reason="the warm pool needs bubblewrap")
def test_the_warm_pool_writes_its_messages_in_the_callers_language():
    from grading.sandbox.pool import WarmPool

    pool = WarmPool(size=1).start()
    try:
        with translation.override("ru"):
            result = pool.execute(
                notebook(code("while True:\n    pass")),
                limits=SandboxLimits(cell_timeout_s=2, notebook_timeout_s=60),
            )
    finally:
        pool.stop()

    (error,) = [out for out in result.notebook.cells[0].outputs if out.output_type == "error"]
    assert error.evalue == "Ячейка превысила лимит времени в 2 с"
    assert result.cells[0].status == "timeout"


def test_a_coroutine_carried_to_another_thread_runs_in_the_callers_language():
    async def feedback_title():
        return i18n.gettext("Feedback")

    with translation.override("ru"):
        carried = i18n.carry(feedback_title())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as elsewhere:
        assert elsewhere.submit(asyncio.run, carried).result() == "Отзыв"
        # only the coroutine had the language: the thread is back to the default
        assert elsewhere.submit(asyncio.run, feedback_title()).result() == "Feedback"
