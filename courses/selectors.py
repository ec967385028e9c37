"""Reads of the courses app: enrolments, a student's dashboard, a cohort's progress and
quiz statistics, the catalogue and search. (What the course and lesson pages show their
reader is read in page_selectors.py.)

Pages that list students run a fixed number of queries however many students there are
(tests/courses pin them): every function here fetches each kind of row once and joins
in Python.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from cms.translation import active_language, canonical_page, in_language, url_in_language
from curricula.models import Competence, CurriculumPage
from evidence.models import CompetenceEvidence
from people import access as people_access
from people.models import Cohort, Membership, Role, User

from .models import (
    CourseAssignment,
    CoursePage,
    CourseProgress,
    Enrolment,
    LessonPage,
    LessonProgress,
    QuizAttempt,
)
from .quiz import SHORT, quizzes_in, short_answer_matches


def enrolled_course_ids(*, user: User) -> QuerySet:
    return Enrolment.objects.filter(student=user).values("course_id")


def taught_course_ids(*, user: User) -> QuerySet:
    """Courses assigned to a cohort the user teaches or administers."""
    return CourseAssignment.objects.filter(
        cohort__in=people_access.managed_cohorts(user).values("pk")
    ).values("course_id")


def cohort_course_ids(*, cohort: Cohort) -> QuerySet:
    return CourseAssignment.objects.filter(cohort=cohort).values("course_id")


def student_courses(*, user: User) -> QuerySet[CoursePage]:
    return CoursePage.objects.live().filter(pk__in=enrolled_course_ids(user=user))


# ---------------------------------------------------------------------------------------
# Links to pages in the reader's language
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLink:
    pk: int  # the original page's id
    title: str  # in the reader's language when translated
    url: str


def _links(pages: list[Page]) -> dict[int, PageLink]:
    shown = in_language(pages)
    return {
        pk: PageLink(pk=pk, title=page.title, url=url_in_language(page))
        for pk, page in shown.items()
    }


def _lessons_of(courses: list[CoursePage]) -> dict[int, list[LessonPage]]:
    """Live lessons of each course, in order, in one query."""
    if not courses:
        return {}
    condition = Q()
    for course in courses:
        condition |= Q(path__startswith=course.path, depth=course.depth + 1)
    by_course: dict[int, list[LessonPage]] = {c.pk: [] for c in courses}
    prefixes = {course.path: course.pk for course in courses}
    for lesson in LessonPage.objects.live().filter(condition).order_by("path"):
        by_course[prefixes[lesson.path[: -LessonPage.steplen]]].append(lesson)
    return by_course


# ---------------------------------------------------------------------------------------
# The student's dashboard
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseCard:
    course: PageLink
    percent: int
    lessons_completed: int
    lessons_total: int
    due_at: datetime | None
    overdue: bool
    last_activity_at: datetime | None
    next_lesson: PageLink | None  # the first lesson not completed yet


@dataclass(frozen=True)
class RecentResult:
    kind: str  # "quiz" or "exercise"
    title: str
    url: str
    percent: int | None
    passed: bool
    at: datetime


@dataclass(frozen=True)
class SkillBar:
    competence_id: int
    code: str
    name: str
    framework: str
    percent: int  # mean score of the evidence
    level: int | None  # highest level shown with a fully right answer or cell
    evidence: int  # how many questions and cells count


@dataclass
class StudentDashboard:
    courses: list[CourseCard] = field(default_factory=list)
    next_step: CourseCard | None = None
    recent: list[RecentResult] = field(default_factory=list)
    skills: list[SkillBar] = field(default_factory=list)


def skill_profile(*, user: User) -> list[SkillBar]:
    """The student's competences with evidence: two queries."""
    rows = list(
        CompetenceEvidence.objects.filter(student=user)
        .values("competence")
        .annotate(
            mean=Avg("score"),
            n=Count("pk"),
            top=Max("level", filter=Q(score__gte=0.999)),
        )
    )
    by_competence = {row["competence"]: row for row in rows}
    bars = []
    # the frameworks' own order: DigComp areas first, then UNESCO dimensions
    for competence in Competence.objects.filter(pk__in=by_competence):
        row = by_competence[competence.pk]
        bars.append(
            SkillBar(
                competence_id=competence.pk,
                code=competence.code,
                name=competence.name,
                framework=competence.area.framework.name,
                percent=round((row["mean"] or 0) * 100),
                level=row["top"],
                evidence=row["n"],
            )
        )
    return bars


def student_dashboard(*, user: User, recent: int = 6) -> StudentDashboard:
    """Assigned and self-chosen courses with progress, due dates and the next step, the
    latest quiz results, and the skill profile. A fixed number of queries. (The latest
    graded exercises are grading's: its dashboard section merges them in.)"""
    now = timezone.now()
    enrolments = list(
        Enrolment.objects.filter(student=user, course__live=True)
        .select_related("course", "assignment")
        .order_by("enrolled_at")
    )
    courses = [e.course for e in enrolments]
    lessons_by_course = _lessons_of(courses)
    progress = {p.course_id: p for p in CourseProgress.objects.filter(student=user)}
    lesson_progress = list(
        LessonProgress.objects.filter(student=user)
        .select_related("lesson")
        .order_by("-quiz_answered_at")
    )
    completed = {lp.lesson_id for lp in lesson_progress if lp.completed_at}
    quiz_rows = [lp for lp in lesson_progress if lp.quiz_answered_at][:recent]
    all_pages = courses + [lesson for ls in lessons_by_course.values() for lesson in ls]
    all_pages += [lp.lesson for lp in quiz_rows]
    links = _links(all_pages)

    cards = []
    for enrolment in enrolments:
        course = enrolment.course
        lessons = lessons_by_course.get(course.pk, [])
        done = sum(lesson.pk in completed for lesson in lessons)
        total = len(lessons)
        summary = progress.get(course.pk)
        due = enrolment.assignment.due_at if enrolment.assignment else None
        next_lesson = next((lesson for lesson in lessons if lesson.pk not in completed), None)
        cards.append(
            CourseCard(
                course=links[course.pk],
                percent=done * 100 // total if total else 0,
                lessons_completed=done,
                lessons_total=total,
                due_at=due,
                overdue=bool(due and due < now and done < total),
                last_activity_at=summary.last_activity_at if summary else None,
                next_lesson=links[next_lesson.pk] if next_lesson else None,
            )
        )
    far = timezone.make_aware(datetime(9999, 1, 1))
    cards.sort(key=lambda c: (c.percent == 100, c.due_at or far, c.course.title))
    results = [
        RecentResult(
            kind="quiz",
            title=links[lp.lesson_id].title,
            url=links[lp.lesson_id].url,
            percent=round((lp.quiz_score or 0) * 100),
            passed=lp.quiz_passed,
            at=lp.quiz_answered_at,
        )
        for lp in quiz_rows
    ]
    results.sort(key=lambda r: r.at, reverse=True)
    return StudentDashboard(
        courses=cards,
        next_step=next((c for c in cards if c.next_lesson is not None), None),
        recent=results[:recent],
        skills=skill_profile(user=user),
    )


# ---------------------------------------------------------------------------------------
# Teachers: a cohort's courses, progress and quiz statistics
# ---------------------------------------------------------------------------------------


def cohort_assignments(*, cohort: Cohort) -> list[CourseAssignment]:
    assignments = list(
        CourseAssignment.objects.filter(cohort=cohort, course__live=True)
        .select_related("course")
        .order_by(F("starts_at").asc(nulls_last=True), "course__title")
    )
    links = _links([a.course for a in assignments])
    for assignment in assignments:
        assignment.link = links[assignment.course_id]
    return assignments


def _students(cohort: Cohort) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(cohort=cohort, role=Role.STUDENT)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]


@dataclass(frozen=True)
class ProgressCell:
    status: str  # "completed", "visited" or "not_started"
    quiz_percent: int | None


@dataclass(frozen=True)
class ProgressRow:
    student: User
    cells: tuple[ProgressCell, ...]
    completed: int
    percent: int
    last_activity_at: datetime | None
    behind: bool


@dataclass(frozen=True)
class CohortProgress:
    cohort: Cohort
    course: PageLink
    assignment: CourseAssignment | None
    lessons: tuple[PageLink, ...]
    rows: tuple[ProgressRow, ...]
    expected_percent: int | None  # where the pace of the assignment says students should be
    average_percent: int

    @property
    def behind_count(self) -> int:
        return sum(row.behind for row in self.rows)


BEHIND_MARGIN = 10  # percentage points below the expected pace before a student is "behind"
BEHIND_WITHOUT_DATES = 30  # without dates: this many points below the cohort's average


def _expected_percent(assignment: CourseAssignment | None, now) -> int | None:
    if assignment is None or assignment.due_at is None:
        return None
    start = assignment.starts_at or assignment.created_at
    if now >= assignment.due_at:
        return 100
    if now <= start or assignment.due_at <= start:
        return 0
    return int(100 * (now - start) / (assignment.due_at - start))


def cohort_progress(*, cohort: Cohort, course: CoursePage) -> CohortProgress:
    """Students x lessons of one course: what each completed, quiz scores, who is behind.
    Seven queries, whatever the cohort's size."""
    course = canonical_page(course)
    now = timezone.now()
    assignment = CourseAssignment.objects.filter(cohort=cohort, course=course).first()
    lessons = _lessons_of([course])[course.pk]
    students = _students(cohort)
    student_ids = Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values("user_id")
    cells = {
        (lp.student_id, lp.lesson_id): lp
        for lp in LessonProgress.objects.filter(course=course, student__in=student_ids)
    }
    summaries = {
        cp.student_id: cp
        for cp in CourseProgress.objects.filter(course=course, student__in=student_ids)
    }
    links = _links([course, *lessons])
    rows = []
    for student in students:
        row_cells = []
        done = 0
        for lesson in lessons:
            lp = cells.get((student.pk, lesson.pk))
            if lp is not None and lp.completed_at:
                status = "completed"
                done += 1
            elif lp is not None and lp.first_visited_at:
                status = "visited"
            else:
                status = "not_started"
            quiz = (
                round(lp.quiz_score * 100) if lp is not None and lp.quiz_score is not None else None
            )
            row_cells.append(ProgressCell(status, quiz))
        summary = summaries.get(student.pk)
        rows.append(
            ProgressRow(
                student=student,
                cells=tuple(row_cells),
                completed=done,
                percent=done * 100 // len(lessons) if lessons else 0,
                last_activity_at=summary.last_activity_at if summary else None,
                behind=False,
            )
        )
    average = round(statistics.mean(r.percent for r in rows)) if rows else 0
    expected = _expected_percent(assignment, now)

    def is_behind(row: ProgressRow) -> bool:
        if row.percent == 100:
            return False
        if expected == 100:  # past the due date and not finished
            return True
        if expected is not None:
            return row.percent + BEHIND_MARGIN < expected
        return row.percent + BEHIND_WITHOUT_DATES <= average

    rows = [
        ProgressRow(r.student, r.cells, r.completed, r.percent, r.last_activity_at, is_behind(r))
        for r in rows
    ]
    return CohortProgress(
        cohort=cohort,
        course=links[course.pk],
        assignment=assignment,
        lessons=tuple(links[lesson.pk] for lesson in lessons),
        rows=tuple(rows),
        expected_percent=expected,
        average_percent=average,
    )


@dataclass(frozen=True)
class ChoiceStats:
    text: str
    correct: bool
    chosen: int  # students whose latest answer includes it


@dataclass(frozen=True)
class QuestionStats:
    number: int
    prompt: str
    kind: str
    competence: str
    level: int
    answered: int  # students who answered
    correct_first: int  # right at the first try
    correct_now: int  # right at their latest answer
    attempts: int  # answers given, all tries
    choices: tuple[ChoiceStats, ...]
    numeric_answer: float | None
    numeric_median: float | None  # of the latest numeric answers

    @property
    def correct_percent(self) -> int | None:
        return self.correct_now * 100 // self.answered if self.answered else None


@dataclass(frozen=True)
class LessonQuizStats:
    lesson: PageLink
    quiz_title: str
    questions: tuple[QuestionStats, ...]


def quiz_statistics(*, cohort: Cohort, course: CoursePage) -> list[LessonQuizStats]:
    """How a cohort answered each quiz question of a course: first-try and latest
    correctness, and which choices were picked. Answers are shown: this is for teachers."""
    course = canonical_page(course)
    lessons = _lessons_of([course])[course.pk]
    student_ids = Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values("user_id")
    first: dict[tuple[int, str], bool] = {}
    latest: dict[tuple[int, str], QuizAttempt] = {}
    attempts: Counter = Counter()
    for attempt in QuizAttempt.objects.filter(
        lesson__in=[lesson.pk for lesson in lessons], student__in=student_ids
    ).order_by("answered_at", "pk"):
        key = (attempt.student_id, attempt.question_id)
        first.setdefault(key, attempt.is_correct)
        latest[key] = attempt
        attempts[attempt.question_id] += 1
    shown = in_language(lessons)
    competence_ids = set()
    quizzes_by_lesson = {}
    for lesson in lessons:
        quizzes = quizzes_in(shown[lesson.pk].body.raw_data)
        quizzes_by_lesson[lesson.pk] = quizzes
        competence_ids |= {q.competence_id for quiz in quizzes for q in quiz.questions}
    competences = Competence.objects.in_bulk([c for c in competence_ids if c])
    by_question: dict[str, list[QuizAttempt]] = defaultdict(list)
    firsts: dict[str, list[bool]] = defaultdict(list)
    for (_student, question_id), attempt in latest.items():
        by_question[question_id].append(attempt)
    for (_student, question_id), correct in first.items():
        firsts[question_id].append(correct)
    result = []
    for lesson in lessons:
        page = shown[lesson.pk]
        for quiz in quizzes_by_lesson[lesson.pk]:
            questions = []
            for q in quiz.questions:
                answers = by_question.get(q.id, [])
                if q.kind == SHORT:  # how many latest answers each accepted answer matched
                    chosen = Counter(
                        c.id
                        for a in answers
                        for c in q.choices
                        if a.answer and short_answer_matches(c.text, str(a.answer[0]))
                    )
                else:
                    chosen = Counter(choice for a in answers for choice in a.answer)
                numbers = [float(a.answer[0]) for a in answers if q.kind == "numeric" and a.answer]
                competence = competences.get(q.competence_id)
                questions.append(
                    QuestionStats(
                        number=q.number,
                        prompt=q.prompt,
                        kind=q.kind,
                        competence=f"{competence.code} {competence.name}" if competence else "",
                        level=q.level,
                        answered=len(answers),
                        correct_first=sum(firsts.get(q.id, [])),
                        correct_now=sum(a.is_correct for a in answers),
                        attempts=attempts[q.id],
                        choices=tuple(
                            ChoiceStats(c.text, c.correct, chosen[c.id]) for c in q.choices
                        ),
                        numeric_answer=q.answer if q.kind == "numeric" else None,
                        numeric_median=statistics.median(numbers) if numbers else None,
                    )
                )
            result.append(
                LessonQuizStats(
                    lesson=PageLink(lesson.pk, page.title, url_in_language(page)),
                    quiz_title=quiz.title,
                    questions=tuple(questions),
                )
            )
    return result


@dataclass(frozen=True)
class TaughtCohortCourses:
    cohort: Cohort
    assignments: list[CourseAssignment]


def taught_cohort_courses(*, user: User) -> list[TaughtCohortCourses]:
    """For the teacher's dashboard: each taught cohort with its assigned courses (3 queries)."""
    cohorts = list(
        people_access.taught_cohorts(user).select_related("institution").order_by("name")
    )
    assignments = list(
        CourseAssignment.objects.filter(cohort__in=[c.pk for c in cohorts], course__live=True)
        .select_related("course")
        .order_by(F("starts_at").asc(nulls_last=True), "course__title")
    )
    links = _links([a.course for a in assignments])
    by_cohort = defaultdict(list)
    for assignment in assignments:
        assignment.link = links[assignment.course_id]
        by_cohort[assignment.cohort_id].append(assignment)
    return [TaughtCohortCourses(c, by_cohort.get(c.pk, [])) for c in cohorts]


# ---------------------------------------------------------------------------------------
# Catalogue and search
# ---------------------------------------------------------------------------------------


def catalogue(*, track: str = "", language: str = "") -> list[CoursePage]:
    """Live courses, each once (the original of its translation group), with its track."""
    courses = CoursePage.objects.live().public().order_by("path")
    if language:
        courses = courses.filter(language=language)
    courses = list(courses)
    originals = []
    seen = set()
    for course in sorted(courses, key=lambda c: c.pk):
        if course.translation_key not in seen:
            seen.add(course.translation_key)
            originals.append(course)
    tracks = _tracks_of(originals)
    result = []
    for course in sorted(originals, key=lambda c: c.path):
        course.track = tracks.get(course.pk, "")
        if not track or course.track == track:
            result.append(course)
    return result


def _tracks_of(courses: list[CoursePage]) -> dict[int, str]:
    parent_paths = {c.path[: -CoursePage.steplen] for c in courses}
    tracks = dict(CurriculumPage.objects.filter(path__in=parent_paths).values_list("path", "track"))
    return {c.pk: tracks.get(c.path[: -CoursePage.steplen], "") for c in courses}


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "course" or "lesson"
    title: str
    url: str
    summary: str
    course_title: str  # for a lesson: its course
    track: str
    language: str  # the course's language of instruction


def search(*, query: str, track: str = "", language: str = "", limit: int = 30) -> list[SearchHit]:
    """Courses and lessons matching `query` (Wagtail search, database backend), one hit per
    translation group, in the reader's language where translated; filtered by the course's
    track and language of instruction."""
    query = (query or "").strip()
    if not query:
        return []
    reader = active_language()
    pages = list(
        Page.objects.live()
        .public()
        .type(CoursePage, LessonPage)
        .select_related("locale")
        .specific()
        .search(query, operator="and")[: limit * 4]
    )
    by_key: dict = {}
    for page in pages:  # best rank first; prefer the reader's language within a group
        current = by_key.get(page.translation_key)
        if current is None or (
            page.locale.language_code == reader and current.locale.language_code != reader
        ):
            by_key[page.translation_key] = page
    hits = list(by_key.values())
    course_paths = {
        p.path if isinstance(p, CoursePage) else p.path[: -LessonPage.steplen] for p in hits
    }
    courses = {c.path: c for c in CoursePage.objects.filter(path__in=course_paths)}
    tracks = _tracks_of(list(courses.values()))
    course_shown = in_language(list(courses.values()), reader)
    result = []
    for page in hits:
        course_path = (
            page.path if isinstance(page, CoursePage) else page.path[: -LessonPage.steplen]
        )
        course = courses.get(course_path)
        if course is None:
            continue
        course_track = tracks.get(course.pk, "")
        if (track and course_track != track) or (language and course.language != language):
            continue
        is_course = isinstance(page, CoursePage)
        result.append(
            SearchHit(
                kind="course" if is_course else "lesson",
                title=page.title,
                url=url_in_language(page, reader),
                summary=page.summary if is_course else page.introduction,
                course_title="" if is_course else course_shown[course.pk].title,
                track=course_track,
                language=course.language,
            )
        )
    return result[:limit]


def lesson_by_reference(reference: str) -> LessonPage | None:
    """A lesson page by its id, or by its slug when only one lesson has it."""
    reference = reference.strip()
    if reference.isdigit():
        return LessonPage.objects.filter(pk=int(reference)).first()
    found = list(LessonPage.objects.filter(slug=reference)[:2])
    return found[0] if len(found) == 1 else None


def competence_by_reference(reference: str) -> Competence | None:
    """FRAMEWORK:CODE, the framework named by its slug or its kind (digcomp:1.1)."""
    framework, _sep, code = reference.partition(":")
    if not code:
        return None
    found = list(
        Competence.objects.filter(
            Q(area__framework__slug=framework.strip()) | Q(area__framework__kind=framework.strip()),
            code=code.strip(),
        )[:2]
    )
    return found[0] if len(found) == 1 else None
