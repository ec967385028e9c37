"""Reads of the courses app: enrolments, a student's dashboard, a cohort's progress and
quiz statistics, the catalogue and search. (What the course and lesson pages show their
reader is read in page_selectors.py.)

Pages that list students run a fixed number of queries however many students there are
(tests/courses pin them): every function here fetches each kind of row once and joins
in Python.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from cms.pagecache import PAGES
from cms.translation import active_language, canonical_page, in_language, url_in_language
from curricula.models import Competence, CurriculumPage
from evidence.models import CompetenceEvidence
from lms.cache import Namespace, PerId
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
    latest quiz results, and the skill profile. A fixed number of queries; the courses'
    titles, addresses and lessons come from their cached outlines (`course_outline`).
    (The latest graded exercises are grading's: its dashboard section merges them in.)"""
    now = timezone.now()
    enrolments = list(
        Enrolment.objects.filter(student=user, course__live=True)
        .order_by("enrolled_at")
        .values_list("course_id", "assignment__due_at")
    )
    outlines = {course_id: course_outline_of(course_id) for course_id, _due in enrolments}
    last_activity = dict(
        CourseProgress.objects.filter(student=user).values_list("course_id", "last_activity_at")
    )
    lesson_progress = list(
        LessonProgress.objects.filter(student=user)
        .order_by("-quiz_answered_at")
        .values_list("lesson_id", "completed_at", "quiz_answered_at", "quiz_score", "quiz_passed")
    )
    completed = {row[0] for row in lesson_progress if row[1]}
    quiz_rows = [row for row in lesson_progress if row[2]][:recent]
    links = {lesson.pk: lesson for outline in outlines.values() for lesson in outline.lessons}
    elsewhere = {row[0] for row in quiz_rows} - links.keys()  # not a live lesson of a course
    if elsewhere:
        links.update(_links(list(LessonPage.objects.filter(pk__in=elsewhere))))

    cards = []
    for course_id, due in enrolments:
        lessons = outlines[course_id].lessons
        done = sum(lesson.pk in completed for lesson in lessons)
        total = len(lessons)
        cards.append(
            CourseCard(
                course=outlines[course_id].course,
                percent=done * 100 // total if total else 0,
                lessons_completed=done,
                lessons_total=total,
                due_at=due,
                overdue=bool(due and due < now and done < total),
                last_activity_at=last_activity.get(course_id),
                next_lesson=next((x for x in lessons if x.pk not in completed), None),
            )
        )
    far = timezone.make_aware(datetime(9999, 1, 1))
    cards.sort(key=lambda c: (c.percent == 100, c.due_at or far, c.course.title))
    results = [
        RecentResult(
            kind="quiz",
            title=links[lesson_id].title,
            url=links[lesson_id].url,
            percent=round((score or 0) * 100),
            passed=passed,
            at=answered_at,
        )
        for lesson_id, _completed_at, answered_at, score, passed in quiz_rows
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


# A cohort (with its institution) and its courses, the same for every teacher: cached until
# a cohort, an institution, an assignment (receivers.on_cohort_courses_changed) or any page
# (PAGES, part of the key) changes.
COHORT_COURSES = Namespace("courses:cohort-courses")


def cohort_with_courses(*, pk: int) -> tuple[Cohort, list[CourseAssignment]] | None:
    """The cohort and its `cohort_assignments`, None when there is no such cohort."""

    def read():
        cohort = Cohort.objects.select_related("institution").filter(pk=pk).first()
        return None if cohort is None else (cohort, _cohort_assignments(cohort))

    return COHORT_COURSES.get_or_set((pk, PAGES.version(), active_language()), read)


def cohort_assignments(*, cohort: Cohort) -> list[CourseAssignment]:
    """The cohort's live courses, each with its `link` in the reader's language (cached)."""
    found = cohort_with_courses(pk=cohort.pk)
    return found[1] if found is not None else []


def _cohort_assignments(cohort: Cohort) -> list[CourseAssignment]:
    assignments = list(
        CourseAssignment.objects.filter(cohort=cohort, course__live=True)
        .select_related("course")
        .order_by(F("starts_at").asc(nulls_last=True), "course__title")
    )
    for assignment in assignments:
        shown = course_outline(assignment.course).shown
        assignment.link = PageLink(assignment.course_id, shown.title, shown.url)
    return assignments


@dataclass(frozen=True)
class CourseOutline:
    course: PageLink  # the original course (its id), as the reader's language shows it
    lessons: tuple[PageLink, ...]  # its live lessons in order (the originals' ids)
    shown: PageLink  # the page asked for (its id), as the reader's language shows it


def course_outline(course: CoursePage) -> CourseOutline:
    """A course's title, address and live lessons in the reader's language; the same for
    every reader, so cached (cms.pagecache.PAGES) until any page changes."""
    return PAGES.get_or_set(
        ("course-outline", course.pk, active_language()), lambda: _course_outline(course)
    )


def course_outline_of(course_id: int) -> CourseOutline:
    """`course_outline` of the course with this id, under the same key: its page is read
    only when the outline is not cached."""
    return PAGES.get_or_set(
        ("course-outline", course_id, active_language()),
        lambda: _course_outline(CoursePage.objects.get(pk=course_id)),
    )


def _course_outline(course: CoursePage) -> CourseOutline:
    original = canonical_page(course)
    lessons = _lessons_of([original])[original.pk]
    links = _links([course, original, *lessons])
    return CourseOutline(
        course=links[original.pk],
        lessons=tuple(links[lesson.pk] for lesson in lessons),
        shown=links[course.pk],
    )


@dataclass(frozen=True)
class StudentName:
    pk: int
    username: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ProgressCell:
    status: str  # "completed", "visited" or "not_started"
    quiz_percent: int | None


@dataclass(frozen=True)
class ProgressRow:
    student: StudentName
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
    key: str = ""  # the cache's key of the rows, when they came from it (or went in)

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


# The two reads of `cohort_progress`, in SQL: the ORM took several times longer to build
# them than the database to answer them, on a page every teacher reloads during a lesson.
# The cohort's students (by name) with their last activity in the course:
_COHORT_STUDENTS_SQL = f"""
    SELECT u.id, u.username, u.first_name, u.last_name, cp.last_activity_at
    FROM {Membership._meta.db_table} m
    JOIN {User._meta.db_table} u ON u.id = m.user_id
    LEFT JOIN {CourseProgress._meta.db_table} cp ON cp.student_id = u.id AND cp.course_id = %s
    WHERE m.cohort_id = %s AND m.role = %s
    ORDER BY u.last_name, u.first_name, u.username
"""  # noqa: S608 - table names from the models, values as parameters
# Each lesson summary of theirs in the course: its status (as `ProgressCell.status`) and
# quiz score.
_COHORT_LESSONS_SQL = f"""
    SELECT lp.student_id, lp.lesson_id,
        CASE WHEN lp.completed_at IS NOT NULL THEN 'completed'
            WHEN lp.first_visited_at IS NOT NULL THEN 'visited'
            ELSE 'not_started' END,
        lp.quiz_score
    FROM {LessonProgress._meta.db_table} lp
    WHERE lp.course_id = %s AND lp.student_id IN (
        SELECT m.user_id FROM {Membership._meta.db_table} m WHERE m.cohort_id = %s AND m.role = %s
    )
"""  # noqa: S608 - table names from the models, values as parameters


def _cohort_progress_rows(cohort_id: int, course_id: int) -> tuple[list[tuple], list[tuple]]:
    params = [course_id, cohort_id, Role.STUDENT.value]
    with connection.cursor() as cursor:
        cursor.execute(_COHORT_STUDENTS_SQL, params)
        students = cursor.fetchall()
        cursor.execute(_COHORT_LESSONS_SQL, params)
        lessons = cursor.fetchall()
    # the last activity as the ORM reads it (aware, whatever the database)
    column = CourseProgress._meta.get_field("last_activity_at").get_col("cp")
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    if converters:
        converted = []
        for *student, activity in students:
            for converter in converters:
                activity = converter(activity, column, connection)
            converted.append((*student, activity))
        students = converted
    return students, lessons


# What a cohort's progress page reads (its students' rows in a course), cached per cohort
# until one of its students' progress or the cohort's roster changes
# (`cohort_progress_changed`), or any cohort's (a course's lessons recounted). The pace
# (expected percent, who is behind) is worked out per request: it moves with the clock.
COHORT_PROGRESS = PerId("courses:cohort-progress")
EVERY_COHORT_PROGRESS = Namespace("courses:every-cohort-progress")
COHORT_PROGRESS_SECONDS = 3600


def cohort_progress_changed(*, cohort_ids=(), student_ids=()) -> None:
    """What the progress pages of these cohorts (and of the cohorts of these students)
    show changed: progress, a name, a member."""
    ids = set(cohort_ids)
    if student_ids:
        ids.update(
            Membership.objects.filter(
                user_id__in=set(student_ids), role=Role.STUDENT, cohort__isnull=False
            ).values_list("cohort_id", flat=True)
        )
    COHORT_PROGRESS.renew(*ids)


def _measure(cohort_id: int, course_id: int, lesson_ids: tuple[int, ...]) -> list[tuple]:
    """(student, cells, lessons completed, percent, last activity) of each student."""
    students, progress = _cohort_progress_rows(cohort_id, course_id)
    cells: dict[tuple[int, int], ProgressCell] = {}
    shared: dict[tuple[str, int | None], ProgressCell] = {}  # equal cells are one object
    for student_id, lesson_id, status, score in progress:
        key = (status, round(score * 100) if score is not None else None)
        cell = shared.get(key)
        if cell is None:
            cell = shared[key] = ProgressCell(*key)
        cells[(student_id, lesson_id)] = cell
    untouched = ProgressCell("not_started", None)
    measured = []
    for pk, username, first_name, last_name, activity in students:
        row_cells = tuple(cells.get((pk, lesson_id), untouched) for lesson_id in lesson_ids)
        done = sum(cell.status == "completed" for cell in row_cells)
        percent = done * 100 // len(lesson_ids) if lesson_ids else 0
        student = StudentName(pk, username, first_name, last_name)
        measured.append((student, row_cells, done, percent, activity))
    return measured


def cohort_progress(
    *, cohort: Cohort, course: CoursePage, assignment: CourseAssignment | None = None
) -> CohortProgress:
    """Students x lessons of one course: what each completed, quiz scores, who is behind.
    No query while cached, else two whatever the cohort's size (one more without
    `assignment`, the cohort's assignment of the course when the caller has it); the
    course's outline is cached."""
    outline = course_outline(course)
    course_id = outline.course.pk
    now = timezone.now()
    if assignment is None or (assignment.cohort_id, assignment.course_id) != (
        cohort.pk,
        course_id,
    ):
        assignment = CourseAssignment.objects.filter(cohort=cohort, course_id=course_id).first()
    lesson_ids = tuple(lesson.pk for lesson in outline.lessons)
    parts = (
        cohort.pk,
        COHORT_PROGRESS.version(cohort.pk),
        EVERY_COHORT_PROGRESS.version(),
        course_id,
        hashlib.sha256(repr(lesson_ids).encode()).hexdigest()[:16],  # the outline's lessons
    )
    key = ":".join(map(str, ("courses:cohort-progress", *parts)))
    measured = cache.get(key)
    if measured is None:
        measured = _measure(cohort.pk, course_id, lesson_ids)
        cache.set(key, measured, COHORT_PROGRESS_SECONDS)
    average = round(sum(m[3] for m in measured) / len(measured)) if measured else 0
    expected = _expected_percent(assignment, now)

    def is_behind(percent: int) -> bool:
        if percent == 100:
            return False
        if expected == 100:  # past the due date and not finished
            return True
        if expected is not None:
            return percent + BEHIND_MARGIN < expected
        return percent + BEHIND_WITHOUT_DATES <= average

    rows = tuple(
        ProgressRow(student, row_cells, done, percent, activity, is_behind(percent))
        for student, row_cells, done, percent, activity in measured
    )
    return CohortProgress(
        cohort=cohort,
        course=outline.course,
        assignment=assignment,
        lessons=outline.lessons,
        rows=rows,
        expected_percent=expected,
        average_percent=average,
        key=f"{key}:{expected}:{average}",  # who is behind follows from these two
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
