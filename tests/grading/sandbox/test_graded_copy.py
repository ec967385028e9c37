"""Both runs of a hidden-test exercise in one kernel (grading/sandbox/graded_copy.py).

The kernel runs the cells both runs share once, is forked at the first hidden test, and
the copy gets the hidden tests only once the student run is over. What a student and a
teacher get must be exactly what two fresh kernels give: the same scores, messages and
feedback page; and every way to the hidden tests through the copy must stay shut.
"""

from __future__ import annotations

import socket
import textwrap

import pytest
from nbformat.v4 import new_code_cell

from grading.notebook.pipeline import grade_with_feedback
from grading.notebook.release import release
from grading.notebook.sanitize import sanitize, sanitize_student_version
from grading.notebook.types import SandboxLimits
from grading.sandbox import direct
from grading.sandbox.execute import execute_notebook
from grading.sandbox.executor import ColdExecutor
from grading.sandbox.forkserver import ForkServer
from grading.sandbox.graded_copy import common_prefix
from grading.sandbox.pool import WarmPool
from tests.grading.leaks import leaked_forms
from tests.grading.notebook.builders import answered, autotest, square_exercise

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not ForkServer.available(), reason="needs bubblewrap and a root grader"),
]

LIMITS = SandboxLimits(cell_timeout_s=3, notebook_timeout_s=40)

RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + 1"
#: Right but for negative numbers, which only the hidden test tries.
WRONG_FOR_NEGATIVES = "def square(x):\n    return x * x if x >= 0 else -x * x"


@pytest.fixture(scope="module")
def pool():
    pool = WarmPool(size=1).start()
    yield pool
    pool.stop()


def exercise():
    """The square exercise with a visible test after the hidden one, that prints."""
    source = square_exercise()
    source.cells.append(
        autotest("test_again", "print('checked', square(5))\nassert square(5) == 25")
    )
    return source


def submission(answer: str, *extra_cells: str):
    nb = answered(release(exercise()), square=textwrap.dedent(answer).strip())
    nb.cells.extend(new_code_cell(textwrap.dedent(cell).strip()) for cell in extra_cells)
    return nb


def outcome(graded):
    cells = [(c.grade_id, c.score, c.status, c.message) for c in graded.result.cells]
    return cells, graded.result.error, graded.feedback_html


def in_one_kernel(pool, nb, limits=LIMITS):
    """Grade on the pool's pair path; also says whether one kernel served both runs."""
    before = pool.stats.pairs_in_one_kernel
    graded = grade_with_feedback(exercise(), nb, limits=limits, executor=pool)
    return graded, pool.stats.pairs_in_one_kernel == before + 1


def in_two_kernels(nb, limits=LIMITS):
    return grade_with_feedback(exercise(), nb, limits=limits, executor=execute_notebook)


def test_the_shared_cells_run_once_up_to_the_first_hidden_test():
    # The pipeline's two notebooks: the student version and the graded one.
    source, nb = exercise(), submission(RIGHT)
    student, graded = sanitize_student_version(source, nb).notebook, sanitize(source, nb).notebook
    split = common_prefix(student, graded)

    assert "BEGIN HIDDEN TESTS" in graded.cells[split].source
    assert [c.source for c in student.cells[:split]] == [c.source for c in graded.cells[:split]]


@pytest.mark.parametrize("answer", [RIGHT, WRONG, WRONG_FOR_NEGATIVES])
def test_one_kernel_grades_exactly_as_two_fresh_kernels(pool, answer):
    nb = submission(answer, "print('after the tests', square(3))")
    graded, one_kernel = in_one_kernel(pool, nb)

    assert one_kernel
    assert outcome(graded) == outcome(in_two_kernels(nb))
    assert "after the tests 9" in graded.feedback_html or answer == WRONG


def test_the_cold_executor_pairs_the_runs_too():
    nb = submission(WRONG_FOR_NEGATIVES)
    graded = grade_with_feedback(exercise(), nb, limits=LIMITS, executor=ColdExecutor())
    assert outcome(graded) == outcome(in_two_kernels(nb))
    assert [c.score for c in graded.result.cells if c.grade_id.startswith("test")] == [1, 0, 1]


def test_a_hidden_test_that_never_ends_is_interrupted_in_the_copy_and_grading_goes_on(pool):
    endless = """
        def square(x):
            while x < 0:
                pass
            return x * x
    """
    graded, one_kernel = in_one_kernel(pool, submission(endless))

    assert one_kernel
    scores = {c.grade_id: (c.score, c.message) for c in graded.result.cells}
    assert scores["test_hidden"] == (0, "Test 'test_hidden' did not finish within the time limit.")
    assert scores["test_again"][0] == 1  # the copy stopped in time and went on


def test_a_copy_that_dies_in_a_hidden_test_fails_it_and_what_follows(pool):
    suicide = """
        import os
        def square(x):
            if x < 0:
                os._exit(3)
            return x * x
    """
    nb = submission(suicide)
    graded, one_kernel = in_one_kernel(pool, nb)

    assert one_kernel
    scores = {c.grade_id: c.score for c in graded.result.cells if c.grade_id.startswith("test")}
    assert scores == {"test_visible": 1, "test_hidden": 0, "test_again": 0}
    assert outcome(graded) == outcome(in_two_kernels(nb))


def test_memory_the_copy_takes_counts_with_what_it_shares(pool):
    # 150 MB before the fork, 150 MB more in the copy: 300 MB of the sandbox's, over 256.
    greedy = """
        import time
        kept = bytearray(150 * 1024 * 1024)
        def square(x):
            if x < 0:
                more = bytearray(150 * 1024 * 1024)
                time.sleep(3)
            return x * x
    """
    limits = SandboxLimits(cell_timeout_s=8, notebook_timeout_s=40, memory_mb=256)
    graded, one_kernel = in_one_kernel(pool, submission(greedy), limits)

    assert one_kernel
    scores = {c.grade_id: c.score for c in graded.result.cells if c.grade_id.startswith("test")}
    assert scores == {"test_visible": 1, "test_hidden": 0, "test_again": 0}


def test_a_notebook_running_threads_is_graded_in_two_kernels(pool):
    # A thread of the student's would not exist in a copy: no copy then, same grade.
    threaded = """
        import threading, time
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        def square(x):
            return x * x
    """
    apart = pool.stats.pairs_apart
    graded, one_kernel = in_one_kernel(pool, submission(threaded))

    assert not one_kernel and pool.stats.pairs_apart == apart + 1
    assert [c.score for c in graded.result.cells if c.grade_id.startswith("test")] == [1, 2, 1]


def test_what_the_copy_writes_is_not_there_for_the_students_later_cells(pool):
    # The copy shares the kernel's /tmp and its stdout pipe; it learns the hidden test only
    # after every student cell has run, so neither carries it to what the student reads.
    stealer = """
        import os
        def square(x):
            if 'HIDDEN' in In[-1]:
                stolen = In[-1].encode().hex()
                open('/tmp/stolen', 'w').write(stolen)
                os.write(1, stolen.encode())
                os.write(2, stolen.encode())
            return x * x
    """
    reader = "import os\nprint(open('/tmp/stolen').read() if os.path.exists('/tmp/stolen') else '')"
    graded, one_kernel = in_one_kernel(pool, submission(stealer, reader))

    assert one_kernel
    texts = [graded.feedback_html, *(c.message for c in graded.result.cells)]
    assert [forms for text in texts if (forms := leaked_forms(text))] == []
    assert [c.score for c in graded.result.cells if c.grade_id.startswith("test")] == [1, 2, 1]


def test_no_student_code_can_write_where_the_sockets_are(pool, tmp_path):
    # The directory the kernel and its copy bind their sockets in is on the grader's disk:
    # the student's uid may write there only while the grader's own code binds a socket.
    # A student cell that tries to replace the copy's socket with a link to a socket of
    # the machine, or to fill the disk, is refused; grading goes on in one kernel.
    trap_path = str(tmp_path / "trap.sock")
    trap = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    trap.bind(trap_path)
    trap.listen(1)
    trap.setblocking(False)
    attempts = f"""
        import os
        refused = []
        for attempt in (
            lambda: os.unlink('/run/kernel/copy/graded'),
            lambda: os.symlink({trap_path!r}, '/run/kernel/copy/other'),
            lambda: open('/run/kernel/copy/filler', 'wb').write(b'x' * 1000),
        ):
            try:
                attempt()
            except PermissionError:
                refused.append(True)
        print('refused', len(refused))
    """
    try:
        graded, one_kernel = in_one_kernel(pool, submission(RIGHT, attempts))
        with pytest.raises(BlockingIOError):
            trap.accept()  # nobody connected
    finally:
        trap.close()

    assert one_kernel
    assert "refused 3" in graded.feedback_html
    assert [c.score for c in graded.result.cells if c.grade_id.startswith("test")] == [1, 2, 1]


async def _connect(path):
    return await direct.connect(path)


def test_the_grader_never_follows_a_link_to_a_socket(tmp_path):
    import asyncio

    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(tmp_path / "real.sock"))
    listening.listen(1)
    (tmp_path / "link").symlink_to(tmp_path / "real.sock")
    (tmp_path / "file").write_text("not a socket")
    try:
        with pytest.raises(OSError):
            asyncio.run(_connect(str(tmp_path / "link")))
        with pytest.raises(OSError, match="not a socket"):
            asyncio.run(_connect(str(tmp_path / "file")))
        asyncio.run(_connect(str(tmp_path / "real.sock"))).close()  # the socket itself: yes
    finally:
        listening.close()
