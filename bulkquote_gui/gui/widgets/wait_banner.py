"""The waiting banner: why the account's line stands still when it is no row's fault.

The engine says so with a WaitEvent (core/events.py): another client's quote in flight on the
account ("account"), the API out of reach ("api"), another BulkQuote holding the account's lease
("lease"), the database out of reach or refusing writes ("store"), or "" once the wait is over. Only the "account" wait offers an action: cancelling the
quote that blocks it, which is someone else's work and so always asked first (by the window).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QWidget

from bulkquote_gui.core.events import WaitEvent
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.style import current_theme
from bulkquote_gui.gui.widgets.blocks import Banner

UNBLOCK_ACTION = "Cancel the blocking quote…"


def wait_text(event: WaitEvent) -> str:
    """The banner's sentence for a wait (empty for the end of one)."""
    message = event.message.strip()
    if event.reason == "account":
        quote = event.blocker_id or "(id not given)"
        return (f"Waiting for the account: another client's quote {quote} is in flight. "
                "BulkQuote goes on by itself once it finishes.")
    if event.reason == "api":
        return f"Waiting for the API: {message or 'it cannot be reached'}. BulkQuote keeps trying."
    if event.reason == "lease":
        # The engine says who holds it ("held by …") or that the previous BulkQuote stopped.
        message = message.removeprefix("waiting for the account's lease:").strip().rstrip(".")
        if message.startswith("the previous"):
            return f"{message[0].upper()}{message[1:]}."
        holder = message if message.lower().startswith("held by") else f"held by {message or 'another BulkQuote'}"
        return f"Waiting for the account's lease: {holder}."
    if event.reason == "store":
        return _store_text(message)
    if event.reason:
        return f"Waiting: {message or event.reason}."
    return ""


def _store_text(message: str) -> str:
    """The database away ("...; waiting") or refusing writes ("...; BulkQuote tries again")."""
    said = message or "the database cannot be reached; waiting"
    if said.endswith("; waiting"):
        said = said.removesuffix("; waiting") + ": BulkQuote waits and goes on by itself"
    return f"{said[:1].upper()}{said[1:]}."


class WaitBanner(Banner):
    """A warning-coloured banner with the unblock button for an "account" wait."""

    unblock_requested = Signal(str)  # the blocking quote's id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("waitBanner", "", action=UNBLOCK_ACTION, parent=parent)
        self.event: WaitEvent | None = None
        assert self.action_button is not None
        self.action_button.setToolTip("Cancel the other client's quote so this batch can go on. "
                                      "You are asked to confirm first.")
        self.action_clicked.connect(self._unblock)
        self._restyle()
        self.hide()

    def show_wait(self, event: WaitEvent | None) -> None:
        """Show `event`'s wait; None or a wait that is over hides the banner."""
        self.event = event if event is not None and event.reason else None
        if self.event is None:
            self.hide()
            return
        self.set_text(wait_text(self.event))
        can_unblock = self.event.reason == "account" and bool(self.event.blocker_id)
        self.action_button.setVisible(can_unblock)
        self.action_button.setEnabled(can_unblock)
        self.show()

    def set_unblocking(self, busy: bool) -> None:
        """While the cancel is under way the button stays pressed-out (no second request)."""
        self.action_button.setEnabled(not busy)

    def _unblock(self) -> None:
        if self.event is not None and self.event.blocker_id:
            emit(self.unblock_requested, self.event.blocker_id)

    # The application sheet has no rule for this banner: it is styled here from the theme, again
    # whenever the palette changes (light/dark switched while the app runs).
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        t = current_theme().tokens
        sheet = (f"QFrame#waitBanner {{ background: {t['warn_bg']}; border: 1px solid {t['warn_border']};"
                 " border-radius: 8px; }"
                 f" QFrame#waitBanner QLabel {{ color: {t['warn_text']}; background: transparent; }}"
                 f" QFrame#waitBanner QPushButton#link {{ color: {t['warn_text']}; font-weight: 600;"
                 " text-decoration: underline; }")
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)
