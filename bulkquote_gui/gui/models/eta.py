"""Time left in a batch, from the time quotes actually take while the batch runs.

Each finished quote adds the time since the one before (or since the batch went on again): time
spent paused, on hold (another client's quote, the API unreachable) is left out, so a pause of
a minute does not double the estimate once the batch runs again.

The time left does not jump on one slow quote: a quote is counted at most a few times the
recent median (the server slowing down for good moves the median within a few quotes), and the
time shown counts down and moves toward a new estimate over about half a minute.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median
from typing import Callable

from bulkquote_gui.core.output.durations import duration_text

WINDOW = 20      # recent quotes that set the pace; older ones say less about the server today
OUTLIER = 3.0    # a quote counts at most this many times the recent median
SETTLE_S = 30.0  # the time shown follows a new estimate over about this long, not at once


class EtaEstimator:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._durations: deque[float] = deque(maxlen=WINDOW)
        self._since: float | None = None   # start of the quote being timed; None: not timing
        self._held = False
        self._shown: tuple[float, float, int] | None = None  # time left shown, when, for how many

    def reset(self) -> None:
        self._durations.clear()
        self._since = None
        self._held = False
        self._shown = None

    def hold(self) -> None:
        """Paused or waiting: the time until `go_on` is nobody's quote."""
        self._held = True
        self._since = None
        self._shown = None   # the countdown stopped too: start again from the pace

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
        cap = OUTLIER * median(self._durations)
        return sum(min(d, cap) for d in self._durations) / len(self._durations)

    def remaining_seconds(self, remaining_quotes: int) -> float | None:
        pace = self.seconds_per_quote()
        return None if pace is None else pace * remaining_quotes

    def time_left(self, remaining_quotes: int) -> float | None:
        """The time left to show: the last one counted down, moved toward the estimate by how
        long ago it was shown (more rows to quote than then, a retry: the estimate at once)."""
        estimate = self.remaining_seconds(remaining_quotes)
        if estimate is None:
            return None
        now = self._monotonic()
        left = estimate
        if self._shown is not None and remaining_quotes <= self._shown[2]:
            shown, at, _n = self._shown
            elapsed = max(0.0, now - at)
            counted_down = max(0.0, shown - elapsed)
            left = counted_down + (estimate - counted_down) * (1 - math.exp(-elapsed / SETTLE_S))
        self._shown = (left, now, remaining_quotes)
        return left

    def describe(self, remaining_quotes: int) -> str:
        if remaining_quotes <= 0:
            return ""
        left = self.time_left(remaining_quotes)
        if left is None:
            return "Estimating time left…"
        pace = self.seconds_per_quote() or 0.0
        return f"About {duration_text(left)} left  ·  {pace:.1f} s per quote"
