"""Screenshots of a deal asked from the window (issue 18), on a real X server (the drop-down
menus are windows of their own, which an offscreen grab of the window leaves out):

    Xvfb :111 -screen 0 1440x900x24 &
    DISPLAY=:111 QT_QPA_PLATFORM=xcb .venv/bin/python docs/screenshots/deal_window_shots.py
    Xvfb :111 -screen 0 1280x720x24 &   (a small laptop at 125 %)
    DISPLAY=:111 QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=1.25 .venv/bin/python \\
        docs/screenshots/deal_window_shots.py 1280x720

Demo mode: the sample sheet loaded, the Demo Sonata seller ticked in "Also ask" beside Demo
Momentum and 12 months beside the default term, then submitted and quoted by the simulators;
- deal_upload.png: the upload page with both providers, the terms and the cost line, the
  "Also ask" drop-down open;
- deal_carriers.png: the finished deal, its first carrier excluded, the rule bar's "Carriers…"
  open on that carrier's submenu.
WxH (default 1440x900) is the screen's size; at any other size the files get a `_{height}`
suffix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(OUT))

from offscreen import offscreen_scratch, run_then_clean, styled_app, until  # noqa: E402


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print("run on an X server (DISPLAY=:111, Xvfb)", file=sys.stderr)
        return 2
    size_arg = next((a for a in sys.argv[1:] if "x" in a and a[0].isdigit()), "1440x900")
    width, height = (int(n) for n in size_arg.split("x"))
    suffix = "" if (width, height) == (1440, 900) else f"_{height}"
    scratch = offscreen_scratch("bulkquote-deal-window-shots-", (width, height))
    os.environ["QT_QPA_PLATFORM"] = "xcb"   # the scratch home, but the real X server's screen
    db_url = f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}"

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QGuiApplication

    from bulkquote_gui.core.states import BatchStatus
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow

    app, loop = styled_app(dark=False)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=0.05,
                              quote_timeout=None)
    context = context_from_args(args, demo_time_scale=0.005)
    context.settings.rep_name = "Dana"
    window = MainWindow(context)
    window.showMaximized()
    window.start()

    def into_view(widget) -> None:
        """The page scrolled (a small screen scrolls it) so `widget` and what is under it show."""
        from PySide6.QtWidgets import QScrollArea
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(widget, 0, 300)

    def screen_shot(name: str) -> None:
        screen = QGuiApplication.primaryScreen()
        screen.grabWindow(0).save(str(OUT / f"{name}{suffix}.png"))
        print("saved", OUT / f"{name}{suffix}.png")

    async def drive() -> None:
        actions = window.upload_page.actions
        await until(loop, lambda: actions.also_menu.actions() != [], 30)
        loaded: list[object] = []
        window.upload_page.loaded.connect(loaded.append)
        window.load_file(ROOT / "resources" / "sample_sites.csv")
        await until(loop, lambda: bool(loaded), 60)
        actions.also_menu.actions()[0].setChecked(True)
        actions.deal_terms.boxes[12].setChecked(True)
        cost = actions.deal_terms.estimate_label
        await until(loop, lambda: "Demo Sonata seller" in cost.text(), 30)
        await asyncio.sleep(0.5)
        button = actions.also_button
        into_view(window.upload_page.submit_button)
        await asyncio.sleep(0.3)
        actions.also_menu.popup(button.mapToGlobal(QPoint(0, button.height())))
        await asyncio.sleep(0.5)
        screen_shot("deal_upload")
        actions.also_menu.hide()

        opened: list[int] = []
        window.batch_opened.connect(opened.append)
        window.upload_page.submit_button.click()
        await until(loop, lambda: bool(opened), 60)
        first = opened[0]

        def done() -> bool:
            with context.session_factory() as session:
                return all(b.status == BatchStatus.COMPLETE
                           for b in deal_store.deal_batches(session, first))
        await until(loop, done, 300)
        window.open_batch(first)
        await until(loop, lambda: window.choices.deal is not None
                    and window.progress_page.batch_id == first, 60)
        await asyncio.sleep(1.0)
        bar = window.progress_page.rule_bar
        summaries: list[int] = []
        window.daily.deal_shown.connect(summaries.append)
        carrier = bar.carriers_menu.actions()[0].iconText()   # the first carrier, excluded
        exclude = next(a for a in bar.carriers_menu.actions()[0].menu().actions()
                       if a.text() == "Exclude")
        exclude.trigger()
        await until(loop, lambda: bool(summaries), 60)
        await asyncio.sleep(0.5)
        button = bar.carriers_button
        into_view(button)
        await asyncio.sleep(0.3)
        # beside the button, not over it: a small screen has no room below
        bar.carriers_menu.popup(button.mapToGlobal(QPoint(button.width() + 4, 0)))
        await asyncio.sleep(0.3)
        excluded = next(a for a in bar.carriers_menu.actions() if a.iconText().startswith(carrier))
        bar.carriers_menu.setActiveAction(excluded)
        geometry = bar.carriers_menu.actionGeometry(excluded)
        excluded.menu().popup(bar.carriers_menu.mapToGlobal(geometry.topRight()))
        await asyncio.sleep(0.5)
        screen_shot("deal_carriers")
        excluded.menu().hide()
        bar.carriers_menu.hide()

    return run_then_clean(loop, drive(), scratch, window.shutdown, context.close)


if __name__ == "__main__":
    sys.exit(main())
