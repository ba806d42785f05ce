"""Issue 9, finding 3: the window, every page and the dialogs fit a 1280x720 screen, at 100 %, 125 %
and 150 % scaling (1280x720, 1024x576 and 853x480 logical pixels): the window opens inside the
screen, the grid keeps ten rows with the mapping open, every button can be reached, and every
dialog's buttons are on screen. Each case runs tests/gui/layout_probe.py in a child process,
because the screen size and the scale factor are fixed when Qt starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import offscreen_screen

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("scale", ["1", "1.25", "1.5"])
def test_everything_fits_a_1280x720_screen(tmp_path, scale):
    env = dict(os.environ, QT_QPA_PLATFORM=offscreen_screen(1280, 720), QT_SCALE_FACTOR=scale,
               QT_ENABLE_HIGHDPI_SCALING="1")
    out = subprocess.run([sys.executable, "-m", "tests.gui.layout_probe", str(tmp_path)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    expected = {"1": [1280, 720], "1.25": [1024, 576], "1.5": [853, 480]}[scale]
    assert report["screen"] == expected
    assert report["problems"] == [], report
