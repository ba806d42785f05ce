"""`python -m bulkquote_gui` and the PyInstaller entry point."""

import sys

from bulkquote_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
