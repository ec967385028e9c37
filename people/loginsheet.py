"""The printable class login sheet: one card per pupil, eight to an A4 page, to cut out.

Each card has the pupil's name, username, one-time code and its expiry, the first-login
page's address to type, and a QR code of that page with the username and the code filled
in (people/logincodes.py makes the codes; this module only draws them). The same drawing
makes the single card of "reset this pupil's password".

Drawn with reportlab, which the ministry report's PDF uses too, including its QR codes
(reportlab.graphics.barcode.qr): no other library is needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .logincodes import IssuedCode
from .models import Cohort

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 12 * mm
HEADER = 16 * mm
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
CARD_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / COLUMNS
CARD_HEIGHT = (PAGE_HEIGHT - 2 * MARGIN - HEADER) / ROWS
PADDING = 5 * mm
QR_SIZE = 31 * mm
MUTED = colors.HexColor("#555555")

# Debian's fonts-dejavu have Azerbaijani and Cyrillic letters; reportlab's own Vera and
# Courier (Latin only) when they are missing. Usernames and codes in a monospaced font,
# so that l, I and 1 look different.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "LoginSheet": "DejaVuSans.ttf",
    "LoginSheet-Bold": "DejaVuSans-Bold.ttf",
    "LoginSheet-Mono": "DejaVuSansMono-Bold.ttf",
}
FALLBACK = {"LoginSheet": "Vera.ttf", "LoginSheet-Bold": "VeraBd.ttf"}


def _fonts() -> tuple[str, str, str]:
    registered = set(pdfmetrics.getRegisteredFontNames())
    names = []
    for name, file in FONTS.items():
        if name not in registered:
            path = DEJAVU / file
            if not path.exists():
                if name not in FALLBACK:
                    names.append("Courier-Bold")
                    continue
                path = Path(rl_config.__file__).parent / "fonts" / FALLBACK[name]
            pdfmetrics.registerFont(TTFont(name, str(path)))
        names.append(name)
    return names[0], names[1], names[2]


def render_login_sheet(*, cohort: Cohort, cards: Sequence[IssuedCode]) -> bytes:
    """The sheet's PDF: a heading on each page, then the cards in the order given."""
    regular, bold, mono = _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    title = _("Login cards: %(cohort)s") % {"cohort": cohort}
    canvas.setTitle(title)
    canvas.setSubject(cohort.institution.name)
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    for number, page in enumerate(pages, start=1):
        _heading(canvas, cohort, title, number, len(pages), regular, bold)
        for index, card in enumerate(page):
            row, column = divmod(index, COLUMNS)
            x = MARGIN + column * CARD_WIDTH
            y = PAGE_HEIGHT - MARGIN - HEADER - (row + 1) * CARD_HEIGHT
            _card(canvas, card, cohort, x, y, regular, bold, mono)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _heading(canvas, cohort, title, number, pages, regular, bold) -> None:
    top = PAGE_HEIGHT - MARGIN
    canvas.setFillColor(colors.black)
    canvas.setFont(bold, 13)
    canvas.drawString(MARGIN, top - 5 * mm, title)
    canvas.setFont(regular, 8)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN,
        top - 5 * mm,
        _("Page %(number)d of %(pages)d") % {"number": number, "pages": pages},
    )
    canvas.drawString(
        MARGIN,
        top - 10 * mm,
        _(
            "%(institution)s · printed %(date)s. Cut along the dashed lines and give each "
            "pupil their own card. Each code works once."
        )
        % {
            "institution": cohort.institution.name,
            "date": formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT"),
        },
    )


def _fit(canvas, text: str, font: str, size: float, width: float, minimum: float) -> float:
    """The largest font size up to `size` at which `text` fits `width` (at least `minimum`)."""
    while size > minimum and canvas.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _card(canvas, card: IssuedCode, cohort: Cohort, x, y, regular, bold, mono) -> None:
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#999999"))
    canvas.setDash(3, 3)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)
    canvas.restoreState()

    left = x + PADDING
    text_width = CARD_WIDTH - 2 * PADDING - QR_SIZE - 3 * mm
    cursor = y + CARD_HEIGHT - PADDING

    # Which class the card is for, once it is cut out of the sheet.
    place = f"{cohort.name} · {cohort.institution.name}"
    cursor -= 7
    canvas.setFont(regular, _fit(canvas, place, regular, 7, text_width, 5))
    canvas.setFillColor(MUTED)
    canvas.drawString(left, cursor, place)
    cursor -= 2 * mm

    # The whole name, on two lines at most, smaller if it must be (a third line at the
    # smallest size rather than a name cut short).
    name = card.user.get_full_name() or card.user.get_username()
    size = 12.0
    lines = simpleSplit(name, bold, size, text_width)
    while len(lines) > 2 and size > 8:
        size -= 0.5
        lines = simpleSplit(name, bold, size, text_width)
    canvas.setFillColor(colors.black)
    for line in lines[:3]:
        cursor -= size
        canvas.setFont(bold, size)
        canvas.drawString(left, cursor, line)
    cursor -= 3 * mm

    def field(label: str, value: str, size: float) -> None:
        nonlocal cursor
        cursor -= 8
        canvas.setFont(regular, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(left, cursor, label)
        size = _fit(canvas, value, mono, size, text_width, 6)
        cursor -= size + 1
        canvas.setFont(mono, size)
        canvas.setFillColor(colors.black)
        canvas.drawString(left, cursor, value)
        cursor -= 2 * mm

    field(_("Username"), card.user.get_username(), 12)
    field(_("One-time code"), card.display_code, 16)

    canvas.setFont(regular, 7)
    canvas.setFillColor(MUTED)
    cursor -= 8
    canvas.drawString(
        left,
        cursor,
        _("Valid until %(date)s")
        % {"date": formats.date_format(timezone.localtime(card.expires_at), "SHORT_DATE_FORMAT")},
    )

    # The instructions run under the text and the QR code, across the card.
    address = card.url.split("?", 1)[0].split("://", 1)[-1]
    instructions = _(
        "Scan the QR code, or open %(address)s and type your username and this code. "
        "Then choose your own password."
    ) % {"address": address}
    lines = simpleSplit(instructions, regular, 7, CARD_WIDTH - 2 * PADDING)
    line_y = y + PADDING + (len(lines) - 1) * 8.5
    canvas.setFillColor(colors.black)
    for line in lines:
        canvas.setFont(regular, 7)
        canvas.drawString(left, line_y, line)
        line_y -= 8.5

    qr_draw(
        canvas, card.url, x + CARD_WIDTH - PADDING - QR_SIZE, y + CARD_HEIGHT - PADDING - QR_SIZE
    )


def qr_draw(canvas, value: str, x: float, y: float, size: float = QR_SIZE) -> None:
    """A QR code of `value`, `size` points square, its lower left corner at (x, y): the
    login cards' links, and other PDFs' links (credentials' certificates)."""
    widget = QrCodeWidget(value, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)
