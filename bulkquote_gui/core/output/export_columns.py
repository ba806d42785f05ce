"""The results export's own columns, after the rep's: one table, one line per column.

A line says the column's header, what a quoted row (priced, failed, cancelled, still open) puts
in it, what a row the batch did not quote (invalid, duplicate) puts in it, how XLSX formats a
number in it, and when the batch shows it at all. core/output/export.py writes CSV and XLSX from this
table alone: a new column is one line in RESULT_COLUMNS (plus, for a new value, where the store
keeps it: store.RowView / SkippedRow). A text value is written as text (CSV: neutralised; XLSX:
a string cell); None, a number, Decimal or date is typed, "" and None both blank in CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from bulkquote_gui.core.deal.changes import SiteChange
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.output.reasons import (ALTERNATE_TEXT, access_word, expired_text,
                                               quote_level_word, reason_text, status_word)
from bulkquote_gui.core.states import RowState


# The column both exports name the address set by: the results and `check --rows`.
ADDRESS_SET = "Address set"


@dataclass(frozen=True)
class BatchShape:
    """What decides the optional columns: the batch as a whole, not one row."""

    requoted: bool = False       # a re-quote (`bulkquote requote`): the old price beside the new
    address_sets: bool = False   # the sheet had two or more address sets


def _always(_shape: BatchShape) -> bool:
    return True


def _blank(_row: Any) -> None:
    return None


@dataclass(frozen=True)
class Column:
    header: str
    quoted: Callable[[view_store.RowView], Any]               # a row the batch quoted (or will)
    skipped: Callable[[view_store.SkippedRow], Any] = _blank  # a row it did not: blank unless said
    number_format: Callable[[Any], str] | None = None   # XLSX, a non-blank number's, given its row
    shown: Callable[[BatchShape], bool] = _always


def with_column(column: Column, *, after: str,
                table: tuple[Column, ...] | None = None) -> tuple[Column, ...]:
    """The table (RESULT_COLUMNS by default) with `column` placed after the one headed `after`."""
    table = RESULT_COLUMNS if table is None else table
    at = [c.header for c in table].index(after) + 1
    return (*table[:at], column, *table[at:])


def money_format(currency: str) -> str:
    """Excel's format for an amount in `currency` ("" or USD: a dollar sign)."""
    return '"$"#,##0.00' if currency in ("", "USD") else f'#,##0.00 "{currency}"'


def row_reason(row: view_store.RowView) -> str:
    """Why a quoted row has no price (or "" when it has one), in the rep's words, said once;
    a price past its valid-until date says so."""
    if row.stale(date.today()):
        return expired_text(row.valid_until)
    if row.status == RowState.COMPLETE:
        return ""
    if row.status == RowState.CANCELLED:
        return "Not sent: cancelled"
    return reason_text(row.error_code, row.error_message)


def _skipped_reason(row: view_store.SkippedRow) -> str:
    return row.reason[:1].upper() + row.reason[1:]


def _text(value: Any) -> Callable[[Any], str]:
    return lambda _row: value


def _money(row: view_store.RowView | view_store.SkippedRow) -> str:
    return money_format(row.currency or "" if isinstance(row, view_store.RowView) else "")


def _estimate(row: view_store.RowView) -> str:
    return "" if row.is_estimate is None else ("yes" if row.is_estimate else "no")


def _mrc_change(row: view_store.RowView) -> Any:
    if row.mrc is None or row.previous_mrc is None:
        return None
    return row.mrc - row.previous_mrc


def _quoted_part(i: int) -> Callable[[view_store.RowView], str]:
    return lambda row: row.quoted[i]


def _requoted(shape: BatchShape) -> bool:
    return shape.requoted


def _with_sets(shape: BatchShape) -> bool:
    return shape.address_sets


# The address as sent, beside the rep's: what was cleaned or repaired shows.
_QUOTED_ADDRESS = tuple(Column(header, _quoted_part(i), _text(""))
                        for i, header in enumerate(("Quoted street", "Quoted city",
                                                    "Quoted state", "Quoted ZIP")))

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("Status", lambda r: status_word(r.status), lambda s: status_word(s.status)),
    Column("Reason", row_reason, _skipped_reason),
    *_QUOTED_ADDRESS,
    # Who quoted the row (the provider), and the carrier of its offer.
    Column("Provider", lambda r: r.provider, _text("")),
    Column("Carrier", lambda r: r.carrier or "", _text("")),
    Column("MRC", lambda r: r.mrc, number_format=_money),
    Column("NRC", lambda r: r.nrc, number_format=_money),
    Column("Currency", lambda r: r.currency or "", _text("")),
    Column("Install days", lambda r: r.install_days),
    Column("Access", lambda r: access_word(r.access), _text("")),
    Column("Estimate", _estimate, _text("")),
    Column("Quote level", lambda r: quote_level_word(r.quote_level), _text("")),
    Column("Alternate", lambda r: ALTERNATE_TEXT if r.alternate else "", _text("")),
    Column("Valid until", lambda r: r.valid_until, number_format=lambda _r: "yyyy-mm-dd"),
    Column("Options", lambda r: r.option_count or None),
    Column("Provider quote id", lambda r: r.remote_id or "", _text("")),
    # A re-quote sets each new price beside the one it replaces.
    Column("Previous MRC", lambda r: r.previous_mrc, number_format=_money, shown=_requoted),
    Column("MRC change", _mrc_change, number_format=_money, shown=_requoted),
    # Which address set each row was quoted from (or refused for), the name `check --rows`
    # prints; only when the sheet had two or more sets: with one there is nothing to tell apart.
    Column(ADDRESS_SET, lambda r: r.address_set, lambda s: s.address_set, shown=_with_sets),
)


# --------------------------------------------------------------------------- the Changes sheet

@dataclass(frozen=True)
class ChangeColumn:
    """A column of the Changes sheet: its header, a site's value, XLSX's number format."""

    header: str
    value: Callable[[SiteChange], Any]
    number_format: str | None = None


_MONEY = money_format("")
_DATE = "yyyy-mm-dd"


def _old(field: str) -> Callable[[SiteChange], Any]:
    return lambda s: getattr(s.old_offer, field) if s.old_offer else None


def _new(field: str) -> Callable[[SiteChange], Any]:
    return lambda s: getattr(s.new_offer, field) if s.new_offer else None


# One line per site of the two batches (core/deal/changes.py), NEW's row first.
CHANGE_COLUMNS: tuple[ChangeColumn, ...] = (
    ChangeColumn("Row", lambda s: s.new.row_number if s.new else None),
    ChangeColumn("Previous row", lambda s: s.old.row_number if s.old else None),
    ChangeColumn("Site ID", lambda s: s.site.site_id),
    ChangeColumn("Address", lambda s: s.site.address),
    ChangeColumn("Change", lambda s: ", ".join(s.kinds).capitalize()),
    ChangeColumn("Previous carrier", lambda s: _old("carrier")(s) or ""),
    ChangeColumn("Carrier", lambda s: _new("carrier")(s) or ""),
    ChangeColumn("Previous MRC", _old("mrc"), _MONEY),
    ChangeColumn("MRC", _new("mrc"), _MONEY),
    ChangeColumn("MRC change", lambda s: s.mrc_change, _MONEY),
    ChangeColumn("Previous NRC", _old("nrc"), _MONEY),
    ChangeColumn("NRC", _new("nrc"), _MONEY),
    ChangeColumn("NRC change", lambda s: s.nrc_change, _MONEY),
    ChangeColumn("Previous valid until", lambda s: s.old.valid_until if s.old_offer else None,
                 _DATE),
    ChangeColumn("Valid until", lambda s: s.new.valid_until if s.new_offer else None, _DATE),
)
