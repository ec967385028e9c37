"""Import a question bank (Moodle XML or GIFT, as Moodle exports them) into a lesson.

    python manage.py import_questions FILE --lesson LESSON --competence digcomp:1.1
        [--level 2] [--title "Check yourself"] [--pass-percent 60] [--publish] [--dry-run]

The understood questions become one new quiz at the end of the lesson, saved as a draft
revision (published with --publish). Every question is listed first: what it became, and
why a question was skipped. --dry-run lists and saves nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses import selectors, services
from courses.questionbank import QuestionBankError, question_bank_read


class Command(BaseCommand):
    help = "Import a Moodle XML or GIFT question bank as a new quiz of a lesson."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--lesson", required=True, help="The lesson page's id or slug.")
        parser.add_argument(
            "--competence",
            required=True,
            help="FRAMEWORK:CODE (the framework's slug or kind), e.g. digcomp:1.1",
        )
        parser.add_argument("--level", type=int, default=1)
        parser.add_argument("--title", default="")
        parser.add_argument("--pass-percent", type=int, default=60)
        parser.add_argument("--publish", action="store_true")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        lesson = selectors.lesson_by_reference(options["lesson"])
        if lesson is None:
            raise CommandError(
                _("No lesson with the id or slug “%(ref)s”.") % {"ref": options["lesson"]}
            )
        competence = selectors.competence_by_reference(options["competence"])
        if competence is None:
            raise CommandError(
                _("No competence “%(ref)s”; give FRAMEWORK:CODE, e.g. digcomp:1.1.")
                % {"ref": options["competence"]}
            )
        try:
            bank = question_bank_read(path.read_bytes(), filename=path.name)
        except QuestionBankError as exc:
            raise CommandError(exc.message) from None
        for question in bank.questions:
            line = (
                f"  {question.number:>3}. [{question.kind}] {question.prompt.splitlines()[0][:70]}"
            )
            self.stdout.write(line)
            for note in question.notes:
                self.stdout.write(f"       {note}")
        for skipped in bank.skipped:
            name = f" {skipped.name}:" if skipped.name else ""
            self.stdout.write(
                f"  {skipped.number:>3}. " + _("skipped") + f"{name} {skipped.reason}"
            )
        summary = _("%(ok)d questions understood, %(skipped)d skipped.") % {
            "ok": len(bank.questions),
            "skipped": len(bank.skipped),
        }
        if options["dry_run"]:
            self.stdout.write(summary + " " + _("Nothing was saved (--dry-run)."))
            return
        try:
            outcome = services.lesson_questions_import(
                lesson=lesson,
                bank=bank,
                competence=competence,
                level=options["level"],
                user=None,
                title=options["title"],
                pass_percent=options["pass_percent"],
                publish=options["publish"],
            )
        except services.QuestionImportRefused as exc:
            raise CommandError(exc.message) from None
        state = _("published") if outcome.published else _("saved as a draft")
        self.stdout.write(
            self.style.SUCCESS(
                summary
                + " "
                + _("A quiz of %(count)d questions was added to “%(lesson)s” (%(state)s).")
                % {"count": outcome.questions, "lesson": lesson.title, "state": state}
            )
        )
