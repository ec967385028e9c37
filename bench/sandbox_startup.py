"""Where a cold sandboxed kernel spends its time (prints figures; not a test).

    .venv/bin/python bench/sandbox_startup.py [repeats]

Each stage adds one step to the previous one, so the differences say what each step costs:
bwrap alone (namespaces, mounts), + the interpreter, + importing ipykernel, then the real
SandboxedKernel (its own split: prepare / spawn until the sockets exist / connect until
kernel_info answers), a trivial 3-cell notebook through execute_notebook, and the same
kernel without a sandbox for comparison, and a kernel forked by the fork server of the warm
pool (``grading/sandbox/forkserver.py``). Medians of ``repeats`` runs (default 7).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbformat.v4 import new_code_cell, new_notebook

from grading.notebook.types import SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import (
    SandboxedKernel,
    bwrap_argv,
    bwrap_path,
)
from grading.sandbox.execute import execute_notebook, run_notebook_in_kernel
from grading.sandbox.forkserver import ForkedKernel, ForkServer

LIMITS = SandboxLimits()
TRIVIAL = new_notebook(cells=[new_code_cell(s) for s in ("x = 1", "print(x)", "x + 1")])


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def bwrap_stage(inner: list[str], repeats: int) -> list[float]:
    """Run ``inner`` in a sandbox built exactly like a kernel's, minus the bootstrap."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("ipc", "passwd", "group"):
            (Path(tmp) / name).mkdir() if name == "ipc" else (Path(tmp) / name).write_text("")
        argv = bwrap_argv(
            bwrap=bwrap_path() or "bwrap",
            runtime=runtimes.get(),
            limits=LIMITS,
            host_runtime_dir=f"{tmp}/ipc",
            passwd_file=f"{tmp}/passwd",
            group_file=f"{tmp}/group",
            drop_to_uid=None,
        )
        argv = argv[: argv.index("--") + 1] + inner
        samples = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(argv, check=True, env={}, stdout=subprocess.DEVNULL)
            samples.append(time.perf_counter() - t)
        return samples


async def kernel_stage(sandboxed: bool, repeats: int, forked: bool = False) -> dict:
    server = ForkServer() if forked else None
    if server is not None:
        await server.start()
    out: dict[str, list[float]] = {
        "prepare": [],
        "spawn": [],
        "connect": [],
        "start": [],
        "run": [],
        "shutdown": [],
    }
    for _ in range(repeats):
        kernel = (
            ForkedKernel(server, LIMITS) if server else SandboxedKernel(LIMITS, sandboxed=sandboxed)
        )
        t = time.perf_counter()
        await kernel.start()
        out["start"].append(time.perf_counter() - t)
        out["prepare"].append(kernel.timings.prepare_s)
        out["spawn"].append(kernel.timings.spawn_s)
        out["connect"].append(kernel.timings.connect_s)
        t = time.perf_counter()
        await run_notebook_in_kernel(TRIVIAL, kernel)
        out["run"].append(time.perf_counter() - t)
        t = time.perf_counter()
        await kernel.shutdown()
        out["shutdown"].append(time.perf_counter() - t)
    if server is not None:
        await server.stop()
    return out


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    python = sys.executable
    print(f"cold sandboxed kernel, median of {repeats}, {os.cpu_count()} CPUs, uid {os.geteuid()}")
    print("bwrap + /bin/true             ", median_ms(bwrap_stage(["/bin/true"], repeats)))
    print(
        "bwrap + python -I -c pass     ",
        median_ms(bwrap_stage([python, "-I", "-c", "pass"], repeats)),
    )
    print(
        "bwrap + import ipykernel app  ",
        median_ms(bwrap_stage([python, "-I", "-c", "import ipykernel.kernelapp"], repeats)),
    )
    for label, sandboxed, forked in (
        ("sandboxed", True, False),
        ("unsandboxed", False, False),
        ("forked", True, True),
    ):
        if forked and not ForkServer.available():
            continue
        stages = asyncio.run(kernel_stage(sandboxed, repeats, forked))
        for name, samples in stages.items():
            print(f"{label:11} kernel {name:10}   ", median_ms(samples))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = execute_notebook(TRIVIAL, limits=LIMITS)
        samples.append(time.perf_counter() - t)
        assert [c.status for c in result.cells] == ["ok", "ok", "ok"], result.cells
    print("execute_notebook, 3 cells, cold", median_ms(samples))


if __name__ == "__main__":
    main()
