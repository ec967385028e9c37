"""Students' drafts of an exercise: the answers typed in the browser, saved as they type.

One `ExerciseDraft` per student and exercise holds `{grade_id: source}` for the answer
cells, as a submission from the browser sends them. The exercise page shows the draft
(on any device) unless a submission was handed in after it was last saved (an upload from
Jupyter, say): then that submission's answers. Resetting deletes the draft, and the page
shows the released notebook again. A draft is never graded; a submission keeps its own
copy of the notebook. Same rights as submitting: an enrolled student of a ready exercise
(the interfaces check `access.may_submit`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Exercise, ExerciseDraft, Submission
from .notebook.metadata import CellKind, nbgrader_metadata
from .selectors import last_answers

MAX_DRAFT_BYTES = 1024 * 1024  # all answers together, as UTF-8


class DraftRefused(Exception):
    """Answers that cannot be stored as a draft; the message is for the student."""

    def __init__(self, message: str, code: str = "draft_refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def original_answers(*, exercise: Exercise) -> dict[str, str]:
    """The answer cells of the released notebook, as the student first received them."""
    answers = {}
    for cell in (exercise.student_notebook or {}).get("cells", []):
        meta = nbgrader_metadata(cell)
        if meta.grade_id and meta.kind in (CellKind.ANSWER, CellKind.MANUAL_ANSWER):
            source = cell.get("source", "")
            answers[meta.grade_id] = "".join(source) if isinstance(source, list) else source
    return answers


def draft_get(*, exercise: Exercise, student) -> ExerciseDraft | None:
    return ExerciseDraft.objects.filter(exercise=exercise, student=student).first()


def check_answers(*, exercise: Exercise, answers) -> dict[str, str]:
    """The answers if they may be a draft of `exercise`; DraftRefused saying why if not:
    not an object of texts, a cell the exercise does not have as an answer cell, a text no
    database can hold (NUL, a lone surrogate), or more than MAX_DRAFT_BYTES together."""
    if not isinstance(answers, dict):
        raise DraftRefused(_("The answers must be an object: {grade_id: source}."), "invalid")
    if any(not isinstance(source, str) for source in answers.values()):
        raise DraftRefused(_("Each answer must be text."), "invalid")
    unknown = sorted(set(answers) - set(original_answers(exercise=exercise)))
    if unknown:
        raise DraftRefused(
            _("These are not answer cells of this exercise: %(ids)s.")
            % {"ids": ", ".join(unknown)[:500].encode("utf-8", "replace").decode()},
            "unknown_cells",
        )
    size = 0
    for source in answers.values():
        try:
            size += len(source.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the JSON)
            size = -1
        if size < 0 or "\x00" in source:
            raise DraftRefused(_("An answer holds characters that are not text."), "invalid")
    if size > MAX_DRAFT_BYTES:
        raise DraftRefused(
            _("The answers are too large to keep as a draft (at most %(size)s MB together).")
            % {"size": f"{MAX_DRAFT_BYTES / (1024 * 1024):g}"},
            "too_large",
        )
    return dict(answers)


def draft_save(*, exercise: Exercise, student, answers) -> ExerciseDraft:
    """Store `answers` as the student's draft of `exercise`, replacing the previous one.

    Raises DraftRefused (nothing stored) for answers `check_answers` refuses."""
    answers = check_answers(exercise=exercise, answers=answers)
    for _attempt in range(2):  # two first saves at once: one creates, the other updates
        try:
            with transaction.atomic():
                draft, _created = ExerciseDraft.objects.update_or_create(
                    exercise=exercise, student=student, defaults={"answers": answers}
                )
            return draft
        except IntegrityError:
            continue
    raise DraftRefused(_("The draft could not be saved; please try again."), "conflict")


def draft_delete(*, exercise: Exercise, student) -> bool:
    """Forget the student's draft ("Reset to the original"); whether there was one."""
    deleted, _per_model = ExerciseDraft.objects.filter(exercise=exercise, student=student).delete()
    return bool(deleted)


def answers_to_show(*, exercise: Exercise, student, latest: Submission | None) -> dict[str, str]:
    """What the exercise page prefills the answer cells with: the draft, unless the latest
    submission was handed in after it was saved; missing cells show the released text."""
    answers = last_answers(submission=latest)
    draft = draft_get(exercise=exercise, student=student) if student.is_authenticated else None
    if draft is not None and (latest is None or draft.updated_at >= latest.submitted_at):
        known = original_answers(exercise=exercise)
        answers.update(
            {k: v for k, v in draft.answers.items() if k in known and isinstance(v, str)}
        )
    return answers
