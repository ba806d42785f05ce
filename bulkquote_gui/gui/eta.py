"""Time left in a batch, from the time quotes actually take while the batch runs.

Each finished quote adds the time since the one before (or since the batch went on again): time
spent paused, on hold (another client's quote, the API unreachable) is left out, so a pause of
a minute does not double the estimate once the batch runs again.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from bulkquote_gui.core.durations import duration_text

WINDOW = 20  # recent quotes that set the pace; older ones say less about the server today


class EtaEstimator:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._durations: deque[float] = deque(maxlen=WINDOW)
        self._since: float | None = None   # start of the quote being timed; None: not timing
        self._held = False

    def reset(self) -> None:
        self._durations.clear()
        self._since = None
        self._held = False

    def hold(self) -> None:
        """Paused or waiting: the time until `go_on` is nobody's quote."""
        self._held = True
        self._since = None

    def go_on(self) -> None:
        """Running again: the next quote is timed from now."""
        if self._held:
            self._held = False
            self._since = self._monotonic()

    @property
    def held(self) -> bool:
        return self._held

    def quote_finished(self) -> None:
        now = self._monotonic()
        if self._held:
            return  # a quote that ends during a pause was mostly paused time
        if self._since is not None:
            self._durations.append(now - self._since)
        self._since = now

    def seconds_per_quote(self) -> float | None:
        if not self._durations:
            return None
        return sum(self._durations) / len(self._durations)

    def remaining_seconds(self, remaining_quotes: int) -> float | None:
        pace = self.seconds_per_quote()
        return None if pace is None else pace * remaining_quotes

    def describe(self, remaining_quotes: int) -> str:
        if remaining_quotes <= 0:
            return ""
        left = self.remaining_seconds(remaining_quotes)
        if left is None:
            return "Estimating time left…"
        pace = self.seconds_per_quote() or 0.0
        return f"About {duration_text(left)} left  ·  {pace:.1f} s per quote"
