"""Similar submissions, for an exercise's teachers: a check compares each student's latest
submission in the background (on demand, or once after the deadline), keeps one ranked set
of pairs, and shows two answers side by side with student code escaped. Students, the two
of a pair included, never reach any of it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grading import queue, similarity, tasks
from grading.models import SimilarityCheck, SimilarPair, Submission
from lms.celery import app
from tests.factories import CohortFactory, staff_user, student_in, teacher_of
from tests.grading import similarity_data as data
from tests.grading.factories import classroom

pytestmark = pytest.mark.django_db

XSS = "</code></pre><script>alert('owned')</script><pre><code>"


@pytest.fixture
def room():
    return classroom(source=data.describe_exercise())


def submit(exercise, student, code: str, *, attempt: int = 1, **fields) -> Submission:
    """A stored attempt with `code` in the answer cell (grading is not what is tested)."""
    return Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=attempt,
        origin=Submission.Origin.BROWSER,
        notebook=data.submission_notebook_of(exercise, code),
        status=Submission.Status.GRADED,
        **fields,
    )


def run_check(exercise, by=None) -> SimilarityCheck:
    check = similarity.check_start(exercise=exercise, requested_by=by)
    similarity.check_run(check_id=check.pk)
    check.refresh_from_db()
    return check


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pairs_url(exercise) -> str:
    return reverse("grading:similarity", args=[exercise.pk])


def pair_url(pair: SimilarPair) -> str:
    return reverse("grading:similarity-pair", args=[pair.check_run.exercise_id, pair.pk])


def a_class(room, *, honest: int = 3):
    """The original, its disguised copy, honest answers, and one who left the starter."""
    original = submit(room.exercise, room.student, data.ORIGINAL)
    copy = submit(room.exercise, room.classmate, data.DISGUISED_COPY)
    for source in data.HONEST[:honest]:
        submit(room.exercise, student_in(room.cohort), source)
    submit(room.exercise, student_in(room.cohort), data.STARTER_ONLY)
    submit(room.exercise, student_in(room.cohort), data.STARTER_ONLY)
    return original, copy


# ---------------------------------------------------------------------------------------
# Hostile code first
# ---------------------------------------------------------------------------------------


def test_student_code_is_shown_as_text_on_the_side_by_side_page(room):
    evil = data.ORIGINAL + f'    # {XSS}\n    label = "{XSS}"\n'
    submit(room.exercise, room.student, evil)
    submit(room.exercise, room.classmate, data.DISGUISED_COPY + f"    # {XSS}\n")
    run_check(room.exercise)
    pair = SimilarPair.objects.get()

    response = logged_in(room.teacher).get(pair_url(pair))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(&#x27;owned&#x27;)" in html
    assert html.count("<mark>") >= 2  # the copied code is highlighted on both sides


def test_names_of_students_are_escaped_in_the_list(room):
    room.classmate.first_name = "<img src=x onerror=alert(1)>"
    room.classmate.save()
    a_class(room)
    run_check(room.exercise)

    html = logged_in(room.teacher).get(pairs_url(room.exercise)).content.decode()

    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


# ---------------------------------------------------------------------------------------
# What the teacher sees
# ---------------------------------------------------------------------------------------


def test_the_copy_ranks_first_with_both_students_and_the_starter_pair_is_not_there(room):
    a_class(room)
    check = run_check(room.exercise, by=room.teacher)

    response = logged_in(room.teacher).get(pairs_url(room.exercise))

    assert check.status == SimilarityCheck.Status.DONE and check.submissions_compared == 7
    rows = re.findall(
        r'<tr data-testid="similarity-pair">(.*?)</tr>', response.content.decode(), re.S
    )
    assert len(rows) == 1  # the two starter-only answers are not a pair
    assert "Aysel Aliyeva" in rows[0] and "Murad Mammadov" in rows[0]
    assert room.student.username in rows[0] and room.classmate.username in rows[0]
    assert "100%" in rows[0]


def test_the_latest_attempt_of_each_student_is_compared(room):
    submit(room.exercise, room.student, data.ORIGINAL)
    submit(room.exercise, room.classmate, data.DISGUISED_COPY, attempt=1)
    latest = submit(room.exercise, room.classmate, data.HONEST[0], attempt=2)

    check = run_check(room.exercise)

    assert check.submissions_compared == 2
    assert not SimilarPair.objects.exists()  # the copy was replaced by an honest answer
    assert latest in similarity.latest_submissions(exercise=room.exercise)


def test_the_side_by_side_page_shows_both_answers_and_links_to_them(room):
    original, copy = a_class(room)
    run_check(room.exercise)
    pair = SimilarPair.objects.get()

    html = logged_in(room.teacher).get(pair_url(pair)).content.decode()

    assert "acc += (x - avg) ** 2" in html and "squares += (value - mean) ** 2" in html
    assert reverse("grading:submission-review", args=[original.uid]) in html
    assert reverse("grading:submission-review", args=[copy.uid]) in html


def test_the_exercise_page_of_a_teacher_links_to_the_similar_submissions(room):
    html = (
        logged_in(room.teacher)
        .get(reverse("grading:exercise-manage", args=[room.exercise.pk]))
        .content.decode()
    )
    assert pairs_url(room.exercise) in html


def test_before_any_check_the_page_says_so_and_offers_to_check(room):
    html = logged_in(room.teacher).get(pairs_url(room.exercise)).content.decode()
    assert 'data-testid="similarity-never"' in html and "Check now" in html
    assert 'http-equiv="refresh"' not in html


def test_check_now_queues_one_background_check_after_commit(
    room, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), **kw: sent.append((name, args)))
    client = logged_in(room.teacher)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grading:similarity-check", args=[room.exercise.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("grading:similarity-check", args=[room.exercise.pk]))  # again

    check = SimilarityCheck.objects.get()  # the second click found the first pending
    assert response.status_code == 302 and check.requested_by == room.teacher
    assert sent == [(queue.SIMILARITY_CHECK_TASK, (check.pk,))]
    html = client.get(pairs_url(room.exercise)).content.decode()
    assert 'http-equiv="refresh"' in html and "<progress" in html and "disabled" in html


def test_check_now_needs_the_csrf_token(room):
    client = Client(enforce_csrf_checks=True)
    client.force_login(room.teacher)
    response = client.post(reverse("grading:similarity-check", args=[room.exercise.pk]))
    assert response.status_code == 403 and not SimilarityCheck.objects.exists()


def test_the_check_runs_on_the_default_queue_by_name():
    assert tasks.similarity_check_task.name == queue.SIMILARITY_CHECK_TASK
    assert app.amqp.router.route({}, queue.SIMILARITY_CHECK_TASK)["queue"].name == "default"
    due = tasks.similarity_due_checks_task.name
    assert app.amqp.router.route({}, due)["queue"].name == "default"
    assert due in {entry["task"] for entry in app.conf.beat_schedule.values()}


def test_a_failed_check_says_so_and_may_be_started_again(room, monkeypatch):
    a_class(room)

    def broken(*args, **kwargs):
        raise MemoryError("too much")

    monkeypatch.setattr(similarity.similarity, "similar_pairs", broken)
    check = run_check(room.exercise)
    html = logged_in(room.teacher).get(pairs_url(room.exercise)).content.decode()

    assert check.status == SimilarityCheck.Status.FAILED and "too much" in check.error
    assert "The check stopped with an error" in html
    assert similarity.check_start(exercise=room.exercise).pk != check.pk


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_pairs(
    room, django_assert_max_num_queries
):
    for _ in range(3):
        submit(room.exercise, student_in(room.cohort), data.ORIGINAL)
    submit(room.exercise, room.student, data.DISGUISED_COPY)
    run_check(room.exercise)
    assert SimilarPair.objects.count() == 6
    client = logged_in(room.teacher)
    client.get(pairs_url(room.exercise))  # warm the session and the site's caches

    with django_assert_max_num_queries(16):
        response = client.get(pairs_url(room.exercise))
    assert response.content.decode().count('data-testid="similarity-pair"') == 6


# ---------------------------------------------------------------------------------------
# Idempotent background work
# ---------------------------------------------------------------------------------------


def test_running_the_task_twice_stores_one_set_of_pairs(room):
    a_class(room)
    check = similarity.check_start(exercise=room.exercise)

    tasks.similarity_check_task(check.pk)
    first = list(SimilarPair.objects.values_list("pk", "first_id", "second_id"))
    tasks.similarity_check_task(check.pk)  # redelivered after it finished

    assert list(SimilarPair.objects.values_list("pk", "first_id", "second_id")) == first
    assert len(first) == 1


def test_a_new_check_replaces_the_pairs_of_the_previous_one(room):
    a_class(room)
    old = run_check(room.exercise)
    new = run_check(room.exercise)

    assert new.pk != old.pk
    assert set(SimilarPair.objects.values_list("check_run", flat=True)) == {new.pk}
    assert similarity.results_check(exercise=room.exercise) == new


def test_a_check_left_running_by_a_dead_worker_is_taken_over_once_stale(room, settings):
    a_class(room)
    check = similarity.check_start(exercise=room.exercise)
    SimilarityCheck.objects.filter(pk=check.pk).update(
        status=SimilarityCheck.Status.RUNNING, started_at=timezone.now()
    )

    similarity.check_run(check_id=check.pk)  # another worker seems to be at it
    assert not SimilarPair.objects.exists()

    SimilarityCheck.objects.filter(pk=check.pk).update(
        started_at=timezone.now()
        - dt.timedelta(seconds=settings.GRADING_SIMILARITY_STALE_AFTER + 1)
    )
    similarity.check_run(check_id=check.pk)
    check.refresh_from_db()
    assert check.status == SimilarityCheck.Status.DONE and SimilarPair.objects.count() == 1


def test_a_check_that_no_longer_exists_is_ignored():
    tasks.similarity_check_task(987654)  # the exercise was deleted in between


# ---------------------------------------------------------------------------------------
# After the deadline
# ---------------------------------------------------------------------------------------


def test_the_schedule_starts_one_check_only_after_the_deadline(room):
    a_class(room)
    room.exercise.due_at = timezone.now() + dt.timedelta(hours=1)
    room.exercise.save()

    assert similarity.due_checks_start() == []  # not yet due

    room.exercise.due_at = timezone.now() - dt.timedelta(seconds=1)  # the deadline passes
    room.exercise.save()
    started = similarity.due_checks_start()
    assert [c.exercise_id for c in started] == [room.exercise.pk]
    assert started[0].requested_by is None

    assert similarity.due_checks_start() == []  # queued: not a second one
    similarity.check_run(check_id=started[0].pk)
    assert similarity.due_checks_start() == []  # done: once
    assert SimilarityCheck.objects.count() == 1


def test_a_check_already_asked_for_after_the_deadline_counts(room):
    a_class(room)
    room.exercise.due_at = timezone.now() - dt.timedelta(minutes=5)
    room.exercise.save()
    run_check(room.exercise, by=room.teacher)

    assert similarity.due_checks_start() == []


def test_a_deadline_moved_later_makes_the_exercise_due_again(room):
    a_class(room)
    room.exercise.due_at = timezone.now() - dt.timedelta(days=1)
    room.exercise.save()
    (first,) = similarity.due_checks_start()
    similarity.check_run(check_id=first.pk)

    room.exercise.due_at = timezone.now()  # extended until now, after the first check
    room.exercise.save()
    (second,) = similarity.due_checks_start()
    assert second.pk != first.pk


def test_exercises_without_a_deadline_or_with_one_student_are_left_alone(room):
    a_class(room)  # no deadline
    lonely = classroom(
        source=data.describe_exercise(), due_at=timezone.now() - dt.timedelta(days=1)
    )
    submit(lonely.exercise, lonely.student, data.ORIGINAL)
    submit(lonely.exercise, lonely.student, data.ORIGINAL, attempt=2)

    assert similarity.due_checks_start() == []


# ---------------------------------------------------------------------------------------
# Who may see it
# ---------------------------------------------------------------------------------------


@pytest.fixture
def checked(room):
    a_class(room)
    run_check(room.exercise)
    return room, SimilarPair.objects.get()


def test_the_two_students_of_a_pair_reach_none_of_it(checked):
    room, pair = checked
    for student in (room.student, room.classmate, room.outsider):
        client = logged_in(student)
        assert client.get(pairs_url(room.exercise)).status_code == 403
        assert client.get(pair_url(pair)).status_code == 403
        check = reverse("grading:similarity-check", args=[room.exercise.pk])
        assert client.post(check).status_code == 403
    assert SimilarityCheck.objects.count() == 1


def test_nothing_of_it_is_in_the_student_pages_or_api(checked):
    room, _ = checked
    client = logged_in(room.student)
    pages = [
        reverse("grading:exercise", args=[room.exercise.pk]),
        "/api/v1/submissions/",
        f"/api/v1/exercises/{room.exercise.pk}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode().casefold()
        assert "similar" not in text and "acc += (x - avg)" not in text, url
        assert room.classmate.username not in text, url


def test_anonymous_visitors_are_sent_to_log_in(checked):
    room, pair = checked
    for url in (pairs_url(room.exercise), pair_url(pair)):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_teacher_of_another_cohort_may_not_open_it(checked):
    room, pair = checked
    client = logged_in(room.teacher_elsewhere)
    assert client.get(pairs_url(room.exercise)).status_code == 403
    assert client.get(pair_url(pair)).status_code == 403


def test_a_pair_of_another_exercise_is_not_found_through_this_one(checked):
    _, pair = checked
    other = classroom(source=data.describe_exercise())
    mine = teacher_of(other.cohort)
    url = reverse("grading:similarity-pair", args=[other.exercise.pk, pair.pk])
    assert logged_in(mine).get(url).status_code == 404


def test_a_cross_cohort_pair_is_shown_only_to_who_may_read_both(room):
    """The course is assigned to a second cohort; a copy across the two cohorts is shown
    to staff, not to the teacher of one of them (the other's code is not theirs)."""
    from courses.services import course_assign

    second = CohortFactory()
    other_teacher = teacher_of(second)
    course_assign(course=room.course, cohort=second, assigned_by=other_teacher)
    submit(room.exercise, room.student, data.ORIGINAL)
    submit(room.exercise, student_in(second), data.DISGUISED_COPY)
    run_check(room.exercise)
    pair = SimilarPair.objects.get()

    for teacher in (room.teacher, other_teacher):
        client = logged_in(teacher)
        html = client.get(pairs_url(room.exercise)).content.decode()
        assert 'data-testid="similarity-pair"' not in html
        assert client.get(pair_url(pair)).status_code == 404
    staff = logged_in(staff_user())
    assert staff.get(pair_url(pair)).status_code == 200
    assert 'data-testid="similarity-pair"' in staff.get(pairs_url(room.exercise)).content.decode()
