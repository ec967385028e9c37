"""The feedback page a student sees for a graded submission.

nbgrader's feedback shows hidden tests (issues #917, #1363). Here the page is rendered
from the *student run* (`pipeline`): the student version executed without any hidden-test
source, so no output on it can carry one, however it was encoded; the grading run gives
only the score badges. Test cells show their released source and no traceback (the badge
carries the message instead). The page is self-contained: CSS and images inline, no
script from a CDN, and HTML from markdown and outputs sanitized, since students wrote it.
"""

from __future__ import annotations

import copy
import functools
import threading
from pathlib import Path
from typing import Any

import bleach
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from .i18n import gettext as _
from .metadata import CellKind, nbgrader_metadata
from .release import released_cells
from .results import CellResult, NotebookResult

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Output data the template renders safely once cleaned; the rest (JavaScript, widgets,
# mermaid, which the lab template inserts unescaped) is dropped before rendering.
RENDERED_MIMETYPES = frozenset(
    {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg"}
    | {"image/svg+xml"}
)
IMAGE_MIMETYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})

# What rendered markdown, code highlighting and HTML outputs may keep. nbconvert's own
# list (bleach's defaults) escapes paragraphs and headings, which ruins every page.
ALLOWED_TAGS = bleach.ALLOWED_TAGS | {
    *("p", "div", "span", "pre", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
    *("img", "sup", "sub", "del", "s", "ins", "u", "mark", "small", "kbd", "dl", "dt", "dd"),
    *("details", "summary", "figure", "figcaption"),
}


def render_feedback_html(
    source_nb: NotebookNode, executed_nb: NotebookNode, result: NotebookResult
) -> str:
    """A standalone HTML page of the executed notebook with a badge per graded cell.

    `executed_nb` is the student run (`sanitize_student_version`, executed), never the
    notebook that ran the hidden tests: every output on the page is one of its outputs.
    """
    view, badges = _student_view(source_nb, executed_nb, result)
    html, _resources = _exporter().from_notebook_node(
        view, resources={"grading_badges": badges, "metadata": {"name": _("Feedback")}}
    )
    return html


_exporters = threading.local()


def _exporter() -> HTMLExporter:
    """One exporter per thread: building one compiles its Jinja templates, which took
    ~0.4 s of the ~0.5 s a whole grading took with a warm kernel (bench/grading.py).
    Exporters register filters per call, so threads do not share one."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        exporter = _exporters.html = HTMLExporter(
            template_name="lab",
            template_file="feedback.html.j2",
            extra_template_paths=[str(TEMPLATE_DIR)],
            embed_images=True,
            sanitize_html=True,
            filters={"clean_html": _clean_html},
            exclude_anchor_links=True,
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
    """The output minus what the template would render unsafely; None if nothing is left.

    Output metadata is student-controlled and the template trusts it: ``filenames``
    become image URLs (to anywhere) and sizes are written unquoted into the tag, so
    only numeric sizes survive.
    """
    if "data" not in output:
        return output
    output.data = {key: value for key, value in output.data.items() if key in RENDERED_MIMETYPES}
    if not output.data:
        return None
    output.metadata = {
        mimetype: sizes
        for mimetype in IMAGE_MIMETYPES & set(output.data)
        if (sizes := _numeric_sizes(output.get("metadata", {}).get(mimetype)))
    }
    output.pop("svg_filename", None)
    return output


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
