"""Screenshots of the real window under Xvfb, for the README.

    apt-get install -y xvfb openbox imagemagick libxcb-cursor0 ...   (the README lists the xcb packages)
    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 .venv/bin/python docs/screenshots/make_screenshots.py
    (BULKQUOTE_SHOTS_SIZE=1280x720 BULKQUOTE_SHOTS_DIR=/tmp/shots for a smaller window elsewhere)

A small laptop at 125 % (the same shots, named *_small.png):

    Xvfb :98 -screen 0 1280x720x24 &
    DISPLAY=:98 QT_SCALE_FACTOR=1.25 BULKQUOTE_SHOTS_SUFFIX=_small \
        .venv/bin/python docs/screenshots/make_screenshots.py

Runs the app in demo mode (built-in simulator) on a throw-away database with a few earlier
batches, loads the CMS hospital file of shared/corpus (all rows, then the problems filter with the
tooltip of an invalid cell, then the mapping opened) and resources/sample_sites.csv, submits the
sample and grabs the whole X screen with ImageMagick's `import -window root` at each moment:
start page, previews, running batch, finished batch; then the settings dialog (its own window) and
the upload and finished pages again in the dark palette.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py team [--dark]

    DISPLAY=:99 .venv/bin/python docs/screenshots/make_screenshots.py providers

Settings → Providers with three providers (providers.png), and a Sonata seller's and a
Momentum account's forms (provider_sonata.png, provider_momentum.png); BULKQUOTE_SHOTS_SUFFIX
as above for the small laptop.

    DISPLAY=:99 .venv/bin/python docs/screenshots/make_screenshots.py map

The map tab (issue 18): a batch of every 10th hospital of the CMS file (about 480 sites in
every state, Alaska, Hawaii and Puerto Rico too) priced by the fast simulator, its sites by
price band (map.png), zoomed into the north-east with a row selected in the table (map_zoom.png),
and the sample file's batch while it runs, by status (map_running.png).

`team` needs no X server: a shared database with four reps' batches (one rushed), grabbed with
window.grab(): the recent jobs in the Team view (team_jobs.png) and a batch waiting for another
client's quote on the account (waiting_account.png); `--dark` writes *_dark.png in the dark palette.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("BULKQUOTE_SHOTS_DIR") or Path(__file__).resolve().parent)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from offscreen import offscreen_scratch, run_then_clean, styled_app, until as wait_until  # noqa: E402
# The window's size; BULKQUOTE_SHOTS_SIZE=1280x720 checks a smaller laptop screen.
SIZE = tuple(int(n) for n in os.environ.get("BULKQUOTE_SHOTS_SIZE", "1440x900").split("x"))
SAMPLE = ROOT / "resources" / "sample_sites.csv"
CORPUS = ROOT.parent / "shared" / "corpus" / "cms_hospital_general_information.csv"
if not CORPUS.exists():  # a git worktree of the project lives elsewhere than its checkout
    CORPUS = Path("/work/shared/corpus/cms_hospital_general_information.csv")


SUFFIX = os.environ.get("BULKQUOTE_SHOTS_SUFFIX", "")


def shoot(name: str, window_id: int | None = None) -> None:
    """The whole X screen, or one top-level window (a dialog) by its X id."""
    stem, dot, ext = name.rpartition(".")
    target = OUT / f"{stem}{SUFFIX}{dot}{ext}"
    which = "root" if window_id is None else hex(window_id)
    subprocess.run(["import", "-window", which, str(target)], check=True)
    print("saved", target)


def seed_history(db_url: str, scratch: Path) -> None:
    """Earlier batches for the Recent jobs list, processed against a fast simulator."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.services.simulator import SimulatorServer

    files = []
    if CORPUS.exists():
        lines = CORPUS.read_bytes().splitlines(keepends=True)
        texas = [lines[0]] + [line for line in lines[1:] if b'"TX"' in line][:36]
        path = scratch / "hospitals_texas.csv"
        path.write_bytes(b"".join(texas))
        files.append((path, BatchDefaults(company="Lone Star Health")))
    path = scratch / "branch_offices_q4.csv"
    path.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    files.append((path, BatchDefaults(bandwidth_mbps=500, term_months=24)))
    # A name as long as reps really give them, to show how the Recent jobs list copes.
    path = scratch / "Northeast expansion - customer sites for renewal (final v3).csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:9]), encoding="utf-8")
    files.append((path, BatchDefaults()))

    engine = engine_store.make_engine(db_url)
    factory = engine_store.make_session_factory(engine)
    fast = EngineConfig(poll_interval_s=0.01, retry_after_floor_s=0.001, retry_after_ceiling_s=0.01)
    with SimulatorServer(time_scale=0.0005) as sim, MomentumClient(sim.base_url, "demo") as client:
        processor = Processor(factory, client, config=fast)
        for path, defaults in files:
            result = import_file(path, defaults=defaults)
            with engine_store.in_transaction(factory) as session:
                batch = batch_store.create_batch(session, result, defaults=defaults,
                                                 source_name=path.name)
            processor.run_batch(batch)
    engine.dispose()


class ShootingDialogs:
    """Stands in for the window's dialogs while a modal dialog of ours is shot: shows it, takes
    the picture once it has painted, then cancels it."""

    def __init__(self, real, name: str) -> None:
        self._real = real
        self._name = name

    def __getattr__(self, attr):
        return getattr(self._real, attr)

    def run(self, dialog) -> bool:
        from PySide6.QtCore import QTimer

        def take() -> None:
            shoot(self._name, int(dialog.winId()))
            dialog.reject()

        QTimer.singleShot(1200, take)
        dialog.exec()
        return False


async def shoot_modal(name: str, open_it, *, accept: bool = False, wait: float = 1.2) -> None:
    """Open a modal dialog (a confirmation, the file dialog) with `open_it`, shoot the screen
    once it has painted, then answer it: its accepting button, or reject."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

    def take() -> None:
        dialog = QApplication.activeModalWidget()
        shoot(name)
        if isinstance(dialog, QMessageBox) and accept:
            yes = next(b for b in dialog.buttons()
                       if dialog.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
            yes.click()
        elif isinstance(dialog, QDialog):
            dialog.reject()

    QTimer.singleShot(int(wait * 1000), take)
    open_it()
    await asyncio.sleep(0.3)


class _Switch:
    """The window's dialogs, given to it when it is built (its controllers keep that object):
    the script switches what stands behind them for a shot."""

    def __init__(self) -> None:
        self.real = None
        self.current = None

    def __getattr__(self, attr):
        return getattr(self.current or self.real, attr)


class _Yes:
    """Every confirmation answered yes, the rest as the real dialogs do."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, attr):
        return getattr(self._real, attr)

    def confirm(self, *_a, **_k) -> bool:
        return True


async def shoot_box(window, name: str, title: str, text: str, accept: str, reject: str) -> None:
    """A confirmation as Dialogs.confirm builds it, shown modeless, shot, closed."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=window)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(reject, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.show()
    await asyncio.sleep(1.0)
    shoot(name)
    box.close()
    box.deleteLater()


async def hover_invalid_cell(page) -> None:
    """Put the real pointer over the first highlighted cell so Qt shows its tooltip."""
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QCursor, QHelpEvent
    from PySide6.QtWidgets import QApplication

    model, view = page.model, page.view
    for column in range(1, model.columnCount()):
        index = model.index(0, column)
        if index.data(Qt.ItemDataRole.BackgroundRole) is not None:
            point = view.visualRect(index).center() + QPoint(20, 0)
            global_point = view.viewport().mapToGlobal(point)
            QCursor.setPos(global_point)
            await asyncio.sleep(0.3)
            # Under Xvfb no window manager delivers hover timers reliably: ask the view for its
            # tooltip the way Qt does after the hover delay (the same event, the same code path).
            QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, global_point))
            await asyncio.sleep(0.6)
            return


async def drive(window, app) -> None:
    from bulkquote_gui.gui.pages.progress_page import ProgressPage  # noqa: F401 (loaded by the window)
    from PySide6.QtGui import QCursor

    async def until(predicate, timeout: float = 120.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate():
            if loop.time() > end:
                raise TimeoutError("the window did not get there in time")
            await asyncio.sleep(0.1)

    await asyncio.sleep(1.0)
    page = window.upload_page
    shoot("start.png")  # what the rep sees first: the drop zone and the recent jobs
    if CORPUS.exists():
        # A real public spreadsheet as a rep would drop it: 4,807 hospitals, 28 columns.
        window.load_file(CORPUS)
        await until(lambda: page.result is not None and not page.is_busy())
        page.view.selectRow(-1)
        await asyncio.sleep(0.8)
        shoot("upload.png")
        page.set_filter("problems")
        await asyncio.sleep(0.8)
        await hover_invalid_cell(page)
        shoot("upload_problems.png")
        corner = app.primaryScreen().geometry().bottomRight()
        QCursor.setPos(corner.x(), corner.y())  # out of the way again
        page.mapping_panel.set_expanded(True)
        await asyncio.sleep(0.8)
        shoot("upload_mapping.png")
        page.mapping_panel.set_expanded(False)

    window.load_file(SAMPLE)
    await until(lambda: page.result is not None and not page.is_busy()
                and page.result.path.name == SAMPLE.name)

    page.submit_button.click()
    progress = window.progress_page
    await until(lambda: progress.batch_id is not None and progress.counts.get("complete", 0) >= 8)
    await asyncio.sleep(0.3)
    shoot("running.png")

    progress.pause_button.click()  # as the rep would; Resume picks up where it stopped
    await until(lambda: progress.status == "paused", timeout=30)
    await asyncio.sleep(0.5)
    shoot("paused.png")
    progress.pause_button.click()

    await until(lambda: progress.status == "complete", timeout=240)
    await asyncio.sleep(1.0)
    progress.view.scrollToBottom()
    await asyncio.sleep(0.5)
    shoot("finished.png")

    # The reasons: the filter's list with each outcome's count, then one of them chosen.
    progress.view.scrollToTop()
    progress.filter_combo.showPopup()
    await asyncio.sleep(0.8)
    shoot("reasons.png")
    progress.filter_combo.hidePopup()
    at = next((i for i in range(progress.filter_combo.count())
               if progress.filter_combo.itemData(i) not in ("", "Priced")), 0)
    progress.filter_combo.setCurrentIndex(at)
    await asyncio.sleep(0.5)
    shoot("reasons_filtered.png")
    progress.filter_combo.setCurrentIndex(0)

    switch = window.switch
    real_dialogs = switch.real
    await shoot_modal("export_dialog.png", window.export_action.trigger)
    switch.current = ShootingDialogs(real_dialogs, "settings.png")
    window.settings.open_settings()
    await asyncio.sleep(0.3)
    switch.current = None

    # The same file again: the window asks first; then a batch cancelled part-way, which can go on.
    window.show_upload()
    window.load_file(SAMPLE)
    await until(lambda: page.result is not None and not page.is_busy()
                and page.result.path.name == SAMPLE.name)
    first = progress.batch_id
    # The window asks from an operation's answer (a task): shot as the same box shown modeless.
    await shoot_box(window, "confirm_resubmit.png", "Submit this file again?",
                    f"{SAMPLE.name} was already submitted as batch #{first} (complete, "
                    f"{progress.counts.get('complete', 0)} of {progress.counts.get('total', 0)} "
                    "priced). Submitting it again quotes every site once more.",
                    "Submit again", "Cancel")
    switch.current = _Yes(real_dialogs)
    page.submit_button.click()
    await until(lambda: progress.batch_id not in (None, first)
                and progress.counts.get("complete", 0) >= 4)
    left = progress.counts.get("pending", 0) + progress.counts.get("active", 0)
    await shoot_box(window, "confirm_cancel.png", f"Cancel batch #{progress.batch_id}?",
                    f"The {left:,} quotes not yet finished will not be sent. Prices already "
                    "received are kept.", "Cancel batch", "Keep going")
    progress.cancel_button.click()
    switch.current = None
    await until(lambda: progress.status == "cancelled", timeout=30)
    await asyncio.sleep(1.0)
    shoot("cancelled.png")
    await shoot_box(window, "confirm_quit.png", "A batch is running",
                    "Quit now? The batch stops where it is and carries on by itself the next time "
                    "you open BulkQuote. No quote is lost or sent twice.",
                    "Quit and resume later", "Keep running")

    # The dark palette, as the app switches to it when the system does.
    from bulkquote_gui.gui.style import apply_theme
    apply_theme(app, dark=True)
    window.show_upload()
    window.load_file(SAMPLE)
    await until(lambda: page.result is not None and not page.is_busy()
                and page.result.path.name == SAMPLE.name)
    page.set_filter("problems")
    page.view.selectRow(-1)
    await asyncio.sleep(0.8)
    shoot("upload_dark.png")
    window.open_batch(first)
    await asyncio.sleep(1.5)
    progress.view.scrollToBottom()
    await asyncio.sleep(0.5)
    shoot("finished_dark.png")
    window.shutdown()
    app.quit()


TEAM = (  # owner, file, rows to price before it pauses (None: to the end), rushed
    ("Lee Ames", "hospitals_texas.csv", None, False),
    ("Dana Rep", "branch_offices_q4.csv", None, False),
    ("Priya Natarajan", "Northeast expansion - customer sites for renewal (final v3).csv", None, False),
    ("", "retail_sites_fall.csv", None, False),
    ("Lee Ames", "clinics_dallas_fort_worth.csv", 5, True),
    ("Dana Rep", "branch_offices_q4_part2.csv", 8, False),
)


def seed_team(db_url: str, scratch: Path) -> dict[str, int]:
    """The team's batches on one database: some finished, two stopped part-way (one rushed)."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.states import RowState
    from bulkquote_gui.services.simulator import SimulatorServer

    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    engine = engine_store.make_engine(db_url)
    factory = engine_store.make_session_factory(engine)
    fast = EngineConfig(poll_interval_s=0.01, retry_after_floor_s=0.001, retry_after_ceiling_s=0.01)
    ids: dict[str, int] = {}
    with SimulatorServer(time_scale=0.0005) as sim, MomentumClient(sim.base_url, "demo") as client:
        for owner, name, stop_after, rushed in TEAM:
            path = scratch / name
            path.write_text("".join(lines if stop_after is None else lines[:16]), encoding="utf-8")
            result = import_file(path)
            with engine_store.in_transaction(factory) as session:
                batch = batch_store.create_batch(session, result, defaults=BatchDefaults(),
                                                 source_name=name, owner=owner)
            done = [0]
            processor: Processor

            def count(event, n=stop_after) -> None:
                if getattr(event, "status", "") == RowState.COMPLETE and hasattr(event, "quote_id"):
                    done[0] += 1
                    if n is not None and done[0] >= n:
                        processor.pause()

            processor = Processor(factory, client, config=fast, on_event=count)
            processor.run_batch(batch)
            if stop_after is not None:
                with engine_store.in_transaction(factory) as session:   # waiting its turn,
                    batch_store.resume_batch(session, batch)          # as the engine left it
            if rushed:
                with engine_store.in_transaction(factory) as session:
                    batch_store.set_priority(session, batch, True)
            ids[name] = batch
    engine.dispose()
    return ids


def shoot_team(dark: bool) -> int:
    """Team view and the account's wait, offscreen, with window.grab()."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print("run with QT_QPA_PLATFORM=offscreen", file=sys.stderr)
        return 2
    scratch = offscreen_scratch("bulkquote-team-shots-", SIZE)
    db_url = f"sqlite:///{(scratch / 'team.sqlite').as_posix()}"
    ids = seed_team(db_url, scratch)

    from bulkquote_gui.core.events import BatchEvent, WaitEvent
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.widgets.jobs_panel import TEAM as TEAM_VIEW
    from bulkquote_gui.gui.main_window import MainWindow
    from bulkquote_gui.gui.qt_compat import emit
    from bulkquote_gui.services.settings import Settings, save_settings

    save_settings(Settings(rep_name="Dana Rep"))
    app, loop = styled_app(dark=dark)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=None, quote_timeout=None)
    context = context_from_args(args)
    window = MainWindow(context)
    window.resize(*SIZE)
    window.show()
    suffix = "_dark" if dark else ""

    async def until(predicate, timeout: float = 30.0) -> None:
        await wait_until(loop, predicate, timeout)

    async def drive() -> None:
        # No start(): its resume would run the stopped batches, and these pictures are of them waiting.
        panel = window.upload_page.jobs_panel
        shown: list[int] = []
        window.jobs_shown.connect(lambda: shown.append(1))
        panel.scope_buttons[TEAM_VIEW].click()
        await until(lambda: bool(shown) and len(panel.model.batch_ids()) == len(TEAM))
        await asyncio.sleep(0.3)
        window.grab().save(str(OUT / f"team_jobs{suffix}.png"))
        print("saved", OUT / f"team_jobs{suffix}.png")

        waiting = ids["branch_offices_q4_part2.csv"]
        window.open_batch(waiting)
        page = window.progress_page
        await until(lambda: page.batch_id == waiting)
        worker = window.worker
        # What the engine says when it takes the batch up and finds the account busy.
        emit(worker.batch_event, BatchEvent(waiting, "running", counts=page.counts))
        emit(worker.wait_event, WaitEvent(1, "account", blocker_id="q_8c41f2e7", batch_ids=(waiting,)))
        await until(lambda: page.wait_banner.isVisible())
        await asyncio.sleep(0.3)
        window.grab().save(str(OUT / f"waiting_account{suffix}.png"))
        print("saved", OUT / f"waiting_account{suffix}.png")

    return run_then_clean(loop, drive(), scratch, window.shutdown, context.close)


def shoot_providers() -> int:
    """Settings → Providers and the two kinds' forms, each its own window, on a scratch store."""
    scratch = Path(tempfile.mkdtemp(prefix="bulkquote-shots-"))
    os.environ["BULKQUOTE_CONFIG_DIR"] = str(scratch / "config")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    from PySide6.QtCore import QTimer

    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.gui.app import create_application
    from bulkquote_gui.gui.dialogs.providers_dialog import ProviderEditor, ProvidersDialog

    engine = engine_store.make_engine(f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}")
    sf = engine_store.make_session_factory(engine)
    base = "https://api.lumen.example/mefApi/sonata/quoteManagement/v8"
    provider_store.add_provider(sf, "Momentum", "momentum", "https://api.momentum.example/v1")
    lumen = provider_store.add_provider(sf, "Lumen", "sonata", base, lanes=4, settings={
        "token_url": "https://api.lumen.example/oauth2/token", "client_id": "acme-buyer",
        "quote_level": "firm", "instant": False,
        "offerings": {"DIA": "BIA-GRACE-1", "ETHERNET": "AEL-GRACE-1"}})
    provider_store.add_provider(sf, "Zayo", "sonata", "https://quote.zayo.example/sonata/v8",
                                lanes=2, settings={
        "token_url": "https://quote.zayo.example/token", "client_id": "acme",
        "secret_env": "ZAYO_CLIENT_SECRET", "quote_level": "budgetary", "instant": True,
        "offerings": {"DIA": "ZAYO-DIA"}})
    with sf() as session:
        momentum = provider_store.get_provider(session, "Momentum")
    app = create_application(["bulkquote"])

    def show(dialog, name: str) -> None:
        QTimer.singleShot(1500, lambda: (shoot(name, int(dialog.winId())), dialog.reject()))
        dialog.exec()

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def drive() -> None:
        dialog = ProvidersDialog(sf)
        await wait_until(loop, lambda: len(dialog.rows()) == 3, 10.0)
        dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
        dialog.status.setText("Connected: Lumen answers and accepts the credentials.")
        dialog.status.setStyleSheet("color: #15803d;")
        show(dialog, "providers.png")
        show(ProviderEditor(lumen), "provider_sonata.png")
        show(ProviderEditor(momentum), "provider_momentum.png")

    return run_then_clean(loop, drive(), scratch, engine.dispose)


def seed_map_batch(db_url: str, scratch: Path) -> int:
    """Every 10th hospital of the CMS file as one batch, priced by a fast simulator."""
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.services.simulator import SimulatorServer

    lines = CORPUS.read_bytes().splitlines(keepends=True)
    path = scratch / "hospitals_nationwide.csv"
    path.write_bytes(b"".join([lines[0]] + lines[1::10]))
    defaults = BatchDefaults(company="Nationwide Health")
    engine = engine_store.make_engine(db_url)
    factory = engine_store.make_session_factory(engine)
    fast = EngineConfig(poll_interval_s=0.01, retry_after_floor_s=0.001, retry_after_ceiling_s=0.01)
    with SimulatorServer(time_scale=0.0005) as sim, MomentumClient(sim.base_url, "demo") as client:
        result = import_file(path, defaults=defaults)
        with engine_store.in_transaction(factory) as session:
            batch = batch_store.create_batch(session, result, defaults=defaults,
                                             source_name=path.name)
        Processor(factory, client, config=fast).run_batch(batch)
    engine.dispose()
    return batch


async def drive_map(window, app, batch_id: int) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent

    async def until(predicate, timeout: float = 120.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate():
            if loop.time() > end:
                raise TimeoutError("the window did not get there in time")
            await asyncio.sleep(0.1)

    progress = window.progress_page
    window.open_batch(batch_id)
    await until(lambda: progress.batch_id == batch_id and progress.model.rowCount() > 0)
    progress.result_tabs.setCurrentWidget(progress.results_map)
    progress.deal_view.set_expanded(False, chosen=True)   # the room for the map, as a rep would

    def scrolled_down() -> None:   # a small screen's page scrolls: the map in sight, as a rep would
        from PySide6.QtWidgets import QScrollArea
        area = progress.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    await asyncio.sleep(0.5)
    scrolled_down()
    await asyncio.sleep(1.0)
    shoot("map.png")

    view = progress.results_map.view
    at = view.mapFromScene(QPointF(830, 150))   # New York City
    wheel = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(0, 0),
                        QPoint(0, 120 * 6), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(wheel)
    scrolled_down()
    near = view.site_at(QPointF(at))
    if near is None:
        near = min(view.sites, key=lambda s: (s.x - 830) ** 2 + (s.y - 150) ** 2)
    progress.show_row(near.row_number)
    await asyncio.sleep(1.0)
    shoot("map_zoom.png")
    view.fit()

    window.show_upload()
    page = window.upload_page
    window.load_file(SAMPLE)
    await until(lambda: page.result is not None and not page.is_busy()
                and page.result.path.name == SAMPLE.name)
    page.submit_button.click()
    await until(lambda: progress.batch_id not in (None, batch_id)
                and progress.counts.get("complete", 0) >= 8)
    progress.result_tabs.setCurrentWidget(progress.results_map)
    await asyncio.sleep(0.4)
    scrolled_down()
    await asyncio.sleep(0.8)
    shoot("map_running.png")
    window.shutdown()
    app.quit()


def main() -> int:
    if sys.argv[1:2] == ["team"]:
        return shoot_team(dark="--dark" in sys.argv[2:])
    if sys.argv[1:2] == ["providers"]:
        return shoot_providers()
    if not os.environ.get("DISPLAY"):
        print("set DISPLAY (e.g. Xvfb :99 and DISPLAY=:99)", file=sys.stderr)
        return 2
    if shutil.which("import") is None:
        print("ImageMagick's `import` is needed", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bulkquote-shots-"))
    os.environ["BULKQUOTE_CONFIG_DIR"] = str(scratch / "config")
    os.environ["BULKQUOTE_DATA_DIR"] = str(scratch / "data")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for var in ("BULKQUOTE_API_URL", "BULKQUOTE_API_KEY", "BULKQUOTE_DB"):
        os.environ.pop(var, None)
    db_url = f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}"
    map_batch = seed_map_batch(db_url, scratch) if sys.argv[1:2] == ["map"] else None
    if map_batch is None:
        seed_history(db_url, scratch)

    import qasync

    from bulkquote_gui.gui.app import create_application
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.dialogs.questions import Dialogs
    from bulkquote_gui.gui.main_window import MainWindow

    app = create_application(["bulkquote"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=None, quote_timeout=None)
    context = context_from_args(args)
    switch = _Switch()
    window = MainWindow(context, dialogs=switch)
    switch.real = Dialogs(window, db_url=db_url)
    window.switch = switch   # drive() swaps what stands behind the window's dialogs
    # The whole screen, as a rep's maximised window: the window manager's (openbox) if one runs,
    # else the screen's free area.
    window.setGeometry(app.primaryScreen().availableGeometry())
    window.showMaximized()
    window.start()
    shots = drive(window, app) if map_batch is None else drive_map(window, app, map_batch)
    return run_then_clean(loop, shots, scratch, context.close)


if __name__ == "__main__":
    sys.exit(main())
