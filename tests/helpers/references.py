"""References as tests name them: "batch-1/row-2", without the database's install id in front."""

from __future__ import annotations

import re
from typing import Any

_INSTALL = re.compile(r"^bq-[0-9a-f]+/")


def by_row(quotes: dict[str, Any]) -> dict[str, Any]:
    """The simulator's quotes-by-reference with the install id taken off each reference.

    Refuses (AssertionError) two installs' references that would fold into one key: a test
    that needs them apart must read the references whole.
    """
    out: dict[str, Any] = {}
    for reference, value in quotes.items():
        key = _INSTALL.sub("", reference)
        assert key not in out, f"two installs sent {key}: read the references whole"
        out[key] = value
    return out
