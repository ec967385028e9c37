"""Cells over a socket of the kernel's own instead of ZeroMQ: what a kernel costs per cell.

The kernel's set-up request (one silent request over ZeroMQ,
`_NotebookRunner.set_up_kernel`) ends by making it *serve*: its main thread stays in
`SERVE`'s loop, listening on a Unix socket in the kernel's own directory, and the grader
sends each cell there and reads back, on the same stream, the very messages ipykernel
publishes (streams, displays, results, errors, the completion marker) followed by
the execute reply. The messages are ipykernel's own, built by its streams, display hook
and display publisher with the kernel's session (signed), only sent by the thread that
makes them instead of being handed to the IOPub thread: a cell costs ~1 ms of the kernel's
CPU instead of ~4 (a dozen wake-ups of the IOPub thread per request, for the busy, input,
stream and idle messages, which the grader does not need). Streams are flushed at most
every 0.2 s, as ipykernel does, and at the end of each cell; output written to the file
descriptors (C extensions, ``os.system``) is still caught by ipykernel's own threads.

The same loop serves a *graded copy* (`graded_copy.py`): ``{"fork": path}`` forks the
serving kernel, and the copy serves on a socket of its own.

Requests (one JSON object per line): ``{"code": ..., "msg_id": ...}`` runs a cell (input
refused, history kept, IPython's own runner for top-level ``await``);
``{"interrupt": msg_id}`` raises KeyboardInterrupt in that cell, as a kernel's interrupt
request does; ``{"fork": path, "msg_id": ...}`` makes a copy. Answers: ``b"o"`` + frames
(an IOPub message), ``b"r"`` + frames (the execute reply), ``b"b"`` (the copy's socket is
bound: the grader takes back the directory, `SandboxedKernel.copy_dir_writable`) and
``b"f"`` (the fork's outcome), each + one JSON frame. Nothing here is trusted more than
the kernel: the grader judges replies by the completion marker, bounds what it reads, and
opens the socket without following links (`connect`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import struct

#: The program a kernel runs to serve (and each graded copy it forks).
SERVE = r"""
def _grader_listen(path):
    import socket, threading
    most_threads = threading.active_count()  # the kernel's own, before any cell
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
    except OSError as exc:
        return "no socket: %s" % exc
    _grader_serve(path, most_threads, server)


def _grader_serve(path, most_threads, server, ready_w=-1):
    import asyncio, json, os, queue, signal, socket, struct, sys, threading, time
    shell = get_ipython()
    kernel = shell.kernel
    iopub = kernel.iopub_thread
    me = os.getpid()
    streams = []
    for stream in (*getattr(shell, "_grader_streams", ()), sys.stdout, sys.stderr):
        if hasattr(stream, "_flush") and stream not in streams:
            streams.append(stream)
    for stream in streams:
        if ready_w >= 0:  # a copy has one thread: locks others held at the fork are remade
            stream._buffer_lock = threading.RLock()
        stream._master_pid = me
    for owner in (kernel, shell.displayhook, shell.display_pub, *streams):
        session = getattr(owner, "session", None)
        if session is not None:
            session.pid = me
    if ready_w >= 0:
        os.write(ready_w, b"1")
        os.close(ready_w)
    conn = server.accept()[0]
    server.close()
    sending = threading.Lock()

    def send(kind, frames):
        parts = [kind, struct.pack("!I", len(frames))]
        for frame in frames:
            frame = bytes(frame)
            parts += [struct.pack("!I", len(frame)), frame]
        with sending:
            conn.sendall(b"".join(parts))

    iopub.schedule = lambda f: f()
    iopub._really_send = lambda msg, *args, **kwargs: send(b"o", msg)
    written = [None]  # when the oldest output not yet sent was written

    def flush_soon():
        if written[0] is None:
            written[0] = time.monotonic()

    def flush_all():
        written[0] = None
        for stream in streams:
            stream._flush()

    def flusher():  # as ipykernel's IOPub thread does: 0.2 s after the first write
        while True:
            time.sleep(0.05)
            since = written[0]
            if since is not None and time.monotonic() - since >= 0.2:
                try:
                    flush_all()
                except Exception:
                    pass

    for stream in streams:
        stream._schedule_flush = flush_soon
    import codecs, select
    # What C code and subprocesses write to fds 1 and 2 (os.system, extensions) reaches
    # the streams through pipes. ipykernel's threads read theirs 1,000 bytes at a time and
    # write each piece to the stream after reading it: a cell could end with its last piece
    # read but not yet written (lost from its output, or shown in a later cell's). The fds
    # are moved onto pipes of ours (ipykernel's threads wait on theirs, which no one writes
    # to any more), each read by a thread of ours that reads and writes under a lock; the
    # end of a cell takes the lock and reads what is left itself. Not in a copy: its
    # threads stayed behind in the kernel, which reads for it.
    pumps = []
    for stream in streams:
        thread = getattr(stream, "watch_fd_thread", None)
        fd = getattr(stream, "_original_stdstream_fd", None)
        if thread is None or fd is None or not thread.is_alive():
            continue
        pipe_r, pipe_w = os.pipe()
        os.dup2(pipe_w, fd)
        os.close(pipe_w)
        os.set_blocking(pipe_r, False)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pumps.append((stream, pipe_r, threading.Lock(), decoder))

    def move(stream, pipe_r, lock, decoder):
        # one read of the pipe to the stream (and, as ipykernel does, to the kernel's own
        # stdout or stderr), the lock held: what was read, b"" once the pipe is closed,
        # None if it was empty
        try:
            data = os.read(pipe_r, 65536)
        except BlockingIOError:
            return None
        if data:
            stream.write(decoder.decode(data))
            try:
                os.write(stream._original_stdstream_copy, data)
            except (AttributeError, OSError):
                pass
        return data

    def pump(*each):
        while True:
            select.select([each[1]], [], [])
            with each[2]:
                if move(*each) == b"":
                    return

    for each in pumps:
        threading.Thread(target=pump, args=each, daemon=True).start()

    def settle():
        # what the pipes hold when the cell ends, to its output (0.5 s at most: a process
        # the cell left behind may go on writing)
        deadline = time.monotonic() + 0.5
        for each in pumps:
            with each[2]:
                while move(*each) and time.monotonic() < deadline:
                    pass

    threading.Thread(target=flusher, daemon=True).start()
    requests = queue.SimpleQueue()
    running = [None]

    def read():
        buffer = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                requests.put(None)
                return
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                if "interrupt" in request:
                    if request["interrupt"] == running[0]:
                        os.kill(me, signal.SIGINT)
                else:
                    requests.put(request)

    threading.Thread(target=read, daemon=True).start()
    asyncio.events._set_running_loop(None)  # IPython awaits top-level code on a loop of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        request = requests.get()
        if request is None:
            os._exit(0)
        if "fork" in request:
            def bound(msg_id=request["msg_id"]):
                send(b"b", [json.dumps({"msg_id": msg_id}).encode()])

            why = _grader_copy(  # + reader, flusher, pumps
                request["fork"], most_threads + 2 + len(pumps), conn, bound)
            send(b"f", [json.dumps({"msg_id": request["msg_id"], "why": why}).encode()])
            continue
        code = request["code"]
        parent = kernel.session.msg("execute_request", content={
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False})
        parent["header"]["msg_id"] = request["msg_id"]
        kernel.set_parent([b"grader"], parent, "shell")
        kernel._forward_input(False)
        running[0] = request["msg_id"]
        result = None
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            result = shell.run_cell(code, store_history=True, silent=False)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            running[0] = None
            kernel._restore_input()
        settle()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        flush_all()
        if result is None:
            content = {"status": "error", "ename": "KeyboardInterrupt", "evalue": ""}
        else:
            error = result.error_before_exec
            error = error if error is not None else result.error_in_exec
            if result.success and not getattr(shell, "_last_traceback_during_displayhook", False):
                content = {"status": "ok"}
            else:
                content = {"status": "error", "ename": type(error).__name__, "evalue": str(error)}
        content["execution_count"] = shell.execution_count - 1
        reply = kernel.session.msg("execute_reply", content=content, parent=parent)
        send(b"r", kernel.session.serialize(reply, ident=[b"grader"]))


def _grader_copy(path, most_threads, conn, bound):
    import os, select, signal, socket, threading
    if threading.active_count() > most_threads:
        return "the notebook started threads, which a copy would not have"
    # bound before the fork, which runs the notebook's own fork hooks: the grader takes the
    # directory back at once
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
    except OSError as exc:
        bound()
        return "no socket: %s" % exc
    bound()
    ready_r, ready_w = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        server.close()
        return "no fork: %s" % exc
    if pid == 0:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel's interrupts are not ours
            os.close(ready_r)
            conn.close()
            _grader_serve(path, 1, server, ready_w)  # the copy's only thread
        finally:
            os._exit(0)
    server.close()
    os.close(ready_w)
    ready = bool(select.select([ready_r], [], [], 10.0)[0]) and os.read(ready_r, 1) == b"1"
    os.close(ready_r)
    if ready:
        return ""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    return "the copy did not start"
"""


def serve_expression(inside_path: str) -> str:
    """The user expression that makes a set-up kernel serve on ``inside_path`` (its names
    in a namespace of their own, not the notebook's). It never ends while the kernel
    serves; if the kernel cannot listen there, it ends with why (a string)."""
    source = f"{SERVE}\n_why = _grader_listen({inside_path!r})\n"
    return f"(lambda ns: exec({source!r}, ns) or ns['_why'])({{'get_ipython': get_ipython}})"


async def connect(path: str) -> socket.socket:
    """Connect to the socket a kernel (or its copy) listens on, never following what the
    student may have put in its place (a link to a socket of the machine): only a socket,
    opened as it is. OSError if there is none."""
    fd = os.open(path, os.O_PATH | os.O_NOFOLLOW)
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, f"/proc/self/fd/{fd}")
        except OSError:
            sock.close()
            raise
    finally:
        os.close(fd)
    return sock


def parse(buffer: bytearray) -> tuple[tuple[bytes, list[bytes]] | None, int]:
    """One message at the start of ``buffer``: (kind, frames) and the bytes it took."""
    if len(buffer) < 5:
        return None, 0
    kind = bytes(buffer[:1])
    (count,) = struct.unpack_from("!I", buffer, 1)
    at, frames = 5, []
    for _ in range(count):
        if len(buffer) < at + 4:
            return None, 0
        (size,) = struct.unpack_from("!I", buffer, at)
        if len(buffer) < at + 4 + size:
            return None, 0
        frames.append(bytes(buffer[at + 4 : at + 4 + size]))
        at += 4 + size
    return (kind, frames), at
