"""Several accounts in parallel: one Processor per account, each on a thread of its own (and its
lanes, where the provider allows several quotes in progress, on threads of their own). The API's
rule is one quote in flight per account, so a team whose reps each have a key quotes that many
times faster; within an account, nothing changes."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.account_runner import RunResult
from bulkquote_gui.core.engine.lease import this_process
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.engine.side_by_side import run_side_by_side, why_they_ended
from bulkquote_gui.core.events import Event
from bulkquote_gui.core.quoting.provider import QuoteProvider
from bulkquote_gui.core.store.accounts import AccountRef

log = logging.getLogger(__name__)


class AccountPool:
    """Runs every given account's line at once (until idle, or until stop())."""

    def __init__(self, session_factory: sessionmaker[Session],
                 accounts: list[tuple[AccountRef, QuoteProvider]], *, on_event: Callable[[Event], None],
                 config: EngineConfig = EngineConfig(), clock: Clock | None = None,
                 role: str = "worker") -> None:
        self.processors = [
            Processor(session_factory, client, clock=clock, on_event=on_event, config=config,
                      account=account, holder=this_process(role))
            for account, client in accounts]
        self.results: dict[int, RunResult] = {}
        self.errors: list[BaseException] = []

    def run(self, *, until_idle: bool) -> dict[int, RunResult]:
        """Run every account's line on its own thread; returns each account's RunResult."""
        threads = [threading.Thread(target=self._run_one, args=(p, until_idle), daemon=True,
                                    name=f"account-{p.account.id}") for p in self.processors]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
        if self.errors:
            raise self.errors[0]
        return self.results

    def _run_one(self, processor: Processor, until_idle: bool) -> None:
        try:
            self.results[processor.account.id] = processor.run_unfinished(until_idle=until_idle)
        except BaseException as exc:  # reported by run(); the other accounts go on
            log.exception("account %s stopped on an error", processor.account.id)
            self.errors.append(exc)

    def nudge(self) -> None:
        for processor in self.processors:
            processor.nudge()

    def stop(self) -> None:
        for processor in self.processors:
            processor.stop()


class ProcessorGroup:
    """The window's engine over every provider it can quote through: one Processor per
    provider's account, offered as one Processor (run_unfinished, nudge, pause, cancel, stop).
    A batch is quoted by its own provider's account, whichever the rep chose for new batches;
    the first processor is the chosen provider's."""

    def __init__(self, processors: list[Processor]) -> None:
        if not processors:
            raise ValueError("a group needs at least one processor")
        self.processors = processors
        self.last_result = RunResult()

    @property
    def current_batch(self) -> int | None:
        return next((p.current_batch for p in self.processors if p.current_batch is not None), None)

    @property
    def commands(self) -> object:
        return self.processors[0].commands

    def run_unfinished(self, *, until_idle: bool = True) -> RunResult:
        """Every account's line at once (the first on this thread); their results merged."""
        results = run_side_by_side(
            [lambda p=p: p.run_unfinished(until_idle=until_idle) for p in self.processors],
            name="provider-line")
        merged = why_they_ended(results)
        for result in results:
            merged.statuses.update(result.statuses)
        self.last_result = merged
        return merged

    def nudge(self) -> None:
        for processor in self.processors:
            processor.nudge()

    def pause(self, batch_id: int | None = None) -> None:
        for processor in self.processors:   # flags only: the one with the batch in hand acts
            processor.pause(batch_id)

    def cancel(self, batch_id: int) -> None:
        """Through the account that has a row of it in hand, else the first (a store write)."""
        holder = next((p for p in self.processors if p.holds(batch_id)), self.processors[0])
        holder.cancel(batch_id)

    def stop(self) -> None:
        for processor in self.processors:
            processor.stop()
