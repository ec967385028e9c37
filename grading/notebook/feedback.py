"""The feedback page a student sees for a graded submission.

nbgrader's feedback shows hidden tests (issues #917, #1363). Here the page is rendered
from the *student run* (`pipeline`): the student version executed without any hidden-test
source, so no output on it can carry one, however it was encoded; the grading run gives
only the score badges. Test cells show their released source and no traceback (the badge
carries the message instead). The page is self-contained: CSS and images inline, no
script from a CDN, and HTML from markdown and outputs sanitized, since students wrote it.

Outputs are shown as Jupyter shows them, in the richest form the page can show safely:
a table (``text/html``, e.g. a pandas DataFrame, cleaned down to table and text markup),
else an image (PNG and JPEG, and SVG as an ``<img>`` data URI, where it cannot run
anything; matplotlib's inline figures are PNG), else markdown, else the plain text.
The page is served under a Content-Security-Policy without scripts (``grading.api``);
images are ``data:`` URIs, which it allows.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from pathlib import Path
from typing import Any

import bleach
from bleach import html5lib_shim
from bleach.sanitizer import BleachSanitizerFilter
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

from .i18n import gettext as _
from .metadata import CellKind, nbgrader_metadata
from .release import released_cells
from .results import CellResult, NotebookResult

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Output data the template renders safely once cleaned, richest first: an output shows
# the first of these it has (as in Jupyter); the rest (JavaScript, widgets, mermaid, which
# the lab template inserts unescaped) is never rendered. LaTeX comes last: without MathJax
# it is only its source, and the plain text beside it reads better.
RENDERED_MIMETYPES = (
    *("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg"),
    *("text/plain", "text/latex"),
)
IMAGE_MIMETYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})
BASE64_IMAGES = frozenset({"image/png", "image/jpeg"})
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_WHITESPACE = re.compile(r"\s+")

# What rendered markdown, code highlighting and HTML outputs may keep. nbconvert's own
# list (bleach's defaults) escapes paragraphs and headings, which ruins every page.
ALLOWED_TAGS = bleach.ALLOWED_TAGS | {
    *("p", "div", "span", "pre", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
    *("img", "sup", "sub", "del", "s", "ins", "u", "mark", "small", "kbd", "dl", "dt", "dd"),
    *("details", "summary", "figure", "figcaption"),
}

# What an HTML output (a DataFrame, a styled table, a bit of formatted text) may keep:
# table and text markup, images inline only. No style (neither elements nor attributes),
# no script, no event handler, no link anywhere, no form; a disallowed tag goes and its
# text stays, except in the elements whose content is code (DROPPED_WITH_CONTENT).
OUTPUT_TAGS = frozenset(
    {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col"}
    | {"div", "span", "p", "br", "hr", "pre", "code", "b", "i", "strong", "em", "u", "s"}
    | {"sub", "sup", "small", "mark", "del", "ins", "kbd", "samp", "var", "abbr", "q"}
    | {"ul", "ol", "li", "dl", "dt", "dd", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"img", "figure", "figcaption", "details", "summary"}
)
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "math"}
    | {"textarea", "select", "title", "head"}
)


def render_feedback_html(
    source_nb: NotebookNode, executed_nb: NotebookNode, result: NotebookResult
) -> str:
    """A standalone HTML page of the executed notebook with a badge per graded cell.

    `executed_nb` is the student run (`sanitize_student_version`, executed), never the
    notebook that ran the hidden tests: every output on the page is one of its outputs.
    """
    view, badges = _student_view(source_nb, executed_nb, result)
    summary = result.root_cause
    resources = {
        "grading_badges": badges,
        "grading_summary": summary,
        # the cell that failed first says so too, above its own error
        "grading_cell_notes": _cell_note(view, result) if summary else {},
        "metadata": {"name": _("Feedback")},
    }
    html, _resources = _exporter().from_notebook_node(view, resources=resources)
    return html


def _cell_note(view: NotebookNode, result: NotebookResult) -> dict[str, str]:
    """The sentence naming the cell that failed first (`NotebookResult.root_cause`, what
    the page says first), by the id of that cell, to be shown on it too: a syntax error
    is said in the cell where it is."""
    first = result.first_failure
    if first is None or not 0 <= first.index < len(view.cells):
        return {}
    cell_id = view.cells[first.index].get("id")
    return {cell_id: first.sentence()} if cell_id else {}


_exporters = threading.local()


class _FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter without its last step, which parses the whole rendered
    page again with BeautifulSoup only to give images without one an ``alt`` text and
    make cells focusable (``tabindex``): ~60% of the page's CPU, for a page drawn for every
    submission. `_accessible` adds the same attributes to the rendered text."""

    def from_notebook_node(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None)) or "ipython3"
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", functools.partial(_highlighted_cell, lexer))
        self.register_filter("filter_data_type", data_types)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _accessible(html), resources


def _highlighted_cell(lexer: str, source: str, language: str | None = None, metadata=None) -> str:
    magic = metadata.get("magics_language") if isinstance(metadata, dict) else None
    return _highlighted(lexer, str(source), language, magic if isinstance(magic, str) else None)


@functools.lru_cache(maxsize=2048)
def _highlighted(lexer: str, source: str, language: str | None, magic: str | None) -> str:
    """A cell's source highlighted, remembered: locked cells and tests are the same in
    every submission of an exercise."""
    return Highlight2HTML(pygments_lexer=lexer)(
        source, language, {"magics_language": magic} if magic else None
    )


_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.IGNORECASE)
_DIV = re.compile(r'<div class="([^"<>]*)"')
_FOCUSABLE = frozenset({"jp-Cell-inputWrapper", "jp-OutputArea-output"})


def _accessible(html: str) -> str:
    """What nbconvert's BeautifulSoup pass adds: an ``alt`` text on images without one, and
    ``tabindex`` on cell inputs and outputs (lab template markup; the HTML of outputs was
    cleaned before, so the attributes can only be added, never unbalance the page)."""
    html = _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', html)
    return _DIV.sub(_focusable, html)


def _focusable(match: re.Match) -> str:
    if _FOCUSABLE.isdisjoint(match.group(1).split()):
        return match.group(0)
    return f'<div tabindex="0" class="{match.group(1)}"'


def _exporter() -> HTMLExporter:
    """One exporter per thread: building one compiles its Jinja templates, which took
    ~0.4 s of the ~0.5 s a whole grading took with a warm kernel (bench/grading.py).
    Exporters register filters per call, so threads do not share one."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        exporter = _exporters.html = _FeedbackExporter(
            template_name="lab",
            template_file="feedback.html.j2",
            extra_template_paths=[str(TEMPLATE_DIR)],
            embed_images=True,
            sanitize_html=True,
            filters={"clean_html": _clean_html, "clean_output_html": clean_output_html},
            exclude_anchor_links=True,
            # the notebook is checked once after nbconvert's preprocessors, not after each
            optimistic_validation=True,
        )
    return exporter


def _student_view(
    source_nb: NotebookNode, executed_nb: NotebookNode, result: NotebookResult
) -> tuple[NotebookNode, dict[str, dict[str, str]]]:
    """The notebook to render, and the badge of each graded cell by cell id.

    Badges travel in the exporter's resources, not in cell metadata, so nothing a
    student writes into their notebook can pose as one.
    """
    originals = {
        meta.grade_id: cell
        for cell in source_nb.cells
        if (meta := nbgrader_metadata(cell)).is_assignment_cell
    }
    released = released_cells(source_nb)
    results = {cell.grade_id: cell for cell in result.cells}
    view = copy.deepcopy(executed_nb)
    badges = {}
    for cell in view.cells:
        grade_id = nbgrader_metadata(cell).grade_id
        original = originals.get(grade_id)
        if original is not None and nbgrader_metadata(original).is_locked:
            cell.source = released[grade_id].source
        if cell.cell_type == "code":
            cell.outputs = _visible_outputs(cell.outputs, original)
        if grade_id in results:
            badges[cell.id] = _badge(results[grade_id])
    return view, badges


def _visible_outputs(outputs: list[NotebookNode], original: NotebookNode | None) -> list[Any]:
    if original is not None and nbgrader_metadata(original).kind is CellKind.TEST:
        outputs = [output for output in outputs if output.output_type != "error"]
    renderable = (_renderable(output) for output in outputs)
    return [output for output in renderable if output is not None]


def _renderable(output: NotebookNode) -> NotebookNode | None:
    """The output with only its richest safe representation; None if it has none.

    Output data and metadata are student-controlled and the template trusts them:
    ``filenames`` become image URLs (to anywhere) and sizes are written unquoted into the
    tag, so only numeric sizes survive; an image's data must be base64, and HTML that
    needs a script to show anything gives way to the next representation.
    """
    if "data" not in output:
        return output
    data = output.get("data")
    chosen = _richest(data) if isinstance(data, dict) else None
    if chosen is None:
        return None
    mimetype, value = chosen
    output.data = {mimetype: value}
    sizes = _numeric_sizes(output.get("metadata", {}).get(mimetype))
    output.metadata = {mimetype: sizes} if sizes and mimetype in IMAGE_MIMETYPES else {}
    output.pop("svg_filename", None)
    return output


def _richest(data: dict[str, Any]) -> tuple[str, str] | None:
    """The first representation in RENDERED_MIMETYPES order that the page can show."""
    for mimetype in RENDERED_MIMETYPES:
        value = data.get(mimetype)
        if isinstance(value, list):  # nbformat on disk splits text into lines
            value = "".join(item for item in value if isinstance(item, str))
        if not isinstance(value, str) or not value.strip():
            continue
        if mimetype in BASE64_IMAGES:
            value = _WHITESPACE.sub("", value)
            if not _is_base64(value):
                continue
        if mimetype == "text/html" and _NEEDS_SCRIPT.search(value):
            continue  # made to run (plotly, bokeh...): nothing to see without it
        return mimetype, value
    return None


def _is_base64(value: str) -> bool:
    return len(value) % 4 == 0 and _BASE64.fullmatch(value) is not None


def _numeric_sizes(metadata: Any) -> dict[str, float]:
    if not isinstance(metadata, dict):
        return {}
    return {
        key: value
        for key in ("width", "height")
        if isinstance(value := metadata.get(key), int | float) and not isinstance(value, bool)
    }


def _badge(cell: CellResult) -> dict[str, str]:
    score = "—" if cell.score is None else f"{cell.score:g}"
    return {
        "grade_id": cell.grade_id,
        "status": cell.status,
        "score_text": f"{score} / {cell.max_score:g}",
        "message": cell.message,
    }


#: Cleaned HTML is remembered for texts up to this size: markdown cells and highlighted
#: locked cells are the same in every submission of an exercise, and bleach is slow.
CLEAN_CACHE_MAX_CHARS = 20_000


def _clean_html(html: str) -> str:
    text = str(html)
    return _clean_html_cached(text) if len(text) <= CLEAN_CACHE_MAX_CHARS else _clean(text)


@functools.lru_cache(maxsize=1024)
def _clean_html_cached(html: str) -> str:
    return _clean(html)


def _clean(html: str) -> str:
    """Keep document markup; escape the rest. Images only inline, links never to data."""
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "mailto", "data"},
    )


_cleaners = threading.local()


def clean_output_html(html: str) -> str:
    """An HTML output cleaned to OUTPUT_TAGS (see there): bleach's ``Cleaner.clean``, with
    the elements of DROPPED_WITH_CONTENT left out whole before its sanitizer runs."""
    text = str(html)
    if not text:
        return ""
    parts = getattr(_cleaners, "output", None)
    if parts is None:  # bleach's parser keeps state: one per thread
        cleaner = bleach.Cleaner(tags=OUTPUT_TAGS, strip=True)  # for its walker, serializer
        # The parser must know the dropped elements, or it turns their content into text.
        parser = html5lib_shim.BleachHTMLParser(
            tags=OUTPUT_TAGS | DROPPED_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        parts = _cleaners.output = (parser, cleaner.walker, cleaner.serializer)
    parser, walker, serializer = parts
    filtered = BleachSanitizerFilter(
        source=_DropWithContent(walker(parser.parseFragment(text))),
        allowed_tags=OUTPUT_TAGS,
        attributes=_allowed_output_attribute,
        allowed_protocols={"data"},
        strip_disallowed_tags=True,
        strip_html_comments=True,
    )
    return serializer.render(filtered)


#: An HTML output that only shows something when its scripts run (plotly, bokeh ...).
_NEEDS_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)


class _DropWithContent(html5lib_shim.Filter):
    """Leaves out the elements of DROPPED_WITH_CONTENT with everything inside them: a
    stripped style element would otherwise leave its CSS on the page as text."""

    def __iter__(self):
        dropping, depth = None, 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if dropping is None:
                if kind == "StartTag" and name in DROPPED_WITH_CONTENT:
                    dropping, depth = name, 1
                elif not (kind == "EmptyTag" and name in DROPPED_WITH_CONTENT):
                    yield token
            elif kind == "StartTag" and name == dropping:
                depth += 1
            elif kind == "EndTag" and name == dropping:
                depth -= 1
                if not depth:
                    dropping = None


def _allowed_output_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "title"):
        return True
    if tag == "img":
        return name in ("alt", "width", "height") or (
            name == "src" and value.startswith("data:image/")
        )
    if tag == "table":
        return name == "border"
    return tag in ("th", "td", "col", "colgroup") and name in ("colspan", "rowspan", "span")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title"):
        return True
    if tag == "a":
        return name == "href" and not value.strip().lower().startswith("data:")
    if tag == "img":
        return name in ("alt", "width", "height") or (
            name == "src" and value.startswith("data:image/")
        )
    return tag in ("th", "td") and name in ("colspan", "rowspan", "align")
