"""Demo courses: the courses of each curriculum with real lessons and quizzes, their az and
ru translations (Wagtail locale copies: titles, summaries and introductions translated),
the courses assigned to the demo cohorts, and some progress for the demo classmates so
the teachers' pages have something to show.

Idempotent: pages are looked up by slug under their parent and created only when
missing; assignments are updated in place; progress is simulated only for classmates
who have none yet. The named demo students (pupil, student, scholar) start fresh.

demo/grading.py attaches its notebook exercises with `attach_exercise(track=...,
exercise=...)`, which puts them in the practice lesson of `course_for_track(track)`, or
with `attach_exercise_to_lesson(course=..., lesson_slug=..., exercise=...)` in a lesson of
another course (`course_by_slug`). A course "shared_with" other tracks (the Data and AI
course) is assigned to their cohorts too, after their own courses.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from courses import services
from courses.models import CompletionRule, CoursePage, LessonPage, LessonProgress
from courses.quiz import quizzes_in
from people.models import Cohort, Membership, Role

from . import curricula
from .content.courses import COURSES
from .content.curricula import CURRICULA
from .pages import block_id, child, competence, translate
from .people import COHORTS

# When each course of a track runs (by its position in the track), for the demo year.
SCHEDULE = [
    ((2026, 9, 15), (2026, 12, 20)),
    ((2026, 11, 1), (2027, 2, 28)),
    ((2027, 1, 15), (2027, 5, 31)),
]


def load() -> None:
    by_track = load_pages()
    if by_track:
        assign_to_cohorts(by_track)
        simulate_classmates(by_track)


def _quiz_block(course_slug: str, lesson_slug: str, quiz: dict) -> dict:
    base = (course_slug, lesson_slug, "quiz")
    questions = []
    for i, q in enumerate(quiz["questions"]):
        framework, code, level = q["competence"]
        qid = block_id(*base, f"q{i}")
        questions.append(
            {
                "type": "item",
                "id": qid,
                "value": {
                    "kind": q["kind"],
                    "prompt": q["prompt"],
                    "choices": [
                        {
                            "type": "item",
                            "id": block_id(qid, f"c{j}"),
                            "value": {"text": text, "correct": j in q.get("correct", [])},
                        }
                        for j, text in enumerate(q.get("choices", []))
                    ],
                    "answer": q.get("answer"),
                    "tolerance": q.get("tolerance", 0),
                    "competence": str(competence(framework, code).pk),
                    "level": level,
                    "explanation": q.get("explanation", ""),
                },
            }
        )
    return {
        "type": "quiz",
        "id": block_id(*base),
        "value": {"title": quiz.get("title", ""), "pass_percent": 60, "questions": questions},
    }


def _course_fields(data: dict) -> dict:
    return {
        "title": data["title"]["en"],
        "summary": data["summary"]["en"],
        "level": data["level"],
        "estimated_hours": data["hours"],
        "language": "en",
        "is_open": data["is_open"],
    }


def _lesson_body(course_slug: str, lesson: dict) -> list[dict]:
    body = [dict(block) for block in lesson["body"]]
    for i, block in enumerate(body):
        block.setdefault("id", block_id(course_slug, lesson["slug"], f"b{i}"))
    if "quiz" in lesson:
        body.append(_quiz_block(course_slug, lesson["slug"], lesson["quiz"]))
    return body


@transaction.atomic
def load_pages() -> dict[str, list[CoursePage]]:
    """The courses and their lessons under the demo curricula (made first when missing);
    returns the (original) courses of each track, in order (shared ones included)."""
    curriculum_pages = curricula.load_pages()
    if not curriculum_pages:
        return {}
    by_track: dict[str, list[CoursePage]] = {}
    for data in COURSES:
        curriculum = curriculum_pages[data["curriculum"]]
        course = child(curriculum, CoursePage, data["slug"], **_course_fields(data))
        if not course.competences.exists():
            course.competences.set([competence(fw, code) for fw, code in data["competences"]])
            course.save_revision().publish()
        translate(course, {"title": data["title"], "summary": data["summary"]})
        for lesson in data["lessons"]:
            page = child(
                course,
                LessonPage,
                lesson["slug"],
                title=lesson["title"]["en"],
                introduction=lesson["introduction"]["en"],
                estimated_minutes=lesson["minutes"],
                completion_rule=lesson["rule"],
                body=json.dumps(_lesson_body(data["slug"], lesson)),
            )
            translate(page, {"title": lesson["title"], "introduction": lesson["introduction"]})
        for track in (curriculum.track, *data.get("shared_with", ())):
            by_track.setdefault(track, []).append(course)
    Site.clear_site_root_paths_cache()
    return by_track


def _teacher_of(cohort: Cohort):
    membership = (
        Membership.objects.filter(cohort=cohort, role=Role.TEACHER).select_related("user").first()
    )
    return membership.user if membership else None


def assign_to_cohorts(by_track: dict[str, list[CoursePage]]) -> int:
    """Every course of a track to every demo cohort of that track, with the year's dates."""
    count = 0
    for cohort in Cohort.objects.all():
        for position, course in enumerate(by_track.get(cohort.track, [])):
            starts, due = SCHEDULE[min(position, len(SCHEDULE) - 1)]
            services.course_assign(
                course=course,
                cohort=cohort,
                assigned_by=_teacher_of(cohort),
                starts_at=timezone.make_aware(datetime(*starts, 8, 0)),
                due_at=timezone.make_aware(datetime(*due, 23, 59)),
            )
            count += 1
    return count


def simulate_classmates(by_track: dict[str, list[CoursePage]]) -> int:
    """Progress in each track's first course for the demo classmates (never for the named
    demo students), so progress pages and quiz statistics show a real spread. Students
    who already have progress in the course are left alone."""
    simulated = 0
    for code, _institution, _name, track, _level, _count in COHORTS:
        courses = by_track.get(track)
        if not courses:
            continue
        course = courses[0]
        lessons = list(LessonPage.objects.child_of(course).live())
        members = Membership.objects.filter(
            cohort__code=code, role=Role.STUDENT, user__username__startswith=f"{code}-s"
        ).select_related("user")
        for i, membership in enumerate(members.order_by("user__username")):
            student = membership.user
            if LessonProgress.objects.filter(student=student, course=course).exists():
                continue
            reached = i % (len(lessons) + 1)  # 0 .. every lesson
            for position, lesson in enumerate(lessons[: reached + 1]):
                services.lesson_visit(student=student, lesson=lesson)
                if position == reached:
                    break  # visited, not completed
                quizzes = quizzes_in(lesson.body.raw_data)
                if lesson.completion_rule == CompletionRule.READ or not quizzes:
                    services.lesson_mark_read(student=student, lesson=lesson)
                    continue
                for quiz in quizzes:
                    answers = {}
                    for n, question in enumerate(quiz.questions):
                        wrong = (i + n) % 4 == 0  # one in four answers wrong at first
                        answers[question.id] = _an_answer(question, right=not wrong)
                    outcome = services.quiz_submit(
                        student=student, lesson=lesson, quiz_id=quiz.id, answers=answers
                    )
                    if not outcome.progress.quiz_passed:
                        retry = {q.id: _an_answer(q, right=True) for q in quiz.questions}
                        services.quiz_submit(
                            student=student, lesson=lesson, quiz_id=quiz.id, answers=retry
                        )
            simulated += 1
    return simulated


def _an_answer(question, *, right: bool) -> list[str]:
    if question.kind == "numeric":
        value = question.answer if right else (question.answer or 0) + 1 + question.tolerance * 2
        return [str(value)]
    correct = [c.id for c in question.choices if c.correct]
    wrong = [c.id for c in question.choices if not c.correct]
    if right or not wrong:
        return correct
    return wrong[:1]


# ---------------------------------------------------------------------------------------
# For demo/grading.py
# ---------------------------------------------------------------------------------------


def _first_course_slug(track: str) -> str:
    tracks = {c["slug"]: c["track"] for c in CURRICULA}
    return next(c["slug"] for c in COURSES if tracks[c["curriculum"]] == track)


def course_for_track(track: str) -> CoursePage | None:
    """The first course of a track (Python or AI, with a practice lesson for a notebook
    exercise): the original page, not a translation. Loads the demo pages if needed."""
    slug = _first_course_slug(track)
    course = CoursePage.objects.filter(slug=slug, locale__language_code="en").order_by("pk").first()
    if course is None:
        load_pages()
        course = (
            CoursePage.objects.filter(slug=slug, locale__language_code="en").order_by("pk").first()
        )
    return course


def course_by_slug(slug: str) -> CoursePage | None:
    """A demo course by its slug: the original page, not a translation. Loads the demo
    pages if needed."""
    pages = CoursePage.objects.filter(slug=slug, locale__language_code="en").order_by("pk")
    if not pages.exists():
        load_pages()
    return pages.first()


def tracks_of_course(slug: str) -> list[str]:
    """The tracks whose cohorts have the demo course `slug`: its curriculum's, and the
    ones it is shared with."""
    tracks = {c["slug"]: c["track"] for c in CURRICULA}
    data = next(c for c in COURSES if c["slug"] == slug)
    return [tracks[data["curriculum"]], *data.get("shared_with", ())]


def practice_lesson_for_track(track: str) -> LessonPage:
    course = course_for_track(track)
    return LessonPage.objects.child_of(course).filter(slug__startswith="practice-").first()


def attach_exercise(*, track: str, exercise) -> LessonPage:
    """Attach a notebook exercise to the track's first course and embed it in the practice
    lesson (and its translations), which is then completed by passing the exercise.
    Idempotent."""
    course = course_for_track(track)
    practice = practice_lesson_for_track(track)
    return attach_exercise_to_lesson(course=course, lesson_slug=practice.slug, exercise=exercise)


@transaction.atomic
def attach_exercise_to_lesson(*, course: CoursePage, lesson_slug: str, exercise) -> LessonPage:
    """Attach a notebook exercise to `course` and embed it in the course's lesson
    `lesson_slug` (and its translations), which is then completed by passing the exercise.
    Idempotent."""
    if exercise.course_id != course.pk:
        exercise.course = course
        exercise.save(update_fields=["course"])
    practice = LessonPage.objects.child_of(course).get(slug=lesson_slug)
    for lesson in LessonPage.objects.filter(translation_key=practice.translation_key):
        body = list(lesson.body.raw_data)
        if not any(
            block.get("type") == "exercise"
            and (block.get("value") or {}).get("exercise") == exercise.pk
            for block in body
        ):
            body.append(
                {
                    "type": "exercise",
                    "id": block_id("exercise", str(lesson.pk), str(exercise.pk)),
                    "value": {"exercise": exercise.pk},
                }
            )
            lesson.body = json.dumps(body)
            lesson.completion_rule = CompletionRule.EXERCISE
            lesson.save_revision().publish()
    return practice
