"""Once, as the window first shows: the spreadsheet reader warmed up off the GUI thread, and a
damaged database that was set aside told to the rep."""

from __future__ import annotations

import gc
from typing import Any

from PySide6.QtCore import QObject, QTimer

from bulkquote_gui.gui.operations import Operation


def warm_up(parent: QObject) -> Operation[None]:
    """Import the spreadsheet reader (pandas) now, off the GUI thread, while the rep looks at
    the window: imported on the first drop instead, it would hold the interpreter lock for a
    few hundred milliseconds in the middle of the load. The caller keeps (and may cancel) it."""
    def load_importer(_sessions: Any) -> None:
        import bulkquote_gui.core.intake.importer  # noqa: F401

    def freeze(_nothing: None) -> None:
        # Everything loaded so far (Qt, pandas, SQLAlchemy: hundreds of thousands of objects)
        # lives as long as the app: keep it out of the cyclic collector's full passes, which
        # otherwise hold the interpreter lock ~80 ms, on whichever thread, stalling the window.
        gc.freeze()

    return Operation(parent, load_importer).success(freeze).run()


def tell_store_notices(session_factory: Any, dialogs: Any) -> None:
    """A damaged database was set aside (the sentence names the copy)."""
    from bulkquote_gui.gui.operations.database import store_notices

    for notice in store_notices(session_factory):
        QTimer.singleShot(0, lambda n=notice: dialogs.error("The database was damaged", n))
