"""The printable certificate of a credential (reportlab, as the login sheet): the holder,
the course, its competences with levels, the institution, the date and the issuer, and
a QR code of the public verification page (its address printed beside it too).

What it prints is what the verified credential says (selectors.Shown), so a certificate
never shows more, or other, than the signed file."""

from __future__ import annotations

import io
from pathlib import Path

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from people.loginsheet import qr_draw

from .selectors import Shown

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 18 * mm
QR_SIZE = 42 * mm
INK = colors.HexColor("#1d2433")
MUTED = colors.HexColor("#5b6478")
BRAND = colors.HexColor("#1f5fa8")

# Debian's DejaVu has Azerbaijani and Cyrillic letters; reportlab's Vera otherwise.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"Certificate": "DejaVuSans.ttf", "Certificate-Bold": "DejaVuSans-Bold.ttf"}
FALLBACK = {"Certificate": "Vera.ttf", "Certificate-Bold": "VeraBd.ttf"}


def _fonts() -> tuple[str, str]:
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file in FONTS.items():
        if name not in registered:
            path = DEJAVU / file
            if not path.exists():
                path = Path(rl_config.__file__).parent / "fonts" / FALLBACK[name]
            pdfmetrics.registerFont(TTFont(name, str(path)))
    return "Certificate", "Certificate-Bold"


def render_certificate(*, shown: Shown, verification_url: str, revoked: bool = False) -> bytes:
    regular, bold = _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=landscape(A4), pageCompression=1)
    canvas.setTitle(_("Certificate: %(course)s") % {"course": shown.course})
    canvas.setAuthor(shown.issuer)
    canvas.setSubject(shown.holder)
    width = PAGE_WIDTH - 2 * MARGIN

    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(2)
    canvas.rect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)

    y = PAGE_HEIGHT - MARGIN - 8 * mm
    canvas.setFillColor(MUTED)
    canvas.setFont(regular, 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, shown.issuer)
    y -= 14 * mm
    canvas.setFillColor(BRAND)
    canvas.setFont(bold, 26)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, _("Certificate of completion"))
    y -= 14 * mm
    canvas.setFillColor(INK)
    canvas.setFont(regular, 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, _("This certifies that"))
    y -= 12 * mm
    canvas.setFont(bold, 22)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, shown.holder)
    y -= 10 * mm
    canvas.setFont(regular, 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, _("completed the course"))
    y -= 11 * mm
    for line in simpleSplit(shown.course, bold, 18, width)[:2]:
        canvas.setFont(bold, 18)
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
        y -= 8 * mm

    facts = []
    if shown.institution:
        facts.append(_("at %(institution)s") % {"institution": shown.institution})
    if shown.issued_at:
        facts.append(
            _("issued %(date)s") % {"date": formats.date_format(shown.issued_at, "DATE_FORMAT")}
        )
    canvas.setFont(regular, 11)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, " · ".join(facts))
    y -= 10 * mm

    # the competences, left; the QR code, right
    text_width = width - QR_SIZE - 10 * mm
    if shown.competences:
        canvas.setFillColor(INK)
        canvas.setFont(bold, 11)
        canvas.drawString(MARGIN, y, _("Competences"))
        y -= 6 * mm
        for competence in shown.competences:
            label = competence.name
            if competence.level:  # the framework's own name of the level ("Level 3")
                label = f"{competence.name}: {competence.level}"
            for line in simpleSplit(label, regular, 10, text_width)[:2]:
                if y < MARGIN + 12 * mm:
                    break
                canvas.setFont(regular, 10)
                canvas.drawString(MARGIN, y, line)
                y -= 5 * mm

    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    qr_y = MARGIN + 6 * mm
    qr_draw(canvas, verification_url, qr_x, qr_y, size=QR_SIZE)
    canvas.setFont(regular, 8)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN,
        MARGIN,
        _("Scan to verify, or open: %(url)s") % {"url": verification_url},
    )
    if revoked:
        canvas.setFillColor(colors.HexColor("#b3261e"))
        canvas.setFont(bold, 14)
        canvas.drawString(MARGIN, MARGIN, _("Revoked by the issuer"))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
