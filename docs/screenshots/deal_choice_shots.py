"""Screenshots of a deal's choices in the window (issue 18), grabbed offscreen (no X server):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/deal_choice_shots.py [WxH]
    QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=1.25 .venv/bin/python \\
        docs/screenshots/deal_choice_shots.py 1280x720          (a small laptop at 125 %)

The sample sheet (resources/sample_sites.csv) stored as one deal asked of Momentum for 12 and 36
months and of a Sonata seller "Lumen" for both, each row priced as the built-in simulators price
it (the seller's 12-month prices budgetary), straight into a scratch database; then
- deal_choice.png: the finished page: the deal summary from the chosen offers with what the other
  rules would cost, the rule bar, and the table showing each site's chosen offer (one of them
  picked by hand);
- deal_offers_menu.png: a row's offers as its right-click menu lists them.
WxH (default 1440x900) is the window's size; at any other size the files get a `_{height}`
suffix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(OUT))

from offscreen import offscreen_scratch, run_then_clean, styled_app, until as wait_until  # noqa: E402


def store_deal(session_factory) -> int:
    """The sample sheet as a deal of three batches, every row priced as the simulators would."""
    from sqlalchemy import select

    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.quoting.provider import QuoteOption, QuoteResult, RemoteQuote
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store import rows as row_store
    from bulkquote_gui.core.store.models import BatchQuote, Quote, utcnow
    from bulkquote_gui.services.simulator_pricing import answer_for

    result = import_file(ROOT / "resources" / "sample_sites.csv")
    with engine_store.in_transaction(session_factory) as session:
        ids = deal_store.create_deal(session, result, defaults=BatchDefaults(),
                                     source_name="sample_sites.csv", owner="Dana",
                                     asks=[deal_store.Ask(None, (12,)), deal_store.Ask(None, (36,)),
                                           deal_store.Ask("Lumen", (12, 36))])
        for batch_id in ids:
            batch = deal_store.deal_batches(session, batch_id)[ids.index(batch_id)]
            terms = deal_store.batch_terms(batch)
            rows = session.execute(select(BatchQuote.id, Quote).join(
                Quote, Quote.id == BatchQuote.quote_id).where(BatchQuote.batch_id == batch_id)).all()
            for row_id, quote in rows:
                location = {"street": quote.street, "city": quote.city, "state": quote.state,
                            "postal_code": quote.postal_code}
                options = []
                for term in terms:
                    service = {"product": quote.product, "bandwidth_mbps": quote.bandwidth_mbps,
                               "term_months": term}
                    answer = answer_for(location, service, date.today())
                    if answer.result is None:
                        continue
                    offered = [QuoteOption(o["carrier"], o["product"], o["bandwidth_mbps"],
                                           o["term_months"], Decimal(o["mrc"]), Decimal(o["nrc"]),
                                           o["currency"], o["install_days"], o["access"],
                                           o["is_estimate"]) for o in answer.result["options"]]
                    if batch.provider_name == "Lumen":   # one item per term from the seller
                        offered = [replace(offered[0], carrier="Lumen", is_estimate=None,
                                           quote_level="budgetary" if term == 12 else "firm")]
                    options += offered
                if not options:
                    row_store.mark_failed(session, row_id, "no_coverage",
                                          "no carrier serves this address", utcnow())
                    continue
                remote = RemoteQuote(f"q_{row_id}", "complete", None,
                                     QuoteResult(tuple(options), 0, date(date.today().year + 1, 1, 31)),
                                     None, None, None, None)
                row_store.mark_complete(session, row_id, remote, utcnow())
            batch_store.start_batch(session, batch_id)
            batch_store.finish_batch(session, batch_id)
    return ids[0]


def main() -> int:
    if not os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        print("run with QT_QPA_PLATFORM=offscreen", file=sys.stderr)
        return 2
    size_arg = next((a for a in sys.argv[1:] if "x" in a and a[0].isdigit()), "1440x900")
    width, height = (int(n) for n in size_arg.split("x"))
    suffix = "" if (width, height) == (1440, 900) else f"_{height}"
    scratch = offscreen_scratch("bulkquote-deal-shots-", (width, height))
    db_url = f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}"

    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow

    app, loop = styled_app(dark=False)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=0.05, quote_timeout=None)
    context = context_from_args(args, demo_time_scale=0.01)
    context.settings.rep_name = "Dana"
    deal_id = store_deal(context.session_factory)
    window = MainWindow(context)
    window.resize(int(width / float(os.environ.get("QT_SCALE_FACTOR", "1"))),
                  int(height / float(os.environ.get("QT_SCALE_FACTOR", "1"))))
    window.show()
    window.start()

    async def drive() -> None:
        shown: list[int] = []
        window.choices.shown.connect(shown.append)
        summaries: list[int] = []
        window.daily.deal_shown.connect(summaries.append)
        window.open_batch(deal_id)
        await wait_until(loop, lambda: bool(shown) and bool(summaries), 60)
        deal = window.choices.deal
        row = sorted(deal.offers)[2]   # the rep takes a dearer, on-net offer for the third site
        pick = max(deal.offers[row], key=lambda o: (o.on_net, o.contract_value))
        summaries.clear()
        window.choices.pick(row, pick.option_id)
        await wait_until(loop, lambda: bool(summaries), 60)
        await asyncio.sleep(0.3)
        window.grab().save(str(OUT / f"deal_choice{suffix}.png"))
        menu = window.choices.menu_for(row)
        menu.adjustSize()
        menu.grab().save(str(OUT / f"deal_offers_menu{suffix}.png"))
        print("saved", OUT / f"deal_choice{suffix}.png", OUT / f"deal_offers_menu{suffix}.png")

    return run_then_clean(loop, drive(), scratch, window.shutdown, context.close)


if __name__ == "__main__":
    sys.exit(main())
