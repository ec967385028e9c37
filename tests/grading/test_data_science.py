"""Data and AI exercises, as a teacher brings them from nbgrader: an assignment folder with
a pandas notebook reading measurements.csv, a matplotlib plot and a scikit-learn model
(tests/fixtures/nbgrader/data-ai/source/air-quality/, the notebooks of the demo's "Data
and AI" course), graded by `manage.py grade --json SOURCE SUBMISSION` at default limits in
the data-science runtime, with the CSV beside SOURCE; and a demo exercise of that course
graded by a real worker."""

from __future__ import annotations

import filecmp
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from django.core.management import call_command
from django.db import transaction

from courses.models import LessonPage
from demo import courses as demo_courses
from demo import grading as demo_grading
from demo import people as demo_people
from grading import access, services
from grading.models import ExerciseFile, Submission
from grading.notebook.release import release
from people.models import User
from tests.grading.notebook.builders import answered
from tests.worker import wait_for

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "tests" / "fixtures" / "nbgrader" / "data-ai" / "source" / "air-quality"
DEMO_FOLDER = ROOT / "demo" / "notebooks" / "air-quality"
NOTEBOOKS = ("district-means", "pm25-histogram", "pollution-model")

# Auto-graded points of each notebook (the histogram has 2 more, graded by the teacher).
AUTO_POINTS = {"district-means": 5.0, "pm25-histogram": 4.0, "pollution-model": 5.0}

# Mistakes students make, in the answer cells of each notebook (grade_id -> source).
WRONG = {
    # filters before grouping: a district with no month above the limit disappears
    "district-means": {
        "aggregate": """
def district_means(df):
    return df.groupby("district")["pm25"].mean().round(1).sort_values(ascending=False)


def months_above(df, limit):
    return df[df["pm25"] > limit].groupby("district").size()
""",
    },
    # matplotlib's default 10 bins, no limit line
    "pm25-histogram": {
        "histogram": """
def pm25_histogram(df, limit=25):
    fig, ax = plt.subplots()
    ax.hist(df["pm25"].dropna())
    ax.set_xlabel("PM2.5 (µg/m³)")
    ax.set_ylabel("Months")
    ax.set_title("PM2.5")
    return ax
""",
        "interpretation": "Most months are below the limit, winter months are above it.",
    },
    # reports the accuracy on the months it was trained on
    "pollution-model": {
        "prepare": """
def labelled(path):
    df = pd.read_csv(path).dropna(subset=["pm25"])
    return df.assign(high=df["pm25"] > LIMIT)


def features(df):
    return pd.get_dummies(df[["temperature_c", "wind_ms", "district"]], columns=["district"])


def train(X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    return model, model.score(X_train, y_train)
""",
    },
}
# What the student sees failing for each mistake (cell -> score), and nothing else.
WRONG_SCORES = {
    "district-means": {"test_district_means": 3.0, "test_months_above": 0.0},
    "pm25-histogram": {"test_bars": 0.0, "test_labels": 1.0, "test_limit_line": 0.0},
    "pollution-model": {"test_prepare": 2.0, "test_accuracy": 0.0},
}


def grade_json(source: Path, submission: Path) -> dict:
    out = io.StringIO()
    call_command("grade", str(source), str(submission), "--json", stdout=out)
    return json.loads(out.getvalue())


def write(path: Path, nb) -> Path:
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def source_of(name: str):
    return nbformat.read(ASSIGNMENT / f"{name}.ipynb", as_version=4)


def test_the_demo_course_uses_the_assignment_folder_tested_here():
    """The demo's Data and AI notebooks and their data file are these fixtures, byte for
    byte: what this suite grades is what the demo's students get."""
    names = sorted(p.name for p in ASSIGNMENT.iterdir())
    assert names == sorted(p.name for p in DEMO_FOLDER.iterdir())
    assert names == sorted(["measurements.csv", *(f"{n}.ipynb" for n in NOTEBOOKS)])
    _match, mismatch, errors = filecmp.cmpfiles(ASSIGNMENT, DEMO_FOLDER, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    for name in NOTEBOOKS:
        assert source_of(name).metadata.kernelspec.name == "python3"  # JupyterHub's default


@pytest.mark.sandbox
def test_a_notebook_graded_without_its_data_file_names_the_missing_file(tmp_path):
    """Bad input first: the source copied alone, without measurements.csv beside it."""
    alone = tmp_path / "district-means.ipynb"
    shutil.copy(ASSIGNMENT / alone.name, alone)

    result = grade_json(alone, alone)

    assert result["total"] == 0
    messages = " ".join(cell["message"] for cell in result["cells"])
    assert "FileNotFoundError" in messages and "measurements.csv" in messages


@pytest.mark.sandbox
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_solution_gets_full_marks_with_the_csv_beside_it(name):
    source = ASSIGNMENT / f"{name}.ipynb"

    result = grade_json(source, source)  # the source is its own (perfect) submission

    auto = [cell for cell in result["cells"] if cell["status"] != "needs_manual"]
    assert [cell["status"] for cell in auto] == ["passed"] * len(auto), result
    assert result["total"] == sum(cell["max_score"] for cell in auto) == AUTO_POINTS[name]
    manual = [cell["grade_id"] for cell in result["cells"] if cell["status"] == "needs_manual"]
    assert manual == (["interpretation"] if name == "pm25-histogram" else [])


@pytest.mark.sandbox
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_wrong_answer_gets_less_and_the_hidden_tests_stay_hidden(tmp_path, name):
    submission = write(
        tmp_path / f"{name}.ipynb", answered(release(source_of(name)), **WRONG[name])
    )

    result = grade_json(ASSIGNMENT / f"{name}.ipynb", submission)

    scores = {c["grade_id"]: c["score"] for c in result["cells"] if c["status"] != "needs_manual"}
    assert scores == WRONG_SCORES[name]
    assert result["total"] < AUTO_POINTS[name]
    manual = [c["grade_id"] for c in result["cells"] if c["status"] == "needs_manual"]
    assert manual == (["interpretation"] if name == "pm25-histogram" else [])  # answered
    for cell in result["cells"]:
        if cell["status"] == "failed":  # the student is told which test failed...
            assert f"Test '{cell['grade_id']}' failed" in cell["message"]
    printed = json.dumps(result, ensure_ascii=False)  # ...never what a hidden test checks
    assert "BEGIN HIDDEN" not in printed and "measured on the test months" not in printed


@pytest.mark.sandbox
def test_the_feedback_page_shows_the_table_and_the_plot(tmp_path):
    feedback = tmp_path / "feedback.html"
    for name, expected in (("district-means", "<table"), ("pm25-histogram", "image/png")):
        source = ASSIGNMENT / f"{name}.ipynb"
        call_command(
            "grade", str(source), str(source), "--feedback", str(feedback), stdout=io.StringIO()
        )
        assert expected in feedback.read_text(encoding="utf-8"), name


# ---------------------------------------------------------------------------------------
# The demo's Data and AI course: a student's answer graded by a real worker
# ---------------------------------------------------------------------------------------

MODEL_ANSWER = """
def labelled(path):
    df = pd.read_csv(path)
    df = df[df["pm25"].notna()].copy()
    df["high"] = df["pm25"] > LIMIT
    return df


def features(df):
    districts = pd.get_dummies(df["district"], prefix="district", dtype=float)
    return pd.concat([df[["temperature_c", "wind_ms"]], districts], axis=1)


def train(X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = LogisticRegression(max_iter=1000)
    model.fit(X_train, y_train)
    return model, (model.predict(X_test) == y_test).mean()
"""


@pytest.mark.worker
@pytest.mark.sandbox
def test_a_scholar_solves_the_demo_model_exercise_and_a_worker_grades_it(
    celery_worker_process, client
):
    demo_people.load()
    demo_courses.load_pages()
    demo = next(d for d in demo_grading.EXERCISES if d.slug == "air-quality-pollution-model")

    exercise = demo_grading.load_exercise(demo)  # checked in the sandbox, as load_demo does

    assert exercise.is_ready, exercise.validation_report
    assert exercise.course.slug == "data-and-ai"
    files = ExerciseFile.objects.filter(exercise=exercise)
    assert list(files.values_list("path", flat=True)) == ["measurements.csv"]
    assert files.get().size == (DEMO_FOLDER / "measurements.csv").stat().st_size
    # the scholarship track has the course too: its named demo student sees the exercise
    scholar = User.objects.get(username="scholar")
    assert access.may_submit(scholar, exercise)
    lesson = LessonPage.objects.child_of(exercise.course).get(slug="a-first-model")
    client.force_login(scholar)
    assert 'data-testid="exercise-panel"' in client.get(lesson.url).content.decode()

    with transaction.atomic():
        submission = services.submission_from_answers(
            exercise=exercise, student=scholar, answers={"prepare": MODEL_ANSWER.strip() + "\n"}
        )
    wait_for(
        lambda: Submission.objects.get(pk=submission.pk).status == "graded",
        timeout=120,
        message=f"not graded:\n{celery_worker_process.log()}",
    )
    submission.refresh_from_db()
    assert (submission.total, exercise.max_score) == (5.0, 5.0)
