"""Quizzes: answers are checked on the server and never sent to the browser; every answer is
recorded; a re-answer replaces the competence evidence instead of adding to it."""

import pytest
from django.urls import reverse

from courses import services
from courses.models import LessonProgress, QuizAttempt
from courses.quiz import quizzes_in
from evidence.models import CompetenceEvidence
from tests.factories import UserFactory

from .pages import choice, course, ids, question, quiz_lesson, student_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    return quiz_lesson(
        course(title="Python basics"),
        question(
            "What does 7 // 2 give?",
            choices=[choice("3", correct=True), choice("3.5"), choice("4")],
            explanation="// keeps the whole part.",
        ),
        question(
            "Which are numbers?",
            kind="multiple",
            choices=[choice("42", True), choice("'42'"), choice("4.2", True)],
        ),
        question("What is pi to two decimals?", kind="numeric", answer=3.14, tolerance=0.005),
    )


@pytest.fixture
def student(lesson):
    return student_of(lesson.get_parent().specific, username="aysel")


def answer_url(lesson):
    quiz_id, _q, _c = ids(lesson)
    return reverse("courses:quiz-submit", args=[lesson.pk, quiz_id])


def test_the_page_never_contains_the_answers(client, lesson, student):
    client.force_login(student)

    html = client.get(lesson.url).content.decode()

    _quiz, _questions, choices = ids(lesson)
    assert "What does 7 // 2 give?" in html and "What is pi to two decimals?" in html
    for choice_id in choices[0]:
        assert f'value="{choice_id}"' in html  # choices are offered by id only
    assert "3.14" not in html  # the expected number
    assert '"correct"' not in html and "correct&quot;" not in html
    assert "// keeps the whole part." not in html  # explanations come after answering
    assert 'data-testid="quiz-check"' in html


def test_single_multiple_and_numeric_answers_are_checked_on_the_server(client, lesson, student):
    client.force_login(student)
    _quiz, (single, multiple, numeric), choices = ids(lesson)

    response = client.post(
        answer_url(lesson),
        {
            f"q-{single}": choices[0][0],
            f"q-{multiple}": [choices[1][0], choices[1][2]],
            f"q-{numeric}": "3,141",  # a decimal comma, as az and ru readers type it
        },
        follow=True,
    )

    html = response.content.decode()
    assert "Checked. 3 of 3 questions of this quiz are right now." in html
    assert "// keeps the whole part." in html  # the explanation, now
    assert html.count('data-testid="feedback">✓') == 3
    assert QuizAttempt.objects.filter(student=student, is_correct=True).count() == 3
    progress = LessonProgress.objects.get(student=student)
    assert progress.quiz_score == 1 and progress.quiz_passed and progress.completed_at


@pytest.mark.parametrize(
    ("values", "correct"),
    [
        (["3.14"], True),
        (["3.144"], True),  # within the tolerance
        (["3.146"], False),
        (["3"], False),
    ],
)
def test_a_numeric_answer_counts_within_its_tolerance(lesson, student, values, correct):
    _quiz, questions, _c = ids(lesson)
    outcome = services.quiz_answer(
        student=student, lesson=lesson, question_id=questions[2], answer=values
    )
    assert outcome.feedback[0].is_correct is correct


def test_multiple_choice_needs_every_correct_choice_and_no_other(lesson, student):
    _quiz, questions, choices = ids(lesson)
    partial = services.quiz_answer(
        student=student, lesson=lesson, question_id=questions[1], answer=[choices[1][0]]
    )
    too_many = services.quiz_answer(
        student=student, lesson=lesson, question_id=questions[1], answer=choices[1]
    )
    assert not partial.feedback[0].is_correct and not too_many.feedback[0].is_correct


def test_every_attempt_is_kept_and_a_re_answer_replaces_the_evidence(lesson, student):
    _quiz, questions, choices = ids(lesson)
    wrong, right = choices[0][1], choices[0][0]

    services.quiz_answer(student=student, lesson=lesson, question_id=questions[0], answer=[wrong])
    services.quiz_answer(student=student, lesson=lesson, question_id=questions[0], answer=[right])

    assert QuizAttempt.objects.filter(student=student, question_id=questions[0]).count() == 2
    evidence = CompetenceEvidence.objects.get(student=student)
    assert evidence.score == 1.0
    assert evidence.source_key == f"quiz:{lesson.pk}:{questions[0]}"
    assert evidence.competence.code == "3.4" and evidence.level == 2


def test_an_answer_to_a_question_that_does_not_exist_is_refused_clearly(client, lesson, student):
    client.force_login(student)

    response = client.post(answer_url(lesson), {"q-not-a-question": "x"}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Question “not-a-question” does not exist in this quiz; reload the page." in html
    assert not QuizAttempt.objects.exists()


def test_a_quiz_that_does_not_exist_is_refused_clearly(client, lesson, student):
    client.force_login(student)
    url = reverse("courses:quiz-submit", args=[lesson.pk, "no-such-quiz"])

    html = client.post(url, {"q-x": "1"}, follow=True).content.decode()

    assert "This quiz is not part of the lesson (any more); reload the page." in html


def test_a_number_that_is_not_a_number_is_refused(lesson, student):
    _quiz, questions, _c = ids(lesson)
    with pytest.raises(services.QuizRefused) as refused:
        services.quiz_answer(
            student=student, lesson=lesson, question_id=questions[2], answer=["three"]
        )
    assert "“three” is not a number." in refused.value.message
    assert not QuizAttempt.objects.exists()


def test_answers_of_someone_not_enrolled_are_not_recorded(client, lesson):
    outsider = UserFactory()
    client.force_login(outsider)
    _quiz, questions, choices = ids(lesson)

    client.post(answer_url(lesson), {f"q-{questions[0]}": choices[0][0]})

    assert not QuizAttempt.objects.exists()


def test_an_empty_submission_asks_for_an_answer(client, lesson, student):
    client.force_login(student)
    html = client.post(answer_url(lesson), {}, follow=True).content.decode()
    assert "Answer at least one question before checking." in html


def test_quizzes_read_the_stored_body_with_ids():
    lesson_page = quiz_lesson(None, question(id="q-fixed"))
    (quiz,) = quizzes_in(lesson_page.body.raw_data)
    assert [q.id for q in quiz.questions] == ["q-fixed"]
    assert quiz.questions[0].public().choices[1][1] == "4"
    assert not hasattr(quiz.questions[0].public(), "answer")
