"""The provider on every row (issue 17): who quoted it, the provider's quote id, the quote level
and an alternate flagged "alternate: review", in the store's view, the export and `status
--json`. A batch runs through the real engine against the hostile Sonata peer, which answers
each quote with a budgetary alternate (48 months offered for 36)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.export import export_batch
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeImport, checked_row
from tests.helpers.hostile_sonata import HostileSonata, priced

REPO = Path(__file__).resolve().parents[2]
FAST = EngineConfig(poll_interval_s=0.02, quote_timeout_s=20.0, retry_after_floor_s=0.01,
                    retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                    command_check_s=0.05, delete_attempts=3, cleanup_timeout_s=2.0)


def _alternate(request):
    return priced(request, state="approved.orderableAlternate", term=48, level="budgetary")


def _run_sonata_batch(sf, events=None) -> tuple[int, set[str]]:
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2), checked_row(3)]),
                                            defaults=BatchDefaults(), source_name="sites.csv")
    with HostileSonata(final=_alternate) as peer:
        settings = SonataSettings(token_url=peer.token_url, client_id="buyer-1",
                                  seller="Hostile Fiber", offerings={"DIA": "BIA-1"},
                                  contact=Contact("Rita Rep", "rita@buyer.example", "555-0100"))
        account = account_store.ensure_account(sf, peer.base_url, "s3cret-value", provider=SONATA)
        with build_client(peer.base_url, "s3cret-value", kind=SONATA, sonata=settings) as client:
            Processor(sf, client, config=FAST, rng=random.Random(3), account=account,
                      on_event=(events.append if events is not None else lambda e: None)
                      ).run_batch(batch_id)
        return batch_id, set(peer.quotes)


def test_the_store_view_names_provider_quote_id_level_and_alternate(sf):
    batch_id, made = _run_sonata_batch(sf)
    with sf() as session:
        rows = view_store.batch_rows(session, batch_id)
    assert [r.status for r in rows] == [RowState.COMPLETE] * 2
    assert {r.provider for r in rows} == {"Sonata"}     # no provider name: the account's kind
    assert {r.remote_id for r in rows} == made
    assert {(r.quote_level, r.alternate) for r in rows} == {("budgetary", True)}


def test_the_export_has_provider_quote_id_level_and_alternate_columns(sf, tmp_path):
    batch_id, made = _run_sonata_batch(sf)
    export_batch(sf, batch_id, tmp_path / "out.csv")
    lines = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text("utf-8-sig"))))
    assert [(r["Provider"], r["Quote level"], r["Alternate"]) for r in lines] == \
        [("Sonata", "budgetary", "alternate: review")] * 2
    assert {r["Provider quote id"] for r in lines} == made


def test_a_momentum_row_names_momentum_and_leaves_level_and_alternate_blank(sf, tmp_path):
    from tests.helpers.fakes import FakeClock, FakeMomentum

    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2)]),
                                            defaults=BatchDefaults(), source_name="sites.csv")
    account = account_store.ensure_account(sf, "https://api.example", "key")
    clock = FakeClock()
    Processor(sf, FakeMomentum(clock), clock=clock, account=account).run_batch(batch_id)
    export_batch(sf, batch_id, tmp_path / "out.csv")
    [line] = csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text("utf-8-sig")))
    assert (line["Status"], line["Provider"], line["Quote level"], line["Alternate"]) == \
        ("Priced", "Momentum", "", "")
    assert line["Provider quote id"].startswith("q_")


def test_status_json_names_the_provider_on_every_row(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = engine_store.make_engine(url)
    try:
        batch_id, made = _run_sonata_batch(engine_store.make_session_factory(engine))
    finally:
        engine.dispose()
    out = subprocess.run([sys.executable, "-m", "bulkquote_gui", "--db", url, "status",
                          str(batch_id), "--json"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60, check=True)
    rows = json.loads(out.stdout)["rows"]
    assert {(r["provider"], r["quote_level"], r["alternate"]) for r in rows} == \
        {("Sonata", "budgetary", True)}
    assert {r["quote_id"] for r in rows} == made


def test_the_event_that_prices_a_row_carries_its_level_and_alternate(sf):
    from bulkquote_gui.core.events import QuoteEvent

    events: list = []
    _run_sonata_batch(sf, events)
    priced = [e for e in events if isinstance(e, QuoteEvent) and e.status == RowState.COMPLETE]
    assert len(priced) == 2
    assert {(e.quote_level, e.alternate) for e in priced} == {("budgetary", True)}
