"""`bulkquote [FILE]`: open the window (optionally with FILE in the preview)."""

from __future__ import annotations

import argparse


def run_gui(args: argparse.Namespace) -> int:
    from bulkquote_gui.gui.app import run  # Qt is imported only for the window, never for the CLI
    return run(args)
