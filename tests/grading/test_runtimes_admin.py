"""Runtimes and limits on the platform's side: a notebook (or an exercise's choice) that
names no installed runtime is refused at upload with the installed ones named; the admin
offers the installed runtimes and sets the limits with number fields; grading passes the
runtime and the data files to the sandbox, and a runtime the worker lacks fails the
submission with a reason instead of running it elsewhere."""

from __future__ import annotations

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading import services
from grading.models import Exercise, ExerciseFile, Submission
from grading.sandbox import runtimes
from tests.grading.factories import FAST_LIMITS, RIGHT, classroom, submission_notebook
from tests.grading.notebook.builders import notebook, square_exercise
from tests.grading.notebook.fakes import FakeKernel
from tests.grading.runtime_fakes import only_installed
from tests.grading.test_commands import import_course

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/grading/exercise/add/"
R_KERNEL = {"name": "ir", "display_name": "R", "language": "R"}


@pytest.fixture
def room():
    return classroom()


@pytest.fixture
def both(monkeypatch, tmp_path):
    only_installed(monkeypatch, tmp_path, "data-science", "python-minimal")


def edit_url(exercise) -> str:
    return f"/admin/snippets/grading/exercise/edit/{exercise.pk}/"


def with_kernel(kernelspec: dict):
    source = square_exercise()
    return notebook(*source.cells, kernelspec=kernelspec)


def ipynb(nb) -> SimpleUploadedFile:
    return SimpleUploadedFile("source.ipynb", nbformat.writes(nb).encode())


def form(room, upload=None, **fields) -> dict:
    data = {
        "title": "Data exercise",
        "slug": "data-exercise",
        "description": "",
        "course": str(room.course.pk),
        "max_attempts": "",
        "due_at": "",
        "late_policy": "accept",
        "late_penalty_percent": "0",
        "runtime": "",
        "memory_mb": "",
        "cpu_seconds": "",
        "cell_timeout_s": "",
        "notebook_timeout_s": "",
        "competence_links-TOTAL_FORMS": "0",
        "competence_links-INITIAL_FORMS": "0",
        "competence_links-MIN_NUM_FORMS": "0",
        "competence_links-MAX_NUM_FORMS": "1000",
    }
    if upload is not None:
        data["source_upload"] = upload
    data.update(fields)
    return data


def edit_form(room, **fields) -> dict:
    """The edit form as the page shows it for the room's exercise (FAST_LIMITS)."""
    exercise = room.exercise
    current = {
        "title": exercise.title,
        "slug": exercise.slug,
        "runtime": exercise.runtime,
        "cell_timeout_s": str(FAST_LIMITS["cell_timeout_s"]),
        "notebook_timeout_s": str(FAST_LIMITS["notebook_timeout_s"]),
    }
    return form(room, **{**current, **fields})


# ---------------------------------------------------------------------------------------
# Refused at upload, with the installed runtimes named
# ---------------------------------------------------------------------------------------


def test_a_notebook_whose_kernel_is_no_installed_runtime_is_refused_naming_the_installed_ones(
    client, room, both
):
    client.force_login(room.teacher)

    response = client.post(ADD_URL, form(room, ipynb(with_kernel(R_KERNEL))))

    html = response.content.decode()
    assert response.status_code == 200  # the form again
    assert "The notebook&#x27;s kernel “ir” is not a runtime of this server." in html
    assert "Installed runtimes: data-science, python-minimal." in html
    assert not Exercise.objects.filter(slug="data-exercise").exists()


def test_a_runtime_defined_but_not_built_here_is_refused_at_upload(
    client, room, monkeypatch, tmp_path
):
    only_installed(monkeypatch, tmp_path, "python-minimal")
    client.force_login(room.teacher)

    response = client.post(ADD_URL, form(room, ipynb(square_exercise())))  # python3

    html = response.content.decode()
    assert "The runtime “data-science” is not built on this server (run: make runtimes)." in html
    assert "Installed runtimes: python-minimal." in html
    assert not Exercise.objects.filter(slug="data-exercise").exists()


def test_an_exercise_may_run_in_another_runtime_than_its_notebooks_kernel(client, room, both):
    client.force_login(room.teacher)

    response = client.post(
        ADD_URL, form(room, ipynb(with_kernel(R_KERNEL)), runtime="python-minimal")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Exercise.objects.get(slug="data-exercise").runtime == "python-minimal"


def test_a_stored_choice_of_a_runtime_no_longer_installed_is_refused_on_save(client, room, both):
    Exercise.objects.filter(pk=room.exercise.pk).update(runtime="r-stats")
    room.exercise.refresh_from_db()
    client.force_login(room.teacher)

    page = client.get(edit_url(room.exercise)).content.decode()
    response = client.post(edit_url(room.exercise), edit_form(room, title="Renamed"))

    assert "r-stats (not installed here)" in page
    html = response.content.decode()
    assert "There is no runtime “r-stats” here." in html
    assert "Installed runtimes: data-science, python-minimal." in html
    room.exercise.refresh_from_db()
    assert room.exercise.title != "Renamed"


def test_the_runtime_is_a_select_of_the_installed_ones_listed_with_their_versions(
    client, room, both
):
    client.force_login(room.teacher)

    html = client.get(ADD_URL).content.decode()

    assert '<option value="" selected>From the notebook&#x27;s kernel' in html
    assert '<option value="data-science">' in html and '<option value="python-minimal">' in html
    version = runtimes.defined()["python-minimal"].version
    assert f"python-minimal, version {version}: Python 3.11, standard library only" in html


def test_the_import_command_refuses_a_notebook_whose_kernel_is_no_runtime(both, tmp_path):
    (tmp_path / "course" / "source" / "ps1").mkdir(parents=True)
    path = tmp_path / "course" / "source" / "ps1" / "r-notebook.ipynb"
    path.write_text(nbformat.writes(with_kernel(R_KERNEL)))

    _out, err, error = import_course(tmp_path / "course")

    assert "“ir” is not a runtime of this server" in err
    assert "Installed runtimes: data-science, python-minimal." in err
    assert error is not None and not Exercise.objects.exists()


# ---------------------------------------------------------------------------------------
# Limits as number fields
# ---------------------------------------------------------------------------------------


def test_the_limits_are_number_fields_stored_into_the_exercises_limits(
    client, room, both, django_capture_on_commit_callbacks
):
    Exercise.objects.filter(pk=room.exercise.pk).update(
        limits={**FAST_LIMITS, "output_bytes": 500_000}  # set before, not in the form
    )
    client.force_login(room.teacher)
    page = client.get(edit_url(room.exercise)).content.decode()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            edit_url(room.exercise),
            edit_form(
                room,
                memory_mb="1024",
                cpu_seconds="90",
                cell_timeout_s="20",
                notebook_timeout_s="",  # back to the default
            ),
        )

    assert 'type="number" name="memory_mb"' in page and 'name="limits"' not in page
    assert 'name="cell_timeout_s" value="10"' in page  # the stored value, to change
    assert response.status_code == 302, response.content.decode()[:3000]
    room.exercise.refresh_from_db()
    assert room.exercise.limits == {
        "memory_mb": 1024,
        "cpu_seconds": 90,
        "cell_timeout_s": 20,
        "output_bytes": 500_000,
    }
    limits = room.exercise.sandbox_limits
    assert (limits.memory_mb, limits.notebook_timeout_s) == (1024, 120)
    # the solution may not pass within other limits: it is checked again
    assert room.exercise.status == Exercise.Status.VALIDATING and len(callbacks) == 1


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"memory_mb": "10"}, "memory_mb", "greater than or equal to 64"),
        ({"memory_mb": "100000"}, "memory_mb", "less than or equal to 4096"),
        ({"cpu_seconds": "0"}, "cpu_seconds", "greater than or equal to 1"),
        ({"notebook_timeout_s": "100000"}, "notebook_timeout_s", "less than or equal to 120"),
        ({"cell_timeout_s": "-5"}, "cell_timeout_s", "greater than or equal to 1"),
        ({"memory_mb": "lots"}, "memory_mb", "Enter a whole number"),
        (
            {"cell_timeout_s": "60", "notebook_timeout_s": "30"},
            "cell_timeout_s",
            "A cell cannot have more time than the whole notebook (30 s).",
        ),
    ],
)
def test_limits_out_of_bounds_are_refused_and_nothing_changes(
    client, room, both, fields, field, reason
):
    client.force_login(room.teacher)

    response = client.post(edit_url(room.exercise), edit_form(room, **fields))

    assert response.status_code == 200
    assert reason in response.content.decode()
    room.exercise.refresh_from_db()
    assert room.exercise.limits == FAST_LIMITS
    assert room.exercise.status == Exercise.Status.READY


def test_choosing_another_runtime_checks_the_exercise_again(
    client, room, both, django_capture_on_commit_callbacks
):
    client.force_login(room.teacher)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(edit_url(room.exercise), edit_form(room, runtime="python-minimal"))

    assert response.status_code == 302
    room.exercise.refresh_from_db()
    assert room.exercise.runtime == "python-minimal"
    assert room.exercise.status == Exercise.Status.VALIDATING and len(callbacks) == 1


def test_the_manage_page_says_which_runtime_the_exercise_runs_in(client, room, both):
    client.force_login(room.teacher)
    url = reverse("grading:exercise-manage", args=[room.exercise.pk])

    ready = client.get(url).content.decode()
    Exercise.objects.filter(pk=room.exercise.pk).update(runtime="r-stats")
    missing = client.get(url).content.decode()

    assert "Student code runs in <strong>data-science</strong>" in ready
    assert "There is no runtime “r-stats” here." in missing


# ---------------------------------------------------------------------------------------
# Grading: the runtime and the data files reach the sandbox; a missing runtime is said
# ---------------------------------------------------------------------------------------


class RecordingKernel(FakeKernel):
    """The fake kernel, remembering the ExecutionEnv each run was given."""

    def __init__(self):
        super().__init__()
        self.envs = []

    def __call__(self, nb, *, limits, allow_unsandboxed=False, env=None):
        self.envs.append(env)
        return super().__call__(nb, limits=limits, allow_unsandboxed=allow_unsandboxed)


@pytest.fixture
def kernel(monkeypatch, settings):
    settings.GRADING_ALLOW_UNSANDBOXED = True  # the fake kernel runs in this process
    fake = RecordingKernel()
    monkeypatch.setattr(services, "sandboxed_executor", lambda: fake)
    return fake


def a_submission(room) -> Submission:
    return services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise, RIGHT),
        origin=Submission.Origin.UPLOAD,
    )


def test_grading_and_checking_run_in_the_exercises_runtime_with_its_data_files(room, both, kernel):
    ExerciseFile.objects.create(
        exercise=room.exercise, path="data/cities.csv", content=b"city\nBaku\n", size=10
    )
    Exercise.objects.filter(pk=room.exercise.pk).update(runtime="python-minimal")

    graded = services.submission_grade(submission_id=a_submission(room).pk)
    services.exercise_validate(exercise_id=room.exercise.pk)

    assert graded.status == Submission.Status.GRADED and graded.total == 3
    assert kernel.envs and all(
        env.runtime == "python-minimal" and dict(env.files) == {"data/cities.csv": b"city\nBaku\n"}
        for env in kernel.envs
    )


def test_a_runtime_the_worker_lacks_fails_the_submission_with_the_reason(
    room, monkeypatch, tmp_path, kernel
):
    only_installed(monkeypatch, tmp_path, "data-science")
    Exercise.objects.filter(pk=room.exercise.pk).update(runtime="python-minimal")
    submission = a_submission(room)

    graded = services.submission_grade(submission_id=submission.pk)

    assert graded.status == Submission.Status.FAILED
    assert "runtime “python-minimal”" in graded.failure_reason
    assert "(installed: data-science)" in graded.failure_reason
    assert kernel.envs == []  # never run in another runtime
    # a redelivered task finds it finished: no retry loop
    assert services.submission_grade(submission_id=submission.pk) is None


def test_the_check_of_an_exercise_whose_runtime_the_worker_lacks_says_so(
    room, monkeypatch, tmp_path, kernel
):
    only_installed(monkeypatch, tmp_path, "python-minimal")

    exercise = services.exercise_validate(exercise_id=room.exercise.pk)

    assert exercise.status == Exercise.Status.INVALID
    assert exercise.validation_report["problems"] == [
        "The runtime “data-science” is not built on this server (run: make runtimes). "
        "Installed runtimes: python-minimal."
    ]
    assert kernel.envs == []
