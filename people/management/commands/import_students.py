"""`manage.py import_students COHORT_CODE FILE.csv`: the CSV import of the web page, for
scripts and for files too large to upload. Thin: find the cohort, read the file, call
`people.imports.student_import`, report.

Whoever runs it has the server (platform staff), yet it follows the rule of the web page:
an existing username is matched only to a member of the cohort's institution, as if an
admin of that institution imported the file, so a mistyped or borrowed username cannot
pull somebody else's account into the cohort. Moving a student of another institution
takes `--allow-transfer`, which reaches students only (never teachers, admins, analysts,
staff or superusers, nor accounts without a membership) and logs each move as a warning
on the `people.imports` logger. The student keeps their other memberships; the institution
they came from removes its own.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from people.imports import OUTSIDE_INSTITUTION, student_import
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
        parser.add_argument(
            "--allow-transfer",
            action="store_true",
            help=gettext_lazy(
                "Also add existing students of other institutions to the cohort (students "
                "only, names must match; each move is logged). Without it, a username of "
                "another institution's account is refused."
            ),
        )

    def handle(self, *args, cohort_code: str, file: Path, allow_transfer: bool, **options):
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

        result = student_import(cohort=cohort, data=data, allow_transfer=allow_transfer)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            if any(error.code == OUTSIDE_INSTITUTION for error in result.errors):
                self.stderr.write(
                    _(
                        "To move a student of another institution into this cohort, run the "
                        "command again with --allow-transfer (the move is logged)."
                    )
                )
            raise CommandError(
                ngettext(
                    "Nothing was imported into %(cohort)s: %(count)d problem found.",
                    "Nothing was imported into %(cohort)s: %(count)d problems found.",
                    len(result.errors),
                )
                % {"cohort": cohort.code, "count": len(result.errors)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported into %(cohort)s: %(counts)s.")
                % {"cohort": cohort.code, "counts": result.counts_text()}
            )
        )
        if result.transferred:
            self.stdout.write(
                ngettext(
                    "%(count)d student moved from another institution: %(usernames)s.",
                    "%(count)d students moved from another institution: %(usernames)s.",
                    len(result.transferred),
                )
                % {"count": len(result.transferred), "usernames": ", ".join(result.transferred)}
            )
