"""What BulkQuote agrees to read, in one place, and the error raised when a file is refused.

A spreadsheet comes from a customer, so its size on disk says little about what reading it
costs: a 2 KB workbook can hold a cell at XFD1048576, a 2 MB one can inflate to 2 GB. Each
limit is checked on what the file declares or holds *before* the table is built, and the
message names the limit and the file, so a refusal is quick, cheap and explains itself. The
README's "Reliability" section states the same numbers; tests/corpus has a hostile file for each.
"""

from __future__ import annotations

MAX_FILE_BYTES = 200 * 1024 * 1024           # bytes on disk
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024   # zip members, declared then counted: 2x the 120 MB of
#                                              the 100,000-row benchmark sheet, and what calamine
#                                              holds in memory stays well under 1 GB
MAX_ZIP_MEMBERS = 10_000                     # a workbook is a few dozen parts
MAX_ROWS = 200_000                           # twice the largest batch benchmarked (100,000)
MAX_COLUMNS = 1_000
MAX_CELLS = 5_200_000                        # rows x columns as built: MAX_ROWS x columns A-Z
MAX_CELL_BYTES = 1024 * 1024                 # one cell's text


class SpreadsheetError(Exception):
    """The file as a whole cannot be used; str() is a full sentence naming the file."""


def mb(size: int) -> str:
    """Bytes as megabytes for a message: "205.0 MB"."""
    return f"{size / 1024 / 1024:.1f} MB"


def display_name(text: str) -> str:
    """A file name fit for a message or JSON: bytes that were not valid in the file system's
    encoding (kept by Python as lone surrogates) shown as U+FFFD, never written out raw."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name's byte
        return text.encode("utf-8", "replace").decode("utf-8")
