"""Reads behind the course and lesson pages themselves: what a page shows its reader.

`CoursePage.get_context` and `LessonPage.get_context` call one function here each. These
reads know the records (records.py) and the page tree, never the page classes, so the
pages can call them without a cycle (models -> page_selectors -> access, records);
every other read of the app is in selectors.py, which knows the page classes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page

from cms.pagecache import PAGES
from cms.translation import active_language, canonical_page, in_language, url_in_language
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


def lesson_state(
    *, user: User, lesson: Page, enrolled: bool, original_id: int | None = None
) -> LessonState:
    """What a lesson page shows its reader: quizzes without answers, and for an enrolled
    student their last answers, feedback and progress (one query for the progress, one
    for the answers when the lesson has quizzes). `original_id`: the original lesson's
    id when the caller knows it (`lesson_refs`)."""
    quizzes = quizzes_in(lesson.body.raw_data)
    latest: dict[str, QuizAttempt] = {}
    counts: Counter = Counter()
    right: set[str] = set()  # questions answered right at least once
    progress = None
    if enrolled:
        if original_id is None:
            original_id = canonical_page(lesson).pk
        progress = LessonProgress.objects.filter(student=user, lesson_id=original_id).first()
        if quizzes:
            attempts = QuizAttempt.objects.filter(student=user, lesson_id=original_id)
            for attempt in attempts.order_by("answered_at", "pk"):
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


@dataclass(frozen=True)
class PageRef:
    """A page as the records and statements name it, without loading it."""

    pk: int
    title: str
    language_code: str


@dataclass(frozen=True)
class LessonRefs:
    lesson: PageRef  # the original lesson: progress and attempts point at it
    course: PageRef  # the original course


def _ref(page: Page) -> PageRef:
    return PageRef(page.pk, page.title, page.locale.language_code)


def lesson_refs(lesson: Page) -> LessonRefs:
    """The original lesson and course of a (maybe translated) lesson; cached until a page
    changes (cms.pagecache)."""

    def read() -> LessonRefs:
        original = canonical_page(lesson)
        course = canonical_page(original.get_parent().specific)
        return LessonRefs(_ref(original), _ref(course))

    return PAGES.get_or_set(("lesson-refs", lesson.pk), read, local=True)


@dataclass(frozen=True)
class LessonFrame:
    """What a lesson page shows every reader, in one language: its course, neighbours and
    body. The body is a list of parts: ("html", rendered blocks), ("quiz", block id,
    rendered fallback) and ("exercise", block id, raw value), the last two drawn per
    reader (`lesson_page`)."""

    refs: LessonRefs
    course_title: str
    course_url: str
    placed: bool  # among the live lessons of its course (a draft being previewed is not)
    previous: tuple[str, str] | None  # (title, address in the reader's language)
    next: tuple[str, str] | None
    body: tuple[tuple, ...]


def _lesson_frame(lesson: Page) -> LessonFrame:
    course = lesson.get_parent().specific
    refs = lesson_refs(lesson)
    original = (
        type(lesson).objects.get(pk=refs.lesson.pk) if refs.lesson.pk != lesson.pk else lesson
    )
    siblings = list(type(original).objects.sibling_of(original).live().public())
    shown = in_language(siblings)
    here = next((i for i, sibling in enumerate(siblings) if sibling.pk == original.pk), None)
    before = after = None
    if here is not None:
        if here > 0:
            page = shown[siblings[here - 1].pk]
            before = (page.title, url_in_language(page))
        if here + 1 < len(siblings):
            page = shown[siblings[here + 1].pk]
            after = (page.title, url_in_language(page))
    return LessonFrame(
        refs=refs,
        course_title=course.title,
        course_url=url_in_language(course),
        placed=here is not None,
        previous=before,
        next=after,
        body=_body_parts(lesson),
    )


def _body_parts(lesson: Page) -> tuple[tuple, ...]:
    """The body's blocks rendered, but quizzes and exercises (the reader's own state), in
    order; only the blocks rendered are read (a quiz's competences are not)."""
    parts: list[tuple] = []
    html: list[str] = []
    body = lesson.body
    for index, raw in enumerate(body.raw_data):
        kind = raw.get("type")
        # a quiz in a draft whose block has no id yet (a preview) is shown as it stands
        if kind not in ("quiz", "exercise") or (kind == "quiz" and not body[index].id):
            html.append(body[index].render())
            continue
        if html:
            parts.append(("html", mark_safe("".join(html))))  # noqa: S308 - rendered blocks
            html = []
        if kind == "quiz":
            block = body[index]
            parts.append(("quiz", str(block.id), block.render()))
        else:
            parts.append(("exercise", str(raw.get("id") or ""), raw.get("value")))
    if html:
        parts.append(("html", mark_safe("".join(html))))  # noqa: S308 - rendered blocks
    return tuple(parts)


def lesson_frame(lesson: Page, *, preview: bool = False) -> LessonFrame:
    """The lesson's frame in the reader's language: cached until a page changes, except
    for a preview (a draft), which is drawn and never cached."""
    if preview:
        return _lesson_frame(lesson)
    return PAGES.get_or_set(
        ("lesson-frame", lesson.pk, active_language()), lambda: _lesson_frame(lesson), local=True
    )


def lesson_page(*, request, lesson: Page, enrolled: bool) -> dict:
    """A lesson page's context: its course, the previous and next lessons of the original
    course in the reader's language (the frame, shared by every reader), the reader's quiz
    state and progress, and the body with each quiz's student view (no answers) and each
    exercise's panel for this reader."""
    preview = bool(getattr(request, "is_preview", False))
    frame = lesson_frame(lesson, preview=preview)
    state = lesson_state(
        user=request.user, lesson=lesson, enrolled=enrolled, original_id=frame.refs.lesson.pk
    )
    context = {
        "course": {"title": frame.course_title},
        "course_url": frame.course_url,
        "lesson_state": state,
        "body_items": [_body_item(request, lesson, state, part) for part in frame.body],
    }
    if frame.placed:
        context["previous_lesson"] = {"title": frame.previous[0]} if frame.previous else None
        context["previous_url"] = frame.previous[1] if frame.previous else ""
        context["next_lesson"] = {"title": frame.next[0]} if frame.next else None
        context["next_url"] = frame.next[1] if frame.next else ""
    return context


def _body_item(request, lesson: Page, state: LessonState, part: tuple) -> tuple:
    """(html, quiz state): a quiz with its reader's state is drawn by the template."""
    if part[0] == "html":
        return part[1], None
    if part[0] == "quiz":
        quiz = state.quizzes.get(part[1])
        return (None, quiz) if quiz is not None else (part[2], None)
    block = lesson.body.stream_block.child_blocks["exercise"]
    value = block.to_python(part[2] or {})
    return SafeString(block.render(value, context={"request": request, "page": lesson})), None
