"""Import an existing nbgrader course's source assignments as exercises.

    python manage.py import_nbgrader COURSE_DIR [--course SLUG] [--validate-now]

Every `COURSE_DIR/source/<assignment>/<notebook>.ipynb` becomes an exercise with the slug
`<assignment>-<notebook>`, with the assignment's data files: every other file in the
assignment folder and its subfolders (not notebooks, not hidden files), as nbgrader
releases them. Importing again updates the exercises whose notebook or files changed.
A notebook that cannot be an exercise (its kernel names no installed runtime, its files
are too large...) is reported and skipped; the others are imported.
"""

from functools import cache
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from courses.models import CoursePage
from grading import services
from grading.datafiles import DataFilesRefused, folder_files
from grading.models import Exercise
from grading.notebook.errors import NotebookError


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()[:200] or fallback
    return fallback


class Command(BaseCommand):
    help = "Import COURSE_DIR/source/*/*.ipynb (an nbgrader course) as notebook exercises."

    def add_arguments(self, parser):
        parser.add_argument("course_dir")
        parser.add_argument("--course", help="slug of the CoursePage the exercises belong to")
        parser.add_argument(
            "--validate-now",
            action="store_true",
            help="check each notebook in the sandbox now instead of on a grading worker",
        )

    def handle(self, *args, **options):
        root = Path(options["course_dir"])
        source_dir = root / "source"
        if not source_dir.is_dir():
            raise CommandError(
                _("%(path)s is not an nbgrader course: it has no source/ folder.") % {"path": root}
            )
        course = None
        if options["course"]:
            course = CoursePage.objects.filter(slug=options["course"]).first()
            if course is None:
                raise CommandError(
                    _("No course with slug '%(slug)s'.") % {"slug": options["course"]}
                )

        notebooks = sorted(source_dir.glob("*/*.ipynb"))
        notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
        if not notebooks:
            raise CommandError(_("No notebooks found under %(path)s.") % {"path": source_dir})
        imported = failed = 0
        labels = {
            services.ImportOutcome.CREATED: pgettext("import outcome", "created"),
            services.ImportOutcome.UPDATED: pgettext("import outcome", "updated"),
            services.ImportOutcome.UNCHANGED: pgettext("import outcome", "unchanged"),
        }
        assignment_files = cache(folder_files)  # read once for all the folder's notebooks
        for path in notebooks:
            assignment = path.parent.name
            slug = slugify(f"{assignment}-{path.stem}")[:80]
            # an exercise imported before keeps the runtime a teacher chose for it
            chosen = Exercise.objects.filter(slug=slug).values_list("runtime", flat=True).first()
            try:
                checked = services.exercise_source_check(path.read_bytes(), runtime=chosen or "")
                files = assignment_files(path.parent)
                exercise, outcome = services.exercise_import(
                    slug=slug,
                    checked=checked,
                    filename=path.name,
                    title=_title(checked.notebook, f"{assignment}: {path.stem}"),
                    course=course,
                    queue_check=not options["validate_now"],
                    files=files,
                )
            except (NotebookError, DataFilesRefused, OSError) as exc:
                failed += 1
                self.stderr.write(
                    _("skipped    %(path)s:") % {"path": path.relative_to(root).as_posix()}
                )
                problems = [exc.strerror or exc] if isinstance(exc, OSError) else exc.problems
                for problem in problems:
                    self.stderr.write(f"           - {problem}")
                continue
            imported += 1
            self.stdout.write(f"{labels[outcome]:<10} {slug}")
            if files and outcome != services.ImportOutcome.UNCHANGED:
                self.stdout.write(f"           {_('data files')}: {', '.join(sorted(files))}")
            if options["validate_now"] and outcome != services.ImportOutcome.UNCHANGED:
                exercise = services.exercise_validate(exercise_id=exercise.pk)
                self.stdout.write(f"           {exercise.get_status_display()}")
                for problem in exercise.validation_report.get("problems", []):
                    self.stdout.write(f"           - {problem}")
        self.stdout.write(
            ngettext(
                "%(imported)d notebook imported, %(failed)d skipped.",
                "%(imported)d notebooks imported, %(failed)d skipped.",
                imported,
            )
            % {"imported": imported, "failed": failed}
        )
        if failed:
            raise CommandError(_("Some notebooks were skipped; see the reasons above."))
