"""Text from a file or a sheet made safe to show: one line, nothing a terminal or mailer obeys.

A file name or a cell can carry CR/LF (a forged "Bcc:" header or a forged line in a listing),
terminal escapes (ESC[31m) or bidirectional overrides (U+202E turns "exe.csv" around). Every
such text that goes into an e-mail header, an attachment name, a log line or the terminal goes
through `one_line`: control (Cc), format (Cf: bidi overrides, zero-width) and surrogate (Cs)
characters dropped, line breaks and tabs made one space, as core/quoting/momentum.clean_text already
treats the API's text. What is stored stays as the sheet had it; `--json` output is escaped by
JSON itself.
"""

from __future__ import annotations

import re
import unicodedata

_DROPPED = frozenset({"Cc", "Cf", "Cs"})
_SPACES = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_RUNS = re.compile(r"\s+")


def is_safe(text: str) -> bool:
    """True when `one_line` leaves `text` as it is (checked at C speed for ASCII)."""
    return text.isprintable() if text.isascii() else all(
        unicodedata.category(c) not in _DROPPED and c not in _SPACES for c in text)


def one_line(text: object) -> str:
    """`text` (None as "") as one safe line."""
    value = "" if text is None else str(text)
    if is_safe(value):
        return value
    kept = "".join(" " if c in _SPACES else c for c in value
                   if c in _SPACES or unicodedata.category(c) not in _DROPPED)
    return _RUNS.sub(" ", kept).strip()
