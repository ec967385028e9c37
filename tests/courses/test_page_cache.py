"""The lesson page is drawn from caches (cms/pagecache.py, cms/routing.py,
courses.page_selectors.lesson_frame): what every reader sees is cached until any page
changes, what is a student's own never is. A change published shows at once, in every
language; nobody sees another student's answers; the queries are few and fixed."""

import json
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Enrolment, LessonPage
from lms.cache_backends import ResilientRedisCache
from tests.factories import staff_user

from .pages import choice, course, ids, lesson, question, quiz, student_of, translate

pytestmark = pytest.mark.django_db


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>", "id": str(uuid.uuid4())}


def republish(page: LessonPage, **fields) -> LessonPage:
    page = LessonPage.objects.get(pk=page.pk)
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def in_language(url: str, code: str) -> str:
    return f"/{code}/" + url.split("/", 2)[2]


def test_a_published_edit_shows_at_once_in_every_language(client):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("First words")])
    azeri = translate(a_lesson, "az", body=json.dumps([paragraph("İlk sözlər")]))
    client.force_login(student_of(a_course))
    en_url = a_lesson.url
    az_url = in_language(azeri.url, "az")
    ru_url = in_language(en_url, "ru")  # no Russian translation: the original is served
    assert "First words" in text_of(client, en_url)
    assert "İlk sözlər" in text_of(client, az_url)
    assert "First words" in text_of(client, ru_url)

    republish(a_lesson, body=json.dumps([paragraph("Second words")]))

    assert "Second words" in text_of(client, en_url)
    assert "First words" not in text_of(client, en_url)
    assert "Second words" in text_of(client, ru_url)
    assert "İlk sözlər" in text_of(client, az_url)  # the translation is its own page

    republish(azeri, body=json.dumps([paragraph("İkinci sözlər")]))

    assert "İkinci sözlər" in text_of(client, az_url)


def test_a_renamed_neighbour_and_an_unpublished_lesson_show_at_once(client):
    a_course = course()
    first = lesson(a_course, title="Variables", body=[paragraph("x = 1")])
    second = lesson(a_course, title="Loops", body=[paragraph("for")])
    client.force_login(student_of(a_course))
    assert "Next: Loops" in text_of(client, first.url)
    assert client.get(second.url).status_code == 200

    republish(second, title="Loops and ranges")
    assert "Next: Loops and ranges" in text_of(client, first.url)

    LessonPage.objects.get(pk=second.pk).unpublish()
    assert client.get(second.url).status_code == 404
    assert "Next:" not in text_of(client, first.url)


def test_a_moved_course_is_found_at_its_new_address_only(client):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Moving words")])
    student = student_of(a_course)
    client.force_login(student)
    old_url = a_lesson.url
    assert "Moving words" in text_of(client, old_url)

    a_course.refresh_from_db()
    other = course()
    a_lesson.refresh_from_db()
    LessonPage.objects.get(pk=a_lesson.pk).move(other, pos="last-child")
    moved = LessonPage.objects.get(pk=a_lesson.pk)
    Enrolment.objects.create(course=other, student=student, source=Enrolment.Source.SELF)

    assert moved.url != old_url
    answer = client.get(old_url)  # Wagtail's redirect to where the page went
    assert answer.status_code == 301 and answer["Location"] == moved.url
    assert "Moving words" in text_of(client, moved.url)


def test_a_preview_of_a_draft_is_never_served_to_students(client):
    superuser = staff_user(is_superuser=True)
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Live words")])
    student = student_of(a_course)
    draft = LessonPage.objects.get(pk=a_lesson.pk)
    draft.body = json.dumps([paragraph("Draft words")])
    draft.save_revision()  # saved, not published
    client.force_login(superuser)
    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[a_lesson.pk]))
    assert "Draft words" in preview.content.decode()

    client.force_login(student)
    html = text_of(client, a_lesson.url)
    assert "Live words" in html and "Draft words" not in html


def test_a_students_answers_and_progress_are_never_shown_to_another(client):
    a_course = course()
    quizzed = lesson(
        a_course,
        body=[
            paragraph("Read first"),
            quiz(question("2 + 2?", choices=[choice("4", correct=True), choice("5")])),
        ],
        completion_rule="quiz",
    )
    ana, bob = student_of(a_course), student_of(a_course)
    quiz_id, (question_id,), ((right, _wrong),) = ids(quizzed)

    client.force_login(ana)
    text_of(client, quizzed.url)  # the caches warm with Ana's visit
    client.post(
        reverse("courses:quiz-submit", args=[quizzed.pk, quiz_id]), {f"q-{question_id}": right}
    )
    ana_html = text_of(client, quizzed.url)
    assert 'data-testid="quiz-passed"' in ana_html
    assert 'data-testid="lesson-completed"' in ana_html

    client.force_login(bob)
    bob_html = text_of(client, quizzed.url)
    assert "Read first" in bob_html and "2 + 2?" in bob_html
    assert 'data-testid="quiz-passed"' not in bob_html
    assert 'data-testid="lesson-completed"' not in bob_html
    assert 'data-testid="feedback"' not in bob_html
    assert not re.search(r"<input[^>]* checked", bob_html)


def test_an_answer_saved_while_the_page_was_drawn_shows_on_the_next_view(client, monkeypatch):
    """What a student did in a lesson is cached with the version of their work it was read
    under. An answer saved (in another tab) between that read and the cache write draws a
    new version: the entry written with the old one is never served after it."""
    from courses import services
    from people import panels

    a_course = course()
    quizzed = lesson(
        a_course,
        body=[quiz(question("2 + 2?", choices=[choice("4", correct=True), choice("5")]))],
        completion_rule="quiz",
    )
    ana = student_of(a_course)
    quiz_id, (question_id,), ((right, _wrong),) = ids(quizzed)
    cached = panels.student_work_cached

    def answered_meanwhile(student_id, parts, compute, **kwargs):
        def read_then_answer():
            work = compute()  # read before the answer...
            services.quiz_submit(
                student=ana, lesson=quizzed, quiz_id=quiz_id, answers={question_id: [right]}
            )
            return work  # ...and cached after it

        return cached(student_id, parts, read_then_answer, **kwargs)

    client.force_login(ana)
    monkeypatch.setattr(panels, "student_work_cached", answered_meanwhile)
    assert 'data-testid="quiz-passed"' not in text_of(client, quizzed.url)
    monkeypatch.setattr(panels, "student_work_cached", cached)
    html = text_of(client, quizzed.url)
    assert 'data-testid="quiz-passed"' in html
    assert 'data-testid="lesson-completed"' in html


def _csrf_in_quiz(html: str) -> str:
    form = re.search(r'<section class="quiz.*?</section>', html, re.S).group(0)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def test_readers_sharing_a_cached_quiz_each_get_their_own_csrf_token():
    """Two students who have answered nothing see the same quiz, drawn once: the form in
    each page carries that reader's token, and the check goes through with it only."""
    from django.test import Client

    a_course = course()
    quizzed = lesson(
        a_course, body=[quiz(question("2 + 2?", choices=[choice("4", correct=True), choice("5")]))]
    )
    quiz_id, (question_id,), ((right, _wrong),) = ids(quizzed)
    ana, bob = student_of(a_course), student_of(a_course)
    ana_client, bob_client = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    ana_client.force_login(ana)
    bob_client.force_login(bob)
    submit = reverse("courses:quiz-submit", args=[quizzed.pk, quiz_id])

    ana_token = _csrf_in_quiz(text_of(ana_client, quizzed.url))
    bob_token = _csrf_in_quiz(text_of(bob_client, quizzed.url))  # the quiz from the cache

    # Bob's page must not carry Ana's token: with it, his check is refused
    refused = bob_client.post(submit, {f"q-{question_id}": right, "csrfmiddlewaretoken": ana_token})
    assert refused.status_code == 403
    checked = bob_client.post(submit, {f"q-{question_id}": right, "csrfmiddlewaretoken": bob_token})
    assert checked.status_code == 302
    assert 'data-testid="quiz-passed"' in text_of(bob_client, quizzed.url)
    assert 'data-testid="quiz-passed"' not in text_of(ana_client, quizzed.url)


def test_an_enrolment_removed_in_the_admin_closes_the_lesson_at_once(client):
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Only for the enrolled")])
    student = student_of(a_course)
    client.force_login(student)
    assert "Only for the enrolled" in text_of(client, a_lesson.url)  # cached: enrolled

    Enrolment.objects.get(student=student).delete()

    response = client.get(a_lesson.url)
    assert response.status_code == 403
    assert "Only for the enrolled" not in response.content.decode()


def _queries(client, url: str, on_commit) -> list[str]:
    with on_commit(execute=True):  # caches warm, as on any running server
        client.get(url)
        client.get(url)  # (the student's xAPI name is cached from their second visit)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured]


# session, user; the visit (savepoint, lesson progress, xAPI statement, course progress,
# the student's cohorts, whose progress pages it retires, release), written at once: the
# tests' cache is no Redis to buffer it in (test_lesson_visits.py). The page, the
# enrolment, progress and answers come from caches.
LESSON_PAGE_QUERIES = 8


def test_a_lesson_page_reads_a_fixed_number_of_queries_however_long_the_lesson(
    client, django_capture_on_commit_callbacks
):
    a_course = course()
    short = lesson(
        a_course, body=[quiz(question("1?", choices=[choice("1", correct=True), choice("2")]))]
    )
    long = lesson(
        a_course,
        body=[
            *[paragraph(f"Paragraph {n}") for n in range(20)],
            *[
                quiz(question(f"Q{n}?", choices=[choice("a", correct=True), choice("b")]))
                for n in range(3)
            ],
        ],
    )
    client.force_login(student_of(a_course))

    on_commit = django_capture_on_commit_callbacks
    few, many = _queries(client, short.url, on_commit), _queries(client, long.url, on_commit)

    assert len(few) == len(many) == LESSON_PAGE_QUERIES, "\n".join(many)
    # no page tree walk, no block prefetching, no competence lookups
    assert not any("curricula_competence" in sql for sql in many)
    assert not any('"wagtailcore_page"' in sql for sql in many)


def test_the_home_catalogue_shows_a_published_or_withdrawn_course_at_once(client):
    first = course(title="Safe passwords")
    assert "Safe passwords" in text_of(client, "/en/")  # drawn once, cached

    second = course(first.get_parent().specific, title="Phishing at school")
    assert "Phishing at school" in text_of(client, "/en/")

    second.unpublish()
    html = text_of(client, "/en/")
    assert "Phishing at school" not in html and "Safe passwords" in html


def test_a_lesson_is_drawn_from_the_database_while_the_cache_is_down(
    client, settings, caplog, monkeypatch
):
    monkeypatch.setattr(ResilientRedisCache, "_logged_at", 0.0)  # logged once a minute
    a_course = course()
    a_lesson = lesson(a_course, body=[paragraph("Still readable")])
    client.force_login(student_of(a_course))
    settings.CACHES = {  # a Redis that does not answer (nothing listens on port 9)
        "default": {
            "BACKEND": "lms.cache_backends.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }

    assert "Still readable" in text_of(client, a_lesson.url)
    assert "Still readable" in text_of(client, a_lesson.url)
    assert "cache unavailable" in caplog.text
