"""Grade one submission against its source notebook, outside the database.

    python manage.py grade SOURCE.ipynb SUBMISSION.ipynb --json [--feedback FEEDBACK.html]
        [--runtime NAME] [--memory-mb N] [--cell-timeout S] [--timeout S]

The same pipeline and sandbox as the grading workers. Exit code 0 when grading completed
(whatever the score); non-zero with a message when a notebook cannot be read or graded.
What it prints and the feedback page it writes are what the student would receive: no
hidden test in them (grading.notebook.pipeline).

The notebook runs in the runtime its kernel names (or --runtime), with the data files
beside SOURCE: every file in its folder and subfolders except notebooks and hidden files,
as in an nbgrader assignment folder (grading.datafiles).
"""

import argparse
import errno
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grading.datafiles import DataFilesRefused, files_beside
from grading.notebook.errors import NotebookError
from grading.notebook.pipeline import grade_with_feedback
from grading.notebook.read import read_notebook
from grading.notebook.types import ExecutionEnv, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import SandboxUnavailable
from grading.sandbox.executor import sandboxed_executor
from grading.sandbox.runtimes import UnknownRuntime
from grading.services import runtime_refusal


def read_file(path: str, what: str):
    file = Path(path)
    if not file.is_file():
        raise CommandError(_("%(what)s: no such file: %(path)s") % {"what": what, "path": path})
    try:
        return read_notebook(file.read_bytes())
    except OSError as exc:
        raise CommandError(f"{what} ({path}): {exc.strerror}") from exc
    except NotebookError as exc:
        raise CommandError(f"{what} ({path}): {exc}") from exc


def write_feedback(path: str, html: str) -> None:
    try:
        Path(path).write_text(html, encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(path, exc.strerror) from exc


def _cannot_write(path: str, error: str) -> CommandError:
    return CommandError(
        _("Cannot write the feedback page to %(path)s: %(error)s") % {"path": path, "error": error}
    )


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(_("a positive number, not %(text)r") % {"text": text})
        return value

    return parse


def runtime_for(source, chosen: str) -> str:
    """The installed runtime to run in: --runtime, or the one the source's kernel names."""
    try:
        return runtimes.for_notebook(source, override=chosen).name
    except UnknownRuntime as exc:
        if chosen or not exc.built:
            raise CommandError(runtime_refusal(exc, chosen=bool(chosen))) from exc
        raise CommandError(
            _(
                "The notebook's kernel “%(name)s” is not a runtime here. Installed runtimes: "
                "%(installed)s. Choose one with --runtime."
            )
            % {"name": exc.name, "installed": ", ".join(exc.installed) or "—"}
        ) from exc


def data_files(source_path: str) -> dict[str, bytes]:
    try:
        return files_beside(Path(source_path))
    except DataFilesRefused as exc:
        problems = "\n".join(f"  - {problem}" for problem in exc.problems)
        raise CommandError(
            _(
                "The data files beside the source notebook (its folder and subfolders) "
                "cannot be used:\n%(problems)s\nKeep the source in its own assignment folder."
            )
            % {"problems": problems}
        ) from exc


class Command(BaseCommand):
    help = "Grade SUBMISSION.ipynb against SOURCE.ipynb (nbgrader format) in the sandbox."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the instructor's notebook (solutions, tests)")
        parser.add_argument("submission", help="the student's notebook")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--cell-timeout", type=_positive(float), help="seconds per cell")
        parser.add_argument(
            "--timeout", type=_positive(float), help="seconds for the whole notebook"
        )
        parser.add_argument(
            "--memory-mb", type=_positive(int), help="memory the kernel may use (MB)"
        )
        parser.add_argument(
            "--runtime",
            default="",
            help="the runtime to run in (default: the one the source's kernel names)",
        )
        parser.add_argument(
            "--feedback", metavar="FILE", help="write the student's feedback page (HTML) here"
        )

    def handle(self, *args, **options):
        source = read_file(options["source"], _("Source notebook"))
        submission = read_file(options["submission"], _("Submission"))
        feedback = options["feedback"]
        if feedback and not Path(feedback).parent.is_dir():  # said before grading, not after
            raise _cannot_write(feedback, os.strerror(errno.ENOENT))
        env = ExecutionEnv(
            runtime=runtime_for(source, options["runtime"] or ""),
            files=data_files(options["source"]),
        )
        overrides = {
            "cell_timeout_s": options["cell_timeout"],
            "notebook_timeout_s": options["timeout"],
            "memory_mb": options["memory_mb"],
        }
        limits = SandboxLimits.from_dict(overrides)
        try:
            graded = grade_with_feedback(
                source,
                submission,
                executor=sandboxed_executor(),
                limits=limits,
                allow_unsandboxed=settings.GRADING_ALLOW_UNSANDBOXED,
                env=env,
            )
        except UnknownRuntime as exc:
            raise CommandError(runtime_refusal(exc, chosen=True)) from exc
        except NotebookError as exc:
            raise CommandError(_("Source notebook: %(error)s") % {"error": exc}) from exc
        except SandboxUnavailable as exc:
            raise CommandError(
                _(
                    "Cannot run student code: %(error)s. Install bubblewrap (apt-get install "
                    "bubblewrap)."
                )
                % {"error": exc}
            ) from exc
        result = graded.result
        if feedback:
            write_feedback(feedback, graded.feedback_html)
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False))
            return
        for cell in result.cells:
            score = "—" if cell.score is None else f"{cell.score:g}"
            line = f"{cell.grade_id:<30} {score:>6} / {cell.max_score:<6g} {cell.status}"
            self.stdout.write(line + (f"  {cell.message}" if cell.message else ""))
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        if result.error:
            self.stdout.write(f"stopped early: {result.error}")
        if result.root_cause:
            self.stdout.write(result.root_cause)
        self.stdout.write(
            _("Total: %(total)g / %(max)g")
            % {
                "total": result.total,
                "max": result.max_total,
            }
        )
