"""Data files of an exercise: nbgrader's extra files beside the source notebook.

One set of rules for every way a file comes in (``manage.py import_nbgrader``, the upload
on the exercise's manage page, ``manage.py grade``): `data_file_problems` says, for a set of
paths and sizes, everything wrong with it at once (a path outside the folder, a hidden
name, a file or a set too large); nothing is read into memory, or stored, before it passes.
The sandbox lays the files read-only in the kernel's working directory under their paths,
and students download them with the notebook.

`files_beside` reads an assignment folder the way nbgrader releases it: every file in the
notebook's folder and its subfolders, except notebooks, hidden files and nbgrader's own
leftovers (``__pycache__``, ``*.pyc``, ``feedback/``).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_PATH_CHARS = 255
MB = 1024 * 1024
# Names nbgrader leaves out of an assignment (its CourseDirectory.ignore), hidden ones aside.
IGNORED_NAMES = frozenset({"__pycache__", "feedback"})
IGNORED_SUFFIXES = (".pyc", ".ipynb")  # notebooks are exercises, not data
# Characters a student's Windows cannot unzip into a file name.
NOT_ON_WINDOWS = frozenset('<>:"|?*')


@dataclass(frozen=True)
class DataFileLimits:
    """How large one data file, and all of an exercise's together, may be (bytes)."""

    file_bytes: int
    total_bytes: int

    @classmethod
    def from_settings(cls) -> DataFileLimits:
        return cls(
            file_bytes=int(settings.GRADING_DATA_FILE_MAX_MB * MB),
            total_bytes=int(settings.GRADING_DATA_FILES_MAX_MB * MB),
        )


class DataFilesRefused(ValueError):
    """Data files that cannot go with an exercise; each problem is a sentence for the teacher."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def _shown(path: str) -> str:
    return path if len(path) <= 80 else path[:77] + "…"


def path_problem(path: str) -> str | None:
    """Why `path` cannot be a data file's place in the working directory, or None.

    A path is relative to the notebook's folder, "/"-separated, at most 255 characters,
    with no "..", no hidden (dot) name and nothing a student's system cannot unzip.
    """
    shown = _shown(path)
    if not path:
        return _("A data file needs a name.")
    if len(path) > MAX_PATH_CHARS:
        return ngettext(
            "“%(path)s”: the path is longer than %(max)d character.",
            "“%(path)s”: the path is longer than %(max)d characters.",
            MAX_PATH_CHARS,
        ) % {"path": shown, "max": MAX_PATH_CHARS}
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # a file name in another encoding, read from a folder
        return _("“%(path)s”: the name is not valid text (UTF-8).") % {
            "path": shown.encode("utf-8", "replace").decode()
        }
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return _("“%(path)s”: control characters are not allowed in a path.") % {
            "path": shown.encode("unicode_escape").decode()
        }
    if "\\" in path:
        return _("“%(path)s”: separate folders with “/”, not “\\”.") % {"path": shown}
    if path.startswith("/"):
        return _(
            "“%(path)s”: the path must be relative to the notebook's folder, not absolute."
        ) % {"path": shown}
    parts = path.split("/")
    if ".." in parts:
        return _("“%(path)s”: the path may not leave the notebook's folder (“..”).") % {
            "path": shown
        }
    if any(part == "" for part in parts):
        return _("“%(path)s”: the path has an empty folder name.") % {"path": shown}
    if any(part.startswith(".") for part in parts):
        return _(
            "“%(path)s”: hidden files and folders (names starting with “.”) are not allowed."
        ) % {"path": shown}
    bad = sorted({ch for ch in path if ch in NOT_ON_WINDOWS})
    if bad:
        return _("“%(path)s”: these characters are not allowed in a file name: %(chars)s") % {
            "path": shown,
            "chars": " ".join(bad),
        }
    if path.lower().endswith(".ipynb"):
        return _(
            "“%(path)s” is a notebook: upload the exercise's notebook as its source, not as a "
            "data file."
        ) % {"path": shown}
    return None


def data_file_problems(files: Iterable[tuple[str, int]], limits: DataFileLimits) -> list[str]:
    """Everything wrong with an exercise's whole set of data files, as (path, size) pairs.

    Empty when the set may be stored. Checks each path (`path_problem`), each size, the
    total, and paths given twice or used both as a file and as a folder.
    """
    problems: list[str] = []
    seen: set[str] = set()
    total = 0
    for path, size in files:
        total += size
        problem = path_problem(path)
        if problem:
            problems.append(problem)
            continue
        if path in seen:
            problems.append(_("“%(path)s” is given twice.") % {"path": _shown(path)})
        seen.add(path)
        if size > limits.file_bytes:
            problems.append(
                _("“%(path)s” is %(size)s, more than the %(max)s allowed for one data file.")
                % {
                    "path": _shown(path),
                    "size": filesizeformat(size),
                    "max": filesizeformat(limits.file_bytes),
                }
            )
    folders = {str(parent) for path in seen for parent in PurePosixPath(path).parents}
    for path in sorted(seen & folders):
        problems.append(
            _("“%(path)s” is both a file and a folder of other files.") % {"path": _shown(path)}
        )
    if total > limits.total_bytes:
        problems.append(
            _("The data files come to %(size)s, more than the %(max)s allowed per exercise.")
            % {"size": filesizeformat(total), "max": filesizeformat(limits.total_bytes)}
        )
    return problems


def check_data_files(files: dict[str, bytes], limits: DataFileLimits | None = None) -> None:
    """Raise DataFilesRefused with every problem of this set of files (path -> content)."""
    limits = limits or DataFileLimits.from_settings()
    problems = data_file_problems(((p, len(c)) for p, c in files.items()), limits)
    if problems:
        raise DataFilesRefused(problems)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def files_beside(notebook: Path, limits: DataFileLimits | None = None) -> dict[str, bytes]:
    """The data files of the assignment folder `notebook` is in (see `folder_files`)."""
    return folder_files(notebook.resolve().parent, limits)


def folder_files(folder: Path, limits: DataFileLimits | None = None) -> dict[str, bytes]:
    """The data files of an assignment folder: path -> content.

    Every file in the folder and its subfolders except notebooks, hidden files and
    nbgrader's leftovers. A link to something outside the folder, a path or a size the
    rules refuse: DataFilesRefused with every problem, before any file is read.
    """
    limits = limits or DataFileLimits.from_settings()
    folder = folder.resolve()
    found: dict[str, Path] = {}
    sizes: list[tuple[str, int]] = []
    problems: list[str] = []
    for path in _walk(folder):
        relative = path.relative_to(folder).as_posix()
        try:
            target = path.resolve(strict=True)
            info = target.stat()
        except OSError as exc:
            problems.append(
                _("“%(path)s” cannot be read: %(error)s")
                % {"path": _shown(relative), "error": exc.strerror or exc}
            )
            continue
        if not target.is_relative_to(folder):
            problems.append(
                _("“%(path)s” is a link to a file outside the notebook's folder.")
                % {"path": _shown(relative)}
            )
            continue
        if not stat.S_ISREG(info.st_mode):
            continue  # a link to a folder, a socket, a pipe: not data
        found[relative] = target
        sizes.append((relative, info.st_size))
    problems += data_file_problems(sizes, limits)
    if problems:
        raise DataFilesRefused(problems)
    files = {}
    for relative, target in sorted(found.items()):
        try:
            files[relative] = target.read_bytes()
        except OSError as exc:
            problems.append(
                _("“%(path)s” cannot be read: %(error)s")
                % {"path": _shown(relative), "error": exc.strerror or exc}
            )
    if problems:
        raise DataFilesRefused(problems)
    check_data_files(files, limits)  # sizes again: a file may have grown since
    return files


def _walk(folder: Path) -> Iterable[Path]:
    """Files (and links) under `folder`, in order, without what nbgrader leaves out."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        else:
            yield Path(entry.path)
