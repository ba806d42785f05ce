"""What the window benchmarks (bench_gui.py, bench_gui_stall.py) share: a scratch home, the qasync
loop, and the app's context in demo mode against a simulator with a fast engine."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any


def scratch_home(prefix: str) -> Path:
    """A scratch folder for the app's settings and data (never the rep's own), no keyring."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["BULKQUOTE_CONFIG_DIR"] = str(scratch / "config")
    os.environ["BULKQUOTE_DATA_DIR"] = str(scratch / "data")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return scratch


def qt_loop(name: str = "bench") -> tuple[Any, Any]:
    """The application and its qasync event loop (set as the current one), as the app makes them."""
    import qasync

    from bulkquote_gui.gui.app import create_application, io_executor

    app = create_application([name])
    loop = qasync.QEventLoop(app)
    loop.set_default_executor(io_executor())
    asyncio.set_event_loop(loop)
    return app, loop


def demo_context(factory: Any, sim_url: str) -> Any:
    """An AppContext over `factory` whose engine quotes against the simulator at `sim_url`,
    polling every 0.05 s (an event-dense batch: the harder case for the GUI thread)."""
    from bulkquote_gui.core.engine.policy import EngineConfig
    from bulkquote_gui.core.engine.processor import Processor
    from bulkquote_gui.core.quoting.momentum import MomentumClient
    from bulkquote_gui.gui.context import AppContext, Connection
    from bulkquote_gui.services.secrets import KeyStore
    from bulkquote_gui.services.settings import Settings

    config = EngineConfig(poll_interval_s=0.05, retry_after_floor_s=0.01)
    clients: list[MomentumClient] = []

    def connect(settings: Settings) -> Connection:
        def make_processor(on_event):
            client = MomentumClient(sim_url, "bench")
            clients.append(client)
            return Processor(factory, client, on_event=on_event, config=config)
        return Connection(demo=True, api_url=sim_url, make_processor=make_processor,
                          close=lambda: [c.close() for c in clients])

    return AppContext(session_factory=factory, settings=Settings(), keystore=KeyStore(),
                      connect=connect)
