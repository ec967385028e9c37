"""The command line: grade a notebook, release a student version, import an nbgrader course."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grading.models import Exercise
from grading.notebook.release import release
from tests.grading.factories import HALF_RIGHT, RIGHT, WRONG
from tests.grading.leaks import leaked_forms
from tests.grading.notebook.builders import (
    HIDDEN_CHECK,
    SQUARE_SOLUTION,
    answer,
    answered,
    autotest,
    markdown,
    notebook,
    read_only,
    square_exercise,
    text_of,
)
from tests.grading.runtime_fakes import only_installed

ROOT = Path(__file__).resolve().parents[2]

MANUAL = [
    {
        "grade_id": "explain",
        "score": 0.0,
        "max_score": 2.0,
        "status": "failed",
        "message": "No answer was given.",
    },
    {
        "grade_id": "reflect",
        "score": None,
        "max_score": 1.0,
        "status": "needs_manual",
        "message": "Your teacher will grade this.",
    },
]


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "squares.ipynb"
    path.write_text(nbformat.writes(square_exercise()), encoding="utf-8")
    return path


def a_submission(tmp_path, answer: str) -> Path:
    path = tmp_path / "submission.ipynb"
    path.write_text(
        nbformat.writes(answered(release(square_exercise()), square=answer)), encoding="utf-8"
    )
    return path


def grade_json(source, submission) -> dict:
    out = io.StringIO()
    call_command("grade", str(source), str(submission), "--json", stdout=out)
    return json.loads(out.getvalue())


def manage(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="lms.settings.test")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ---------------------------------------------------------------------------------------
# grade
# ---------------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_grade_prints_exactly_the_result_as_json_and_exits_0(tmp_path, source):
    done = manage("grade", str(source), str(a_submission(tmp_path, RIGHT)), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {
        "total": 3.0,
        "max_total": 6.0,
        "cells": [
            {
                "grade_id": "test_visible",
                "score": 1.0,
                "max_score": 1.0,
                "status": "passed",
                "message": "",
            },
            {
                "grade_id": "test_hidden",
                "score": 2.0,
                "max_score": 2.0,
                "status": "passed",
                "message": "",
            },
            *MANUAL,
        ],
    }
    assert isinstance(result["total"], float) and isinstance(result["max_total"], float)


@pytest.mark.sandbox
def test_grade_a_wrong_answer_scores_zero_and_names_the_failed_tests(tmp_path, source):
    result = grade_json(source, a_submission(tmp_path, WRONG))

    assert result["total"] == 0.0 and result["max_total"] == 6.0
    visible, hidden = result["cells"][:2]
    assert visible == {
        "grade_id": "test_visible",
        "score": 0.0,
        "max_score": 1.0,
        "status": "failed",
        "message": "Test 'test_visible' failed: AssertionError (line 1: assert square(2) == 4)",
    }
    assert hidden["status"] == "failed" and hidden["score"] == 0.0
    assert "test_hidden" in hidden["message"]
    assert result["cells"][2:] == MANUAL


@pytest.mark.sandbox
def test_grade_a_partly_right_answer_gets_partial_marks_without_the_hidden_test(tmp_path, source):
    result = grade_json(source, a_submission(tmp_path, HALF_RIGHT))

    assert result["total"] == 1.0
    assert [(c["grade_id"], c["score"], c["status"]) for c in result["cells"][:2]] == [
        ("test_visible", 1.0, "passed"),
        ("test_hidden", 0.0, "failed"),
    ]
    text = json.dumps(result)
    assert "square(-7)" not in text and "negative numbers" not in text
    assert set(result) == {"total", "max_total", "cells"}
    for cell in result["cells"]:
        assert set(cell) == {"grade_id", "score", "max_score", "status", "message"}


@pytest.mark.sandbox
def test_grade_writes_the_students_feedback_page(tmp_path, source):
    page = tmp_path / "feedback.html"

    done = manage(
        "grade", str(source), str(a_submission(tmp_path, HALF_RIGHT)), "--feedback", str(page)
    )

    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    text = text_of(html)
    assert "Test 'test_hidden' failed." in text and "1 / 1" in text
    assert "return abs(x) * x" in text  # the student's answer, as they wrote it
    assert leaked_forms(html) == []
    assert "Total: 1 / 6" in done.stdout


def test_grade_says_when_it_cannot_write_the_feedback_page(tmp_path, source):
    with pytest.raises(CommandError, match="Cannot write the feedback page"):
        call_command(
            "grade",
            str(source),
            str(a_submission(tmp_path, RIGHT)),
            "--feedback",
            str(tmp_path / "no-such-folder" / "feedback.html"),
            stdout=io.StringIO(),
        )


def test_grade_refuses_a_submission_that_is_not_a_notebook_with_a_non_zero_exit(tmp_path, source):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("this is not JSON")

    done = manage("grade", str(source), str(broken), "--json")

    assert done.returncode != 0
    assert "not valid JSON" in done.stderr
    assert done.stdout == ""  # nothing a script could mistake for a result


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"this is not JSON", "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b'{"nbformat": 3, "nbformat_minor": 0, "cells": [], "metadata": {}}', "version 3"),
        (b'{"nbformat": 4, "nbformat_minor": 99, "cells": [], "metadata": {}}', "newer"),
        (b'{"name": "a JSON file"}', "not a Jupyter notebook"),
    ],
)
def test_grade_says_why_a_submission_cannot_be_read(tmp_path, source, content, reason):
    submission = tmp_path / "submission.ipynb"
    submission.write_bytes(content)

    with pytest.raises(CommandError, match=reason) as raised:
        call_command("grade", str(source), str(submission), "--json")
    assert "Submission" in str(raised.value)


def test_grade_says_which_file_is_missing(tmp_path, source):
    with pytest.raises(CommandError, match="no such file"):
        call_command("grade", str(source), str(tmp_path / "nowhere.ipynb"), "--json")
    with pytest.raises(CommandError, match="no such file"):
        call_command("grade", str(tmp_path), str(source), "--json")  # a folder is no file


def test_grade_refuses_a_source_with_duplicate_grade_ids(tmp_path):
    source = tmp_path / "source.ipynb"
    source.write_text(
        nbformat.writes(notebook(autotest("t1", "assert True"), autotest("t1", "assert True")))
    )

    with pytest.raises(CommandError, match="t1"):
        call_command("grade", str(source), str(source), "--json")


# ---------------------------------------------------------------------------------------
# release
# ---------------------------------------------------------------------------------------


def test_release_writes_the_student_version(tmp_path, source):
    out = tmp_path / "student.ipynb"
    stdout = io.StringIO()

    call_command("release", str(source), str(out), stdout=stdout)

    text = out.read_text(encoding="utf-8")
    student = nbformat.reads(text, as_version=4)
    nbformat.validate(student)
    sources = "\n".join(cell.source for cell in student.cells)
    assert "raise NotImplementedError()" in sources and "YOUR ANSWER HERE" in sources
    assert "assert square(2) == 4" in sources
    for secret in (HIDDEN_CHECK, "BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "return x * x"):
        assert secret not in text
    assert str(out) in stdout.getvalue()


def test_release_refuses_to_overwrite_the_source(tmp_path, source):
    before = source.read_text(encoding="utf-8")
    same_file = tmp_path / "." / source.name

    with pytest.raises(CommandError, match="OUT must differ from SOURCE"):
        call_command("release", str(source), str(same_file))
    assert source.read_text(encoding="utf-8") == before
    assert SQUARE_SOLUTION in nbformat.reads(before, as_version=4).cells[2].source


def test_release_refuses_a_bad_source_and_writes_nothing(tmp_path):
    source = tmp_path / "source.ipynb"
    source.write_text(nbformat.writes(notebook(autotest("", "assert True"))))
    out = tmp_path / "student.ipynb"

    with pytest.raises(CommandError, match="Source notebook"):
        call_command("release", str(source), str(out))
    assert not out.exists()


def test_release_into_a_missing_folder_says_so(tmp_path, source):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("release", str(source), str(tmp_path / "no" / "such" / "student.ipynb"))


# ---------------------------------------------------------------------------------------
# import_nbgrader
# ---------------------------------------------------------------------------------------


def without_cell_ids(nb) -> str:
    """An nbformat 4.5 file whose cells have no ids (nbformat makes new ones on each read)."""
    data = json.loads(nbformat.writes(nb))
    for cell in data["cells"]:
        del cell["id"]
    return json.dumps(data)


@pytest.fixture
def course_dir(tmp_path) -> Path:
    root = tmp_path / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "source" / "ps1" / "problem1.ipynb").write_text(without_cell_ids(square_exercise()))
    (root / "source" / "ps1" / "broken.ipynb").write_text(
        nbformat.writes(notebook(autotest("t1", "assert True"), autotest("t1", "assert 1")))
    )
    (root / "source" / "ps1" / ".ipynb_checkpoints").mkdir()
    (root / "source" / "ps1" / ".ipynb_checkpoints" / "problem1-checkpoint.ipynb").write_text("{}")
    (root / "source" / "ps2").mkdir()
    (root / "source" / "ps2" / "not-json.ipynb").write_text("<html>")
    (root / "release").mkdir()  # nbgrader's other folders are left alone
    return root


def import_course(course_dir, *args) -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_nbgrader", str(course_dir), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.mark.django_db
def test_import_takes_the_good_notebooks_and_reports_the_broken_ones(
    course_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        out, err, error = import_course(course_dir)

    exercise = Exercise.objects.get()
    assert exercise.slug == "ps1-problem1" and exercise.title == "Squares"
    assert exercise.status == Exercise.Status.VALIDATING and exercise.max_score == 6
    assert "square(-7)" not in json.dumps(exercise.student_notebook)
    assert len(callbacks) == 1  # its check is queued
    assert "created" in out and "ps1-problem1" in out
    assert "1 notebook imported, 2 skipped." in out
    assert "source/ps1/broken.ipynb" in err and "t1" in err
    assert "source/ps2/not-json.ipynb" in err and "not valid JSON" in err
    assert error is not None and "skipped" in str(error)  # a non-zero exit for scripts


@pytest.mark.django_db
def test_importing_again_changes_nothing_unless_a_notebook_changed(
    course_dir, django_capture_on_commit_callbacks
):
    import_course(course_dir)
    Exercise.objects.update(status=Exercise.Status.READY)  # checked by a worker meanwhile
    before = Exercise.objects.get()

    with django_capture_on_commit_callbacks() as callbacks:
        out, _err, _error = import_course(course_dir)

    after = Exercise.objects.get()
    assert "unchanged" in out and "ps1-problem1" in out
    assert after.status == Exercise.Status.READY and after.updated_at == before.updated_at
    assert callbacks == []

    changed = square_exercise()
    changed.cells[0].source = "# Squares, second edition"
    (course_dir / "source" / "ps1" / "problem1.ipynb").write_text(nbformat.writes(changed))
    with django_capture_on_commit_callbacks() as callbacks:
        out, _err, _error = import_course(course_dir)

    assert "updated" in out
    assert Exercise.objects.count() == 1
    assert Exercise.objects.get().status == Exercise.Status.VALIDATING
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_import_attaches_the_exercises_to_a_course(course_dir):
    from tests.grading.factories import a_course

    course = a_course()

    import_course(course_dir, "--course", course.slug)

    assert Exercise.objects.get().course_id == course.pk


@pytest.mark.django_db
def test_import_refuses_a_folder_that_is_not_an_nbgrader_course(tmp_path):
    with pytest.raises(CommandError, match="no source/ folder"):
        call_command("import_nbgrader", str(tmp_path))
    with pytest.raises(CommandError, match="No course with slug"):
        (tmp_path / "source").mkdir()
        call_command("import_nbgrader", str(tmp_path), "--course", "nope")
    assert not Exercise.objects.exists()


# ---------------------------------------------------------------------------------------
# Data files and runtimes: an nbgrader assignment folder with a CSV beside the notebook
# ---------------------------------------------------------------------------------------

MEASUREMENTS = b"city,temp\nBaku,21\nBaku,19\nGanja,15\n"
MEAN_SOLUTION = (
    "def mean_by_city(frame):\n"
    "    ### BEGIN SOLUTION\n"
    "    return frame.groupby('city')['temp'].mean()\n"
    "    ### END SOLUTION"
)
MEAN_RIGHT = "def mean_by_city(frame):\n    return frame.groupby('city')['temp'].mean()"
MEAN_WRONG = "def mean_by_city(frame):\n    return frame.groupby('city')['temp'].max()"


def pandas_exercise():
    """A pandas notebook that reads measurements.csv beside it, worth 1 + 2 points."""
    return notebook(
        markdown("# Temperatures\nAverage the temperatures of `measurements.csv` by city."),
        read_only("load", "import pandas as pd\nframe = pd.read_csv('measurements.csv')"),
        answer("mean_by_city", MEAN_SOLUTION),
        autotest("test_baku", "assert mean_by_city(frame)['Baku'] == 20", points=1),
        autotest(
            "test_all",
            "means = mean_by_city(frame)\nassert means['Baku'] == 20\n"
            "### BEGIN HIDDEN TESTS\nassert means['Ganja'] == 15 and len(means) == 2\n"
            "### END HIDDEN TESTS",
            points=2,
        ),
    )


@pytest.fixture
def pandas_course(tmp_path) -> Path:
    """An nbgrader course whose assignment ps1 holds the notebook and its data files."""
    folder = tmp_path / "course" / "source" / "ps1"
    (folder / "data").mkdir(parents=True)
    (folder / "temperatures.ipynb").write_text(without_cell_ids(pandas_exercise()))
    (folder / "measurements.csv").write_bytes(MEASUREMENTS)
    (folder / "data" / "cities.txt").write_text("Baku\nGanja\n")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "measurements-checkpoint.csv").write_text("old")
    return tmp_path / "course"


def pandas_submission(tmp_path, answer_source: str) -> Path:
    path = tmp_path / "handed-in" / "temperatures.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        nbformat.writes(answered(release(pandas_exercise()), mean_by_city=answer_source))
    )
    return path


@pytest.mark.sandbox
@pytest.mark.parametrize(("answer_source", "total"), [(MEAN_RIGHT, 3.0), (MEAN_WRONG, 0.0)])
def test_grade_runs_a_pandas_notebook_with_the_csv_beside_its_source(
    tmp_path, pandas_course, answer_source, total
):
    source = pandas_course / "source" / "ps1" / "temperatures.ipynb"

    done = manage("grade", str(source), str(pandas_submission(tmp_path, answer_source)), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["total"], result["max_total"]) == (total, 3.0), result


@pytest.mark.sandbox
def test_grade_applies_the_memory_limit_it_is_given(tmp_path, source):
    hog = "def square(x):\n    hog = b'x' * (600 * 1024 * 1024)\n    return x * x"

    result = grade_json_with(source, a_submission(tmp_path, hog), "--memory-mb", "256")

    assert result["total"] == 0.0
    assert "memory limit of 256 MB exceeded" in json.dumps(result, ensure_ascii=False)


def grade_json_with(source, submission, *options: str) -> dict:
    out = io.StringIO()
    call_command("grade", str(source), str(submission), "--json", *options, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def both_runtimes(monkeypatch, tmp_path):
    only_installed(monkeypatch, tmp_path / "runtimes", "data-science", "python-minimal")


def test_grade_refuses_a_runtime_that_is_not_installed_naming_the_installed_ones(
    tmp_path, source, both_runtimes
):
    with pytest.raises(CommandError) as raised:
        call_command("grade", str(source), str(source), "--json", "--runtime", "cobol")

    assert str(raised.value) == (
        "There is no runtime “cobol” here. Installed runtimes: data-science, python-minimal."
    )


def test_grade_refuses_a_notebook_whose_kernel_is_no_runtime(tmp_path, both_runtimes):
    source = tmp_path / "r.ipynb"
    r_kernel = {"name": "ir", "display_name": "R", "language": "R"}
    source.write_text(nbformat.writes(notebook(*square_exercise().cells, kernelspec=r_kernel)))

    with pytest.raises(CommandError, match="“ir” is not a runtime here") as raised:
        call_command("grade", str(source), str(source), "--json")
    assert "data-science, python-minimal. Choose one with --runtime." in str(raised.value)


@pytest.mark.parametrize(
    "option",
    [("--memory-mb", "0"), ("--memory-mb", "-5"), ("--timeout", "0"), ("--memory-mb", "x")],
)
def test_grade_refuses_limits_that_are_not_positive(source, option):
    with pytest.raises(CommandError, match="a positive number"):
        call_command("grade", str(source), str(source), "--json", *option)


def test_grade_refuses_data_files_beside_the_source_that_leave_its_folder(
    tmp_path, tmp_path_factory, source
):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.txt"
    secret.write_text("grader's file")
    (tmp_path / "data.txt").symlink_to(secret)

    with pytest.raises(CommandError, match=r"“data\.txt” is a link to a file outside"):
        call_command("grade", str(source), str(source), "--json")


@pytest.mark.django_db
def test_import_brings_the_data_files_beside_the_notebook_along(
    pandas_course, django_capture_on_commit_callbacks
):
    out, err, error = import_course(pandas_course)

    assert error is None, err
    exercise = Exercise.objects.get(slug="ps1-temperatures")
    files = {f.path: bytes(f.content) for f in exercise.files.all()}
    assert files == {"data/cities.txt": b"Baku\nGanja\n", "measurements.csv": MEASUREMENTS}
    assert "data/cities.txt, measurements.csv" in out

    Exercise.objects.update(status=Exercise.Status.READY)  # checked by a worker meanwhile
    assert "unchanged" in import_course(pandas_course)[0]
    (pandas_course / "source" / "ps1" / "measurements.csv").write_bytes(MEASUREMENTS + b"Baku,20\n")
    with django_capture_on_commit_callbacks() as callbacks:
        out, _err, _error = import_course(pandas_course)

    assert "updated" in out
    exercise.refresh_from_db()
    assert bytes(exercise.files.get(path="measurements.csv").content).endswith(b"Baku,20\n")
    assert exercise.status == Exercise.Status.VALIDATING and len(callbacks) == 1


@pytest.mark.django_db
def test_import_skips_an_assignment_whose_data_files_are_refused_and_stores_nothing(
    pandas_course, settings
):
    settings.GRADING_DATA_FILE_MAX_MB = 1
    (pandas_course / "source" / "ps1" / "huge.bin").write_bytes(b"x" * (2 * 1024 * 1024))

    _out, err, error = import_course(pandas_course)

    assert "skipped    source/ps1/temperatures.ipynb:" in err
    assert "“huge.bin” is 2.0\xa0MB, more than the 1.0\xa0MB allowed for one data file." in err
    assert error is not None
    assert not Exercise.objects.exists()
