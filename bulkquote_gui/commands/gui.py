"""`bulkquote [FILE]`: open the window (optionally with FILE in the preview).

Before Qt is imported: the log file, and on Linux the check that Qt's X11 plugin can load (a
missing libxcb-cursor0 would otherwise end in Qt's own abort, core dumped).
"""

from __future__ import annotations

import argparse

EXIT_NO_WINDOW = 1


def run_gui(args: argparse.Namespace) -> int:
    from bulkquote_gui.gui.platform_check import check, tell
    from bulkquote_gui.services.logs import setup_logging

    setup_logging("window")
    problem = check()
    if problem is not None:
        import logging

        logging.getLogger(__name__).error("%s", problem)
        tell(problem)
        return EXIT_NO_WINDOW
    from bulkquote_gui.gui.app import run  # Qt is imported only for the window, never for the CLI
    return run(args)
