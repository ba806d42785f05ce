"""The launcher's check for the X11 libraries of Qt's xcb plugin, before Qt can abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bulkquote_gui.gui import platform_check


def test_xcb_is_only_checked_where_qt_would_use_it():
    assert platform_check.uses_xcb({"DISPLAY": ":0"}, "linux")
    assert not platform_check.uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert platform_check.uses_xcb({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux")
    assert not platform_check.uses_xcb({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, "linux")
    assert not platform_check.uses_xcb({"DISPLAY": ":0"}, "darwin")


def test_a_missing_xcb_cursor_is_one_sentence_with_the_package_names():
    sentence = platform_check.check({"DISPLAY": ":0"}, loads=lambda s: s != "libxcb-cursor.so.0")
    if not sys.platform.startswith("linux"):
        assert sentence is None
        return
    assert sentence == (
        "BulkQuote cannot open its window: Qt's X11 plugin needs libxcb-cursor.so.0, install it "
        "with `sudo apt install libxcb-cursor0` (Ubuntu, Mint, Debian), `sudo dnf install "
        "xcb-util-cursor` (Fedora) or `sudo pacman -S xcb-util-cursor` (Arch); the command line "
        "(`bulkquote check`, `submit`…) works without it.")
    several = platform_check.check({"DISPLAY": ":0"}, loads=lambda s: "xcb-" not in s)
    assert "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util xcb-util-image" in several
    assert "libxcb-randr0 libxcb-render0" in several
    assert ", install them with `sudo apt install" in several and several.endswith("without them.")


def test_the_readme_gives_the_commands_for_every_library_the_launcher_checks():
    """A fresh Debian 12 also lacks libxcb-icccm4 and libxcb-keysyms1: the README's commands
    install all that the launcher checks, so no second run finds another one missing."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = {line.split("#")[0].strip() for line in readme.splitlines()}   # "cmd   # distro"
    for command in platform_check.install_commands(list(platform_check.XCB_LIBRARIES)):
        assert command in lines, command


def test_nothing_missing_is_no_sentence():
    assert platform_check.check({"DISPLAY": ":0"}, loads=lambda s: True) is None
    assert platform_check.check({"QT_QPA_PLATFORM": "offscreen"}, loads=lambda s: False) is None


def test_no_display_at_all_is_said():
    if sys.platform.startswith("linux"):
        assert "there is no display" in platform_check.check({}, loads=lambda s: True)


def test_the_launcher_says_it_instead_of_aborting(tmp_path):
    """The real launcher, made to miss libxcb-cursor: exit 1 with the sentence, no core dump."""
    if not sys.platform.startswith("linux"):
        return
    code = ("import sys; from bulkquote_gui.gui import platform_check as p\n"
            "p._loads = lambda s, real=p._loads: s != 'libxcb-cursor.so.0' and real(s)\n"
            "from bulkquote_gui.__main__ import main\n"
            "sys.exit(main([]))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99", "BULKQUOTE_DATA_DIR": str(tmp_path),
           "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 1, out.stderr
    assert "sudo apt install libxcb-cursor0" in out.stderr
    assert "Aborted" not in out.stderr and "PySide6" not in "".join(
        line for line in out.stderr.splitlines() if "Traceback" in line)
    log = (tmp_path / "logs" / "bulkquote.log").read_text(encoding="utf-8")
    assert "libxcb-cursor0" in log
