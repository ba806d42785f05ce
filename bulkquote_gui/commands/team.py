"""Team subcommands: worker (an always-on runner for a shared database), unblock, rush.

A team points every laptop and one always-on `bulkquote worker` at one PostgreSQL database. The
worker quotes every open batch of every account it has a key for (BULKQUOTE_API_KEYS, several
keys separated by commas, plus the configured key) and of every named provider whose secret it
finds (keyring, or the variable the provider names), one runner thread per account,
picks up batches as reps submit them, and stops cleanly on SIGTERM / Ctrl-C: the quote in flight
stays `polling` for the next holder and the lease is released.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

from bulkquote_gui.commands.batch import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_STOPPED,
    _batch_or_fail,
    _command,
    _Fail,
    _runtime,
    interrupted_run,
)
from bulkquote_gui.commands.progress import Progress
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store

KEYS_ENV = "BULKQUOTE_API_KEYS"


def worker_keys(configured: str | None) -> list[str]:
    """Every key the worker may quote with, each once, in the order given.

    Keys are separated by commas; one with a space inside is refused (`_Fail`), not split into
    two keys nobody meant ("a,bad key" was once the keys "bad" and "key")."""
    keys = [k.strip() for k in os.environ.get(KEYS_ENV, "").split(",") if k.strip()]
    for n, key in enumerate(keys, 1):
        if re.search(r"\s", key):
            raise _Fail(f"{KEYS_ENV}: key {n} contains a space or a line break; separate keys "
                        "with commas only", EXIT_STOPPED)
    if configured:
        keys.append(configured)
    return list(dict.fromkeys(keys))


@_command("worker")
def run_worker(args: argparse.Namespace) -> int:
    """Quote every open batch of every account with a key; wait for more unless --until-idle."""
    from bulkquote_gui.services.runtime import MissingApiKey

    with _runtime(args, with_api=True) as runtime:
        # BULKQUOTE_API_KEYS are more keys of the unnamed Momentum's URL
        keys = [runtime.api_key] if runtime.demo or runtime.provider is not None else \
            worker_keys(runtime.api_key)
        keys = [key for key in keys if key]
        others = [] if runtime.demo else _other_providers(runtime)
        if not keys and not others:
            raise _Fail(runtime.missing_key or
                        f"no API key: set BULKQUOTE_API_KEY (or {KEYS_ENV} for several accounts) "
                        f"for {runtime.api_url}", EXIT_STOPPED)
        if not keys:
            print(f"worker: provider {runtime.provider_name!r} skipped: {runtime.missing_key}",
                  file=sys.stderr, flush=True)
        sf = runtime.session_factory
        accounts = []
        for key in keys:
            assert key is not None
            try:   # the URL and key are checked before any connection, Settings' rules included
                client = runtime.make_client(api_key=key)
            except MissingApiKey as exc:
                for _, opened in accounts + others:
                    opened.close()
                raise _Fail(str(exc), EXIT_STOPPED) from None
            accounts.append((account_store.ensure_account(sf, runtime.account_url, key, provider=client.kind),
                             client))
        accounts += others
        from bulkquote_gui.commands.notify_hooks import CliNotifications

        with CliNotifications(sf, runtime.settings) as notices:
            # closed whatever happens: the e-mails owed go out before the worker exits (bounded)
            return _run_pool(args, sf, accounts, notices.wrap(Progress()), runtime)


def _other_providers(runtime: Any) -> list[tuple[Any, Any]]:
    """(account, client) for every stored provider but the runtime's own: each batch is quoted
    by the provider it was sent to. One without its secret here is skipped, and said so."""
    from bulkquote_gui.core.quoting.factory import build_client
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.services import provider_config

    sf = runtime.session_factory
    with sf() as session:
        others = [p for p in provider_store.list_providers(session)
                  if runtime.provider is None or p.id != runtime.provider.id]
    found = []
    for provider in others:
        try:
            problem = provider_config.missing_contact(provider, runtime.settings.rep_name,
                                                      runtime.settings.rep_email)
            if problem:
                raise ValueError(problem)
            secret = provider_config.provider_secret(provider)
            client = build_client(provider.base_url, secret,
                                  allow_insecure_http=runtime.settings.allow_insecure_http,
                                  **provider_config.client_options(provider,
                                                                   contact=runtime.contact()))
        except (provider_config.MissingSecret, ValueError) as exc:
            print(f"worker: provider {provider.name!r} skipped: {exc}", file=sys.stderr, flush=True)
            continue
        found.append((account_store.ensure_account(sf, provider.base_url, secret,
                                                   provider=provider.kind), client))
    return found


def _run_pool(args: argparse.Namespace, sf: Any, accounts: list, listener: Callable[[Any], None],
              runtime: Any) -> int:
    from bulkquote_gui.core.engine.pool import AccountPool

    pool = AccountPool(sf, accounts, on_event=listener, config=runtime.processor_config())
    print(f"worker: quoting for {len(accounts)} account(s) on {runtime.api_url}"
          + ("" if args.until_idle else "; Ctrl-C or SIGTERM stops it"),
          file=sys.stderr, flush=True)
    outcome: dict[str, Any] = {"error": None}
    interrupted = threading.Event()

    def work() -> None:
        try:
            pool.run(until_idle=args.until_idle)
        except BaseException as exc:  # reported by the main thread
            outcome["error"] = exc

    try:
        interrupted_run(pool, work, interrupted)
    finally:
        for _, client in accounts:
            client.close()
    if outcome["error"] is not None:
        raise outcome["error"]
    if interrupted.is_set():
        print("worker stopped; unfinished batches go on with the next runner", file=sys.stderr)
        return EXIT_OK
    refused = [r for r in pool.results.values() if r.auth_failed]
    return EXIT_STOPPED if refused else EXIT_OK


@_command("unblock")
def run_unblock(args: argparse.Namespace) -> int:
    """Cancel another client's quote that blocks the account: the rep's explicit decision."""
    from bulkquote_gui.core.engine.unblock import NotABlocker, cancel_blocking_quote
    from bulkquote_gui.core.quoting.provider import ProviderError
    from bulkquote_gui.services.runtime import MissingApiKey

    with _runtime(args, with_api=True) as runtime:
        try:
            client = runtime.make_client()
        except MissingApiKey as exc:
            raise _Fail(str(exc), EXIT_STOPPED) from None
        with client:
            try:
                quote = cancel_blocking_quote(client, runtime.session_factory, args.quote_id)
            except NotABlocker as exc:
                raise _Fail(str(exc)) from None
            except ProviderError as exc:
                raise _Fail(f"could not cancel quote {args.quote_id}: {exc}", EXIT_STOPPED) from None
    print(f"quote {quote.id}: {quote.status}", file=sys.stderr)
    return EXIT_OK


@_command("rush")
def run_rush(args: argparse.Namespace) -> int:
    """Move a batch to the front of its account's line (or back with --off)."""
    with _runtime(args, with_api=False) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            summary = _batch_or_fail(session, args.batch)
        if not BatchStatus(summary.status).open and not args.off:
            print(f"batch {args.batch} is {summary.status}; nothing to rush", file=sys.stderr)
            return EXIT_BAD_INPUT
        with engine_store.in_transaction(sf) as session:
            batch_store.set_priority(session, args.batch, not args.off)
    print(f"batch {args.batch} " + ("back in line" if args.off else "rushed to the front"),
          file=sys.stderr)
    return EXIT_OK
