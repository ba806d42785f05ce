"""PySide6 6.12.0's Signal.emit() drops a reference to True on every call; thousands of row
updates then abort the interpreter. Our emits (and the background-job hand-off) must not."""

from __future__ import annotations

import asyncio
import sys

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.gui.background import run_blocking
from bulkquote_gui.gui.models.results_model import ResultsModel, ResultRow
from tests.helpers.fakes import offer


class _View:
    def __init__(self, n: int) -> None:
        self.quote_id, self.row_number, self.address, self.status = n, n + 2, f"{n} Main St", "pending"
        self.offer = None
        self.error_code = self.error_message = self.valid_until = None


def test_thousands_of_row_updates_keep_true_alive(qtbot):
    model = ResultsModel()
    model.load([_View(n) for n in range(20)])
    before = sys.getrefcount(True)
    for i in range(5000):
        model.apply(QuoteEvent(batch_id=1, quote_id=i % 20, row_number=i % 20 + 2,
                               status=("submitting", "polling", "complete")[i % 3], offer=offer("1.00")))
    model.close_open_rows("cancelled", "cancelled by the user")
    assert sys.getrefcount(True) >= before - 50  # (the bug would show as about -5000)
    assert isinstance(model.row_at(0), ResultRow)


def test_background_jobs_keep_true_alive(qtbot):
    done = []

    async def many() -> None:
        for n in range(200):
            value, error = await run_blocking(lambda x=n: x * 2)
            assert error is None and value == n * 2
        done.append(True)

    before = sys.getrefcount(True)
    asyncio.ensure_future(many())
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    assert sys.getrefcount(True) >= before - 20  # (the bug would show as about -200)
