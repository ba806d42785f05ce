"""What the CLI and the GUI need to run batches, resolved once from flags, environment and settings.

Precedence for each value: an explicit argument (a CLI flag), then the environment
(BULKQUOTE_DB, BULKQUOTE_API_URL, BULKQUOTE_API_KEY, already folded in by paths/settings/secrets),
then the saved settings, then the defaults. No API URL anywhere = demo mode: the built-in
simulator is started in-process on an ephemeral loopback port and accepts any key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core import store
from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.processor import ProcessorConfig
from bulkquote_gui.services.paths import default_db_url
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings, load_settings

if TYPE_CHECKING:
    from bulkquote_gui.core.momentum import MomentumClient
    from bulkquote_gui.services.simulator import SimulatorServer

DEMO_API_KEY = "demo"


class MissingApiKey(RuntimeError):
    """A real API is configured but no key was found (environment or keyring)."""


class RefusedApiUrl(MissingApiKey):
    """The API URL is plain http:// to another computer and Settings do not allow it.

    A MissingApiKey on purpose: every caller that holds batches back for a missing key (the CLI
    exits 1 with the sentence, the window pauses its batches with it) does the same here, and
    the key is never sent.
    """


@dataclass
class Runtime:
    db_url: str
    api_url: str
    api_key: str | None = field(repr=False)   # never printed, logged or stored by us
    demo: bool
    poll_interval_s: float
    quote_timeout_s: float
    simulator: SimulatorServer | None = None
    settings: Settings = field(default_factory=Settings, repr=False)
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _session_factory: sessionmaker[Session] | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        """The store's engine, opened (and its schema created or upgraded) on first use."""
        if self._engine is None:
            self._engine = store.make_engine(self.db_url)
        return self._engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        if self._session_factory is None:
            self._session_factory = store.make_session_factory(self.engine)
        return self._session_factory

    def make_client(self, clock: Clock | None = None) -> MomentumClient:
        """A new client (one per thread). Raises MissingApiKey when a real API has no key, and
        RefusedApiUrl (a MissingApiKey) for plain http:// to another computer unless allowed."""
        from bulkquote_gui.core.momentum import InsecureApiUrl, MomentumClient, check_api_url

        try:
            check_api_url(self.api_url, allow_insecure_http=self.settings.allow_insecure_http)
        except InsecureApiUrl as exc:
            raise RefusedApiUrl(str(exc)) from None
        if not self.api_key:
            raise MissingApiKey(
                "no API key: set BULKQUOTE_API_KEY or save the key in the app's settings "
                f"(API {self.api_url})")
        return MomentumClient(self.api_url, self.api_key, clock=clock,
                              allow_insecure_http=self.settings.allow_insecure_http)

    def processor_config(self) -> ProcessorConfig:
        # A poll interval chosen below a second (tests, local simulators) also lowers the floor
        # under the server's Retry-After and the first backoff step, which would otherwise hold
        # every poll and retry to a second.
        quick = min(1.0, self.poll_interval_s)
        return ProcessorConfig(poll_interval_s=self.poll_interval_s,
                               quote_timeout_s=self.quote_timeout_s,
                               retry_after_floor_s=quick, backoff_base_s=quick)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._session_factory = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_runtime(*, db_url: str | None = None, api_url: str | None = None,
                 poll_interval_s: float | None = None, quote_timeout_s: float | None = None,
                 settings: Settings | None = None, keystore: KeyStore | None = None,
                 demo_time_scale: float = 0.05) -> Runtime:
    """Resolve the runtime; starts the in-process simulator in demo mode (stop it with close())."""
    settings = settings or load_settings()
    resolved_url = (api_url or settings.api_base_url or "").strip()
    demo = not resolved_url
    simulator = None
    if demo:
        from bulkquote_gui.services.simulator import SimulatorServer

        simulator = SimulatorServer(port=0, time_scale=demo_time_scale).start()
        resolved_url, api_key = simulator.base_url, DEMO_API_KEY
    else:
        api_key = (keystore or KeyStore()).get()
    return Runtime(
        db_url=db_url or default_db_url(),
        api_url=resolved_url, api_key=api_key, demo=demo,
        poll_interval_s=poll_interval_s or settings.poll_interval_s,
        quote_timeout_s=quote_timeout_s or settings.quote_timeout_s,
        simulator=simulator, settings=settings)
