"""Reads behind the course and lesson pages themselves: what a page shows its reader.

`CoursePage.get_context` and `LessonPage.get_context` call one function here each. These
reads know the records (records.py) and the page tree, never the page classes, so the
pages can call them without a cycle (models -> page_selectors -> access, records);
every other read of the app is in selectors.py, which knows the page classes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page

from cms.pagecache import PAGES, cacheable
from cms.translation import active_language, canonical_page, in_language, url_in_language
from people import panels
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
    quiz: Quiz, latest: dict[str, tuple], counts: Counter, right: set[str]
) -> QuizState:
    states = []
    for question in quiz.questions:
        attempt = latest.get(question.id)  # (answer, is_correct) of the last answer
        used = counts[question.id]
        states.append(
            QuestionState(
                question=question.public(),
                answered=attempt is not None,
                is_correct=bool(attempt and attempt[1]),
                last_answer=attempt[0] if attempt else (),
                explanation=question.explanation
                if quiz.may_explain(used=used, answered_right=question.id in right)
                else "",
                attempts=used,
                attempts_left=quiz.attempts_left(used),
            )
        )
    return QuizState(quiz.id, quiz.title, quiz.pass_percent, tuple(states), quiz.max_attempts)


@dataclass(frozen=True)
class ReaderWork:
    """What one reader did in one lesson, as its page shows it: cached per reader until
    their work changes (people.panels.student_work_cached; an enrolment, progress or an
    answer retires it, opening a lesson does not)."""

    enrolled: bool  # in the lesson's (original) course
    completed: bool
    attempts: tuple[
        tuple[str, tuple[str, ...], bool], ...
    ]  # (question, answer, right), oldest first


def reader_work(*, user: User, lesson_id: int, course_id: int) -> ReaderWork:
    """`lesson_id`, `course_id`: the originals (`lesson_refs`). No query while cached; else
    one for the enrolment and, for an enrolled student, one for the progress and one for
    the answers."""

    def read() -> ReaderWork:
        if not Enrolment.objects.filter(student=user, course_id=course_id).exists():
            return ReaderWork(enrolled=False, completed=False, attempts=())
        completed = LessonProgress.objects.filter(
            student=user, lesson_id=lesson_id, completed_at__isnull=False
        ).exists()
        attempts = tuple(
            (question_id, tuple(str(v) for v in answer), is_correct)
            for question_id, answer, is_correct in QuizAttempt.objects.filter(
                student=user, lesson_id=lesson_id
            )
            .order_by("answered_at", "pk")
            .values_list("question_id", "answer", "is_correct")
        )
        return ReaderWork(enrolled=True, completed=completed, attempts=attempts)

    if not user.is_authenticated:
        return ReaderWork(enrolled=False, completed=False, attempts=())
    return panels.student_work_cached(user.pk, ("lesson", lesson_id, course_id), read)


@dataclass
class LessonState:
    completed: bool
    quizzes: dict[str, QuizState]  # by quiz block id
    enrolled: bool


def lesson_state(
    *, user: User, lesson: Page, enrolled: bool, work: ReaderWork | None = None
) -> LessonState:
    """What a lesson page shows its reader: quizzes without answers, and for an enrolled
    student their last answers, feedback and progress. `work`: the reader's, when the
    caller has it (`reader_work`), read here otherwise."""
    quizzes = quizzes_in(lesson.body.raw_data)
    latest: dict[str, tuple] = {}
    counts: Counter = Counter()
    right: set[str] = set()  # questions answered right at least once
    if enrolled and work is None:
        refs = lesson_refs(lesson)
        work = reader_work(user=user, lesson_id=refs.lesson.pk, course_id=refs.course.pk)
    if enrolled and work is not None:
        for question_id, answer, is_correct in work.attempts:
            latest[question_id] = (answer, is_correct)
            counts[question_id] += 1
            if is_correct:
                right.add(question_id)
    return LessonState(
        completed=bool(enrolled and work is not None and work.completed),
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
        user=request.user,
        lesson=lesson,
        enrolled=enrolled,
        work=getattr(request, "lesson_reader_work", None),
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


def _body_item(request, lesson: Page, state: LessonState, part: tuple) -> SafeString:
    """A part of the body as this reader sees it: a quiz with their state, an exercise with
    their panel."""
    if part[0] == "html":
        return part[1]
    if part[0] == "quiz":
        quiz = state.quizzes.get(part[1])
        return _quiz_html(request, lesson, quiz, state.enrolled) if quiz is not None else part[2]
    block = lesson.body.stream_block.child_blocks["exercise"]
    value = block.to_python(part[2] or {})
    return SafeString(block.render(value, context={"request": request, "page": lesson}))


_CSRF_MARK = "csrfmark0b6f1e9a7c"  # where the reader's CSRF token goes in a cached quiz
QUIZ_HTML_SECONDS = 3600  # a state nobody has any more goes soon


def _quiz_html(request, lesson: Page, quiz: QuizState, enrolled: bool) -> SafeString:
    """A quiz as its reader sees it. It is a function of the quiz, the reader's state in it
    and the language, and readers share states (nothing answered yet, everything right at
    the first try), so each state is drawn once and cached with the pages (retired by any
    page change); the reader's own CSRF token is filled in."""

    def draw() -> str:
        context = {
            "quiz": quiz,
            "page": lesson,
            "lesson_state": {"enrolled": enrolled},
            "csrf_token": _CSRF_MARK,
        }
        return render_to_string("courses/blocks/quiz.html", context)

    if not cacheable(request):
        html = draw()
    else:
        state = hashlib.sha256(repr((quiz, enrolled)).encode()).hexdigest()[:32]
        parts = ("quiz-html", lesson.pk, active_language(), state)
        html = PAGES.get_or_set(parts, draw, QUIZ_HTML_SECONDS, local=True)
    return mark_safe(html.replace(_CSRF_MARK, get_token(request)))  # noqa: S308 - drawn here
