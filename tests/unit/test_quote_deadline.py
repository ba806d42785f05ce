"""A row's own timeout bounds each call made for it, and a redirect is named (issue 19 #11).

The real client over httpx.MockTransport, the engine on a fake clock: the server's answer to a
GET arrives one byte per (fake) second, so only the row's timeout can end it in time; before,
the call ran to the client's 60 s deadline whatever the row had left.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import httpx

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.momentum import MomentumClient
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeClock, fake_import

KEY = "sk_test_deadline_0123456789"
CREATED = "2026-11-29T14:00:00Z"


def quote(status: str) -> bytes:
    return json.dumps({"id": "q_1", "status": status, "created_at": CREATED}).encode()


class SlowServer:
    """POST answers at once (queued); each GET's body drips one byte per fake second; DELETE
    answers cancelled. Counts the bytes the drip got out before the client stopped reading."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.dripped = 0
        self.calls: list[str] = []

    def drip(self, body: bytes) -> Iterator[bytes]:
        for i in range(len(body)):
            self.clock.advance(1.0)
            self.dripped += 1
            yield body[i:i + 1]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.method)
        if request.method == "POST":
            return httpx.Response(201, content=quote("queued"))
        if request.method == "DELETE":
            return httpx.Response(200, content=quote("cancelled"))
        body = quote("processing").ljust(500)  # whitespace: still one JSON document
        return httpx.Response(200, headers={"Content-Length": str(len(body))},
                              content=self.drip(body))


def run_one_row(tmp_path, handler, clock: FakeClock, **config) -> view_store.RowView:
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'deadline.sqlite'}")
    try:
        sf = engine_store.make_session_factory(engine)
        with engine_store.in_transaction(sf) as session:
            batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="t.csv")
        client = MomentumClient("https://api.example.com/v1", KEY, clock=clock, deadline_s=60,
                                transport=httpx.MockTransport(handler))
        Processor(sf, client, clock=clock, config=EngineConfig(**config),
                  rng=random.Random(3)).run_batch(batch_id)
        with sf() as session:
            return view_store.batch_rows(session, batch_id)[0]
    finally:
        engine.dispose()


def test_a_dripping_answer_is_cut_at_the_rows_timeout_not_the_calls_deadline(tmp_path):
    clock = FakeClock()
    server = SlowServer(clock)
    row = run_one_row(tmp_path, server, clock, quote_timeout_s=20, poll_interval_s=1)
    assert row.status == "failed" and row.error_code == "timeout"
    assert server.calls == ["POST", "GET", "DELETE"]  # given up, and the quote cancelled
    # The GET started about 1 s into the row's 20 s: it had 19 s, not the client's 60.
    assert server.dripped <= 21


def test_a_redirect_is_named_when_the_row_gives_up(tmp_path):
    clock = FakeClock()

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/v1/quotes"})

    row = run_one_row(tmp_path, redirect, clock, quote_timeout_s=15)
    assert row.status == "failed" and row.error_code == "timeout"
    assert row.error_message.startswith("no quote could be requested within 15 s: ")
    assert "redirected the request (HTTP 302) to https://evil.example" in row.error_message
    assert KEY not in row.error_message
