"""Phones and accessibility: every role's main pages, in Chromium, at a desktop width
(1280 px) and a phone's (390 px). axe-core finds no critical or serious violation, and at
390 px no page scrolls sideways (wide tables scroll inside a labelled region of their own;
the header menu folds behind a button).

axe-core is the npm package pinned in frontend/package.json (`make assets` installs it).
It is put into each page with `page.evaluate` of the library's text, not with
`page.add_script_tag`: the pages run under the platform's strict Content-Security-Policy,
which refuses the inline <script> add_script_tag writes (and conftest's CSP check would
fail the test on the refusal). A context with `bypass_csp=True` would let it in, but it
would audit another page than users get: one where whatever the policy refuses (an
inline style, a style= attribute, an inline script) applies. A script evaluated through
the DevTools protocol is not governed by the page's CSP, so axe reads the page exactly as
it is served.

The data is the demo country's people (demo.people: its institutions, cohorts, named
users and classmates) with the demo school track's lessons in one long course, so the
tables are as wide and the names as long as in the demo.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from courses import services as course_services
from courses.quiz import quizzes_in
from courses.services import course_assign
from curricula.models import Competence
from demo import courses as demo_courses
from demo import people as demo_people
from demo.content import school
from grading import services as grading_services
from grading.models import CellResult, Exercise, Submission
from lms.celery import app
from people.models import Cohort, Institution, Region, User
from tests.courses.pages import choice, course, curriculum, lesson, question, quiz
from tests.grading.factories import RIGHT, WRONG, ExerciseFactory, a_lesson, student_version
from tests.grading.notebook.builders import answered
from tests.reports.conftest import months_ago, replace_evidence

pytestmark = pytest.mark.e2e

AXE = Path(settings.BASE_DIR) / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
BLOCKING = ("critical", "serious")

# axe in the page, then its violations of the impacts that block (a list of plain dicts).
AXE_RUN = """async (blocking) => {
  const result = await axe.run(document, {resultTypes: ["violations"], iframes: false});
  return {version: axe.version, violations: result.violations
    .filter((v) => blocking.includes(v.impact))
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + ": " + n.failureSummary),
    }))};
}"""

# axe checks the name of role="progressbar" only; a native <progress> needs one too.
UNNAMED_PROGRESS = """() => [...document.querySelectorAll("progress")]
  .filter((p) => !(p.getAttribute("aria-label") || p.getAttribute("aria-labelledby")
    || p.labels.length || p.title))
  .map((p) => p.outerHTML.slice(0, 100))"""

# What makes a page wider than the window: the outermost elements that reach past it.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.getBoundingClientRect().right <= width + 1) continue;
    if (culprits.some((c) => c.contains(el))) continue;
    let inside = false;  // in a region that scrolls by itself: not the page's problem
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (scrolls(up)) { inside = true; break; }
    }
    if (!inside) culprits.push(el);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth, width,
    culprits: culprits.slice(0, 5).map((el) => {
      const testid = el.closest("[data-testid]");
      const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      return `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">`
        + (testid ? ` in [data-testid=${testid.dataset.testid}]` : "") + ` "${text}"`;
    }),
  };
}"""


@dataclass(frozen=True)
class AxeCore:
    source: str  # a function that defines window.axe when evaluated in a page
    version: str


@pytest.fixture
def axe() -> AxeCore:
    if not AXE.exists():
        pytest.fail(f"No axe-core at {AXE}: run `make assets` (npm ci in frontend/).")
    version = json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]
    # A function body: the library's UMD wrapper sets window.axe when no module system is
    # around, which is the case inside a plain function.
    return AxeCore("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}", version)


def log_in(page: Page, username: str, password: str = demo_people.DEMO_PASSWORD) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator(".login-box button[type=submit]").click()
    expect(page).to_have_url(f"{page.url.split('/en/')[0]}/en/dashboard/")


def audit(page: Page, axe: AxeCore, paths: list[str]) -> list[str]:
    """Every page at both widths: what axe blocks on, and sideways scrolling on the phone."""
    problems: list[str] = []
    for path in paths:
        for name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(path)
            if response is None or not response.ok:
                problems.append(f"{path}: HTTP {response.status if response else '?'}")
                break
            where = f"{path} at {width} px"
            if name == "phone":
                overflow = page.evaluate(OVERFLOW)
                if overflow:
                    problems.append(
                        f"{where} scrolls sideways: {overflow['scrollWidth']} px wide, "
                        f"because of {', '.join(overflow['culprits'])}"
                    )
            # Always ours: a teacher's page also carries Wagtail's user bar, whose own axe
            # (another version, running its own checks) answers to window.axe too.
            page.evaluate(axe.source)
            found = page.evaluate(AXE_RUN, list(BLOCKING))
            assert found["version"] == axe.version, f"{where}: axe {found['version']} ran"
            for html in page.evaluate(UNNAMED_PROGRESS):
                problems.append(f"{where}: a progress bar without a name: {html}")
            for v in found["violations"]:
                nodes = "\n      ".join(v["nodes"])
                problems.append(f"{where}: {v['impact']} {v['id']} ({v['help']})\n      {nodes}")
    return problems


def assert_accessible(page: Page, axe: AxeCore, paths: list[str]) -> None:
    problems = audit(page, axe, paths)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# Data: the demo country, its school track's lessons in one course
# ---------------------------------------------------------------------------------------


@pytest.fixture
def eager_celery():
    # quiz answers and evidence are rolled up in the request: no worker needed
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def competence(framework: str, code: str) -> Competence:
    return Competence.objects.get(area__framework__slug=framework, code=code)


def demo_quiz(data: dict) -> dict:
    questions = []
    for q in data["questions"]:
        framework, code, level = q["competence"]
        texts = q.get("choices", [])
        questions.append(
            question(
                q["prompt"],
                kind=q["kind"],
                choices=[choice(t, correct=j in q.get("correct", [])) for j, t in enumerate(texts)]
                or None,
                answer=q.get("answer"),
                tolerance=q.get("tolerance", 0),
                competence=competence(framework, code),
                level=level,
                explanation=q.get("explanation", ""),
            )
        )
    return quiz(*questions, title=data.get("title", "Check yourself"))


@dataclass
class SchoolYear:
    course: object
    cohort: Cohort  # 9-A of Baku School No. 6: the demo pupil, teacher and admin's
    exercise: Exercise
    exercise_lesson: object
    quiz_lesson: object
    review: Submission  # a graded attempt with cells waiting for the teacher


def school_year(*, classmates: bool = False) -> SchoolYear:
    """The demo people; every lesson of the demo school track in one course assigned to
    the school cohorts, a notebook exercise with graded attempts; the pupil's progress
    and, with `classmates`, the demo classmates' (demo.courses.simulate_classmates)."""
    demo_people.load()
    python = course(
        curriculum(title="Digital skills and informatics, grades 5-9"),
        title="Python: first steps, safety online and checking information",
        summary="Variables, decisions and functions, passwords, phishing, searching well.",
    )
    lessons = []
    for data in school.COURSES:
        for item in data["lessons"]:
            body = [dict(block, id=f"{item['slug']}-{i}") for i, block in enumerate(item["body"])]
            if "quiz" in item:
                body.append(demo_quiz(item["quiz"]))
            lessons.append(
                lesson(
                    python,
                    body=body,
                    title=item["title"]["en"],
                    slug=item["slug"],
                    introduction=item["introduction"]["en"],
                    estimated_minutes=item["minutes"],
                    completion_rule=item["rule"],
                )
            )
    exercise = ExerciseFactory(
        course=python, title="Squares, and why minus times minus is plus", max_attempts=5
    )
    practice = a_lesson(python, exercise)
    for cohort in Cohort.objects.filter(track="school"):
        course_assign(
            course=python,
            cohort=cohort,
            assigned_by=None,
            starts_at=timezone.now() - timedelta(days=40),
            due_at=timezone.now() + timedelta(days=40),
        )
    if classmates:
        demo_courses.simulate_classmates({"school": [python]})
    pupil = User.objects.get(username="pupil")
    first, second = lessons[:2]
    course_services.lesson_visit(student=pupil, lesson=first)
    for found in quizzes_in(first.body.raw_data):
        answers = {q.id: right_answer(q) for q in found.questions}
        course_services.quiz_submit(student=pupil, lesson=first, quiz_id=found.id, answers=answers)
    course_services.lesson_visit(student=pupil, lesson=second)
    nine_a = Cohort.objects.get(code="baku-6-9a")
    review = None
    for n, student in enumerate(
        User.objects.filter(username__startswith="baku-6-9a-s").order_by("username")[:6]
    ):
        review = graded(exercise, student, RIGHT if n % 2 else WRONG)
    graded(exercise, pupil, WRONG)
    return SchoolYear(
        course=python,
        cohort=nine_a,
        exercise=exercise,
        exercise_lesson=practice,
        quiz_lesson=lessons[0],
        review=review,
    )


def right_answer(question) -> list[str]:
    if question.kind == "numeric":
        return [str(question.answer)]
    return [c.id for c in question.choices if c.correct]


def graded(exercise: Exercise, student: User, source: str) -> Submission:
    """An attempt with results stored as the grader stores them (no sandbox run): the
    automatic cells scored, the free answers waiting for the teacher."""
    right = source == RIGHT
    submission = Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=Submission.objects.filter(exercise=exercise, student=student).count() + 1,
        origin=Submission.Origin.BROWSER,
        notebook=answered(student_version(exercise), square=source),
        status=Submission.Status.GRADED,
        graded_at=timezone.now(),
        max_total=exercise.max_score,
    )
    cells = [
        ("test_visible", "passed" if right else "failed", 1.0 if right else 0.0, 1),
        ("test_hidden", "passed" if right else "failed", 2.0 if right else 0.0, 2),
        ("explain", "needs_manual", None, 2),
        ("reflect", "needs_manual", None, 1),
    ]
    for position, (grade_id, status, score, points) in enumerate(cells):
        CellResult.objects.create(
            submission=submission,
            grade_id=grade_id,
            position=position,
            status=status,
            auto_score=score,
            max_score=points,
            message="" if right else "AssertionError: square(3) should be 9, not 4",
        )
    with transaction.atomic():  # as the grading worker stores results (select_for_update)
        grading_services._apply_totals(submission)
        submission.save()
        grading_services._refresh_summary(exercise.pk, student.pk)
    return submission


# ---------------------------------------------------------------------------------------
# One test per role
# ---------------------------------------------------------------------------------------


def test_a_visitors_pages_pass_axe_and_fit_a_phone(page, axe, eager_celery):
    year = school_year()
    assert_accessible(
        page,
        axe,
        [
            "/en/",
            "/en/accounts/login/",
            "/en/accounts/password_reset/",
            reverse("first-login"),
            reverse("courses:search") + "?q=Python",
            year.course.url,
        ],
    )


def test_a_students_pages_pass_axe_and_fit_a_phone(page, axe, eager_celery):
    year = school_year()
    log_in(page, "pupil")
    submission = Submission.objects.filter(student__username="pupil").first()
    assert_accessible(
        page,
        axe,
        [
            "/en/dashboard/",
            year.course.url,
            year.quiz_lesson.url,
            year.exercise_lesson.url,
            reverse("grading:exercise", args=[year.exercise.pk]),
            reverse("grading:submission-feedback", args=[year.exercise.pk, submission.uid]),
        ],
    )


def test_a_teachers_pages_pass_axe_and_fit_a_phone(page, axe, eager_celery):
    year = school_year(classmates=True)
    log_in(page, "teacher")
    cohort = year.cohort.pk
    assert_accessible(
        page,
        axe,
        [
            "/en/dashboard/",
            reverse("grading:needs-grading"),
            reverse("cohort-detail", args=[cohort]),
            reverse("cohort-logins", args=[cohort]),
            reverse("courses:cohort-progress", args=[cohort]),
            reverse("courses:quiz-statistics", args=[cohort]),
            reverse("grading:gradebook", args=[cohort]),
            reverse("grading:exercise-list"),
            reverse("grading:exercise-manage", args=[year.exercise.pk]),
            reverse("grading:exercise-preview", args=[year.exercise.pk]),
            reverse("grading:submission-review", args=[year.review.uid]),
            year.course.url,
            reverse("courses:cohort-assign", args=[cohort]),
        ],
    )

    # The progress matrix is wider than a phone: it scrolls in its own region, which says
    # so, and which the keyboard scrolls too.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("courses:cohort-progress", args=[cohort]))
    region = page.get_by_role("region", name=f"Progress of each student in {year.course.title}")
    expect(region).to_have_class(re.compile(r"\bmore-right\b"))
    expect(page.locator(".scroll-hint")).to_have_text("↔ Scroll sideways to see the whole table")
    region.focus()
    page.keyboard.press("ArrowRight")
    expect(region).to_have_class(re.compile(r"\bmore-left\b"))
    assert region.evaluate("el => el.scrollLeft") > 0


def test_an_institution_admins_pages_pass_axe_and_fit_a_phone(page, axe, eager_celery):
    year = school_year()
    log_in(page, "schooladmin")
    institution = Institution.objects.get(code="baku-school-6").pk
    assert_accessible(
        page,
        axe,
        [
            "/en/dashboard/",
            reverse("institution-detail", args=[institution]),
            reverse("cohort-detail", args=[year.cohort.pk]),
            reverse("cohort-logins", args=[year.cohort.pk]),
            reverse("cohort-import", args=[year.cohort.pk]),
            reverse("cohort-create", args=[institution]),
            year.course.url,  # the outline an institution admin may open
            reverse("reports:dashboard"),
        ],
    )


def test_a_ministry_analysts_pages_pass_axe_and_fit_a_phone(page, axe, eager_celery):
    demo_people.load()
    digcomp = list(Competence.objects.filter(area__framework__kind="digcomp")[:4])
    for i, student in enumerate(
        User.objects.filter(memberships__role="student").distinct().order_by("pk")
    ):
        for j, c in enumerate(digcomp):
            replace_evidence(
                student,
                f"quiz:a11y:{student.pk}:{c.pk}",
                [(c, 1 + (i + j) % 4, 1.0)],
                when=months_ago(i % 4),
            )
    log_in(page, "analyst")
    baku = Region.objects.get(code="baku")
    reports = reverse("reports:dashboard")
    assert_accessible(
        page,
        axe,
        [
            "/en/dashboard/",
            reports,
            f"{reports}?region={baku.code}",
            f"{reports}?institution=baku-school-6",
        ],
    )


# ---------------------------------------------------------------------------------------
# The header menu
# ---------------------------------------------------------------------------------------


def test_the_header_menu_folds_behind_a_button_on_a_phone(page, browser, live_server):
    user = User.objects.create_user("aysel", password=demo_people.DEMO_PASSWORD)
    log_in(page, user.username)
    menu = page.get_by_role("button", name="Menu")
    dashboard = page.get_by_role("navigation", name="Main").get_by_role("link", name="My dashboard")
    expect(menu).to_be_hidden()  # a desktop has room for the links
    expect(dashboard).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(dashboard).to_be_hidden()
    expect(page.get_by_role("button", name="RU")).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(dashboard).to_be_visible()
    expect(page.get_by_role("button", name="RU")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dashboard).to_be_hidden()
    expect(menu).to_be_focused()

    menu.press("Enter")
    dashboard.click()
    expect(page).to_have_url(re.compile(r"/en/dashboard/$"))

    # Without JavaScript nothing is folded away: the links stay in the header.
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        bare = context.new_page()
        bare.goto("/en/accounts/login/")
        expect(bare.get_by_role("button", name="Menu")).to_be_hidden()
        expect(
            bare.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")
        ).to_be_visible()
        expect(bare.get_by_role("button", name="AZ")).to_be_visible()
        assert bare.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
