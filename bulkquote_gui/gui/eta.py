"""Time left in a batch, from the measured time per finished quote in this session."""

from __future__ import annotations

from collections import deque
from typing import Callable

WINDOW = 20  # recent quotes that set the pace; older ones say less about the server today


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s" if minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class EtaEstimator:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._finished: deque[float] = deque(maxlen=WINDOW + 1)

    def reset(self) -> None:
        self._finished.clear()

    def quote_finished(self) -> None:
        self._finished.append(self._monotonic())

    def seconds_per_quote(self) -> float | None:
        if len(self._finished) < 2:
            return None
        return (self._finished[-1] - self._finished[0]) / (len(self._finished) - 1)

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
        return f"About {format_duration(left)} left  ·  {pace:.1f} s per quote"
