"""The export's Changes sheet: what changed since an earlier batch, one line per site, then the
totals; only when a comparison is asked for (the golden export holds every other sheet)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest

from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.output.export_columns import CHANGE_COLUMNS
from tests.helpers.fakes import VALID_UNTIL
from tests.helpers.two_batches import FAILED, priced, quoted_batch


@pytest.fixture
def two(sf):
    old = quoted_batch(sf, {2: priced("900.00", "Lumen", "100.00"), 3: priced("500.00"),
                            4: FAILED})
    new = quoted_batch(sf, {2: priced("950.00", "Zayo", "100.00"), 3: priced("500.00"),
                            4: priced("300.00")})
    return old, new


def _sheet(path, name):
    wb = openpyxl.load_workbook(path)
    return wb, [list(r) for r in wb[name].iter_rows(values_only=True)]


def test_the_changes_sheet_has_a_line_per_site_and_the_totals(sf, two, tmp_path):
    old, new = two
    out = tmp_path / "out.xlsx"
    export_batch(sf, new, out, compare_with=old, today=VALID_UNTIL - timedelta(days=1))
    wb, rows = _sheet(out, "Changes")
    assert wb.sheetnames == ["Quotes", "Summary", "Options", "Changes"]
    assert rows[0] == [c.header for c in CHANGE_COLUMNS]
    by_header = [dict(zip(rows[0], r)) for r in rows[1:4]]
    assert [(r["Row"], r["Change"], r["Previous carrier"], r["Carrier"]) for r in by_header] == [
        (2, "Price up, carrier changed", "Lumen", "Zayo"),
        (3, "Unchanged", "Lumen", "Lumen"),
        (4, "Newly priced", None, "Lumen")]   # a blank cell
    assert (by_header[0]["Previous MRC"], by_header[0]["MRC"], by_header[0]["MRC change"]) == (
        900, 950, 50)
    assert by_header[2]["Previous MRC"] is None and by_header[2]["MRC change"] is None
    assert wb["Changes"].cell(2, 10).number_format == '"$"#,##0.00'
    totals = {r[0]: r[1] for r in rows[5:] if r and r[0]}
    assert totals["Monthly change (sites priced both times)"] == 50
    assert (totals["Monthly before"], totals["Monthly now"]) == (1400, 1750)
    assert totals["Sites: newly priced"] == 1 and totals["Sites: price up"] == 1
    assert Decimal(str(totals["One-time change (sites priced both times)"])) == 0


def test_no_changes_sheet_unless_asked(sf, two, tmp_path):
    _old, new = two
    out = tmp_path / "out.xlsx"
    export_batch(sf, new, out)
    assert openpyxl.load_workbook(out).sheetnames == ["Quotes", "Summary", "Options"]


def test_a_csv_cannot_hold_the_changes_and_an_unknown_batch_is_named(sf, two, tmp_path):
    old, new = two
    with pytest.raises(ValueError, match="must end in .xlsx"):
        export_batch(sf, new, tmp_path / "out.csv", compare_with=old)
    with pytest.raises(KeyError, match="no batch 99 to compare with"):
        export_batch(sf, new, tmp_path / "out.xlsx", compare_with=99)
    assert not list(tmp_path.glob("out.*"))
