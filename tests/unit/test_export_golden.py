"""The export is the same, byte for byte and cell for cell, as before its columns became one
table (core/output/export_columns.py): export_golden.json was written by tests/helpers/export_snapshot.py
on 8793c8e, and again when the Provider, Quote level, Alternate and Provider quote id columns
were added (issue 17), and when the Summary sheet came from the deal's chosen offers with the
other rules' costs (issue 18; every other sheet and every total unchanged). Priced, failed, cancelled, invalid and duplicate rows; two address sets; re-quotes;
whole and priced only; CSV text, and each XLSX cell's value, type, format and boldness, the
widths and the frozen pane of every sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.export_snapshot import snapshot

# One worker runs this module whole (.ci/run: --dist loadgroup):
# the exports are written once, in the module fixture.
pytestmark = pytest.mark.xdist_group("export_golden")

GOLDEN = json.loads((Path(__file__).parent / "export_golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from bulkquote_gui.core.store import engine as engine_store

    folder = tmp_path_factory.mktemp("golden")
    engine = engine_store.make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    try:
        yield json.loads(json.dumps(snapshot(engine_store.make_session_factory(engine), folder)))
    finally:
        engine.dispose()


def test_the_same_exports_are_written(exported):
    assert sorted(exported) == sorted(GOLDEN)


@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_each_export_is_as_before(exported, key):
    assert exported[key] == GOLDEN[key]
