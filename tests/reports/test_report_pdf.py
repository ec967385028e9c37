"""The ministry's PDF report, checked page by page as a reader gets it: every page rendered
to an image (pdftoppm, Debian's poppler-utils, installed by `make system-deps`), the text
read back (pdftotext), in az, ru and en.

- every competence is named in full with its code, in each chart and in the table;
- a suppressed cell and a not-applicable cell read differently, and the legend says why;
- charts are drawn on the framework's level scale (DigComp 0-8, UNESCO 0-3);
- nothing spills over a page's margin;
- privacy: no figure of a group below the threshold appears anywhere in the file, and
  every number the file shows is one the protected document publishes (or a scale, a
  code, a date).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image, ImageOps

from curricula.framework_data import DIGCOMP, UNESCO_STUDENTS
from curricula.models import Competence, CompetenceFramework
from evidence.models import CompetenceEvidence
from reports import exports
from reports.charts import count_ticks, nice_ceiling, top_level
from reports.document import report_document
from reports.document.pdf import MARGIN
from reports.filters import parse_filters
from reports.rollups import mastery_rebuild

from .conftest import cohort_with_students, months_ago, school

pytestmark = pytest.mark.django_db
SMALL = 9  # a group below the threshold (10): its figures must appear nowhere
SUPPRESSED, NOT_APPLICABLE = "[c]", "n/a"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"No {name}: run `make system-deps` (Debian's poppler-utils).")
    return path


def pdf_text(pdf: Path, *, layout: bool = False) -> str:
    """The PDF's text: in drawing order (a wrapped name's lines together), or laid out as
    on the page (a table row on one line)."""
    mode = "-layout" if layout else "-raw"
    return subprocess.run(
        [tool("pdftotext"), mode, "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def render_pages(pdf: Path) -> list[Path]:
    """Every page as a PNG; fails if pdftoppm cannot render one."""
    pages = int(
        re.search(
            r"^Pages:\s+(\d+)",
            subprocess.run(
                [tool("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True
            ).stdout,
            re.M,
        ).group(1)
    )
    subprocess.run(
        [tool("pdftoppm"), "-r", "40", "-png", str(pdf), str(pdf.with_suffix(""))],
        check=True,
        capture_output=True,
        timeout=120,
    )
    images = sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))
    assert len(images) == pages >= 1
    return images


def check_pages(images: list[Path]) -> None:
    """Each page is an A4 page with something on it and nothing in its side margins (a
    table or a chart wider than the page would run into them, and be cut)."""
    for image in images:
        with Image.open(image) as page:
            width, height = page.size
            assert abs(width / height - 210 / 297) < 0.01, image.name
            ink = ImageOps.invert(page.convert("L")).point(lambda v: 255 if v > 40 else 0)
            box = ink.getbbox()
            assert box is not None, f"{image.name} is blank"
            margin = width * (MARGIN - 0.2 * 28.35) / (210 * 2.835)
            assert box[0] >= margin and box[2] <= width - margin, (image.name, box, margin)


def write_pdf(report: dict, tmp_path: Path, name: str = "report") -> Path:
    content = exports.render(report, "pdf")
    assert content.startswith(b"%PDF")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    return path


def evidence(student, competence, level: int, when=None) -> CompetenceEvidence:
    return CompetenceEvidence(
        student=student,
        competence=competence,
        level=level,
        score=1.0,
        source="quiz",
        source_key=f"quiz:pdf:{competence.code}",
        recorded_at=when or months_ago(0),
    )


@pytest.fixture
def lyceum(region, competences):
    """A school with a class of 23 and one of 9 (below the threshold). Competence 1.1: the
    23 in bands 1-2 and 3-4, the 9 in band 7-8 (a hidden band); 1.2: the 23 at level 5;
    1.3: only the 9 (a hidden row); the others: no results."""
    lyceum = school(
        region, name_en="Lyceum Nizami", name_az="Nizami liseyi", name_ru="Лицей Низами"
    )
    _alpha, big = cohort_with_students(lyceum, 23, name="Form Alpha")
    _beta, small = cohort_with_students(lyceum, SMALL, name="Form Beta")
    rows = []
    for i, s in enumerate(big):
        rows.append(evidence(s, competences[0], 1 + 2 * (i % 2), months_ago(i % 3)))
        rows.append(evidence(s, competences[1], 5, months_ago(i % 2)))
    for s in small:
        rows.append(evidence(s, competences[0], 7))
        rows.append(evidence(s, competences[2], 2))
    CompetenceEvidence.objects.bulk_create(rows)
    mastery_rebuild()
    return lyceum


def institution_report(institution, **filters) -> dict:
    return report_document(parse_filters({"institution": institution.code, **filters}, user=None))


def lines_with(text: str, needle: str) -> list[str]:
    found = [line for line in text.splitlines() if needle in line]
    assert found, f"no line with {needle!r}"
    return found


# ---------------------------------------------------------------------------------------
# Bad input first: names are text, never markup
# ---------------------------------------------------------------------------------------
def test_names_with_markup_are_printed_as_written(lyceum, tmp_path):
    lyceum.name_en = 'Lyceum <b>& "Co"</b> <font size="40">Big</font>'
    lyceum.save()
    report = institution_report(lyceum)
    text = flat(pdf_text(write_pdf(report, tmp_path)))
    assert 'Lyceum <b>& "Co"</b> <font size="40">Big</font>' in text


# ---------------------------------------------------------------------------------------
# Every page renders; competences named in full, with their codes
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "az", "ru"])
def test_every_page_renders_and_every_competence_is_named_in_full(lyceum, tmp_path, language):
    with translation.override(language):
        report = institution_report(lyceum)
        pdf = write_pdf(report, tmp_path, language)
        scope = lyceum.name
    check_pages(render_pages(pdf))
    text = flat(pdf_text(pdf))
    for competence in DIGCOMP.competences:
        name = f"{competence.code} {getattr(competence.name, language)}"
        # the average-level chart, the band chart and the competence table
        assert text.count(name) == 3, name
    assert scope in text
    assert "Secretname" not in text and "Pupil" not in text


def test_the_web_page_and_the_pdf_name_the_same_competences(lyceum, tmp_path):
    report = institution_report(lyceum)
    text = flat(pdf_text(write_pdf(report, tmp_path)))
    for row in report["competences"]:
        assert f"{row['key']} {row['label']}" in text
    assert len(report["competences"]) == 21


# ---------------------------------------------------------------------------------------
# Suppressed and not applicable read differently, with a legend
# ---------------------------------------------------------------------------------------
def test_suppressed_and_not_applicable_cells_read_differently(lyceum, tmp_path):
    report = institution_report(lyceum)
    pdf = write_pdf(report, tmp_path)
    laid_out = pdf_text(pdf, layout=True)
    text = flat(pdf_text(pdf))
    assert "[c] Suppressed: fewer than 10 students are behind this figure" in text
    assert "n/a Not applicable: there is nothing to count or average here" in text

    # the class of 9: every figure of its row suppressed, none "not applicable"
    (beta,) = lines_with(laid_out, "Form Beta")
    assert beta.split("Form Beta")[1].split() == [SUPPRESSED] * (6 + 5)
    # nobody on the university track: counts are zeros, rate and average do not apply
    (university,) = lines_with(laid_out, "University")
    cells = university.split("University")[1].split()
    assert cells == ["0", "0", "0", NOT_APPLICABLE, "0", NOT_APPLICABLE, "0", "0", "0", "0", "0"]
    # competence 1.3 (only the 9): suppressed wherever it stands, chart or table
    for line in lines_with(laid_out, "1.3 Managing data, information and digital content"):
        rest = line.split("digital content")[1].split()
        assert rest and set(rest) == {SUPPRESSED}, line
    # competence 1.4 does not exist; 2.1 has no results: its average does not apply
    table_line = lines_with(laid_out, "2.1 Interacting through digital technologies")[-1]
    assert table_line.split("technologies")[1].split() == ["0", NOT_APPLICABLE, *["0"] * 5]
    # 1.1: the band of the 9 is hidden, so is the average beside it
    row_1_1 = next(r for r in report["competences"] if r["key"] == "1.1")
    table_line = lines_with(laid_out, "1.1 Browsing, searching and filtering data")[-1]
    assert table_line.split()[-7:] == [
        str(row_1_1["results"]),
        SUPPRESSED,
        "0",
        str(row_1_1["bands"][1]["count"]),
        str(row_1_1["bands"][2]["count"]),
        "0",
        SUPPRESSED,
    ]


def test_a_unesco_competence_has_no_bands_of_other_levels(region, tmp_path):
    framework = CompetenceFramework.objects.get(kind=CompetenceFramework.Kind.UNESCO_STUDENTS)
    accountability = Competence.objects.get(area__framework=framework, code="1.2")
    lyceum = school(region, name_en="Lyceum Nizami")
    _cohort, students = cohort_with_students(lyceum, 12, name="Form Alpha")
    CompetenceEvidence.objects.bulk_create(evidence(s, accountability, 2) for s in students)
    mastery_rebuild()
    report = institution_report(lyceum, framework=framework.slug)
    pdf = write_pdf(report, tmp_path)
    check_pages(render_pages(pdf))
    laid_out, text = pdf_text(pdf, layout=True), flat(pdf_text(pdf))
    row = next(r for r in report["competences"] if r["key"] == "1.2")
    # bands 0, 1 (Understand), 2 (Apply), 3 (Create): 1.2 is an Apply competence
    line = lines_with(laid_out, "1.2 Human accountability")[-1]
    assert line.split()[-6:] == [
        str(row["results"]),
        "2.0",
        "0",
        NOT_APPLICABLE,
        str(row["bands"][2]["count"]),
        NOT_APPLICABLE,
    ]
    for competence in UNESCO_STUDENTS.competences:
        assert text.count(f"{competence.code} {competence.name.en}") == 3
    # drawn on UNESCO's scale, not DigComp's
    assert "Levels run from 1 to 3 in this framework" in text
    assert "Scale: level 0 (none reached yet) to 3." in text
    assert "Average level (left scale, 0 to 3)" in text


def test_charts_take_the_scale_of_the_framework():
    reports = {
        kind: {"bands": [{"key": k} for k in keys]}
        for kind, keys in {
            "digcomp": ["0", "1-2", "3-4", "5-6", "7-8"],
            "unesco": ["0", "1", "2", "3"],
        }.items()
    }
    assert top_level(reports["digcomp"]) == 8
    assert top_level(reports["unesco"]) == 3


# ---------------------------------------------------------------------------------------
# Privacy
# ---------------------------------------------------------------------------------------
def numbers_shown(text: str) -> set[str]:
    """The numbers a reader sees, dates and the schema's name aside."""
    text = re.sub(r"\d{4}-\d{2}-\d{2}T[\d:.+-]+", " ", text)  # when it was generated
    text = re.sub(r"\b\d{4}-\d{2,4}\b", " ", text)  # months, the academic year
    text = text.replace("report-v1", " ")
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def numbers_published(report: dict, pages: int) -> set[str]:
    """Every number the PDF may show: the document's published figures, and the report's
    scales, codes, threshold and page numbers."""
    out: set[str] = set()
    rows = [
        report["total"],
        *(r for rows in report["breakdowns"].values() for r in rows),
        *report["competences"],
        *report["trend"],
    ]
    for row in rows:
        for name in ("enrolled", "active", "completed", "results"):
            if row.get(name) is not None:
                out.add(str(row[name]))
        if row.get("average_level") is not None:
            out.add(f"{row['average_level']:.1f}")
        if row.get("completion_rate") is not None:
            out.add(str(round(row["completion_rate"] * 100)))
        out |= {str(b["count"]) for b in row.get("bands", []) if b["count"] is not None}
        if row.get("key") and re.fullmatch(r"\d+\.\d+", row["key"]):
            out |= {row["key"], *row["key"].split(".")}
    top = top_level(report)
    out |= {str(level) for level in range(top + 1)}  # the level scale, band keys
    out |= {"25", "50", "75", "100"}  # the band chart's scale
    most_active = nice_ceiling(max([*(t["active"] or 0 for t in report["trend"]), 1]))
    out |= {str(tick) for tick in count_ticks(most_active)}  # the trend's right scale
    out |= {str(report["min_group_size"]), str(report["perturbation"]["max_noise"])}
    out |= {str(page) for page in range(1, pages + 1)}
    out |= set(re.findall(r"\d+(?:\.\d+)?", report["framework"]["name"]))  # "DigComp 2.2"
    return out


def test_no_figure_of_a_small_group_appears_anywhere(lyceum, tmp_path):
    report = institution_report(lyceum)
    beta = next(r for r in report["breakdowns"]["cohort"] if r["label"] == "Form Beta")
    assert beta["suppressed"] and beta["enrolled"] is None  # the document hides the 9
    pdf = write_pdf(report, tmp_path)
    pages = len(render_pages(pdf))
    text = pdf_text(pdf)
    shown = numbers_shown(text)
    # the 9 (enrolled, active, results of 1.3, band 7-8 of 1.1) are nowhere
    assert str(SMALL) not in shown
    # and every number in the file is one the document publishes, or a scale or a code
    assert shown <= numbers_published(report, pages), shown - numbers_published(report, pages)
