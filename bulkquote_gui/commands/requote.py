"""`bulkquote requote BATCH [--wait]`: the stale quotes (valid-until passed) asked again, of
every batch of BATCH's deal, each of its own provider and for every term it asked
(core/deal/requote.py); with --wait, quoted with the providers in parallel, as `submit` quotes
a deal.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from bulkquote_gui.commands.batch import (
    EXIT_OK,
    _batch_or_fail,
    _command,
    _process,
    _runtime,
    open_runtimes,
)
from bulkquote_gui.commands.deals import quote_in_parallel, terms_text
from bulkquote_gui.core.deal.asks import PlannedBatch
from bulkquote_gui.core.deal.requote import requote_deal
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store


@_command("requote")
def run_requote(args: argparse.Namespace) -> int:
    """New batches of the deal's stale rows; with --wait, quote them."""
    with _runtime(args, with_api=False) as local, local.session_factory() as session:
        _batch_or_fail(session, args.batch)
        batches = deal_store.deal_batches(session, args.batch)
    names = list(dict.fromkeys(b.provider_name for b in batches))
    # what the stale quotes were of, as the rep knows it: the deal, or the batch by itself
    old = f"deal {batches[0].id}" if len(batches) > 1 else f"batch {args.batch}"
    with ExitStack() as opened:
        runtimes = open_runtimes(args, opened, names, with_api=args.wait)
        first = runtimes[0]
        accounts = {r.provider_name: getattr(r.account(), "id", None) for r in runtimes}
        with engine_store.in_transaction(first.session_factory) as session:
            ids = requote_deal(session, args.batch, owner=first.settings.rep_name,
                               accounts=accounts)
        if not ids:
            print(f"{old}: no stale quote (every price is still valid)",
                  file=sys.stderr)
            return EXIT_OK
        with first.session_factory() as session:
            stored = deal_store.deal_batches(session, ids[0])
            asked = sum(view_store.get_batch(session, i).counts["total"] for i in ids)
        print(ids[0], flush=True)
        _tell(old, ids, stored, asked)
        if not args.wait:
            return EXIT_OK
        if len(ids) == 1:   # through its own provider (another's batch may have had none stale)
            by_name = {r.provider_name: r for r in runtimes}
            return _process(by_name.get(stored[0].provider_name, first), ids[0])
        kinds = {r.provider_name: r.provider_kind for r in runtimes}
        planned = [PlannedBatch(b.provider_name, kinds.get(b.provider_name, ""),
                                tuple(deal_store.batch_terms(b))) for b in stored]
        return quote_in_parallel(runtimes, ids, planned)


def _tell(old: str, ids: list[int], stored: list, asked: int) -> None:
    quotes = f"{asked} stale quote{'s' if asked != 1 else ''}"
    if len(ids) == 1:
        print(f"batch {ids[0]} stored: {quotes} of {old} asked again; its export shows "
              "the previous price beside the new one", file=sys.stderr, flush=True)
        return
    print(f"deal {ids[0]} stored: {quotes} of {old} asked again in {len(ids)} batches; "
          "their export shows the previous price beside the new one", file=sys.stderr, flush=True)
    for b in stored:
        print(f"  batch {b.id}: {b.provider_name or 'Momentum'}, "
              f"{terms_text(tuple(deal_store.batch_terms(b)))}", file=sys.stderr, flush=True)
