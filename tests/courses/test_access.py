"""Who reads a lesson; self-enrolment in open courses; pages missing in a language fall
back to the original, with a notice, never an error."""

import pytest
from django.urls import reverse

from courses.models import CoursePage, Enrolment, LessonPage, LessonProgress
from tests.factories import CohortFactory, UserFactory, student_in, teacher_of

from .pages import course, curriculum, lesson, student_of, translate

pytestmark = pytest.mark.django_db

SECRET = "The lesson's own words"


@pytest.fixture
def closed_lesson():
    return lesson(
        course(title="Assigned course", is_open=False),
        title="Loops",
        body=[{"type": "paragraph", "value": f"<p>{SECRET}</p>"}],
    )


@pytest.fixture
def open_lesson():
    return lesson(
        course(title="Open course", is_open=True),
        title="Search",
        body=[{"type": "paragraph", "value": f"<p>{SECRET}</p>"}],
    )


def test_a_visitor_is_asked_to_log_in(client, closed_lesson):
    response = client.get(closed_lesson.url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_student_not_enrolled_is_told_why_and_sees_no_content(client, closed_lesson):
    client.force_login(student_in(CohortFactory()))

    response = client.get(closed_lesson.url)

    assert response.status_code == 403
    html = response.content.decode()
    assert SECRET not in html
    assert "in which you are not enrolled" in html
    assert "Your teacher assigns this course" in html
    assert 'data-testid="self-enrol"' not in html
    assert not LessonProgress.objects.exists()


def test_an_open_course_offers_self_enrolment_and_then_the_lesson(client, open_lesson):
    student = student_in(CohortFactory())
    client.force_login(student)
    locked = client.get(open_lesson.url).content.decode()
    assert 'data-testid="self-enrol"' in locked and SECRET not in locked

    course_page = open_lesson.get_parent().specific
    response = client.post(
        reverse("courses:course-enrol", args=[course_page.pk]), {"next": open_lesson.url}
    )

    assert response.status_code == 302 and response["Location"] == open_lesson.url
    assert Enrolment.objects.get(student=student).source == Enrolment.Source.SELF
    html = client.get(open_lesson.url).content.decode()
    assert SECRET in html


def test_a_closed_course_refuses_self_enrolment(client, closed_lesson):
    client.force_login(UserFactory())
    course_page = closed_lesson.get_parent()
    response = client.post(reverse("courses:course-enrol", args=[course_page.pk]), follow=True)
    assert "not open for self-enrolment" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_the_course_page_offers_self_enrolment_to_whom_it_concerns(client, open_lesson):
    client.force_login(UserFactory())
    course_page = open_lesson.get_parent().specific
    assert 'data-testid="self-enrol"' in client.get(course_page.url).content.decode()


def test_teachers_read_every_lesson_without_it_counting_as_progress(client, closed_lesson):
    client.force_login(teacher_of(CohortFactory()))

    response = client.get(closed_lesson.url)

    assert response.status_code == 200 and SECRET in response.content.decode()
    assert not LessonProgress.objects.exists()


def test_an_enrolled_student_reads_the_lesson_in_a_translation(client, closed_lesson):
    """The student is enrolled in the original course; the Azerbaijani copy is the same
    course for access and progress."""
    course_page = closed_lesson.get_parent().specific
    translate(course_page, "az", title="Təyin olunmuş kurs")
    az_lesson = translate(closed_lesson, "az", title="Dövrlər")
    student = student_of(course_page)
    client.force_login(student)

    response = client.get(az_lesson.url)

    assert response.status_code == 200
    assert "Dövrlər" in response.content.decode()
    assert LessonProgress.objects.get(student=student).lesson_id == closed_lesson.pk


def test_a_page_missing_in_a_language_is_served_in_the_original_with_a_notice(client):
    course_page = course(curriculum(title="Informatics"), title="Python basics")
    assert course_page.url.startswith("/en/")
    client.force_login(UserFactory())

    for language in ("az", "ru"):
        response = client.get(course_page.url.replace("/en/", f"/{language}/", 1))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert "Python basics" in html
        assert 'data-testid="translation-notice"' in html


def test_a_page_that_exists_nowhere_is_a_plain_404(client):
    course(title="Python basics")
    assert client.get("/az/curricula/no-such-curriculum/").status_code == 404


def test_the_course_page_lists_lessons_in_the_readers_language_where_translated(client):
    course_page = course(title="Python basics", slug="python-basics-tr")
    first = lesson(course_page, title="Variables")
    lesson(course_page, title="Loops")
    az_course = translate(course_page, "az", title="Python əsasları")
    az_first = translate(first, "az", title="Dəyişənlər")
    client.force_login(UserFactory())

    html = client.get(az_course.url).content.decode()

    assert "Dəyişənlər" in html and "Loops" in html  # the untranslated one still listed
    assert CoursePage.objects.filter(translation_key=course_page.translation_key).count() == 2
    assert LessonPage.objects.get(pk=az_first.pk).url.startswith("/az/")
