"""Lines that run at once: an account's lanes (processor.py), or every provider's account
(pool.py). Each run gets a thread of its own but the first, which runs on the caller's; the
caller waits for all of them and gets their results in order, or the first error."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from bulkquote_gui.core.engine.account_runner import RunResult


def run_side_by_side(runs: Sequence[Callable[[], RunResult]], *, name: str,
                     on_error: Callable[[], None] = lambda: None) -> list[RunResult]:
    """`runs` at once (threads named NAME-1, NAME-2, …); their results in order. A run that
    raises calls `on_error` at once (lanes of one account stop each other) and its error is
    raised here once every run has ended."""
    results = [RunResult() for _ in runs]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = runs[index]()
        except BaseException as exc:   # raised on the caller's thread below
            errors.append(exc)
            on_error()

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"{name}-{i}")
               for i in range(1, len(runs))]
    for thread in threads:
        thread.start()
    run(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def why_they_ended(results: Sequence[RunResult]) -> RunResult:
    """One result saying how the runs ended together (statuses left to the caller)."""
    return RunResult(stopped=any(r.stopped for r in results),
                     auth_failed=any(r.auth_failed for r in results))
