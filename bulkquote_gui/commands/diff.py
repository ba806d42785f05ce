"""`bulkquote diff OLD NEW [--json]`: what changed between two batches of the same sites
(core/deal/changes.py): the sites whose price, carrier or pricing changed as a table, or every
site's change and the totals as one JSON object (money as strings, to the cent). A side that is
one of a deal's batches is named as the deal; totals in two currencies are never subtracted."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from typing import Any

from bulkquote_gui.commands.batch import EXIT_OK, _batch_or_fail, _command, _runtime
from bulkquote_gui.core.deal.changes import (
    Changes,
    Kind,
    Side,
    SiteChange,
    compare_batches,
)
from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.store import views as view_store


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _signed(value: Decimal) -> str:
    return f"{value:+,.2f}"


def _offer_json(offer: Offer | None, valid_until: date | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {"carrier": offer.carrier, "term_months": offer.term_months, "mrc": _money(offer.mrc),
            "nrc": _money(offer.nrc), "currency": offer.currency,
            "valid_until": valid_until.isoformat() if valid_until else None}


def _site_json(s: SiteChange) -> dict[str, Any]:
    return {"row": s.new.row_number if s.new else None,
            "old_row": s.old.row_number if s.old else None,
            "site_id": s.site.site_id, "address": s.site.address,
            "kinds": [str(k) for k in s.kinds],
            "old": _offer_json(s.old_offer, s.old.valid_until if s.old else None),
            "new": _offer_json(s.new_offer, s.new.valid_until if s.new else None),
            "mrc_change": _money(s.mrc_change), "nrc_change": _money(s.nrc_change)}


def changes_json(changes: Changes) -> dict[str, Any]:
    """The totals, counts and every site's change (money as strings). A total of a side priced
    in two currencies, and the change between sides in different currencies, are null."""
    alike = changes.currency is not None
    old_one = len(changes.old_currencies) <= 1
    new_one = len(changes.new_currencies) <= 1
    return {"totals": {"currency": changes.currency,
                       "old_currencies": list(changes.old_currencies),
                       "new_currencies": list(changes.new_currencies),
                       "monthly_change": _money(changes.monthly_change) if alike else None,
                       "one_time_change": _money(changes.one_time_change) if alike else None,
                       "old_monthly": _money(changes.old_monthly) if old_one else None,
                       "new_monthly": _money(changes.new_monthly) if new_one else None,
                       "old_one_time": _money(changes.old_one_time) if old_one else None,
                       "new_one_time": _money(changes.new_one_time) if new_one else None},
            "counts": {str(k): n for k, n in changes.counts.items()},
            "sites": [_site_json(s) for s in changes.sites]}


def _price(offer: Offer | None, currency: str | None) -> str:
    if offer is None:
        return "not priced"
    # The currency said wherever the two sides are not all in one (a 100 that was USD and is CAD)
    unit = "" if offer.currency == currency else f" {offer.currency}"
    return f"{offer.carrier} {offer.mrc:,.2f}{unit}/mo"


def _side(changes: Changes, which: str, batch: view_store.BatchSummary) -> str:
    side = getattr(changes, f"{which}_side")
    return f"{side.name() if side else f'batch {batch.id}'} ({one_line(batch.source_name)})"


def _print_table(old: view_store.BatchSummary, new: view_store.BatchSummary,
                 changes: Changes) -> None:
    print(f"{_side(changes, 'new', new)} against {_side(changes, 'old', old)}")
    currency = changes.currency
    changed = changes.changed()
    for s in changed:
        row = f"row {s.row_number:>5}" + (f" (was {s.old.row_number})" if s.old and s.new
                                          and s.old.row_number != s.new.row_number else "")
        change = (f"  {_signed(s.mrc_change)}/mo" if s.mrc_change else "") + (
            f"  {_signed(s.nrc_change)} one-time" if s.nrc_change else "")
        print(f"  {row}  {one_line(s.site.address)}  {one_line(_price(s.old_offer, currency))}"
              f" -> {one_line(_price(s.new_offer, currency))}{change}  ({', '.join(s.kinds)})")
    kinds = ", ".join(f"{n} {k}" for k, n in changes.counts.items() if n and k != Kind.UNCHANGED)
    print(f"{len(changed)} of {len(changes.sites)} sites changed" + (f": {kinds}" if kinds else ""))
    if currency is None:
        print(f"totals not compared: {changes.currency_words()}")
        return
    print(f"monthly {changes.old_monthly:,.2f} -> {changes.new_monthly:,.2f} "
          f"({_signed(changes.monthly_change)} on the sites priced both times); one-time "
          f"{changes.old_one_time:,.2f} -> {changes.new_one_time:,.2f} "
          f"({_signed(changes.one_time_change)})")


def _deal(side: Side | None) -> int | None:
    return side.deal_id if side else None


@_command("diff")
def run_diff(args: argparse.Namespace) -> int:
    """What changed from batch (or deal) OLD to NEW, site by site."""
    with _runtime(args, with_api=False) as runtime, runtime.session_factory() as session:
        old = _batch_or_fail(session, args.old)
        new = _batch_or_fail(session, args.new)
        changes = compare_batches(session, old.id, new.id, today=date.today())
    if args.json:
        print(json.dumps({"old": {"batch": old.id, "deal": _deal(changes.old_side),
                                  "source": old.source_name},
                          "new": {"batch": new.id, "deal": _deal(changes.new_side),
                                  "source": new.source_name},
                          **changes_json(changes)}, ensure_ascii=False))
    else:
        _print_table(old, new, changes)
    return EXIT_OK
