"""Demo mode's sellers: the built-in Momentum simulator and, beside it, the built-in Sonata seller,
picked in "Quote through" and quoting a batch end to end; its made-up credentials are kept
nowhere but in memory."""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt

from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.gui.models.results_model import COLUMNS
from bulkquote_gui.services.demo_sellers import DEMO_MOMENTUM, DEMO_SONATA
from bulkquote_gui.services.paths import config_dir
from bulkquote_gui.services.secrets import ProviderSecretStore

from .test_engine_messages import submit_sample


def _demo_context(tmp_path):
    return context_from_args(argparse.Namespace(
        file=None, db=f"sqlite:///{tmp_path / 'demo.sqlite'}", api_url=None, poll_interval=0.05,
        quote_timeout=None))


def test_a_demo_batch_is_quoted_through_the_demo_sonata_seller(qtbot, make_window, tmp_path):
    context = _demo_context(tmp_path)
    try:
        window = make_window(context)
        window.start()
        actions = window.upload_page.actions
        qtbot.waitUntil(lambda: actions.provider_combo.count() == 2, timeout=10_000)
        assert not actions.provider_combo.isHidden()
        assert [actions.provider_combo.itemText(i) for i in range(2)] == [DEMO_MOMENTUM,
                                                                          DEMO_SONATA]
        assert actions.provider_combo.currentText() == DEMO_MOMENTUM
        actions.provider_combo.setFocus()
        qtbot.keyClick(actions.provider_combo, Qt.Key.Key_Down)
        qtbot.waitUntil(lambda: window.engine.provider_name() == DEMO_SONATA, timeout=10_000)
        assert window.connection.demo and window.demo_banner.isVisible()
        assert context.settings.provider_name == ""   # the demo choice is not saved

        batch_id = submit_sample(qtbot, window)
        page = window.progress_page
        qtbot.waitUntil(lambda: page.status == "complete", timeout=60_000)
        with context.session_factory() as session:
            assert provider_store.batch_provider(session, batch_id) == DEMO_SONATA
            rows = view_store.batch_rows(session, batch_id)
            assert provider_store.list_providers(session) == []   # never a stored provider
        assert rows and all(r.status in ("complete", "failed", "skipped") for r in rows)
        assert any(r.status == "complete" for r in rows)
        model = page.model
        mrc, seller = COLUMNS.index("MRC"), COLUMNS.index("Provider")
        shown = [(model.index(i, mrc).data(), model.index(i, seller).data())
                 for i in range(model.rowCount())]
        assert any(price and price.startswith("$") and who == DEMO_SONATA
                   for price, who in shown), shown
    finally:
        window.shutdown()
        context.close()
    # Its secret lived in memory only: nothing in the keyring, nothing in the config folder.
    assert not ProviderSecretStore(DEMO_SONATA).get()
    assert not any(DEMO_SONATA in p.read_text(errors="replace")
                   for p in config_dir().rglob("*") if p.is_file())
