"""A clock for the simulator that a test can hold still: a quote made while it is held stays in
flight (its age does not grow) until the test lets time go on. Real time otherwise."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


class HeldClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._held_at: float | None = None

    def hold(self) -> None:
        with self._lock:
            self._held_at = time.monotonic() + self._offset

    def go_on(self) -> None:
        """Time goes on from where it was held (the held span never happened)."""
        with self._lock:
            if self._held_at is not None:
                self._offset = self._held_at - time.monotonic()
                self._held_at = None

    def monotonic(self) -> float:
        with self._lock:
            return self._held_at if self._held_at is not None else time.monotonic() + self._offset

    def now(self) -> datetime:
        return datetime(2026, 12, 5, tzinfo=timezone.utc) + timedelta(seconds=self.monotonic())

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(max(0.0, seconds))
