"""Write the student version of a source notebook (solutions and hidden tests removed).

python manage.py release SOURCE.ipynb OUT.ipynb
"""

from pathlib import Path

import nbformat
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grading.notebook.errors import NotebookError
from grading.notebook.metadata import parse_source
from grading.notebook.release import release

from .grade import read_file


class Command(BaseCommand):
    help = "Write the student version of SOURCE.ipynb to OUT.ipynb."

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument("out")

    def handle(self, *args, **options):
        source = read_file(options["source"], _("Source notebook"))
        try:
            parse_source(source)
            student = release(source)
        except NotebookError as exc:
            raise CommandError(_("Source notebook: %(error)s") % {"error": exc}) from exc
        out = Path(options["out"])
        if out.resolve() == Path(options["source"]).resolve():
            raise CommandError(_("OUT must differ from SOURCE: the source keeps the solutions."))
        try:
            out.write_text(nbformat.writes(student), encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": out, "error": exc.strerror}
            ) from exc
        self.stdout.write(_("Student version written to %(path)s") % {"path": out})
