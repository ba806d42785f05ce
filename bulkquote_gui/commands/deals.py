"""`submit FILE --provider A --provider B --terms 12,36` (issue 18): one deal, stored as one batch
per Sonata provider and one per (Momentum provider, term), quoted with each provider in its own
lanes, the providers in parallel; and `check`'s account of what such a deal would cost.

`submit` comes here first: a single provider asked a single term goes on to commands/batch.py,
which stores one batch as before. `status --json` lists a deal's batches (commands/batch.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bulkquote_gui.commands import batch as batch_commands
from bulkquote_gui.commands.batch import (
    EXIT_OK,
    EXIT_STOPPED,
    _command,
    _defaults,
    _Fail,
    interrupted_run,
    open_runtimes,
    read_sheet,
)
from bulkquote_gui.commands.progress import Progress
from bulkquote_gui.core.deal.asks import BadAsk, PlannedBatch, parse_terms, plan_batches
from bulkquote_gui.core.deal.estimate import ProviderCost, estimate, estimate_lines
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.services.runtime import MissingApiKey, RefusedApiUrl, Runtime
from bulkquote_gui.services.settings import load_settings


@_command("submit")
def run_submit(args: argparse.Namespace) -> int:
    """`submit`: one provider and one term store one batch as always (commands/batch.py);
    several providers or --terms store a deal."""
    providers = list(args.providers or [])
    if args.terms is None and len(providers) <= 1:
        args.provider = providers[0] if providers else None
        return batch_commands.run_submit(args)
    if args.terms is not None and args.term is not None:
        raise _Fail("give --term or --terms, not both")
    defaults = _defaults(args, load_settings())
    try:
        terms = parse_terms(args.terms) if args.terms is not None else (defaults.term_months,)
    except BadAsk as exc:
        raise _Fail(str(exc)) from None
    result, counts = read_sheet(args, defaults)
    return submit_deal(args, result, counts["quotable"], defaults, providers, terms)


def submit_deal(args: argparse.Namespace, result: Any, quotable: int, defaults: BatchDefaults,
                providers: list[str], terms: tuple[int, ...]) -> int:
    """Store the deal's batches (all or nothing) and, with --wait, quote them to the end."""
    with ExitStack() as opened:
        runtimes = open_runtimes(args, opened, providers or [None], with_api=args.wait)
        try:
            planned = plan_batches([(r.provider_name, r.provider_kind) for r in runtimes], terms)
        except BadAsk as exc:
            raise _Fail(str(exc)) from None
        by_name = {r.provider_name: r for r in runtimes}
        asks = [_ask(batch, by_name[batch.provider_name]) for batch in planned]
        first = runtimes[0]
        try:
            with engine_store.in_transaction(first.session_factory) as session:
                ids = deal_store.create_deal(session, result, defaults=defaults,
                                             source_name=Path(args.file).name, asks=asks,
                                             owner=first.settings.rep_name)
        except batch_store.NothingToQuote as exc:
            raise _Fail(str(exc)) from None
        reused = 0
        if not args.no_reuse:
            reused = _reuse(first, [i for i, ask in zip(ids, asks) if len(ask.terms) == 1])
        _tell_stored(args, ids, planned, quotable, reused)
        if not args.wait:
            return EXIT_OK
        return quote_in_parallel(runtimes, ids, planned)


def _ask(batch: PlannedBatch, runtime: Runtime) -> deal_store.Ask:
    account = runtime.account()
    return deal_store.Ask(batch.provider_name, batch.terms,
                          account_id=account.id if account else None)


def _reuse(runtime: Runtime, batch_ids: list[int]) -> int:
    """Rows filled from still-valid earlier quotes. Only batches asking one term: an earlier
    quote answers one term, and a batch asking several wants every one of them."""
    filled = 0
    for batch_id in batch_ids:
        with engine_store.in_transaction(runtime.session_factory) as session:
            filled += len(reuse_store.reuse_valid_quotes(session, batch_id))
    return filled


def terms_text(terms: tuple[int, ...]) -> str:
    return f"{', '.join(map(str, terms))} months"


def _tell_stored(args: argparse.Namespace, ids: list[int], planned: list[PlannedBatch],
                 quotable: int, reused: int) -> None:
    """The deal id (stdout, for scripts) and its batches (stderr), as `submit` tells a batch."""
    if args.json:
        print(json.dumps({"deal": ids[0], "rows": quotable, "reused": reused, "batches": [
            {"batch": batch_id, "provider": p.provider_name, "terms": list(p.terms)}
            for batch_id, p in zip(ids, planned)]}), flush=True)
    elif not sys.stdout.isatty():
        print(ids[0], flush=True)
    print(f"deal {ids[0]} stored: {quotable} site{'s' if quotable != 1 else ''} in "
          f"{len(ids)} batch{'es' if len(ids) != 1 else ''}", file=sys.stderr, flush=True)
    for batch_id, p in zip(ids, planned):
        print(f"  batch {batch_id}: {p.provider_name or 'Momentum'}, {terms_text(p.terms)}",
              file=sys.stderr, flush=True)
    if reused:
        print(f"deal {ids[0]}: {reused} row{'s' if reused != 1 else ''} filled from still-valid "
              "earlier quotes, with no API call (--no-reuse asks again)", file=sys.stderr, flush=True)


class _Providers:
    """Every provider's engine, stopped together (a signal stops the whole deal)."""

    def __init__(self, processors: list[Any]) -> None:
        self.processors = processors

    def stop(self) -> None:
        for processor in self.processors:
            processor.stop()


def quote_in_parallel(runtimes: list[Runtime], ids: list[int],
                      planned: list[PlannedBatch]) -> int:
    """Each provider's batches on a thread of its own (as the worker's AccountPool runs its
    accounts), one after another there, each in the provider's lanes (Processor.run_batch)."""
    from bulkquote_gui.commands.notify_hooks import CliNotifications

    first = runtimes[0]
    clients = []
    try:
        for runtime in runtimes:
            clients.append(runtime.make_client())
    except MissingApiKey as exc:   # RefusedApiUrl too
        for client in clients:
            client.close()
        why = "fix the API URL" if isinstance(exc, RefusedApiUrl) else "set the key"
        raise _Fail(f"{exc}; the deal is stored: {why}, then run `bulkquote resume`",
                    EXIT_STOPPED) from None
    statuses: dict[int, str] = {}
    errors: list[BaseException] = []
    with CliNotifications(first.session_factory, first.settings) as notices:
        progress = Progress()
        listener = notices.wrap(progress)
        processors = [r.make_processor(c, on_event=listener, role="cli")
                      for r, c in zip(runtimes, clients)]
        work_of = [(p, [i for i, b in zip(ids, planned) if b.provider_name == r.provider_name])
                   for p, r in zip(processors, runtimes)]
        stopper = _Providers(processors)
        interrupted = threading.Event()

        def one_provider(processor: Any, batch_ids: list[int]) -> None:
            try:
                for batch_id in batch_ids:
                    statuses[batch_id] = processor.run_batch(batch_id)
                    if interrupted.is_set():
                        return
            except BaseException as exc:   # reported on the main thread
                errors.append(exc)
                stopper.stop()

        def work() -> None:
            threads = [threading.Thread(target=one_provider, args=pair, daemon=True,
                                        name=f"deal-provider-{n}")
                       for n, pair in enumerate(work_of)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        try:
            interrupted_run(stopper, work, interrupted)
        finally:
            progress.close()
            for client in clients:
                client.close()
        if errors:
            notices.engine_failed(errors[0], tuple(ids))
    if errors:
        raise errors[0]
    if interrupted.is_set():
        print(f"interrupted; deal {ids[0]} stays unfinished: `bulkquote resume` goes on with it",
              file=sys.stderr, flush=True)
        return EXIT_STOPPED
    done = all(statuses.get(i) == BatchStatus.COMPLETE for i in ids)
    return EXIT_OK if done else EXIT_STOPPED


def deal_cost(args: argparse.Namespace, sites: int) -> tuple[list[ProviderCost], list[str]]:
    """`check --provider ... --terms ...`: each provider's quotes and time for this many sites,
    from the quote times the store has seen (core/deal/estimate.py); _Fail for a bad ask."""
    providers = list(args.providers or [])
    try:
        terms = parse_terms(args.terms) if args.terms is not None else \
            (load_settings().batch_defaults().term_months,)
    except BadAsk as exc:
        raise _Fail(str(exc)) from None
    with ExitStack() as opened:
        runtimes = open_runtimes(args, opened, providers or [None], with_api=False)
        try:
            planned = plan_batches([(r.provider_name, r.provider_kind) for r in runtimes], terms)
        except BadAsk as exc:
            raise _Fail(str(exc)) from None
        with runtimes[0].session_factory() as session:
            history = {r.provider_name: deal_store.quote_seconds(session, r.provider_name)
                       for r in runtimes}
        lanes = {r.provider_name: r.provider.lanes if r.provider else 1 for r in runtimes}
    costs = estimate(sites, planned, lanes, history)
    return costs, estimate_lines(sites, costs)
