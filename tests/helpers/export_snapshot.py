"""Every export a batch can give, written and read back as plain data: the CSV's text and, per
XLSX sheet, each cell's value, type, number format and boldness, the column widths and the frozen
pane. tests/unit/test_export_golden.py holds the export to the snapshot taken before the export's
columns became one table (tests/unit/export_golden.json), byte for byte and cell for cell."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from tests.helpers.fakes import VALID_UNTIL, FakeClock, FakeMomentum, Outcome

# Priced, invalid, duplicate rows; a formula, numbers of the rep's, a ZIP with a leading zero.
ONE_SET = """Site,Street,City,State,ZIP,Longitude,Note
A,1 Main St,Austin,TX,78701,-97.7431,=1+1
B,PO Box 12,Austin,TX,78701,-97.70,
C,2 Main St,Austin,TX,,-97.71,
D,1 Main St,Austin,TX,78701,-97.7431,
E,3 Oak Ave,Boston,MA,02134,-71.1,@SUM(1)
F,4 Elm St,Austin,TX,78702,-97.72,
G,5 Elm St,Austin,TX,78703,,
"""
# Two address sets: the "Address set" column, skipped rows from either set.
TWO_SETS = """Name,Mailing Address,Mailing City,Mailing State,Mailing Zip,Physical Address,Physical City,Physical State,Physical Zip
Both,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701
No physical,12 Elm St,Austin,TX,78703,,,,
Boxes only,PO Box 5,Austin,TX,78705,PO Box 6,Austin,TX,78705
Again,12 Elm St,Austin,TX,78703,,,,
Plain,,,,,700 Lavaca St,Austin,TX,78701
"""


def _run(sf, batch_id: int, outcomes: dict[str, Outcome]) -> None:
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    for ref, outcome in outcomes.items():
        api.outcomes[f"batch-{batch_id}/{ref}"] = outcome
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(4)).run_batch(batch_id)


def _batch(sf, folder: Path, name: str, text: str) -> int:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    with engine_store.in_transaction(sf) as session:
        return batch_store.create_batch(session, import_file(path), defaults=BatchDefaults(), source_name=name)


def batches(sf, folder: Path) -> dict[str, int]:
    """One batch of each kind an export tells apart, by name."""
    one = _batch(sf, folder, "one.csv", ONE_SET)
    _run(sf, one, {"row-6": Outcome(status="failed", error_code="no_coverage",
                                    error_message="No carrier serves this address"),
                   "row-7": Outcome(mrc="1234.56"),
                   "row-8": Outcome(status="failed", error_code="invalid_address",
                                    error_message="Street not found")})
    cancelled = _batch(sf, folder, "cancelled.csv", ONE_SET)
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, cancelled)
    two = _batch(sf, folder, "two.csv", TWO_SETS)
    _run(sf, two, {})
    later = VALID_UNTIL + timedelta(days=60)
    with engine_store.in_transaction(sf) as session:
        requote = reuse_store.requote_stale(session, one, today=later)
    _run(sf, requote, {"row-2": Outcome(mrc="950.00")})
    with engine_store.in_transaction(sf) as session:
        requote_two = reuse_store.requote_stale(session, two, today=later)
    _run(sf, requote_two, {"row-3": Outcome(mrc="10.00")})
    return {"one": one, "cancelled": cancelled, "two": two, "requote": requote,
            "requote_two": requote_two}


def _xlsx(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "freeze": ws.freeze_panes,
            "widths": {k: d.width for k, d in sorted(ws.column_dimensions.items())},
            "cells": [[[repr(c.value), c.data_type, c.number_format, bool(c.font.b)] for c in row]
                      for row in ws.iter_rows()]}
    return out


def snapshot(sf, folder: Path) -> dict[str, Any]:
    """Each batch exported as CSV and XLSX, whole and priced only."""
    out: dict[str, Any] = {}
    for name, batch_id in batches(sf, folder).items():
        for priced_only in (False, True):
            for suffix in (".csv", ".xlsx"):
                path = folder / f"{name}-{priced_only}{suffix}"
                export_batch(sf, batch_id, path, priced_only=priced_only)
                key = f"{name} priced_only={priced_only} {suffix}"
                out[key] = (path.read_bytes().decode("utf-8") if suffix == ".csv"
                            else _xlsx(path))
    return out
