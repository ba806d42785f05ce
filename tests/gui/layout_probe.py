"""Run as a child process (tests/gui/test_small_screens.py): open every page and dialog of the real
window on the screen the environment describes (QT_QPA_PLATFORM=offscreen:configfile=…,
QT_SCALE_FACTOR) and print, as JSON, everything that does not fit: a text narrower or shorter
than it needs (`squeezed`), a widget its parent cuts off (`clipped_by`), a page that scrolls
sideways, a window or dialog off the screen, a button out of reach.

    python -m tests.gui.layout_probe DB_DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
CMS = Path("/work/shared/corpus/cms_hospital_general_information.csv")


class Answers:
    """The window's questions, answered "no" without showing anything."""

    def confirm(self, *_a, **_k): return False
    def info(self, *_a, **_k): pass
    def error(self, *_a, **_k): pass
    def open_file(self, *_a, **_k): return None
    def save_file(self, *_a, **_k): return None
    def run(self, dialog): return False


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def text_of(widget: QWidget) -> str:
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QLineEdit):
        return widget.text() or widget.placeholderText()
    return widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__} {text_of(widget)[:48]!r}"


def squeezed(widget: QWidget) -> str | None:
    """Why the widget's own text does not fit in it, or None. An ElidedLabel shortens its text by
    design (the whole of it in the tooltip) and is left out."""
    from bulkquote_gui.gui.widgets.blocks import ElidedLabel

    size = widget.size()
    if isinstance(widget, ElidedLabel) or not text_of(widget):
        return None
    if isinstance(widget, QLabel):
        if widget.wordWrap():
            need = widget.heightForWidth(size.width())
            return f"{size.height()} px tall, its text needs {need}" if need > size.height() + 1 else None
        need = widget.sizeHint()
    elif isinstance(widget, QComboBox):
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        metrics = widget.fontMetrics()
        text = QSize(metrics.horizontalAdvance(widget.currentText()), metrics.height())
        need = widget.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, text, widget)
    elif isinstance(widget, QLineEdit):
        need = QSize(0, widget.minimumSizeHint().height())
    else:
        need = widget.sizeHint()
    if size.width() + 1 < need.width() or size.height() + 1 < need.height():
        return f"{size.width()}x{size.height()}, its text needs {need.width()}x{need.height()}"
    return None


def clipped_by(widget: QWidget, root: QWidget) -> str | None:
    """The first parent (up to `root`) that cuts the widget off. Inside a scroll area only a cut
    across is one (a page scrolls down to what is below; sideways is not reachable at a glance)."""
    rect = QRect(QPoint(0, 0), widget.size())
    child, parent = widget, widget.parentWidget()
    while child is not root and parent is not None:
        rect.translate(child.pos())
        area = parent.parentWidget()
        if isinstance(area, QAbstractScrollArea) and parent is area.viewport():
            if rect.left() < -1 or rect.right() > parent.width():
                return f"runs off the side of its scrolling area ({rect.getRect()} in {parent.width()} px)"
            return None
        if not parent.rect().adjusted(-1, -1, 1, 1).contains(rect):
            return f"cut off by {describe(parent)}: {rect.getRect()} outside {parent.rect().getRect()}"
        child, parent = parent, parent.parentWidget()
    return None


def cut_text(root: QWidget) -> list[str]:
    """Every visible text widget under `root` whose text is cut, squeezed or out of sight."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, (QLabel, QAbstractButton, QComboBox, QLineEdit)):
            continue
        if not widget.isVisible() or _in_item_view(widget):
            continue
        why = squeezed(widget) or clipped_by(widget, root)
        if why:
            found.append(f"{describe(widget)}: {why}")
    return found


def _in_item_view(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True  # a cell's editor or the header: the view scrolls
        parent = parent.parentWidget()
    return False


def three_address_sets(folder: Path) -> Path:
    """A museum-like sheet: mailing, physical and geocoded addresses, long headers and names."""
    header = ["Legal Name of the Museum or Institution", "Mailing Address (Street)", "Mailing City",
              "Mailing State", "Mailing ZIP Code", "Physical Address (Street)", "Physical City",
              "Physical State", "Physical ZIP Code", "Geocoded Street", "Geocoded City",
              "Geocoded State", "Geocoded ZIP", "Discipline"]
    rows = [[f"The {n} County Historical Society and Museum of Natural History", f"PO Box {n}",
             "Springfield", "IL", "62701", f"{100 + n} North Main Street", "Springfield", "IL",
             "62701", f"{100 + n} N Main St", "Springfield", "IL", "62701", "History"]
            for n in range(1, 40)]
    path = folder / "museums_three_address_sets.csv"
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n", encoding="utf-8")
    return path


async def loaded(upload) -> None:
    done = asyncio.get_running_loop().create_future()
    upload.loaded.connect(lambda _r: done.done() or done.set_result(True))
    await asyncio.wait_for(done, 60)
    await asyncio.sleep(0.2)


def run_fast(session_factory, batch_id: int) -> None:
    """Quote a batch to its end against a fast simulator, as a rep's earlier batch."""
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.services.simulator import SimulatorServer

    fast = EngineConfig(poll_interval_s=0.01, retry_after_floor_s=0.001, retry_after_ceiling_s=0.01)
    with SimulatorServer(time_scale=0.0005) as sim, MomentumClient(sim.base_url, "demo") as client:
        Processor(session_factory, client, config=fast).run_batch(batch_id)


async def probe(db_dir: Path) -> dict:
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.dialogs.about_dialog import AboutDialog, about_facts
    from bulkquote_gui.gui.dialogs.crash_dialog import CrashDialog
    from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
    from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
    from bulkquote_gui.gui.main_window import MainWindow
    from bulkquote_gui.gui.style import apply_theme
    from bulkquote_gui.services.secrets import SmtpPasswordStore

    app = QApplication.instance()
    apply_theme(app, dark=False)
    screen = app.primaryScreen().availableGeometry()
    problems: list[str] = []   # out of reach or off the screen
    cut: list[str] = []        # a text cut, squeezed, or a page scrolling sideways
    facts: dict = {"screen": [screen.width(), screen.height()], "pages": []}

    def inside(what: str, rect: QRect) -> None:
        if not screen.contains(rect):
            problems.append(f"{what} {rect.getRect()} outside the screen {screen.getRect()}")

    def reachable(window, what: str, widget: QWidget) -> None:
        """On screen, in the page's scroll area's view once scrolled to (as the rep would)."""
        scroll = window.page_scroll
        if widget.height() > scroll.viewport().height():  # taller than the page: its top part
            top = widget.mapTo(window.pages, widget.rect().topLeft())
            scroll.ensureVisible(top.x() + 20, top.y() + 75, 20, 75)
        else:
            scroll.ensureWidgetVisible(widget, 0, 0)
        QApplication.processEvents()
        viewport = global_rect(scroll.viewport())
        rect = global_rect(widget)
        rect.setHeight(min(rect.height(), 150, viewport.height()))
        if not widget.isVisible():
            problems.append(f"{what} not visible")
        elif not viewport.contains(rect):
            problems.append(f"{what} {rect.getRect()} not inside the page {viewport.getRect()}")
        inside(what, rect)

    def unscrolled(window, widget: QWidget) -> dict:
        """What shows of `widget` with every scroll area it is in at its top, as a page opens:
        the page's scroll range and the part of the widget's height in sight."""
        scrolls = [window.page_scroll]
        parent = widget.parentWidget()
        while parent is not None and parent is not window.page_scroll:
            if isinstance(parent, QAbstractScrollArea) and parent is not widget:
                scrolls.append(parent)
            parent = parent.parentWidget()
        for area in scrolls:
            area.verticalScrollBar().setValue(0)
        QApplication.processEvents()
        seen = global_rect(widget)
        for area in scrolls:
            seen = seen.intersected(global_rect(area.viewport()))
        return {"page_scrolls": window.page_scroll.verticalScrollBar().maximum(),
                "inner_scrolls": sum(a.verticalScrollBar().maximum() for a in scrolls[1:]),
                "height": widget.height(), "seen": max(0, seen.height())}

    def page(window, name: str) -> None:
        """Nothing cut on the page shown, and the page never wider than the window."""
        QApplication.processEvents()
        facts["pages"].append(name)
        cut.extend(f"{name}: {why}" for why in cut_text(window))
        bar = window.page_scroll.horizontalScrollBar()
        if bar.maximum() > 0:
            cut.append(f"{name}: the page scrolls sideways by {bar.maximum()} px")

    async def dialog(name: str, widget: QWidget) -> None:
        widget.show()
        await asyncio.sleep(0.3)
        facts["pages"].append(name)
        inside(name, widget.frameGeometry())
        cut.extend(f"{name}: {why}" for why in cut_text(widget))
        widget.close()

    args = argparse.Namespace(file=None, db=f"sqlite:///{db_dir / 'probe.sqlite'}", api_url=None,
                              poll_interval=0.05, quote_timeout=None)
    context = context_from_args(args)
    # An earlier batch for the recent jobs, and the finished page's deal summary.
    result = import_file(SAMPLE)
    with engine_store.in_transaction(context.session_factory) as session:
        # A deal of two terms (issue 18): the finished page with its rule bar and summary.
        finished, second = deal_store.create_deal(
            session, result, defaults=BatchDefaults(), source_name=SAMPLE.name,
            asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (12,))])
    for number in (finished, second):
        run_fast(context.session_factory, number)
    window = MainWindow(context, dialogs=Answers())
    window.show()
    window.start()
    await asyncio.sleep(0.3)
    facts["window"] = list(window.frameGeometry().getRect())
    inside("the window (frame)", window.frameGeometry())
    # Made for the screen: all of a small one, the default size (or all of the height) on a big one.
    if window.width() < min(screen.width() - 16, 1360) or window.height() < min(screen.height() - 40, 860):
        problems.append(f"the window opens at {window.width()}x{window.height()} on a "
                        f"{screen.width()}x{screen.height()} screen")
    await asyncio.sleep(0.5)  # the recent jobs are read
    page(window, "start page")
    scrolls = window.page_scroll.verticalScrollBar().maximum()
    if scrolls > 0:  # the first page a rep sees: the drop zone whole, without scrolling
        cut.append(f"start page: scrolls down by {scrolls} px (the drop zone's bottom is cut)")
    reachable(window, "Browse (drop zone)", window.upload_page.drop_zone.browse_button)

    upload = window.upload_page
    done = asyncio.get_running_loop().create_future()
    upload.loaded.connect(lambda _r: done.done() or done.set_result(True))
    upload.load_file(CMS if CMS.exists() else SAMPLE)
    await asyncio.wait_for(done, 60)
    await asyncio.sleep(0.2)
    page(window, "upload page")
    upload.set_filter("problems")
    page(window, "upload page, problems")
    upload.set_filter("all")
    upload.mapping_panel.set_expanded(True)
    await asyncio.sleep(0.2)
    page(window, "upload page, mapping open")
    facts["upload_min"] = [upload.minimumSizeHint().width(), upload.minimumSizeHint().height()]
    facts["mapping_min"] = upload.mapping_panel.minimumSizeHint().width()
    facts["side_min"] = upload.jobs_panel.parentWidget().minimumSizeHint().width()
    rows = upload.view.viewport().height() // upload.view.verticalHeader().defaultSectionSize()
    facts["grid_rows_with_mapping_open"] = rows
    if rows < 10:
        problems.append(f"the grid shows {rows} rows with the mapping open (at least 10)")
    for what, widget in (("Submit", upload.submit_button), ("Open another…", upload.open_other),
                         ("Edit mapping", upload.mapping_panel.toggle_button)):
        reachable(window, what, widget)
    inside("the demo banner's Open Settings…", global_rect(window.demo_banner))
    inside("the status bar", global_rect(window.statusBar()))
    facts["jobs_beside_the_grid"] = upload.side.isVisible()
    upload.mapping_panel.set_expanded(False)

    # A deal (issue 18): the demo's Sonata seller ticked beside Demo Momentum, and a second term.
    actions = upload.actions
    for action in actions.also_menu.actions():
        action.setChecked(True)
    actions.deal_terms.boxes[12].setChecked(True)
    await asyncio.sleep(0.5)   # the cost line is read off the GUI thread
    if not actions.also_menu.actions():
        problems.append("no other provider to also ask in demo mode")
    page(window, "upload page, two providers and two terms")
    facts["deal_submit"] = unscrolled(window, upload.submit_button)
    facts["deal_grid"] = unscrolled(window, upload.view)
    reachable(window, "Also ask", actions.also_button)
    reachable(window, "Submit (a deal)", upload.submit_button)
    actions.reset()

    # A sheet like the museum file: three address sets, long headers and names (issue 15).
    upload.load_file(three_address_sets(db_dir))
    await loaded(upload)  # the file is read off the GUI thread: its answer comes after this
    page(window, "upload page, three address sets")
    upload.mapping_panel.set_expanded(True)
    await asyncio.sleep(0.2)
    page(window, "upload page, three address sets, mapping open")
    upload.mapping_panel.set_expanded(False)
    window.show_upload()
    upload.clear()
    await asyncio.sleep(0.2)
    if not upload.side.isVisible():
        problems.append("the recent jobs are not on the start page")
    reachable(window, "the recent jobs", upload.jobs_panel)
    reachable(window, "Browse (drop zone)", upload.drop_zone)

    with engine_store.in_transaction(context.session_factory) as session:
        batch_id = batch_store.create_batch(session, result, defaults=BatchDefaults(),
                                      source_name=SAMPLE.name)
    with engine_store.in_transaction(context.session_factory) as session:
        batch_store.mark_paused(session, batch_id, "paused")
    progress = window.progress_page

    async def open_batch(number: int) -> None:
        opened = asyncio.get_running_loop().create_future()
        window.batch_opened.connect(lambda b: b == number and not opened.done() and opened.set_result(True))
        window.open_batch(number)
        await asyncio.wait_for(opened, 20)
        await asyncio.sleep(0.5)

    await open_batch(batch_id)
    page(window, "batch page, paused")
    for what, widget in (("Resume", progress.pause_button), ("Cancel batch", progress.cancel_button),
                         ("Retry failed", progress.retry_button), ("Quote the rest", progress.rest_button),
                         ("Export…", progress.export_button), ("the reason filter", progress.filter_combo),
                         ("the results table", progress.view)):
        reachable(window, what, widget)
    await open_batch(finished)
    for _ in range(100):   # the deal's rule bar and summary are read after it opens
        if progress.rule_bar.isVisible() and progress.deal_view.summary is not None:
            break
        await asyncio.sleep(0.1)
    page(window, "batch page, finished")
    facts["finished_title"] = progress.title.text()
    facts["window_title"] = window.windowTitle()
    table = unscrolled(window, progress.view.viewport())
    facts["finished_rows_seen"] = table["seen"] // progress.view.verticalHeader().defaultSectionSize()
    facts["finished_rule_bar"] = progress.rule_bar.isVisible()
    progress.deal_view.set_expanded(True, chosen=True)
    await asyncio.sleep(0.2)
    page(window, "batch page, finished, deal details")
    reachable(window, "Export… (finished)", progress.export_button)

    settings = SettingsDialog(context.settings, parent=window)
    await dialog("the Settings dialog", settings)
    for button in settings.buttons.buttons():
        inside(f"Settings' {button.text()}", global_rect(button))
    await dialog("the e-mail settings", EmailSettingsDialog(context.settings, SmtpPasswordStore(),
                                                               parent=window))
    await dialog("About", AboutDialog(about_facts(args.db, "http://127.0.0.1:8765", True), window))
    await dialog("the crash dialog", CrashDialog("Reading the batch failed: database is locked",
                                                 "Traceback (most recent call last):\n  …", window))

    box = QMessageBox(QMessageBox.Icon.Warning, "Cancel batch #1?",
                      "The 1,212 quotes not yet finished will not be sent. Prices already "
                      "received are kept.", parent=window)
    box.addButton("Cancel batch", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep going", QMessageBox.ButtonRole.RejectRole)
    await dialog("the confirmation", box)

    window.shutdown()
    context.close()
    return {"problems": problems, "cut": cut, **facts}


def main() -> int:
    db_dir = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from bulkquote_gui.gui.app import io_executor
    loop.set_default_executor(io_executor())
    with loop:
        out = loop.run_until_complete(probe(db_dir))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
