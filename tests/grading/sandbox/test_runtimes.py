"""Runtimes: the named environments student code runs in (grading/sandbox/runtimes.py),
built by bin/build-runtimes apart from the platform's virtualenv, mounted read-only in the
sandbox, kept warm per runtime with their heavy modules preloaded; and the exercise's data
files laid read-only in the kernel's working directory."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.notebook.types import ExecutionEnv, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import SandboxedKernel
from grading.sandbox.execute import execute_notebook, run_notebook_in_kernel
from grading.sandbox.forkserver import ForkedKernel, ForkServer

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]
FAST = SandboxLimits(cell_timeout_s=20, notebook_timeout_s=60)
SCIENCE = ("numpy", "pandas", "matplotlib", "scipy", "sklearn", "seaborn")


def notebook_of(*sources: str):
    return new_notebook(cells=[new_code_cell(textwrap.dedent(s).strip()) for s in sources])


def texts(result, index: int) -> str:
    return "".join(
        o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}"
        for o in result.notebook.cells[index].outputs
    )


# --- what is defined, and how a notebook chooses --------------------------------------------


def test_the_shipped_runtimes_are_defined_and_built():
    defined = runtimes.defined()
    assert {"data-science", "python-minimal"} <= set(defined)
    for runtime in defined.values():
        assert runtime.installed and runtime.up_to_date, runtime.describe()
        assert (runtime.definition_dir / "requirements.txt").is_file()
        assert runtime.prefix != Path(sys.prefix)  # not the platform's virtualenv


def test_jupyterhubs_python3_kernel_is_the_data_science_runtime():
    assert runtimes.for_kernelspec("python3") == "data-science"
    assert runtimes.for_kernelspec("") == "data-science"
    assert runtimes.for_kernelspec("python-minimal") == "python-minimal"
    nb = {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}
    assert runtimes.for_notebook(nb).name == "data-science"
    assert runtimes.for_notebook(nb, override="python-minimal").name == "python-minimal"


def test_an_unknown_kernel_is_refused_with_the_installed_runtimes():
    with pytest.raises(runtimes.UnknownRuntime) as refused:
        runtimes.for_kernelspec("ir")
    assert refused.value.installed == sorted(runtimes.installed())
    assert "no runtime 'ir' is installed here" in str(refused.value)
    assert "data-science" in str(refused.value) and "python-minimal" in str(refused.value)


def test_a_defined_runtime_that_is_not_built_says_how_to_build_it(tmp_path):
    runtimes.configure(install_dir=tmp_path)
    try:
        with pytest.raises(runtimes.UnknownRuntime, match="make runtimes"):
            runtimes.get("python-minimal")
    finally:
        from django.conf import settings

        runtimes.configure(install_dir=settings.GRADING_RUNTIMES_DIR)


def test_a_runtime_that_fails_to_build_names_the_package_and_keeps_nothing(tmp_path):
    definitions = tmp_path / "definitions" / "broken"
    definitions.mkdir(parents=True)
    (definitions / "runtime.toml").write_text('title = "broken"\n')
    (definitions / "requirements.lock").write_text(
        "ipykernel==7.4.0\nno-such-package-for-lms-tests==1.0\n"
    )
    into = tmp_path / "built"
    build = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bin" / "build-runtimes"),
            "--definitions",
            str(definitions.parent),
            "--into",
            str(into),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 2
    assert "runtime broken: FAILED: no-such-package-for-lms-tests==1.0" in build.stderr
    assert not (into / "broken").exists()
    assert list(into.iterdir()) == []  # the half-built virtualenv is gone too


# --- inside the sandbox ---------------------------------------------------------------------


def test_the_data_science_runtime_has_its_packages_and_not_the_platforms():
    result = execute_notebook(
        notebook_of(
            f"import importlib\nfor m in {SCIENCE!r}:\n    importlib.import_module(m)\nprint('ok')",
            "import django",
        ),
        limits=FAST,
    )
    assert texts(result, 0) == "ok\n"
    assert result.cell(1).ename == "ModuleNotFoundError"


def test_the_minimal_runtime_has_only_the_standard_library(warm_pool):
    result = warm_pool.execute(
        notebook_of("import json, sqlite3\nprint('stdlib')", "import pandas"),
        limits=FAST,
        env=ExecutionEnv(runtime="python-minimal"),
    )
    assert texts(result, 0) == "stdlib\n"
    assert "No module named 'pandas'" in texts(result, 1)


def test_an_unknown_runtime_is_never_run_elsewhere(warm_pool):
    with pytest.raises(runtimes.UnknownRuntime):
        warm_pool.execute(notebook_of("print(1)"), env=ExecutionEnv(runtime="r-4.3"))
    with pytest.raises(runtimes.UnknownRuntime):
        execute_notebook(notebook_of("print(1)"), env=ExecutionEnv(runtime="r-4.3"))


def test_warm_kernels_have_the_runtimes_modules_imported_and_figures_still_show(warm_pool):
    result = warm_pool.execute(
        notebook_of(
            "import sys\nprint(all(m in sys.modules for m in ('pandas', 'sklearn.linear_model')))",
            "import matplotlib.pyplot as plt\nplt.hist([1, 2, 2, 3, 3, 3])\nplt.show()",
        ),
        limits=FAST,
    )
    assert texts(result, 0) == "True\n"  # preloaded by the fork server: the import is free
    outputs = result.notebook.cells[1].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), outputs


def test_a_preload_that_fails_is_reported_once_and_kernels_still_work(caplog):
    async def scenario():
        server = ForkServer(preload=("pandas", "no_such_module_for_lms_tests"))
        await server.start()
        try:
            kernel = ForkedKernel(server, FAST)
            await kernel.start()
            try:
                result = await run_notebook_in_kernel(
                    notebook_of("import pandas\nprint(pandas.__name__)"), kernel
                )
            finally:
                await kernel.shutdown()
        finally:
            await server.stop()
        return server, result

    if not ForkServer.available():
        pytest.skip("the fork server needs a root grader")
    with caplog.at_level(logging.WARNING, logger="grading.sandbox"):
        server, result = asyncio.run(scenario())
    assert list(server.preload_failed) == ["no_such_module_for_lms_tests"]
    warnings = [r.getMessage() for r in caplog.records if "preloading" in r.getMessage()]
    assert len(warnings) == 1 and "no_such_module_for_lms_tests" in warnings[0]
    assert texts(result, 0) == "pandas\n"


# --- data files -----------------------------------------------------------------------------

FILES = {
    "measurements.csv": b"district,pm25\nYasamal,12.5\nNasimi,30.1\n",
    "data/extra/readme.txt": b"nested\n",
}


@pytest.mark.parametrize("path", ["cold", "fork"])
def test_data_files_are_in_the_working_directory_and_read_only(path, warm_pool):
    execute = warm_pool.execute if path == "fork" else execute_notebook
    result = execute(
        notebook_of(
            "import pandas as pd\nprint(pd.read_csv('measurements.csv').pm25.sum())",
            "print(open('data/extra/readme.txt').read(), end='')",
            "open('measurements.csv', 'w').write('forged')",
            "import os\nos.chmod('measurements.csv', 0o666)",
            "open('mine.csv', 'w').write('students may write files of their own')\nprint('ok')",
        ),
        limits=FAST,
        env=ExecutionEnv(files=FILES),
    )
    assert texts(result, 0) == "42.6\n"
    assert texts(result, 1) == "nested\n"
    assert result.cell(2).ename in ("OSError", "PermissionError")  # read-only file system
    assert result.cell(3).status == "error"
    assert texts(result, 4) == "ok\n"


def test_a_data_file_path_outside_the_folder_is_refused():
    async def scenario():
        kernel = SandboxedKernel(FAST)
        kernel._prepare()
        try:
            for bad in ("../escape.csv", "/etc/passwd", "a/../../b", ""):
                with pytest.raises(ValueError, match="unsafe data file path"):
                    kernel.put_files({bad: b"x"})
        finally:
            await kernel.shutdown()

    asyncio.run(scenario())
