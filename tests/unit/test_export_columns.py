"""The export's columns are one table (core/output/export_columns.py): a column added to it, and nothing
else, is written in CSV and XLSX, at its place, for a quoted row and for a row the batch did not
quote, with its number format; a column the batch does not show is left out."""

from __future__ import annotations

import csv
import random
from decimal import Decimal

import openpyxl

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.output.export_columns import RESULT_COLUMNS, Column, with_column
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from tests.helpers.fakes import FakeClock, FakeMomentum

SHEET = """Site,Street,City,State,ZIP
A,1 Main St,Austin,TX,78701
B,PO Box 12,Austin,TX,78701
"""
REP_COLUMNS = ["Site", "Street", "City", "State", "ZIP"]

SITE_NOTE = Column("Site note", quoted=lambda r: f"quoted row {r.row_number}",
                   skipped=lambda s: f"skipped row {s.row_number}")
DOUBLE_MRC = Column("Double MRC", quoted=lambda r: r.mrc * 2, skipped=lambda s: Decimal("1.5"),
                    number_format=lambda _row: "0.000")
NEVER = Column("Never shown", quoted=lambda r: "x", shown=lambda shape: False)
TABLE = with_column(DOUBLE_MRC, after="MRC",
                    table=with_column(SITE_NOTE, after="Currency", table=(*RESULT_COLUMNS, NEVER)))


def _batch(sf, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SHEET, encoding="utf-8")
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, import_file(path), defaults=BatchDefaults(), source_name=path.name)
    clock = FakeClock()
    Processor(sf, FakeMomentum(clock, ready_after_s=1.0), clock=clock, config=EngineConfig(),
              rng=random.Random(1)).run_batch(batch_id)
    return batch_id


def _expected_headers():
    headers = [c.header for c in RESULT_COLUMNS if c.header not in ("Previous MRC", "MRC change",
                                                                    "Address set")]
    headers.insert(headers.index("MRC") + 1, "Double MRC")
    headers.insert(headers.index("Currency") + 1, "Site note")
    return REP_COLUMNS + headers


def test_a_column_added_to_the_table_is_in_the_csv_at_its_place(sf, tmp_path):
    batch_id = _batch(sf, tmp_path)
    out = tmp_path / "out.csv"
    assert export_batch(sf, batch_id, out, table=TABLE) == 2
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, priced, skipped = list(csv.reader(f))
    assert header == _expected_headers()
    note, double = header.index("Site note"), header.index("Double MRC")
    assert header[note - 1] == "Currency" and header[double - 1] == "MRC"
    assert (priced[0], priced[note], priced[double]) == ("A", "quoted row 2", "1798.00")
    assert (skipped[0], skipped[note], skipped[double]) == ("B", "skipped row 3", "1.50")
    # The table as shipped has neither column.
    export_batch(sf, batch_id, tmp_path / "plain.csv")
    with (tmp_path / "plain.csv").open(encoding="utf-8-sig", newline="") as f:
        plain = next(csv.reader(f))
    assert "Site note" not in plain and "Double MRC" not in plain
    assert plain == [h for h in header if h not in ("Site note", "Double MRC")]


def test_a_column_added_to_the_table_is_in_the_xlsx_with_its_type_and_format(sf, tmp_path):
    batch_id = _batch(sf, tmp_path)
    out = tmp_path / "out.xlsx"
    export_batch(sf, batch_id, out, table=TABLE)
    ws = openpyxl.load_workbook(out)["Quotes"]
    header, priced, skipped = [list(r) for r in ws.iter_rows()]
    assert [c.value for c in header] == _expected_headers()
    names = [c.value for c in header]
    note, double = names.index("Site note"), names.index("Double MRC")
    assert (priced[note].value, priced[note].data_type) == ("quoted row 2", "s")
    assert (skipped[note].value, skipped[note].data_type) == ("skipped row 3", "s")
    assert (priced[double].value, priced[double].number_format) == (1798, "0.000")
    assert (skipped[double].value, skipped[double].number_format) == (1.5, "0.000")
    mrc = names.index("MRC")
    assert priced[mrc].number_format == '"$"#,##0.00'   # the table's own columns keep theirs


def test_check_rows_and_the_results_name_the_address_set_alike():
    from bulkquote_gui.core.output.cleaned_rows import HEADERS
    from bulkquote_gui.core.output.export_columns import ADDRESS_SET

    assert HEADERS[-1] == ADDRESS_SET == RESULT_COLUMNS[-1].header
