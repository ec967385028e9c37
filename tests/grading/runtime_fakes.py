"""Runtimes "installed" for a test: the repository's definitions, built into a temporary
folder as far as `grading.sandbox.runtimes` looks (an interpreter and the build's stamp).
For tests of the platform around runtimes, never for running code in them."""

from __future__ import annotations

import json
from pathlib import Path

from grading.sandbox import runtimes


def only_installed(monkeypatch, folder: Path, *names: str) -> None:
    """Make `names` the runtimes installed on this machine for the rest of the test."""
    monkeypatch.setattr(runtimes, "_install_dir", folder)
    defined = runtimes.defined()
    for name in names:
        prefix = folder / name
        (prefix / "bin").mkdir(parents=True)
        (prefix / "bin" / "python").write_text("")
        version = defined[name].version
        (prefix / runtimes.STAMP).write_text(json.dumps({"version": version}))
    assert sorted(runtimes.installed()) == sorted(names)
