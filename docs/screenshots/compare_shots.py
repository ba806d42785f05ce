"""Screenshots of "Compare with…" (issue 18: what changed since last time), under Xvfb:

    Xvfb :99 -screen 0 1440x900x24 & openbox &
    DISPLAY=:99 .venv/bin/python docs/screenshots/compare_shots.py
    Xvfb :98 -screen 0 1280x720x24 & openbox &
    DISPLAY=:98 QT_SCALE_FACTOR=1.25 BULKQUOTE_SHOTS_SUFFIX=_small \
        .venv/bin/python docs/screenshots/compare_shots.py

The sample sheet (resources/sample_sites.csv) quoted twice against the built-in simulator, then
a few of the second batch's prices moved in the store (the simulator prices a site the same
every time) and one site left unpriced; the window opens the second batch, finished, and
"Compare with…" is pressed: compare.png (the window with the dialog) and compare_dialog.png
(the dialog alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_screenshots import shoot
from offscreen import run_then_clean, until as wait_until

SAMPLE = ROOT / "resources" / "sample_sites.csv"
# row -> (carrier, MRC added) of the second batch's recommended option
MOVED = {3: (None, Decimal("42.00")), 6: ("Cogent", Decimal("-118.50")), 9: (None, Decimal("-35.25"))}


def seed(db_url: str, scratch: Path) -> int:
    from sqlalchemy import select, update

    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store.models import BatchQuote, QuoteOption
    from bulkquote_gui.services.simulator import SimulatorServer

    path = scratch / "branch_offices_q4.csv"
    path.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    engine = engine_store.make_engine(db_url)
    factory = engine_store.make_session_factory(engine)
    fast = EngineConfig(poll_interval_s=0.01, retry_after_floor_s=0.001, retry_after_ceiling_s=0.01)
    batches = []
    with SimulatorServer(time_scale=0.0005) as sim, MomentumClient(sim.base_url, "demo") as client:
        processor = Processor(factory, client, config=fast)
        for _ in range(2):
            result = import_file(path)
            with engine_store.in_transaction(factory) as session:
                batches.append(batch_store.create_batch(session, result, defaults=BatchDefaults(),
                                                        source_name=path.name))
            processor.run_batch(batches[-1])
    with engine_store.in_transaction(factory) as session:
        rows = dict(session.execute(select(BatchQuote.row_number, BatchQuote.quote_id)
                                    .where(BatchQuote.batch_id == batches[1])).all())
        priced = [n for (n,) in session.execute(select(BatchQuote.row_number).where(
            BatchQuote.batch_id == batches[0], BatchQuote.status == "complete")
            .order_by(BatchQuote.row_number))]
        dropped = next(n for n in reversed(priced) if n not in MOVED)   # no longer priced
        for row, (carrier, by) in MOVED.items():
            values = {"mrc": QuoteOption.mrc + by} | ({"carrier": carrier} if carrier else {})
            session.execute(update(QuoteOption).where(QuoteOption.quote_id == rows[row],
                                                      QuoteOption.recommended).values(**values))
        session.execute(update(BatchQuote).where(BatchQuote.batch_id == batches[1],
                                                 BatchQuote.row_number == dropped)
                        .values(status="failed", error_code="no_coverage",
                                error_message="No carrier serves this address"))
    engine.dispose()
    return batches[1]


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print("set DISPLAY (e.g. Xvfb :99 and DISPLAY=:99)", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bulkquote-compare-shots-"))
    os.environ["BULKQUOTE_CONFIG_DIR"] = str(scratch / "config")
    os.environ["BULKQUOTE_DATA_DIR"] = str(scratch / "data")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for var in ("BULKQUOTE_API_URL", "BULKQUOTE_API_KEY", "BULKQUOTE_DB"):
        os.environ.pop(var, None)
    db_url = f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}"
    batch = seed(db_url, scratch)

    import qasync

    from bulkquote_gui.gui.app import create_application
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow

    app = create_application(["bulkquote"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=None,
                              quote_timeout=None)
    context = context_from_args(args)
    window = MainWindow(context)
    window.setGeometry(app.primaryScreen().availableGeometry())
    window.showMaximized()
    window.start()

    async def drive() -> None:
        page = window.progress_page
        window.open_batch(batch)
        await wait_until(loop, lambda: page.batch_id == batch and page.compare_button.isEnabled())
        page.compare_button.click()
        await wait_until(loop, lambda: window.comparisons.dialog is not None
                         and window.comparisons.dialog.changes is not None)
        dialog = window.comparisons.dialog
        await asyncio.sleep(1.5)   # painted, placed by the window manager
        shoot("compare.png")
        shoot("compare_dialog.png", int(dialog.winId()))
        dialog.close()
        window.close()

    return run_then_clean(loop, drive(), scratch, context.close)


if __name__ == "__main__":
    sys.exit(main())
