"""Screenshots of the window's daily-use features, grabbed offscreen (no X server needed):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/daily_use_shots.py [WxH] [--dark]

A real window in demo mode (the built-in simulator) over a scratch database: the sample sheet
(resources/sample_sites.csv) quoted to the end, three of its prices made stale, then
- finished_deal.png: the finished page with the deal summary, the chart and "Re-quote stale rows…";
- preview_reuse.png: the same file loaded again, its still-valid rows marked "Reuse" (tooltip shown
  as the note under the grid), the "Reuse valid quotes" checkbox by Submit;
- search.png: the recent jobs' search, finding the rows of past batches.
WxH (default 1440x900) is the window's size; at 1280x720 the files get a `_720` suffix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(OUT))

from offscreen import offscreen_scratch, run_then_clean, styled_app, until as wait_until  # noqa: E402


def main() -> int:
    if not os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        print("run with QT_QPA_PLATFORM=offscreen", file=sys.stderr)
        return 2
    size_arg = next((a for a in sys.argv[1:] if "x" in a and a[0].isdigit()), "1440x900")
    width, height = (int(n) for n in size_arg.split("x"))
    dark = "--dark" in sys.argv[1:]
    suffix = ("" if (width, height) == (1440, 900) else f"_{height}") + ("_dark" if dark else "")
    scratch = offscreen_scratch("bulkquote-daily-shots-", (width, height))
    db_url = f"sqlite:///{(scratch / 'bulkquote.sqlite').as_posix()}"

    from sqlalchemy import select, update

    from bulkquote_gui.core.store.models import BatchQuote, Quote
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow

    app, loop = styled_app(dark=dark)
    args = argparse.Namespace(file=None, db=db_url, api_url=None, poll_interval=0.05, quote_timeout=None)
    context = context_from_args(args, demo_time_scale=0.01)
    window = MainWindow(context)
    window.resize(width, height)
    window.show()
    window.start()

    async def until(predicate, timeout: float = 120.0) -> None:
        await wait_until(loop, predicate, timeout)

    def save(name: str) -> None:
        path = OUT / f"{name}{suffix}.png"
        window.grab().save(str(path))
        print("saved", path)

    async def drive() -> None:
        upload, page = window.upload_page, window.progress_page
        opened: list[int] = []
        window.batch_opened.connect(opened.append)
        deals: list[int] = []
        window.daily.deal_shown.connect(deals.append)
        window.load_file(ROOT / "resources" / "sample_sites.csv")
        await until(lambda: upload.result is not None and upload.submit_button.isEnabled())
        upload.submit_button.click()
        await until(lambda: bool(opened))
        batch_id = opened[-1]
        await until(lambda: bool(deals) and page.status == "complete")
        # Three prices past their valid-until date, as a batch from last quarter would have.
        with context.session_factory.begin() as session:
            quote_ids = session.scalars(
                select(BatchQuote.quote_id).where(BatchQuote.batch_id == batch_id,
                                                  BatchQuote.status == "complete")
                .order_by(BatchQuote.position).limit(3)).all()
            session.execute(update(Quote).where(Quote.id.in_(quote_ids))
                            .values(valid_until=date.today() - timedelta(days=5)))
        deals.clear()
        window.open_batch(batch_id)
        await until(lambda: bool(deals) and page.deal_view.stale_row.isVisible())
        await asyncio.sleep(0.3)
        save("finished_deal")

        reused: list[int] = []
        window.daily.reuse_shown.connect(reused.append)
        window.show_upload()
        window.load_file(ROOT / "resources" / "sample_sites.csv")
        await until(lambda: bool(reused))
        await asyncio.sleep(0.3)
        save("preview_reuse")

        upload.clear()
        window.show_upload()
        search = upload.jobs_panel.search
        shown: list[str] = []
        search.results_shown.connect(shown.append)
        search.field.setText("austin")
        await until(lambda: bool(shown))
        await asyncio.sleep(0.3)
        save("search")

    return run_then_clean(loop, drive(), scratch, window.shutdown, context.close)


if __name__ == "__main__":
    sys.exit(main())
