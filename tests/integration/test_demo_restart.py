"""Issue 9, finding 4: demo mode behaves like the real API across a restart. Quit with a quote in
flight, start again: the built-in simulator still knows the quote (and its timing), so the row
ends priced, never "the API no longer knows quote q_…"."""

from __future__ import annotations

import threading
from pathlib import Path

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.runtime import demo_state_file, open_runtime
from bulkquote_gui.services.settings import Settings
from bulkquote_gui.services.simulator_state import SimulatorState

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"


def _sites(tmp_path: Path, n: int) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "sites.csv"
    path.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")
    return path


def _runtime(db_url: str):
    return open_runtime(db_url=db_url, settings=Settings(), poll_interval_s=0.05,
                        quote_timeout_s=60, demo_time_scale=0.05)


def test_quit_mid_quote_in_demo_mode_then_the_next_start_finishes_it(tmp_path):
    db_url = f"sqlite:///{(tmp_path / 'bulkquote.sqlite').as_posix()}"
    first = _runtime(db_url)
    assert first.demo and demo_state_file(db_url) == tmp_path / "bulkquote.sqlite.simulator.jsonl"
    with engine_store.in_transaction(first.session_factory) as session:
        batch_id = batch_store.create_batch(session, import_file(_sites(tmp_path, 3)),
                                      defaults=BatchDefaults(), source_name="sites.csv")
    polling = threading.Event()
    holder: list = []

    def on_event(event) -> None:
        if isinstance(event, QuoteEvent) and event.status == "polling" and not polling.is_set():
            polling.set()
            holder[0].stop()  # the rep quits: the row stays polling, its quote in flight

    client = first.make_client()
    processor = first.make_processor(client, on_event=on_event, role="test")
    holder.append(processor)
    processor.run_unfinished()
    client.close()
    assert polling.is_set()
    with first.session_factory() as session:
        in_flight = [r for r in view_store.batch_rows(session, batch_id) if r.status == "polling"]
    assert len(in_flight) == 1
    created_before = first.simulator.stats()["created"]
    first.close()  # the simulator goes with the app

    second = _runtime(db_url)
    try:
        client = second.make_client()
        second.make_processor(client, on_event=lambda e: None, role="test").run_unfinished()
        client.close()
        with second.session_factory() as session:
            rows = view_store.batch_rows(session, batch_id)
            summary = view_store.get_batch(session, batch_id)
        assert summary.status == "complete"
        resumed = next(r for r in rows if r.quote_id == in_flight[0].quote_id)
        assert resumed.status in ("complete", "failed") and resumed.error_code != "not_found", resumed
        assert all(r.error_code != "not_found" for r in rows)
        # The quote in flight was asked about again, not made again.
        assert second.simulator.stats()["created"] == len(rows) - created_before
    finally:
        second.close()


def test_state_file_keeps_quotes_and_idempotency_keys(tmp_path):
    path = tmp_path / "sim.jsonl"
    body = (b'{"customer":{"company":"A"},"location":{"street":"600 Congress Ave","city":"Austin",'
            b'"state":"TX","postal_code":"78701"},"service":{"bandwidth_mbps":1000,"term_months":36}}')
    one = SimulatorState(time_scale=0, state_file=path)
    made = one.create("acct", body, "key-1")
    assert made.status == 201
    quote_id = made.body["id"]
    two = SimulatorState(time_scale=0, state_file=path)
    assert two.get("acct", quote_id).status == 200
    replay = two.create("acct", body, "key-1")
    assert replay.status == 200 and replay.body["id"] == quote_id
    two.reset()
    assert not path.exists()
