"""Fast grading against the nbgrader way (prints figures; not a test).

    .venv/bin/python bench/grading.py [--submissions 200] [--latency-samples 40]

One batch of small submissions to a realistic exercise (grading/demo_notebooks/
university-sensor-cleaning.ipynb: right, wrong, partly right and unanswered attempts, in a
fixed random mix) is graded twice in one run:

* **baseline**, the nbgrader way: for each notebook, one after the other, a fresh kernel
  with plain nbclient (``NotebookClient.execute``) on the sanitized notebook, unsandboxed,
  as nbgrader's autograde does; cells with an error output fail, scored by the platform's
  scorer;
* **fast**, the platform's path: ``grade_with_feedback`` (execution, scoring and the
  feedback page, as a grading worker does) with a ``WarmPool`` of sandboxed kernels forked
  by the fork server, as many submissions at once as the machine has cores.

The scores must be the same both ways. Then single submissions on an idle pool, one at a
time: latency from submit to graded, as a grading worker's process sees it (the pool is
warm, the broker and the database are not included). Peak memory is the sum of the resident
set sizes of every sandbox process (the fork server, each warm kernel and its init),
sampled every 50 ms while the batch runs; their proportional set size (shared pages counted
once) is printed too.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from grading.notebook.metadata import nbgrader_metadata, parse_source  # noqa: E402
from grading.notebook.pipeline import grade_with_feedback  # noqa: E402
from grading.notebook.pool import WarmPool  # noqa: E402
from grading.notebook.sanitize import sanitize  # noqa: E402
from grading.notebook.score import score  # noqa: E402
from grading.notebook.types import CellExecution, ExecutionResult, SandboxLimits  # noqa: E402

EXERCISE = ROOT / "grading" / "demo_notebooks" / "university-sensor-cleaning.ipynb"
LIMITS = SandboxLimits()

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


def submissions(count: int, source: nbformat.NotebookNode) -> list[tuple[str, object]]:
    """``count`` submissions in a fixed mix of ANSWERS."""
    from grading.notebook.release import release

    handed_out = release(source)
    labels = [label for label, (weight, _) in ANSWERS.items() for _ in range(weight)]
    rng = random.Random(2024)
    out = []
    for _ in range(count):
        label = rng.choice(labels)
        nb = copy.deepcopy(handed_out)
        answer = ANSWERS[label][1]
        if answer is not None:
            for cell in nb.cells:
                if nbgrader_metadata(cell).grade_id == "cleaning":
                    cell.source = answer.strip() + "\n"
        out.append((label, nb))
    return out


# --------------------------------------------------------------------------------------------
# The two ways
# --------------------------------------------------------------------------------------------


def baseline_grade(source, submission) -> float:
    """nbgrader's autograde: a fresh kernel per notebook, plain nbclient, no sandbox."""
    spec = parse_source(source)
    sanitized = sanitize(source, submission)
    nb = copy.deepcopy(sanitized.notebook)
    client = NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True)
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up warnings
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


def fast_grade(source, submission, pool: WarmPool) -> float:
    return grade_with_feedback(source, submission, limits=LIMITS, executor=pool).result.total


class MemorySampler:
    """Peak summed RSS and PSS (MB) of the pool's sandbox processes, sampled every 50 ms."""

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
        while not self._stop.is_set():
            rss = pss = 0
            for pid in self.pool.sandbox_pids():
                rss += _kb(f"/proc/{pid}/status", "VmRSS:")
                pss += _kb(f"/proc/{pid}/smaps_rollup", "Pss:")
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)
            self._stop.wait(0.05)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    source = nbformat.read(EXERCISE, as_version=4)
    batch = submissions(args.submissions, source)
    mix = {label: sum(1 for lab, _ in batch if lab == label) for label in ANSWERS}
    print(f"{len(batch)} submissions of {EXERCISE.name}, {os.cpu_count()} CPUs: {mix}")

    pool = WarmPool(limits=LIMITS).start()
    try:
        fast_grade(source, batch[0][1], pool)  # the first run pays for lazy imports
        time.sleep(0.5)
        with MemorySampler(pool) as memory:
            started, grader_cpu, machine_cpu = time.perf_counter(), cpu_of_self(), busy_cpu()
            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as workers:
                fast = list(workers.map(lambda s: fast_grade(source, s[1], pool), batch))
            fast_s = time.perf_counter() - started
            grader_cpu, machine_cpu = cpu_of_self() - grader_cpu, busy_cpu() - machine_cpu

            latencies = []
            for _, submission in batch[: args.latency_samples]:
                time.sleep(0.3)  # an idle worker: the pool has refilled
                t = time.perf_counter()
                fast_grade(source, submission, pool)
                latencies.append(time.perf_counter() - t)
        print(
            f"fast:     {fast_s:6.1f} s, {len(batch) / fast_s:5.2f} /s  ({pool.size} warm "
            f"kernels, {args.concurrency} at once; {pool.stats})"
        )
        print(
            f"cpu:      {grader_cpu / len(batch) * 1000:.0f} ms per submission in the grader, "
            f"{machine_cpu / len(batch) * 1000:.0f} ms on the whole machine (other load included)"
        )
        print(
            f"latency:  p50 {statistics.median(latencies):.3f} s, p95 "
            f"{percentile(latencies, 0.95):.3f} s, max {max(latencies):.3f} s "
            f"({len(latencies)} single submissions on an idle pool)"
        )
        print(
            f"memory:   peak RSS {memory.peak_rss_mb:.0f} MB, PSS {memory.peak_pss_mb:.0f} MB "
            "(fork server + warm kernels)"
        )
    finally:
        pool.stop()

    started = time.perf_counter()
    baseline = [baseline_grade(source, nb) for _, nb in batch]
    baseline_s = time.perf_counter() - started
    print(
        f"baseline: {baseline_s:6.1f} s, {len(batch) / baseline_s:5.2f} /s  (nbclient, "
        "fresh kernel each, one at a time)"
    )

    identical = fast == baseline
    if not identical:
        for (label, _), a, b in zip(batch, fast, baseline, strict=True):
            if a != b:
                print(f"  different: {label}: fast {a}, baseline {b}")
    fast_rate, base_rate = len(batch) / fast_s, len(batch) / baseline_s
    print(
        f"grading speedup vs nbgrader-style baseline: {fast_rate / base_rate:.1f}x "
        f"(fast {fast_rate:.2f}/s, baseline {base_rate:.2f}/s, "
        f"p50 {statistics.median(latencies):.3f} s, p95 {percentile(latencies, 0.95):.3f} s, "
        f"peak {memory.peak_rss_mb:.0f} MB, identical scores: {'yes' if identical else 'no'})"
    )


if __name__ == "__main__":
    main()
