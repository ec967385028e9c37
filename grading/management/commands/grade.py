"""Grade one submission against its source notebook, outside the database.

    python manage.py grade SOURCE.ipynb SUBMISSION.ipynb --json [--feedback FEEDBACK.html]

The same pipeline and sandbox as the grading workers. Exit code 0 when grading completed
(whatever the score); non-zero with a message when a notebook cannot be read or graded.
What it prints and the feedback page it writes are what the student would receive: no
hidden test in them (grading.notebook.pipeline).
"""

import errno
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grading.notebook.errors import NotebookError
from grading.notebook.pipeline import grade_with_feedback
from grading.notebook.read import read_notebook
from grading.notebook.types import SandboxLimits
from grading.sandbox.bubblewrap import SandboxUnavailable
from grading.sandbox.executor import sandboxed_executor


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


class Command(BaseCommand):
    help = "Grade SUBMISSION.ipynb against SOURCE.ipynb (nbgrader format) in the sandbox."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the instructor's notebook (solutions, tests)")
        parser.add_argument("submission", help="the student's notebook")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--cell-timeout", type=float, help="seconds per cell")
        parser.add_argument("--timeout", type=float, help="seconds for the whole notebook")
        parser.add_argument(
            "--feedback", metavar="FILE", help="write the student's feedback page (HTML) here"
        )

    def handle(self, *args, **options):
        source = read_file(options["source"], _("Source notebook"))
        submission = read_file(options["submission"], _("Submission"))
        feedback = options["feedback"]
        if feedback and not Path(feedback).parent.is_dir():  # said before grading, not after
            raise _cannot_write(feedback, os.strerror(errno.ENOENT))
        overrides = {
            "cell_timeout_s": options["cell_timeout"],
            "notebook_timeout_s": options["timeout"],
        }
        limits = SandboxLimits.from_dict(overrides)
        try:
            graded = grade_with_feedback(
                source,
                submission,
                executor=sandboxed_executor(),
                limits=limits,
                allow_unsandboxed=settings.GRADING_ALLOW_UNSANDBOXED,
            )
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
        self.stdout.write(
            _("Total: %(total)g / %(max)g")
            % {
                "total": result.total,
                "max": result.max_total,
            }
        )
