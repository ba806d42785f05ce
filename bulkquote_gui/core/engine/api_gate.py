"""The API as the engine's row steps see it: a call that cannot reach the API waits, not fails.

A connection-level failure (refused, DNS, TLS, no route: Unreachable) is the batch's
problem, not the row's. The gate tries the call once more at once; if that fails too, the
account's line goes into "waiting for the API" (stored for every reader, and an event), GET
/health is probed with backoff until the API answers, the time lost is given back to every
polling row's timeout (store.shift_polling_deadlines), and the same call is made again. The wait
is interruptible (pause, cancel, stop) like every other wait of the engine.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.commands import Commands
from bulkquote_gui.core.engine.policy import Timing
from bulkquote_gui.core.quoting.provider import ProviderError, QuoteProvider, Reply, Unreachable
from bulkquote_gui.core.states import WaitReason

log = logging.getLogger(__name__)
T = TypeVar("T")

# (reason, message) -> None: tell the store and the listener; ("", "") ends the wait.
WaitReporter = Callable[[str, str], None]


class ApiGate:
    """Wraps a QuoteProvider (submit / find / poll / cancel / health) for the row steps."""

    def __init__(self, client: QuoteProvider, clock: Clock, timing: Timing, commands: Commands, *,
                 report: WaitReporter, give_back: Callable[[float], None]) -> None:
        self.client = client
        self._clock = clock
        self._timing = timing
        self._commands = commands
        self._report = report
        self._give_back = give_back
        self.outages = 0          # grows with each outage: a row step rereads its deadline then
        self.lost_s = 0.0         # seconds spent waiting for the API, all outages together

    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> Reply:
        """`within`: the row's seconds left, which bound the call (time waiting for an
        unreachable API not counted); None: only the client's own deadline."""
        budget = self._budget(within)
        return self._through(lambda: self.client.submit(request, key, within=budget()))

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None) -> Reply:
        budget = self._budget(within)
        return self._through(lambda: self.client.find(request, key, within=budget()))

    def poll(self, quote_id: str, *, within: float | None = None) -> Reply:
        budget = self._budget(within)
        return self._through(lambda: self.client.poll(quote_id, within=budget()))

    def cancel(self, quote_id: str) -> Reply:
        return self._through(lambda: self.client.cancel(quote_id))

    def _budget(self, within: float | None) -> Callable[[], float | None]:
        """The row's seconds left at each try: what has passed since, less any outage."""
        started, lost_before = self._clock.monotonic(), self.lost_s
        if within is None:
            return lambda: None
        return lambda: within - (self._clock.monotonic() - started) + (self.lost_s - lost_before)

    def _through(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except Unreachable as first:
            if self._commands.stopped:
                raise
            log.info("API unreachable (%s); trying once more", first.reason)
        self._commands.sleep(self._timing.probe_delay(0))
        try:
            return call()
        except Unreachable as exc:
            self._wait_for_api(exc)
        return call()  # may fail again (a flapping link): the caller's own retry handles that

    def _wait_for_api(self, exc: Unreachable) -> None:
        """Probe GET /health until the API answers; the line waits meanwhile."""
        started = self._clock.monotonic()
        message = f"waiting for the API: can't reach {exc.host} ({exc.reason})"
        self._report(WaitReason.API, message)
        attempt = 1
        try:
            while True:
                self._commands.sleep(self._timing.probe_delay(attempt))
                attempt += 1
                try:
                    self.client.health()
                    return
                except Unreachable as again:
                    if again.reason != exc.reason:
                        exc = again
                        message = f"waiting for the API: can't reach {exc.host} ({exc.reason})"
                        self._report(WaitReason.API, message)
                except ProviderError:
                    return  # it answers (even unhealthy): the call itself decides what follows
        finally:
            lost = self._clock.monotonic() - started
            self.outages += 1
            self.lost_s += lost
            self._give_back(lost)
            self._report(WaitReason.NONE, "")
            log.info("API reachable again after %.1f s", lost)
