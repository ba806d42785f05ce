"""The window quotes every provider's batches: one left unfinished for a Sonata seller goes on
through that seller, while new batches go through the provider chosen in "Quote through"."""

from __future__ import annotations

import argparse

from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.services.runtime import open_runtime
from bulkquote_gui.services.settings import Settings, save_settings
from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator

from .conftest import SAMPLE
from .test_engine_messages import submit_sample

SECRET = "lumen-secret"


def _left_for(db: str, provider: str) -> int:
    """A batch sent to `provider` and left unfinished (as a quit mid-batch leaves it)."""
    with open_runtime(db_url=db, provider=provider, start_demo=False) as runtime:
        account = runtime.account()
        assert account is not None
        with engine_store.in_transaction(runtime.session_factory) as session:
            return batch_store.create_batch(session, import_file(SAMPLE), defaults=BatchDefaults(),
                                            source_name=SAMPLE.name, account_id=account.id,
                                            provider_name=provider)


def test_a_batch_left_for_another_provider_goes_on_through_it(qtbot, make_window, dialogs,
                                                              tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'two.sqlite'}"
    save_settings(Settings(rep_name="Dana Rep", rep_email="dana@example.com"))   # the buyer
    monkeypatch.setenv("MOMENTUM_KEY", "momentum-key")
    monkeypatch.setenv("LUMEN_SECRET", SECRET)
    with SimulatorServer(time_scale=0.002, api_key="momentum-key") as momentum, \
            SonataSimulator(time_scale=0.002, clients={"buyer": SECRET}) as lumen:
        engine = engine_store.make_engine(db)
        sf = engine_store.make_session_factory(engine)
        provider_store.add_provider(sf, "Momentum", "momentum", momentum.base_url,
                                    settings={"secret_env": "MOMENTUM_KEY"})   # the first: chosen
        provider_store.add_provider(sf, "Lumen", "sonata", lumen.base_url, lanes=2, settings={
            "secret_env": "LUMEN_SECRET", "token_url": lumen.token_url, "client_id": "buyer",
            "offerings": {"DIA": "BIA-1", "ETHERNET": "AEL-1"}})
        engine.dispose()
        left = _left_for(db, "Lumen")
        context = context_from_args(argparse.Namespace(file=None, db=db, api_url=None,
                                                       poll_interval=0.05, quote_timeout=None))
        try:
            window = make_window(context)
            window.start()   # resumes the unfinished batch
            qtbot.waitUntil(lambda: window.engine.provider_name() == "Momentum", timeout=10_000)

            def status(batch_id: int) -> str | None:
                with context.session_factory() as session:
                    return view_store.batch_status(session, batch_id)

            qtbot.waitUntil(lambda: status(left) == "complete", timeout=60_000)
            assert lumen.state.quotes()                      # quoted by the seller it was sent to
            assert momentum.stats()["created"] == 0         # not by the chosen provider

            dialogs.confirms.append(True)                    # "Submit this file again?"
            new = submit_sample(qtbot, window)               # a new batch: the chosen provider
            qtbot.waitUntil(lambda: status(new) == "complete", timeout=60_000)
            with context.session_factory() as session:
                assert provider_store.batch_provider(session, new) == "Momentum"
                assert {r.status for r in view_store.batch_rows(session, left)} <= {
                    "complete", "failed", "skipped"}
            assert momentum.stats()["created"] > 0
        finally:
            window.shutdown()
            context.close()
