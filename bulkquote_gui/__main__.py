"""`python -m bulkquote_gui` and the PyInstaller entry point.

Two things before the CLI parses anything: `--version` (the frozen app's smoke test needs it, and
it must answer without a database or Qt), and the log file for the headless commands (the window
sets up its own in commands/gui.py).
"""

import logging
import sys

from bulkquote_gui import __version__


def _command(argv: list[str]) -> str:
    from bulkquote_gui.cli import HANDLERS, _with_default_command

    return next((t for t in _with_default_command(argv) if t in HANDLERS), "gui")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["--version"], ["-V"]):
        print(f"bulkquote {__version__}")
        return 0
    if "-h" not in argv and "--help" not in argv and _command(argv) != "gui":
        from bulkquote_gui.services.logs import setup_logging

        # stderr keeps showing warnings exactly as before (Python's last-resort handler did).
        setup_logging("cli", stderr_level=logging.WARNING)
    from bulkquote_gui.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
