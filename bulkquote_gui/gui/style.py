"""The look: a light theme by default, a dark one when the system palette is dark.

The style sheet lives in resources/style.qss with @tokens; this module fills them from one of two
palettes. Status colours (badges) come from here too, so the delegate and the sheet agree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from bulkquote_gui.core.intake.rows import RowStatus
from bulkquote_gui.core.states import BatchStatus, RowState
from bulkquote_gui.gui.resources import resource_path

log = logging.getLogger(__name__)

LIGHT: dict[str, str] = {
    "window": "#f4f6f9", "surface": "#ffffff", "input": "#ffffff", "text": "#1f2933", "muted": "#5f6b7a",
    "border": "#e1e6ed", "border_strong": "#c9d1dc", "grid": "#eef1f5", "header": "#f8fafc",
    "alt_row": "#fafbfd", "hover": "#f1f5f9", "pressed": "#e2e8f0", "track": "#e5e9f0", "scroll": "#c3cbd6",
    "accent": "#2563eb", "accent_hover": "#1d4ed8", "accent_soft": "#e8f0fe", "accent_border": "#bfd3fb",
    "disabled": "#9aa5b1", "disabled_bg": "#cfd8e3", "danger": "#c62828",
    "warn_bg": "#fff7e0", "warn_border": "#f5d98b", "warn_text": "#7a5200",
    "ok_bg": "#e9f8ef", "ok_border": "#a7e3bd", "ok_text": "#14532d", "ok_value": "#15803d",
    "focus": "#0b1533",  # near-black: seen around a blue button and a white one alike
}
DARK: dict[str, str] = {
    "window": "#16191e", "surface": "#1f2329", "input": "#262b32", "text": "#e6e9ee", "muted": "#9aa4b1",
    "border": "#2f353e", "border_strong": "#414955", "grid": "#2a2f37", "header": "#242930",
    "alt_row": "#22272d", "hover": "#2a3038", "pressed": "#333a44", "track": "#2f353e", "scroll": "#4a525e",
    "accent": "#4f8cff", "accent_hover": "#6a9dff", "accent_soft": "#1f3255", "accent_border": "#2e4a7d",
    "disabled": "#6b7480", "disabled_bg": "#353c46", "danger": "#ff6b6b",
    "warn_bg": "#3a2f12", "warn_border": "#6b5520", "warn_text": "#f5d98b",
    "ok_bg": "#15311f", "ok_border": "#25603a", "ok_text": "#a7e3bd", "ok_value": "#4ade80",
    "focus": "#ffffff",
}


@dataclass(frozen=True)
class BadgeColours:
    text: str
    fill: str


# Every status a badge can show: preview rows, batch rows and whole batches (and the rush mark);
# a batch's pending/complete/cancelled look like a row's (the enums' members are their text).
_BADGES_LIGHT: dict[str, BadgeColours] = {
    RowStatus.VALID: BadgeColours("#166534", "#dcfce7"),
    RowStatus.REPAIRED: BadgeColours("#92400e", "#fef3c7"),
    RowStatus.INVALID: BadgeColours("#b91c1c", "#fee2e2"),
    RowStatus.DUPLICATE: BadgeColours("#5b21b6", "#ede9fe"),
    RowState.PENDING: BadgeColours("#475569", "#e2e8f0"),
    RowState.SUBMITTING: BadgeColours("#1d4ed8", "#dbeafe"),
    RowState.POLLING: BadgeColours("#1d4ed8", "#dbeafe"),
    BatchStatus.RUNNING: BadgeColours("#1d4ed8", "#dbeafe"),
    RowState.COMPLETE: BadgeColours("#166534", "#dcfce7"),
    RowState.FAILED: BadgeColours("#b91c1c", "#fee2e2"),
    RowState.CANCELLED: BadgeColours("#475569", "#e5e7eb"),
    BatchStatus.PAUSED: BadgeColours("#92400e", "#fef3c7"),
    "rush": BadgeColours("#c2410c", "#ffedd5"),  # not a status: a batch rushed to the front
    "reuse": BadgeColours("#0f766e", "#ccfbf1"),  # a preview row a still-valid quote will fill
}
_BADGES_DARK: dict[str, BadgeColours] = {
    RowStatus.VALID: BadgeColours("#86efac", "#163a24"),
    RowStatus.REPAIRED: BadgeColours("#fcd34d", "#3d2e0c"),
    RowStatus.INVALID: BadgeColours("#fca5a5", "#451a1a"),
    RowStatus.DUPLICATE: BadgeColours("#c4b5fd", "#2e2150"),
    RowState.PENDING: BadgeColours("#cbd5e1", "#2d3440"),
    RowState.SUBMITTING: BadgeColours("#93c5fd", "#1c2f52"),
    RowState.POLLING: BadgeColours("#93c5fd", "#1c2f52"),
    BatchStatus.RUNNING: BadgeColours("#93c5fd", "#1c2f52"),
    RowState.COMPLETE: BadgeColours("#86efac", "#163a24"),
    RowState.FAILED: BadgeColours("#fca5a5", "#451a1a"),
    RowState.CANCELLED: BadgeColours("#cbd5e1", "#2d3440"),
    BatchStatus.PAUSED: BadgeColours("#fcd34d", "#3d2e0c"),
    "rush": BadgeColours("#fdba74", "#4a2410"),
    "reuse": BadgeColours("#5eead4", "#113a36"),
}
_FALLBACK_BADGE = BadgeColours("#475569", "#e2e8f0")

# Background of a preview cell holding an invalid value.
INVALID_CELL_LIGHT = "#fde8e8"
INVALID_CELL_DARK = "#4a2020"


def system_prefers_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    # Unknown scheme: judge by the palette's window colour.
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


class Theme:
    """The palette in use; widgets ask it for colours that the style sheet cannot express."""

    def __init__(self, dark: bool = False) -> None:
        self.dark = dark
        self.tokens = DARK if dark else LIGHT

    def badge(self, status: str) -> BadgeColours:
        table = _BADGES_DARK if self.dark else _BADGES_LIGHT
        return table.get(str(status).lower(), _FALLBACK_BADGE)

    def colour(self, token: str) -> QColor:
        return QColor(self.tokens[token])

    @property
    def invalid_cell(self) -> QColor:
        return QColor(INVALID_CELL_DARK if self.dark else INVALID_CELL_LIGHT)

    def style_sheet(self) -> str:
        try:
            template = resource_path("style.qss").read_text(encoding="utf-8")
        except OSError as exc:  # a broken install still runs, just plainer
            log.info("style sheet not found (%s); using the platform style", exc)
            return ""
        values = {**self.tokens, "resources": resource_path("").as_posix().rstrip("/")}
        # Longest token first so @accent_soft is not eaten by @accent.
        names = sorted(values, key=len, reverse=True)
        pattern = re.compile("@(" + "|".join(map(re.escape, names)) + r")\b")
        return pattern.sub(lambda m: values[m.group(1)], template)

    def palette(self) -> QPalette:
        t = self.tokens
        pal = QPalette()
        pal.setColor(QPalette.ColorRole.Window, QColor(t["window"]))
        pal.setColor(QPalette.ColorRole.WindowText, QColor(t["text"]))
        pal.setColor(QPalette.ColorRole.Base, QColor(t["surface"]))
        pal.setColor(QPalette.ColorRole.AlternateBase, QColor(t["alt_row"]))
        pal.setColor(QPalette.ColorRole.Text, QColor(t["text"]))
        pal.setColor(QPalette.ColorRole.Button, QColor(t["surface"]))
        pal.setColor(QPalette.ColorRole.ButtonText, QColor(t["text"]))
        pal.setColor(QPalette.ColorRole.Highlight, QColor(t["accent"]))
        pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(t["surface"]))
        pal.setColor(QPalette.ColorRole.ToolTipText, QColor(t["text"]))
        pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(t["muted"]))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(t["disabled"]))
        return pal


_current = Theme(dark=False)


def current_theme() -> Theme:
    return _current


def apply_theme(app: QApplication, dark: bool | None = None) -> Theme:
    """Style the whole application; `dark=None` follows the system."""
    global _current
    _current = Theme(system_prefers_dark() if dark is None else dark)
    app.setStyle("Fusion")  # the same widgets on every OS; the sheet does the rest
    app.setPalette(_current.palette())
    app.setStyleSheet(_current.style_sheet())
    return _current


def app_icon() -> QIcon:
    path = resource_path("bulkquote.svg")
    return QIcon(str(path)) if path.exists() else QIcon()
