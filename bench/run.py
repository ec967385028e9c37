"""How long a student waits for Run (prints figures; not a test).

    .venv/bin/python bench/run.py [--runs 200] [--students 20] [--concurrency <cores>]

A run is timed from just before the student's ``POST /api/v1/exercises/<id>/runs/`` until a
``GET`` of the run answers it done, with its outputs: what the exercise page does. Half the
runs are of a realistic pandas cell (a table of air-quality readings grouped by station,
shown as a DataFrame: an HTML table), half of a plain Python cell (a function and a
print), each from the top of its notebook (the read-only cells above it too), as every run
is.

The platform is bench/grading.py's: a database and a broker of the bench's own (SQLite and
the filesystem broker under var/, removed afterwards; or ``DATABASE_URL`` and
``CELERY_BROKER_URL``), and a real ``celery -A lms worker -Q grading,runs`` process (one
process per core, each with its warm kernel pool, lms/celery.py). The two exercises are
imported and checked on that worker, then assigned to a university cohort of students,
who run them through the API with Django's test client, signed in as themselves
(sessions, throttles and permissions as in production; the API throttles are raised so
that the bench's own polling is not refused).

Two phases: ``--runs`` single runs on an idle worker, one at a time with a pause before each
(polling every 10 ms); then ``--runs`` runs by ``--students`` students at once, as a class
works: each student reads the output of their last run and changes their code for 2 to 6 s
(uniformly at random, fixed seed; ``--think``) before running again, and polls as the
exercise page does (first after 150 ms, then 1.3 times later each time, at most every 1 s).
``--think 0`` gives the saturated closed loop (everyone runs again at once), which measures
throughput rather than what a class sees. The last line, exactly:

    run latency: p50 <a> s, p95 <b> s (20 concurrent: p50 <c> s, p95 <d> s), runs/s <r>

where runs/s is the throughput of the concurrent phase.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from bench.grading import Platform, busy_cpu, cpu_of_self, percentile, say  # noqa: E402

IDLE_POLL_S = 0.01
#: The exercise page's polling (frontend/src/workspace.js POLL_FIRST_MS, POLL_MAX_MS).
PAGE_POLL_FIRST_S, PAGE_POLL_GROWTH, PAGE_POLL_MAX_S = 0.15, 1.3, 1.0
#: How long a student reads an output and edits before the next run (seconds, uniform).
THINK_S = (2.0, 6.0)
IDLE_S = 0.3  # pause before each single run: the worker is idle, its pool refilled
TIMEOUT_S = 60.0


def _cell(cell_type: str, source: str, grade_id: str = "", **flags) -> dict:
    metadata = {}
    if grade_id:
        metadata["nbgrader"] = {
            "grade": flags.get("grade", False),
            "solution": flags.get("solution", False),
            "locked": flags.get("locked", False),
            "task": False,
            "grade_id": grade_id,
            "schema_version": 3,
            **({"points": flags["points"]} if "points" in flags else {}),
        }
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata=metadata)


def _notebook(*cells) -> str:
    nb = nbformat.v4.new_notebook(
        cells=list(cells),
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    return nbformat.writes(nb)


PANDAS_SOURCE = _notebook(
    _cell("markdown", "# Air quality\nGroup the readings by station."),
    _cell(
        "code",
        "import pandas as pd\n\n"
        "stations = ['Baku', 'Ganja', 'Sumqayit', 'Lankaran', 'Shaki', 'Quba']\n"
        "readings = pd.DataFrame({\n"
        "    'station': [stations[i % 6] for i in range(240)],\n"
        "    'hour': [i // 6 for i in range(240)],\n"
        "    'pm25': [round(8 + (i * 37 % 53) * 0.7, 1) for i in range(240)],\n"
        "})\n"
        "readings.loc[readings.index % 17 == 0, 'pm25'] = None  # sensor gaps",
        "load",
        locked=True,
    ),
    _cell(
        "code",
        "def by_station(df):\n"
        "    ### BEGIN SOLUTION\n"
        "    valid = df.dropna(subset=['pm25'])\n"
        "    return valid.groupby('station')['pm25'].agg(['mean', 'max', 'count']).round(1)\n"
        "    ### END SOLUTION",
        "summary",
        solution=True,
    ),
    _cell(
        "code",
        "table = by_station(readings)\n"
        "assert list(table.columns) == ['mean', 'max', 'count'], 'columns: mean, max, count'\n"
        "assert table['count'].sum() == readings['pm25'].notna().sum(), 'gaps are left out'",
        "test_summary",
        grade=True,
        locked=True,
        points=2,
    ),
)

PANDAS_ANSWER = (
    "def by_station(df):\n"
    "    valid = df.dropna(subset=['pm25'])\n"
    "    return valid.groupby('station')['pm25'].agg(['mean', 'max', 'count']).round(1)\n\n"
    "by_station(readings).sort_values('mean', ascending=False)"
)

PLAIN_SOURCE = _notebook(
    _cell("markdown", "# Passwords\nCount the strong ones."),
    _cell(
        "code",
        "passwords = ['abc', 'Secur3!pass', 'letmein', 'T0ugh#one', 'qwerty123', 'Zz9!zz9!zz']",
        "data",
        locked=True,
    ),
    _cell(
        "code",
        "def is_strong(p):\n"
        "    ### BEGIN SOLUTION\n"
        "    return len(p) >= 8 and any(c.isdigit() for c in p) and not p.isalnum()\n"
        "    ### END SOLUTION",
        "strong",
        solution=True,
    ),
    _cell(
        "code",
        "assert is_strong('Secur3!pass') and not is_strong('abc'), 'length, digit, symbol'",
        "test_strong",
        grade=True,
        locked=True,
        points=1,
    ),
)

PLAIN_ANSWER = (
    "def is_strong(p):\n"
    "    return len(p) >= 8 and any(c.isdigit() for c in p) and not p.isalnum()\n\n"
    "strong = [p for p in passwords if is_strong(p)]\n"
    "print(len(strong), 'strong passwords:', ', '.join(strong))"
)


@dataclass(frozen=True)
class Kind:
    """One of the two cells the bench runs, and how to recognise its outputs."""

    label: str
    exercise_id: int
    answers: dict
    upto: str
    expected_output: str  # the type of the cell's last output


@dataclass(frozen=True)
class Sample:
    label: str
    seen_s: float  # POST -> a GET answers it done, with outputs
    queued_s: float  # created_at -> started_at: broker and the worker's pick-up
    running_s: float  # started_at -> finished_at: the sandbox, outputs stored


class RunPlatform(Platform):
    queues = ("grading", "runs")

    def _configure(self) -> None:
        super()._configure()
        # The bench polls faster than a person clicks: no throttle may refuse it.
        os.environ["API_THROTTLE_RATES"] = "user=1000000/minute,runs=1000000/minute"

    def exercise_from(self, slug: str, source: str, title: str, course):
        from grading import services
        from grading.models import Exercise

        exercise, _outcome = services.exercise_import(
            slug=slug, data=source, filename=f"{slug}.ipynb", title=title, course=course
        )
        exercise = self._wait(
            lambda: (
                Exercise.objects.exclude(status=Exercise.Status.VALIDATING)
                .filter(pk=exercise.pk)
                .first()
            ),
            timeout=180,
            what=f"the check of {slug}",
        )
        if not exercise.is_ready:
            raise RuntimeError(f"{slug} did not pass its check: {exercise.validation_report}")
        return exercise

    def classroom(self, students: int) -> tuple[list[Kind], list]:
        from courses.services import course_assign
        from people.models import Membership
        from tests.grading.factories import a_course

        course = a_course(track="university")
        pandas = self.exercise_from("bench-run-pandas", PANDAS_SOURCE, "Air quality", course)
        plain = self.exercise_from("bench-run-plain", PLAIN_SOURCE, "Strong passwords", course)
        users = self.students(students)
        cohort = Membership.objects.filter(user=users[0]).first().cohort
        course_assign(course=course, cohort=cohort, assigned_by=None)
        kinds = [
            Kind("pandas", pandas.pk, {"summary": PANDAS_ANSWER}, "summary", "html"),
            Kind("plain", plain.pk, {"strong": PLAIN_ANSWER}, "strong", "stream"),
        ]
        return kinds, users

    def run_and_wait(self, client, kind: Kind, poll_s: float | None) -> Sample:
        """One run, polled every ``poll_s`` (None: as the exercise page polls)."""
        from grading.models import ExerciseRun

        started = time.perf_counter()
        response = client.post(
            f"/api/v1/exercises/{kind.exercise_id}/runs/",
            json.dumps({"answers": kind.answers, "upto": kind.upto}),
            content_type="application/json",
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST answered {response.status_code}: {response.content[:500]}")
        url = response.json()["url"]
        delay = PAGE_POLL_FIRST_S if poll_s is None else poll_s
        if poll_s is None:
            time.sleep(delay)
        while True:
            body = client.get(url).json()
            seen = time.perf_counter()
            if body.get("status") in ("done", "failed"):
                break
            if seen - started > TIMEOUT_S or self.proc.poll() is not None:
                raise RuntimeError(f"run {url} {body.get('status')}:\n{self.log()[-3000:]}")
            if poll_s is None:
                delay = min(delay * PAGE_POLL_GROWTH, PAGE_POLL_MAX_S)
            time.sleep(delay)
        last = body["cells"][-1]["outputs"][-1]["type"] if body["cells"] else None
        if body["status"] != "done" or last != kind.expected_output:
            raise RuntimeError(f"{kind.label} run did not show its output: {body}")
        created, run_started, finished = ExerciseRun.objects.values_list(
            "created_at", "started_at", "finished_at"
        ).get(uid=body["id"])
        return Sample(
            label=kind.label,
            seen_s=seen - started,
            queued_s=(run_started - created).total_seconds(),
            running_s=(finished - run_started).total_seconds(),
        )


def signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def idle_phase(platform: RunPlatform, kinds: list[Kind], student, runs: int) -> Phase:
    client = signed_in(student)
    for i in range(4 * platform.concurrency):  # warm-up: lazy imports, first queries
        time.sleep(IDLE_S)
        platform.run_and_wait(client, kinds[i % 2], IDLE_POLL_S)
    samples = []
    began, web_cpu, machine_cpu = time.perf_counter(), cpu_of_self(), busy_cpu()
    for i in range(runs):
        time.sleep(IDLE_S)
        samples.append(platform.run_and_wait(client, kinds[i % 2], IDLE_POLL_S))
    elapsed = time.perf_counter() - began
    return Phase(samples, elapsed, cpu_of_self() - web_cpu, busy_cpu() - machine_cpu)


@dataclass(frozen=True)
class Phase:
    samples: list[Sample]
    elapsed_s: float
    web_cpu_s: float  # this process: the API's requests (the web server's share)
    machine_cpu_s: float  # every core of the machine: web, worker, kernels, other load

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed_s

    def cpu(self) -> str:
        n = len(self.samples)
        return (
            f"  cpu per run: {self.web_cpu_s / n * 1000:.0f} ms in the API (requests, polling), "
            f"{(self.machine_cpu_s - self.web_cpu_s) / n * 1000:.0f} ms elsewhere (worker, "
            "broker, kernels; other load on the machine included)"
        )


def concurrent_phase(
    platform: RunPlatform, kinds: list[Kind], students: list, runs: int, think: tuple
) -> Phase:
    """`runs` runs by every student at once; each runs again `think` seconds (uniform
    between the two bounds) after their last run is shown."""
    from django.db import connections

    samples: list[Sample] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    remaining = [runs]
    start = threading.Barrier(len(students) + 1)

    def student_runs(index: int, student) -> None:
        try:
            client = signed_in(student)
            rng = random.Random(index)
            start.wait()
            time.sleep(rng.uniform(0, think[1]))  # a class does not press Run in step
            n = index
            while True:
                with lock:
                    if remaining[0] <= 0 or errors:
                        return
                    remaining[0] -= 1
                sample = platform.run_and_wait(client, kinds[n % 2], None)
                n += 1
                with lock:
                    samples.append(sample)
                time.sleep(rng.uniform(*think))
        except BaseException as exc:  # reported by the main thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=student_runs, args=(i, s), daemon=True)
        for i, s in enumerate(students)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began, web_cpu, machine_cpu = time.perf_counter(), cpu_of_self(), busy_cpu()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return Phase(samples, elapsed, cpu_of_self() - web_cpu, busy_cpu() - machine_cpu)


def figures(samples: list[Sample], field: str = "seen_s") -> str:
    values = [getattr(s, field) for s in samples]
    return (
        f"p50 {statistics.median(values):.3f} s, p95 {percentile(values, 0.95):.3f} s, "
        f"max {max(values):.3f} s"
    )


def report(name: str, samples: list[Sample]) -> None:
    say(f"{name}: {figures(samples)} ({len(samples)} runs)")
    for label in ("pandas", "plain"):
        some = [s for s in samples if s.label == label]
        if some:
            say(f"  {label:7s} {figures(some)}")
    say(
        f"  where (p50): created -> started (broker, pick-up) "
        f"{statistics.median(s.queued_s for s in samples):.3f} s; started -> finished "
        f"(sandbox, outputs stored) {statistics.median(s.running_s for s in samples):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=THINK_S,
        metavar=("MIN", "MAX"),
        help="seconds a student reads and edits between runs (0 0: saturated closed loop)",
    )
    args = parser.parse_args()
    think = tuple(args.think)

    with RunPlatform(args.concurrency) as platform:
        say(
            f"runs:     {platform.description}; worker: {args.concurrency} processes, "
            f"{os.cpu_count()} CPUs"
        )
        kinds, students = platform.classroom(max(args.students, 1))
        idle = idle_phase(platform, kinds, students[0], args.runs)
        report(f"idle:     one at a time, polled every {IDLE_POLL_S * 1000:.0f} ms", idle.samples)
        say(idle.cpu())
        busy = concurrent_phase(platform, kinds, students, args.runs, think)
        report(
            f"busy:     {args.students} students at once, each running again "
            f"{think[0]:g}-{think[1]:g} s after seeing the last output, polled as the "
            f"page polls; {busy.rate:.2f} runs/s",
            busy.samples,
        )
        say(busy.cpu())

    idle_values = [s.seen_s for s in idle.samples]
    busy_values = [s.seen_s for s in busy.samples]
    say(
        f"run latency: p50 {statistics.median(idle_values):.3f} s, "
        f"p95 {percentile(idle_values, 0.95):.3f} s "
        f"({args.students} concurrent: p50 {statistics.median(busy_values):.3f} s, "
        f"p95 {percentile(busy_values, 0.95):.3f} s), runs/s {busy.rate:.2f}"
    )


if __name__ == "__main__":
    main()
