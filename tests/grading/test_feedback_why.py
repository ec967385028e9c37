"""Feedback that says why: a failed visible test gives its assertion's message and the
failing line (and the student's own line the error came from), a syntax error is said
as such in its cell, a hidden test gives only its name and the teacher's hint, and the
feedback opens inside the platform's page.

Most of it runs with a fake kernel whose tracebacks are IPython's ("Cell In[n], line k");
the sandbox tests check the real kernel says the same.
"""

from __future__ import annotations

import io
import re

import nbformat
import pytest
from django.core.management import call_command
from django.urls import reverse

from grading import services
from grading.management.commands import grade as grade_command
from grading.models import Exercise, Submission
from grading.notebook.pipeline import grade_notebook, grade_with_feedback
from grading.notebook.release import release
from grading.notebook.types import SandboxLimits
from grading.sandbox.execute import execute_notebook
from tests.grading.factories import HALF_RIGHT, RIGHT, classroom
from tests.grading.leaks import leaked_forms
from tests.grading.notebook.builders import (
    answer,
    answered,
    autotest,
    code,
    markdown,
    notebook,
    square_exercise,
    text_of,
)
from tests.grading.notebook.fakes import FakeKernel
from tests.grading.runtime_fakes import only_installed
from tests.grading.test_runtimes_admin import edit_form, edit_url

SANDBOX = SandboxLimits(cell_timeout_s=20, notebook_timeout_s=60)

SUM_SQUARES = (
    "def sum_squares(n):\n    ### BEGIN SOLUTION\n    return sum(i * i for i in range(1, n + 1))"
    "\n    ### END SOLUTION"
)
SQUARES_TEST = (
    "assert sum_squares(1) == 1\nassert sum_squares(2) == 5\n"
    'assert sum_squares(3) == 14, "1 + 4 + 9 is 14"'
)
# Right for 1 and 2, 13 for 3.
ALMOST = "def sum_squares(n):\n    return n * n + (n - 1) ** 2"
DIVIDES = "def sum_squares(n):\n    total = n * n\n    return total / (n - n)"


def sums_exercise():
    return notebook(
        markdown("# Sums of squares"),
        answer("sum_squares", SUM_SQUARES),
        autotest("squares", SQUARES_TEST, points=2),
    )


class IPythonKernel(FakeKernel):
    """The fake kernel, with execution counts and tracebacks naming cells as IPython does
    ("Cell In[3], line 2"), instead of Python's ``File "<cell 2>", line 2``."""

    def __call__(self, nb, **kwargs):
        result = super().__call__(nb, **kwargs)
        counts = {}
        for reply in result.cells:
            if reply.status != "not_run":
                counts[reply.index] = len(counts) + 1
                result.notebook.cells[reply.index].execution_count = counts[reply.index]

        def frame(match):
            count = counts.get(int(match.group(1)))
            return f"Cell In[{count}], line {match.group(2)}" if count else match.group(0)

        for cell in result.notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = [
                        re.sub(r'File "<cell (\d+)>", line (\d+)', frame, line)
                        for line in output.traceback
                    ]
        return result


def graded(source, **answers):
    return grade_notebook(source, answered(release(source), **answers), executor=IPythonKernel())


def message(result, grade_id: str) -> str:
    return next(cell.message for cell in result.cells if cell.grade_id == grade_id)


# --- bad input first: tracebacks are the kernel's text, and student code shapes it -------


def test_an_exception_message_posing_as_a_frame_is_not_taken_for_one():
    forged = "def sum_squares(n):\n    raise AssertionError('x\\nCell In[1], line 1')"

    result = graded(sums_exercise(), sum_squares=forged)

    # The real frames: the test's first line, and the line of the student's raise.
    assert message(result, "squares") == (
        "Test 'squares' failed: AssertionError: x\nCell In[1], line 1 (line 1: assert "
        "sum_squares(1) == 1; in your cell 'sum_squares', line 2: raise AssertionError("
        "'x\\nCell In[1], line 1'))"
    )


class GarbledKernel(FakeKernel):
    """A kernel whose tracebacks are not what IPython sends (a patched showtraceback)."""

    def __init__(self, traceback):
        super().__init__()
        self.traceback = traceback

    def __call__(self, nb, **kwargs):
        result = super().__call__(nb, **kwargs)
        for index, cell in enumerate(result.notebook.cells):
            cell.execution_count = index + 1
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = self.traceback
        return result


@pytest.mark.parametrize(
    ("traceback", "place"),
    [
        (None, ""),
        ("Cell In[3], line 3", ""),  # a string, not a list
        ([3, {"a": 1}, None], ""),
        (["Cell In[99], line 3"], ""),  # no cell ran with that count
        ([f"Cell In[{'9' * 5000}], line 3"], ""),  # more digits than int() takes
        ([f"Cell In[3], line {'9' * 5000}"], ""),
        (["Cell In[3], line 0"], ""),
        (["Cell In[1], line 1"], ""),  # a markdown cell: never ran
        (["Cell In[3], line 99999"], " (line 99999)"),  # past the end: no text to quote
        (
            ["\x1b[36mCell In[3], line 3\x1b[39m"],
            ' (line 3: assert sum_squares(3) == 14, "1 + 4 + 9 is 14")',
        ),
    ],
)
def test_a_traceback_not_shaped_as_ipythons_leaves_the_message_without_a_place(traceback, place):
    source = sums_exercise()
    submission = answered(release(source), sum_squares=ALMOST)

    result = grade_notebook(source, submission, executor=GarbledKernel(traceback))

    assert message(result, "squares") == (
        f"Test 'squares' failed: AssertionError: 1 + 4 + 9 is 14{place}"
    )


# --- visible tests say why --------------------------------------------------------------


def test_a_failed_visible_test_gives_its_assertions_message_and_the_failing_line():
    result = graded(sums_exercise(), sum_squares=ALMOST)

    assert message(result, "squares") == (
        "Test 'squares' failed: AssertionError: 1 + 4 + 9 is 14 "
        '(line 3: assert sum_squares(3) == 14, "1 + 4 + 9 is 14")'
    )


def test_an_assertion_without_a_message_is_explained_by_its_line():
    source = sums_exercise()
    source.cells[2].source = "assert sum_squares(1) == 1\nassert sum_squares(3) == 14"

    result = graded(source, sum_squares=ALMOST)

    assert message(result, "squares") == (
        "Test 'squares' failed: AssertionError (line 2: assert sum_squares(3) == 14)"
    )


def test_an_error_in_the_students_code_names_their_line_too():
    result = graded(sums_exercise(), sum_squares=DIVIDES)

    assert message(result, "squares") == (
        "Test 'squares' failed: ZeroDivisionError: division by zero (line 1: assert "
        "sum_squares(1) == 1; in your cell 'sum_squares', line 3: return total / (n - n))"
    )


def test_a_cell_the_student_added_is_named_by_its_number():
    source = sums_exercise()
    submission = answered(release(source), sum_squares="def sum_squares(n):\n    return helper(n)")
    submission.cells.insert(1, code("def helper(n):\n    return n // 0"))

    result = grade_notebook(source, submission, executor=IPythonKernel())

    assert message(result, "squares").endswith(
        "(line 1: assert sum_squares(1) == 1; in your cell 2, line 2: return n // 0)"
    )


def test_a_syntax_error_is_said_in_its_cell_and_the_tests_point_at_it():
    source = sums_exercise()
    broken = "def sum_squares(n):\n    return sum(i * i for i in range(1, n + 1)"
    submission = answered(release(source), sum_squares=broken)

    outcome = grade_with_feedback(source, submission, executor=IPythonKernel())

    sentence = outcome.result.first_failure.sentence()
    assert re.fullmatch(
        r"Your code in cell 'sum_squares' has a syntax error on line 2: .+", sentence
    ), sentence
    assert "(<unknown>" not in sentence  # no file name the student never saw
    assert message(outcome.result, "squares") == (
        "Test 'squares' failed: NameError: name 'sum_squares' is not defined "
        f"(line 1: assert sum_squares(1) == 1). {sentence}"
    )
    # The page says it first, and on the answer cell itself.
    html = outcome.feedback_html
    note = html.split('data-testid="cell-first-failure"', 1)[1].split(">", 1)[1].split("</p>")[0]
    assert text_of(note) == sentence
    answer_at = html.index("sum_squares</span>")  # the highlighted source of the answer
    assert (
        html.index('data-testid="first-failure"')
        < html.index('data-testid="cell-first-failure"')
        < answer_at
    )


def test_a_syntax_error_in_a_locked_cell_is_not_called_the_students():
    source = sums_exercise()
    source.cells.insert(
        1,
        code(
            "import math as",
            {
                "nbgrader": {
                    "grade_id": "setup",
                    "locked": True,
                    "grade": False,
                    "solution": False,
                    "schema_version": 3,
                    "task": False,
                }
            },
        ),
    )

    result = graded(source, sum_squares=ALMOST)

    assert result.first_failure.sentence().startswith("Cell 2 (setup) failed first: SyntaxError")


# --- hidden tests: the name and the teacher's hint, nothing from the kernel ----------------

HINT = "Think of negative numbers: what is (-7) squared?"


def test_a_failed_hidden_test_gives_only_its_name_and_the_hint():
    source = square_exercise()
    submission = answered(release(source), square=HALF_RIGHT)

    result = grade_notebook(
        source, submission, executor=IPythonKernel(), hints={"test_hidden": HINT}
    )

    assert message(result, "test_hidden") == f"Test 'test_hidden' failed. Hint: {HINT}"
    assert message(result, "test_visible") == ""


def test_what_the_student_code_raises_in_a_hidden_test_is_never_quoted():
    source = square_exercise()
    leaky = "def square(x):\n    if x == -7:\n        raise Exception(str(In))\n    return x * x"
    submission = answered(release(source), square=leaky)

    outcome = grade_with_feedback(
        source, submission, executor=IPythonKernel(), hints={"test_hidden": HINT}
    )

    assert message(outcome.result, "test_hidden") == f"Test 'test_hidden' failed. Hint: {HINT}"
    assert leaked_forms(str(outcome.result.to_dict())) == []
    assert leaked_forms(outcome.feedback_html) == []
    assert HINT in text_of(outcome.feedback_html)


def test_the_visible_part_of_a_test_with_hidden_tests_says_why_from_the_student_run():
    source = square_exercise()
    submission = answered(release(source), square="def square(x):\n    return x + x")

    result = grade_notebook(
        source, submission, executor=IPythonKernel(), hints={"test_hidden": HINT}
    )

    assert message(result, "test_hidden") == (
        f"Test 'test_hidden' failed: AssertionError (line 1: assert square(3) == 9). Hint: {HINT}"
    )


@pytest.mark.parametrize(
    "hints",
    [
        {"square": "not a test", "explain": "not a test either"},
        {"test_hidden": 42},
        {"test_hidden": "   "},
        ["test_hidden"],
    ],
)
def test_hints_that_are_no_text_for_a_test_are_left_out(hints):
    result = grade_notebook(
        square_exercise(),
        answered(release(square_exercise()), square=HALF_RIGHT, explain="I do not know"),
        executor=IPythonKernel(),
        hints=hints,
    )

    assert [cell.message for cell in result.cells] == [
        "",
        "Test 'test_hidden' failed.",
        "Your teacher will grade this.",
        "Your teacher will grade this.",
    ]


def test_a_long_hint_is_one_shortened_line():
    result = grade_notebook(
        square_exercise(),
        answered(release(square_exercise()), square=HALF_RIGHT),
        executor=IPythonKernel(),
        hints={"test_hidden": "Negative\n\nnumbers " + "x" * 2000},
    )

    text = message(result, "test_hidden")
    assert text.startswith("Test 'test_hidden' failed. Hint: Negative numbers xxx")
    assert text.endswith("…") and len(text) < 600


# --- in the real sandbox ---------------------------------------------------------------------


@pytest.mark.sandbox
def test_the_real_kernel_gives_the_message_the_test_line_and_the_students_line():
    source = sums_exercise()
    source.cells.append(autotest("divides", "assert sum_squares(2) == 5", points=1))

    for answer_source, grade_id, expected in (
        (
            ALMOST,
            "squares",
            "Test 'squares' failed: AssertionError: 1 + 4 + 9 is 14 "
            '(line 3: assert sum_squares(3) == 14, "1 + 4 + 9 is 14")',
        ),
        (
            DIVIDES,
            "divides",
            "Test 'divides' failed: ZeroDivisionError: division by zero (line 1: assert "
            "sum_squares(2) == 5; in your cell 'sum_squares', line 3: return total / (n - n))",
        ),
    ):
        result = grade_notebook(
            source,
            answered(release(source), sum_squares=answer_source),
            executor=execute_notebook,
            limits=SANDBOX,
        )
        assert message(result, grade_id) == expected


@pytest.mark.sandbox
def test_the_real_kernel_reports_a_syntax_error_with_its_line():
    source = sums_exercise()
    broken = "def sum_squares(n):\n    x = 1\n    return x +* 2"

    result = grade_notebook(
        source,
        answered(release(source), sum_squares=broken),
        executor=execute_notebook,
        limits=SANDBOX,
    )

    assert result.first_failure.sentence() == (
        "Your code in cell 'sum_squares' has a syntax error on line 3: invalid syntax"
    )
    assert message(result, "squares").endswith(
        "NameError: name 'sum_squares' is not defined (line 1: assert sum_squares(1) == 1). "
        "Your code in cell 'sum_squares' has a syntax error on line 3: invalid syntax"
    )


# --- the platform: stored messages, notes, the feedback page, the hints in the admin -----


@pytest.fixture
def kernel(monkeypatch, settings, tmp_path):
    only_installed(monkeypatch, tmp_path, "data-science", "python-minimal")
    settings.GRADING_ALLOW_UNSANDBOXED = True  # the fake kernel runs in this process
    fake = IPythonKernel()
    monkeypatch.setattr(services, "sandboxed_executor", lambda: fake)
    return fake


def submit(room, source: str, student=None) -> Submission:
    nb = answered(nbformat.from_dict(room.exercise.student_notebook), square=source)
    return services.submission_create(
        exercise=room.exercise,
        student=student or room.student,
        notebook=nbformat.writes(nb),
        origin=Submission.Origin.UPLOAD,
    )


def grade(room, source: str, student=None) -> Submission:
    return services.submission_grade(submission_id=submit(room, source, student).pk)


@pytest.mark.django_db
def test_grading_stores_the_hint_and_the_first_failure_for_the_student(kernel):
    room = classroom()
    Exercise.objects.filter(pk=room.exercise.pk).update(test_hints={"test_hidden": HINT})

    half = grade(room, HALF_RIGHT)
    broken = grade(room, "def square(x) return x * x")

    assert half.cells.get(grade_id="test_hidden").message == (
        f"Test 'test_hidden' failed. Hint: {HINT}"
    )
    cause = "Your code in cell 'square' has a syntax error on line 1: expected ':'"
    assert cause in broken.notes
    assert broken.cells.get(grade_id="test_visible").message.endswith(cause)


@pytest.mark.django_db
class TestFeedbackPage:
    @pytest.fixture
    def room(self, kernel):
        room = classroom()
        Exercise.objects.filter(pk=room.exercise.pk).update(test_hints={"test_hidden": HINT})
        return room

    def url(self, submission) -> str:
        return reverse("grading:submission-feedback", args=[submission.exercise_id, submission.uid])

    def test_the_student_reads_it_in_the_sites_page_in_their_language(self, client, room):
        submission = grade(room, HALF_RIGHT)
        client.force_login(room.student)

        page = client.get(self.url(submission))
        frame = client.get(f"/api/v1/submissions/{submission.uid}/feedback/")

        html = page.content.decode()
        assert page.status_code == 200
        assert 'class="site-header"' in html and '<html lang="en">' in html
        assert f"Test 'test_hidden' failed. Hint: {HINT}" in text_of(html)
        assert f'src="/api/v1/submissions/{submission.uid}/feedback/" sandbox' in html
        # the notebook itself, in the frame, keeps its policy: no script runs there
        assert frame["Content-Security-Policy"] == "script-src 'none'; sandbox allow-same-origin"
        assert HINT in text_of(frame.content.decode())

    def test_the_page_is_in_the_language_of_its_address(self, client, room):
        submission = grade(room, HALF_RIGHT)
        client.force_login(room.student)

        html = client.get(self.url(submission).replace("/en/", "/ru/", 1)).content.decode()

        assert '<html lang="ru">' in html

    def test_the_result_links_to_it(self, client, room):
        submission = grade(room, RIGHT)
        client.force_login(room.student)

        panel = client.get(reverse("grading:exercise", args=[room.exercise.pk])).content.decode()
        api = client.get(f"/api/v1/submissions/{submission.uid}/").json()

        assert f'href="{self.url(submission)}"' in panel
        assert (
            "/api/v1/submissions/"
            not in panel.split('data-testid="result"', 1)[1].split("</div>", 1)[0]
        )
        assert api["feedback_url"] == self.url(submission)

    @pytest.mark.parametrize("who", ["classmate", "outsider", "teacher_elsewhere", "analyst"])
    def test_anyone_but_the_student_and_their_teachers_gets_a_404(self, client, room, who):
        submission = grade(room, RIGHT)
        client.force_login(getattr(room, who))

        assert client.get(self.url(submission)).status_code == 404

    def test_the_teacher_opens_it_from_the_review_page(self, client, room):
        submission = grade(room, RIGHT)
        client.force_login(room.teacher)

        review = client.get(reverse("grading:submission-review", args=[submission.uid]))
        page = client.get(self.url(submission))

        assert f'href="{self.url(submission)}"' in review.content.decode()
        assert page.status_code == 200
        assert room.student.display_name in text_of(page.content.decode())

    def test_an_attempt_not_graded_or_of_another_exercise_has_none(self, client, room):
        queued = submit(room, RIGHT)
        graded_one = grade(room, RIGHT)
        other = classroom()
        client.force_login(room.student)

        assert client.get(self.url(queued)).status_code == 404
        wrong_exercise = reverse(
            "grading:submission-feedback", args=[other.exercise.pk, graded_one.uid]
        )
        assert client.get(wrong_exercise).status_code == 404

    def test_without_login_it_asks_to_log_in(self, client, room):
        submission = grade(room, RIGHT)

        response = client.get(self.url(submission))

        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
class TestHintsInTheAdmin:
    @pytest.fixture
    def room(self, monkeypatch, tmp_path):
        only_installed(monkeypatch, tmp_path, "data-science", "python-minimal")
        return classroom()

    def test_there_is_one_hint_field_per_test_and_saving_stores_them(self, client, room):
        client.force_login(room.teacher)

        page = client.get(edit_url(room.exercise)).content.decode()
        response = client.post(
            edit_url(room.exercise),
            edit_form(room, **{"test_hints-0": "  Check 2.  ", "test_hints-1": HINT}),
        )

        assert "Hint for test “test_visible”" in page and "Hint for test “test_hidden”" in page
        assert 'name="test_hints-2"' not in page  # explain and reflect are graded by hand
        assert response.status_code == 302, response.content.decode()[:2000]
        room.exercise.refresh_from_db()
        assert room.exercise.test_hints == {"test_visible": "Check 2.", "test_hidden": HINT}
        assert room.exercise.status == Exercise.Status.READY  # no new check for a hint

    def test_a_saved_hint_is_shown_to_edit_and_emptied_to_remove(self, client, room):
        Exercise.objects.filter(pk=room.exercise.pk).update(
            test_hints={"test_visible": "Old <b>hint</b>", "test_hidden": HINT}
        )
        client.force_login(room.teacher)

        page = client.get(edit_url(room.exercise)).content.decode()
        client.post(
            edit_url(room.exercise), edit_form(room, **{"test_hints-0": "", "test_hints-1": HINT})
        )

        assert "Old &lt;b&gt;hint&lt;/b&gt;</textarea>" in page
        room.exercise.refresh_from_db()
        assert room.exercise.test_hints == {"test_hidden": HINT}

    def test_a_form_without_the_hint_fields_keeps_the_hints(self, client, room):
        Exercise.objects.filter(pk=room.exercise.pk).update(test_hints={"test_hidden": HINT})
        client.force_login(room.teacher)

        response = client.post(edit_url(room.exercise), edit_form(room))

        assert response.status_code == 302
        room.exercise.refresh_from_db()
        assert room.exercise.test_hints == {"test_hidden": HINT}

    def test_a_hint_too_long_is_refused_and_nothing_changes(self, client, room):
        client.force_login(room.teacher)

        response = client.post(
            edit_url(room.exercise), edit_form(room, **{"test_hints-1": "x" * 501})
        )

        assert response.status_code == 200
        assert "A hint has at most 500 characters (too long: test_hidden)." in (
            response.content.decode()
        )
        room.exercise.refresh_from_db()
        assert room.exercise.test_hints == {}


# --- the command line ----------------------------------------------------------------------


def test_the_grade_command_prints_the_first_failure(tmp_path, monkeypatch, settings):
    only_installed(monkeypatch, tmp_path / "runtimes", "data-science", "python-minimal")
    settings.GRADING_ALLOW_UNSANDBOXED = True
    monkeypatch.setattr(grade_command, "sandboxed_executor", lambda: IPythonKernel())
    folder = tmp_path / "assignment"
    folder.mkdir()
    source = folder / "squares.ipynb"
    source.write_text(nbformat.writes(square_exercise()), encoding="utf-8")
    submission = tmp_path / "submission.ipynb"
    broken = answered(release(square_exercise()), square="def square(x) return x * x")
    submission.write_text(nbformat.writes(broken), encoding="utf-8")
    out = io.StringIO()

    call_command("grade", str(source), str(submission), stdout=out)

    lines = out.getvalue().splitlines()
    cause = "Your code in cell 'square' has a syntax error on line 1: expected ':'"
    assert cause in lines
    assert lines.index(cause) == len(lines) - 2  # just before the total
