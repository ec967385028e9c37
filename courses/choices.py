"""The fixed choices of course and lesson pages, apart from the pages so that the publish
checks (validation.py) can name them without importing the page classes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseLevel(models.TextChoices):
    """How much a course expects of its students (DigComp's bands, without the top one)."""

    FOUNDATION = "foundation", _("Foundation")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CompletionRule(models.TextChoices):
    """When a lesson counts as completed for a student."""

    READ = "read", _("Read: the student marks it as read")
    QUIZ = "quiz", _("Quiz passed: every quiz of the lesson reaches its pass mark")
    EXERCISE = (
        "exercise",
        _(
            "Exercise passed: every notebook exercise passes its auto-graded tests "
            "(or its pass mark)"
        ),
    )
