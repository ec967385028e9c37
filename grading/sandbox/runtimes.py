"""Runtimes: the named, versioned Python environments student code runs in.

A runtime is defined by a folder of ``grading/runtimes/<name>/`` in the repository:

* ``runtime.toml``: a title, the notebook kernelspec names it answers for
  (``metadata.kernelspec.name``; ``python3`` is JupyterHub's default) and the modules its fork
  server imports once (``preload``);
* ``requirements.txt``: the packages a teacher asked for, pinned;
* ``requirements.lock``: every package installed, dependencies included, pinned exactly
  (``make runtime-lock RUNTIME=<name>`` writes it).

``bin/build-runtimes`` (``make runtimes``, which ``make demo`` and ``make test`` run) builds
each into a virtualenv of its own under the install directory (``GRADING_RUNTIMES_DIR``,
``var/runtimes`` by default), apart from the platform's ``.venv``, and stamps it with the
version of its lock. The sandbox mounts the runtime read-only at ``/opt/runtime`` instead of
the platform's virtualenv: student code sees the runtime's packages and nothing of the
platform (no Django, no settings, no project files).

Pure standard library: the build script runs it before anything else is installed, and the
sandbox package must not import the platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where the runtimes are defined (in the repository).
DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "runtimes"
#: Where they are built, unless configured (``configure`` or GRADING_RUNTIMES_DIR).
DEFAULT_INSTALL_DIR = Path(__file__).resolve().parents[2] / "var" / "runtimes"
#: The runtime a notebook gets when its kernelspec names none we know of... never silently:
#: only the kernelspec names listed by a runtime map to it (see ``for_kernelspec``).
DEFAULT_RUNTIME = "data-science"
#: The stamp a finished build leaves in the runtime's directory.
STAMP = "runtime.json"
#: Where the runtime's matplotlib font cache is kept, inside the runtime (built with it).
MPL_CACHE_DIR = "share/matplotlib-cache"
#: Where a runtime appears inside the sandbox.
SANDBOX_PREFIX = "/opt/runtime"

_install_dir: Path | None = None
_default_name: str | None = None


class UnknownRuntime(LookupError):
    """A runtime name (or kernelspec) that is not installed on this machine."""

    def __init__(self, name: str, installed: list[str], *, built: bool = True) -> None:
        self.name = name
        self.installed = installed
        self.built = built
        listed = ", ".join(installed) or "none"
        if not built:
            detail = f"the runtime '{name}' is defined but not built here (run: make runtimes)"
        else:
            detail = f"no runtime '{name}' is installed here"
        super().__init__(f"{detail}; installed runtimes: {listed}")


@dataclass(frozen=True)
class Runtime:
    """One runtime, as defined in the repository and (if built) installed here."""

    name: str
    title: str
    kernelspecs: tuple[str, ...]
    preload: tuple[str, ...]
    definition_dir: Path
    prefix: Path  # the virtualenv this runtime is built into
    version: str  # of its lock file (and the interpreter it was built for)

    @property
    def python(self) -> Path:
        """The runtime's interpreter on the host (a symlink to the base interpreter)."""
        return self.prefix / "bin" / "python"

    @property
    def installed(self) -> bool:
        return self.python.exists() and (self.prefix / STAMP).exists()

    @property
    def built_version(self) -> str:
        """The version the installed build was made from ("" if none)."""
        try:
            return json.loads((self.prefix / STAMP).read_text())["version"]
        except (OSError, ValueError, KeyError):
            return ""

    @property
    def up_to_date(self) -> bool:
        return self.installed and self.built_version == self.version

    @property
    def home(self) -> Path:
        """The base interpreter's ``bin`` directory, from the virtualenv's pyvenv.cfg."""
        try:
            for line in (self.prefix / "pyvenv.cfg").read_text().splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home":
                    return Path(value.strip())
        except OSError:
            pass
        return Path(sys.base_prefix) / "bin"

    @property
    def mpl_cache(self) -> Path:
        return self.prefix / MPL_CACHE_DIR

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kernelspecs": list(self.kernelspecs),
            "version": self.version,
            "installed": self.installed,
            "up_to_date": self.up_to_date,
        }


def configure(*, install_dir: str | os.PathLike | None = None, default: str | None = None) -> None:
    """Set where runtimes are built and which one is the default (grading/apps.py does)."""
    global _install_dir, _default_name
    if install_dir is not None:
        _install_dir = Path(install_dir)
    if default is not None:
        _default_name = default


def install_dir() -> Path:
    if _install_dir is not None:
        return _install_dir
    configured = os.environ.get("GRADING_RUNTIMES_DIR")
    return Path(configured) if configured else DEFAULT_INSTALL_DIR


def default_name() -> str:
    return _default_name or os.environ.get("GRADING_DEFAULT_RUNTIME") or DEFAULT_RUNTIME


def lock_version(definition_dir: Path, python_version: str | None = None) -> str:
    """The version of a runtime: its lock file and the interpreter's major.minor."""
    version = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    digest = hashlib.sha256((definition_dir / "requirements.lock").read_bytes())
    digest.update(version.encode())
    return digest.hexdigest()[:12]


def _load(definition_dir: Path) -> Runtime:
    config = tomllib.loads((definition_dir / "runtime.toml").read_text(encoding="utf-8"))
    name = definition_dir.name
    return Runtime(
        name=name,
        title=str(config.get("title", name)),
        kernelspecs=tuple(str(k) for k in config.get("kernelspecs", [name])),
        preload=tuple(str(m) for m in config.get("preload", [])),
        definition_dir=definition_dir,
        prefix=install_dir() / name,
        version=lock_version(definition_dir),
    )


def defined() -> dict[str, Runtime]:
    """Every runtime the repository defines, by name (installed here or not)."""
    found: dict[str, Runtime] = {}
    if DEFINITIONS_DIR.is_dir():
        for folder in sorted(DEFINITIONS_DIR.iterdir()):
            if (folder / "runtime.toml").is_file() and (folder / "requirements.lock").is_file():
                found[folder.name] = _load(folder)
    return found


def installed() -> dict[str, Runtime]:
    """The runtimes built on this machine, by name."""
    return {name: rt for name, rt in defined().items() if rt.installed}


def get(name: str = "") -> Runtime:
    """The installed runtime called ``name`` ("" for the default), or ``UnknownRuntime``."""
    name = name or default_name()
    runtimes = defined()
    runtime = runtimes.get(name)
    if runtime is None or not runtime.installed:
        raise UnknownRuntime(name, sorted(installed()), built=runtime is None)
    return runtime


def for_kernelspec(kernelspec: str) -> str:
    """The runtime's name a notebook kernelspec name stands for.

    A runtime's own name, or one of the kernelspec names it lists; "" (no kernelspec) is
    the default runtime. Anything else is refused with the list of installed runtimes,
    never silently run elsewhere.
    """
    kernelspec = (kernelspec or "").strip()
    if not kernelspec:
        return default_name()
    runtimes = defined()
    if kernelspec in runtimes:
        return kernelspec
    for name, runtime in runtimes.items():
        if kernelspec in runtime.kernelspecs:
            return name
    raise UnknownRuntime(kernelspec, sorted(installed()))


def kernelspec_of(nb: Any) -> str:
    """``metadata.kernelspec.name`` of a notebook (a dict or NotebookNode), or ""."""
    try:
        name = nb["metadata"]["kernelspec"]["name"]
    except (KeyError, TypeError):
        return ""
    return name if isinstance(name, str) else ""


def for_notebook(nb: Any, override: str = "") -> Runtime:
    """The installed runtime a notebook runs in: ``override`` (an exercise's choice) or its
    kernelspec's. Raises ``UnknownRuntime`` naming the installed ones."""
    name = override or for_kernelspec(kernelspec_of(nb))
    return get(name)
