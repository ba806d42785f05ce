"""Operations on one batch: store it, open it, the rep's commands on it, export it (or its fix list).

Each command hands back the batch's summary as the store has it right after the command (read
in the same trip to the worker thread), so the window shows what is true without a second read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.requote import requote_deal
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.operations import Operation


@dataclass(frozen=True)
class Outcome:
    """What a command did (`changed`: rows or status it changed) and the batch afterwards."""

    batch_id: int
    changed: int
    summary: Any  # store.BatchSummary, or None if the batch is gone


@dataclass(frozen=True)
class Opened:
    summary: Any  # store.BatchSummary, or None if there is no such batch
    rows: list[Any]
    skipped: list[Any] = field(default_factory=list)      # store.SkippedRow: the rows not quoted
    mapping: dict[str, str] = field(default_factory=dict)
    deal: DealShape | None = None   # the deal the batch is part of (None: a batch alone)


@dataclass(frozen=True)
class DealShape:
    """What a deal's header names (issue 18): its id (its first batch's), how many providers
    and terms its batches ask."""

    deal_id: int
    providers: int
    terms: int
    batch_ids: tuple[int, ...] = ()   # every batch of the deal, the first first


def _deal_shape(session: Any, batch_id: int) -> DealShape | None:
    batches = deal_store.deal_batches(session, batch_id)
    if len(batches) < 2:
        return None
    terms = {t for b in batches for t in deal_store.batch_terms(b)}
    return DealShape(batches[0].id, len({b.provider_name for b in batches}), len(terms),
                     tuple(b.id for b in batches))


def _summary(sessions: Any, batch_id: int) -> Any:
    with sessions() as session:
        return view_store.get_batch(session, batch_id)


def _command(parent: QObject, sessions: Any, batch_id: int, change: Any) -> Operation[Outcome]:
    def work(sf: Any) -> Outcome:
        with engine_store.in_transaction(sf) as session:
            changed = int(change(session))
        return Outcome(batch_id, changed, _summary(sf, batch_id))

    return Operation(parent, work, sessions, command=True)


def submit(parent: QObject, sessions: Any, result: Any, *, defaults: Any, source_name: str,
           owner: str = "", account_id: Callable[[], int | None] = lambda: None,
           reuse: bool = True, provider_name: str | None = None) -> Operation[int]:
    """Store a batch from an import, filed under the connection's account and provider; hands
    back its id."""
    def work(sf: Any) -> int:
        with engine_store.in_transaction(sf) as session:
            batch_id = batch_store.create_batch(session, result, defaults=defaults,
                                                source_name=source_name, owner=owner,
                                                account_id=account_id(),
                                                provider_name=provider_name)
        if reuse:   # a transaction of its own, after the batch is stored
            with engine_store.in_transaction(sf) as session:
                reuse_store.reuse_valid_quotes(session, batch_id)   # never pay twice for a still-valid quote
        return batch_id

    return Operation(parent, work, sessions, command=True, expected=(batch_store.NothingToQuote,))


def same_name(parent: QObject, sessions: Any, source_name: str) -> Operation[list[Any]]:
    """Earlier batches from a file of this name (newest first), to warn before a second submit."""
    def work(sf: Any) -> list[Any]:
        with sf() as session:
            return view_store.batches_named(session, source_name)

    return Operation(parent, work, sessions)


def load(parent: QObject, sessions: Any, batch_id: int) -> Operation[Opened]:
    """The batch's summary and every row of its sheet, read once to open it."""
    def work(sf: Any) -> Opened:
        with sf() as session:
            summary = view_store.get_batch(session, batch_id)
            if summary is None:
                return Opened(None, [])
            return Opened(summary, view_store.batch_rows(session, batch_id),
                          view_store.batch_skipped(session, batch_id),
                          view_store.batch_mapping(session, batch_id),
                          _deal_shape(session, batch_id))

    return Operation(parent, work, sessions)


def summary(parent: QObject, sessions: Any, batch_id: int) -> Operation[Any]:
    return Operation(parent, lambda sf: _summary(sf, batch_id), sessions)


def pause(parent: QObject, sessions: Any, batch_id: int) -> Operation[Outcome]:
    """Pause a batch the engine is not running (queued, or waiting its turn)."""
    return _command(parent, sessions, batch_id, lambda session: batch_store.mark_paused(session, batch_id, "paused"))


def resume(parent: QObject, sessions: Any, batch_id: int) -> Operation[Outcome]:
    return _command(parent, sessions, batch_id, lambda session: batch_store.resume_batch(session, batch_id))


def retry(parent: QObject, sessions: Any, batch_id: int) -> Operation[Outcome]:
    """Queue the failed rows a retry can change again; `changed` is how many."""
    return _command(parent, sessions, batch_id, lambda session: batch_store.retry_failed(session, batch_id))


def quote_rest(parent: QObject, sessions: Any, batch_id: int) -> Operation[Outcome]:
    """A cancelled batch goes on: its unsent rows (and retryable failures) queued; `changed`
    is how many."""
    return _command(parent, sessions, batch_id, lambda session: batch_store.quote_rest(session, batch_id))


def rush(parent: QObject, sessions: Any, batch_id: int, rushed: bool = True) -> Operation[Outcome]:
    """To the front of its account's line (or back in line)."""
    return _command(parent, sessions, batch_id, lambda session: batch_store.set_priority(session, batch_id, rushed))


def cancel(parent: QObject, sessions: Any, worker: Any, batch_id: int) -> Operation[None]:
    """Through the worker's engine, which writes the store and DELETEs what is in flight; off the
    GUI thread because that write may cross the network. The engine reports it (BatchEvent)."""
    return Operation(parent, lambda _sf: worker.cancel(batch_id), sessions, command=True)


def export(parent: QObject, sessions: Any, batch_id: int, path: Path, *,
           priced_only: bool = False) -> Operation[int]:
    """Write the batch's sheet (or only its priced rows) to .xlsx/.csv; hands back the number
    of rows written."""
    def work(sf: Any) -> int:
        from bulkquote_gui.core.output.export import export_batch  # openpyxl: loaded on first export
        return export_batch(sf, batch_id, Path(path), priced_only=priced_only)

    return Operation(parent, work, sessions, expected=(OSError, ValueError))


@dataclass(frozen=True)
class Deal:
    """What the finished page shows beside the rows: the proposal's figures, and the stale ones."""

    batch_id: int
    summary: Any          # core.deal_summary.DealSummary (the XLSX Summary sheet's figures)
    stale: int            # priced rows whose valid-until date has passed, over the deal


def deal(parent: QObject, sessions: Any, batch_id: int, *, today: Any = None) -> Operation[Deal]:
    """The batch's deal summary from its deal's chosen offers (core/output/deal_summary.py, as
    `status --json` and the export give it) and how many of its deal's quotes are stale (every
    batch's: a re-quote asks them all again)."""
    def work(sf: Any) -> Deal:
        from datetime import date

        from bulkquote_gui.core.output.deal_summary import DealSummary, summarise
        with sf() as session:
            chosen = choice_store.read_deal(session, batch_id)
            stale = sum(len(reuse_store.stale_row_ids(session, b.id, today or date.today()))
                        for b in deal_store.deal_batches(session, batch_id))
            return Deal(batch_id, summarise(chosen) if chosen else DealSummary("USD"), stale)

    return Operation(parent, work, sessions)


def requote(parent: QObject, sessions: Any, batch_id: int, *, owner: str = "",
            account_id: Callable[[], int | None] = lambda: None) -> Operation[int | None]:
    """New batches asking again for the stale quotes of the batch's deal, every term each
    asked (`bulkquote requote`, core/deal/requote.py); hands back the first's id, or None when
    none is stale any more. The batch's own provider is asked with `account_id`."""
    def work(sf: Any) -> int | None:
        with engine_store.in_transaction(sf) as session:
            accounts = {b.provider_name: account_id()
                        for b in deal_store.deal_batches(session, batch_id) if b.id == batch_id}
            ids = requote_deal(session, batch_id, owner=owner, accounts=accounts)
            return ids[0] if ids else None

    return Operation(parent, work, sessions, command=True)


def reusable(parent: QObject, sessions: Any, result: Any, *,
             account_id: Callable[[], int | None] = lambda: None) -> Operation[dict[int, Any]]:
    """The rows of a file not yet submitted that a submit would fill from still-valid quotes of
    the same account (row number -> store.Reusable), for the preview."""
    def work(sf: Any) -> dict[int, Any]:
        rows = list(result.quotable_rows())
        with sf() as session:
            return reuse_store.reusable_for_rows(session, rows, result.defaults, account_id=account_id())

    return Operation(parent, work, sessions)


def fix_list(parent: QObject, sessions: Any, batch_id: int, path: Path) -> Operation[int]:
    """Write the batch's rows to fix (invalid, duplicate, failed) to .xlsx (core/output/fix_list.py);
    hands back the number of rows written."""
    def work(sf: Any) -> int:
        from bulkquote_gui.core.output.fix_list import export_batch_fix_list  # openpyxl: on first use
        return export_batch_fix_list(sf, batch_id, Path(path))

    return Operation(parent, work, sessions, expected=(OSError, ValueError))
