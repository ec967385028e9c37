"""A real Ralph LRS process for the xAPI tests (bin/lrs, Ralph from `make lrs`)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.worker import stop_group

ROOT = Path(__file__).resolve().parents[2]
USERNAME = "platform"
PASSWORD = "lrs-secret-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RalphLRS:
    """Ralph's LRS server on a free port, statements in `data_dir` (its file-system
    backend). Stop and start it again on the same directory: what it stored stays."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / "ralph.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    def start(self) -> RalphLRS:
        env = {**os.environ, "LRS_USERNAME": USERNAME, "LRS_PASSWORD": PASSWORD}
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(ROOT / "bin" / "lrs"), str(self.data_dir), str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Ralph exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=2
                ) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"Ralph did not answer in 60 s:\n{self.log()}")

    def stop(self) -> None:
        stop_group(self.proc)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def statements(self, **params: str) -> list[dict]:
        """Every statement Ralph returns for the query (its GET statements API, page by
        page)."""
        auth = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        url = f"{self.endpoint}statements?" + urllib.parse.urlencode({"limit": 100, **params})
        found = []
        while url:
            request = urllib.request.Request(  # noqa: S310
                url,
                headers={"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                page = json.loads(response.read())
            found.extend(page["statements"])
            more = page.get("more")
            url = urllib.parse.urljoin(url, more) if more else ""
        return found

    def stored_ids(self) -> list[str]:
        """The ids of what Ralph wrote to its file, one per line it wrote (a statement
        stored twice would be there twice)."""
        path = self.data_dir / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["id"] for line in path.read_text().splitlines() if line]


@pytest.fixture
def ralph(tmp_path):
    lrs = RalphLRS(tmp_path / "lrs")
    lrs.data_dir.mkdir()
    lrs.start()
    try:
        yield lrs
    finally:
        lrs.stop()


@pytest.fixture
def to_ralph(ralph, settings, monkeypatch):
    """The platform (this process and any worker it starts) pointed at `ralph`, with
    retries one second apart rather than half a minute."""
    values = {
        "XAPI_LRS_ENDPOINT": ralph.endpoint,
        "XAPI_LRS_USERNAME": USERNAME,
        "XAPI_LRS_PASSWORD": PASSWORD,
        "XAPI_RETRY_BASE_SECONDS": 1,
        "XAPI_RETRY_MAX_SECONDS": 2,
    }
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, str(value))
    return ralph
