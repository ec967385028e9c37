"""A quiz's attempts are limited (the teacher sets how many checks each question gets), and
its explanations, which may give an answer away, come only after a right answer or after
the last attempt, as the teacher chooses. The server enforces both, for the lesson page
and the API alike; the page tells the student how many attempts are left."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from wagtail.blocks import StructBlockValidationError

from courses import services
from courses.blocks import QuizBlock
from courses.models import QuizAttempt
from curricula.models import Competence

from .pages import choice, course, ids, lesson, question, quiz, student_of

pytestmark = pytest.mark.django_db

EXPLANATION = "Floor division keeps the whole part: 3."


def quizzed(**settings):
    return lesson(
        course(title="Python basics"),
        body=[
            quiz(
                question(
                    "What does 7 // 2 give?",
                    choices=[choice("3", correct=True), choice("3.5"), choice("4")],
                    explanation=EXPLANATION,
                ),
                **settings,
            )
        ],
        completion_rule="quiz",
    )


@pytest.fixture
def api():
    return APIClient()


def answer(api, page, value_index: int):
    _quiz, questions, choices = ids(page)
    return api.post(
        "/api/v1/quiz-answers/",
        {"lesson": page.pk, "question": questions[0], "answer": [choices[0][value_index]]},
        format="json",
    )


RIGHT, WRONG = 0, 1


def test_a_wrong_answer_gets_no_explanation_while_attempts_are_left(api):
    page = quizzed(max_attempts=3, explanations="right")
    api.force_authenticate(student_of(page.get_parent().specific))

    response = answer(api, page, WRONG)

    assert response.status_code == 201
    body = response.json()
    assert body["correct"] is False
    assert body["explanation"] == ""
    assert body["attempts_left"] == 2
    assert EXPLANATION not in response.content.decode()


def test_a_right_answer_gets_the_explanation(api):
    page = quizzed(max_attempts=3, explanations="right")
    api.force_authenticate(student_of(page.get_parent().specific))

    body = answer(api, page, RIGHT).json()

    assert body["correct"] is True and body["explanation"] == EXPLANATION


def test_attempts_are_limited_on_the_server_and_the_last_one_explains(api):
    page = quizzed(max_attempts=2, explanations="right")
    student = student_of(page.get_parent().specific)
    api.force_authenticate(student)

    assert answer(api, page, WRONG).json()["explanation"] == ""
    last = answer(api, page, WRONG).json()
    refused = answer(api, page, RIGHT)

    assert last["attempts_left"] == 0 and last["explanation"] == EXPLANATION
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Question 1: you have used all 2 attempts."
    assert QuizAttempt.objects.filter(student=student).count() == 2
    assert not QuizAttempt.objects.filter(student=student, is_correct=True).exists()


def test_explanations_after_the_last_attempt_only(api):
    page = quizzed(max_attempts=2, explanations="last")
    api.force_authenticate(student_of(page.get_parent().specific))

    first = answer(api, page, RIGHT).json()
    second = answer(api, page, RIGHT).json()

    assert first["correct"] is True and first["explanation"] == ""
    assert second["attempts_left"] == 0 and second["explanation"] == EXPLANATION


def test_a_quiz_saved_before_the_settings_existed_allows_three_attempts(api):
    page = quizzed()  # no max_attempts, no explanations in the stored body
    api.force_authenticate(student_of(page.get_parent().specific))

    bodies = [answer(api, page, WRONG) for _ in range(3)]

    assert [b.json()["attempts_left"] for b in bodies] == [2, 1, 0]
    assert bodies[0].json()["explanation"] == ""
    assert answer(api, page, RIGHT).status_code == 400


def test_no_limit_when_the_teacher_leaves_it_empty(api):
    page = quizzed(max_attempts=None, explanations="right")
    api.force_authenticate(student_of(page.get_parent().specific))

    bodies = [answer(api, page, WRONG).json() for _ in range(5)]

    assert all(b["attempts_left"] is None and b["explanation"] == "" for b in bodies)


def test_the_page_tells_how_many_attempts_are_left_and_closes_the_question(client):
    page = quizzed(max_attempts=2, explanations="right")
    student = student_of(page.get_parent().specific)
    client.force_login(student)
    quiz_id, questions, choices = ids(page)
    url = reverse("courses:quiz-submit", args=[page.pk, quiz_id])

    html = client.get(page.url).content.decode()
    assert "2 attempts left" in html

    html = client.post(url, {f"q-{questions[0]}": choices[0][WRONG]}, follow=True)
    html = html.content.decode()
    assert "1 attempt left" in html
    assert EXPLANATION not in html

    # another wrong answer (the same one again would not be a new check)
    html = client.post(url, {f"q-{questions[0]}": choices[0][WRONG + 1]}, follow=True)
    html = html.content.decode()
    assert "No attempts left" in html
    assert EXPLANATION in html
    assert "disabled" in html.split(f'data-question="{questions[0]}"')[1].split("</fieldset>")[0]

    html = client.post(url, {f"q-{questions[0]}": choices[0][RIGHT]}, follow=True)
    assert "Question 1: you have used all 2 attempts." in html.content.decode()
    assert QuizAttempt.objects.filter(student=student).count() == 2


def test_the_page_shows_no_explanation_after_a_wrong_answer(client):
    page = quizzed(max_attempts=3, explanations="right")
    client.force_login(student_of(page.get_parent().specific))
    quiz_id, questions, choices = ids(page)

    response = client.post(
        reverse("courses:quiz-submit", args=[page.pk, quiz_id]),
        {f"q-{questions[0]}": choices[0][WRONG]},
        follow=True,
    )

    html = response.content.decode()
    assert "Not quite" in html
    assert EXPLANATION not in html


def test_explanations_after_the_last_attempt_need_a_limit():
    block = QuizBlock()
    competence = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    value = block.to_python(
        {
            "title": "",
            "pass_percent": 60,
            "max_attempts": None,
            "explanations": "last",
            "questions": [question(competence=competence)],
        }
    )

    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)

    assert "max_attempts" in error.value.block_errors


def test_services_refuse_an_answer_beyond_the_limit(api):
    page = quizzed(max_attempts=1, explanations="right")
    student = student_of(page.get_parent().specific)
    _quiz, questions, choices = ids(page)
    services.quiz_answer(
        student=student, lesson=page, question_id=questions[0], answer=[choices[0][WRONG]]
    )
    with pytest.raises(services.QuizRefused):
        services.quiz_answer(
            student=student, lesson=page, question_id=questions[0], answer=[choices[0][RIGHT]]
        )
