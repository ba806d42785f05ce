"""A deal from the window (issue 18): the upload page's "Also ask" adds a second provider beside
the one "Quote through" names, the cost line covers both, and the submit stores the deal
through deal_store.create_deal as the CLI does. Through the real window in demo mode, Demo
Momentum and the Demo Sonata seller both quoting on loopback: every batch of the deal is run
by the window, every site gets every offer, and the finished deal's rule bar and summary
cover all its batches."""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt

from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.services.demo_sellers import DEMO_MOMENTUM, DEMO_SONATA

SITES = """Site ID,Company,Street Address,City,State,ZIP,Speed,Term
S-1,Acme Dental,600 Congress Ave,Austin,TX,78701,100 Mbps,36
S-2,Acme Dental,3001 S Lamar Blvd,Austin,TX,78704,100 Mbps,36
S-3,Acme Dental,1100 Pennsylvania Ave NW,Washington,DC,20004,100 Mbps,36
"""


def _demo_context(tmp_path):
    return context_from_args(argparse.Namespace(
        file=None, db=f"sqlite:///{tmp_path / 'demo.sqlite'}", api_url=None, poll_interval=0.05,
        quote_timeout=None))


def test_a_deal_of_two_providers_and_two_terms_runs_in_the_window(qtbot, make_window, tmp_path):
    sheet = tmp_path / "three sites.csv"
    sheet.write_text(SITES, encoding="utf-8")
    context = _demo_context(tmp_path)
    window = make_window(context)
    try:
        window.start()
        actions = window.upload_page.actions
        qtbot.waitUntil(lambda: actions.also_menu.actions() != [], timeout=10_000)
        assert actions.provider_combo.currentText() == DEMO_MOMENTUM   # one provider by default
        assert [a.text() for a in actions.also_menu.actions()] == [DEMO_SONATA]
        assert actions.also() == [] and actions.also_button.text() == "Also ask…"

        with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
            window.load_file(sheet)
        cost = actions.deal_terms.estimate_label
        qtbot.waitUntil(lambda: "in all: 3 quotes" in cost.text(), timeout=20_000)
        assert DEMO_SONATA not in cost.text()
        submit = window.upload_page.submit_button
        assert submit.text() == "&Submit 3 quotes"

        actions.also_menu.actions()[0].setChecked(True)   # the Sonata seller too
        actions.deal_terms.boxes[12].setChecked(True)     # and 12 months beside the 36
        assert actions.also_button.text() == f"+ {DEMO_SONATA}"
        # Momentum: a quote per site and term; Sonata: both terms in one quote per site.
        qtbot.waitUntil(lambda: "in all: 9 quotes" in cost.text(), timeout=20_000)
        assert f"{DEMO_MOMENTUM}: 6 quotes, time unknown yet" in cost.text()
        assert f"{DEMO_MOMENTUM}: 6 quotes (3 sites, 2 terms)" in cost.toolTip()
        assert f"{DEMO_SONATA}: 3 quotes (3 sites, 2 terms in one quote each)" in cost.toolTip()
        assert submit.text() == "&Submit 9 quotes"   # the deal's quotes, as the cost line

        with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
            qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
        first = opened.args[0]
        sf = context.session_factory
        # The header and the window name the deal while it runs, not its first batch.
        deal_title = f"Deal #{first}  ·  2 providers  ·  2 terms"
        assert window.progress_page.title.text() == deal_title
        assert window.windowTitle() == f"{deal_title} — BulkQuote"

        def batches():
            with sf() as session:
                return [(b.id, b.provider_name, b.term_months, b.terms, b.status)
                        for b in deal_store.deal_batches(session, first)]

        qtbot.waitUntil(lambda: [b[4] for b in batches()] == [BatchStatus.COMPLETE] * 3,
                        timeout=120_000)
        assert [b[1:4] for b in batches()] == [(None, 36, None), (None, 12, None),
                                               (DEMO_SONATA, 36, [36, 12])]
        with sf() as session:
            deal = choice_store.read_deal(session, first)
        assert deal is not None and deal.deal_id == first
        # Every site has every offer: each provider's price for each term.
        sites = sorted(deal.offers)
        assert len(sites) == 3
        for row_number in sites:
            asked = {(o.provider, o.term_months) for o in deal.offers[row_number]}
            assert asked >= {("Momentum", 36), ("Momentum", 12), (DEMO_SONATA, 36),
                             (DEMO_SONATA, 12)}, (row_number, asked)
        # Each batch is in the recent jobs, and the window's summary is the whole deal's.
        qtbot.waitUntil(lambda: {b[0] for b in batches()} <= shown_jobs(window), timeout=20_000)
        qtbot.waitUntil(lambda: window.choices.deal is not None
                        and window.choices.deal.offers == deal.offers, timeout=20_000)
        view = window.progress_page.deal_view
        qtbot.waitUntil(lambda: view.batch_id == window.progress_page.batch_id
                        and view.summary is not None
                        and len(view.summary.sites) == 3, timeout=20_000)
        providers = {c.offer.provider for c in window.choices.deal.choices.values()}
        assert providers <= {"Momentum", DEMO_SONATA}
        assert window.progress_page.rule_bar.isVisible()
        assert window.progress_page.title.text() == deal_title   # and once it is finished
        assert window.windowTitle() == f"{deal_title} — BulkQuote"
        window.show_upload()
        assert window.windowTitle() == "BulkQuote"
    finally:
        window.shutdown()
        context.close()


def shown_jobs(window) -> set[int]:
    return set(window.upload_page.jobs_panel.model.batch_ids())


def test_a_deal_batch_finishing_later_joins_the_shown_rule_bar_and_summary(qtbot, window, context,
                                                                           tmp_path):
    """A deal's batches finish one by one: the finished one shown is read again when another
    finishes, so its rule bar, offers and totals cover the whole deal."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store

    from .test_daily_use import open_finished, price_batch
    from .test_progress_page import write_sites

    path = write_sites(tmp_path / "two.csv", ["100 Congress Ave", "200 Congress Ave"])
    with engine_store.in_transaction(context.session_factory) as session:
        first, second = deal_store.create_deal(
            session, import_file(path), defaults=BatchDefaults(), source_name=path.name,
            asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (12,))])
        for batch_id in (first, second):   # not the window's engine's: priced below
            batch_store.mark_paused(session, batch_id, "paused")
    price_batch(context, first, [("Lumen", "100.00", "0.00", 36), ("Zayo", "200.00", "0.00", 36)])
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, first)
    view = window.progress_page.deal_view
    assert {o.term_months for offers in window.choices.deal.offers.values() for o in offers} == {36}
    assert view.text("Total", "MRC / month") == "$300.00"

    # The 12-month batch finishes while the 36-month one is shown: cheaper over its term.
    price_batch(context, second, [("Lumen", "50.00", "0.00", 12), ("Zayo", "100.00", "0.00", 12)])
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        window.events.batch_finished.emit(second, "complete")   # as EngineEvents tells of it
    qtbot.waitUntil(lambda: {o.term_months for offers in window.choices.deal.offers.values()
                             for o in offers} == {12, 36}, timeout=10_000)
    assert window.progress_page.batch_id == first
    assert view.text("Total", "MRC / month") == "$150.00"


def test_another_batch_of_the_shown_deal_finishing_is_named_as_the_deals(qtbot, engine_events,
                                                                        window, context, tmp_path):
    """The window shows a deal at its first batch; its second batch finishing said "Batch #2:
    finished…", as if it were another job. It says whose it is."""
    import threading

    from bulkquote_gui.core.events import BatchEvent
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store

    from .test_daily_use import open_finished, price_batch
    from .test_progress_page import write_sites

    path = write_sites(tmp_path / "two.csv", ["100 Congress Ave", "200 Congress Ave"])
    with engine_store.in_transaction(context.session_factory) as session:
        first, second = deal_store.create_deal(
            session, import_file(path), defaults=BatchDefaults(), source_name=path.name,
            asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (12,))])
        alone = batch_store.create_batch(session, import_file(path), defaults=BatchDefaults(),
                                         source_name="alone.csv")
        for batch_id in (first, second, alone):   # not the window's engine's
            batch_store.mark_paused(session, batch_id, "paused")
    price_batch(context, first, [("Lumen", "100.00", "0.00", 36), ("Zayo", "200.00", "0.00", 36)])
    open_finished(qtbot, window, first)
    sink = engine_events[-1]
    counts = {"total": 2, "complete": 2, "failed": 0}
    for batch_id, said in ((second, f"Deal #{first}, batch #{second}: "),
                           (alone, f"Batch #{alone}: ")):
        with qtbot.waitSignal(window.events.batch_finished, timeout=5_000):
            threading.Thread(target=sink, args=(BatchEvent(batch_id, "complete", counts=counts),)).start()
        assert window.events.last_alert.startswith(said), window.events.last_alert
