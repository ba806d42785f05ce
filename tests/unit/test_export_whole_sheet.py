"""Issue 9, findings 1 and 8: the whole sheet back, in its order, with every row's status and
reason; numbers of the rep's stay numbers in XLSX; the file is readable by colleagues."""

from __future__ import annotations

import csv
import os
import stat

import openpyxl
import pytest

from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.fakes import FakeClock, FakeMomentum

SHEET = """Site,Street,City,State,ZIP,Longitude,Note
A,1 Main St,Austin,TX,78701,-97.7431,=1+1
B,PO Box 12,Austin,TX,78701,-97.70,
C,2 Main St,Austin,TX,,-97.71,
D,1 Main St,Austin,TX,78701,-97.7431,
E,3 Oak Ave,Boston,MA,02134,-71.1,
"""


@pytest.fixture
def batch_id(sf, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SHEET, encoding="utf-8")
    result = import_file(path)
    assert result.counts()["quotable"] == 2
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, result, defaults=BatchDefaults(), source_name=path.name)
    clock = FakeClock()
    Processor(sf, FakeMomentum(clock), clock=clock).run_batch(batch_id)
    return batch_id


def _csv(path):
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_every_row_comes_back_in_order_with_status_and_reason(sf, batch_id, tmp_path):
    out = tmp_path / "out.csv"
    assert export_batch(sf, batch_id, out) == 5
    rows = _csv(out)
    header = rows[0]
    status_at, reason_at = header.index("Status"), header.index("Reason")
    assert [r[0] for r in rows[1:]] == ["A", "B", "C", "D", "E"]
    by_site = {r[0]: (r[status_at], r[reason_at]) for r in rows[1:]}
    assert by_site["A"] == ("Priced", "") and by_site["E"] == ("Priced", "")
    assert by_site["B"][0] == "Invalid" and "po box" in by_site["B"][1].lower()
    assert by_site["C"][0] == "Invalid" and "zip" in by_site["C"][1].lower()
    assert by_site["D"] == ("Duplicate", "Duplicate of row 2 (same address and service)")
    assert rows[5][4] == "02134"  # the rep's cells as they wrote them


def test_priced_only(sf, batch_id, tmp_path):
    out = tmp_path / "priced.csv"
    assert export_batch(sf, batch_id, out, priced_only=True) == 2
    assert [r[0] for r in _csv(out)[1:]] == ["A", "E"]


def test_cancelled_rows_say_not_sent(sf, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SHEET, encoding="utf-8")
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, import_file(path), defaults=BatchDefaults(),
                                      source_name=path.name)
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, batch_id)
    out = tmp_path / "c.csv"
    export_batch(sf, batch_id, out)
    rows = _csv(out)
    status_at = rows[0].index("Status")
    assert rows[1][status_at:status_at + 2] == ["Cancelled", "Not sent: cancelled"]


def test_xlsx_numbers_stay_numbers_text_stays_text(sf, batch_id, tmp_path):
    out = tmp_path / "out.xlsx"
    export_batch(sf, batch_id, out)
    wb = openpyxl.load_workbook(out)
    try:
        ws = wb.active
        header = [c.value for c in ws[1]]
        lon = ws.cell(row=2, column=header.index("Longitude") + 1)
        assert lon.value == pytest.approx(-97.7431) and lon.data_type == "n"
        zip_cell = ws.cell(row=6, column=header.index("ZIP") + 1)
        assert zip_cell.value == "02134"  # a leading zero keeps the column text
        note = ws.cell(row=2, column=header.index("Note") + 1)
        assert note.value == "=1+1" and note.data_type == "s"  # string-typed: never evaluated
    finally:
        wb.close()


REPAIRED = """Site,Street,City,State,ZIP,LATITUDE,LONGITUDE
A,1 Main St,Boston,MA,2116,42.3493,-71.0785
B,2 Main St,Boston,MA,02116, , 
C,3 Main St,Boston,MA,02116,,
D,4 Main St,Boston,MA,02116,42.35,-71.08
"""


def test_the_address_quoted_comes_back_beside_the_reps_and_coordinates_stay_numbers(sf, tmp_path):
    # Issue 15 #16: a ZIP typed "2116" is sent as 02116; two sites have no coordinates, one of
    # them blanks that hold a space.
    path = tmp_path / "repaired.csv"
    path.write_text(REPAIRED, encoding="utf-8")
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, import_file(path), defaults=BatchDefaults(),
                                      source_name=path.name)
    clock = FakeClock()
    Processor(sf, FakeMomentum(clock), clock=clock).run_batch(batch_id)
    out = tmp_path / "out.xlsx"
    export_batch(sf, batch_id, out)
    wb = openpyxl.load_workbook(out)
    try:
        ws = wb.active
        header = [c.value for c in ws[1]]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        quoted = [header.index(h) for h in ("Quoted street", "Quoted city", "Quoted state", "Quoted ZIP")]
        assert [rows[0][i] for i in quoted] == ["1 Main St", "Boston", "MA", "02116"]
        assert rows[0][header.index("ZIP")] == "2116"   # the rep's cell as typed
        lat, lon = header.index("LATITUDE"), header.index("LONGITUDE")
        assert [r[lat] for r in rows] == [pytest.approx(42.3493), None, None, pytest.approx(42.35)]
        assert [r[lon] for r in rows] == [pytest.approx(-71.0785), None, None, pytest.approx(-71.08)]
        assert ws.cell(row=2, column=lat + 1).data_type == "n"
    finally:
        wb.close()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_is_readable_by_colleagues(sf, batch_id, tmp_path, suffix):
    old = os.umask(0o022)
    try:
        out = tmp_path / f"shared{suffix}"
        export_batch(sf, batch_id, out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
