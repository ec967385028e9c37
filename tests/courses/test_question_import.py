"""Question banks from Moodle (Moodle XML and GIFT) into a lesson's quiz: what is
understood, what is skipped and why, hostile files, the short-answer kind they bring, the
command and the admin page."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.models import LessonPage
from courses.questionbank import QuestionBankError, question_bank_read
from courses.quiz import SHORT, is_correct, parse_answer, quizzes_in
from courses.services import QuestionImportRefused, lesson_questions_import
from curricula.models import Competence
from tests.courses.pages import course, curriculum, lesson
from tests.factories import CohortFactory, UserFactory, teacher_of

BANKS = Path(__file__).resolve().parent.parent / "fixtures" / "questionbanks"
MOODLE = (BANKS / "moodle-mixed.xml").read_bytes()
GIFT = (BANKS / "gift-mixed.gift").read_bytes()


def kinds(bank) -> dict[str, int]:
    counts: dict[str, int] = {}
    for q in bank.questions:
        counts[q.kind] = counts.get(q.kind, 0) + 1
    return counts


# -- reading -----------------------------------------------------------------------------
def test_a_moodle_export_of_twenty_mixed_questions_is_understood_with_reasons_for_the_rest():
    bank = question_bank_read(MOODLE, filename="moodle-mixed.xml")
    assert bank.format == "moodle-xml"
    assert len(bank.questions) == 20
    # 7 multichoice (5 single, 2 multiple), 5 true/false (single choice), 4 numerical, 4 short
    assert kinds(bank) == {"single": 10, "multiple": 2, "numeric": 4, "short": 4}
    skipped = {s.name: s.reason for s in bank.skipped}
    assert set(skipped) == {"Intro", "Reflection", "Match ports"}
    assert "not a question" in skipped["Intro"]
    assert "“essay”" in skipped["Reflection"] and "“matching”" in skipped["Match ports"]
    assert bank.categories == ("$course$/top/Digital safety",)


def test_moodle_questions_keep_their_meaning():
    by_name = {q.name: q for q in question_bank_read(MOODLE).questions}
    padlock = by_name["HTTPS padlock"]  # true/false whose right answer is false
    assert [(c.text, c.correct) for c in padlock.choices] == [("True", False), ("False", True)]
    assert padlock.explanation == "It only means the connection is encrypted."
    pi = by_name["Pi"]
    assert (pi.kind, pi.answer, pi.tolerance) == ("numeric", 3.14, 0.005)
    phishing = by_name["Phishing signs"]  # HTML reduced to its words, partial credit noted
    assert phishing.prompt == "Which of these are signs of a phishing e-mail? Tick all."
    assert [c.correct for c in phishing.choices] == [True, True, False]
    assert any("must be ticked" in note for note in phishing.notes)
    assert [c.text for c in by_name["Spreadsheet function"].choices] == ["SUM", "SUM()"]


def test_a_gift_file_of_every_kind():
    bank = question_bank_read(GIFT, filename="bank.gift")
    assert bank.format == "gift"
    by_name = {q.name: q for q in bank.questions}
    assert [(c.text, c.correct) for c in by_name["Port"].choices] == [
        ("443", True),
        ("80", False),
        ("21", False),
    ]
    assert by_name["Safe links"].kind == "multiple"
    assert [c.correct for c in by_name["Safe links"].choices] == [True, True, False]
    assert by_name["Encrypted"].choices[0].correct is True
    assert (by_name["Binary"].answer, by_name["Binary"].tolerance) == (1024.0, 0.0)
    assert (by_name["Range"].answer, by_name["Range"].tolerance) == (3.0, 2.0)
    assert by_name["Acronym"].kind == SHORT
    missing_word = next(q for q in bank.questions if q.prompt.startswith("The capital"))
    assert "_____" in missing_word.prompt and missing_word.choices[0].text == "Baku"
    assert by_name["Escape"].prompt == "Which one is written a=b in Python?"
    assert {s.name: s.reason for s in bank.skipped} == {
        "Essay": "Essay questions are not supported.",
        "Match": "Matching questions are not supported.",
    }


def test_a_question_the_quiz_could_never_mark_right_is_skipped_with_the_editors_reason():
    bank = question_bank_read(b"::One:: Only one choice {=alone}\n\n::Two:: Pick {=a ~b}\n")
    # {=alone} alone is a short answer; a single choice needs two choices
    assert [q.name for q in bank.questions] == ["One", "Two"]
    xml = (
        b'<?xml version="1.0"?><quiz><question type="multichoice"><name><text>Lonely</text>'
        b"</name><questiontext><text>Pick</text></questiontext><single>true</single>"
        b'<answer fraction="100"><text>only</text></answer></question></quiz>'
    )
    bank = question_bank_read(xml)
    assert bank.questions == ()
    assert "at least two choices" in bank.skipped[0].reason


@pytest.mark.parametrize(
    "data",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<quiz><question type='shortanswer'><name><text>&b;</text></name></question></quiz>",
        # an external entity reading the server's files
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='shortanswer'><questiontext><text>&x;</text></questiontext>"
        b"</question></quiz>",
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_hostile_xml_is_refused_with_a_reason(data):
    with pytest.raises(QuestionBankError) as refused:
        question_bank_read(data, filename="bank.xml")
    assert "entities" in refused.value.message
    assert "root:" not in refused.value.message


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (b"<quiz><question", "broken.xml", "not a well-formed XML file"),
        (b"<?xml version='1.0'?><html></html>", "page.xml", "should start with <quiz>"),
        ("Вопрос {=да ~нет}".encode("cp1251"), "bank.gift", "must be UTF-8"),
        (b"// only a comment\n\n", "empty.gift", "No question"),
        (b"x" * (5 * 1024 * 1024 + 1), "huge.gift", "larger than 5 MB"),
    ],
)
def test_a_file_that_is_not_a_bank_says_why(data, filename, says):
    with pytest.raises(QuestionBankError) as refused:
        question_bank_read(data, filename=filename)
    assert says in refused.value.message


# -- the short answer the banks bring ------------------------------------------------------
def test_a_short_answer_is_compared_ignoring_case_and_spaces_and_its_answers_never_reach_the_page(
    db,
):
    from tests.courses.pages import choice, question, quiz_lesson

    page = quiz_lesson(
        None,
        question(
            "What does AI stand for?",
            kind="short",
            choices=[choice("artificial intelligence", True), choice("machine *", True)],
        ),
    )
    q = quizzes_in(page.body.raw_data)[0].questions[0]
    assert q.public().choices == ()
    assert is_correct(q, parse_answer(q, ["  Artificial   INTELLIGENCE "]))
    assert is_correct(q, parse_answer(q, ["Machine learning"]))  # * stands for any text
    assert not is_correct(q, parse_answer(q, ["artificial"]))
    assert not is_correct(q, parse_answer(q, [".*"]))  # typed text is text, not a pattern


# -- the service, the command, the admin page ---------------------------------------------
@pytest.fixture
def loops(db) -> LessonPage:
    return lesson(course(curriculum()), title="Loops", slug="loops-q")


@pytest.fixture
def safety() -> Competence:
    return Competence.objects.get(area__framework__slug="digcomp-2-2", code="4.2")


def test_importing_adds_one_quiz_to_a_draft_and_publishing_makes_it_answerable(loops, safety):
    bank = question_bank_read(MOODLE)
    before = loops.revisions.count()
    outcome = lesson_questions_import(
        lesson=loops, bank=bank, competence=safety, level=3, user=None, title="Safety"
    )
    loops.refresh_from_db()
    assert outcome.questions == 20 and not outcome.published
    assert loops.revisions.count() == before + 1
    assert quizzes_in(loops.body.raw_data) == []  # the live page is unchanged: a draft
    draft = loops.get_latest_revision_as_object()
    (quiz,) = quizzes_in(draft.body.raw_data)
    assert quiz.title == "Safety" and len(quiz.questions) == 20
    assert {q.competence_id for q in quiz.questions} == {safety.pk}
    assert {q.level for q in quiz.questions} == {3}

    lesson_questions_import(
        lesson=loops,
        bank=question_bank_read(GIFT),
        competence=safety,
        level=1,
        user=None,
        publish=True,
    )
    loops.refresh_from_db()
    assert [len(q.questions) for q in quizzes_in(loops.body.raw_data)] == [20, 8]


def test_a_refused_import_leaves_the_lesson_as_it_was(loops, safety):
    before = loops.revisions.count()
    with pytest.raises(QuestionImportRefused) as refused:
        lesson_questions_import(
            lesson=loops, bank=question_bank_read(MOODLE), competence=safety, level=9, user=None
        )
    assert "levels 1 to 8" in refused.value.message
    assert loops.revisions.count() == before


def test_the_command_lists_then_imports(loops, safety, tmp_path):
    out = StringIO()
    call_command(
        "import_questions",
        str(BANKS / "moodle-mixed.xml"),
        "--lesson",
        "loops-q",
        "--competence",
        "digcomp:4.2",
        "--dry-run",
        stdout=out,
    )
    text = out.getvalue()
    assert "20 questions understood, 3 skipped" in text and "Nothing was saved" in text
    assert "“essay” questions are not supported" in text
    loops.refresh_from_db()
    assert quizzes_in(loops.get_latest_revision_as_object().body.raw_data) == []

    out = StringIO()
    call_command(
        "import_questions",
        str(BANKS / "gift-mixed.gift"),
        "--lesson",
        str(loops.pk),
        "--competence",
        "digcomp-2-2:4.2",
        "--publish",
        stdout=out,
    )
    loops.refresh_from_db()
    assert len(quizzes_in(loops.body.raw_data)[0].questions) == 8
    assert "(published)" in out.getvalue()

    with pytest.raises(CommandError, match="No competence"):
        call_command(
            "import_questions",
            str(BANKS / "gift-mixed.gift"),
            "--lesson",
            "loops-q",
            "--competence",
            "4.2",
        )
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<quiz><question")
    with pytest.raises(CommandError, match="well-formed"):
        call_command(
            "import_questions", str(bad), "--lesson", "loops-q", "--competence", "digcomp:4.2"
        )


def test_the_admin_page_previews_then_imports(client, loops, safety):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("courses_question_import", args=[loops.pk])
    fields = {"competence": safety.pk, "level": 2, "title": "Imported", "pass_percent": 60}
    preview = client.post(
        url, {**fields, "file": SimpleUploadedFile("bank.xml", MOODLE, "text/xml")}
    )
    html = preview.content.decode()
    assert preview.status_code == 200
    assert html.count('data-testid="understood"') == 20
    assert html.count('data-testid="skipped"') == 3
    assert "“matching” questions are not supported" in html
    assert loops.revisions.count() == 1  # a preview saves nothing
    bank_data = preview.context["form"]["bank_data"].value()
    done = client.post(
        url, {**fields, "bank_data": bank_data, "filename": "bank.xml", "confirm": "1"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("wagtailadmin_pages:edit", args=[loops.pk])
    draft = LessonPage.objects.get(pk=loops.pk).get_latest_revision_as_object()
    assert len(quizzes_in(draft.body.raw_data)[0].questions) == 20

    # the edit page offers the import
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[loops.pk]))
    assert url in edit.content.decode()


def test_a_broken_file_in_the_admin_says_why_and_saves_nothing(client, loops, safety):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("courses_question_import", args=[loops.pk])
    response = client.post(
        url,
        {
            "competence": safety.pk,
            "level": 1,
            "pass_percent": 60,
            "file": SimpleUploadedFile("bank.xml", b"<quiz><question", "text/xml"),
        },
    )
    assert "not a well-formed XML file" in response.content.decode()
    assert loops.revisions.count() == 1


def test_who_may_not_edit_the_lesson_may_not_import_into_it(client, loops):
    teacher = teacher_of(CohortFactory())
    client.force_login(teacher)
    response = client.get(reverse("courses_question_import", args=[loops.pk]))
    # a teacher without edit rights on this lesson: refused (the admin's own 403 page or
    # a redirect away from the admin)
    assert response.status_code in (302, 403)
    student = UserFactory()
    client.force_login(student)
    assert client.get(reverse("courses_question_import", args=[loops.pk])).status_code in (
        302,
        403,
    )


def test_a_blank_number_or_short_answer_is_not_answered_rather_than_refused(db):
    from tests.courses.pages import choice, question, quiz_lesson

    page = quiz_lesson(
        None,
        question("How many?", kind="numeric", answer=3),
        question("Name it", kind="short", choices=[choice("loop", True)]),
    )
    numeric, short = quizzes_in(page.body.raw_data)[0].questions
    assert parse_answer(numeric, ["  "]) == [] and parse_answer(short, [""]) == []
