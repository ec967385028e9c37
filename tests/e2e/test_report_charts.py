"""The reports dashboard's charts on a desktop (1280 px) and a phone (390 px): every
competence named in full with its code, every legend entry whole and inside its chart,
the level scale the framework's own (DigComp 0-8).

Set E2E_SCREENSHOT_DIR=/some/dir to keep a screenshot of the charts at each width.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from curricula.framework_data import DIGCOMP
from curricula.models import Competence
from evidence.models import CompetenceEvidence
from people.models import Region
from reports.rollups import mastery_rebuild
from tests.factories import PASSWORD, analyst
from tests.reports.conftest import cohort_with_students, months_ago, school

pytestmark = pytest.mark.e2e
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

# Texts of the charts that the browser cuts, clips or pushes out of their chart or the
# window: a label wider or taller than its box, a box past the chart's edge, a scale's
# label past its drawing's edge.
CUT = """() => {
  const cut = [];
  for (const figure of document.querySelectorAll("figure.report-chart")) {
    const edge = figure.getBoundingClientRect();
    if (figure.scrollWidth > figure.clientWidth + 1) cut.push(figure.dataset.testid + " overflows");
    for (const el of figure.querySelectorAll(".chart-legend li, .chart-label, .chart-value")) {
      const box = el.getBoundingClientRect();
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1
          || box.left < edge.left - 1 || box.right > edge.right + 1
          || box.right > window.innerWidth) {
        cut.push(figure.dataset.testid + ": " + el.textContent.trim());
      }
    }
    for (const svg of figure.querySelectorAll("svg.chart")) {  // the trend's scales
      const frame = svg.getBoundingClientRect();
      for (const text of svg.querySelectorAll("text")) {
        const box = text.getBoundingClientRect();
        if (box.width && (box.left < frame.left - 1 || box.right > frame.right + 1
            || box.top < frame.top - 1 || box.bottom > frame.bottom + 1)) {
          cut.push(figure.dataset.testid + ": " + text.textContent);
        }
      }
    }
  }
  return cut;
}"""


@pytest.fixture
def lyceum(live_server, django_db_serialized_rollback):
    """A class of 23 (competence 1.1 in bands 1-2 and 3-4, 1.2 at level 5) and one of 9
    (1.1 at level 7, a hidden band; 1.3, a hidden row)."""
    competences = list(
        Competence.objects.filter(area__framework__kind="digcomp").order_by("area__order", "order")
    )
    lyceum = school(Region.objects.get(code="baku"), name_en="Lyceum Nizami")
    _alpha, big = cohort_with_students(lyceum, 23, name="Form Alpha")
    _beta, small = cohort_with_students(lyceum, 9, name="Form Beta")

    def evidence(student, competence, level, when):
        return CompetenceEvidence(
            student=student,
            competence=competence,
            level=level,
            score=1.0,
            source="quiz",
            source_key=f"quiz:charts:{competence.code}",
            recorded_at=when,
        )

    rows = []
    for i, s in enumerate(big):
        rows.append(evidence(s, competences[0], 1 + 2 * (i % 2), months_ago(i % 3)))
        rows.append(evidence(s, competences[1], 5, months_ago(i % 2)))
    for s in small:
        rows.append(evidence(s, competences[0], 7, months_ago(0)))
        rows.append(evidence(s, competences[2], 2, months_ago(0)))
    CompetenceEvidence.objects.bulk_create(rows)
    mastery_rebuild()
    return lyceum


def test_chart_names_and_legends_are_whole_on_desktop_and_phone(page: Page, lyceum):
    user = analyst()
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box button[type=submit]").click()
    bands = [
        "0: No level yet",
        "1-2: Foundation",
        "3-4: Intermediate",
        "5-6: Advanced",
        "7-8: Highly specialised",
        "suppressed bands (too few students)",  # the 9 of band 7-8 in 1.1
    ]
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/en/reports/?institution={lyceum.code}")
        competences = page.get_by_test_id("chart-competences")
        expect(competences).to_be_visible()
        expect(competences.locator(".chart-label")).to_have_text(
            [f"{c.code} {c.name.en}" for c in DIGCOMP.competences]
        )
        expect(competences.locator(".chart-ticks span")).to_have_text([str(n) for n in range(9)])
        expect(competences.locator("figcaption")).to_have_text(
            "Scale: level 0 (none reached yet) to 8."
        )
        expect(
            page.get_by_test_id("chart-bands").get_by_test_id("chart-legend").locator("li")
        ).to_have_text(bands)
        expect(
            page.get_by_test_id("chart-trend").get_by_test_id("chart-legend").locator("li")
        ).to_have_text(["Average level (left scale, 0 to 8)", "Active students (right scale)"])
        assert page.evaluate(CUT) == [], name
        screenshots = os.environ.get("E2E_SCREENSHOT_DIR")
        if screenshots:
            Path(screenshots).mkdir(parents=True, exist_ok=True)
            page.get_by_test_id("competences").screenshot(
                path=str(Path(screenshots) / f"report-charts-{name}.png")
            )
            page.get_by_test_id("trend").screenshot(
                path=str(Path(screenshots) / f"report-trend-{name}.png")
            )
