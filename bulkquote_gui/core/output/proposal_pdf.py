"""A proposal (core/deal/proposal_data.py) as a PDF the rep sends the customer as it is.

ReportLab's platypus lays it out: a cover, the sites' table (its header repeated on every page),
the totals, the map when given, the notes, and the appendix of all offers only when the rep
asked for it. The text is set in Bitstream Vera, the TrueType font ReportLab ships, embedded in
the file (a PDF's standard Helvetica is not embedded, and a customer's reader may substitute it).
Qt is not needed: the CLI makes proposals on a server without a display.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from bulkquote_gui.core.deal.proposal_data import Proposal
from bulkquote_gui.core.output.atomic_file import write_bytes_atomically

__all__ = ["PAGE_SIZES", "default_page_size", "money", "render_proposal_pdf", "write_proposal_pdf"]

PAGE_SIZES = ("letter", "a4")
# Where paper is US Letter (CLDR's paper-size data); everywhere else A4.
_LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PR", "PH", "CL", "CO", "VE", "GT", "SV",
                                 "NI", "CR", "PA", "DO", "BZ"})
FONT, BOLD = "BulkQuoteVera", "BulkQuoteVera-Bold"


def money(amount: Decimal, currency: str) -> str:
    """"$1,234.50" (USD), "1,234.50 EUR" otherwise: always to the cent."""
    text = f"{amount.quantize(Decimal('0.01')):,.2f}"
    return f"${text}" if currency in ("", "USD") else f"{text} {currency}"


def default_page_size(environ: Mapping[str, str]) -> str:
    """The rep's paper from the locale (LC_PAPER, else LC_ALL, else LANG: "en_GB.UTF-8" is A4);
    Letter when the locale says nothing (the app's reps are mostly in the US)."""
    for name in ("LC_ALL", "LC_PAPER", "LANG"):   # LC_ALL overrides the others
        value = environ.get(name, "")
        territory = value.split(".")[0].split("@")[0].partition("_")[2].upper()
        if territory:
            return "letter" if territory in _LETTER_TERRITORIES else "a4"
    return "letter"


def _day(d: date | None) -> str:
    return f"{d:%B} {d.day}, {d.year}" if d else ""


def _fonts() -> None:
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, os.path.join(folder, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def write_proposal_pdf(proposal: Proposal, path: Path, *, page: str = "letter") -> None:
    write_bytes_atomically(path, render_proposal_pdf(proposal, page=page))


def render_proposal_pdf(proposal: Proposal, *, page: str = "letter") -> bytes:
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    if page not in PAGE_SIZES:
        raise ValueError(f"page size {page!r}: use one of {', '.join(PAGE_SIZES)}")
    _fonts()
    out = io.BytesIO()
    title = f"Proposal for {proposal.customer}" if proposal.customer else "Connectivity proposal"
    # initialFontName: else every page starts in Helvetica, a font the PDF does not embed
    doc = SimpleDocTemplate(out, pagesize=A4 if page == "a4" else LETTER, title=title,
                            initialFontName=FONT, initialFontSize=9.5,
                            author=proposal.company_name, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=20 * mm)
    footer = " · ".join(x for x in (proposal.company_name, title) if x)

    def on_page(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillGray(0.4)
        canvas.drawString(document.leftMargin, 10 * mm, footer)
        canvas.drawRightString(document.pagesize[0] - document.rightMargin, 10 * mm,
                               f"Page {document.page}")
        canvas.restoreState()

    doc.build(_story(proposal, doc.width), onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _styles() -> dict:
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "money": ParagraphStyle("money", parent=base, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=24, leading=30,
                                spaceAfter=6),
        "company": ParagraphStyle("company", parent=base, fontName=BOLD, fontSize=14, leading=18),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=13, leading=17,
                             spaceBefore=10, spaceAfter=6),
        "note": ParagraphStyle("note", parent=base, leftIndent=12, bulletIndent=0, spaceAfter=3,
                               bulletFontName=FONT),   # its default, Helvetica, is not embedded
        "cover": ParagraphStyle("cover", parent=base, fontSize=12, leading=18),
    }


def _story(p: Proposal, width: float) -> list:
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer

    s = _styles()
    story: list = []
    story += _cover(p, s, width)
    story.append(PageBreak())
    story.append(Paragraph("Sites and prices", s["h2"]))
    story.append(_sites_table(p, s, width))
    story.append(Spacer(1, 10))
    story.append(KeepTogether(_totals_table(p, s, width)))   # never split over two pages
    if p.map_png:
        story.append(Paragraph("Where the sites are", s["h2"]))
        story.append(_picture(p.map_png, width, width * 0.62))
    if p.notes:
        story.append(Paragraph("Notes", s["h2"]))
        story += [Paragraph(escape(n), s["note"], bulletText="•") for n in p.notes]
    if p.all_offers is not None:
        story.append(PageBreak())
        story.append(Paragraph("Appendix: every offer received", s["h2"]))
        story.append(_appendix_table(p, s, width))
    return story


def _cover(p: Proposal, s: dict, width: float) -> list:
    from reportlab.platypus import Paragraph, Spacer

    out: list = []
    if p.logo:
        out += [_picture(p.logo, width * 0.4, 70, align="LEFT"), Spacer(1, 18)]
    if p.company_name:
        out.append(Paragraph(escape(p.company_name), s["company"]))
    out += [Spacer(1, 60), Paragraph("Connectivity proposal", s["title"])]
    if p.customer:
        out.append(Paragraph(f"Prepared for <b>{escape(p.customer)}</b>", s["cover"]))
    out.append(Paragraph(f"Date: {_day(p.date)}", s["cover"]))
    if p.earliest_expiry:
        out.append(Paragraph(f"Prices valid until {_day(p.earliest_expiry)}", s["cover"]))
    t = p.totals
    out += [Spacer(1, 30), Paragraph(
        f"{len(p.sites)} site{'s' if len(p.sites) != 1 else ''} priced"
        + (f", {len(p.unpriced)} not priced (see the notes)" if p.unpriced else ""), s["cover"]),
        Paragraph(f"Monthly: <b>{money(t.monthly, t.currency)}</b> · One-time: "
                  f"<b>{money(t.one_time, t.currency)}</b>", s["cover"]),
        Paragraph(f"Over the term: <b>{money(t.over_term, t.currency)}</b>", s["cover"])]
    return out


def _picture(data: bytes, max_w: float, max_h: float, align: str = "CENTER"):
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    w, h = ImageReader(io.BytesIO(data)).getSize()
    scale = min(max_w / w, max_h / h, 1.0 if w > max_w / 2 else max_w / w)
    image = Image(io.BytesIO(data), width=w * scale, height=h * scale)
    image.hAlign = align
    return image


def _table(data: list, widths: list[float], money_columns: tuple[int, ...], size: float = 8.5):
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    table = LongTable(data, colWidths=widths, repeatRows=1)
    style = [("FONTNAME", (0, 0), (-1, 0), BOLD), ("FONTNAME", (0, 1), (-1, -1), FONT),
             ("FONTSIZE", (0, 0), (-1, -1), size), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3A5F")),
             ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
             ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F5F9")]),
             ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor("#9AA5B1")),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in money_columns]
    table.setStyle(TableStyle(style))
    return table


def _sites_table(p: Proposal, s: dict, width: float):
    from reportlab.platypus import Paragraph

    header = ["Row", "Address", "Carrier", "Speed", "Term", "MRC", "NRC", "Note"]
    lines: list = [(site.row_number, [
        str(site.row_number), Paragraph(escape(site.address), s["cell"]),
        Paragraph(escape(site.carrier), s["cell"]), site.speed, f"{site.term_months} mo",
        money(site.mrc, site.currency), money(site.nrc, site.currency),
        Paragraph(escape(site.level), s["cell"])]) for site in p.sites]
    lines += [(u.row_number, [str(u.row_number), Paragraph(escape(u.address), s["cell"]),
                              "Not priced: see the notes", "", "", "", "", ""])
              for u in p.unpriced]
    lines.sort(key=lambda line: line[0])   # in the sheet's order, as the customer sent it
    data = [header] + [cells for _n, cells in lines]
    fractions = [0.06, 0.29, 0.15, 0.1, 0.07, 0.11, 0.11, 0.11]
    table = _table(data, [width * f for f in fractions], money_columns=(5, 6))
    # an unpriced site's words run across the offer's columns
    spans = [("SPAN", (2, i), (-1, i)) for i, cells in enumerate(data) if i and cells[3] == ""]
    spans += [("TEXTCOLOR", (2, i), (2, i), "#8A4B08") for i, cells in enumerate(data)
              if i and cells[3] == ""]
    table.setStyle(spans)
    return table


def _totals_table(p: Proposal, s: dict, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = p.totals
    data = [["Totals", f"{t.sites} site{'s' if t.sites != 1 else ''}"],
            ["Monthly (MRC)", money(t.monthly, t.currency)],
            ["One-time (NRC)", money(t.one_time, t.currency)],
            ["Over the term (MRC × term + NRC)", money(t.over_term, t.currency)]]
    table = Table(data, colWidths=[width * 0.35, width * 0.2], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTNAME", (1, 1), (1, -1), BOLD), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, 1), (-1, 1), 0.5, colors.HexColor("#9AA5B1"))]))
    return table


def _appendix_table(p: Proposal, s: dict, width: float):
    from reportlab.platypus import Paragraph

    header = ["Row", "Provider", "Quote id", "Carrier", "Speed", "Term", "MRC", "NRC",
              "Over term", "Level", "Chosen"]
    small = s["small"]
    data: list = [header]
    for o in p.all_offers or ():
        data.append([str(o.row_number), Paragraph(escape(o.provider), small),
                     Paragraph(escape(o.quote_id), small), Paragraph(escape(o.carrier), small),
                     o.speed, f"{o.term_months} mo", money(o.mrc, o.currency),
                     money(o.nrc, o.currency), money(o.contract_value, o.currency),
                     Paragraph(escape(o.level), small), "yes" if o.chosen else ""])
    fractions = [0.04, 0.1, 0.17, 0.12, 0.08, 0.06, 0.09, 0.08, 0.1, 0.09, 0.07]
    table = _table(data, [width * f for f in fractions], money_columns=(6, 7, 8), size=7)
    table.setStyle([("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)])
    return table
