"""The time left on the batch page (gui/models/eta.py), on a fake clock: it follows the pace without
jumping on one slow quote (issue 15: "2 min 24 s -> 3 min 49 s in seconds")."""

from __future__ import annotations

import re

from bulkquote_gui.gui.models.eta import EtaEstimator


def seconds(text: str) -> int:
    """'About 2 min 24 s left  ·  2.0 s per quote' -> 144."""
    left = text.split(" left")[0]
    units = {"h": 3600, "min": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+) (h|min|s)\b", left))


class Run:
    """A batch on a fake clock: each quote takes the seconds given; the page asks for the time
    left after every finished quote, as it does on each row event."""

    def __init__(self, remaining: int) -> None:
        self.now = 1000.0
        self.eta = EtaEstimator(lambda: self.now)
        self.remaining = remaining
        self.eta.quote_finished()   # the clock starts at the first answer

    def quote(self, took: float) -> int:
        self.now += took
        self.remaining -= 1
        self.eta.quote_finished()
        return seconds(self.eta.describe(self.remaining))


def test_one_slow_quote_does_not_make_the_time_left_jump():
    run = Run(remaining=92)
    shown = [run.quote(2.0) for _ in range(20)]
    assert shown[-1] == 144                       # 72 quotes at 2 s: "2 min 24 s"
    after_slow = run.quote(30.0)                  # one quote the API took 30 s over
    assert abs(after_slow - shown[-1]) <= 20, after_slow
    steady = [run.quote(2.0) for _ in range(10)]
    assert all(b <= a for a, b in zip(steady, steady[1:]))   # counts down again, no swing


def test_a_real_slowdown_is_followed():
    run = Run(remaining=400)
    for _ in range(20):
        run.quote(2.0)
    for _ in range(40):
        last = run.quote(10.0)                    # the server now takes 10 s a quote
    assert abs(last - 10.0 * run.remaining) <= 0.1 * 10.0 * run.remaining, last


def test_after_a_pause_the_time_left_is_the_pace_again():
    run = Run(remaining=50)
    for _ in range(10):
        run.quote(3.0)
    run.eta.hold()
    run.now += 600.0                              # ten minutes paused: nobody's quote
    run.eta.go_on()
    assert run.quote(3.0) == 3 * run.remaining
