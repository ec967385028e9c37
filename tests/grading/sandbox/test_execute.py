"""execute_notebook: what a grader needs to know about each cell, told honestly.

Runs real kernels in the real sandbox (except the one test that hides bubblewrap), each
test both with a cold kernel and with a warm one forked by the fork server (conftest.py).
"""

from __future__ import annotations

import asyncio
import logging
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import grading.sandbox.execute as execute_module
from grading.notebook.types import ExecutionResult, SandboxLimits
from grading.sandbox.bubblewrap import SandboxUnavailable
from grading.sandbox.execute import execute_notebook
from tests.grading.sandbox.kernels import KERNEL_PATHS, executor_for

pytestmark = pytest.mark.sandbox

FAST = SandboxLimits(cell_timeout_s=2, notebook_timeout_s=30)
EXECUTE = execute_notebook  # or the warm pool's, see kernel_path


@pytest.fixture(params=KERNEL_PATHS, autouse=True)
def kernel_path(request, monkeypatch):
    monkeypatch.setattr(f"{__name__}.EXECUTE", executor_for(request.param, request))
    return request.param


def notebook(*sources: str):
    return new_notebook(cells=[new_code_cell(textwrap.dedent(s).strip()) for s in sources])


def run(*sources: str, limits: SandboxLimits = FAST) -> ExecutionResult:
    return EXECUTE(notebook(*sources), limits=limits)


def statuses(result: ExecutionResult) -> list[str]:
    return [c.status for c in result.cells]


def outputs(result: ExecutionResult, index: int) -> list[dict]:
    return result.notebook.cells[index].outputs


# --- what an honest notebook gets -----------------------------------------------------------


def test_each_code_cell_gets_the_kernels_status():
    result = run("x = 21", "print(x * 2)", "x / 0", "x")

    assert statuses(result) == ["ok", "ok", "error", "ok"]
    assert (result.cell(2).ename, result.cell(2).evalue) == (
        "ZeroDivisionError",
        "division by zero",
    )
    assert result.error == "" and result.sandboxed and result.duration_s > 0


def test_outputs_are_those_of_a_plain_jupyter_run():
    result = run("print('hello')", "0.5", "0.5;", "from IPython.display import display\ndisplay(3)")

    assert outputs(result, 0) == [new_output("stream", name="stdout", text="hello\n")]
    assert outputs(result, 1)[0]["data"] == {"text/plain": "0.5"}
    assert len(outputs(result, 1)) == 1  # the completion marker never shows
    assert outputs(result, 2) == []  # a trailing semicolon still hides the value
    assert outputs(result, 3)[0]["output_type"] == "display_data"
    assert [c.execution_count for c in result.notebook.cells] == [1, 2, 3, 4]


def test_what_a_jupyter_kernel_does_besides_python_works_too():
    # Cells go over the kernel's own socket (grading/sandbox/direct.py), not ipykernel's
    # request loop: what that loop adds must still be there.
    result = run(
        "print('a')\nprint('b')",  # streams written together arrive as one output
        "import os\nos.system('echo from the shell')",  # written to the file descriptor
        "import asyncio\nawait asyncio.sleep(0.01)\n'awaited'",  # top-level await
        "input('name? ')",  # no input in grading
        "import time\nprint('early')\ntime.sleep(0.5)\nprint('late')",  # a slow printer
    )

    assert statuses(result) == ["ok", "ok", "ok", "error", "ok"]
    assert outputs(result, 0) == [new_output("stream", name="stdout", text="a\nb\n")]
    assert "from the shell" in "".join(o.get("text", "") for o in outputs(result, 1))
    assert outputs(result, 2)[0]["data"] == {"text/plain": "'awaited'"}
    assert result.cell(3).ename == "StdinNotImplementedError"
    assert "".join(o.get("text", "") for o in outputs(result, 4)) == "early\nlate\n"


def test_output_written_to_the_file_descriptors_stays_with_its_cell():
    # ipykernel's threads read fds 1 and 2 from pipes: the cell must not end before they
    # have read what it wrote (it was lost, or shown in the next cell, 3 times in 5).
    write = "import os\nos.write(1, b'x' * 60000)\nos.write(2, b'y' * 30000)\nNone"
    result = run(write, "pass", write, "pass", write, "pass")

    for index in (0, 2, 4):
        streams = {"stdout": 0, "stderr": 0}
        for output in outputs(result, index):
            streams[output["name"]] += len(output["text"])
        assert streams == {"stdout": 60000, "stderr": 30000}, index
        assert outputs(result, index + 1) == []


def test_output_still_being_copied_from_the_pipe_stays_with_its_cell():
    # ipykernel's thread reads a pipe 1,000 bytes at a time and writes each piece to the
    # stream after: the pipe is empty while the last piece is still on its way (on a busy
    # machine it was shown short, 29,000 bytes of 30,000). Here that thread is made slow
    # between reading a piece and writing it.
    slow = """
    import os, threading, time
    read = os.read
    def slow_read(fd, size):
        data = read(fd, size)
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.05)
        return data
    os.read = slow_read
    """
    write = "import os\nos.write(2, b'y' * 3500)\nNone"
    result = run(slow, write, "pass", write, "pass")

    assert statuses(result) == ["ok"] * 5
    for index in (1, 3):
        text = "".join(o["text"] for o in outputs(result, index) if o["name"] == "stderr")
        assert len(text) == 3500, index
        assert outputs(result, index + 1) == []


def test_text_written_to_the_file_descriptors_keeps_its_characters_across_reads():
    # read a piece at a time, a character's bytes can fall in two pieces
    result = run("import os\nos.write(1, ('a' + 'é' * 40000).encode())\nNone")

    text = "".join(o["text"] for o in outputs(result, 0) if o["name"] == "stdout")
    assert text == "a" + "é" * 40000


def test_a_process_left_writing_to_the_file_descriptors_does_not_hold_up_the_cells():
    flood = """
    import subprocess, sys
    writer = subprocess.Popen(
        [sys.executable, "-c", "import os\\nwhile True: os.write(1, b'x' * 4096)"])
    """
    result = run(flood, "1 + 1", "writer.kill()\nwriter.wait()")

    assert statuses(result) == ["ok", "ok", "ok"]
    # its result (the writer's output goes on arriving around it)
    results = [o for o in outputs(result, 1) if o["output_type"] == "execute_result"]
    assert [o["data"] for o in results] == [{"text/plain": "2"}]


def test_magics_and_multi_line_last_expressions_work():
    result = run("%time y = 2", "(y +\n 1)", "%%capture\nprint('hidden')")

    assert statuses(result) == ["ok", "ok", "ok"]
    assert outputs(result, 1)[0]["data"] == {"text/plain": "3"}


def test_the_input_is_not_changed_and_old_outputs_are_not_trusted():
    nb = notebook("1 + 1", "pass")
    nb.cells.insert(1, new_markdown_cell("# text"))
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="forged pass\n")]

    result = EXECUTE(nb, limits=FAST)

    assert nb.cells[2].outputs[0]["text"] == "forged pass\n"
    assert [c.index for c in result.cells] == [0, 2]  # markdown cells get no execution
    assert outputs(result, 2) == []


def test_rebinding_stdout_is_not_mistaken_for_tampering():
    result = run(
        "import io, sys\nsys.stdout = io.StringIO()\nprint('into the StringIO')",
        "print('also into the StringIO')\n42",
        "sys.stdout = sys.__stdout__\n1 / 0",
    )

    assert statuses(result) == ["ok", "ok", "error"]
    assert outputs(result, 1)[0]["data"] == {"text/plain": "42"}


def test_an_empty_code_cell_is_ok():
    assert statuses(run("", "# just a comment")) == ["ok", "ok"]


# --- limits ---------------------------------------------------------------------------------


def test_a_cell_over_its_time_limit_is_interrupted_and_the_rest_runs():
    result = run("while True:\n    pass", "print('next')")

    assert statuses(result) == ["timeout", "ok"]
    assert "2 s time limit" in result.cell(0).evalue
    assert outputs(result, 0)[-1]["ename"] == "TimeoutError"  # the student sees why
    assert result.error == ""


def test_a_cell_that_will_not_be_interrupted_stops_the_notebook():
    stubborn = """
        import signal, time
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            time.sleep(0.05)
    """
    result = run(stubborn, "print('never')")

    assert statuses(result) == ["timeout", "not_run"]
    assert "did not respond to an interrupt" in result.error


def test_the_notebook_time_limit_stops_the_rest():
    limits = SandboxLimits(cell_timeout_s=3.5, notebook_timeout_s=4)
    nap = "import time\ntime.sleep(1.4)"

    result = run(nap, nap, nap, "print('never')", limits=limits)

    assert statuses(result) == ["ok", "ok", "timeout", "not_run"]
    assert result.error == "The notebook exceeded its 4 s time limit"


def test_a_kernel_that_exits_leaves_the_rest_not_run():
    result = run("print('before')", "import os\nos._exit(0)", "print('after')")

    assert statuses(result) == ["ok", "error", "not_run"]
    assert result.cell(1).ename == "DeadKernelError"
    # the second cell, counted from 1 as a reader counts them
    assert result.error.startswith("The kernel died") and "cell 2" in result.error


# --- a notebook that lies -------------------------------------------------------------------


def test_a_hidden_traceback_is_still_an_error():
    hide = """
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        InteractiveShell.showtraceback = lambda *args, **kwargs: None
        sys.excepthook = lambda *args: None
        get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)
    """
    result = run(hide, "assert 1 == 2, 'wrong answer'")

    assert statuses(result) == ["ok", "error"]
    assert (result.cell(1).ename, result.cell(1).evalue) == ("AssertionError", "wrong answer")


def test_a_kernel_patched_to_report_success_is_caught():
    force_success = """
        from IPython.core.interactiveshell import ExecutionResult
        ExecutionResult.success = property(lambda self: True)
    """
    result = run(force_success, "assert False, 'hidden test failed'", "print('honest')")

    assert statuses(result) == ["ok", "error", "ok"]
    assert result.cell(1).ename == "IncompleteExecutionError"


def test_a_forged_execute_reply_is_caught():
    # Every way the kernel builds its replies: ZeroMQ's session.send, and session.msg, which
    # builds them on the kernel's own socket (direct.py).
    forge = """
        kernel = get_ipython().kernel
        send, msg = kernel.session.send, kernel.session.msg

        def forged(content):
            if content and content.get("status") == "error":
                return {"status": "ok", "execution_count": content.get("execution_count"),
                        "user_expressions": {}, "payload": []}
            return content

        def forged_send(stream, msg_or_type, content=None, *args, **kwargs):
            if msg_or_type == "execute_reply":
                content = forged(content)
            return send(stream, msg_or_type, content, *args, **kwargs)

        def forged_msg(msg_type, content=None, *args, **kwargs):
            if msg_type == "execute_reply":
                content = forged(content)
            return msg(msg_type, content, *args, **kwargs)

        kernel.session.send, kernel.session.msg = forged_send, forged_msg
    """
    result = run(forge, "raise ValueError('hidden test failed')")

    assert statuses(result) == ["ok", "error"]
    assert result.cell(1).ename == "IncompleteExecutionError"


def test_removing_the_graders_check_fails_closed():
    result = run("get_ipython().ast_transformers.clear()", "print('looks fine')")

    assert statuses(result) == ["ok", "error"]
    assert result.cell(1).ename == "IncompleteExecutionError"


def test_a_kernel_that_stops_itself_runs_out_of_time():
    result = run("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", "print('never')")

    assert statuses(result) == ["timeout", "not_run"]
    assert "did not respond" in result.error and result.duration_s < 10


def test_a_kernel_that_closes_its_own_sockets_is_stopped_at_once():
    close_all = """
        import os, stat
        for fd in range(3, 1024):
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.close(fd)
            except OSError:
                pass
    """
    result = run(close_all, "print('never answered')")

    assert statuses(result) in (["error", "not_run"], ["timeout", "not_run"])
    assert result.error and result.duration_s < 10


def test_a_chatty_background_thread_does_not_break_later_cells():
    chatter = """
        import threading, time
        def chatter():
            while True:
                print("noise")
                time.sleep(0.01)
        threading.Thread(target=chatter, daemon=True).start()
    """
    result = run(chatter, "import time\ntime.sleep(0.3)\n'answer'")

    # As in Jupyter, the thread's prints land in whichever cell is running.
    assert statuses(result) == ["ok", "ok"]
    results = [o for o in outputs(result, 1) if o["output_type"] == "execute_result"]
    assert [o["data"] for o in results] == [{"text/plain": "'answer'"}]


def test_a_second_execution_is_not_affected_by_the_first():
    run("import os\nos.killpg(0, 9)")

    assert statuses(run("print('fresh kernel')")) == ["ok"]


def test_it_can_be_called_from_async_code():
    async def view():
        return EXECUTE(notebook("6 * 7"), limits=FAST)

    assert outputs(asyncio.run(view()), 0)[0]["data"] == {"text/plain": "42"}


# --- without bubblewrap ---------------------------------------------------------------------


@pytest.mark.parametrize("kernel_path", ["cold"], indirect=True)
def test_without_bubblewrap_nothing_runs_unless_explicitly_allowed(monkeypatch):
    monkeypatch.setattr(execute_module, "bubblewrap_available", lambda: False)

    with pytest.raises(SandboxUnavailable):
        execute_notebook(notebook("print('x')"), limits=FAST)


@pytest.mark.parametrize("kernel_path", ["cold"], indirect=True)
def test_the_unsandboxed_development_mode_says_so_loudly(monkeypatch, caplog):
    monkeypatch.setattr(execute_module, "bubblewrap_available", lambda: False)

    with caplog.at_level(logging.WARNING, logger="grading.sandbox"):
        result = execute_notebook(notebook("1 + 1"), limits=FAST, allow_unsandboxed=True)

    assert (result.sandboxed, statuses(result)) == (False, ["ok"])
    assert "WITHOUT A SANDBOX" in caplog.text
