"""resources/bulkquote.desktop: a valid entry that starts the bundle with a file, with our icon."""

from __future__ import annotations

import configparser
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def test_the_desktop_entry():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str   # keys are case-sensitive
    parser.read(RESOURCES / "bulkquote.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "BulkQuote"
    assert entry["Exec"].endswith(" %f") and entry["Terminal"] == "false"
    assert entry["Icon"] == "bulkquote" and (RESOURCES / "bulkquote.svg").exists()
    assert entry["Categories"].endswith(";") and entry["MimeType"].endswith(";")
    assert "text/csv" in entry["MimeType"].split(";")
