"""The engine's timing rules: its configuration and the delays it derives from it. Pure: no I/O.

A server's Retry-After is honoured within [floor, ceiling]; without one, transient faults back off
exponentially with jitter (1, 2, 4 ... s, capped), polls wait the configured interval.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields

API_QUOTE_EXPIRY_S = 30 * 60   # the API expires a quote nobody finished after 30 minutes

# What a rep may choose (Settings and the command line): a poll below a second hammers the API,
# a timeout over a day is no timeout.
POLL_INTERVAL_RANGE_S = (1.0, 3600.0)
QUOTE_TIMEOUT_RANGE_S = (10.0, 24 * 3600.0)
# The lowest floor the runtime ever derives from a rep's or a flag's poll interval (tests and
# local simulators go this low). Code may configure 0 (benchmarks/bench_engine.py: no waits).
ENGINE_FLOOR_S = 0.005


@dataclass(frozen=True)
class EngineConfig:
    poll_interval_s: float = 15.0        # between polls when the server sends no Retry-After
    quote_timeout_s: float = 300.0       # per quote, from the moment its quote exists
    retry_after_floor_s: float = 1.0     # a server's Retry-After is clamped to [floor, ceiling]
    retry_after_ceiling_s: float = 300.0
    backoff_base_s: float = 1.0          # transient faults without Retry-After: 1, 2, 4 ... s
    backoff_max_s: float = 60.0
    command_check_s: float = 1.0         # longest uninterrupted wait slice (pause/cancel latency)
    delete_attempts: int = 3             # quick tries to DELETE a quote we give up on, in place
    cleanup_timeout_s: float = 120.0     # how long a batch's end keeps trying to clear the account
    lease_ttl_s: float = 30.0            # a holder that stops renewing is taken over after this
    lease_retry_s: float = 2.0           # how often a process waiting for the lease asks again
    api_probe_max_s: float = 15.0        # GET /health while the API is unreachable: 0.5 s ... this
    foreign_wait_max_s: float = API_QUOTE_EXPIRY_S + 60  # never wait on one blocker longer
    last_call_s: float = 2.0             # a call with less of its row's time left gets this long

    def __post_init__(self) -> None:
        # NaN compares false with everything: a NaN timeout never ends and a NaN poll interval
        # waits for nothing, so a number that is not finite is refused here, whoever built it.
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"EngineConfig.{f.name} must be a finite number >= 0, "
                                 f"got {value!r}")

    @property
    def heartbeat_s(self) -> float:
        """Renew the lease this often: three chances before it expires."""
        return self.lease_ttl_s / 3


class Timing:
    """Delays derived from an EngineConfig (with a seedable jitter source for tests)."""

    def __init__(self, config: EngineConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng or random.Random()

    def clamp(self, seconds: float) -> float:
        return min(self.config.retry_after_ceiling_s, max(self.config.retry_after_floor_s, seconds))

    def retry_delay(self, retry_after: float | None, attempt: int) -> float:
        """Retry-After (clamped) when the server gives one, else exponential backoff with jitter."""
        if retry_after is not None:
            return self.clamp(retry_after)
        ceiling = min(self.config.backoff_max_s,
                      self.config.backoff_base_s * (2 ** min(attempt, 30)))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def poll_delay(self, retry_after: float | None) -> float:
        """The configured interval, or the server's Retry-After; never under the floor."""
        if retry_after is None:
            return max(self.config.retry_after_floor_s, self.config.poll_interval_s)
        return self.clamp(retry_after)

    def probe_delay(self, attempt: int) -> float:
        """Between GET /health probes of an unreachable API: 0.5, 1, 2 ... api_probe_max_s."""
        return min(self.config.api_probe_max_s, 0.5 * (2 ** min(attempt, 30)))
