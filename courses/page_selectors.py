"""Reads behind the course and lesson pages themselves: what a page shows its reader.

`CoursePage.get_context` and `LessonPage.get_context` call one function here each. These
reads know the records (records.py) and the page tree, never the page classes, so the
pages can call them without a cycle (models -> page_selectors -> access, records);
every other read of the app is in selectors.py, which knows the page classes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from wagtail.models import Page

from cms.translation import canonical_page, in_language, url_in_language
from people.models import User

from . import access
from .quiz import PublicQuestion, Quiz, quizzes_in
from .records import CourseProgress, Enrolment, LessonProgress, QuizAttempt

# ---------------------------------------------------------------------------------------
# A student's lesson
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionState:
    question: PublicQuestion
    answered: bool
    is_correct: bool
    last_answer: tuple  # choice ids, or (number,)
    explanation: str  # only once the quiz allows it (Quiz.may_explain)
    attempts: int
    attempts_left: int | None  # None: no limit

    @property
    def closed(self) -> bool:
        """No attempt left: the question is shown, not answered any more."""
        return self.attempts_left == 0


@dataclass(frozen=True)
class QuizState:
    id: str
    title: str
    pass_percent: int
    questions: tuple[QuestionState, ...]
    max_attempts: int | None  # checks per question; None: no limit

    @property
    def open_questions(self) -> int:
        return sum(not q.closed for q in self.questions)

    @property
    def answered(self) -> int:
        return sum(q.answered for q in self.questions)

    @property
    def correct(self) -> int:
        return sum(q.is_correct for q in self.questions)

    @property
    def percent(self) -> int:
        return self.correct * 100 // len(self.questions) if self.questions else 0

    @property
    def passed(self) -> bool:
        return bool(self.questions) and self.correct * 100 >= self.pass_percent * len(
            self.questions
        )


def _quiz_state(
    quiz: Quiz, latest: dict[str, QuizAttempt], counts: Counter, right: set[str]
) -> QuizState:
    states = []
    for question in quiz.questions:
        attempt = latest.get(question.id)
        used = counts[question.id]
        states.append(
            QuestionState(
                question=question.public(),
                answered=attempt is not None,
                is_correct=bool(attempt and attempt.is_correct),
                last_answer=tuple(str(v) for v in attempt.answer) if attempt else (),
                explanation=question.explanation
                if quiz.may_explain(used=used, answered_right=question.id in right)
                else "",
                attempts=used,
                attempts_left=quiz.attempts_left(used),
            )
        )
    return QuizState(quiz.id, quiz.title, quiz.pass_percent, tuple(states), quiz.max_attempts)


@dataclass
class LessonState:
    progress: LessonProgress | None
    quizzes: dict[str, QuizState]  # by quiz block id
    enrolled: bool


def lesson_state(*, user: User, lesson: Page, enrolled: bool) -> LessonState:
    """What a lesson page shows its reader: quizzes without answers, and for an enrolled
    student their last answers, feedback and progress."""
    quizzes = quizzes_in(lesson.body.raw_data)
    latest: dict[str, QuizAttempt] = {}
    counts: Counter = Counter()
    right: set[str] = set()  # questions answered right at least once
    progress = None
    if enrolled:
        original = canonical_page(lesson)
        progress = LessonProgress.objects.filter(student=user, lesson=original).first()
        if quizzes:
            for attempt in QuizAttempt.objects.filter(student=user, lesson=original).order_by(
                "answered_at", "pk"
            ):
                latest[attempt.question_id] = attempt
                counts[attempt.question_id] += 1
                if attempt.is_correct:
                    right.add(attempt.question_id)
    return LessonState(
        progress=progress,
        quizzes={quiz.id: _quiz_state(quiz, latest, counts, right) for quiz in quizzes},
        enrolled=enrolled,
    )


# ---------------------------------------------------------------------------------------
# A course page
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseOutline:
    enrolled: bool
    progress: CourseProgress | None
    completed_lesson_ids: frozenset[int]  # original lesson ids
    lesson_originals: dict[int, int]  # shown lesson pk -> original lesson pk


def course_outline(*, user: User, course: Page, lessons: list[Page]) -> CourseOutline:
    original = canonical_page(course)
    if not user.is_authenticated:
        return CourseOutline(False, None, frozenset(), {})
    enrolled = Enrolment.objects.filter(student=user, course=original).exists()
    originals = {}
    if lessons:
        first_of = dict(
            Page.objects.filter(translation_key__in=[lesson.translation_key for lesson in lessons])
            .order_by("-pk")
            .values_list("translation_key", "pk")
        )  # ordered by -pk: the last one written per key is the lowest pk, the original
        originals = {
            lesson.pk: first_of.get(lesson.translation_key, lesson.pk) for lesson in lessons
        }
    completed = frozenset()
    progress = None
    if enrolled:
        completed = frozenset(
            LessonProgress.objects.filter(
                student=user, course=original, completed_at__isnull=False
            ).values_list("lesson_id", flat=True)
        )
        progress = CourseProgress.objects.filter(student=user, course=original).first()
    return CourseOutline(enrolled, progress, completed, originals)


# ---------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------


def course_page(*, user: User, course: Page) -> dict:
    """A course page's context: the original course's lessons, each in the reader's
    language and marked when the student completed it; the reader's enrolment and
    progress; the course's competences and prerequisites; whether the reader may enrol
    themselves, or only sees the outline (`access.reads_outline_only`), and the cohorts
    they may assign the course to."""
    original = canonical_page(course)
    lessons = list(original.get_children().live().public().specific())
    shown = in_language(lessons)
    outline = course_outline(user=user, course=course, lessons=lessons)
    outline_only = not outline.enrolled and access.reads_outline_only(user)
    return {
        "lessons": [
            {
                "page": shown[lesson.pk],
                "url": url_in_language(shown[lesson.pk]),
                "completed": lesson.pk in outline.completed_lesson_ids,
            }
            for lesson in lessons
        ],
        "outline": outline,
        "competences": original.competences.all(),
        "prerequisites": course.prerequisites.live().public(),
        "may_self_enrol": not outline.enrolled
        and not outline_only
        and access.may_self_enrol(user, original),
        "outline_only": outline_only,
        "assign_cohorts": list(access.assignable_cohorts(user)) if user.is_authenticated else [],
        "original": original,
    }


def lesson_page(*, user: User, lesson: Page, enrolled: bool) -> dict:
    """A lesson page's context: its course, the previous and next lessons of the original
    course in the reader's language, the reader's quiz state and progress, and the body's
    blocks with each quiz's student view (no answers)."""
    context = {}
    course = lesson.get_parent().specific
    original = canonical_page(lesson)
    # neighbours among the original course's lessons, in the reader's language
    siblings = list(type(original).objects.sibling_of(original).live().public())
    shown = in_language(siblings)
    here = next((i for i, sibling in enumerate(siblings) if sibling.pk == original.pk), None)
    context["course"] = course
    context["course_url"] = url_in_language(course)
    if here is not None:  # a draft being previewed has no place among live lessons yet
        before = shown[siblings[here - 1].pk] if here > 0 else None
        after = shown[siblings[here + 1].pk] if here + 1 < len(siblings) else None
        context["previous_lesson"] = before
        context["previous_url"] = url_in_language(before) if before else ""
        context["next_lesson"] = after
        context["next_url"] = url_in_language(after) if after else ""
    state = lesson_state(user=user, lesson=lesson, enrolled=enrolled)
    context["lesson_state"] = state
    # quizzes render from their student view (no answers), everything else as usual
    context["body_items"] = [
        (block, state.quizzes.get(block.id) if block.block_type == "quiz" else None)
        for block in lesson.body
    ]
    return context
