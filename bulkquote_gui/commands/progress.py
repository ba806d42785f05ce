"""What the headless commands show while batches run, on stderr.

On a terminal: finished rows scroll by as lines and a live bar stays at the bottom, with counts
and the time left, measured from how long quotes actually take here (time spent waiting for the
account or the API is left out). Elsewhere (pipes, CI, --json): one line per finished row and
per batch change, nothing redrawn. While another BulkQuote holds the account's lease and sends
the batch's quotes, the command shows the batch as the store has it (`elsewhere`). The bar is
wiped when the command ends: its time left would be stale under the last lines.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import Callable, TextIO

from bulkquote_gui.core.output.durations import duration_text
from bulkquote_gui.core.events import BatchEvent, Event, QuoteEvent, WaitEvent
from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.states import BATCH_UNFINISHED, ROW_TERMINAL, BatchStatus, RowState

BAR_WIDTH = 24
PACE_WINDOW = 20   # recent quotes that set the pace


def count_text(counts: dict[str, int]) -> str:
    done = sum(counts.get(state, 0) for state in ROW_TERMINAL)
    text = f"{done}/{counts.get('total', 0)} done, {counts.get(RowState.COMPLETE, 0)} priced"
    for state in (RowState.FAILED, RowState.CANCELLED):
        if counts.get(state):
            text += f", {counts[state]} {state}"
    return text


class Pace:
    """Seconds per quote over the recent ones, not counting time the account spent waiting."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._durations: list[float] = []
        self._last: float | None = None
        self._waiting_since: float | None = None
        self._waited = 0.0

    def wait_started(self) -> None:
        if self._waiting_since is None:
            self._waiting_since = self._monotonic()

    def wait_ended(self) -> None:
        if self._waiting_since is not None:
            self._waited += self._monotonic() - self._waiting_since
            self._waiting_since = None

    def quote_finished(self) -> None:
        now = self._monotonic()
        if self._last is not None:
            self._durations = (self._durations + [max(0.0, now - self._last - self._waited)])[-PACE_WINDOW:]
        self._last, self._waited = now, 0.0
        if self._waiting_since is not None:
            self._waiting_since = now

    def left(self, quotes: int) -> float | None:
        if not self._durations or quotes <= 0:
            return None
        return sum(self._durations) / len(self._durations) * quotes


class Progress:
    """The engine's listener for the CLI (see the module docstring)."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._out = stream or sys.stderr
        self.live = self._out.isatty() if live is None else live
        self.last_message = ""
        self._pace = Pace(monotonic)
        self._bar = ""
        self._waiting = ""
        self.lease_held_elsewhere = False   # another BulkQuote sends the account's quotes
        self._going_on: str | None = None   # the end of that wait, until this one sends
        self._told: dict[int, tuple[str, dict[str, int]]] = {}   # batch -> status, counts shown
        self._lock = threading.Lock()   # the engine's thread and the command's both report

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._show(event)

    def elsewhere(self, batch_id: int, status: str, counts: dict[str, int]) -> None:
        """The batch as the store has it while another BulkQuote sends its quotes: a line per
        change in a pipe, the bar on a terminal."""
        with self._lock:
            if status not in BATCH_UNFINISHED:
                self._end(batch_id, status, counts)
                return
            if self._told.get(batch_id) == (status, counts):
                return
            self._told[batch_id] = (status, counts)
            if not self.live:
                self._print(f"batch {batch_id} {status}: {count_text(counts)} "
                            "(sent by another BulkQuote)")
            self._draw(batch_id, counts)

    def ended(self, batch_id: int, status: str, counts: dict[str, int]) -> None:
        """After the run: an end (complete, paused, cancelled) not told yet, as the store has it
        (another BulkQuote finished the batch while this one waited for the lease)."""
        with self._lock:
            self._end(batch_id, status, counts)

    def _end(self, batch_id: int, status: str, counts: dict[str, int]) -> None:
        told = self._told.get(batch_id)
        if status in BATCH_UNFINISHED or (told is not None and told[0] == status):
            return
        self._told[batch_id] = (status, counts)
        self._going_on = None
        self._print(f"batch {batch_id} {status} ({count_text(counts)})")
        self._draw(batch_id, counts)

    def _show(self, event: Event) -> None:
        if isinstance(event, WaitEvent):
            was_elsewhere, self.lease_held_elsewhere = self.lease_held_elsewhere, event.reason == "lease"
            if event.reason:
                self._pace.wait_started()
                self._waiting = event.message
                self._print(f"account {event.account_id}: {event.message}")
            else:
                self._pace.wait_ended()
                self._waiting = ""
                going_on = f"account {event.account_id}: going on"
                # The lease's end also comes when the other BulkQuote finished our batch: said
                # only once this one sends something.
                if was_elsewhere:
                    self._going_on = going_on
                else:
                    self._print(going_on)
            return
        if self._going_on:
            self._print(self._going_on)
            self._going_on = None
        if isinstance(event, BatchEvent):
            self._told[event.batch_id] = (event.status, event.counts)
            self.last_message = event.message
            if event.status != BatchStatus.RUNNING or self.live:
                self._print(f"batch {event.batch_id} {event.status}"
                            + (f": {event.message}" if event.message else "")
                            + f" ({count_text(event.counts)})")
            self._draw(event.batch_id, event.counts)
            return
        assert isinstance(event, QuoteEvent)
        if event.status in ROW_TERMINAL:
            self._pace.quote_finished()
            detail = (f"{event.carrier} {event.mrc} {event.currency}/month" if event.status == RowState.COMPLETE
                      else event.error_code or "")
            self._print(f"batch {event.batch_id} row {event.row_number}: {event.status}"
                        + (f" {detail}" if detail else "") + f" [{count_text(event.counts)}]")
        self._draw(event.batch_id, event.counts)

    def bar_text(self, batch_id: int, counts: dict[str, int]) -> str:
        total = counts.get("total", 0)
        done = sum(counts.get(state, 0) for state in ROW_TERMINAL)
        filled = round(BAR_WIDTH * done / total) if total else 0
        text = f"batch {batch_id} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {count_text(counts)}"
        if self.lease_held_elsewhere:
            return text + " · sent by another BulkQuote"
        if self._waiting:
            return text + " · on hold"
        left = self._pace.left(total - done)
        return text + (f" · about {duration_text(left)} left" if left is not None else "")

    def _draw(self, batch_id: int, counts: dict[str, int]) -> None:
        if not self.live:
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self._bar = self.bar_text(batch_id, counts)[:width]
        self._out.write("\r\x1b[2K" + self._bar)
        self._out.flush()

    def _print(self, text: str) -> None:
        """A line that stays (the live bar is redrawn under it); one safe line whatever a
        holder's name or a message carries (core/safe_text)."""
        text = one_line(text)
        if self.live:
            self._out.write("\r\x1b[2K" + text + "\n" + self._bar)
        else:
            self._out.write(text + "\n")
        self._out.flush()

    def close(self) -> None:
        """Wipe the bar: what follows (stopped, interrupted) must be the last thing on screen."""
        with self._lock:
            if self.live and self._bar:
                self._out.write("\r\x1b[2K")
                self._out.flush()
            self._bar = ""
