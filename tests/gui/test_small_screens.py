"""Issue 9, finding 3: the window, every page and the dialogs fit a 1280x720 screen, at 100 %, 125 %
and 150 % scaling (1280x720, 1024x576 and 853x480 logical pixels): the window opens inside the
screen, the grid keeps ten rows with the mapping open, every button can be reached, and every
dialog's buttons are on screen.

Issue 15, finding 4: on a 1440x900 screen and at each of those sizes nothing is cut either: on
every page and dialog each label, button and box is as big as its text needs and inside its
parent, no page scrolls sideways, and the start page does not scroll at all.

Each case runs tests/gui/layout_probe.py in a child process, because the screen size and the
scale factor are fixed when Qt starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import offscreen_screen

REPO = Path(__file__).resolve().parents[2]


PAGES = ["start page", "upload page", "upload page, problems", "upload page, mapping open",
         "upload page, two providers and two terms", "upload page, three address sets", "upload page, three address sets, mapping open",
         "batch page, paused", "batch page, finished", "batch page, finished, deal details",
         "the Settings dialog", "the e-mail settings", "About", "the crash dialog", "the confirmation"]


def probe(tmp_path, width: int, height: int, scale: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=offscreen_screen(width, height), QT_SCALE_FACTOR=scale,
               QT_ENABLE_HIGHDPI_SCALING="1")
    out = subprocess.run([sys.executable, "-m", "tests.gui.layout_probe", str(tmp_path)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["pages"] == PAGES
    return report


@pytest.mark.parametrize("width, height, scale, logical", [
    (1440, 900, "1", [1440, 900]), (1280, 720, "1", [1280, 720]), (1280, 720, "1.25", [1024, 576]),
    (1280, 720, "1.5", [853, 480])])
def test_nothing_is_cut_on_any_page(tmp_path, width, height, scale, logical):
    report = probe(tmp_path, width, height, scale)
    assert report["screen"] == logical
    assert report["problems"] == [], report
    assert report["cut"] == [], report
