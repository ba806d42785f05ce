"""The CLI's progress: one line per row in a pipe; a live bar with a time left on a terminal,
measured from the quotes' own time (waits for the account or the API left out)."""

from __future__ import annotations

import io
import re

from bulkquote_gui.commands.progress import Pace, Progress
from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from tests.helpers.fakes import offer


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def counts(done: int, total: int = 10, failed: int = 0) -> dict[str, int]:
    return {"total": total, "pending": total - done, "active": 0, "complete": done - failed,
            "failed": failed, "cancelled": 0}


def row(n: int, status: str, done: int, failed: int = 0) -> QuoteEvent:
    return QuoteEvent(batch_id=3, quote_id=n, row_number=n, status=status,
                      offer=offer("899.00"), error_code="no_coverage" if status == "failed" else None,
                      counts=counts(done, failed=failed))


def test_in_a_pipe_each_finished_row_is_one_line_and_nothing_is_redrawn():
    out = io.StringIO()
    progress = Progress(out, live=False)
    progress(BatchEvent(batch_id=3, status="running", counts=counts(0)))
    progress(row(2, "submitting", 0))
    progress(row(2, "complete", 1))
    progress(row(3, "failed", 2, failed=1))
    progress(BatchEvent(batch_id=3, status="complete", counts=counts(2, total=2, failed=1)))
    assert out.getvalue().splitlines() == [
        "batch 3 row 2: complete Lumen 899.00 USD/month [1/10 done, 1 priced]",
        "batch 3 row 3: failed no_coverage [2/10 done, 1 priced, 1 failed]",
        "batch 3 complete (2/2 done, 1 priced, 1 failed)",
    ]
    assert "\r" not in out.getvalue()


def test_on_a_terminal_a_bar_shows_counts_and_time_left():
    clock = Clock()
    out = io.StringIO()
    progress = Progress(out, live=True, monotonic=clock)
    for n in range(1, 4):
        clock.t += 2.0
        progress(row(n + 1, "complete", n))
    bar = progress.bar_text(3, counts(3))
    assert bar.startswith("batch 3 [")
    assert "3/10 done, 3 priced" in bar
    assert "about 14 s left" in bar          # 7 quotes at 2 s each
    assert out.getvalue().endswith(bar)


def test_time_spent_waiting_for_the_account_is_not_counted_in_the_pace():
    clock = Clock()
    pace = Pace(clock)
    pace.quote_finished()
    clock.t += 1.0
    pace.wait_started()            # another client's quote blocks the account for 60 s
    clock.t += 60.0
    pace.wait_ended()
    clock.t += 1.0
    pace.quote_finished()
    assert pace.left(10) == 20.0   # 2 s a quote, not 62


def test_a_wait_shows_on_its_own_line_and_puts_the_bar_on_hold():
    out = io.StringIO()
    progress = Progress(out, live=True)
    progress(WaitEvent(account_id=1, reason="account",
                       message="waiting for the account: another client's quote q_9 is in flight",
                       blocker_id="q_9"))
    assert "account 1: waiting for the account: another client's quote q_9 is in flight\n" in out.getvalue()
    assert progress.bar_text(3, counts(1)).endswith("on hold")
    progress(WaitEvent(account_id=1, reason=""))
    assert not progress.bar_text(3, counts(1)).endswith("on hold")


def screen(written: str) -> list[str]:
    """What a terminal shows after `written`: "\\r\\x1b[2K" wipes the line the cursor is on."""
    lines = [""]
    for part in re.split(r"(\n|\r\x1b\[2K)", written):
        if part == "\n":
            lines.append("")
        elif part == "\r\x1b[2K":
            lines[-1] = ""
        else:
            lines[-1] += part
    return [line for line in lines if line]


def test_after_a_stop_no_old_time_left_stays_on_the_terminal():
    clock = Clock()
    out = io.StringIO()
    progress = Progress(out, live=True, monotonic=clock)
    for n in range(1, 4):
        clock.t += 2.0
        progress(row(n + 1, "complete", n))
    assert "about 14 s left" in screen(out.getvalue())[-1]
    progress(BatchEvent(batch_id=3, status="running", message="stopped; the batch resumes on the next start",
                        counts=counts(3)))    # Ctrl-C
    progress.close()
    assert screen(out.getvalue())[-1] == \
        "batch 3 running: stopped; the batch resumes on the next start (3/10 done, 3 priced)"


def test_a_batch_sent_by_another_bulkquote_shows_as_the_store_has_it_and_its_end_once():
    out = io.StringIO()
    progress = Progress(out, live=False)
    progress(WaitEvent(account_id=1, reason="lease", message="waiting for the account's lease: held by vm pid 7 (window)"))
    progress.elsewhere(3, "running", counts(1))
    progress.elsewhere(3, "running", counts(1))   # unchanged: nothing more
    progress.elsewhere(3, "running", counts(2))
    progress.elsewhere(3, "complete", counts(10))
    progress(WaitEvent(account_id=1, reason=""))   # the lease is free: nothing left to do here
    progress.ended(3, "complete", counts(10))
    progress.close()
    assert out.getvalue().splitlines() == [
        "account 1: waiting for the account's lease: held by vm pid 7 (window)",
        "batch 3 running: 1/10 done, 1 priced (sent by another BulkQuote)",
        "batch 3 running: 2/10 done, 2 priced (sent by another BulkQuote)",
        "batch 3 complete (10/10 done, 10 priced)",
    ]
