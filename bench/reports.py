"""How long the ministry's reports take on a country-sized database (prints figures; not a test).

    make bench-reports                   # 200,000 students
    make bench-reports STUDENTS=2000000  # the national size (32 million pieces of evidence)
    .venv/bin/python bench/reports.py [students]

Creates its own PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_reports), migrates it, and bulk-loads a
synthetic country with INSERT ... SELECT generate_series (never row by row): 200,000
students in 8,000 cohorts of 25 at 1,640 schools, universities and the state scholarship
programme across every region, ~8 competences each out of 33 (DigComp 2.2 and UNESCO AI
for students), two pieces of evidence per student and competence spread over ten months,
and course progress. Then it rebuilds the roll-ups from scratch (set-based, timed: the
`rebuild:` line), builds the national report, and times the dashboard page as an analyst's
browser gets it (the real view through Django's test client: session, filters, report,
charts, template) over a mix of filters (country, each region, tracks, kinds, institutions,
a past month), twice, each page drawn afresh (the page cache retired before it: what the
first reader after a roll-up change waits for). Last, a burst of graded notebooks goes
through the incremental path (the `incremental refresh:` line): each student's graded cells
written as one evidence batch by evidence_replace, as grading does, which queues one refresh
task per batch on the default queue; the tasks are taken off the queue and run through the
task's own function, timed. The database is dropped at the end.

BENCH_REUSE=1 keeps the loaded data between runs while tuning (no load, the rebuild still
runs); BENCH_KEEP=1 keeps the database at the end.

Last line: `national report: <S> s for <N> students (dashboard p95 <D> ms)`, where <D> is the
95th percentile of whole dashboard pages; the per-query figures are on an earlier line.
"""

# ruff: noqa: S608 - the SQL's table names come from the models (T), values are parameters
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import drop_database, recreate_database, say, timed  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_reports"
COHORT_SIZE = 25
COMPETENCES_PER_STUDENT = 8
EVIDENCE_PER_PAIR = 2
TARGET_REPORT_S = 2.0
TARGET_DASHBOARD_P95_MS = 300
TARGET_DASHBOARD_P95_MS_NATIONAL = 150  # at 2,000,000 students (issue 17)
TARGET_REBUILD_S_NATIONAL = 120
NATIONAL = 2_000_000
DASHBOARD_ROUNDS = 2  # every filter set twice: a p95 over 60 pages, not decided by one
REFRESH_BATCHES = 2_000  # graded notebooks in the burst, one student each
REFRESH_CELLS = 8  # graded cells per notebook, two per competence


T = SimpleNamespace()  # the tables' names, from the models once Django is set up


def name_tables() -> None:
    from courses.models import CourseProgress
    from curricula.models import Competence, CompetenceArea, CompetenceFramework
    from evidence.models import CompetenceEvidence
    from people.models import Cohort, Institution, Membership, Region, User

    models = {
        "region": Region,
        "institution": Institution,
        "cohort": Cohort,
        "user": User,
        "membership": Membership,
        "framework": CompetenceFramework,
        "area": CompetenceArea,
        "competence": Competence,
        "evidence": CompetenceEvidence,
        "progress": CourseProgress,
    }
    for name, model in models.items():
        setattr(T, name, model._meta.db_table)


def load_country(students: int) -> None:
    """Everything with INSERT ... SELECT over generate_series, in a few statements."""
    from django.db import connection, transaction

    from tests.courses.pages import course

    cohorts = students // COHORT_SIZE
    school_cohorts = cohorts * 80 // 100  # 4 per school
    university_cohorts = cohorts * 15 // 100  # 30 per university
    scholarship_cohorts = cohorts - school_cohorts - university_cohorts
    schools, universities = school_cohorts // 4, university_cohorts // 30
    courses = [course(title=f"Digital skills {i}", slug=f"bench-course-{i}").pk for i in range(4)]
    with transaction.atomic(), connection.cursor() as cur:
        # a bulk load of rows generated consistent: skip the per-row foreign-key triggers
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(f"SELECT array_agg(id ORDER BY id) FROM {T.region}")
        regions = cur.fetchone()[0]
        # institutions: schools and universities spread over every region (Baku weighted)
        cur.execute(
            f"""
            INSERT INTO {T.institution} (code, kind, region_id, is_active, name_en, name_az,
                                         name_ru, allow_local_passwords)
            SELECT 'school-' || i, 'school',
                   (%(regions)s::bigint[])[1 + (CASE WHEN i %% 3 = 0 THEN 0 ELSE i END)
                                                   %% array_length(%(regions)s::bigint[], 1)],
                   true, 'School No. ' || i, 'Məktəb № ' || i, 'Школа № ' || i, true
            FROM generate_series(1, %(schools)s) i
            UNION ALL
            SELECT 'university-' || i, 'university',
                   (%(regions)s::bigint[])[1 + i %% array_length(%(regions)s::bigint[], 1)],
                   true, 'University ' || i, 'Universitet ' || i, 'Университет ' || i, true
            FROM generate_series(1, %(universities)s) i
            UNION ALL
            SELECT 'scholarship', 'scholarship', (%(regions)s::bigint[])[1], true,
                   'State scholarship programme', 'Dövlət təqaüd proqramı',
                   'Государственная стипендиальная программа', true
            """,
            {"regions": regions, "schools": schools, "universities": universities},
        )
        cur.execute(
            f"""
            INSERT INTO {T.cohort} (institution_id, name, code, track, academic_year, level,
                                    is_active, created_at)
            SELECT inst.id, 'G-' || n, 'cohort-' || inst.code || '-' || n,
                   CASE inst.kind WHEN 'school' THEN 'school' WHEN 'university' THEN
                        'university' ELSE 'scholarship' END,
                   %(year)s, '', true, now()
            FROM {T.institution} inst
            CROSS JOIN LATERAL generate_series(1, CASE inst.kind WHEN 'school' THEN 4
                 WHEN 'university' THEN 30 ELSE %(scholarship)s END) n
            WHERE inst.kind <> 'ministry'
            """,
            {"year": ACADEMIC_YEAR, "scholarship": scholarship_cohorts},
        )
        cur.execute(
            f"""
            INSERT INTO {T.user} (password, is_superuser, username, first_name, last_name, email,
                                  is_staff, is_active, date_joined, preferred_language)
            SELECT '!', false, 'student' || i, 'Student', 'No' || i, '', false, true, now(), ''
            FROM generate_series(1, %s) i
            """,
            [students],
        )
        cur.execute(
            f"""
            INSERT INTO {T.membership} (user_id, role, cohort_id, created_at)
            SELECT u.id, 'student', c.id, now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM {T.user}
                  WHERE username LIKE 'student%%') u
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM {T.cohort}) c
              ON c.n = u.n / %s
            """,
            [COHORT_SIZE],
        )
        # competences of the two student frameworks, numbered 0..32
        cur.execute(
            f"""
            CREATE TEMP TABLE bench_competence AS
            SELECT c.id, row_number() OVER (ORDER BY c.id) - 1 AS n,
                   CASE f.kind WHEN 'digcomp' THEN 8 ELSE 3 END AS top
            FROM {T.competence} c JOIN {T.area} a ON a.id = c.area_id
            JOIN {T.framework} f ON f.id = a.framework_id
            WHERE f.kind IN ('digcomp', 'unesco-students')
            """
        )
        cur.execute("SELECT count(*) FROM bench_competence")
        n_competences = cur.fetchone()[0]
        # a cohort works on 8 consecutive competences; each student has 2 pieces of evidence
        # per competence, in random months of the last ten, levels growing with time
        cur.execute(
            f"""
            INSERT INTO {T.evidence} (student_id, competence_id, level, source,
                                                    source_key, score, recorded_at)
            SELECT m.user_id, bc.id,
                   1 + ((m.user_id * 7 + bc.n * 3 + e) %% bc.top),
                   'quiz', 'quiz:bench:' || e,
                   CASE WHEN random() < 0.7 THEN 1.0 ELSE round(random()::numeric, 2) END,
                   now() - (random() * interval '300 days')
            FROM {T.membership} m
            CROSS JOIN generate_series(0, %(per_student)s - 1) k
            JOIN bench_competence bc ON bc.n = (m.cohort_id + k) %% %(n)s
            CROSS JOIN generate_series(1, %(per_pair)s) e
            WHERE m.role = 'student'
            """,
            {
                "per_student": COMPETENCES_PER_STUDENT,
                "n": n_competences,
                "per_pair": EVIDENCE_PER_PAIR,
            },
        )
        cur.execute(
            f"""
            INSERT INTO {T.progress} (student_id, course_id, lessons_total,
                lessons_completed, percent, last_activity_at, completed_at)
            SELECT m.user_id, (%(courses)s::bigint[])[1 + m.cohort_id %% 4], 10, d.done,
                   d.done * 10, now() - interval '3 days',
                   CASE WHEN d.done = 10 THEN now() - (random() * interval '200 days') END
            FROM {T.membership} m
            CROSS JOIN LATERAL (SELECT (m.user_id * 13 %% 11)::int AS done) d
            WHERE m.role = 'student' AND d.done <= 10
            """,
            {"courses": courses},
        )
    with connection.cursor() as cur:
        # the evidence as a country's database holds it, written over months: autovacuum
        # has long since set its rows' visibility and the planner's figures (a rebuild
        # right after a bulk load first writes every page again to mark its rows committed:
        # at 2,000,000 students 122.3 s, the roll-ups 60.2 s of it, against 119.8 and 55.9)
        cur.execute("VACUUM ANALYZE")


def dashboard_timings() -> tuple[list[float], list[float]]:
    """Seconds per dashboard page and per SQL query in them. Each page is the real view
    (session, filters, report, charts, template) fetched by an analyst through Django's
    test client, as the browser requests it; nothing is cached between pages."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone, translation

    from people.models import Institution, Membership, Region, Role, User
    from reports import caching

    ministry, _created = Institution.objects.get_or_create(
        code="bench-ministry",
        defaults={
            "kind": Institution.Kind.MINISTRY,
            "region": Region.objects.filter(parent__isnull=True).first(),
            "name_en": "Ministry",
            "name_az": "Nazirlik",
            "name_ru": "Министерство",
        },
    )
    analyst, _created = User.objects.get_or_create(username="bench-analyst")
    Membership.objects.get_or_create(user=analyst, institution=ministry, role=Role.MINISTRY_ANALYST)
    hosts = [h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")]
    client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
    client.force_login(analyst)
    with translation.override("en"):
        url = reverse("reports:dashboard")

    regions = list(Region.objects.filter(parent__isnull=True).values_list("code", flat=True))
    institutions = list(
        Institution.objects.exclude(kind=Institution.Kind.MINISTRY)
        .order_by("?")
        .values_list("code", flat=True)[:10]
    )
    today = timezone.localdate()
    past = f"{today.year - (today.month <= 3)}-{(today.month - 4) % 12 + 1:02d}"
    filter_sets = (
        [
            {},
            {"track": "school"},
            {"track": "university"},
            {"kind": "scholarship"},
            {"period": past},
            {"framework": "unesco-ai-students"},
        ]
        + [{"region": code} for code in regions]
        + [{"institution": code} for code in institutions]
    )
    queries: list[float] = []
    slowest = {"seconds": 0.0, "sql": "", "page": {}}
    current: dict = {}

    def clock(execute, sql, params, many, context):
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.monotonic() - started
            queries.append(took)
            if took > slowest["seconds"]:
                slowest.update(seconds=took, sql=" ".join(sql.split()), page=current)

    def get(params: dict) -> None:
        response = client.get(url, params)
        if response.status_code != 200:
            raise SystemExit(f"dashboard {params}: HTTP {response.status_code}")
        if b'data-testid="report-summary"' not in response.content:
            raise SystemExit(f"dashboard {params}: no report on the page")

    get({})  # the first request of a fresh process loads templates and translations
    pages: list[tuple[float, dict]] = []
    with connection.execute_wrapper(clock):
        for _round in range(DASHBOARD_ROUNDS):
            for params in filter_sets:
                caching.ALL.invalidate()  # drawn afresh: no page of an earlier request
                current = params
                started = time.monotonic()
                get(params)
                pages.append((time.monotonic() - started, params))
    warm = []
    for params in filter_sets:  # and once more as the cache then serves them
        started = time.monotonic()
        get(params)
        warm.append(time.monotonic() - started)
    return pages, queries, slowest, warm


def refresh_burst(batches: int, cells: int) -> None:
    """A burst of graded notebooks through the incremental path, timed: `batches` students
    (spread over the country) each get `cells` graded cells on four of their competences,
    written as one evidence batch by evidence_replace in its own transaction, as grading
    does. Each commit queues one refresh task on the default queue; the tasks are taken off
    the queue (captured where they would go to the broker) and run one after the other
    through the task's own function, as one default-queue worker process would."""
    import random

    from celery import current_app
    from django.db import connection, transaction

    from evidence.services import EvidenceItem, EvidenceScope, evidence_replace
    from reports import queue

    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT m.user_id, m.cohort_id FROM {T.membership} m
            WHERE m.role = 'student' AND m.cohort_id IS NOT NULL
            ORDER BY md5(m.user_id::text) LIMIT %s""",
            [batches],
        )
        students = cur.fetchall()
        cur.execute(
            f"""SELECT c.id FROM {T.competence} c JOIN {T.area} a ON a.id = c.area_id
            JOIN {T.framework} f ON f.id = a.framework_id
            WHERE f.kind IN ('digcomp', 'unesco-students') ORDER BY c.id"""
        )
        competences = [pk for (pk,) in cur.fetchall()]
    task = current_app.tasks[queue.MASTERY_REFRESH]
    queued: list[tuple[list, str | None]] = []

    def capture(args=None, kwargs=None, **options):  # where the broker would take it
        queued.append((list(args), options.get("queue")))

    rng = random.Random(17)
    prefix = "exercise:bench-refresh:"
    task.apply_async = capture
    try:
        started = time.monotonic()
        for student_id, cohort_id in students:
            # four of the eight competences the bench gave the student's cohort
            own = [competences[(cohort_id + k) % len(competences)] for k in range(8)]
            tagged = rng.sample(own, 4)
            items = [
                EvidenceItem(
                    f"{prefix}{n}", tagged[n % 4], rng.randint(1, 3), rng.choice([0.0, 0.6, 1.0])
                )
                for n in range(cells)
            ]
            with transaction.atomic():
                evidence_replace(
                    student_id=student_id,
                    scope=EvidenceScope.under("exercise", prefix),
                    items=items,
                )
        written_s = time.monotonic() - started
    finally:
        del task.apply_async
    rows = len(students) * cells
    on_default = sum(1 for _args, name in queued if name == queue.DEFAULT_QUEUE)
    say(
        f"  graded burst: {len(students):,} batches of {cells} evidence rows ({rows:,} rows) "
        f"written in {written_s:.1f} s; {len(queued):,} refresh tasks queued "
        f"({on_default:,} on the {queue.DEFAULT_QUEUE} queue): one per batch, not per row"
    )
    started = time.monotonic()
    for args, _queue in queued:
        task.run(*args)  # what the default-queue worker runs for each task
    refresh_s = time.monotonic() - started
    say(
        f"incremental refresh: {rows / refresh_s:,.0f} evidence rows/s ({len(queued):,} tasks "
        f"in {refresh_s:.1f} s: {len(queued) / refresh_s:,.0f} batches/s, "
        f"{refresh_s / len(queued) * 1000:.1f} ms per batch, one worker process)"
    )


ACADEMIC_YEAR = ""


def main() -> None:
    global ACADEMIC_YEAR
    students = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("bench/reports.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")
    os.environ["DEBUG"] = "false"  # no query log in memory
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # a cache in memory, as fast as the shared Redis of a deployment (the laptop's default,
    # a folder of files, lists the folder on every write)
    os.environ.setdefault("CACHE_URL", "locmemcache://bench-reports")
    say(f"Database {urlsplit(url).path.lstrip('/')} on {urlsplit(url).hostname}")
    reuse = os.environ.get("BENCH_REUSE") == "1"  # while tuning: keep the loaded data
    if not reuse:
        recreate_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from reports import exports
        from reports.document import report_document
        from reports.filters import academic_year_of, parse_filters
        from reports.models import MasteryRollup
        from reports.rollups import mastery_rebuild

        name_tables()
        ACADEMIC_YEAR = academic_year_of(timezone.localdate().replace(day=1))
        if not reuse:
            with timed("migrate"):
                call_command("migrate", verbosity=0)
            with timed(f"load {students:,} students (generate_series)"):
                load_country(students)
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {T.evidence}")
            evidence = cur.fetchone()[0]
            cur.execute(f"SELECT count(DISTINCT competence_id) FROM {T.evidence}")
            competences = cur.fetchone()[0]
        say(f"  {evidence:,} pieces of evidence on {competences} competences")
        started = time.monotonic()
        result = mastery_rebuild()
        rebuild_s = time.monotonic() - started
        say(
            f"  {result.rollups:,} roll-ups, {result.steps:,} steps, "
            f"{result.cohort_activity:,} cohort months, {result.cube:,} cube cells"
        )
        say(
            f"rebuild: {rebuild_s:.1f} s for {evidence:,} evidence rows "
            f"({evidence / rebuild_s:,.0f} rows/s, rebuild_mastery from scratch)"
        )
        with connection.cursor() as cur:
            # what autovacuum does to a table in use: the planner's figures, and visibility
            cur.execute("VACUUM ANALYZE")
        assert MasteryRollup.objects.exists()

        # the national report: every figure, suppressed, rendered as the delivered JSON
        national = parse_filters({}, user=None)
        report_document(national)  # warm the caches once, as a running server has
        runs = []
        for _ in range(3):
            started = time.monotonic()
            report = report_document(national)
            exports.render(report, "json")
            runs.append(time.monotonic() - started)
        report_s = statistics.median(runs)
        say(
            f"  national report (median of 3): {report_s:.2f} s; "
            f"{report['total']['enrolled']:,} enrolled"
        )
        for fmt in ("xlsx", "pdf"):
            started = time.monotonic()
            exports.render(report, fmt)
            say(f"  national report as {fmt}: {time.monotonic() - started:.2f} s")

        # the dashboard as an analyst's browser gets it, over a mix of filters
        timings, queries, slowest, warm = dashboard_timings()
        pages = [seconds for seconds, _params in timings]
        query_p95 = statistics.quantiles(queries, n=20)[-1] * 1000
        p95 = statistics.quantiles(pages, n=20)[-1] * 1000
        say(
            f"  dashboard queries: {len(queries)} in {len(pages)} pages; query p95 "
            f"{query_p95:.0f} ms, slowest query {slowest['seconds'] * 1000:.0f} ms "
            f"(page {slowest['page'] or 'country'}): {slowest['sql'][:160]}"
        )
        slowest_page = max(timings, key=lambda timing: timing[0])
        say(
            f"  dashboard pages drawn afresh: {len(pages)} ({DASHBOARD_ROUNDS} rounds of "
            f"{len(pages) // DASHBOARD_ROUNDS} filter sets); page median "
            f"{statistics.median(pages) * 1000:.0f} ms, p95 {p95:.0f} ms, slowest "
            f"{slowest_page[0] * 1000:.0f} ms ({slowest_page[1] or 'country'}); "
            f"from the cache: median {statistics.median(warm) * 1000:.0f} ms"
        )
        national = students >= NATIONAL
        target_p95 = TARGET_DASHBOARD_P95_MS_NATIONAL if national else TARGET_DASHBOARD_P95_MS
        met = report_s <= TARGET_REPORT_S and p95 < target_p95
        if national:
            met = met and rebuild_s < TARGET_REBUILD_S_NATIONAL
        say(
            f"  targets (report <= {TARGET_REPORT_S:.0f} s, dashboard page p95 < "
            f"{target_p95} ms"
            + (f", rebuild < {TARGET_REBUILD_S_NATIONAL} s" if national else "")
            + f"): {'met' if met else 'NOT met'}"
        )
        refresh_burst(REFRESH_BATCHES, REFRESH_CELLS)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            drop_database(url)
    say(f"national report: {report_s:.2f} s for {students} students (dashboard p95 {p95:.0f} ms)")


if __name__ == "__main__":
    main()
