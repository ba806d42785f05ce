"""Address text made plain once, at the edge, so what is validated is what is quoted.

A customer's sheet can carry text that looks right and is not: full-width `０２１３４` or
Arabic-Indic `٠٢١٣٤` digits that pass a Unicode `\\d` as a ZIP, zero-width spaces inside a street,
control characters, no-break spaces. `normalise(text)` gives NFKC (full-width letters and digits
to ASCII, NBSP to a space), every decimal digit of any script as its ASCII digit, and zero-width
and control characters removed, with a note when the text visibly changed (the row is then
*repaired*, and the rep sees what was done). Canonical differences alone (an accent written as
a combining mark) change nothing and say nothing.

The importer applies it to the address columns, once per distinct value; plain ASCII columns,
the rule, are checked at C speed and left as they are.
"""

from __future__ import annotations

import unicodedata

# Whitespace controls become spaces (clean_one then collapses them); other controls go.
_SPACES = {ord(c): " " for c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"}


def needs_normalising(values: list[str]) -> bool:
    """False when every value is printable ASCII (C-speed checks on the joined column)."""
    try:
        joined = "".join(values)
    except TypeError:
        return True
    return not (joined.isascii() and joined.isprintable())


def _plain_char(c: str) -> str:
    if c.isdecimal() and not c.isascii():
        return str(unicodedata.decimal(c))
    category = unicodedata.category(c)
    if category == "Cf" or (category == "Cc" and ord(c) not in _SPACES):
        return ""  # zero-width, bidi marks, BOM, NUL, BEL...
    return c


def normalise(text: str) -> tuple[str, str]:
    """(plain text, note): the note is "" when nothing a reader would notice changed."""
    if text.isascii() and text.isprintable():
        return text, ""
    canonical = unicodedata.normalize("NFC", text)
    plain = unicodedata.normalize("NFKC", text).translate(_SPACES)
    plain = "".join(map(_plain_char, plain)) if not (plain.isascii() and plain.isprintable()) \
        else plain
    plain = unicodedata.normalize("NFC", plain)
    if " ".join(plain.split()) == " ".join(canonical.translate(_SPACES).split()):
        return plain, ""  # only spacing (NBSP, tabs) or composition differed
    kinds = []
    if any(unicodedata.category(c) in ("Cf", "Cc") and ord(c) not in _SPACES for c in text):
        kinds.append("invisible characters removed")
    if any((c.isdecimal() and not c.isascii()) or unicodedata.normalize("NFKC", c) != c
           and unicodedata.category(c) not in ("Cf", "Cc", "Zs") for c in canonical):
        kinds.append("full-width or other-script characters read as plain ones")
    return plain, "; ".join(kinds) or "characters normalised"
