import re

import pytest
from nbformat.v4 import new_output

from grading.notebook.feedback import render_feedback_html
from grading.notebook.metadata import parse_source
from grading.notebook.pipeline import grade_with_feedback
from grading.notebook.release import release
from grading.notebook.sanitize import sanitize
from grading.notebook.score import score
from tests.grading.leaks import leaked_forms

from .builders import (
    answered,
    cell,
    code,
    markdown,
    square_exercise,
    text_of,
)
from .fakes import FakeKernel

ANSWER = "def square(x):\n    print('squaring', x)\n    return x * x"


def feedback_for(submission_changes=None, **answers):
    """Grade the square exercise with the fake kernel and render its feedback."""
    source = square_exercise()
    submission = answered(release(source), **answers)
    if submission_changes:
        submission_changes(submission)
    graded = grade_with_feedback(source, submission, executor=FakeKernel())
    return graded.feedback_html, graded.result


def badges(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(
        r'data-grade-id="([^"]+)">\s*<div class="grading-badge">\s*'
        r'<span class="grading-score">([^<]*)</span>\s*<span class="grading-message">([^<]*)',
        html,
    )
    return {grade_id: (points, message) for grade_id, points, message in found}


def test_every_graded_cell_gets_a_score_badge():
    html, _ = feedback_for(square=ANSWER)

    assert badges(html) == {
        "test_visible": ("1 / 1", ""),
        "test_hidden": ("2 / 2", ""),
        "explain": ("0 / 2", "No answer was given."),
        "reflect": ("— / 1", "Your teacher will grade this."),
    }


def test_test_cells_show_what_the_student_was_given_and_the_answers_what_they_wrote():
    html, _ = feedback_for(square=ANSWER)
    text = text_of(html)

    assert "assert square(3) == 9" in text
    assert "print('squaring', x)" in text
    assert "squaring 2" in text  # the answer's own output, printed during the visible test


def test_a_failing_test_shows_the_message_instead_of_its_traceback():
    html, _ = feedback_for(square="def square(x):\n    return x + x + 1")
    text = text_of(html)

    assert "Test 'test_visible' failed: AssertionError" in text
    assert "Traceback" not in text
    assert "Test 'test_hidden' failed: AssertionError" in text  # its visible part failed


LEAKY_ANSWER = """def square(x):
    if x == -7:
        raise Exception(In[-1])  # the test calling me is the last input
    return x * x"""


def test_hidden_tests_never_appear_in_the_feedback():
    def print_the_history(submission):
        submission.cells.append(code("print(In)"))
        submission.cells.append(code("raise Exception(str(In))"))

    html, result = feedback_for(print_the_history, square=LEAKY_ANSWER)

    assert leaked_forms(html) == []
    assert "HIDDEN TESTS" not in text_of(html)
    assert "assert square(3) == 9" in text_of(html)  # the history printed: the student run's
    assert result.cells[1].message == "Test 'test_hidden' failed."


def test_a_cell_with_hidden_tests_shows_the_outputs_of_its_visible_part():
    html, _ = feedback_for(
        square="def square(x):\n    print('secret' + 'output', x)\n    return x * x"
    )

    text = text_of(html)
    assert "secretoutput 2" in text  # the visible test
    assert "secretoutput 3" in text  # the visible part of the hidden test's cell
    assert "secretoutput -7" not in text  # its hidden part never ran in the student run


def render_with_outputs(outputs, submission_changes=None):
    """Feedback for a right answer whose answer cell showed `outputs` when it ran."""
    source = square_exercise()
    submission = answered(release(source), square=ANSWER)
    if submission_changes:
        submission_changes(submission)
    sanitized = sanitize(source, submission)
    execution = FakeKernel()(sanitized.notebook, limits=None)
    cell(execution.notebook, "square").outputs = outputs
    result = score(parse_source(source), sanitized, execution)
    return render_feedback_html(source, execution.notebook, result)


def test_the_page_loads_nothing_from_elsewhere():
    def add_a_tracking_pixel(submission):
        submission.cells.append(markdown("![pixel](https://tracker.example/p.png)"))

    image = new_output(
        "display_data",
        data={"image/png": "iVBORw0KGgo="},
        metadata={"filenames": {"image/png": "https://tracker.example/q.png"}},
    )

    html = render_with_outputs([image], add_a_tracking_pixel)

    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html
    assert "<style" in html  # the notebook styles are inline


@pytest.mark.parametrize(
    "output",
    [
        new_output("display_data", data={"text/html": "<script>alert('owned')</script><b>hi</b>"}),
        new_output("display_data", data={"application/javascript": "alert('owned')"}),
        new_output("display_data", data={"text/html": "<img src=x onerror=\"alert('owned')\">"}),
        new_output("display_data", data={"text/vnd.mermaid": "</pre><script>alert(1)</script>"}),
        new_output(
            "display_data",
            data={"image/png": "iVBORw0KGgo="},
            metadata={"image/png": {"width": "1 onerror=alert(1)"}},
        ),
    ],
    ids=["html-script", "javascript", "event-handler", "mermaid", "image-size"],
)
def test_html_and_scripts_from_student_outputs_are_neutralised(output):
    html = render_with_outputs([output])

    assert "<script" not in html
    assert not re.search(r"<[^>]*\bonerror\s*=", html)


def test_the_page_is_nbconvert_s_without_its_second_parse(monkeypatch):
    # The exporter skips nbconvert's BeautifulSoup pass over the whole page (most of its
    # CPU) and adds what that pass adds itself: the same elements and attributes, an alt
    # text on images without one and focusable cells included.
    from html.parser import HTMLParser

    from nbconvert import HTMLExporter

    from grading.notebook import feedback

    source = square_exercise()
    _html, result = feedback_for(square=ANSWER)
    executed = answered(release(source), square=ANSWER)
    cell(executed, "square").outputs = [
        new_output("stream", name="stdout", text="squaring 2\n"),
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ]

    class Stock(HTMLExporter):  # nbconvert's own last step, over the same rendering
        def from_notebook_node(self, nb, resources=None, **kw):
            return HTMLExporter.from_notebook_node(self, nb, resources, **kw)

    def elements(page: str) -> list[tuple[str, list]]:
        found = []

        class Collect(HTMLParser):
            def handle_starttag(self, tag, attrs):
                # a class is a set of names: BeautifulSoup writes it without extra spaces
                attrs = [(k, " ".join(v.split()) if k == "class" else v) for k, v in attrs]
                found.append((tag, sorted(attrs, key=lambda kv: kv[0])))

        Collect().feed(page)
        return found

    ours = render_feedback_html(source, executed, result)
    monkeypatch.setattr(feedback, "_FeedbackExporter", Stock)
    monkeypatch.setattr(feedback._exporters, "html", None, raising=False)
    stock = render_feedback_html(source, executed, result)

    assert "No description has been provided for this image" in ours
    assert 'tabindex="0"' in ours
    assert elements(ours) == elements(stock)
