"""Lesson blocks: everything editorial pages offer, plus code samples and formulas.

Both render on the server: code is highlighted by Pygments into <span> elements styled by
courses/css/code.css, formulas become MathML that browsers and screen readers read
natively. No script runs in the reader's browser for either.
"""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element, tostring

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from latex2mathml.converter import convert_to_element
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from cms.blocks import BaseContentBlock
from curricula.models import Competence, ProficiencyLevel

from .quiz import (
    DEFAULT_MAX_ATTEMPTS,
    EXPLAIN_AFTER_LAST,
    EXPLAIN_AFTER_RIGHT,
    question_problems,
)

# ---------------------------------------------------------------------------------------
# Code samples
# ---------------------------------------------------------------------------------------
CODE_LANGUAGES = [
    ("python", "Python"),
    ("sql", "SQL"),
    ("bash", "Bash"),
    ("javascript", "JavaScript"),
    ("html", "HTML"),
    ("css", "CSS"),
    ("json", "JSON"),
    ("r", "R"),
    ("text", _("Plain text")),
]
CODE_CSS_CLASS = "highlight"  # the selector prefix of courses/static/courses/css/code.css


def highlight_code(code: str, language: str) -> SafeString:
    """HTML of `code` with Pygments' token <span>s; Pygments escapes the source."""
    formatter = HtmlFormatter(cssclass=CODE_CSS_CLASS, wrapcode=True)
    return mark_safe(highlight(code, get_lexer_by_name(language), formatter))  # noqa: S308


class CodeValue(blocks.StructValue):
    def highlighted(self) -> SafeString:
        return highlight_code(self["code"], self["language"])


class CodeBlock(blocks.StructBlock):
    language = blocks.ChoiceBlock(label=_("language"), choices=CODE_LANGUAGES, default="python")
    code = blocks.TextBlock(label=_("code"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "code"
        label = _("Code sample")
        template = "courses/blocks/code.html"
        value_class = CodeValue


# ---------------------------------------------------------------------------------------
# Formulas: LaTeX source, MathML output
# ---------------------------------------------------------------------------------------
# MathML elements latex2mathml produces; anything else becomes a plain <mrow>.
MATHML_ELEMENTS = frozenset(
    [
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mfrac",
        "msqrt",
        "mroot",
        "mstyle",
        "mtable",
        "mtr",
        "mtd",
        "mlabeledtr",
        "mpadded",
        "mphantom",
        "menclose",
        "mmultiscripts",
        "mprescripts",
        "none",
        "merror",
        "mfenced",
        "semantics",
        "annotation",
    ]
)
# Presentation attributes only: no href, no style, no event handlers.
MATHML_ATTRIBUTES = frozenset(
    [
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "separators",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
        "movablelimits",
        "accent",
        "accentunder",
        "displaystyle",
        "scriptlevel",
        "columnalign",
        "rowalign",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "framespacing",
        "linethickness",
        "width",
        "height",
        "depth",
        "voffset",
        "notation",
        "open",
        "close",
        "symmetric",
        "largeop",
        "form",
        "align",
        "mathcolor",
        "mathbackground",
        "encoding",
    ]
)
_SAFE_ATTRIBUTE_VALUE = re.compile(r"^[#%.,\w\s-]*$")
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"


class FormulaError(ValueError):
    pass


def _sanitize_mathml(element: Element) -> None:
    """Keep MathML presentation markup only; turn the library's entity strings into text."""
    if element.tag not in MATHML_ELEMENTS:
        element.tag = "mrow"
    element.attrib = {
        name: value
        for name, value in element.attrib.items()
        if name in MATHML_ATTRIBUTES and _SAFE_ATTRIBUTE_VALUE.match(value)
    }
    # latex2mathml writes characters as entity references ("&#x0002B;") inside text;
    # decode them so that serialising escapes every <, > and & the author typed.
    if element.text:
        element.text = html.unescape(element.text)
    if element.tail:
        element.tail = html.unescape(element.tail)
    for child in element:
        _sanitize_mathml(child)


def latex_to_mathml(latex: str, *, display: str = "block") -> SafeString:
    """Accessible MathML for a LaTeX formula, with the source as its alternative text."""
    try:
        root = convert_to_element(latex, display=display)
    except Exception as exc:  # latex2mathml raises many kinds on malformed input
        raise FormulaError(str(exc) or type(exc).__name__) from exc
    _sanitize_mathml(root)
    # alttext: the source, for tools that cannot read MathML (escaped by ElementTree)
    root.attrib = {"xmlns": MATHML_NAMESPACE, "display": display, "alttext": latex}
    return mark_safe(tostring(root, encoding="unicode"))  # noqa: S308 - sanitised above


class LatexBlock(blocks.TextBlock):
    """LaTeX source that must convert, so authors see a typo when they save."""

    def clean(self, value):
        value = super().clean(value)
        try:
            latex_to_mathml(value)
        except FormulaError as exc:
            raise ValidationError(
                _(
                    "This formula could not be read. Check that every { has its } and "
                    "every \\begin its \\end."
                )
            ) from exc
        return value


class FormulaValue(blocks.StructValue):
    @cached_property
    def mathml(self) -> SafeString:
        try:
            return latex_to_mathml(self["latex"])
        except FormulaError:
            # saved before validation existed, or by code: show the source, never fail the page
            return format_html('<code class="math-latex">{}</code>', self["latex"])


class FormulaBlock(blocks.StructBlock):
    latex = LatexBlock(
        label=_("formula (LaTeX)"),
        help_text=_(r"For example: \frac{a}{b} + x^2. Shown to readers as MathML."),
    )
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "order"
        label = _("Formula")
        template = "courses/blocks/formula.html"
        value_class = FormulaValue


class ExerciseBlock(blocks.StructBlock):
    """A notebook exercise of the grading app, solved right in the lesson."""

    exercise = SnippetChooserBlock("grading.Exercise", label=_("exercise"))

    class Meta:
        icon = "code"
        label = _("Notebook exercise")
        template = "courses/blocks/exercise.html"


# ---------------------------------------------------------------------------------------
# Quizzes: questions tagged with a competence and level, checked on the server
# ---------------------------------------------------------------------------------------
class QuestionKind:
    SINGLE = "single"
    MULTIPLE = "multiple"
    NUMERIC = "numeric"
    SHORT = "short"
    CHOICES = [
        (SINGLE, _("Single choice: one correct answer")),
        (MULTIPLE, _("Multiple choice: every correct answer must be ticked")),
        (NUMERIC, _("Numeric answer, with a tolerance")),
        (SHORT, _("Short answer: a few words, compared with the accepted answers")),
    ]


def competence_choices():
    """Every competence of every framework, labelled with its framework (evaluated lazily)."""
    return [(str(c.pk), str(c)) for c in Competence.objects.all()]


def _top_level(competence_id) -> int | None:
    """The highest proficiency level of a competence's framework (None: unknown)."""
    if not str(competence_id or "").isdigit():
        return None
    numbers = ProficiencyLevel.objects.filter(
        framework__areas__competences__pk=int(competence_id)
    ).values_list("number", flat=True)
    return max(numbers, default=None)


class QuizChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("answer text"), max_length=300)
    correct = blocks.BooleanBlock(label=_("correct"), required=False)

    class Meta:
        icon = "radio-full"
        label = _("Choice")


class QuizQuestionBlock(blocks.StructBlock):
    """One question. The correct choices and number stay on the server: the page shows
    the prompt and the choice texts only."""

    kind = blocks.ChoiceBlock(
        label=_("kind of question"), choices=QuestionKind.CHOICES, default=QuestionKind.SINGLE
    )
    prompt = blocks.TextBlock(label=_("question"))
    choices = blocks.ListBlock(
        QuizChoiceBlock(),
        label=_("choices"),
        required=False,
        default=[],
        help_text=_(
            "Single and multiple choice: the answers to choose from; tick the correct ones. "
            "Short answer: the accepted answers, ticked (case and spaces are ignored; * stands "
            "for any text)."
        ),
    )
    answer = blocks.FloatBlock(
        label=_("correct number"),
        required=False,
        help_text=_("Numeric questions: the expected answer."),
    )
    tolerance = blocks.FloatBlock(
        label=_("tolerance"),
        required=False,
        min_value=0,
        default=0,
        help_text=_("Numeric questions: answers within ± this distance count as correct."),
    )
    competence = blocks.ChoiceBlock(
        label=_("competence"),
        choices=competence_choices,
        help_text=_("The competence a right answer is evidence for."),
    )
    level = blocks.IntegerBlock(
        label=_("proficiency level"),
        min_value=1,
        max_value=8,
        default=1,
        help_text=_("The level of the competence the question shows (DigComp 1-8, UNESCO 1-3)."),
    )
    explanation = blocks.TextBlock(
        label=_("explanation"),
        required=False,
        help_text=_(
            "Shown to the student after a right answer or after their last attempt, as the "
            "quiz says."
        ),
    )

    class Meta:
        icon = "help"
        label = _("Question")

    def clean(self, value):
        value = super().clean(value)
        problems = question_problems(
            kind=value["kind"],
            correct_flags=[bool(choice["correct"]) for choice in value["choices"]],
            answer=value["answer"],
        )
        top = _top_level(value["competence"])
        if top is not None and value["level"] > top:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "level": ValidationError(
                        _("The competence's framework has levels 1 to %(top)d.") % {"top": top}
                    )
                }
            )
        if problems:
            raise blocks.StructBlockValidationError(
                block_errors={
                    ("answer" if value["kind"] == QuestionKind.NUMERIC else "choices"): (
                        ValidationError(" ".join(problems))
                    )
                }
            )
        return value


class QuizBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), required=False, max_length=200)
    pass_percent = blocks.IntegerBlock(
        label=_("pass mark (%)"),
        min_value=1,
        max_value=100,
        default=60,
        help_text=_("Share of questions answered correctly for the quiz to count as passed."),
    )
    max_attempts = blocks.IntegerBlock(
        label=_("attempts per question"),
        required=False,
        min_value=1,
        max_value=20,
        default=DEFAULT_MAX_ATTEMPTS,
        help_text=_("How many times a student may check each question. Leave empty for no limit."),
    )
    explanations = blocks.ChoiceBlock(
        label=_("show explanations"),
        choices=[
            (EXPLAIN_AFTER_RIGHT, _("After a right answer, or after the last attempt")),
            (EXPLAIN_AFTER_LAST, _("Only after the last attempt")),
        ],
        default=EXPLAIN_AFTER_RIGHT,
        help_text=_(
            "An explanation may give the answer away: it is never shown after a wrong "
            "answer while the student has attempts left."
        ),
    )
    questions = blocks.ListBlock(QuizQuestionBlock(), label=_("questions"), min_num=1)

    class Meta:
        icon = "tasks"
        label = _("Quiz")
        # Lesson pages render quizzes from courses.quiz (the student's view, without the
        # answers); this template is only a fallback and shows no answer either.
        template = "courses/blocks/quiz_static.html"

    def clean(self, value):
        value = super().clean(value)
        if value.get("explanations") == EXPLAIN_AFTER_LAST and not value.get("max_attempts"):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "max_attempts": ValidationError(
                        _(
                            "Explanations after the last attempt need a number of attempts; "
                            "or show them after a right answer."
                        )
                    )
                }
            )
        return value


class LessonBodyBlock(BaseContentBlock):
    """The blocks of a lesson: the shared editorial set (with callouts) plus code, maths,
    quizzes and notebook exercises."""

    code = CodeBlock()
    formula = FormulaBlock()
    quiz = QuizBlock()
    exercise = ExerciseBlock()
