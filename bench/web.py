"""How fast the platform's pages are under load, as deployed (prints figures; not a test).

    make bench-web          # or: .venv/bin/python bench/web.py [--workers 4] [--duration 10]
                            #   [--clients 8,32] [--warmup 2] [--students 40]
                            #   [--pages lesson,reports] [--keep] [--reuse]

The production stack on this machine: the production settings
(``lms.settings.production``, a random SECRET_KEY, HTTPS behind a proxy: every request
sends ``X-Forwarded-Proto: https``, so SECURE_SSL_REDIRECT stays on and the Secure cookies
are valid), a PostgreSQL database of its own (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_web, dropped and created at the start, dropped at
the end), Redis as cache (and broker) when it answers on 127.0.0.1:6379
(redis://127.0.0.1:6379/7, flushed at the start; CACHE_URL overrides it and is not
flushed), else the per-process local-memory cache; static files collected into a
temporary STATIC_ROOT (the hashed manifest storage needs them).

Data: ``manage.py load_demo`` (the demo country), then one school of it (Baku School
No. 6) scaled to a realistic size: 40 more cohorts of 30 pupils (1,200 students, created
in bulk with one password hash, joined through ``people.services.membership_create``),
taught by the demo teacher, each assigned the courses the demo's 9-A has
(``courses.services.course_assign``). The school track's first course gets lessons added
(copies of the other demo lessons' bodies: text, code, formulas, quizzes; fresh block ids)
until it has 10, each published through a Wagtail revision by the curriculum lead, with
its az and ru translations. Progress is bulk-created as the services would have written it,
with a spread: each cohort at its own pace, each pupil a few lessons ahead or behind, one
in twenty who never started; lesson and course progress, every quiz answer (a quarter
wrong at first, most corrected) and its competence evidence, exercise outcomes. Then
``rebuild_mastery`` fills the ministry's roll-ups.

Load: gunicorn (``lms.wsgi:application``, --workers sync workers, no --max-requests) on a
free port of 127.0.0.1 with the same environment. The bench logs in through the real login
form (CSRF token from the form, POST, the ``sessionid`` cookie) as --students pupils of the
scaled school (one per cohort: a class's pupils open the same lesson, and the API's
per-user throttle, 1,200 requests a minute, would answer one pupil's share with 429s),
the demo teacher and the ministry analyst, checks each page once (200, not the login
form), then drives it with ``wrk`` (2 threads; a Lua script of the bench's own sets the
cookie, one pupil after the other, and counts every answer other than 200) for --duration
seconds at each of --clients connections, after an unmeasured warm-up. CPU per request is
the gunicorn processes' CPU (utime + stime of the master, its live workers and the workers
it reaped, from /proc) over the run divided by the requests wrk completed. PostgreSQL's
and Redis's CPU is not in it; wrk runs on the same cores.

Pages: home (anonymous), the first lesson of the 10-lesson course (text, code, a quiz)
and the student dashboard (pupils), the teacher's progress of a 30-pupil cohort in that
course, ``GET /api/v1/courses/`` and ``GET /api/v1/my-progress/`` (pupils, session
cookie) and the ministry's reports dashboard (analyst).

The table's columns: page, clients, req/s, p50 ms, p95 ms, CPU ms per request (gunicorn),
db ms per request (the CPU of this machine's PostgreSQL and Redis processes, for sizing),
non-200 answers. Then a line with the targets of issue 17 and whether each is met, and last:
`web: lesson <a> req/s (<x> ms CPU), dashboard <b> req/s (<y> ms CPU), cohort progress <c>
req/s (<z> ms CPU), reports <d> req/s (<w> ms CPU); p95 <p> ms`, from the runs at the
most clients (32 by default); <p> is the worst p95 of those four pages there.

--keep keeps the database and the temporary folder; --reuse then skips migrating and
seeding (a kept database of an earlier run) and only collects the static files again
(without --keep it drops the database at the end). --pages drives only some pages.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_web"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
SCHOOL = "baku-school-6"  # the demo school scaled up
MODEL_COHORT = "baku-6-9a"  # whose course assignments the new cohorts get
COHORTS = 40
PUPILS = 30
LESSONS = 10
TEACHER = "teacher"
ANALYST = "analyst"
LEAD = "lead"  # the curriculum lead publishes the added lessons
WRK_THREADS = 2
HOST = "127.0.0.1"

from bench.benchlib import (  # noqa: E402
    database_name,
    drop_database,
    recreate_database,
    say,
    timed,
)

# Issue 17's targets (CPU per request on this machine; p95 at the most clients)
TARGET_CPU_MS = {
    "lesson": 5,
    "dashboard": 5,
    "cohort progress": 8,
    "reports": 8,
    "api courses": 4,
    "api my-progress": 4,
}
TARGET_P95_MS = 150
NAMED = ("lesson", "dashboard", "cohort progress", "reports")  # the last line's pages


# ---------------------------------------------------------------------------------------
# The database, the cache, the environment
# ---------------------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def configure(args, work: Path) -> dict[str, str]:
    """The environment of the bench's own Django and of gunicorn: the production settings."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("bench/web.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    env = {
        "DJANGO_SETTINGS_MODULE": "lms.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        # nothing is mailed while measuring; the SMTP default would need a server
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    cache = os.environ.get("CACHE_URL")
    if cache:
        say(f"Cache: {cache} (CACHE_URL; not flushed)")
        env["CACHE_URL"] = cache
    elif redis_answers(DEFAULT_REDIS):
        env["CACHE_URL"] = DEFAULT_REDIS
        flush_redis(DEFAULT_REDIS)
        say(f"Cache: Redis, {DEFAULT_REDIS} (flushed)")
    else:
        say("Cache: local memory, per process (no Redis on 127.0.0.1:6379)")
    broker = os.environ.get("CELERY_BROKER_URL")
    if broker:
        env["CELERY_BROKER_URL"] = broker
    elif env.get("CACHE_URL") == DEFAULT_REDIS:
        env["CELERY_BROKER_URL"] = DEFAULT_REDIS  # nobody consumes: flushed with the cache
    else:
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_BROKER_FOLDER"] = str(work / "broker")
    os.environ.update(env)
    return env


# ---------------------------------------------------------------------------------------
# Seeding: the demo country, one school of it at a realistic size
# ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    course_id: int
    lesson_path: str  # the driven lesson's URL (English)
    lesson_title: str
    cohort_id: int  # a 30-pupil cohort the teacher teaches
    pupils: list[str]  # usernames of the scaled school's pupils, one per cohort
    counts: dict[str, int] = field(default_factory=dict)


def _fresh_ids(value, salt: str):
    """A copied body with new block ids (stable for the same copy): quizzes' questions and
    choices are blocks too, and answers are keyed by them."""
    from demo.pages import block_id

    if isinstance(value, list):
        return [_fresh_ids(v, salt) for v in value]
    if isinstance(value, dict):
        copy = {k: _fresh_ids(v, salt) for k, v in value.items()}
        if "type" in copy and copy.get("id"):
            copy["id"] = block_id("bench-web", salt, str(value["id"]))
        return copy
    return value


def fill_course(course, lead) -> list:
    """Lessons added to `course` until it has LESSONS live ones: bodies of other demo
    lessons (no exercise blocks: an exercise belongs to one course), published through a
    revision by the curriculum lead, translated into az and ru as the demo's are."""
    from django.db import transaction
    from wagtail.models import Locale, Site

    from courses.models import CompletionRule, LessonPage
    from courses.quiz import quizzes_in
    from demo.pages import translate

    lessons = list(LessonPage.objects.child_of(course).live().order_by("path"))
    english = Locale.objects.get(language_code="en")
    sources = (
        LessonPage.objects.filter(locale=english, alias_of__isnull=True)
        .exclude(pk__in=[lesson.pk for lesson in lessons])
        .order_by("path")
    )
    taken = {lesson.slug for lesson in lessons}
    for source in sources:
        if len(lessons) >= LESSONS:
            break
        body = [b for b in source.body.raw_data if b.get("type") != "exercise"]
        if not body:
            continue
        slug = source.slug if source.slug not in taken else f"{source.slug}-{len(lessons) + 1}"
        taken.add(slug)
        rule = source.completion_rule
        if rule == CompletionRule.EXERCISE or (
            rule == CompletionRule.QUIZ and not quizzes_in(body)
        ):
            rule = CompletionRule.QUIZ if quizzes_in(body) else CompletionRule.READ
        with transaction.atomic():
            page = LessonPage(
                slug=slug,
                title=source.title,
                introduction=source.introduction,
                estimated_minutes=source.estimated_minutes,
                completion_rule=rule,
                body=json.dumps(_fresh_ids(body, slug)),
                owner=lead,
            )
            course.add_child(instance=page)
            page.save_revision(user=lead).publish(user=lead)
        texts = {"title": {}, "introduction": {}}
        for language in ("az", "ru"):
            translation = source.get_translation_or_none(Locale.objects.get(language_code=language))
            texts["title"][language] = translation.title if translation else source.title
            texts["introduction"][language] = (
                translation.introduction if translation else source.introduction
            )
        translate(page, texts)
        lessons.append(page)
    Site.clear_site_root_paths_cache()
    return list(LessonPage.objects.child_of(course).live().order_by("path"))


def scale_school() -> Seeded:
    from django.db import transaction
    from django.utils import timezone

    from courses.models import CourseAssignment
    from courses.services import course_assign
    from demo.courses import course_for_track
    from demo.people import (
        ACADEMIC_YEAR,
        FIRST_NAMES,
        LAST_NAMES,
        _demo_password_hash,
    )
    from people.models import Cohort, Institution, Role, Track, User
    from people.services import membership_create

    school = Institution.objects.get(code=SCHOOL)
    teacher = User.objects.get(username=TEACHER)
    lead = User.objects.get(username=LEAD)
    course = course_for_track(Track.SCHOOL)
    with timed(f"course {course.slug}: lessons added until it has {LESSONS}, published"):
        lessons = fill_course(course, lead)
    if len(lessons) != LESSONS:
        sys.exit(f"the course {course.slug} has {len(lessons)} lessons, not {LESSONS}")

    model = list(
        CourseAssignment.objects.filter(cohort__code=MODEL_COHORT).order_by("starts_at", "pk")
    )
    if course.pk not in {a.course_id for a in model}:
        sys.exit(f"{MODEL_COHORT} is not assigned {course.slug}")
    letters = "ABCDEFGH"
    cohorts = []
    label = f"{COHORTS} cohorts of {PUPILS} pupils (users in bulk, memberships, assignments)"
    with timed(label), transaction.atomic():
        for n in range(COHORTS):
            grade, letter = 5 + n // len(letters), letters[n % len(letters)]
            cohorts.append(
                Cohort.objects.create(
                    institution=school,
                    name=f"{grade}-{letter} (bench)",
                    code=f"bench-{grade}-{letter.lower()}",
                    track=Track.SCHOOL,
                    level="5-9",
                    academic_year=ACADEMIC_YEAR,
                )
            )
        password = _demo_password_hash()  # one hash for every pupil
        users = User.objects.bulk_create(
            User(
                username=f"{cohort.code}-s{i + 1:02d}",
                first_name=FIRST_NAMES[(c * PUPILS + i) % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(c * PUPILS + i) * 7 % len(LAST_NAMES)],
                email=f"{cohort.code}-s{i + 1:02d}@bench.skills.az",
                password=password,
            )
            for c, cohort in enumerate(cohorts)
            for i in range(PUPILS)
        )
        for k, user in enumerate(users):
            membership_create(user=user, role=Role.STUDENT, cohort=cohorts[k // PUPILS])
        for cohort in cohorts:
            membership_create(user=teacher, role=Role.TEACHER, cohort=cohort)
            for a in model:
                course_assign(
                    course=a.course,
                    cohort=cohort,
                    assigned_by=teacher,
                    starts_at=a.starts_at,
                    due_at=a.due_at,
                )
    with timed("progress, quiz answers, evidence (bulk)"):
        counts = simulate_progress(users, lessons, course, now=timezone.now())
    path = lessons[0].get_url_parts()[2]
    pupils = [users[c * PUPILS + logged_in_pupil(c)].username for c in range(COHORTS)]
    return Seeded(
        course_id=course.pk,
        lesson_path=path,
        lesson_title=lessons[0].title,
        cohort_id=cohorts[0].pk,
        pupils=pupils,
        counts=counts,
    )


def never_started(c: int, i: int) -> bool:
    """One pupil in twenty never opened the course."""
    return (i * 11 + c) % 20 == 0


def logged_in_pupil(c: int) -> int:
    """Which pupil of cohort c the bench logs in as: one who started the course."""
    i = (c * 7 + 3) % PUPILS
    return i if not never_started(c, i) else (i + 1) % PUPILS


def simulate_progress(users, lessons, course, *, now) -> dict[str, int]:
    """What the services would have written had the pupils read the lessons and answered
    the quizzes (courses.services.lesson_visit / lesson_mark_read / quiz_submit), in
    bulk: lesson and course progress, every answer, its evidence, exercise outcomes."""
    from courses.models import (
        CompletionRule,
        CourseProgress,
        ExerciseOutcome,
        LessonProgress,
        QuizAttempt,
    )
    from courses.quiz import exercise_ids_in, quizzes_in
    from curricula.models import Competence
    from evidence.models import CompetenceEvidence, EvidenceSource

    known = set(Competence.objects.values_list("pk", flat=True))
    shapes = [
        (lesson, quizzes_in(lesson.body.raw_data), exercise_ids_in(lesson.body.raw_data))
        for lesson in lessons
    ]
    start = now - timedelta(days=80)  # the course began eleven weeks ago
    progress, courses, attempts, evidence, outcomes = [], [], [], [], []
    for k, student in enumerate(users):
        c, i = divmod(k, PUPILS)
        if never_started(c, i):
            continue
        pace = 4 + (c * 3) % 6  # the lesson a cohort is at: 4 .. 9
        reached = max(0, min(LESSONS, pace + (i * 5) % 7 - 3))
        last, completed_lessons = None, 0
        for n, (lesson, quizzes, exercises) in enumerate(shapes[: reached + 1]):
            opened = start + timedelta(days=7 * n, hours=(i * 13 + n * 7) % 96)
            done = opened + timedelta(minutes=20 + (i * 3 + n) % 40)
            completed = n < reached
            row = LessonProgress(
                student=student,
                lesson=lesson,
                course=course,
                first_visited_at=opened,
                last_visited_at=done,
                visits=1 + (i + n) % 3,
            )
            if completed and quizzes:
                latest, answered = {}, done
                for q in quizzes:
                    for m, question in enumerate(q.questions):
                        tries = [(i + m + n) % 4 != 0]  # a quarter wrong at first
                        if not tries[0] and (i + m + n) % 8 != 4:
                            tries.append(True)  # most corrected
                        for t, right in enumerate(tries):
                            at = done + timedelta(minutes=t * 5)
                            attempts.append(_attempt(student, lesson, q, question, right, at))
                            latest[question.id] = (right, at)
                    if sum(latest[x.id][0] for x in q.questions) * 100 < q.pass_percent * len(
                        q.questions
                    ):
                        for question in q.questions:  # checked again until passed
                            if not latest[question.id][0]:
                                at = done + timedelta(minutes=15)
                                attempts.append(_attempt(student, lesson, q, question, True, at))
                                latest[question.id] = (True, at)
                total = sum(len(q.questions) for q in quizzes)
                row.quiz_score = sum(r for r, _at in latest.values()) / total if total else None
                row.quiz_passed = True
                row.quiz_answered_at = max(at for _r, at in latest.values())
                answered = row.quiz_answered_at
                for q in quizzes:
                    for question in q.questions:
                        if question.competence_id in known:
                            right, at = latest[question.id]
                            evidence.append(
                                CompetenceEvidence(
                                    student=student,
                                    competence_id=question.competence_id,
                                    level=question.level,
                                    source=EvidenceSource.QUIZ,
                                    source_key=f"quiz:{lesson.pk}:{question.id}",
                                    score=1.0 if right else 0.0,
                                    recorded_at=at,
                                )
                            )
                done = max(done, answered)
                row.last_visited_at = done
            if completed and exercises:
                row.exercise_passed = True
                outcomes.extend(
                    ExerciseOutcome(student=student, exercise_id=e, passed=True, recorded_at=done)
                    for e in exercises
                )
            if completed and (
                lesson.completion_rule == CompletionRule.READ
                or (lesson.completion_rule == CompletionRule.QUIZ and row.quiz_passed)
                or (lesson.completion_rule == CompletionRule.EXERCISE and row.exercise_passed)
            ):
                row.completed_at = done
                completed_lessons += 1
            progress.append(row)
            last = done
        courses.append(
            CourseProgress(
                student=student,
                course=course,
                lessons_total=LESSONS,
                lessons_completed=completed_lessons,
                percent=completed_lessons * 100 // LESSONS,
                last_activity_at=last,
                completed_at=last if completed_lessons == LESSONS else None,
            )
        )
    batch = 2000
    LessonProgress.objects.bulk_create(progress, batch_size=batch)
    CourseProgress.objects.bulk_create(courses, batch_size=batch)
    QuizAttempt.objects.bulk_create(attempts, batch_size=batch)
    CompetenceEvidence.objects.bulk_create(evidence, batch_size=batch)
    ExerciseOutcome.objects.bulk_create(outcomes, batch_size=batch, ignore_conflicts=True)
    return {
        "lesson progress": len(progress),
        "course progress": len(courses),
        "quiz answers": len(attempts),
        "evidence": len(evidence),
        "exercise outcomes": len(outcomes),
    }


def _attempt(student, lesson, quiz, question, right: bool, at):
    from courses.models import QuizAttempt

    if question.kind == "numeric":
        answer = [question.answer if right else (question.answer or 0) + 1 + question.tolerance * 2]
    else:
        good = [c.id for c in question.choices if c.correct]
        bad = [c.id for c in question.choices if not c.correct]
        answer = good if right or not bad else bad[:1]
    return QuizAttempt(
        student=student,
        lesson=lesson,
        quiz_id=quiz.id,
        question_id=question.id,
        answer=answer,
        is_correct=right,
        competence_id=question.competence_id,
        level=question.level,
        answered_at=at,
    )


def seed(reuse: bool) -> Seeded:
    from django.core.management import call_command
    from django.db import connection

    # the demo's credentials, Wagtail's "page published" and other INFO lines: not here
    # (gunicorn keeps the production LOG_LEVEL)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("wagtail").setLevel(logging.WARNING)

    if not reuse:
        with timed("migrate"):
            call_command("migrate", verbosity=0)
    with timed("collectstatic (compressed, hashed)"):
        call_command("collectstatic", interactive=False, verbosity=0)
    if reuse:
        return seeded_already()
    with timed("load_demo"):
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
    seeded = scale_school()
    for name, count in seeded.counts.items():
        say(f"    {count:,} {name}")
    with timed("rebuild_mastery"):
        call_command("rebuild_mastery", verbosity=0, stdout=io.StringIO())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return seeded


def seeded_already() -> Seeded:
    """The figures of a database a kept run seeded (--reuse)."""
    from courses.models import LessonPage
    from demo.courses import course_for_track
    from people.models import Cohort, Membership, Role, Track

    course = course_for_track(Track.SCHOOL)
    lesson = LessonPage.objects.child_of(course).live().order_by("path").first()
    cohorts = list(Cohort.objects.filter(code__startswith="bench-").order_by("pk"))
    if not cohorts:
        sys.exit("--reuse: this database was not seeded by bench/web.py")
    pupils = []
    for c, cohort in enumerate(cohorts):
        members = list(
            Membership.objects.filter(cohort=cohort, role=Role.STUDENT)
            .order_by("user__username")
            .values_list("user__username", flat=True)
        )
        pupils.append(members[logged_in_pupil(c)])
    return Seeded(
        course_id=course.pk,
        lesson_path=lesson.get_url_parts()[2],
        lesson_title=lesson.title,
        cohort_id=cohorts[0].pk,
        pupils=pupils,
    )


# ---------------------------------------------------------------------------------------
# HTTP as a browser behind the proxy: cookies by hand (they are Secure; the socket is not)
# ---------------------------------------------------------------------------------------


class Browser:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        sent = {
            "Host": f"{HOST}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "en",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            expired = "max-age=0" in header.lower() or not value or value == '""'
            if expired:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, response.headers, content

    def login(self, username: str, password: str) -> str:
        """Through the login form; returns the session cookie to send."""
        path = "/en/accounts/login/"
        status, _headers, content = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        if status != 200 or not match:
            raise BenchError(f"login form: HTTP {status}, no CSRF token")
        origin = f"https://{HOST}:{self.port}"
        status, _headers, content = self.request(
            "POST",
            path,
            form={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": match.group(1).decode(),
            },
            headers={"Origin": origin, "Referer": origin + path},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"login as {username}: HTTP {status}, no session cookie")
        return f"sessionid={self.cookies['sessionid']}"


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# gunicorn and its CPU
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, workers: int, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.log_file = open(log, "ab")  # noqa: SIM115 - closed in stop()
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "lms.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"{HOST}:{self.port}",
            "--max-requests",
            "0",  # no worker restarts in a run: the CPU is counted per process
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--no-control-socket",
            "--error-logfile",
            "-",
        ]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log_file,
            stderr=self.log_file,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        browser = Browser(self.port)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}")
            try:
                status, _h, _c = browser.request("GET", "/healthz/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError("gunicorn did not answer /healthz/ in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()

    def cpu_ticks(self) -> int:
        """utime + stime of the master, its live workers, and the workers it reaped
        (cutime + cstime): a worker that died in a run still counts, a new one from 0."""
        master = _stat(self.proc.pid)
        if master is None:
            raise BenchError("gunicorn is gone")
        total = master[0] + master[1] + master[2] + master[3]
        for pid in _children(self.proc.pid):
            times = _stat(pid)
            if times is not None:
                total += times[0] + times[1]
        return total

    def log_tail(self, since: int = 0, lines: int = 40) -> str:
        data = self.log.read_bytes()[since:]
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])

    def log_size(self) -> int:
        return self.log.stat().st_size


def _stat(pid: int) -> tuple[int, int, int, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3): utime, stime, cutime, cstime are fields 14-17
    return int(fields[11]), int(fields[12]), int(fields[13]), int(fields[14])


def _processes():
    """(pid, name, the fields of /proc/<pid>/stat after the name) of every process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        yield (
            int(entry),
            text[text.index("(") + 1 : text.rindex(")")],
            text[text.rindex(")") + 2 :].split(),
        )


def _children(parent: int) -> list[int]:
    return [pid for pid, _name, fields in _processes() if int(fields[1]) == parent]


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def service_ticks(names: tuple[str, ...] = ("postgres", "redis-server")) -> int:
    """utime + stime of every process of PostgreSQL and Redis on this machine (the
    database's share of a request, for sizing; a backend that ended in the run is lost)."""
    return sum(int(f[11]) + int(f[12]) for _pid, name, f in _processes() if name in names)


def machine_ticks() -> tuple[int, int]:
    """Every core's ticks so far: in all, and idle (with I/O wait)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    return sum(ticks), ticks[3] + ticks[4]


# ---------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- bench/web.py: cookies one after the other, the proxy's header, every non-200 counted
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  cookies = args
  turn = id
  non200 = 0
  statuses = ""
  seen = {}
  wrk.headers["X-Forwarded-Proto"] = "https"
  wrk.headers["Accept-Language"] = "en"
  if #cookies == 1 then
    wrk.headers["Cookie"] = cookies[1]
  end
end

if true then
  request = function()
    if #cookies > 1 then
      turn = turn + 1
      wrk.headers["Cookie"] = cookies[(turn % #cookies) + 1]
    end
    return wrk.format()
  end
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    seen[status] = (seen[status] or 0) + 1
    local parts = {}
    for code, n in pairs(seen) do
      table.insert(parts, code .. ":" .. n)
    end
    statuses = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local bad = 0
  local all = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    local s = thread:get("statuses")
    if s ~= "" then
      table.insert(all, s)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%.0f p95_us=%.0f non200=%d " ..
    "socket_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    bad, e.connect + e.read + e.write, e.timeout, table.concat(all, ",")))
end
"""


@dataclass
class Run:
    page: str
    clients: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float
    non200: int
    statuses: str
    socket_errors: int
    timeouts: int
    db_ms: float = 0.0  # PostgreSQL's and Redis's CPU per request
    busy_pct: float = 0.0  # of the machine's cores, by anything
    gunicorn_pct: float = 0.0  # of the machine's cores, by gunicorn

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(script: Path, port: int, path: str, cookies: list[str], clients: int, seconds: float):
    command = [
        "wrk",
        f"--threads={min(WRK_THREADS, clients)}",
        f"--connections={clients}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={script}",
        f"http://{HOST}:{port}{path}",
        "--",
        *cookies,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"^WRK (.*)$", out.stdout, re.MULTILINE)
    if out.returncode != 0 or not match:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    values = dict(item.split("=", 1) for item in match.group(1).split())
    return values


def merge_statuses(text: str) -> str:
    counts: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        code, _, n = part.partition(":")
        counts[code] = counts.get(code, 0) + int(n)
    return ", ".join(f"{n}×{code}" for code, n in sorted(counts.items()))


@dataclass
class Page:
    name: str
    path: str
    cookies: list[str]  # [] anonymous; several: one after the other
    marker: bytes  # what the real page holds (a login form would not)


def check(gunicorn: Gunicorn, page: Page) -> str | None:
    """One GET as the page's user: None when it is the page, else what went wrong."""
    browser = Browser(gunicorn.port)
    headers = {"Cookie": page.cookies[0]} if page.cookies else {}
    since = gunicorn.log_size()
    status, response_headers, content = browser.request("GET", page.path, headers=headers)
    if status != 200:
        where = response_headers.get("Location", "")
        problem = f"HTTP {status}" + (f" to {where}" if where else "")
    elif page.marker not in content or (page.cookies and b'name="password"' in content):
        excerpt = content[:300].decode(errors="replace")
        problem = f"200 but not the page ({page.marker.decode()!r} missing): {excerpt!r}"
    else:
        return None
    tail = gunicorn.log_tail(since)
    return problem + (f"\n    gunicorn's log:\n{_indent(tail)}" if tail else "")


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def drive(gunicorn, script, page: Page, clients: int, seconds: float) -> Run:
    since = gunicorn.log_size()
    before, machine_before = gunicorn.cpu_ticks(), machine_ticks()
    services_before = service_ticks()
    values = wrk(script, gunicorn.port, page.path, page.cookies, clients, seconds)
    after, machine_after = gunicorn.cpu_ticks(), machine_ticks()
    services_after = service_ticks()
    total, idle = (b - a for a, b in zip(machine_before, machine_after, strict=True))
    requests = int(values["requests"])
    run = Run(
        page=page.name,
        clients=clients,
        requests=requests,
        seconds=int(values["duration_us"]) / 1e6,
        p50_ms=float(values["p50_us"]) / 1000,
        p95_ms=float(values["p95_us"]) / 1000,
        cpu_ms=(after - before) * TICK_S * 1000 / requests if requests else float("nan"),
        db_ms=(services_after - services_before) * TICK_S * 1000 / requests
        if requests
        else float("nan"),
        non200=int(values["non200"]),
        statuses=merge_statuses(values.get("statuses", "")),
        socket_errors=int(values["socket_errors"]),
        timeouts=int(values["timeouts"]),
        busy_pct=100 * (total - idle) / total if total else 0.0,
        gunicorn_pct=100 * (after - before) / total if total else 0.0,
    )
    if run.non200 and any(s.split("×")[1].startswith("5") for s in run.statuses.split(", ")):
        say(f"  {page.name} at {clients} clients: {run.statuses}; gunicorn's log:")
        say(_indent(gunicorn.log_tail(since)))
    return run


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


def table(runs: list[Run], failed: dict[str, str]) -> None:
    header = f"  {'page':<18} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    header += f"{'CPU ms/req':>11} {'db ms/req':>10} {'non-200':>8}"
    say(header)
    for run in runs:
        non200 = str(run.non200) + (f" ({run.statuses})" if run.statuses else "")
        say(
            f"  {run.page:<18} {run.clients:>7} {run.rate:>8.1f} {run.p50_ms:>8.1f} "
            f"{run.p95_ms:>8.1f} {run.cpu_ms:>11.1f} {run.db_ms:>10.1f} {non200:>8}"
        )
        if run.socket_errors or run.timeouts:
            say(f"    (socket errors {run.socket_errors}, timeouts {run.timeouts})")
    for name, problem in failed.items():
        say(f"  {name:<18} not measured: {problem.splitlines()[0]}")


def verdicts(runs: list[Run], most: int) -> tuple[str, bool]:
    at = {r.page: r for r in runs if r.clients == most}
    parts, met = [], True
    for name, target in TARGET_CPU_MS.items():
        run = at.get(name)
        if run is None:
            parts.append(f"{name} CPU <= {target} ms: not measured")
            met = False
            continue
        ok = run.cpu_ms <= target and run.non200 == 0
        met &= ok
        parts.append(f"{name} CPU {run.cpu_ms:.1f} <= {target} ms {'met' if ok else 'NOT met'}")
    named = [at[n] for n in NAMED if n in at]
    if len(named) < len(NAMED):
        met = False
        parts.append(f"p95 at {most} clients < {TARGET_P95_MS} ms: not measured")
    else:
        worst = max(r.p95_ms for r in named)
        ok = worst < TARGET_P95_MS
        met &= ok
        parts.append(
            f"p95 at {most} clients {worst:.0f} < {TARGET_P95_MS} ms {'met' if ok else 'NOT met'}"
        )
        every = max(at.values(), key=lambda r: r.p95_ms)
        if every.page not in NAMED and every.p95_ms > worst:
            parts[-1] += f" (of every page: {every.p95_ms:.0f} ms, {every.page})"
    return "targets: " + "; ".join(parts) + f" -> {'all met' if met else 'NOT all met'}", met


def last_line(runs: list[Run], most: int) -> str:
    at = {r.page: r for r in runs if r.clients == most}

    def figure(name: str) -> str:
        run = at.get(name)
        if run is None:
            return "n/a req/s (n/a ms CPU)"
        return f"{run.rate:.0f} req/s ({run.cpu_ms:.1f} ms CPU)"

    named = [at[n].p95_ms for n in NAMED if n in at]
    worst = f"{max(named):.0f}" if len(named) == len(NAMED) else "n/a"
    return (
        f"web: lesson {figure('lesson')}, dashboard {figure('dashboard')}, "
        f"cohort progress {figure('cohort progress')}, reports {figure('reports')}; "
        f"p95 {worst} ms"
    )


# ---------------------------------------------------------------------------------------


def flush_views() -> None:
    """The lesson views the pages buffered in Redis, written as beat's task writes them
    (courses.services.lesson_visits_flush), here, timed: their cost moved from the web
    process to a worker, not gone."""
    from courses import services

    started, cpu = time.monotonic(), time.process_time()
    done = services.lesson_visits_flush(rounds=1000)
    cpu = time.process_time() - cpu
    if done.views:
        say(
            f"  lesson views written in bulk (the flush task, in this process): {done.views:,} "
            f"in {time.monotonic() - started:.1f} s, {cpu * 1000 / done.views:.2f} ms CPU "
            "per view"
        )
    else:
        say("  lesson views: written at once by each page (no Redis to buffer them in)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=10, help="seconds per page and level")
    parser.add_argument("--clients", default="8,32", help="connections, comma-separated")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds per page")
    parser.add_argument(
        "--students", type=int, default=COHORTS, help=f"pupils logged in (1..{COHORTS})"
    )
    parser.add_argument(
        "--pages", default="", help="only these pages, comma-separated (default: every one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and temp folder")
    parser.add_argument("--reuse", action="store_true", help="use a kept, seeded database")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    if not levels or min(levels) < 1:
        parser.error("--clients: positive numbers, comma-separated")
    if not 1 <= args.students <= COHORTS:
        parser.error(f"--students: 1..{COHORTS}")
    if shutil.which("wrk") is None:
        sys.exit("bench/web.py needs wrk (apt-get install wrk, or make bench-web)")

    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    env = configure(args, work)
    url = env["DATABASE_URL"]
    say(f"Database {database_name(url)} on {urlsplit(url).hostname}; files in {work}")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    gunicorn = None
    runs: list[Run] = []
    failed: dict[str, str] = {}
    ok = False
    try:
        if not args.reuse:
            recreate_database(url)
        import django

        django.setup()
        from django.db import connections

        from demo.people import DEMO_PASSWORD

        say("Seeding")
        seeding_began = time.monotonic()
        seeded = seed(args.reuse)
        seeding_s = time.monotonic() - seeding_began
        say(f"  seeding: {seeding_s:.0f} s")
        connections.close_all()

        gunicorn = Gunicorn(args.workers, env, work / "gunicorn.log")
        gunicorn.wait_ready()
        say(
            f"gunicorn: {args.workers} sync workers on {HOST}:{gunicorn.port} "
            f"(pid {gunicorn.proc.pid})"
        )

        with timed(f"logins: {args.students} pupils, the teacher, the analyst (the login form)"):
            names = [*seeded.pupils[: args.students], TEACHER, ANALYST]
            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                cookies = list(
                    pool.map(lambda name: Browser(gunicorn.port).login(name, DEMO_PASSWORD), names)
                )
            pupils, teacher, analyst = cookies[:-2], cookies[-2], cookies[-1]
        pages = [
            Page("home", "/en/", [], b"</html>"),
            Page("lesson", seeded.lesson_path, pupils, seeded.lesson_title.encode()),
            Page("dashboard", "/en/dashboard/", pupils, b"</html>"),
            Page(
                "cohort progress",
                f"/en/teach/cohorts/{seeded.cohort_id}/progress/?course={seeded.course_id}",
                [teacher],
                b"(bench)",
            ),
            Page("api courses", "/api/v1/courses/", pupils, b'"results"'),
            Page("api my-progress", "/api/v1/my-progress/", pupils, b'"courses"'),
            Page("reports", "/en/reports/", [analyst], b'data-testid="report-summary"'),
        ]
        if args.pages:
            wanted = {name.strip() for name in args.pages.split(",")}
            unknown = wanted - {page.name for page in pages}
            if unknown:
                raise BenchError(f"--pages: no page {', '.join(sorted(unknown))}")
            pages = [page for page in pages if page.name in wanted]
        script = work / "bench.lua"
        script.write_text(WRK_SCRIPT)
        say(
            f"Load: wrk, {WRK_THREADS} threads, {args.duration:g} s per page at "
            f"{', '.join(map(str, levels))} clients (after {args.warmup:g} s unmeasured)"
        )
        for page in pages:
            problem = check(gunicorn, page)
            if problem:
                failed[page.name] = problem
                say(f"  {page.name} ({page.path}): {problem}")
                continue
            if args.warmup > 0:
                wrk(script, gunicorn.port, page.path, page.cookies, min(levels), args.warmup)
            for clients in levels:
                run = drive(gunicorn, script, page, clients, args.duration)
                runs.append(run)
                say(
                    f"  {page.name} at {clients}: {run.rate:.1f} req/s, p95 {run.p95_ms:.0f} ms, "
                    f"{run.cpu_ms:.1f} ms CPU, non-200 {run.non200} (cores busy "
                    f"{run.busy_pct:.0f}%, by gunicorn {run.gunicorn_pct:.0f}%)"
                )
            if page.name == "lesson":
                flush_views()
        say()
        table(runs, failed)
        say(f"  seeding {seeding_s:.0f} s, whole run {time.monotonic() - began:.0f} s")
        line, _met = verdicts(runs, max(levels))
        say(line)
        ok = not failed and not any(r.non200 for r in runs)
    except BenchError as exc:
        say(f"bench/web.py: {exc}")
        if gunicorn is not None:
            say("  gunicorn's log:\n" + _indent(gunicorn.log_tail()))
    except KeyboardInterrupt:
        say("bench/web.py: interrupted; stopping gunicorn, dropping the database")
        runs = []  # no last line of figures from a part of the pages
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        if args.keep:
            say(f"Kept: database {database_name(url)}, {work}")
        else:
            drop_database(url)
            shutil.rmtree(work, ignore_errors=True)
        if env.get("CACHE_URL") == DEFAULT_REDIS and not args.keep:
            flush_redis(DEFAULT_REDIS)
    if runs:
        say(last_line(runs, max(levels)))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
