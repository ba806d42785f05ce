"""pytest-qt fixtures: the qasync loop, scripted dialogs, and a real window over a temp store and
a real simulator on loopback (demo mode, time scaled down so a batch takes a fraction of a second)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections import deque
from pathlib import Path
from typing import Any, Callable

import pytest
import qasync

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.quoting.momentum import MomentumClient
from bulkquote_gui.core.store.engine import make_engine, make_session_factory
from bulkquote_gui.gui.app import io_executor
from bulkquote_gui.gui.context import AppContext, Connection
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings
from bulkquote_gui.services.simulator import SimulatorServer


def offscreen_screen(width: int, height: int) -> str:
    """QT_QPA_PLATFORM for an offscreen screen of this logical size (the plugin's default is
    800x600, smaller than any rep's laptop): the window then fits to it as on a real one."""
    config = Path(tempfile.gettempdir()) / f"bulkquote-offscreen-{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{"name": "test", "x": 0, "y": 0, "width": width,
                                                "height": height, "logicalDpi": 96,
                                                "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


if os.environ.get("QT_QPA_PLATFORM") == "offscreen":  # before pytest-qt makes the app
    os.environ["QT_QPA_PLATFORM"] = offscreen_screen(1920, 1080)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
if not CORPUS.exists():
    CORPUS = Path("/work/shared/corpus")
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SAMPLE = RESOURCES / "sample_sites.csv"

FAST = EngineConfig(poll_interval_s=0.02, quote_timeout_s=30.0, retry_after_floor_s=0.005,
                       retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                       command_check_s=0.05)


@pytest.fixture(scope="session", autouse=True)
def styled_app(qapp):
    """The application styled as `bulkquote` styles it (Fusion, the light palette and the style
    sheet): layouts are measured with the paddings and fonts a rep sees."""
    from bulkquote_gui.gui.style import apply_theme

    apply_theme(qapp, dark=False)
    yield qapp


@pytest.fixture(scope="session")
def qasync_loop(qapp):
    """One qasync loop for the session, marked running: coroutines advance whenever Qt processes
    events (qtbot.waitSignal / waitUntil), exactly as under the real app's loop."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    loop.set_default_executor(io_executor())
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def _loop(qasync_loop):
    yield qasync_loop


class ScriptedDialogs:
    """Answers the window's questions from queues; records every question asked."""

    def __init__(self) -> None:
        self.confirms: deque[bool] = deque()
        self.open_paths: deque[str | None] = deque()
        self.save_paths: deque[str | None] = deque()
        self.dialog_scripts: deque[Callable[[Any], bool]] = deque()
        self.asked: list[tuple[str, str]] = []

    def confirm(self, title: str, text: str, **_kw: Any) -> bool:
        self.asked.append(("confirm", title))
        assert self.confirms, f"unexpected confirmation asked: {title}"
        return self.confirms.popleft()

    def info(self, title: str, text: str) -> None:
        self.asked.append(("info", f"{title}: {text}"))

    def error(self, title: str, text: str) -> None:
        self.asked.append(("error", f"{title}: {text}"))

    def open_file(self, *_a: Any, **_kw: Any) -> str | None:
        self.asked.append(("open", ""))
        return self.open_paths.popleft() if self.open_paths else None

    def save_file(self, title: str, suggested: str, *_a: Any) -> str | None:
        self.asked.append(("save", Path(suggested).name))
        self.save_suggested = suggested
        return self.save_paths.popleft() if self.save_paths else None

    def run(self, dialog: Any) -> bool:
        self.asked.append(("dialog", type(dialog).__name__))
        script = self.dialog_scripts.popleft() if self.dialog_scripts else (lambda d: False)
        return bool(script(dialog))

    def errors(self) -> list[str]:
        return [text for kind, text in self.asked if kind == "error"]


@pytest.fixture
def dialogs() -> ScriptedDialogs:
    return ScriptedDialogs()


@pytest.fixture
def simulator():
    sim = SimulatorServer(time_scale=0.002).start()
    yield sim
    sim.stop()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{(tmp_path / 'bulkquote.sqlite').as_posix()}"


@pytest.fixture
def context(db_url, simulator) -> AppContext:
    engine = make_engine(db_url)
    session_factory = make_session_factory(engine)
    saved: list[Settings] = []

    def connect(settings: Settings) -> Connection:
        clients: list[MomentumClient] = []

        def make_processor(on_event):
            client = MomentumClient(simulator.base_url, "demo-key")
            clients.append(client)
            return Processor(session_factory, client, on_event=on_event, config=FAST)

        def close() -> None:
            for c in clients:
                c.close()

        return Connection(demo=not settings.api_base_url, api_url=simulator.base_url,
                          make_processor=make_processor, close=close,
                          make_client=lambda: MomentumClient(simulator.base_url, "demo-key"))

    ctx = AppContext(session_factory=session_factory, settings=Settings(), keystore=KeyStore(),
                     connect=connect, save_settings=saved.append, close=engine.dispose)
    ctx.saved_settings = saved  # type: ignore[attr-defined]
    yield ctx
    engine.dispose()


@pytest.fixture
def make_window(qtbot, context, dialogs):
    from bulkquote_gui.gui.main_window import MainWindow

    windows = []

    def make(ctx: AppContext | None = None) -> MainWindow:
        window = MainWindow(ctx or context, dialogs=dialogs)
        # Stop the engine before pytest-qt closes the window, so a batch still finishing its
        # last run does not make the close ask "quit while a batch runs?".
        qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
        window.show()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.shutdown()


@pytest.fixture
def window(make_window):
    w = make_window()
    w.start()
    return w


@pytest.fixture
def engine_events(context) -> list[Callable[[Any], None]]:
    """The engine's event callbacks, newest last: a test calls one to say what the engine would."""
    sinks: list[Callable[[Any], None]] = []
    connect = context.connect

    def connect_and_listen(settings: Settings) -> Connection:
        connection = connect(settings)
        make = connection.make_processor

        def make_processor(on_event):
            sinks.append(on_event)
            return make(on_event)

        connection.make_processor = make_processor
        return connection

    context.connect = connect_and_listen
    return sinks


def store_batch(context: AppContext, *, owner: str = "", paused: bool = True, path: Path = SAMPLE,
                rushed: bool = False) -> int:
    """A batch stored straight into the test database (as another rep's app would), not run."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store

    result = import_file(path)
    with engine_store.in_transaction(context.session_factory) as session:
        batch_id = batch_store.create_batch(session, result, defaults=BatchDefaults(),
                                      source_name=path.name, owner=owner)
    if paused:
        with engine_store.in_transaction(context.session_factory) as session:
            batch_store.mark_paused(session, batch_id, "paused")
    if rushed:
        with engine_store.in_transaction(context.session_factory) as session:
            batch_store.set_priority(session, batch_id, True)
    return batch_id
