"""The files made from the rep's sheet, named in one style wherever they are made (the window's
save dialogs, the e-mail's attachment): "my_sites_25 - quotes.xlsx", "my_sites_25 - priced.xlsx",
"my_sites_25 - fix list.xlsx", "my_sites_25 - cleaned.csv"."""

from __future__ import annotations


def file_name(stem: str, what: str, suffix: str = ".xlsx") -> str:
    return f"{stem} - {what}{suffix}"
