"""A second quote provider, written only here, runs a batch through the real engine.

`ToySeller` is an in-memory seller with its own vocabulary (its own faults, its own statuses),
mapped onto the seam's typed errors by `_as_provider_error`. Nothing outside this module knows
it exists: if this test needs a change elsewhere, the seam (core/quoting/provider.py) leaks.
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import (
    AuthError,
    Busy,
    PermanentError,
    ProviderError,
    QuoteOption,
    QuoteProvider,
    QuoteResult,
    RemoteQuote,
    Reply,
    TransientError,
)
from bulkquote_gui.core.states import ROW_TERMINAL, BatchStatus, RowState
from tests.helpers.fakes import FakeClock, fake_import


# --- the toy seller's own world --------------------------------------------------------------------

class SellerFault(Exception):
    """The toy seller's one exception, with its own reasons."""

    def __init__(self, reason: str, detail: str = "", holding: str | None = None) -> None:
        super().__init__(detail or reason)
        self.reason, self.detail, self.holding = reason, detail or reason, holding


def _as_provider_error(fault: SellerFault) -> ProviderError:
    """The toy seller's faults in the seam's words."""
    if fault.reason == "too-busy-try-later":
        return TransientError(fault.detail, code="toy_throttled", retry_after=2.0)
    if fault.reason == "one-at-a-time":
        return Busy(fault.detail, code="toy_busy", in_flight_id=fault.holding)
    if fault.reason == "who-are-you":
        return AuthError(fault.detail, code="toy_auth")
    return PermanentError(fault.detail, code="toy_" + fault.reason.replace("-", "_"))


class ToySeller:
    """Sells one price per site, one quote at a time; ready on the second look; throttles the
    first order it ever sees; does not serve the site of row 4."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.orders: dict[str, dict[str, Any]] = {}   # order id -> order
        self.by_key: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._throttled_once = False
        self.calls: list[str] = []

    # the seam ---------------------------------------------------------------------------------
    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> Reply:
        self.calls.append("submit")
        return self._mapped(lambda: self._order(request, key))

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None,
             or_submit: bool = True) -> Reply:
        self.calls.append("find")
        return self._mapped(lambda: self._order(request, key))

    def poll(self, quote_id: str, *, within: float | None = None) -> Reply:
        self.calls.append("poll")
        return self._mapped(lambda: self._look(quote_id))

    def cancel(self, quote_id: str) -> Reply:
        self.calls.append("cancel")
        order = self.orders[quote_id]
        if order["state"] == "working":
            order["state"] = "withdrawn"
        return self._reply(order, replayed=False)

    def health(self) -> None:
        self.calls.append("health")

    # the seller's own logic -------------------------------------------------------------------
    def _mapped(self, call):
        try:
            return call()
        except SellerFault as fault:
            raise _as_provider_error(fault) from None

    def _order(self, request: dict[str, Any], key: str) -> Reply:
        if key in self.by_key:
            return self._reply(self.orders[self.by_key[key]], replayed=True)
        if not self._throttled_once:
            self._throttled_once = True
            raise SellerFault("too-busy-try-later")
        working = [o for o in self.orders.values() if o["state"] == "working"]
        if working:
            raise SellerFault("one-at-a-time", holding=working[0]["id"])
        if request["reference"].endswith("/row-4"):
            raise SellerFault("site-not-served", "the toy seller does not serve this site")
        order = {"id": f"toy-{next(self._ids)}", "reference": request["reference"],
                 "state": "working", "looks": 0, "made": self.clock.now()}
        self.orders[order["id"]] = order
        self.by_key[key] = order["id"]
        return self._reply(order, replayed=False)

    def _look(self, order_id: str) -> Reply:
        order = self.orders[order_id]
        order["looks"] += 1
        if order["state"] == "working" and order["looks"] >= 2:
            order["state"] = "sold"
        return self._reply(order, replayed=False)

    def _reply(self, order: dict[str, Any], *, replayed: bool) -> Reply:
        status = {"working": "processing", "sold": "complete", "withdrawn": "cancelled"}[order["state"]]
        result = None
        if status == "complete":
            option = QuoteOption("Toy Telecom", "DIA", 1000, 36, Decimal("123.45"), Decimal("0.00"),
                                 "USD")
            result = QuoteResult((option,), 0, None)
        quote = RemoteQuote(order["id"], status, order["reference"], result, None, None,
                            order["made"], self.clock.now())
        return Reply(quote, None if quote.terminal else 1.0, replayed)


# --- the test ------------------------------------------------------------------------------------

def test_a_toy_provider_runs_a_batch_through_the_real_engine_to_every_row_terminal(sf):
    clock = FakeClock()
    seller = ToySeller(clock)
    provider: QuoteProvider = seller   # the Protocol is all the engine is given
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="t.csv")

    outcome = Processor(sf, provider, clock=clock, config=EngineConfig(),
                        rng=random.Random(7)).run_batch(batch_id)

    assert outcome == BatchStatus.COMPLETE
    with sf() as session:
        rows = view_store.batch_rows(session, batch_id)
    assert [r.status for r in rows] == [RowState.COMPLETE, RowState.COMPLETE, RowState.FAILED]
    assert all(r.status in ROW_TERMINAL for r in rows)
    assert [(r.carrier, str(r.mrc)) for r in rows[:2]] == [("Toy Telecom", "123.45")] * 2
    assert (rows[2].error_code, rows[2].error_message) == \
        ("toy_site_not_served", "the toy seller does not serve this site")
    # The throttled first order was asked for again with its key: one order per quoted row.
    assert sorted(o["reference"].rsplit("/", 1)[1] for o in seller.orders.values()) == ["row-2", "row-3"]
    assert "find" in seller.calls   # the POST that may have gone out was looked up, not re-sent
