"""Issue 9, finding 3: the window, every page and the dialogs fit a 1280x720 screen, at 100 %, 125 %
and 150 % scaling (1280x720, 1024x576 and 853x480 logical pixels): the window opens inside the
screen, the grid keeps ten rows with the mapping open, every button can be reached, and every
dialog's buttons are on screen.

Issue 15, finding 4: on a 1440x900 screen and at each of those sizes nothing is cut either: on
every page and dialog each label, button and box is as big as its text needs and inside its
parent, no page scrolls sideways, and the start page does not scroll at all.

Issue 18: a deal on the upload page (two providers, a second term, the cost line) fits a
1440x900 screen with Submit in sight, and on 1280x720 at 125 % Submit is in sight without
scrolling (what is above it scrolls). A finished deal, its rule bar shown, shows five rows of
its results table without scrolling at both sizes.

Each case runs tests/gui/layout_probe.py in a child process, because the screen size and the
scale factor are fixed when Qt starts; each screen's report is read once for every test."""

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


_REPORTS: dict[tuple[int, int, str], dict] = {}


def probe(tmp_path_factory, width: int, height: int, scale: str) -> dict:
    """The probe's report on this screen, run once per session (it takes a while)."""
    key = (width, height, scale)
    if key not in _REPORTS:
        _REPORTS[key] = _run_probe(tmp_path_factory.mktemp("probe"), width, height, scale)
    return _REPORTS[key]


def _run_probe(tmp_path, width: int, height: int, scale: str) -> dict:
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
def test_nothing_is_cut_on_any_page(tmp_path_factory, width, height, scale, logical):
    report = probe(tmp_path_factory, width, height, scale)
    assert report["screen"] == logical
    assert report["problems"] == [], report
    assert report["cut"] == [], report


def test_a_deal_fits_a_1440x900_screen_with_submit_in_sight(tmp_path_factory):
    report = probe(tmp_path_factory, 1440, 900, "1")
    submit, grid = report["deal_submit"], report["deal_grid"]
    assert submit["page_scrolls"] == 0 and grid["inner_scrolls"] == 0, report
    assert submit["seen"] == submit["height"], report


def test_a_deal_on_a_small_laptop_keeps_submit_in_sight_without_scrolling(tmp_path_factory):
    report = probe(tmp_path_factory, 1280, 720, "1.25")
    submit = report["deal_submit"]
    assert submit["page_scrolls"] == 0, report     # what is above the actions scrolls instead
    assert submit["seen"] == submit["height"], report


@pytest.mark.parametrize("width, height, scale", [(1440, 900, "1"), (1280, 720, "1.25")])
def test_a_finished_deal_shows_five_rows_of_its_table_without_scrolling(tmp_path_factory, width,
                                                                         height, scale):
    report = probe(tmp_path_factory, width, height, scale)
    assert report["finished_rule_bar"], report
    assert report["finished_rows_seen"] >= 5, report
