"""Batch subcommands: submit, resume, status, cancel, retry, quote-rest, export (parsed in bulkquote_gui/cli.py).

Exit codes: 0 done (whatever the rows' outcomes), 1 a batch-level stop (bad or missing key,
cancelled, paused, interrupted by a signal), 2 bad input (unreadable file, nothing quotable,
unknown batch, bad option). Messages go to stderr and never carry a traceback or the API key.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bulkquote_gui.commands.progress import Progress, count_text
from bulkquote_gui.core.engine.pool import ProcessorGroup
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.core.store import search as search_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.deal.changes import earlier_sides, side_of
from bulkquote_gui.core.output.deal_report import deal_json
from bulkquote_gui.core.output.deal_summary import summarise
from bulkquote_gui.core.output.reasons import reason_text
from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.states import (
    BATCH_UNFINISHED,
    ROW_TERMINAL,
    BatchStatus,
    RowState,
)
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store.schema import SchemaError
from bulkquote_gui.services.runtime import (
    MissingApiKey,
    MissingContact,
    RefusedApiUrl,
    Runtime,
    UnknownProvider,
    UnusableDatabase,
    open_runtime,
)
from bulkquote_gui.services.mapping_memory import MappingMemory
from bulkquote_gui.services.settings import load_settings

if TYPE_CHECKING:
    from bulkquote_gui.commands.notify_hooks import CliNotifications

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2


class _Fail(Exception):
    """A message for stderr and an exit code; raised by helpers, printed once by _command."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _err(command: str, message: str) -> None:
    # The message may quote a file name: one safe line (core/safe_text).
    print(f"bulkquote {command}: {one_line(message)}", file=sys.stderr, flush=True)


def _command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Turn the expected failures of a handler into one clear line and an exit code."""
    def wrap(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        def handler(args: argparse.Namespace) -> int:
            try:
                return func(args)
            except _Fail as exc:
                _err(name, str(exc))
                return exc.code
            except SchemaError as exc:
                _err(name, f"cannot use the database: {exc}")
                return EXIT_BAD_INPUT
            except (UnusableDatabase, UnknownProvider) as exc:
                _err(name, str(exc))
                return EXIT_BAD_INPUT
            except SQLAlchemyError as exc:
                known = safety_store.classify(exc)  # read-only, full, locked: the reason in words
                _err(name, f"{known.sentence}; nothing was changed" if known else
                     f"database error: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                return EXIT_BAD_INPUT
        handler.__name__ = func.__name__
        handler.__doc__ = func.__doc__
        return handler
    return wrap


# --------------------------------------------------------------------------- opening things

def _runtime(args: argparse.Namespace, *, with_api: bool, provider: str | None = None) -> Runtime:
    """The runtime; with_api=False never starts the demo simulator (status, export). The
    provider: `provider`, else --provider, else the one the batch named by the command was sent
    to, else the default (services/runtime)."""
    runtime = open_runtime(db_url=args.db, api_url=args.api_url,
                           poll_interval_s=args.poll_interval, quote_timeout_s=args.quote_timeout,
                           provider=provider or getattr(args, "provider", None),
                           batch_id=getattr(args, "batch", None), start_demo=with_api)
    if with_api and runtime.demo:
        print(f"demo mode: no API URL configured; using the built-in simulator at "
              f"{runtime.api_url}", file=sys.stderr, flush=True)
    return runtime


def open_runtimes(args: argparse.Namespace, opened: ExitStack, names: list[str | None], *,
                  with_api: bool) -> list[Runtime]:
    """One runtime per provider (its URL, secret and account), all on the first one's engine,
    closed with `opened`."""
    runtimes: list[Runtime] = []
    for name in names:
        runtime = opened.enter_context(_runtime(args, with_api=with_api, provider=name))
        if runtimes:
            runtime.share_engine(runtimes[0].engine)
        runtimes.append(runtime)
    return runtimes


def _batch_or_fail(session: Session, batch_id: int) -> view_store.BatchSummary:
    summary = view_store.get_batch(session, batch_id)
    if summary is None:
        raise _Fail(f"no batch {batch_id} in this database (see `bulkquote status`)")
    return summary


# --------------------------------------------------------------------------- processing with progress

def _process(runtime: Runtime, batch_id: int | None, others: Sequence[Runtime] = ()) -> int:
    """Run one batch (or, with None, every unfinished batch of the account, in fair turns) on a
    worker thread; SIGINT/SIGTERM stop it cleanly (the batch stays resumable, the lease freed).
    `others`: more providers' runtimes whose unfinished batches run at the same time, each
    provider in its own lanes (core/engine/pool.py ProcessorGroup), as a deal's first run; one
    that cannot quote (no key, a refused URL) is told and its batches wait."""
    lines, refused = _clients([runtime, *others])
    if not lines:
        raise _Fail(refused[0], EXIT_STOPPED)
    for sentence in refused:   # the others go on
        print(one_line(sentence), file=sys.stderr, flush=True)
    from bulkquote_gui.commands.notify_hooks import CliNotifications

    with CliNotifications(runtime.session_factory, runtime.settings) as notices:
        # closed whatever happens: the e-mails owed go out before the command returns (bounded)
        code = _process_with(lines[0][0], batch_id, lines, notices)
    return max(code, EXIT_STOPPED) if refused else code


def _clients(runtimes: Sequence[Runtime]) -> tuple[list[tuple[Runtime, Any]], list[str]]:
    """(runtime, its client) for each runtime that can quote, and what to fix for each that
    cannot, as a sentence."""
    lines, refused = [], []
    for each in runtimes:
        try:
            lines.append((each, each.make_client()))
        except RefusedApiUrl as exc:
            refused.append(f"{exc}; the batch is stored: fix the API URL (or allow it in "
                           "Settings), then run `bulkquote resume`")
        except MissingContact as exc:
            refused.append(f"{exc} (The batch is stored: `bulkquote resume` sends it.)")
        except MissingApiKey as exc:
            refused.append(f"{exc}; the batch is stored: run `bulkquote resume` once the key "
                           "is set")
    return lines, refused


def _process_with(runtime: Runtime, batch_id: int | None, lines: list[tuple[Runtime, Any]],
                  notices: CliNotifications) -> int:
    progress = Progress()
    listener = notices.wrap(progress)
    processors = [each.make_processor(client, on_event=listener, role="cli")
                  for each, client in lines]
    processor = processors[0] if len(processors) == 1 else ProcessorGroup(processors)
    # Every row filled from still-valid quotes: complete before the engine starts, so no event
    # announces it; the rep who waits is told all the same.
    complete_at_once = batch_id is not None and _batch_status(runtime, batch_id) == BatchStatus.COMPLETE
    outcome: dict[str, Any] = {"statuses": [], "error": None}
    interrupted = threading.Event()

    def work() -> None:
        try:
            if batch_id is not None:
                outcome["statuses"] = [processor.run_batch(batch_id)]
            else:
                outcome["statuses"] = list(processor.run_unfinished().statuses.values())
        except BaseException as exc:  # reported by the main thread
            outcome["error"] = exc

    watch = _watch(runtime, batch_id, progress) if batch_id is not None else None
    interrupted_run(processor, work, interrupted, tick=watch)
    if watch is not None and outcome["error"] is None:
        watch(ended=True)   # an end another BulkQuote reached is said like one of ours
    progress.close()
    for _, client in lines:
        client.close()
    if outcome["error"] is not None:
        notices.engine_failed(outcome["error"], (batch_id,) if batch_id else ())
    elif complete_at_once:
        _tell_finished(runtime, batch_id, notices)
    notices.close()   # the e-mails owed go out before the command says how it ended
    if outcome["error"] is not None:
        raise outcome["error"]
    if interrupted.is_set():
        print("interrupted; the batch stays unfinished: `bulkquote resume` goes on with it"
              if not progress.lease_held_elsewhere else
              f"stopped waiting; the BulkQuote holding the account goes on with batch {batch_id} "
              f"(`bulkquote status {batch_id}`)", file=sys.stderr, flush=True)
        return EXIT_STOPPED
    return EXIT_OK if all(s == BatchStatus.COMPLETE for s in outcome["statuses"]) else EXIT_STOPPED


def _batch_status(runtime: Runtime, batch_id: int) -> str:
    with runtime.session_factory() as session:
        return str(_batch_or_fail(session, batch_id).status)


def _tell_finished(runtime: Runtime, batch_id: int, notices: CliNotifications) -> None:
    from bulkquote_gui.services.notify import FINISHED, Outcome

    with runtime.session_factory() as session:
        summary = _batch_or_fail(session, batch_id)
    notices.notify(
        Outcome(batch_id, FINISHED, str(summary.status), counts=dict(summary.counts)))


WATCH_EVERY_S = 1.0


def _watch(runtime: Runtime, batch_id: int, progress: Progress) -> Callable[..., None]:
    """While another BulkQuote holds the account's lease it sends this batch's quotes: read the
    batch from the store (at most once a second) and show it, as `submit --wait` promises."""
    last = [float("-inf")]

    def watch(ended: bool = False) -> None:
        if not ended and (not progress.lease_held_elsewhere
                          or time.monotonic() - last[0] < WATCH_EVERY_S):
            return
        last[0] = time.monotonic()
        try:
            with runtime.session_factory() as session:
                batch = view_store.get_batch(session, batch_id)
        except SQLAlchemyError:
            return   # only a view: the engine reports a store that fails
        if batch is None:
            return
        if ended:
            progress.ended(batch_id, str(batch.status), batch.counts)
        elif progress.lease_held_elsewhere:
            progress.elsewhere(batch_id, str(batch.status), batch.counts)

    return watch


def interrupted_run(processor: Any, work: Callable[[], None], interrupted: threading.Event,
                    *, tick: Callable[[], None] | None = None) -> None:
    """Run `work` on a thread; SIGINT/SIGTERM set `interrupted` and stop the processor cleanly.
    `tick` is called about five times a second meanwhile."""
    def on_signal(signum: int, _frame: Any) -> None:
        interrupted.set()
        processor.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = threading.Thread(target=work, name="bulkquote-processor", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            if tick is not None:
                tick()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --------------------------------------------------------------------------- submit

def _defaults(args: argparse.Namespace, runtime_settings: Any) -> BatchDefaults:
    base = runtime_settings.batch_defaults()
    try:
        return BatchDefaults(
            bandwidth_mbps=args.speed if args.speed is not None else base.bandwidth_mbps,
            term_months=args.term if args.term is not None else base.term_months,
            product=(args.product or base.product).strip().upper(),
            company=(args.company if args.company is not None else base.company).strip())
    except ValueError as exc:
        raise _Fail(str(exc)) from None


def read_sheet(args: argparse.Namespace, defaults: BatchDefaults) -> tuple[Any, dict[str, int]]:
    """The sheet `submit` was given, imported (the mapping remembered for its headers unless
    --map says otherwise), with its counts; _Fail when it cannot be read or has nothing to quote."""
    from bulkquote_gui.core.intake.importer import SpreadsheetError, import_file

    memory = MappingMemory()
    overrides = dict(args.mapping or [])
    sets = {"set_order": getattr(args, "set_order", None), "pin_set": getattr(args, "pin_set", None)}
    try:
        result = import_file(args.file, sheet=args.sheet, mapping=overrides, defaults=defaults,
                             **sets)
        remembered = None if overrides else memory.recall(result.columns or [])
        if remembered and remembered != dict(result.mapping or {}):
            result = import_file(args.file, sheet=args.sheet, mapping=remembered, defaults=defaults,
                                 **sets)
            print("using the column mapping remembered for these headers (--map overrides it)",
                  file=sys.stderr, flush=True)
    except SpreadsheetError as exc:
        raise _Fail(str(exc)) from None
    except OSError as exc:
        raise _Fail(f"{args.file}: {exc.strerror or exc}") from None
    if overrides:   # the rep corrected the mapping: offer it again for files laid out the same
        memory.remember(result.columns or [], dict(result.mapping or {}))
    counts = result.counts()
    if not counts.get("quotable"):
        raise _Fail(f"{Path(args.file).name}: nothing quotable ({counts.get('rows', 0)} rows read, "
                    f"{counts.get('invalid', 0)} invalid, {counts.get('duplicates', 0)} duplicates); "
                    "see `bulkquote check`")
    return result, counts


@_command("submit")
def run_submit(args: argparse.Namespace) -> int:
    """Store a batch from a spreadsheet; with --wait, process it to the end."""
    defaults = _defaults(args, load_settings())
    result, counts = read_sheet(args, defaults)
    runtime = _runtime(args, with_api=args.wait)
    with runtime:
        if runtime.contact_problem():   # refused before anything is stored or sent
            raise _Fail(runtime.contact_problem())
        try:
            account = runtime.account()
            with engine_store.in_transaction(runtime.session_factory) as session:
                batch_id = batch_store.create_batch(session, result, defaults=defaults,
                                                    source_name=Path(args.file).name,
                                                    account_id=account.id if account else None,
                                                    owner=runtime.settings.rep_name,
                                                    provider_name=runtime.provider_name)
        except batch_store.NothingToQuote as exc:
            raise _Fail(str(exc)) from None
        reused = []
        if not args.no_reuse:
            with engine_store.in_transaction(runtime.session_factory) as session:
                reused = reuse_store.reuse_valid_quotes(session, batch_id)
        if args.json:
            print(json.dumps({"batch": batch_id, "rows": counts["quotable"], "reused": len(reused)}),
                  flush=True)
        elif not sys.stdout.isatty():   # for scripts (BATCH=$(bulkquote submit …)); on a terminal
            print(batch_id, flush=True)  # a bare number says nothing: "batch N stored" below does
        skipped = counts.get("rows", 0) - counts["quotable"]
        quotes = counts["quotable"]
        print(f"batch {batch_id} stored: {quotes} quote{'s' if quotes != 1 else ''}"
              + (f" ({skipped} row{'s' if skipped != 1 else ''} not quotable "
                 f"{'were' if skipped != 1 else 'was'} left out)" if skipped else ""),
              file=sys.stderr, flush=True)
        if reused:
            print(f"batch {batch_id}: {len(reused)} row{'s' if len(reused) != 1 else ''} filled from "
                  "still-valid earlier quotes, with no API call (--no-reuse asks again)",
                  file=sys.stderr, flush=True)
        if not args.wait:
            return EXIT_OK
        return _process(runtime, batch_id)


# --------------------------------------------------------------------------- resume / retry

@_command("resume")
def run_resume(args: argparse.Namespace) -> int:
    """Process every unfinished batch (paused ones too: resuming is what was asked), oldest first."""
    with _runtime(args, with_api=False) as local:  # nothing to do: no need for the API at all
        with local.session_factory() as session:
            if not view_store.unfinished_batch_ids(session) and not view_store.paused_batch_ids(session):
                print("nothing to resume: every batch is finished", file=sys.stderr)
                return EXIT_OK
        with local.session_factory() as session:
            paused = view_store.paused_batch_ids(session)
            # each provider quotes its own batches: one run per provider with batches open
            names = [args.provider] if args.provider else \
                provider_store.providers_of_open_batches(session)
        for batch_id in paused:
            with engine_store.in_transaction(local.session_factory) as session:
                batch_store.resume_batch(session, batch_id)
    # Each provider quotes its own batches, all at once (a deal's providers in parallel, as
    # its first run), each in its own lanes.
    with ExitStack() as opened:
        runtimes = open_runtimes(args, opened, names, with_api=True)
        with runtimes[0].session_factory() as session:
            if not view_store.unfinished_batch_ids(session):
                print("nothing to resume: every batch is finished", file=sys.stderr)
                return EXIT_OK
        return _process(runtimes[0], None, runtimes[1:])


@_command("retry")
def run_retry(args: argparse.Namespace) -> int:
    """Queue a batch's failed rows that a retry can change again (new idempotency keys); with
    --wait, process them."""
    with _runtime(args, with_api=args.wait) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            before = _batch_or_fail(session, args.batch)
        if before.status == BatchStatus.CANCELLED:
            raise _Fail(f"batch {args.batch} was cancelled: `bulkquote quote-rest {args.batch}` "
                        "quotes its unsent rows and retries its failures", EXIT_STOPPED)
        with engine_store.in_transaction(sf) as session:
            n = batch_store.retry_failed(session, args.batch)
        failed = before.counts.get(RowState.FAILED, 0)
        kept = f"; {failed - n} kept (a retry would not change them: no coverage, manual " \
               "pricing, address not found)" if failed > n else ""
        print(f"batch {args.batch}: {n} failed row{'s' if n != 1 else ''} queued again{kept}",
              file=sys.stderr, flush=True)
        return _wait_for(runtime, args)


@_command("quote-rest")
def run_quote_rest(args: argparse.Namespace) -> int:
    """A cancelled batch goes on: its unsent rows and retryable failures are queued again."""
    with _runtime(args, with_api=args.wait) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            before = _batch_or_fail(session, args.batch)
        if before.status != BatchStatus.CANCELLED:
            print(f"batch {args.batch} is {before.status}, not cancelled: nothing to go on with"
                  + (" (`bulkquote retry` queues its failures)" if before.status == BatchStatus.COMPLETE else ""),
                  file=sys.stderr)
            return EXIT_OK
        with engine_store.in_transaction(sf) as session:
            n = batch_store.quote_rest(session, args.batch)
        print(f"batch {args.batch}: {n} row{'s' if n != 1 else ''} queued to quote",
              file=sys.stderr, flush=True)
        return _wait_for(runtime, args)


def _wait_for(runtime: Runtime, args: argparse.Namespace) -> int:
    if not args.wait:
        return EXIT_OK
    with runtime.session_factory() as session:
        if args.batch not in view_store.unfinished_batch_ids(session):
            return EXIT_OK
    return _process(runtime, args.batch)


# --------------------------------------------------------------------------- cancel

@_command("cancel")
def run_cancel(args: argparse.Namespace) -> int:
    """Cancel a batch: queued rows cancelled, quotes in flight DELETEd."""
    with _runtime(args, with_api=False) as local:
        with local.session_factory() as session:
            before = _batch_or_fail(session, args.batch)
        if BatchStatus(before.status).finished:
            print(f"batch {args.batch} is already {before.status}; nothing to cancel", file=sys.stderr)
            return EXIT_OK
    with _runtime(args, with_api=True) as runtime:
        sf = runtime.session_factory
        try:
            client = runtime.make_client()
        except MissingApiKey:
            client = None
        processor = runtime.make_processor(client, on_event=lambda e: None, role="cli")
        processor.cancel(args.batch)
        if client is not None:
            with client:
                processor.send_pending_deletes()
        else:
            _err("cancel", "no API key: quotes still in flight could not be cancelled on the "
                 "server; the next batch will clear them")
        with sf() as session:
            after = view_store.get_batch(session, args.batch)
        print(f"batch {args.batch} cancelled ({count_text(after.counts)})", file=sys.stderr)
        return EXIT_OK


# --------------------------------------------------------------------------- status

def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _status_counts(counts: dict[str, int]) -> dict[str, int]:
    return {"total": counts["total"], **{state: counts[state] for state in ROW_TERMINAL},
            RowState.PENDING: counts[RowState.PENDING] + counts["active"]}


@_command("status")
def run_status(args: argparse.Namespace) -> int:
    """One batch with its rows, or the recent batches."""
    with _runtime(args, with_api=False) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            if args.batch is None:
                return _print_batches(view_store.list_batches(session), as_json=args.json)
            summary = _batch_or_fail(session, args.batch)
            rows = view_store.batch_rows(session, args.batch)
    waiting = _waiting(sf, summary)
    today = date.today()
    if args.json:
        with sf() as session:
            deal_batches = _deal_json(session, args.batch)
            chosen = choice_store.read_deal(session, args.batch)
        choosing, sites = deal_json(chosen) if chosen else ({}, {})
        print(json.dumps({
            "batch": summary.id, "status": summary.status, "counts": _status_counts(summary.counts),
            "owner": summary.owner, "rush": summary.priority > 0, "waiting": waiting,
            "deal": {**deal_batches, **choosing},
            "summary": summarise(chosen).as_json() if chosen else None,
            "rows": [{"row": r.row_number, "status": r.status, "provider": r.provider or None,
                      "quote_id": r.remote_id, "quote_level": r.quote_level,
                      "alternate": bool(r.alternate), "carrier": r.carrier, "mrc": _money(r.mrc), "nrc": _money(r.nrc), "error": r.error_code,
                      "valid_until": r.valid_until.isoformat() if r.valid_until else None,
                      "stale": r.stale(today), "reused": r.reused_from is not None,
                      "previous_mrc": _money(r.previous_mrc),
                      "address_set": r.address_set or None,
                      **sites.get(r.row_number, {"offers": [], "chosen": None})}
                     for r in rows]}, ensure_ascii=False))
        return EXIT_OK
    # Names and cells come from the rep's files: one_line keeps their escapes, CR/LF and bidi
    # overrides off the terminal (--json is escaped by JSON itself).
    print(f"batch {summary.id}  {one_line(summary.source_name)}  {summary.status}  "
          f"({count_text(summary.counts)})")
    if summary.status_message:
        print(f"  {one_line(summary.status_message)}")
    if waiting:
        print(f"  {one_line(waiting['message'])}")
    for r in rows:
        answer = (f"{r.carrier}  MRC {_money(r.mrc)}  NRC {_money(r.nrc)} {r.currency or ''}".rstrip()
                  if r.status == RowState.COMPLETE
                  else reason_text(r.error_code, r.error_message) if r.error_code else "")
        mark = "  (stale: ask again)" if r.stale(today) else ("  (reused)" if r.reused_from else "")
        print(f"  row {r.row_number:>5}  {r.status:<10}  {one_line(r.address)}  "
              f"{one_line(answer)}{mark}".rstrip())
    return EXIT_OK


def _deal_json(session: Session, batch_id: int) -> dict[str, Any]:
    """The deal the batch belongs to (issue 18): its id (its first batch's) and each batch's
    provider, terms, status and counts. A batch by itself is a deal of one."""
    batches = deal_store.deal_batches(session, batch_id)
    return {"id": batches[0].id, "batches": [
        {"batch": b.id, "provider": b.provider_name, "terms": deal_store.batch_terms(b),
         "status": b.status, "counts": _status_counts(view_store.batch_counts(session, b.id))}
        for b in batches]}


def _waiting(sf: Any, summary: view_store.BatchSummary) -> dict[str, Any] | None:
    """Why an unfinished batch's account is not sending, as its lease holder wrote it."""
    if summary.status not in BATCH_UNFINISHED or summary.account_id is None:
        return None
    with sf() as session:
        lease = account_store.read_lease(session, summary.account_id)
    if lease is None or not lease.waiting:
        return None
    return {"reason": lease.waiting, "message": lease.waiting_message,
            "blocker_id": lease.blocker_id, "holder": lease.holder,
            "since": lease.waiting_since.isoformat() if lease.waiting_since else None}


def _print_batches(batches: list[view_store.BatchSummary], *, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"batches": [
            {"batch": b.id, "source": b.source_name, "status": b.status,
             "created_at": b.created_at.isoformat(), "counts": _status_counts(b.counts)}
            for b in batches]}, ensure_ascii=False))
        return EXIT_OK
    if not batches:
        print("no batches yet: `bulkquote submit FILE` stores one")
        return EXIT_OK
    for b in batches:
        print(f"{b.id:>5}  {b.created_at:%Y-%m-%d %H:%M}Z  {b.status:<9}  "
              f"{one_line(b.source_name)}  ({count_text(b.counts)})")
    return EXIT_OK


# --------------------------------------------------------------------------- find

@_command("find")
def run_find(args: argparse.Namespace) -> int:
    """Rows of past batches whose address, company or site id contains TEXT."""
    with _runtime(args, with_api=False) as runtime:
        with runtime.session_factory() as session:
            found = search_store.find_rows(session, args.text)
    if args.json:
        print(json.dumps({"rows": [
            {"batch": f.batch_id, "source": f.source_name, "row": f.row_number,
             "site_id": f.site_id, "company": f.company, "address": f.address,
             "status": f.status, "carrier": f.carrier, "mrc": _money(f.mrc),
             "valid_until": f.valid_until.isoformat() if f.valid_until else None}
            for f in found]}, ensure_ascii=False))
        return EXIT_OK
    if not found:
        print(f"nothing found for {args.text!r}", file=sys.stderr)
        return EXIT_OK
    for f in found:
        price = f"  {one_line(f.carrier)} {_money(f.mrc)}/mo" if f.status == RowState.COMPLETE else ""
        valid = f" (valid until {f.valid_until:%b %d %Y})" if f.valid_until else ""
        print(f"batch {f.batch_id:>4} row {f.row_number:>5}  {f.status:<10} {one_line(f.company)}  "
              f"{one_line(f.address)}{price}{valid}")
    return EXIT_OK


# --------------------------------------------------------------------------- export

@_command("export")
def run_export(args: argparse.Namespace) -> int:
    """Write a batch's results (original columns + prices) to .xlsx or .csv; with --fix-list,
    only its rows to fix (core/output/fix_list.py) to .xlsx."""
    from bulkquote_gui.core.output.export import export_batch
    from bulkquote_gui.core.output.fix_list import export_batch_fix_list

    fix_list = getattr(args, "fix_list", False)
    if fix_list and Path(args.output).suffix.lower() != ".xlsx":
        raise _Fail(f"a fix list is an Excel file: {args.output!r} must end in .xlsx")
    compare = getattr(args, "compare", None)
    if compare is not None and fix_list:
        raise _Fail("--compare adds a sheet to the results, not to a fix list")
    with _runtime(args, with_api=False) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            _batch_or_fail(session, args.batch)
            if compare is not None:
                compare = _compared(session, args.batch, compare)
                compared_name = side_of(session, compare).name()   # "deal 1" for a deal's batch
        try:
            if fix_list:
                n = export_batch_fix_list(sf, args.batch, Path(args.output))
            else:
                n = export_batch(sf, args.batch, Path(args.output),
                                 priced_only=getattr(args, "priced_only", False),
                                 compare_with=compare)
        except ValueError as exc:
            raise _Fail(str(exc)) from None
        except OSError as exc:
            raise _Fail(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if fix_list:
        print(f"{n} row{'s' if n != 1 else ''} to fix written to {args.output}" if n else
              f"nothing to fix in batch {args.batch}: {args.output} holds the header only",
              file=sys.stderr)
    else:
        changes = f", with the changes since {compared_name}" if compare is not None else ""
        print(f"{n} rows written to {args.output}{changes}", file=sys.stderr)
    return EXIT_OK


def _compared(session: Session, batch_id: int, compare: int | str) -> int:
    """The batch `--compare` names: an id, or `previous` (the latest earlier of the same file)."""
    if compare == "previous":   # never a batch of its own deal (its choices are the same)
        earlier = earlier_sides(session, batch_id, limit=1)
        if not earlier:
            raise _Fail(f"no earlier batch of the same file as batch {batch_id} to compare with")
        return earlier[0].batch_id
    _batch_or_fail(session, int(compare))
    return int(compare)

