"""Fast grading against the nbgrader way (prints figures; not a test).

    .venv/bin/python bench/grading.py [--submissions 200] [--latency-samples 40]
        [--ds-baseline-sample 30] [--workloads plain,data-science]

Two workloads, each a batch of submissions in a fixed random mix of right, wrong, partly
right and unanswered attempts:

* **plain**: demo/notebooks/university-sensor-cleaning.ipynb, plain Python;
* **data-science**: demo/notebooks/air-quality/pollution-model.ipynb, the Data and AI
  course's pandas + scikit-learn exercise (read ``measurements.csv``, one-hot encode,
  split, fit a LogisticRegression), with the CSV of its assignment folder, in the
  ``data-science`` runtime.

Each batch is graded twice in one run:

* **baseline**, the nbgrader way: for each notebook, one after the other, a fresh kernel
  with plain nbclient (``NotebookClient.execute``) on the sanitized notebook, unsandboxed,
  as nbgrader's autograde does; cells with an error output fail, scored by the platform's
  scorer;
* **fast**, the platform's path: ``grade_with_feedback`` (execution, scoring and the
  feedback page, as a grading worker does) with a ``WarmPool`` of sandboxed kernels forked
  by the fork server, as many submissions at once as the machine has cores.

For the data-science workload the baseline's kernel is the runtime's own interpreter, as
a JupyterHub would run it: a kernelspec whose argv is ``[<runtime>/bin/python -m
ipykernel_launcher -f {connection_file}]`` (jupyter_client 7 dropped
``KernelManager.kernel_cmd``; a kernelspec's argv is what replaced it), started in a
working directory holding the CSV, with BLAS single-threaded as in the sandbox; the fast
path passes the CSV as the exercise's data file (``ExecutionEnv(files=...)``), which the
sandbox lays read-only in the kernel's working directory. The baseline's fresh kernel
imports pandas and scikit-learn for every notebook, so it runs on a sample
(``--ds-baseline-sample``, every k-th submission of the batch; said in its line) and its
rate is that sample's.

The scores must be the same both ways (for the sampled submissions, in data-science).
Peak memory is the sum of the resident set sizes of every sandbox process (the fork
server, each warm kernel and its init), sampled every 50 ms while the fast batch runs;
their proportional set size (shared pages counted once) is printed too.

Then the latency a student sees, end to end, on an idle worker: single submissions, one at
a time with a pause between them, through the whole platform, for each workload's
exercise in turn. The bench migrates a database of its own, starts a real
``celery -A lms worker -Q grading`` process (one process per core, each with its warm
kernel pool, lms/celery.py), creates the exercises with the grading services (the
data-science one with its CSV as a data file; their checks run on that worker) and
students in a university cohort, then per sample calls ``submission_from_answers`` (what
the lesson page and the API call): the submission is stored, committed and, on commit,
queued on the ``grading`` queue; the worker takes it, grades it in the sandbox and writes
the results back. Latency is from just before the service call until the bench, polling
the database every 10 ms, sees the status ``graded``; the database's own
``submitted_at -> graded_at`` is printed too. Defaults need no service: a temporary SQLite
file and kombu's filesystem broker in a folder of the bench's own, both under var/ and
removed afterwards. With ``DATABASE_URL``
(PostgreSQL) the bench creates and drops a database of its own on that server
(``bench_grading_<pid>``); with ``CELERY_BROKER_URL`` (Redis) it uses that broker, whose
``grading`` queue it empties first (give it a Redis database of its own).

The last two lines are the two workloads' summaries: ``grading speedup ...`` (plain),
then ``data-science grading speedup ...``. Their p50 and p95 are the end-to-end latencies
above; their peak is the memory the fork server and the warm kernels use together: their
summed PSS (each shared page counted once; the summed RSS, which counts the fork server's
preloaded pages once per kernel, is on the ``memory:`` line of each workload).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import json
import logging
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from grading.notebook.metadata import nbgrader_metadata, parse_source  # noqa: E402
from grading.notebook.pipeline import grade_with_feedback  # noqa: E402
from grading.notebook.sanitize import sanitize  # noqa: E402
from grading.notebook.score import score  # noqa: E402
from grading.notebook.types import (  # noqa: E402
    CellExecution,
    ExecutionEnv,
    ExecutionResult,
    SandboxLimits,
)
from grading.sandbox import runtimes  # noqa: E402
from grading.sandbox.pool import WarmPool  # noqa: E402

EXERCISE = ROOT / "demo" / "notebooks" / "university-sensor-cleaning.ipynb"
DS_EXERCISE = ROOT / "demo" / "notebooks" / "air-quality" / "pollution-model.ipynb"
DS_RUNTIME = "data-science"
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
LIMITS = SandboxLimits()
BENCH_ID = f"bench-grading-{os.getpid()}"
POLL_S = 0.01  # how often the bench looks for the grade in the database
IDLE_S = 0.4  # pause before each single submission: the worker is idle, its pool refilled

#: Answers students give to the exercise's answer cell, and how often.
ANSWERS = {
    "right": (
        4,
        """
def clean_mean(readings):
    valid = [r for r in readings if r is not None and r >= 0]
    if not valid:
        return None
    return round(sum(valid) / len(valid), 1)


def hours_above(readings, limit):
    return sum(1 for r in readings if r is not None and r >= 0 and r > limit)
""",
    ),
    "right, another way": (
        2,
        """
import statistics

def clean_mean(readings):
    valid = list(filter(lambda r: r is not None and r >= 0, readings))
    return round(statistics.mean(valid), 1) if valid else None

def hours_above(readings, limit):
    return len([r for r in readings if r is not None and r > limit])
""",
    ),
    "partly: forgets to round": (
        2,
        """
def clean_mean(readings):
    valid = [r for r in readings if r is not None and r >= 0]
    return sum(valid) / len(valid) if valid else None

def hours_above(readings, limit):
    return sum(1 for r in readings if r is not None and r > limit)
""",
    ),
    "partly: counts broken readings": (
        2,
        """
def clean_mean(readings):
    valid = [r for r in readings if r is not None and r >= 0]
    if not valid:
        return None
    return round(sum(valid) / len(valid), 1)

def hours_above(readings, limit):
    return sum(1 for r in readings if r is not None and abs(r) > limit)
""",
    ),
    "wrong: keeps negative readings": (
        2,
        """
def clean_mean(readings):
    valid = [r for r in readings if r is not None]
    return round(sum(valid) / len(valid), 1) if valid else 0

def hours_above(readings, limit):
    return 0
""",
    ),
    "wrong: does not run": (1, "def clean_mean(readings)\n    return None\n"),
    "unanswered": (2, None),  # the released notebook as handed out
}

_DS_RIGHT = """
def labelled(path):
    df = pd.read_csv(path).dropna(subset=["pm25"])
    return df.assign(high=df["pm25"] > LIMIT).reset_index(drop=True)


def features(df):
    inputs = df[["temperature_c", "wind_ms", "district"]]
    return pd.get_dummies(inputs, columns=["district"], dtype=int)


def train(X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    return model, model.score(X_test, y_test)
"""

#: Answers to the data-science exercise's answer cell ("prepare"), and how often.
DS_ANSWERS = {
    "right": (4, _DS_RIGHT),
    "right, another way": (
        2,
        """
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
""",
    ),
    "partly: accuracy on the training months": (
        2,
        _DS_RIGHT.replace("model.score(X_test, y_test)", "model.score(X_train, y_train)"),
    ),
    "partly: counts 25 as high": (2, _DS_RIGHT.replace('["pm25"] > LIMIT', '["pm25"] >= LIMIT')),
    "wrong: weather only": (
        2,
        _DS_RIGHT.replace(
            'pd.get_dummies(inputs, columns=["district"], dtype=int)',
            'inputs[["temperature_c", "wind_ms"]]',
        ),
    ),
    "wrong: does not run": (1, "def labelled(path)\n    return pd.read_csv(path)\n"),
    "unanswered": (2, None),
}


@dataclass(frozen=True)
class Workload:
    """An exercise, the answers students give to its answer cell, where it runs."""

    name: str
    notebook: Path
    answer_cell: str  # the grade_id of the answer cell
    answers: dict[str, tuple[int, str | None]]  # label -> (weight, source or None)
    runtime: str = ""  # "" is the default runtime
    with_files: bool = False  # the other files of the notebook's folder go with it

    @property
    def files(self) -> dict[str, bytes]:
        """The data files beside the notebook, as nbgrader's assignment folder has them."""
        if not self.with_files:
            return {}
        return {
            path.name: path.read_bytes()
            for path in sorted(self.notebook.parent.iterdir())
            if path.is_file() and path.suffix != ".ipynb" and not path.name.startswith(".")
        }

    @property
    def env(self) -> ExecutionEnv:
        return ExecutionEnv(runtime=self.runtime, files=self.files)

    def answer(self, label: str) -> dict[str, str]:
        """The answer cells of a submission with this answer (empty: unanswered)."""
        source = self.answers[label][1]
        return {} if source is None else {self.answer_cell: source.strip() + "\n"}


PLAIN = Workload("plain", EXERCISE, "cleaning", ANSWERS)
DATA_SCIENCE = Workload(
    "data-science", DS_EXERCISE, "prepare", DS_ANSWERS, runtime=DS_RUNTIME, with_files=True
)


def submissions(
    count: int, source: nbformat.NotebookNode, workload: Workload = PLAIN
) -> list[tuple[str, object]]:
    """``count`` submissions in a fixed mix of the workload's answers."""
    from grading.notebook.release import release

    handed_out = release(source)
    answers = workload.answers
    labels = [label for label, (weight, _) in answers.items() for _ in range(weight)]
    rng = random.Random(2024)
    out = []
    for _ in range(count):
        label = rng.choice(labels)
        nb = copy.deepcopy(handed_out)
        for grade_id, answer in workload.answer(label).items():
            for cell in nb.cells:
                if nbgrader_metadata(cell).grade_id == grade_id:
                    cell.source = answer
        out.append((label, nb))
    return out


# --------------------------------------------------------------------------------------------
# The two ways
# --------------------------------------------------------------------------------------------


class RuntimeKernel:
    """The nbgrader way's kernel for a runtime: a kernelspec (in a folder of the bench's
    own) whose argv is the runtime's interpreter running ipykernel, and a working
    directory holding the workload's data files. Each notebook gets a fresh kernel."""

    NAME = "bench-runtime"

    def __init__(self, workload: Workload, folder: Path) -> None:
        python = runtimes.get(workload.runtime).python
        spec_dir = folder / "kernels" / self.NAME
        spec_dir.mkdir(parents=True)
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {
            "argv": argv,
            "display_name": workload.runtime,
            "language": "python",
            # BLAS and OpenMP single-threaded, as in the sandbox: the two ways compute
            # alike, and two BLAS threads per kernel on a busy 2-core machine made a
            # small LogisticRegression.fit 8x slower (median 93 ms against 12 ms).
            "env": {name: "1" for name in BLAS_THREADS},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        self.specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
        self.workdir = folder / "work"
        self.workdir.mkdir()
        for name, content in workload.files.items():
            (self.workdir / name).write_bytes(content)
        self.argv = argv

    def client(self, nb) -> NotebookClient:
        km = AsyncKernelManager(kernel_name=self.NAME, kernel_spec_manager=self.specs)
        return NotebookClient(
            nb,
            km=km,
            timeout=30,
            allow_errors=True,
            resources={"metadata": {"path": str(self.workdir)}},  # the kernel's cwd
        )


def baseline_grade(source, submission, kernel: RuntimeKernel | None = None) -> float:
    """nbgrader's autograde: a fresh kernel per notebook, plain nbclient, no sandbox; the
    platform's kernelspec ``python3`` or, with ``kernel``, the runtime's interpreter."""
    spec = parse_source(source)
    sanitized = sanitize(source, submission)
    nb = copy.deepcopy(sanitized.notebook)
    if kernel is None:
        client = NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True)
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up warnings
    else:  # a KernelManager it did not make: shut its kernel down after the notebook
        client = kernel.client(nb)
        client.execute(stderr=subprocess.DEVNULL, cleanup_kc=True)
    cells = tuple(
        CellExecution(
            index=i,
            status="error" if any(o.output_type == "error" for o in cell.outputs) else "ok",
        )
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    )
    result = score(spec, sanitized, ExecutionResult(notebook=nb, cells=cells, sandboxed=False))
    return result.total


def fast_grade(source, submission, pool: WarmPool, env: ExecutionEnv | None = None) -> float:
    return grade_with_feedback(
        source, submission, limits=LIMITS, executor=pool, env=env
    ).result.total


class MemorySampler:
    """Peak summed RSS (every 0.25 s) and PSS (every 2 s: reading smaps_rollup walks every
    page table, ~10 ms per data-science kernel, with two fork servers and their warm
    kernels per runtime ~50 ms a round) of the pool's sandbox processes, in MB. The
    sampler runs in the grader's process and must not eat the CPU it measures: every
    round lists the sandboxes' processes from /proc, so rounds are not too frequent."""

    def __init__(self, pool: WarmPool) -> None:
        self.pool = pool
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            pids = self.pool.sandbox_pids()
            rss = sum(_kb(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            if tick % 8 == 0:
                pss = sum(_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
                self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)
            tick += 1
            self._stop.wait(0.25)


# --------------------------------------------------------------------------------------------
# End to end: service -> database -> broker -> Celery worker -> sandbox -> database
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    label: str
    seen_s: float  # just before the service call -> the bench reads status "graded"
    service_s: float  # the service call: store, commit, queue
    recorded_s: float  # submitted_at -> graded_at, as the database has them
    queued_s: float  # submitted_at -> started_at: broker and the worker's pick-up
    running_s: float  # started_at -> graded_at: the worker's task until its results
    grading_s: float  # the worker's grading_seconds: sandbox, scoring, feedback
    after_s: float  # graded_at -> seen: the rest of the results' transaction, polling


class Platform:
    """A database and a broker of the bench's own, and a real grading worker on them."""

    queues = ("grading",)  # what the worker consumes (bench/run.py adds "runs")

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.var = ROOT / "var"
        self.sqlite_path: Path | None = None
        self.pg_admin_url: str | None = None
        self.pg_name = BENCH_ID.replace("-", "_")
        self.broker_dir: Path | None = None
        self.log_path = self.var / "log" / f"{BENCH_ID}-worker.log"
        self.proc: subprocess.Popen | None = None
        self.description = ""

    # ---- set-up and tear-down -------------------------------------------------------------

    def __enter__(self) -> Platform:
        try:
            self._configure()
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection, connections

            logging.disable(logging.INFO)  # Wagtail's lines while migrating
            # "No hostname was supplied": filesystem:// has none, rightly
            logging.getLogger("kombu.connection").setLevel(logging.ERROR)
            started = time.perf_counter()
            if connection.vendor == "sqlite":  # a throwaway file: no fsync per migration
                connection.cursor().execute("PRAGMA synchronous=OFF")
            call_command("migrate", interactive=False, verbosity=0)
            connections.close_all()  # the measured part runs with the settings' defaults
            say(f"e2e:      database migrated in {time.perf_counter() - started:.1f} s")
            self._purge()
            self._start_worker()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_worker()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
        if self.pg_admin_url is not None:
            with _pg_admin(self.pg_admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        if self.broker_dir is not None:
            shutil.rmtree(self.broker_dir, ignore_errors=True)
        if exc and exc[0] is None:  # a clean run: the worker's log is not needed
            self.log_path.unlink(missing_ok=True)
        elif self.log_path.exists():
            say(f"e2e:      the worker's log: {self.log_path}")

    def _configure(self) -> None:
        """Environment for this process and the worker, read when Django's settings load."""
        env = os.environ
        env["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
        env["DEBUG"] = "false"  # as a production worker runs: no query log, no debug pages
        env["CELERY_WORKER_CONCURRENCY"] = str(self.concurrency)
        env["LOG_LEVEL"] = "INFO"  # the worker's "ready." and "succeeded" lines are read
        self.var.mkdir(exist_ok=True)
        database = env.get("DATABASE_URL", "")
        if database.startswith(("postgres", "pgsql")):
            parts = urlsplit(database)
            self.pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
            with _pg_admin(self.pg_admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.pg_name}"))
            db = f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{self.pg_name}"
        else:
            if database:
                say(f"e2e:      DATABASE_URL {database.split(':')[0]}:... ignored: SQLite")
            self.sqlite_path = self.var / f"{BENCH_ID}.sqlite3"
            env["DATABASE_URL"] = f"sqlite:///{self.sqlite_path}"
            db = f"SQLite var/{self.sqlite_path.name}"
        broker = env.get("CELERY_BROKER_URL", "filesystem://")
        if broker.startswith("filesystem"):
            self.broker_dir = self.var / f"{BENCH_ID}-broker"
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["CELERY_BROKER_FOLDER"] = str(self.broker_dir)
            broker = f"filesystem broker in var/{self.broker_dir.name}"
        else:
            parts = urlsplit(broker)
            broker = f"{parts.scheme} {parts.hostname}:{parts.port}{parts.path}"
        self.description = f"{db}, {broker}"

    def _purge(self) -> None:
        """Messages left in the broker by an interrupted run name rows of another database."""
        from lms.celery import app

        with app.connection_for_write() as conn:
            for queue in self.queues:
                conn.default_channel.queue_purge(queue)

    def _start_worker(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "lms",
                    "worker",
                    "-Q",
                    ",".join(self.queues),
                    "--concurrency",
                    str(self.concurrency),
                    "-l",
                    "info",
                    "-n",
                    f"{BENCH_ID}@%h",
                ],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while "ready." not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def _stop_worker(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # warm shutdown: pools stop their sandboxes
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_idle(self, submitted: int) -> None:
        """Every task acknowledged: a worker stopped mid-task (here, still refreshing the
        roll-ups after the commit) hands its message back to the broker."""
        pattern = re.compile(r"grade_submission_task\[.*\] succeeded")
        self._wait(
            lambda: len(pattern.findall(self.log())) >= submitted,
            timeout=60,
            what="the worker's last task",
        )
        time.sleep(0.2)  # its acknowledgement follows the log line

    def processes_that_graded(self) -> set[str]:
        return set(
            re.findall(r"(ForkPoolWorker-\d+)\].*grade_submission_task.*succeeded", self.log())
        )

    # ---- the platform's side --------------------------------------------------------------

    def exercise(self, workload: Workload = PLAIN):
        """The workload's exercise (the demo's, with its data files), imported and checked
        the way a teacher's upload is: on the worker."""
        from demo.grading import EXERCISES
        from grading import services
        from grading.models import Exercise

        demo = next(d for d in EXERCISES if d.path == workload.notebook)
        exercise, _ = services.exercise_import(
            slug=demo.slug,
            data=workload.notebook.read_bytes(),
            filename=workload.notebook.name,
            title=demo.title,
            files=workload.files or None,
        )
        started = time.perf_counter()
        exercise = self._wait(
            lambda: (
                Exercise.objects.exclude(status=Exercise.Status.VALIDATING)
                .filter(pk=exercise.pk)
                .first()
            ),
            timeout=180,
            what="the exercise's check",
        )
        if not exercise.is_ready:
            raise RuntimeError(f"the exercise did not pass its check: {exercise.validation_report}")
        say(
            f"e2e:      {workload.name} exercise checked on the worker in "
            f"{time.perf_counter() - started:.1f} s"
        )
        _link_competences(exercise, demo)
        return exercise

    def students(self, count: int) -> list:
        """Students of a university cohort (their evidence feeds the cohort's roll-ups)."""
        from people.models import Institution, Membership, Role, Track, User
        from tests.factories import CohortFactory

        cohort = CohortFactory(
            track=Track.UNIVERSITY,
            institution__kind=Institution.Kind.UNIVERSITY,
            institution__name_en="Bench University",
        )
        out = []
        for i in range(count):
            user = User(username=f"bench-student-{i}", first_name="Bench", last_name=str(i))
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, role=Role.STUDENT, cohort=cohort)
            out.append(user)
        return out

    def submit_and_wait(self, exercise, student, label: str, workload: Workload = PLAIN) -> Sample:
        from grading import services
        from grading.models import Submission

        answers = workload.answer(label)
        wall, started = time.time(), time.perf_counter()  # the database's clock is wall time
        submission = services.submission_from_answers(
            exercise=exercise, student=student, answers=answers
        )
        service_s = time.perf_counter() - started
        row = Submission.objects.filter(pk=submission.pk).values_list(
            "status", "submitted_at", "started_at", "graded_at", "grading_seconds"
        )
        deadline = started + 60
        while True:
            status, submitted_at, started_at, graded_at, grading_s = row.get()
            seen = time.perf_counter()
            if status == Submission.Status.GRADED:
                break
            if (
                status == Submission.Status.FAILED
                or seen > deadline
                or self.proc.poll() is not None
            ):
                raise RuntimeError(
                    f"submission {submission.pk} ({label}) {status} after {seen - started:.1f} "
                    f"s:\n{self.log()[-3000:]}"
                )
            time.sleep(POLL_S)
        seen_s = seen - started
        return Sample(
            label=label,
            seen_s=seen_s,
            service_s=service_s,
            recorded_s=(graded_at - submitted_at).total_seconds(),
            queued_s=(started_at - submitted_at).total_seconds(),
            running_s=(graded_at - started_at).total_seconds(),
            grading_s=grading_s,
            after_s=wall + seen_s - graded_at.timestamp(),
        )

    def _wait(self, predicate, *, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not finish:\n{self.log()[-3000:]}")
            time.sleep(0.1)


def _pg_admin(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _link_competences(exercise, demo) -> None:
    """The competences each graded cell evidences, as the demo links them."""
    from curricula.models import Competence
    from grading.models import ExerciseCellCompetence

    for grade_id, links in demo.competences.items():
        for framework, code, level in links:
            competence = Competence.objects.filter(
                area__framework__slug=framework, code=code
            ).first()
            if competence is not None:
                ExerciseCellCompetence.objects.create(
                    exercise=exercise, grade_id=grade_id, competence=competence, level=level
                )


def end_to_end(
    batches: dict[str, list], samples: int, concurrency: int, workloads: list[Workload]
) -> dict[str, list[Sample]]:
    """Single submissions on an idle worker, through the whole platform (see the docstring),
    to each workload's exercise in turn: one database, one worker."""
    out: dict[str, list[Sample]] = {}
    with Platform(concurrency) as platform:
        say(f"e2e:      {platform.description}; worker: {concurrency} processes")
        exercises = {w.name: platform.exercise(w) for w in workloads}
        students = platform.students(len(workloads) * (samples + 4 * concurrency))
        submitted = 0
        for workload in workloads:
            exercise = exercises[workload.name]
            labels = [label for label, _ in batches[workload.name]]
            # Warm-up, not measured: every worker process grades once (lazy imports, first
            # queries), then the pools refill.
            warmups = 0
            while warmups < 2 * concurrency or (
                len(platform.processes_that_graded()) < concurrency and warmups < 4 * concurrency
            ):
                time.sleep(IDLE_S)
                label = labels[warmups % len(labels)]
                platform.submit_and_wait(exercise, students.pop(), label, workload)
                warmups += 1
            time.sleep(1.0)
            measured = []
            for i in range(samples):
                time.sleep(IDLE_S)  # an idle worker: the pool has refilled
                label = labels[i % len(labels)]
                measured.append(platform.submit_and_wait(exercise, students.pop(), label, workload))
            out[workload.name] = measured
            submitted += warmups + samples
            platform.wait_until_idle(submitted)
            say(
                f"e2e:      {workload.name}: {warmups} warm-up submissions graded by "
                f"{len(platform.processes_that_graded())} of {concurrency} worker processes"
            )
    return out


def say(message: str) -> None:
    print(message, flush=True)


def cpu_of_self() -> float:
    times = os.times()
    return times.user + times.system


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Batch:
    """One workload's batch, graded both ways."""

    workload: Workload
    submissions: list  # (label, notebook)
    fast: list[float]  # the fast path's score of each submission
    fast_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    sampled: list[int]  # the submissions the baseline graded (all, or a sample)
    baseline: list[float]  # their baseline scores
    baseline_s: float

    @property
    def fast_rate(self) -> float:
        return len(self.submissions) / self.fast_s

    @property
    def baseline_rate(self) -> float:
        return len(self.sampled) / self.baseline_s

    @property
    def identical(self) -> bool:
        return [self.fast[i] for i in self.sampled] == self.baseline


def grade_batch(workload: Workload, count: int, concurrency: int, sample: int = 0) -> Batch:
    """Grade ``count`` submissions the platform's way, then (all of them, or ``sample`` of
    them, every k-th) the nbgrader way; prints what it measured."""
    source = nbformat.read(workload.notebook, as_version=4)
    batch = submissions(count, source, workload)
    mix = {label: sum(1 for lab, _ in batch if lab == label) for label in workload.answers}
    rel = workload.notebook.relative_to(ROOT / "demo" / "notebooks")
    files = ", ".join(workload.files) or "no data files"
    say(f"{workload.name}: {len(batch)} submissions of {rel} ({files}), {os.cpu_count()} CPUs")
    say(f"  mix: {mix}")
    env = workload.env

    pool = WarmPool(limits=LIMITS, runtimes_warm=[workload.runtime or runtimes.default_name()])
    started = time.perf_counter()
    pool.start()
    say(
        f"pool:     {pool.size} warm kernels of {pool.runtimes_warm[0]} ready in "
        f"{time.perf_counter() - started:.1f} s"
    )
    try:
        fast_grade(source, batch[0][1], pool, env)  # the first run pays for lazy imports
        time.sleep(0.5)
        with MemorySampler(pool) as memory:
            started, grader_cpu, machine_cpu = time.perf_counter(), cpu_of_self(), busy_cpu()
            with concurrent.futures.ThreadPoolExecutor(concurrency) as workers:
                fast = list(workers.map(lambda s: fast_grade(source, s[1], pool, env), batch))
            fast_s = time.perf_counter() - started
            grader_cpu, machine_cpu = cpu_of_self() - grader_cpu, busy_cpu() - machine_cpu
        say(
            f"fast:     {fast_s:6.1f} s, {len(batch) / fast_s:5.2f} /s  ({pool.size} warm "
            f"kernels, {concurrency} at once; {pool.stats})"
        )
        say(
            f"cpu:      {grader_cpu / len(batch) * 1000:.0f} ms per submission in the grader, "
            f"{machine_cpu / len(batch) * 1000:.0f} ms on the whole machine (other load included)"
        )
        say(
            f"memory:   peak RSS {memory.peak_rss_mb:.0f} MB, PSS {memory.peak_pss_mb:.0f} MB "
            "(fork server + warm kernels)"
        )
    finally:
        pool.stop()

    sampled = list(range(len(batch)))
    if sample and sample < len(batch):
        step = len(batch) / sample
        sampled = [int(i * step) for i in range(sample)]
    with tempfile.TemporaryDirectory(prefix="bench-kernel-", dir=ROOT / "var") as folder:
        kernel = RuntimeKernel(workload, Path(folder)) if workload.runtime else None
        started = time.perf_counter()
        baseline = [baseline_grade(source, batch[i][1], kernel) for i in sampled]
        baseline_s = time.perf_counter() - started
    how = "fresh kernel each, one at a time"
    if kernel is not None:
        how = f"fresh kernel each ({' '.join(kernel.argv[1:4])} of the runtime, cwd with the "
        how += "CSV), one at a time"
    if len(sampled) < len(batch):
        how += f"; a sample: {len(sampled)} of the {len(batch)} submissions, every k-th"
    say(f"baseline: {baseline_s:6.1f} s, {len(sampled) / baseline_s:5.2f} /s  (nbclient, {how})")
    return Batch(
        workload=workload,
        submissions=batch,
        fast=fast,
        fast_s=fast_s,
        peak_rss_mb=memory.peak_rss_mb,
        peak_pss_mb=memory.peak_pss_mb,
        sampled=sampled,
        baseline=baseline,
        baseline_s=baseline_s,
    )


def figures(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.3f} s, p95 {percentile(values, 0.95):.3f} s, "
        f"max {max(values):.3f} s"
    )


def report_latency(name: str, samples: list[Sample]) -> None:
    latencies = [s.seen_s for s in samples]
    say(
        f"latency:  {name}: {figures(latencies)} (submit to graded seen in the database, "
        f"{len(samples)} single submissions on an idle worker, polled every "
        f"{POLL_S * 1000:.0f} ms)"
    )
    say(f"  in the database, submitted_at -> graded_at: {figures([s.recorded_s for s in samples])}")

    def p50_of(field: str) -> str:
        return f"{statistics.median(getattr(s, field) for s in samples):.3f} s"

    say(
        f"  where (p50): service call (store, commit, queue) {p50_of('service_s')}; "
        f"submitted_at -> started_at (broker, pick-up) {p50_of('queued_s')}; "
        f"started_at -> graded_at {p50_of('running_s')}, of which the sandbox, scores and "
        f"feedback {p50_of('grading_s')}; graded_at -> seen (results' transaction, commit, "
        f"polling) {p50_of('after_s')}"
    )


def summary(prefix: str, batch: Batch, samples: list[Sample]) -> str:
    latencies = [s.seen_s for s in samples]
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    fast_rate, base_rate = batch.fast_rate, batch.baseline_rate
    return (
        f"{prefix}grading speedup vs nbgrader-style baseline: {fast_rate / base_rate:.1f}x "
        f"(fast {fast_rate:.2f}/s, baseline {base_rate:.2f}/s, "
        f"p50 {p50:.3f} s, p95 {p95:.3f} s, "
        f"peak {batch.peak_pss_mb:.0f} MB, identical scores: {'yes' if batch.identical else 'no'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--ds-baseline-sample",
        type=int,
        default=30,
        help="how many data-science submissions the baseline grades (0: all)",
    )
    parser.add_argument(
        "--workloads",
        default="plain,data-science",
        help="which workloads to run, comma-separated (default: both)",
    )
    args = parser.parse_args()
    known = {w.name: w for w in (PLAIN, DATA_SCIENCE)}
    chosen = [name.strip() for name in args.workloads.split(",") if name.strip()]
    if not chosen or set(chosen) - set(known):
        parser.error(f"--workloads: choose among {', '.join(known)}")
    workloads = [known[name] for name in known if name in chosen]

    began = time.perf_counter()
    batches = {}
    for workload in workloads:
        sample = args.ds_baseline_sample if workload is DATA_SCIENCE else 0
        batches[workload.name] = grade_batch(workload, args.submissions, args.concurrency, sample)

    samples = end_to_end(
        {name: b.submissions for name, b in batches.items()},
        args.latency_samples,
        args.concurrency,
        workloads,
    )
    for workload in workloads:
        report_latency(workload.name, samples[workload.name])

    for name, batch in batches.items():
        for i, b in zip(batch.sampled, batch.baseline, strict=True):
            if batch.fast[i] != b:
                say(
                    f"  different ({name}): {batch.submissions[i][0]}: fast {batch.fast[i]}, "
                    f"baseline {b}"
                )
    say(f"bench:    {time.perf_counter() - began:.0f} s in all")
    prefixes = {PLAIN.name: "", DATA_SCIENCE.name: "data-science "}
    for workload in workloads:
        name = workload.name
        say(summary(prefixes[name], batches[name], samples[name]))


if __name__ == "__main__":
    main()
