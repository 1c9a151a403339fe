"""A partner statement as a PDF (ReportLab), the font embedded so Chinese names and line labels show on any reader.

The font is a TrueType file that covers CJK (Debian's fonts-droid-fallback by default; `SETTLEMENT_PDF_FONT` points
elsewhere). ReportLab embeds the subset of glyphs the statement uses (a /FontFile2 stream) with a ToUnicode map, so
the text can be searched and copied. Droid Sans Fallback has no Latin letters or digits: every run of characters the
font lacks is set in Helvetica, one of the PDF standard fonts every reader carries (so not embedded). A missing font
file is a SettlementError with a clear message, never a PDF of empty boxes. Amounts are the statement's, never
recomputed here."""

import io
import os
import threading
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from settlement.errors import SettlementError
from settlement.money_text import money_display
from settlement.partner_errors import MSG_PDF_FONT_MISSING
from settlement.partner_exports import LINE_RATE, TOTALS, _total_labels, line_label, line_rate

LATIN = "Helvetica"
_registered = {}
_lock = threading.Lock()

def _font_name(path):
    """Register the TrueType font at `path` once per process (parsing it takes a moment) and answer its name."""
    with _lock:
        if path not in _registered:
            if not os.path.isfile(path):
                raise SettlementError(MSG_PDF_FONT_MISSING % {"path": path})
            name = f"SCRMStatement{len(_registered)}"
            try:
                font = TTFont(name, path)
            except (TTFError, OSError) as error:
                raise SettlementError(MSG_PDF_FONT_MISSING % {"path": path}) from error
            pdfmetrics.registerFont(font)
            _registered[path] = (name, frozenset(font.face.charToGlyph))
        return _registered[path]


def _markup(value, covered):
    """Paragraph markup of `value`: runs of characters the font lacks go to Helvetica; everything escaped."""
    text = "" if value is None else str(value)
    runs, current, in_font = [], "", True
    for char in text:
        mine = ord(char) in covered and not char.isspace()
        if char.isspace() or mine == in_font:
            current += char
            continue
        runs.append((current, in_font))
        current, in_font = char, mine
    runs.append((current, in_font))
    return "".join(escape(run) if mine else f'<font name="{LATIN}">{escape(run)}</font>' for run, mine in runs if run)

def _amount(value):
    """An amount as the statement's page shows it (settlement.money_text.money_display: 1,234,567.89)."""
    return "" if value is None else money_display(value)

def statement_pdf(statement, *, compress=True):
    """The statement as a partner reads it: header facts, lines (original and settled amounts), totals. `compress`
    False leaves the page streams readable (tests)."""
    font, covered = _font_name(settings.SETTLEMENT_PDF_FONT)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20, spaceAfter=4 * mm)
    partner = statement.partner

    def text(value):
        return Paragraph(_markup(value, covered), body)

    story = [Paragraph(_markup(_("Statement of %(partner)s") % {"partner": partner.name}, covered), title)]
    facts = [
        (_("Partner"), f"{partner.name} ({partner.code})"), (_("Region"), partner.region.name),
        (_("Period"), f"{statement.period_start:%Y-%m-%d} – {statement.period_end:%Y-%m-%d}"),
        (_("Status"), statement.get_status_display()), (_("Currency"), statement.currency),
        (_("Issued"), f"{timezone.localtime():%Y-%m-%d %H:%M}"),
    ]
    fact_table = Table([[text(label), text(value)] for label, value in facts], colWidths=(35 * mm, 135 * mm))
    fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [fact_table, Spacer(1, 6 * mm)]

    rows = [[text(_("Line")), text(_("Count")), text(_("Original amount")), text(LINE_RATE),
             text(_("Amount (%(currency)s)") % {"currency": statement.currency})]]
    for line in statement.lines.all():
        rows.append([text(line_label(line)), text(line.count or ""),
                     text(f"{_amount(line.source_amount)} {line.source_currency}"),
                     text(line_rate(line)), text(_amount(line.amount))])
    labels = _total_labels()
    first_total = len(rows)
    for name in TOTALS:
        rows.append([text(labels[name]), "", "", "", text(_amount(getattr(statement, name)))])
    if statement.tax_included:
        rows.append([text(_("of which tax")), "", "", "", text(_amount(statement.tax_included))])
    lines = Table(rows, colWidths=(62 * mm, 14 * mm, 36 * mm, 24 * mm, 34 * mm), repeatRows=1)
    lines.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEABOVE", (0, first_total), (-1, first_total), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ]))
    story.append(lines)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=_("Statement of %(partner)s") % {"partner": partner.name},
                                 pageCompression=1 if compress else 0, invariant=not compress)
    document.build(story)
    return buffer.getvalue()
