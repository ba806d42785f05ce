"""Run as a child process (tests/gui/test_small_screens.py): open every page and dialog of the real
window on the screen the environment describes (QT_QPA_PLATFORM=offscreen:configfile=…,
QT_SCALE_FACTOR) and print, as JSON, everything that does not fit.

    python -m tests.gui.layout_probe DB_DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

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


async def probe(db_dir: Path) -> dict:
    from bulkquote_gui.core import store
    from bulkquote_gui.core.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow
    from bulkquote_gui.gui.settings_dialog import SettingsDialog
    from bulkquote_gui.gui.style import apply_theme

    app = QApplication.instance()
    apply_theme(app, dark=False)
    screen = app.primaryScreen().availableGeometry()
    problems: list[str] = []
    facts: dict = {"screen": [screen.width(), screen.height()]}

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

    args = argparse.Namespace(file=None, db=f"sqlite:///{db_dir / 'probe.sqlite'}", api_url=None,
                              poll_interval=0.05, quote_timeout=None)
    context = context_from_args(args)
    window = MainWindow(context, dialogs=Answers())
    window.show()
    window.start()
    await asyncio.sleep(0.3)
    facts["window"] = list(window.frameGeometry().getRect())
    inside("the window (frame)", window.frameGeometry())

    upload = window.upload_page
    done = asyncio.get_running_loop().create_future()
    upload.loaded.connect(lambda _r: done.done() or done.set_result(True))
    upload.load_file(CMS if CMS.exists() else SAMPLE)
    await asyncio.wait_for(done, 60)
    await asyncio.sleep(0.2)
    upload.mapping_panel.set_expanded(True)
    await asyncio.sleep(0.2)
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
    window.show_upload()
    upload.clear()
    await asyncio.sleep(0.2)
    if not upload.side.isVisible():
        problems.append("the recent jobs are not on the start page")
    reachable(window, "the recent jobs", upload.jobs_panel)
    reachable(window, "Browse (drop zone)", upload.drop_zone)

    result = import_file(SAMPLE)
    batch_id = store.create_batch(context.session_factory, result, defaults=BatchDefaults(),
                                  source_name=SAMPLE.name)
    store.mark_paused(context.session_factory, batch_id, "paused")
    opened = asyncio.get_running_loop().create_future()
    window.batch_opened.connect(lambda _b: opened.done() or opened.set_result(True))
    window.open_batch(batch_id)
    await asyncio.wait_for(opened, 20)
    await asyncio.sleep(0.2)
    page = window.progress_page
    for what, widget in (("Resume", page.pause_button), ("Cancel batch", page.cancel_button),
                         ("Retry failed", page.retry_button), ("Quote the rest", page.rest_button),
                         ("Export…", page.export_button), ("the reason filter", page.filter_combo),
                         ("the results table", page.view)):
        reachable(window, what, widget)

    dialog = SettingsDialog(context.settings, context.keystore, parent=window)
    dialog.show()
    await asyncio.sleep(0.3)
    facts["settings"] = list(dialog.frameGeometry().getRect())
    inside("the Settings dialog", dialog.geometry())
    for button in dialog.buttons.buttons():
        inside(f"Settings' {button.text()}", global_rect(button))
    dialog.close()

    box = QMessageBox(QMessageBox.Icon.Warning, "Cancel batch #1?",
                      "The 1,212 quotes not yet finished will not be sent. Prices already "
                      "received are kept.", parent=window)
    box.addButton("Cancel batch", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep going", QMessageBox.ButtonRole.RejectRole)
    box.show()
    await asyncio.sleep(0.2)
    for button in box.buttons():
        inside(f"the confirmation's {button.text()}", global_rect(button))
    box.close()

    window.shutdown()
    context.close()
    return {"problems": problems, **facts}


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
