"""Data files of an exercise (nbgrader's extra files): the rules on their paths and sizes,
reading an assignment folder, a teacher's upload on the manage page, and the student's
download of the notebook with its files as a zip."""

from __future__ import annotations

import io
import zipfile

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.datafiles import (
    MB,
    DataFileLimits,
    DataFilesRefused,
    data_file_problems,
    folder_files,
    path_problem,
)
from grading.models import Exercise, ExerciseFile
from tests.grading.factories import classroom
from tests.grading.notebook.builders import HIDDEN_CHECK

CSV = b"city,temp\nBaku,21\nBaku,19\nGanja,15\n"
LIMITS = DataFileLimits(file_bytes=1000, total_bytes=1500)


# ---------------------------------------------------------------------------------------
# The rules (one function for the import, the upload and the grade command)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../secret.csv", "may not leave the notebook's folder"),
        ("data/../../etc/passwd", "may not leave the notebook's folder"),
        ("..", "may not leave the notebook's folder"),
        ("/etc/passwd", "not absolute"),
        ("data\\measurements.csv", "not “\\”"),
        ("..\\..\\windows.ini", "not “\\”"),
        (".env", "hidden files and folders"),
        ("data/.git/config", "hidden files and folders"),
        ("./measurements.csv", "hidden files and folders"),
        ("data//measurements.csv", "empty folder name"),
        ("data/", "empty folder name"),
        ("a" * 256, "longer than 255 characters"),
        ("bad\x00name.csv", "control characters"),
        ("line\nbreak.csv", "control characters"),
        ("C:/windows.csv", "not allowed in a file name: :"),
        ("what?.csv", "not allowed in a file name: ?"),
        ("solution.ipynb", "is a notebook"),
        ("bad\udcffname.csv", "not valid text"),
        ("", "needs a name"),
    ],
)
def test_a_path_outside_the_folder_or_hidden_or_odd_is_refused_with_the_reason(path, reason):
    problem = path_problem(path)

    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "path",
    ["measurements.csv", "data/2024/measurements.csv", "a" * 255, "données météo.csv", "x..y.csv"],
)
def test_a_plain_relative_path_is_accepted(path):
    assert path_problem(path) is None


def test_sizes_are_checked_per_file_and_for_all_files_together():
    assert data_file_problems([("a.csv", 1000), ("b.csv", 500)], LIMITS) == []

    (too_big,) = data_file_problems([("big.csv", 1001)], LIMITS)
    assert "big.csv" in too_big and "1000" in too_big  # its size and the limit

    (too_many,) = data_file_problems([("a.csv", 1000), ("b.csv", 501)], LIMITS)
    assert "more than" in too_many and "per exercise" in too_many


def test_every_problem_is_said_at_once():
    problems = data_file_problems(
        [("../x.csv", 1), ("a.csv", 10), ("a.csv", 10), ("data", 1), ("data/x.csv", 1)], LIMITS
    )

    assert len(problems) == 3
    assert "“..”" in problems[0]
    assert "“a.csv” is given twice." in problems
    assert "“data” is both a file and a folder of other files." in problems


# ---------------------------------------------------------------------------------------
# An assignment folder, as nbgrader releases it
# ---------------------------------------------------------------------------------------


@pytest.fixture
def assignment(tmp_path):
    folder = tmp_path / "ps1"
    (folder / "data").mkdir(parents=True)
    (folder / "problem1.ipynb").write_text("{}")
    (folder / "measurements.csv").write_bytes(CSV)
    (folder / "data" / "cities.json").write_text('["Baku"]')
    (folder / "data" / "other.ipynb").write_text("{}")  # another notebook: not data
    (folder / ".env").write_text("SECRET=1")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "problem1-checkpoint.ipynb").write_text("{}")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "helpers.cpython-311.pyc").write_bytes(b"\0")
    (folder / "feedback").mkdir()
    (folder / "feedback" / "report.html").write_text("<p>")
    return folder


def test_the_files_beside_a_notebook_are_the_folders_files_but_notebooks_and_hidden_ones(
    assignment,
):
    files = folder_files(assignment)

    assert files == {"data/cities.json": b'["Baku"]', "measurements.csv": CSV}


def test_a_link_to_a_file_outside_the_folder_is_refused(assignment, tmp_path):
    (tmp_path / "private.txt").write_text("not for students")
    (assignment / "notes.txt").symlink_to(tmp_path / "private.txt")

    with pytest.raises(DataFilesRefused) as refused:
        folder_files(assignment)

    assert refused.value.problems == (
        "“notes.txt” is a link to a file outside the notebook's folder.",
    )


def test_a_link_inside_the_folder_is_followed(assignment):
    (assignment / "latest.csv").symlink_to(assignment / "measurements.csv")

    assert folder_files(assignment)["latest.csv"] == CSV


def test_a_folder_over_the_limits_is_refused_with_each_reason(assignment):
    (assignment / "huge.bin").write_bytes(b"x" * 2000)

    with pytest.raises(DataFilesRefused) as refused:
        folder_files(assignment, LIMITS)

    text = "\n".join(refused.value.problems)
    assert "“huge.bin” is" in text and "per exercise" in text


# ---------------------------------------------------------------------------------------
# The teacher's upload on the exercise's manage page
# ---------------------------------------------------------------------------------------


@pytest.fixture
def room(db):
    return classroom()


def upload(client, room, *files: SimpleUploadedFile, folder: str = ""):
    url = reverse("grading:exercise-files", args=[room.exercise.pk])
    return client.post(url, {"files": list(files), "folder": folder})


def csv_file(name: str = "measurements.csv", content: bytes = CSV) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "text/csv")


@pytest.mark.django_db
def test_a_teacher_adds_a_data_file_and_the_exercise_is_checked_again_with_it(
    client, room, django_capture_on_commit_callbacks
):
    client.force_login(room.teacher)

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, room, csv_file(), folder="data")

    assert response.status_code == 302
    stored = ExerciseFile.objects.get(exercise=room.exercise)
    assert (stored.path, bytes(stored.content), stored.size) == (
        "data/measurements.csv",
        CSV,
        len(CSV),
    )
    room.exercise.refresh_from_db()
    assert room.exercise.status == Exercise.Status.VALIDATING
    assert len(callbacks) == 1  # its check in the sandbox, now with the file
    page = client.get(response["Location"]).content.decode()
    assert "data/measurements.csv" in page and "1 data file saved" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("folder", "name", "reason"),
    [
        ("../..", "measurements.csv", "may not leave the notebook&#x27;s folder"),
        ("/etc", "measurements.csv", "not absolute"),
        ("data\\sub", "measurements.csv", "not “\\”"),
        (".git", "measurements.csv", "hidden files and folders"),
        ("", ".bashrc", "hidden files and folders"),
        ("", "solution.ipynb", "is a notebook"),
    ],
)
def test_an_upload_with_a_path_outside_the_folder_is_refused_and_nothing_is_stored(
    client, room, folder, name, reason
):
    client.force_login(room.teacher)

    response = upload(client, room, csv_file(name), folder=folder)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not ExerciseFile.objects.exists()
    room.exercise.refresh_from_db()
    assert room.exercise.status == Exercise.Status.READY  # not checked again for nothing


@pytest.mark.django_db
def test_an_oversized_file_is_refused_and_nothing_is_stored(client, room, settings):
    settings.GRADING_DATA_FILE_MAX_MB = 1
    client.force_login(room.teacher)

    response = upload(client, room, csv_file("small.csv"), csv_file("big.csv", b"x" * (MB + 1)))

    assert response.status_code == 400
    assert "“big.csv” is 1.0\xa0MB, more than the 1.0\xa0MB allowed for one data file." in (
        response.content.decode()
    )
    assert not ExerciseFile.objects.exists()  # not even the small one


@pytest.mark.django_db
def test_files_over_the_exercises_total_are_refused_and_the_stored_ones_kept(
    client, room, settings
):
    settings.GRADING_DATA_FILES_MAX_MB = 1
    client.force_login(room.teacher)
    assert upload(client, room, csv_file("first.csv", b"x" * (MB // 2))).status_code == 302

    response = upload(client, room, csv_file("second.csv", b"y" * (MB // 2 + 1)))

    assert response.status_code == 400
    assert "more than the 1.0\xa0MB allowed per exercise" in response.content.decode()
    assert list(ExerciseFile.objects.values_list("path", flat=True)) == ["first.csv"]
    # replacing a file counts its new size, not both
    assert upload(client, room, csv_file("first.csv", b"z" * MB)).status_code == 302
    assert bytes(ExerciseFile.objects.get().content) == b"z" * MB


@pytest.mark.django_db
def test_a_teacher_removes_a_data_file(client, room, django_capture_on_commit_callbacks):
    client.force_login(room.teacher)
    upload(client, room, csv_file())
    data_file = ExerciseFile.objects.get()
    url = reverse("grading:exercise-file-delete", args=[room.exercise.pk, data_file.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url)

    assert response.status_code == 302
    assert not ExerciseFile.objects.exists()
    assert len(callbacks) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["student", "teacher_elsewhere"])
def test_only_the_exercises_teachers_add_or_remove_data_files(client, room, role):
    client.force_login(room.teacher)
    upload(client, room, csv_file())
    data_file = ExerciseFile.objects.get()
    client.force_login(getattr(room, role))

    added = upload(client, room, csv_file("other.csv"))
    removed = client.post(
        reverse("grading:exercise-file-delete", args=[room.exercise.pk, data_file.pk])
    )

    assert added.status_code == removed.status_code == 403
    assert list(ExerciseFile.objects.values_list("path", flat=True)) == ["measurements.csv"]


# ---------------------------------------------------------------------------------------
# The student's download
# ---------------------------------------------------------------------------------------


def download(client, room):
    return client.get(f"/api/v1/exercises/{room.exercise.pk}/notebook/")


@pytest.mark.django_db
def test_the_student_downloads_the_notebook_and_its_data_files_as_a_zip(client, room):
    ExerciseFile.objects.create(
        exercise=room.exercise, path="data/measurements.csv", content=CSV, size=len(CSV)
    )
    client.force_login(room.student)

    page = client.get(reverse("grading:exercise", args=[room.exercise.pk])).content.decode()
    response = download(client, room)

    assert "Download the notebook with its data files (.zip)" in page
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    slug = room.exercise.slug
    assert f'filename="{slug}.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [f"{slug}/data/measurements.csv", f"{slug}/{slug}.ipynb"]
    assert archive.read(f"{slug}/data/measurements.csv") == CSV
    notebook_text = archive.read(f"{slug}/{slug}.ipynb").decode()
    nbformat.reads(notebook_text, as_version=4)  # a notebook Jupyter opens
    assert HIDDEN_CHECK not in notebook_text and "return x * x" not in notebook_text


@pytest.mark.django_db
def test_without_data_files_the_download_stays_the_plain_notebook(client, room):
    client.force_login(room.student)

    response = download(client, room)

    assert response["Content-Type"] == "application/x-ipynb+json"
    assert nbformat.reads(response.content.decode(), as_version=4).cells
