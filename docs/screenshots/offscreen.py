"""What the offscreen screenshot scripts share: a scratch home, a screen of the shots' size, the
app styled as a rep sees it, and waiting for the window to get somewhere.

    scratch = offscreen_scratch("bulkquote-team-shots-", (1440, 900))
    app, loop = styled_app(dark=False)
    ... window = MainWindow(context) ...
    await until(loop, lambda: page.status == "complete")
    return run_then_clean(loop, drive(), scratch, window.shutdown, context.close)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable


def offscreen_scratch(prefix: str, size: tuple[int, int]) -> Path:
    """A scratch folder for settings, data and the database, and an offscreen screen of `size`
    (the plugin's own is 800x600: the window would be fitted to that and its pages scroll).
    No API is configured, so the app runs in demo mode against the built-in simulator."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    config = scratch / "screen.json"
    config.write_text('{"screens": [{"name": "shots", "x": 0, "y": 0, "width": %d, "height": %d, '
                      '"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}' % size)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["BULKQUOTE_CONFIG_DIR"] = str(scratch / "config")
    os.environ["BULKQUOTE_DATA_DIR"] = str(scratch / "data")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for var in ("BULKQUOTE_API_URL", "BULKQUOTE_API_KEY", "BULKQUOTE_DB"):
        os.environ.pop(var, None)
    return scratch


def styled_app(*, dark: bool) -> tuple[Any, Any]:
    """The application as the app makes it (style, palette, a fixed font for stable shots) and
    its qasync event loop, set as the current one."""
    import qasync
    from PySide6.QtGui import QFont

    from bulkquote_gui.gui.app import create_application, io_executor
    from bulkquote_gui.gui.style import apply_theme

    app = create_application(["bulkquote"])
    app.setFont(QFont("DejaVu Sans", 10))
    apply_theme(app, dark=dark)
    loop = qasync.QEventLoop(app)
    loop.set_default_executor(io_executor())
    asyncio.set_event_loop(loop)
    return app, loop


async def until(loop: Any, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.05)


def run_then_clean(loop: Any, shots: Any, scratch: Path, *closers: Callable[[], Any]) -> int:
    """Take the shots (a coroutine) on `loop`, then call each closer in order (the window's
    shutdown, the context's close) and remove the scratch folder; the script's exit code."""
    with loop:
        loop.run_until_complete(shots)
    for close in closers:
        close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0
