"""Is a lesson, or a course with its lessons, ready to publish? The reasons, if not.

The page editor asks these when a page is published, submitted for moderation or
approved (see `PublishCheckedPageForm`); drafts can always be saved.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .choices import CompletionRule
from .quiz import exercise_ids_in, question_problems, quizzes_in


def lesson_problems(*, rule: str, body) -> list[str]:
    """Problems of a lesson's content (`body` is the StreamField's stored JSON)."""
    problems = []
    quizzes = quizzes_in(body)
    for number, quiz in enumerate(quizzes, start=1):
        if not quiz.questions:
            problems.append(_("Quiz %(quiz)d has no question.") % {"quiz": number})
        for question in quiz.questions:
            issues = question_problems(
                kind=question.kind,
                correct_flags=[c.correct for c in question.choices],
                answer=question.answer,
            )
            if issues:
                problems.append(
                    _("Quiz %(quiz)d, question %(question)d has no correct answer: %(why)s")
                    % {"quiz": number, "question": question.number, "why": " ".join(issues)}
                )
            if question.competence_id is None:
                problems.append(
                    _("Quiz %(quiz)d, question %(question)d is not tagged with a competence.")
                    % {"quiz": number, "question": question.number}
                )
    if rule == CompletionRule.QUIZ and not quizzes:
        problems.append(
            _(
                "The lesson is completed by passing its quiz, but it has no quiz. Add one or "
                "change “Completed when”."
            )
        )
    if rule == CompletionRule.EXERCISE and not exercise_ids_in(body):
        problems.append(
            _(
                "The lesson is completed by passing its exercise, but it has no notebook "
                "exercise. Add one or change “Completed when”."
            )
        )
    return problems


def course_problems(course) -> list[str]:
    """Problems of a course's lesson tree: no lesson, or a lesson that is not ready."""
    # a course's children are its lessons (CoursePage.subpage_types), in tree order
    lessons = [] if course.pk is None else list(course.get_children().specific())
    if not lessons:
        return [
            _(
                "A course needs at least one lesson before it can be published. Save it as a "
                "draft, add its lessons, then publish."
            )
        ]
    problems = []
    for lesson in lessons:
        latest = (
            lesson.get_latest_revision_as_object() if lesson.has_unpublished_changes else lesson
        )
        for problem in lesson_problems(rule=latest.completion_rule, body=latest.body.raw_data):
            problems.append(
                _("Lesson “%(lesson)s”: %(problem)s") % {"lesson": latest.title, "problem": problem}
            )
    return problems
