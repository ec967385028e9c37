"""The output budget: per output (``output_item_bytes``) and per notebook (``output_bytes``).

One figure or table too big for one output is replaced by a notice (keeping its text, if
it has one that fits) without using up the notebook's budget, so what comes after it is
still kept; the notebook's budget still caps the sum. Real kernels in the real sandbox,
cold and warm (kernels.py), as in test_execute.py; the last tests draw real matplotlib
figures and pandas tables in the data-science runtime.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.notebook.types import ExecutionEnv, ExecutionResult, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.execute import execute_notebook
from tests.grading.sandbox.kernels import KERNEL_PATHS, executor_for

pytestmark = pytest.mark.sandbox

LIMITS = SandboxLimits(cell_timeout_s=10, notebook_timeout_s=60)  # 400 KB each, 1 MB in all
EXECUTE = None  # set per kernel path


@pytest.fixture(params=KERNEL_PATHS)
def kernel_path(request, monkeypatch):
    monkeypatch.setattr(f"{__name__}.EXECUTE", executor_for(request.param, request))
    return request.param


def run(*sources: str, limits: SandboxLimits = LIMITS, env=None, execute=None) -> ExecutionResult:
    nb = new_notebook(cells=[new_code_cell(textwrap.dedent(s).strip()) for s in sources])
    return (execute or EXECUTE)(nb, limits=limits, env=env)


def outputs(result: ExecutionResult, index: int = 0) -> list[dict]:
    return result.notebook.cells[index].outputs


def texts(result: ExecutionResult, index: int = 0) -> list[str]:
    """What each output of the cell shows as text (stream text, or text/plain data)."""
    return [
        o.get("text") or o.get("data", {}).get("text/plain", "") for o in outputs(result, index)
    ]


def images(result: ExecutionResult) -> int:
    return sum(
        "image/png" in o.get("data", {}) for cell in result.notebook.cells for o in cell.outputs
    )


def kept_bytes(result: ExecutionResult) -> int:
    return sum(
        len(json.dumps(o.get("data", {})) + o.get("text", ""))
        for cell in result.notebook.cells
        for o in cell.outputs
    )


# A figure as the inline backend sends it, of about `kb` kilobytes of PNG data.
FIGURE = """
from IPython.display import display
def figure(kb, label='<Figure size 640x480 with 1 Axes>'):
    display({'image/png': 'iVBO' * (kb * 250), 'text/plain': label}, raw=True)
"""


def test_a_figure_too_big_for_one_output_leaves_its_text_and_a_notice(kernel_path):
    result = run(FIGURE + "figure(600)\nprint('after the figure')")

    assert texts(result) == [
        "<Figure size 640x480 with 1 Axes>",
        "[figure of 600 KB not shown: larger than the 400 KB limit of one output]\n",
        "after the figure\n",
    ]
    assert result.cell(0).status == "ok"


def test_big_figures_do_not_use_up_the_notebooks_budget(kernel_path):
    result = run(FIGURE, "figure(900)", "figure(900)", "figure(900)", "figure(10)", "print(42)")

    assert [len(outputs(result, i)) for i in (1, 2, 3)] == [2, 2, 2]  # text and notice each
    assert images(result) == 1  # the small one after them
    assert texts(result, 5) == ["42\n"]
    assert not any("output truncated" in t for i in range(6) for t in texts(result, i))


def test_an_output_without_text_becomes_its_notice(kernel_path):
    result = run(
        "from IPython.display import display\n"
        "display({'text/html': '<table>' + '<tr><td>1</td></tr>' * 40_000 + '</table>'},"
        " raw=True)"
    )

    assert texts(result) == [
        "[table of 760 KB not shown: larger than the 400 KB limit of one output]\n"
    ]


def test_the_notebooks_budget_still_caps_the_sum(kernel_path):
    result = run(FIGURE, "figure(390)", "figure(390)", "figure(390)", "print('late')")

    assert images(result) == 2
    assert any("output truncated" in t for t in texts(result, 3))
    assert kept_bytes(result) <= LIMITS.output_bytes


def test_a_display_updated_to_a_huge_figure_keeps_its_text_and_says_why(kernel_path):
    result = run(
        FIGURE
        + "handle = display({'text/plain': 'drawing...'}, raw=True, display_id=True)\n"
        + "handle.update({'image/png': 'iVBO' * 150_000, 'text/plain': '<Figure>'}, raw=True)"
    )

    assert texts(result) == [
        "<Figure>\n[figure of 600 KB not shown: larger than the 400 KB limit of one output]"
    ]


def test_updates_cannot_grow_the_notebook_past_its_budget(kernel_path):
    # Tiny displays, each then updated to a figure that fits one output: the updates add
    # to what the notebook keeps, so only as many as fit in its budget are applied.
    result = run(
        FIGURE
        + "handles = [display({'text/plain': str(i)}, raw=True, display_id=True)"
        + " for i in range(8)]\n"
        + "for h in handles:\n"
        + "    h.update({'image/png': 'iVBO' * 97_500, 'text/plain': '<Figure>'}, raw=True)"
    )

    assert images(result) == 2
    assert kept_bytes(result) <= LIMITS.output_bytes


def test_an_animation_of_big_figures_keeps_only_its_last_frame(kernel_path):
    result = run(
        FIGURE
        + "from IPython.display import clear_output\n"
        + "for frame in range(4):\n"
        + "    clear_output(wait=True)\n"
        + "    figure(600, label=f'frame {frame}')"
    )

    assert texts(result) == [
        "frame 3",
        "[figure of 600 KB not shown: larger than the 400 KB limit of one output]\n",
    ]


def test_huge_output_metadata_counts_and_is_dropped(kernel_path):
    result = run(
        "from IPython.display import display\n"
        "display({'text/plain': 'small'}, metadata={'junk': 'x' * 600_000}, raw=True)\n"
        "print('after')"
    )

    shown = outputs(result)
    assert shown[0]["data"] == {"text/plain": "small"} and not shown[0].get("metadata")
    assert texts(result)[-1] == "after\n"


# --- real figures and tables (data-science runtime) ----------------------------------------


def data_science() -> ExecutionEnv:
    try:
        runtimes.get("data-science")
    except runtimes.UnknownRuntime as exc:
        pytest.skip(f"the data-science runtime is not built here: {exc}")
    return ExecutionEnv(runtime="data-science")


def test_matplotlib_figures_reach_the_notebook_and_a_huge_one_is_replaced():
    result = run(
        "import matplotlib.pyplot as plt\nimport numpy as np\n%matplotlib inline",
        "plt.plot([1, 2, 3], [1, 4, 9])\nplt.show()",
        "plt.figure(figsize=(20, 20), dpi=50)\n"
        "plt.imshow(np.random.default_rng(0).random((1000, 1000, 3)))\nplt.show()\n"
        "print('after the big figure')",
        limits=SandboxLimits(cell_timeout_s=60, notebook_timeout_s=120, memory_mb=1024),
        env=data_science(),
        execute=execute_notebook,  # a cold kernel of that runtime
    )

    assert [c.status for c in result.cells] == ["ok", "ok", "ok"]
    assert [o["output_type"] for o in outputs(result, 1)] == ["display_data"]
    assert outputs(result, 1)[0]["data"]["image/png"].startswith("iVBOR")  # a real PNG
    big = texts(result, 2)
    assert big[0] == "<Figure size 1000x1000 with 1 Axes>"
    assert big[1].startswith("[figure of ") and "MB not shown: larger than the 400 KB" in big[1]
    assert big[2] == "after the big figure\n"


def test_a_giant_dataframe_keeps_its_text_and_a_small_one_its_table():
    result = run(
        "import pandas as pd\npd.set_option('display.max_rows', 20_000)",
        "pd.DataFrame({'x': range(10_000), 'y': range(10_000)})",
        "pd.DataFrame({'x': [1, 2]})",
        limits=SandboxLimits(cell_timeout_s=60, notebook_timeout_s=120, memory_mb=1024),
        env=data_science(),
        execute=execute_notebook,  # a cold kernel of that runtime
    )

    giant = outputs(result, 1)
    assert (
        list(giant[0]["data"]) == ["text/plain"] and "9999  9999" in giant[0]["data"]["text/plain"]
    )
    assert giant[1]["text"].startswith("[table of ") and "shown as text only" in giant[1]["text"]
    assert "<table" in outputs(result, 2)[0]["data"]["text/html"]
