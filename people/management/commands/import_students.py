"""`manage.py import_students COHORT_CODE FILE.csv`: the CSV import of the web page, for
scripts and for files too large to upload. Thin: find the cohort, read the file, call
`people.imports.student_import`, report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.imports import student_import
from people.models import Cohort


class Command(BaseCommand):
    help = gettext_lazy(
        "Import students into a cohort from a CSV file (UTF-8; header: username, first_name, "
        "last_name[, email]). Every row is checked first; if any row is broken, nothing is "
        "imported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "cohort_code", help=gettext_lazy("The cohort's code, for example baku-6-9a.")
        )
        parser.add_argument("file", type=Path, help=gettext_lazy("The CSV file to import."))

    def handle(self, *args, cohort_code: str, file: Path, **options):
        cohort = Cohort.objects.select_related("institution").filter(code=cohort_code).first()
        if cohort is None:
            examples = list(Cohort.objects.order_by("code").values_list("code", flat=True)[:3])
            if examples:
                raise CommandError(
                    _("No cohort with code '%(code)s'. Known codes look like: %(examples)s.")
                    % {"code": cohort_code, "examples": ", ".join(examples)}
                )
            raise CommandError(
                _("No cohort with code '%(code)s'. There are no cohorts yet.")
                % {"code": cohort_code}
            )
        try:
            data = file.read_bytes()
        except FileNotFoundError as exc:
            raise CommandError(_("No file at %(path)s.") % {"path": file}) from exc
        except IsADirectoryError as exc:
            raise CommandError(_("%(path)s is a folder, not a file.") % {"path": file}) from exc
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": file, "reason": exc.strerror}
            ) from exc

        result = student_import(cohort=cohort, data=data)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("Nothing was imported into %(cohort)s: %(count)d problem(s) found.")
                % {"cohort": cohort.code, "count": len(result.errors)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported into %(cohort)s: %(created)d new accounts, %(added)d existing "
                    "accounts added, %(unchanged)d already in the cohort."
                )
                % {
                    "cohort": cohort.code,
                    "created": result.created,
                    "added": result.added,
                    "unchanged": result.unchanged,
                }
            )
        )
