"""Before Qt starts on Linux: are the system libraries of Qt's X11 (xcb) plugin installed?

Pip-installed Qt (6.5+) brings its own Qt libraries but not the X11 ones its xcb plugin links
against; without them QApplication prints "xcb-cursor0 or libxcb-cursor0 is needed to load the Qt
xcb platform plugin" and aborts the process (core dumped) — on a fresh Ubuntu or Mint desktop
libxcb-cursor0 is the usual one missing. This module looks for each library by its soname first
(loading them is harmless: Qt would load the same ones) and says in one sentence what to install,
with the package names of Debian/Ubuntu/Mint, Fedora and Arch. No Qt import here.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from typing import Callable, Mapping

# soname -> (Debian/Ubuntu/Mint, Fedora, Arch): the DT_NEEDED of libqxcb.so and
# libQt6XcbQpa.so.6 (PySide6 6.6-6.11) that are not Qt's own or the C/C++ runtime.
XCB_LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
}


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Will Qt pick its xcb plugin? Linux, and QT_QPA_PLATFORM says xcb or (unset) an X display
    without a Wayland one (on Wayland Qt uses its own plugin)."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def missing_libraries(loads: Callable[[str], bool] | None = None) -> list[str]:
    loads = loads or _loads
    return [soname for soname in XCB_LIBRARIES if not loads(soname)]


def install_commands(missing: list[str]) -> tuple[str, str, str]:
    """The commands that install these libraries on Debian/Ubuntu/Mint, Fedora and Arch."""
    def names(column: int) -> str:
        return " ".join(dict.fromkeys(XCB_LIBRARIES[s][column] for s in missing))

    return (f"sudo apt install {names(0)}", f"sudo dnf install {names(1)}",
            f"sudo pacman -S {names(2)}")


def install_sentence(missing: list[str]) -> str:
    """One sentence: what is missing and the command to install it, per distribution family."""
    apt, dnf, pacman = install_commands(missing)
    them = "it" if len(missing) == 1 else "them"
    return (f"BulkQuote cannot open its window: Qt's X11 plugin needs {', '.join(missing)}, "
            f"install {them} with `{apt}` (Ubuntu, Mint, Debian), `{dnf}` (Fedora) or "
            f"`{pacman}` (Arch); the command line (`bulkquote check`, `submit`…) works without "
            f"{them}.")


def check(env: Mapping[str, str] | None = None, *,
          loads: Callable[[str], bool] | None = None) -> str | None:
    """The sentence to show when the window cannot start on this desktop, else None."""
    env = os.environ if env is None else env
    if env.get("BULKQUOTE_SKIP_XCB_CHECK"):
        return None
    if sys.platform.startswith("linux") and not env.get("QT_QPA_PLATFORM") \
            and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return ("BulkQuote cannot open its window: there is no display (neither DISPLAY nor "
                "WAYLAND_DISPLAY is set); start it from a desktop session, or use the command "
                "line (`bulkquote --help`).")
    if not uses_xcb(env):
        return None
    missing = missing_libraries(loads)
    return install_sentence(missing) if missing else None


def tell(sentence: str) -> None:
    """On stderr, and, started from a menu (no terminal), in a desktop dialog where one exists."""
    print(sentence, file=sys.stderr, flush=True)
    if sys.stderr is not None and sys.stderr.isatty():
        return
    for argv in (["zenity", "--error", "--no-markup", "--title=BulkQuote", f"--text={sentence}"],
                 ["kdialog", "--title", "BulkQuote", "--error", sentence],
                 ["notify-send", "--urgency=critical", "BulkQuote", sentence]):
        if shutil.which(argv[0]):
            try:
                subprocess.run(argv, timeout=120, check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired):
                continue
            return
