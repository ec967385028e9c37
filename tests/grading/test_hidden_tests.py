"""Attacks on the hidden tests through the student's own cells, in the real sandbox.

The hidden tests run in the student's kernel, so a student who knows how can get hold of
their source there: the input history, the history manager, the calling frame, a patched
``run_cell``, an exception crafted while a hidden test calls their function. Each attack
below prints or raises what it stole in another encoding; none of it may reach anything a
student receives: the stored feedback page and messages, the API's submission detail and
feedback, and ``manage.py grade --feedback``. The scores stay what nbgrader gives.
"""

from __future__ import annotations

import io
import json

import nbformat
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from grading import services
from grading.models import Submission
from grading.notebook.release import release
from tests.grading.factories import RIGHT, classroom
from tests.grading.leaks import leaked_forms
from tests.grading.notebook.builders import (
    answered,
    autotest,
    code,
    square_exercise,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]


def exercise_with_a_test_after_the_hidden_one():
    """The square exercise plus a visible test that runs after the hidden one."""
    source = square_exercise()
    source.cells.append(autotest("test_again", "assert square(5) == 25", points=1))
    return source


# In every attack `square` is right, so the scores are those of a right answer.
STASH = """import base64, sys, linecache
_stash = []
def square(x):
    _stash.append({steal})
    print({encode})
    return x * x"""

ATTACKS = {
    # A cell of the student's own, after the hidden tests ran, prints the input history.
    "history printed by a later cell": (
        RIGHT,
        ["import base64\nprint(base64.b64encode('\\n'.join(In).encode()).decode())"],
    ),
    # `square` keeps `In` while the hidden test calls it; the later visible test prints it.
    "In stashed by the answer": (
        STASH.format(
            steal="'\\n'.join(In)",
            encode="base64.b64encode('\\n'.join(_stash).encode()).decode()",
        ),
        [],
    ),
    "_ih stashed by the answer": (
        STASH.format(steal="'\\n'.join(_ih)", encode="'\\n'.join(_stash).encode().hex()"),
        [],
    ),
    "the history manager stashed by the answer": (
        STASH.format(
            steal="'\\n'.join(get_ipython().history_manager.input_hist_raw)",
            encode="'\\n'.join(_stash)[::-1]",
        ),
        [],
    ),
    "the calling frame stashed by the answer": (
        STASH.format(
            steal="''.join(linecache.getlines(sys._getframe(1).f_code.co_filename))",
            encode="base64.b64encode('\\n'.join(_stash).encode()).decode()",
        ),
        [],
    ),
    # run_cell patched to log every source it runs; a last cell prints the log.
    "a patched run_cell": (
        """_log = []
_shell = get_ipython()
_run_cell = _shell.run_cell
def _logged(raw_cell, *args, **kwargs):
    _log.append(raw_cell)
    return _run_cell(raw_cell, *args, **kwargs)
_shell.run_cell = _logged
def square(x):
    return x * x""",
        ["print('\\n'.join(_log)[::-1])", "print('\\n'.join(_log).encode().hex())"],
    ),
    # The hidden test's own failure: an exception class named after the hidden source.
    "an exception crafted in the hidden test": (
        """def square(x):
    source = In[-1]
    at = source.find('BEGIN HIDDEN TESTS')
    if at >= 0:
        raise type('H' + source[at + 18:at + 57].encode().hex(), (Exception,), {})()
    return x * x""",
        [],
    ),
    # A visible test after the hidden one fails with what `square` kept from the hidden one.
    "an exception crafted in a later visible test": (
        """import base64
_stash = []
def square(x):
    _stash.append(In[-1])
    if x == 5:
        kept = '\\n'.join(s for s in _stash if 'HIDDEN' in s)
        raise AssertionError(base64.b64encode(kept.encode()).decode())
    return x * x""",
        [],
    ),
}


def submission_for(source_nb, answer: str, extra_cells: list[str]) -> str:
    submission = answered(release(source_nb), square=answer)
    submission.cells.extend(code(cell) for cell in extra_cells)
    return nbformat.writes(submission)


def texts_of_response(response) -> str:
    text = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        text += "\n" + json.dumps(response.json(), ensure_ascii=False)
    return text


#: The scores a right answer gets, and what each attack's own failure costs it.
SCORES = {"test_visible": 1, "test_hidden": 2, "test_again": 1}
SCORES_OF = {
    "an exception crafted in the hidden test": {**SCORES, "test_hidden": 0},
    "an exception crafted in a later visible test": {**SCORES, "test_again": 0},
}


def leaks_in(received: dict[str, str]) -> dict[str, list[str]]:
    return {where: forms for where, text in received.items() if (forms := leaked_forms(text))}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_what_a_student_receives_never_shows_the_hidden_tests(attack, tmp_path):
    answer, extra_cells = ATTACKS[attack]
    source_nb = exercise_with_a_test_after_the_hidden_one()
    room = classroom(source=source_nb)
    notebook = submission_for(source_nb, answer, extra_cells)
    submission = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=notebook,
        origin=Submission.Origin.UPLOAD,
    )
    graded = services.submission_grade(submission_id=submission.pk)
    client = APIClient()
    client.force_authenticate(room.student)

    assert (
        leaks_in(
            {
                "stored feedback": graded.feedback_html,
                "stored messages": "\n".join(graded.cells.values_list("message", flat=True)),
                "stored notes": "\n".join(graded.notes),
                "API submission detail": texts_of_response(
                    client.get(f"/api/v1/submissions/{submission.uid}/")
                ),
                "API submission list": texts_of_response(client.get("/api/v1/submissions/")),
                "API feedback": texts_of_response(
                    client.get(f"/api/v1/submissions/{submission.uid}/feedback/")
                ),
            }
        )
        == {}
    )
    # nbgrader's scores, whatever the attack printed on the way.
    scores = {cell.grade_id: cell.auto_score for cell in graded.cells.all()}
    assert {grade_id: scores[grade_id] for grade_id in SCORES} == SCORES_OF.get(attack, SCORES)
    hidden = graded.cells.get(grade_id="test_hidden")
    if hidden.status == "failed":  # its name and that it failed, nothing the kernel said
        assert hidden.message == "Test 'test_hidden' failed."

    # The same grading on the command line, with the feedback page written to a file.
    source_path, submission_path = tmp_path / "source.ipynb", tmp_path / "submission.ipynb"
    source_path.write_text(nbformat.writes(source_nb), encoding="utf-8")
    submission_path.write_text(notebook, encoding="utf-8")
    feedback_path = tmp_path / "feedback.html"
    printed = io.StringIO()
    call_command(
        "grade",
        str(source_path),
        str(submission_path),
        "--feedback",
        str(feedback_path),
        stdout=printed,
    )
    written = feedback_path.read_text(encoding="utf-8")
    assert "test_again" in written
    assert leaks_in({"grade --feedback": written, "grade's output": printed.getvalue()}) == {}
