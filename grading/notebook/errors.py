"""The one exception the pipeline raises about a notebook a person gave us."""

from __future__ import annotations


class NotebookError(ValueError):
    """A notebook cannot be used, for reasons the person who uploaded it can fix.

    Each problem is a plain sentence shown to teachers and students as it is, in the
    language active where it was raised (see `grading.notebook.i18n`), so it names cells
    by their ``grade_id`` and never carries a traceback. Validation collects every problem
    at once: a teacher fixing a notebook should not have to upload it five times to learn
    about five mistakes.
    """

    def __init__(self, *problems: str) -> None:
        if not problems:
            raise TypeError("NotebookError needs at least one problem")
        self.problems: tuple[str, ...] = problems
        super().__init__("\n".join(problems))
