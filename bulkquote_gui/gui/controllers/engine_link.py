"""The window's link to the engine: the connection (API client, account) and the worker thread
that runs batches, made again when the connection settings change.

Opening a connection reads the providers from the store (and may start demo mode's simulators),
so it is an operation off the GUI thread (gui/operations/providers.connect): a slow team
database never stalls the window. Until it is back there is no worker; a batch asked to start
meanwhile starts as soon as it is."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.gui.context import AppContext, Connection, ProviderLine
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.operations import providers as provider_ops
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.worker import WorkerThread


class EngineLink(QObject):
    connected = Signal(object)   # the new Connection; its worker is `self.worker`

    def __init__(self, context: AppContext, feedback: Feedback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._feedback = feedback
        self.connection: Connection | None = None
        self.worker_thread: WorkerThread | None = None
        self._reconnect_pending = False
        self._opening = 0           # the connection being opened (older answers are closed)
        self._line_wanted = False   # the line was asked to run while no worker was there
        self.demo_choice: str | None = None   # a demo seller picked: this session only

    @property
    def worker(self) -> Any:
        return self.worker_thread.worker if self.worker_thread else None

    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_busy()

    def provider_name(self) -> str | None:
        """The named provider the engine quotes through (None: the unnamed Momentum, demo)."""
        return self.connection.provider_name if self.connection is not None else None

    def shown_provider(self) -> str:
        """The provider "Quote through" shows as chosen ("": none named)."""
        connection = self.connection
        if connection is None:
            return ""
        if connection.provider_name is None and connection.choices:
            return connection.choices[0]   # demo mode's own simulator
        return connection.provider_name or ""

    def other_lines(self) -> list[str]:
        """The providers besides the chosen one a deal may also ask, as "Also ask" names them."""
        connection = self.connection
        return [line.shown for line in connection.lines[1:]] if connection is not None else []

    def asked_lines(self, also: list[str]) -> tuple[ProviderLine, ...]:
        """The chosen provider, then those of `also` it still quotes through; () when the
        connection names none (the chosen one alone, as the store knows it)."""
        lines = self.connection.lines if self.connection is not None else ()
        if not lines:
            return ()
        return (lines[0], *(line for line in lines[1:] if line.shown in also))

    def account_id(self) -> Callable[[], int | None]:
        connection = self.connection
        return connection.account_id if connection is not None else (lambda: None)

    def run_line(self) -> None:
        """Every unfinished batch of the account goes on (now, or once connected)."""
        if self.worker is not None:
            self.worker.resume_unfinished()
        else:
            self._line_wanted = True

    def connect_engine(self) -> None:
        settings = self._context.settings
        if self.demo_choice:
            settings = replace(settings, provider_name=self.demo_choice)
        self._opening += 1
        opening = self._opening
        provider_ops.connect(self, self._context.connect, settings) \
            .success(lambda connection: self._connected(opening, connection)) \
            .failure(self._feedback.failed("Connecting to the provider")).run()

    def _connected(self, opening: int, connection: Connection) -> None:
        if opening != self._opening:   # disconnected, or connected again, meanwhile
            connection.close()
            return
        self.connection = connection
        self.worker_thread = WorkerThread(connection.make_processor)
        emit(self.connected, connection)
        if self._line_wanted:
            self._line_wanted = False
            self.worker.resume_unfinished()

    def disconnect_engine(self) -> None:
        self._opening += 1   # a connection still being opened is closed when it comes
        if self.worker_thread is not None:
            self.worker_thread.shutdown()
            self.worker_thread = None
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def reconnect(self) -> None:
        self.disconnect_engine()
        self._line_wanted = True   # the batches left go on through the new connection
        self.connect_engine()
        self._feedback.say("Connection settings applied", 5000)

    def reconnect_when_idle(self) -> None:
        """New connection settings: applied now, or once the running batch stops."""
        if self.busy():
            self._reconnect_pending = True
            self._feedback.say("New connection settings apply when the running batch stops", 10000)
        else:
            self.reconnect()

    def run_over(self) -> None:
        if self._reconnect_pending and self.worker is not None and not self.worker.is_busy():
            self._reconnect_pending = False
            self.reconnect()
