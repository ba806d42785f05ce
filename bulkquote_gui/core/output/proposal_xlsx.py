"""A proposal (core/deal/proposal_data.py) as a workbook: the same content as the PDF in three
sheets (Proposal: the cover, totals and the map of the sites; Sites: one line per site with its chosen offer; Notes),
and an "All offers" sheet only when the rep asked for the appendix. Money is written as numbers
with a currency format, exact to the cent; every text is a string-typed cell, never a formula
(a carrier's or customer's name comes from outside)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from bulkquote_gui.core.deal.proposal_data import Proposal
from bulkquote_gui.core.output.atomic_file import write_bytes_atomically
from bulkquote_gui.core.output.export_columns import money_format

__all__ = ["render_proposal_xlsx", "write_proposal_xlsx"]

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_proposal_xlsx(proposal: Proposal, path: Path) -> None:
    write_bytes_atomically(path, render_proposal_xlsx(proposal))


def render_proposal_xlsx(p: Proposal) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)
    money = money_format(p.totals.currency)
    cover = wb.active
    cover.title = "Proposal"
    t = p.totals
    for label, value in (("Connectivity proposal", None), ("From", p.company_name),
                         ("Prepared for", p.customer), ("Date", p.date),
                         ("Prices valid until", p.earliest_expiry), (None, None),
                         ("Sites priced", len(p.sites)), ("Sites not priced", len(p.unpriced)),
                         ("Monthly (MRC)", t.monthly), ("One-time (NRC)", t.one_time),
                         ("Over the term (MRC x term + NRC)", t.over_term)):
        _append(cover, [label, value], money_columns={1} if isinstance(value, Decimal) else set(),
                money=money)
    cover["A1"].font = Font(bold=True, size=14)
    cover.column_dimensions["A"].width = 34
    cover.column_dimensions["B"].width = 30
    if p.map_png:
        _append(cover, [])
        _append(cover, ["Where the sites are"])
        cover.cell(row=cover.max_row, column=1).font = bold
        _place_picture(cover, p.map_png, f"A{cover.max_row + 1}")

    sites = wb.create_sheet("Sites")
    _header(sites, ["Row", "Address", "Carrier", "Speed", "Term (months)", "MRC", "NRC",
                    "Contract value", "Currency", "Note"], bold)
    lines = [(s.row_number, [s.row_number, s.address, s.carrier, s.speed, s.term_months, s.mrc,
                             s.nrc, s.contract_value, s.currency, s.level], money_format(s.currency))
             for s in p.sites]
    lines += [(u.row_number, [u.row_number, u.address, "Not priced", "", None, None, None, None,
                              "", u.reason], money) for u in p.unpriced]
    for _row, values, its_money in sorted(lines, key=lambda line: line[0]):
        # in the sheet's order, as the customer sent it (as the PDF's table)
        _append(sites, values, money_columns={5, 6, 7}, money=its_money)
    _append(sites, [])
    _append(sites, ["Total", f"{t.sites} sites", "", "", None, t.monthly, t.one_time, t.over_term,
                    t.currency], money_columns={5, 6, 7}, money=money)
    for cell in sites[sites.max_row]:
        cell.font = bold
    sites.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", (6, 48, 18, 10, 14, 13, 13, 16, 9, 30), strict=True):
        sites.column_dimensions[column].width = width

    notes = wb.create_sheet("Notes")
    _header(notes, ["Notes"], bold)
    for n in p.notes:
        _append(notes, [n])
    notes.column_dimensions["A"].width = 120

    if p.all_offers is not None:
        offers = wb.create_sheet("All offers")
        _header(offers, ["Row", "Provider", "Quote id", "Carrier", "Speed", "Term (months)", "MRC",
                         "NRC", "Contract value", "Currency", "Level", "Access", "Chosen"], bold)
        for o in p.all_offers:
            _append(offers, [o.row_number, o.provider, o.quote_id, o.carrier, o.speed, o.term_months,
                             o.mrc, o.nrc, o.contract_value, o.currency, o.level, o.access,
                             "yes" if o.chosen else ""],
                    money_columns={6, 7, 8}, money=money_format(o.currency))
        offers.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


MAP_WIDTH_PX = 720   # about the width of a laptop's sheet window


def _place_picture(ws: Any, png: bytes, anchor: str) -> None:
    """The picture placed at `anchor`, scaled to MAP_WIDTH_PX wide (its own proportions)."""
    # openpyxl reads the picture's size with Pillow (reportlab requires it)
    from openpyxl.drawing.image import Image

    picture = Image(io.BytesIO(png))
    scale = MAP_WIDTH_PX / picture.width
    picture.width, picture.height = MAP_WIDTH_PX, round(picture.height * scale)
    ws.add_image(picture, anchor)


def _header(ws: Any, names: list[str], bold: Any) -> None:
    _append(ws, names)
    for cell in ws[ws.max_row]:
        cell.font = bold


def _append(ws: Any, values: list[Any], *, money_columns: set[int] = frozenset(),
            money: str = "") -> None:
    ws.append([None] * len(values) if values else [])
    row = ws.max_row
    for i, value in enumerate(values):
        if value is None:
            continue
        cell = ws.cell(row=row, column=i + 1)
        if isinstance(value, str):
            cell.value = _ILLEGAL.sub("", value)   # not allowed in XLSX XML
            cell.data_type = "s"   # a string-typed cell is never evaluated as a formula
        else:
            cell.value = value
            if i in money_columns:
                cell.number_format = money
            elif hasattr(value, "year"):
                cell.number_format = "mmmm d, yyyy"
