"""A Sonata seller is sent the rep as the buyer's contact (relatedContactInformation): without
the rep's name or e-mail the window refuses the batch before anything is stored or sent, and
says where to fill them; once filled in Settings, the batch goes with them."""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt

from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.services.sonata_simulator import SonataSimulator

from .conftest import SAMPLE

SECRET = "lumen-secret"
REFUSAL = ("Your name and e-mail are needed: Lumen (a MEF Sonata seller) needs your name and "
           "e-mail as the buyer's contact: fill in Settings > You, then send the batch again.")


def test_a_sonata_seller_needs_the_rep_s_name_and_e_mail(qtbot, make_window, dialogs, tmp_path,
                                                          monkeypatch):
    db = f"sqlite:///{tmp_path / 'contact.sqlite'}"
    monkeypatch.setenv("LUMEN_SECRET", SECRET)
    with SonataSimulator(time_scale=0.002, clients={"buyer": SECRET}) as lumen:
        engine = engine_store.make_engine(db)
        provider_store.add_provider(engine_store.make_session_factory(engine), "Lumen", "sonata",
                                    lumen.base_url, settings={
                                        "secret_env": "LUMEN_SECRET", "token_url": lumen.token_url,
                                        "client_id": "buyer",
                                        "offerings": {"DIA": "BIA-1", "ETHERNET": "AEL-1"}})
        engine.dispose()
        context = context_from_args(argparse.Namespace(file=None, db=db, api_url=None,
                                                       poll_interval=0.05, quote_timeout=None))
        try:
            window = make_window(context)
            window.start()
            qtbot.waitUntil(lambda: window.engine.provider_name() == "Lumen", timeout=10_000)
            with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
                window.load_file(SAMPLE)
            qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
            assert dialogs.errors() == [REFUSAL]
            with context.session_factory() as session:
                assert view_store.list_batches(session) == []   # nothing stored
            assert lumen.state.quotes() == []                       # nothing sent

            def fill(dialog) -> bool:   # Settings > You
                dialog.name_edit.setText("Dana Rep")
                dialog.email_edit.setText("dana@example.com")
                dialog.save()
                return True
            dialogs.dialog_scripts.append(fill)
            window.settings_action.trigger()
            qtbot.waitUntil(lambda: window.engine.provider_name() == "Lumen", timeout=10_000)
            with qtbot.waitSignal(window.batch_opened, timeout=20_000):
                qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: window.progress_page.status == "complete", timeout=60_000)
            contacts = [q.request["relatedContactInformation"][0] for q in lumen.state.quotes()]
            assert contacts and all(c["name"] == "Dana Rep" and
                                    c["emailAddress"] == "dana@example.com" for c in contacts)
        finally:
            window.shutdown()
            context.close()
